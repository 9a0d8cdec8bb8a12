// Package replay drives a replay of recorded Okta events through a compiled
// repository: it streams events from their sources (decoding in full only
// those some enabled flow takes: SPEC §11), seeds the simulated world from
// each event as it comes (SPEC §6), fires the matching flows in
// name order, fires schedule flows for --at instants, and hands each
// event's runs to a callback — so dry-run, plan and test share one loop and
// memory stays flat in the number of events.
//
// replay depends on compile, engine, event, world, effect and clock.
package replay

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/jml-dev/jml/pkg/ast"
	"github.com/jml-dev/jml/pkg/clock"
	"github.com/jml-dev/jml/pkg/compile"
	"github.com/jml-dev/jml/pkg/effect"
	"github.com/jml-dev/jml/pkg/engine"
	"github.com/jml-dev/jml/pkg/event"
	"github.com/jml-dev/jml/pkg/table"
	"github.com/jml-dev/jml/pkg/world"
)

// MaxWindowMinutes bounds a schedule sweep (--at FROM/TO): one week.
const MaxWindowMinutes = 7 * 24 * 60

// Options configure a replay.
type Options struct {
	Graph *compile.Graph
	// Sources are the EVENTS arguments (files, directories, "-").
	Sources []string
	// Events, when Sources is empty, are events already decoded.
	Events    []*event.Event
	KeepGoing bool
	Stdin     io.Reader
	WorkDir   string
	// Remote opens okta:SINCE[..UNTIL] sources (event.Options.Remote).
	Remote func(source string) (io.ReadCloser, error)
	// World is the decoded --world file, or nil.
	World *world.Spec
	Mode  engine.Mode
	// Flow restricts the replay to one flow (--flow).
	Flow string
	// At fires schedule flows due at that instant; with AtEnd, every
	// minute of [At, AtEnd]. It is also run.startedAt of events without a
	// published time.
	At, AtEnd *time.Time
	Observer  engine.Observer
	// Wrap, when set, wraps the world (dry-run --history journals calls).
	Wrap func(effect.Effector) effect.Effector
	// RunID allocates run ids (see engine.Options.RunID).
	RunID func(derived string) string
	// OnEvent hears each event before its flows run.
	OnEvent func(*event.Event)
	// DecodeAll decodes every event in full. Without it, events of a type
	// no enabled flow takes (engine.Takes) are only skimmed
	// (event.Options.Want): they still seed the world, count, and list the
	// disabled flows they match, but their Raw is partial (docs/replay.md,
	// "Events no flow takes").
	DecodeAll bool
}

// Result is one trigger and the runs it fired.
type Result struct {
	// Event is nil for a schedule instant.
	Event *event.Event
	// At is the schedule instant (for schedule results).
	At       time.Time
	Runs     []*engine.Run
	Disabled []string
}

// Stats counts a replay.
type Stats struct {
	event.Stats
	// SkippedErrors are the malformed events --keep-going skipped (the
	// first 100).
	SkippedErrors []*event.DecodeError
}

// Setup is what one mode gives the engine: its flows, where calls go,
// its clock and who listens. Everything else is decided by Engine, once
// for every mode, so that what plan shows is what apply does.
type Setup struct {
	Graph    *compile.Graph
	Mode     engine.Mode
	Flow     string
	Effector effect.Effector
	Clock    clock.Clock
	Observer engine.Observer
	RunID    func(derived string) string
	// Runtime is engine.Options.Runtime (nil: local goroutines).
	Runtime engine.Runtime
}

// Engine is the one engine set-up of every mode — dry-run, plan, test,
// plan --compare, history diff, verify --replay, apply and resume: the
// user's profile is read from the same okta instance through the mode's
// effector (the simulated world, or Okta), with the same retry, in every
// one of them.
func Engine(s Setup) *engine.Engine {
	return engine.New(engine.Options{Graph: s.Graph, Effector: s.Effector, Clock: s.Clock, Observer: s.Observer,
		Mode: s.Mode, Flow: s.Flow, RunID: s.RunID, ProfileFrom: s.Graph.ProfileInstance(), Runtime: s.Runtime})
}

// Trigger names a result's trigger as plans and traces show it: the
// event's uuid, type and published time, or schedule@INSTANT for a
// schedule firing.
func (r Result) Trigger() (uuid, typ, published string) {
	if r.Event == nil {
		return engine.ScheduleKey(r.At), "schedule", r.At.Format(time.RFC3339)
	}
	return r.Event.UUID, r.Event.EventType, r.Event.Published
}

// Instances lists the connector instances of a config.
func Instances(cfg *ast.Config) []world.Instance {
	if cfg == nil {
		return nil
	}
	var out []world.Instance
	for _, c := range cfg.Connectors {
		in := world.Instance{Name: c.Name.Value, Type: c.Type.Value}
		if in.Type == "table" {
			in.Tables = table.FromNode(c.Node)
		}
		out = append(out, in)
	}
	return out
}

// NewWorld builds the simulated world of a config and world file.
func NewWorld(cfg *ast.Config, spec *world.Spec, clk clock.Clock) (*world.World, error) {
	w := world.New(Instances(cfg), clk)
	if spec != nil {
		if err := w.Apply(spec); err != nil {
			return nil, err
		}
	}
	return w, nil
}

