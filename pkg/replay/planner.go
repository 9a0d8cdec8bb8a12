package replay

import (
	"context"
	"time"

	"github.com/jml-dev/jml/pkg/compile"
	"github.com/jml-dev/jml/pkg/engine"
	"github.com/jml-dev/jml/pkg/event"
	"github.com/jml-dev/jml/pkg/plan"
)

// Planner turns replay results into a plan: the change set per trigger
// and flow, and the blast radius. It is the one place that does, for
// jml plan, apply's guardrail and confirmation, and plan --compare, so
// that plan's "exceeded" is exactly apply's refusal.
//
// It hands each event to its sinks as it is added and keeps only the
// summary: counts, the disabled flows, and the blast radius's sets of
// distinct people (they grow with the people deprovisioned, not with the
// events). jml plan's renderers are sinks that write as they hear
// (NewStreamingPlanner); NewPlanner's sink is a *plan.Plan that keeps
// every event, for the callers that need the plan whole.
type Planner struct {
	graph  *compile.Graph
	digest string
	files  map[string]string
	sinks  []plan.Sink
	// whole is the collected plan (NewPlanner), or nil.
	whole   *plan.Plan
	summary plan.Summary
	begun   bool
	err     error
}

// NewPlanner returns a planner that collects the whole plan, for a
// repository's graph and digest: Finish returns it with every event.
func NewPlanner(g *compile.Graph, digest string, files map[string]string) *Planner {
	whole := plan.New(digest, files)
	p := NewStreamingPlanner(g, digest, files, whole)
	p.whole = whole
	return p
}

// NewStreamingPlanner returns a planner that hands each event to sinks as
// it is added and keeps none: End returns the plan's head and summary,
// without events.
func NewStreamingPlanner(g *compile.Graph, digest string, files map[string]string, sinks ...plan.Sink) *Planner {
	s := plan.NewSummary()
	s.BlastRadius = plan.NewBlastRadius(g.MaxDeprovisions())
	return &Planner{graph: g, digest: digest, files: files, sinks: sinks, summary: s}
}

func (p *Planner) begin() error {
	if p.begun || p.err != nil {
		return p.err
	}
	p.begun = true
	for _, s := range p.sinks {
		if err := s.Begin(p.digest, p.files); err != nil {
			p.err = err
			return err
		}
	}
	return nil
}

// Add records one trigger's runs; a schedule instant that fired nothing
// is left out. It returns the first error of a sink (and every later Add
// returns it too).
func (p *Planner) Add(r Result) error {
	if r.Event == nil && len(r.Runs) == 0 {
		return p.err
	}
	if err := p.begin(); err != nil {
		return err
	}
	uuid, typ, pub := r.Trigger()
	ev := plan.NewEvent(uuid, typ, pub, r.Runs)
	p.summary.Count(ev, r.Disabled)
	oktaID := ""
	if r.Event != nil {
		p.summary.Events++ // schedule instants are not events
		if t := r.Event.Target("User"); t != nil {
			oktaID, _ = t["id"].(string)
		}
		if oktaID == "" {
			// No Okta id: the event's uuid keeps its user apart.
			oktaID = "event:" + r.Event.UUID
		}
	}
	p.summary.BlastRadius.Count(oktaID, r.Runs, p.graph.Subject)
	for _, s := range p.sinks {
		if in, ok := s.(plan.InputSink); ok && r.Event != nil {
			if err := in.Input(r.Event.Raw); err != nil {
				p.err = err
				return err
			}
		}
		if err := s.Event(ev); err != nil {
			p.err = err
			return err
		}
	}
	return nil
}

// End sets the counts only the whole replay knows (duplicates, skipped),
// ends every sink, and returns the plan: whole from NewPlanner, its head
// and summary only from NewStreamingPlanner.
func (p *Planner) End(stats Stats) (*plan.Plan, error) {
	p.summary.Duplicates, p.summary.Skipped = stats.Duplicates, stats.Skipped
	if err := p.begin(); err != nil {
		return nil, err
	}
	for _, s := range p.sinks {
		if err := s.End(p.summary); err != nil {
			p.err = err
			return nil, err
		}
	}
	if p.whole != nil {
		return p.whole, nil
	}
	head := plan.New(p.digest, p.files)
	head.Events, head.Summary = nil, p.summary
	return head, nil
}

// Finish is End for a planner that collects (NewPlanner), whose sink
// cannot fail.
func (p *Planner) Finish(stats Stats) *plan.Plan {
	pl, _ := p.End(stats)
	return pl
}

// Simulate plans triggers against a fresh simulated world exactly as jml
// plan does (without --world), and returns the whole plan: apply's
// guardrail and confirmation, and jml serve's hourly guardrail, count on
// it, so that each refuses exactly what plan shows as exceeded.
func Simulate(ctx context.Context, g *compile.Graph, digest string, files map[string]string, events []*event.Event, instants []time.Time, flow string) (*plan.Plan, error) {
	pl := NewPlanner(g, digest, files)
	var at, atEnd *time.Time
	if len(instants) > 0 {
		at, atEnd = &instants[0], &instants[len(instants)-1]
	}
	stats, err := Run(ctx, Options{Graph: g, Events: events, Mode: engine.ModePlan, Flow: flow, At: at, AtEnd: atEnd},
		func(r Result) error {
			pl.Add(r)
			return nil
		})
	return pl.Finish(stats), err
}
