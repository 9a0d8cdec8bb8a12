// Package apply carries out a replay for real: it runs the events' flows
// through the real connectors — runs of different users concurrently, the
// events of one user in order, the cards of one run in order — then the
// schedule firings asked for, and hands each trigger's runs back as they
// finish. The guardrail is checked before, on the plan of the same events
// (replay.Planner), so that plan's "exceeded" is exactly apply's refusal.
//
// It also holds what an apply decides before and around the runs: the
// guardrail on the plan (Guardrail), and which recorded runs jml resume
// continues (Unfinished, Resumable, PrepareResume).
//
// apply depends on engine, event, history and plan; the CLI chooses the
// effector (connectors, or the sandbox through them) and renders.
package apply

import (
	"context"
	"sync"
	"time"

	"github.com/jml-dev/jml/pkg/compile"
	"github.com/jml-dev/jml/pkg/engine"
	"github.com/jml-dev/jml/pkg/event"
)

// UserKey identifies the user an event is about: the first User target's
// id (else its login), else the event's uuid.
func UserKey(ev *event.Event) string {
	if t := ev.Target("User"); t != nil {
		if id, _ := t["id"].(string); id != "" {
			return id
		}
		if login, _ := t["alternateId"].(string); login != "" {
			return login
		}
	}
	return "event:" + ev.UUID
}

// Result is one trigger and its runs.
type Result struct {
	Index int
	// Event is the event, or nil for a schedule firing at At.
	Event    *event.Event
	At       time.Time
	Runs     []*engine.Run
	Disabled []string
	// Done are the flows not run again because an earlier apply finished
	// them for this event.
	Done []Done
	// Err is set when deciding what to do failed (the history could not
	// be read): the event's remaining flows were not run.
	Err error
}

// Done is a flow an earlier apply already finished for an event.
type Done struct {
	Flow   string `json:"flow"`
	RunID  string `json:"run"`
	Status string `json:"status"`
}

// Decision is what to do with one (event, flow).
type Decision struct {
	// Done, when set, skips the flow: an earlier run finished it.
	Done *Done
	// Skip leaves the flow out silently (jml resume: not a run asked for).
	Skip bool
	// RunID and ResumedFrom go to the engine's trigger.
	RunID, ResumedFrom string
}

// Trigger is what Decide is asked about: an event, or a schedule firing
// (Event nil), with the key its runs are recorded under (the event's uuid,
// or schedule@INSTANT).
type Trigger struct {
	Event *event.Event
	Key   string
}

// Decide chooses, per (trigger, flow), whether to run, resume or skip.
type Decide func(ctx context.Context, t Trigger, flow string) (Decision, error)

// Options configure Run.
type Options struct {
	// Parallelism is how many users' runs go at once (at least 1).
	Parallelism int
	// Decide, when set, is asked before each flow of each trigger.
	Decide Decide
	// Instants are the schedule firings to run after the events, in
	// order (apply --at, --window, or a saved plan's).
	Instants []time.Time
}

// Run applies the events with at most parallelism runs at a time. Events
// about the same user run one after another, in input order, so that a
// create and a later deactivation of one person never race. onResult is
// called once per event, from one goroutine at a time, as events finish.
func Run(ctx context.Context, eng *engine.Engine, events []*event.Event, opts Options, onResult func(Result)) {
	parallelism := opts.Parallelism
	if parallelism < 1 {
		parallelism = 1
	}
	// Group by user, keeping input order within a group and ordering the
	// groups by their first event.
	var order []string
	groups := map[string][]int{}
	for i, ev := range events {
		k := UserKey(ev)
		if _, ok := groups[k]; !ok {
			order = append(order, k)
		}
		groups[k] = append(groups[k], i)
	}
	var mu sync.Mutex
	sem := make(chan struct{}, parallelism)
	var wg sync.WaitGroup
	for _, k := range order {
		idx := groups[k]
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			for _, i := range idx {
				ev := events[i]
				at, ok := ev.PublishedTime()
				if !ok {
					at = time.Now().UTC()
				}
				res := Result{Index: i, Event: ev, At: at}
				sel := eng.Select(ev)
				res.Disabled = sel.Disabled
				runFlows(ctx, eng, opts.Decide, sel.Flows, Trigger{Event: ev, Key: ev.UUID}, engine.Trigger{Event: ev, At: at}, &res)
				mu.Lock()
				onResult(res)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	// Schedule firings: one after another, after the events.
	for k, at := range opts.Instants {
		if ctx.Err() != nil {
			return
		}
		sel := eng.ScheduledAt(at)
		if len(sel.Flows) == 0 && len(sel.Disabled) == 0 {
			continue
		}
		res := Result{Index: len(events) + k, At: at, Disabled: sel.Disabled}
		runFlows(ctx, eng, opts.Decide, sel.Flows, Trigger{Key: engine.ScheduleKey(at)}, engine.Trigger{At: at}, &res)
		onResult(res)
	}
}

// runFlows runs the flows of one trigger, as Decide says.
func runFlows(ctx context.Context, eng *engine.Engine, decide Decide, flows []*compile.Flow, dt Trigger, et engine.Trigger, res *Result) {
	for _, f := range flows {
		if ctx.Err() != nil {
			break
		}
		t := et
		if decide != nil {
			d, err := decide(ctx, dt, f.Name)
			if err != nil {
				res.Err = err
				break
			}
			if d.Skip {
				continue
			}
			if d.Done != nil {
				res.Done = append(res.Done, *d.Done)
				continue
			}
			t.RunID, t.ResumedFrom = d.RunID, d.ResumedFrom
		}
		if r := eng.Run(ctx, f, t); r != nil {
			res.Runs = append(res.Runs, r)
		}
	}
}

// RunTrigger runs flows for one trigger that is neither an event nor a
// schedule instant — an http: request jml serve answers — as Run runs an
// event's: Decide per flow, in order. key is what the runs are recorded
// under (t.Key).
func RunTrigger(ctx context.Context, eng *engine.Engine, flows []*compile.Flow, t engine.Trigger, decide Decide) Result {
	res := Result{At: t.At}
	runFlows(ctx, eng, decide, flows, Trigger{Key: t.Key}, t, &res)
	return res
}