// Run replays the events and schedule instants, calling onResult for each
// trigger in order. It stops at the first decode error unless KeepGoing,
// and when onResult returns an error.
func Run(ctx context.Context, opts Options, onResult func(Result) error) (stats Stats, err error) {
	start := time.Unix(0, 0).UTC()
	if opts.At != nil {
		start = *opts.At
	}
	clk := clock.NewVirtual(start)
	w, err := NewWorld(opts.Graph.Config, opts.World, clk)
	if err != nil {
		return stats, err
	}
	var eff effect.Effector = w
	if opts.Wrap != nil {
		eff = opts.Wrap(w)
	}
	eng := Engine(Setup{Graph: opts.Graph, Effector: eff, Clock: clk, Observer: opts.Observer,
		Mode: opts.Mode, Flow: opts.Flow, RunID: opts.RunID})
	if len(opts.Sources) > 0 || len(opts.Events) > 0 {
		var s eventSource = &sliceSource{events: opts.Events}
		if len(opts.Sources) > 0 {
			eo := event.Options{KeepGoing: opts.KeepGoing, Stdin: opts.Stdin, WorkDir: opts.WorkDir, Remote: opts.Remote}
			if !opts.DecodeAll {
				eo.Want = takes(opts.Graph)
			}
			st, err := event.Open(opts.Sources, eo)
			if err != nil {
				return stats, err
			}
			s = st
		}
		defer s.Close()
		defer func() { stats.SkippedErrors = s.Skipped() }()
		for {
			ev, err := s.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				stats.Stats = s.Stats()
				return stats, err
			}
			at, ok := ev.PublishedTime()
			if !ok && opts.At != nil {
				at = *opts.At
			}
			clk.Set(at)
			seed(w, ev)
			if opts.OnEvent != nil {
				opts.OnEvent(ev)
			}
			res := Result{Event: ev, At: at}
			sel := eng.Select(ev)
			res.Disabled = sel.Disabled
			for _, f := range sel.Flows {
				if ctx.Err() != nil {
					break
				}
				if r := eng.Run(ctx, f, engine.Trigger{Event: ev, At: at}); r != nil {
					res.Runs = append(res.Runs, r)
				}
			}
			if err := onResult(res); err != nil {
				return stats, err
			}
			if err := ctx.Err(); err != nil {
				stats.Stats = s.Stats()
				return stats, err
			}
		}
		stats.Stats = s.Stats()
	}
	minutes, err := Minutes(opts.At, opts.AtEnd)
	if err != nil {
		return stats, err
	}
	for _, at := range minutes {
		sel := eng.ScheduledAt(at)
		if len(sel.Flows) == 0 && len(sel.Disabled) == 0 {
			continue
		}
		clk.Set(at)
		res := Result{At: at, Disabled: sel.Disabled}
		for _, f := range sel.Flows {
			if r := eng.Run(ctx, f, engine.Trigger{At: at}); r != nil {
				res.Runs = append(res.Runs, r)
			}
		}
		if err := onResult(res); err != nil {
			return stats, err
		}
		if err := ctx.Err(); err != nil {
			return stats, err
		}
	}
	return stats, nil
}

// Minutes lists the schedule instants of --at (one instant) or a window
// [at, atEnd]: every minute, at most MaxWindowMinutes of them. Replay
// and apply fire the schedule flows due at each.
func Minutes(at, atEnd *time.Time) ([]time.Time, error) {
	if at == nil {
		return nil, nil
	}
	end := *at
	if atEnd != nil {
		end = *atEnd
	}
	if end.Sub(*at) > MaxWindowMinutes*time.Minute {
		return nil, fmt.Errorf("the schedule window is longer than %d minutes (one week)", MaxWindowMinutes)
	}
	var out []time.Time
	for m := at.Truncate(time.Minute); !m.After(end); m = m.Add(time.Minute) {
		out = append(out, m)
	}
	return out, nil
}

// takes is engine.Takes for g, remembered per event type: a log holds a
// few hundred types at most, and the answer is asked for every event.
func takes(g *compile.Graph) func(string) bool {
	known := map[string]bool{}
	return func(typ string) bool {
		t, ok := known[typ]
		if !ok {
			t = engine.Takes(g, typ)
			if len(known) < 10_000 { // not unbounded on a log of made-up types
				known[typ] = t
			}
		}
		return t
	}
}

// seed adds the users an event names to the world (SPEC §6).
func seed(w *world.World, ev *event.Event) {
	var users []world.User
	for _, u := range ev.Users() {
		id, _ := u["id"].(string)
		login, _ := u["alternateId"].(string)
		name, _ := u["displayName"].(string)
		if id == "" && login == "" {
			continue
		}
		users = append(users, world.User{ID: id, Login: login, DisplayName: name})
	}
	target := ""
	if t := ev.Target("User"); t != nil {
		target, _ = t["id"].(string)
	}
	w.SeedEvent(users, ev.EventType, target)
}

var _ effect.Effector = (*world.World)(nil)

// eventSource is an event.Stream or a slice of decoded events.
type eventSource interface {
	Next() (*event.Event, error)
	Stats() event.Stats
	Skipped() []*event.DecodeError
	Close() error
}

type sliceSource struct {
	events []*event.Event
	i      int
}

func (s *sliceSource) Next() (*event.Event, error) {
	if s.i >= len(s.events) {
		return nil, io.EOF
	}
	s.i++
	return s.events[s.i-1], nil
}

func (s *sliceSource) Stats() event.Stats            { return event.Stats{Read: s.i} }
func (s *sliceSource) Skipped() []*event.DecodeError { return nil }
func (s *sliceSource) Close() error                  { return nil }

// Seed adds the users an event names to a world, as a replay does.
func Seed(w *world.World, ev *event.Event) { seed(w, ev) }
