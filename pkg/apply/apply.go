// Package apply carries out a replay for real: it checks the
// mass-deprovisioning guardrail before any call, then runs the events'
// flows through the real connectors — runs of different users
// concurrently, the events of one user in order, the cards of one run in
// order — and hands each event's runs back as they finish.
//
// apply depends on compile, engine and event; the CLI chooses the
// effector (connectors, or the sandbox through them) and renders.
package apply

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/jml-dev/jml/pkg/compile"
	"github.com/jml-dev/jml/pkg/engine"
	"github.com/jml-dev/jml/pkg/event"
)

// DefaultMaxDeprovisions is guardrails.maxDeprovisionsPerApply when
// jml.yaml does not set it.
const DefaultMaxDeprovisions = 25

// Guard is the outcome of the guardrail check.
type Guard struct {
	// Users are the distinct users (Okta id, else login) of the runs whose
	// flows can reach a deprovisioning action.
	Users []string
	Limit int
}

// Exceeded reports whether the guardrail refuses.
func (g Guard) Exceeded() bool { return len(g.Users) > g.Limit }

// Error is the refusal message.
func (g Guard) Error() string {
	return fmt.Sprintf("guardrail maxDeprovisionsPerApply: these events would deprovision %d distinct users, more than the limit of %d; nothing was called (use --allow-mass-deprovision if this is really intended)", len(g.Users), g.Limit)
}

// Check counts the distinct users the events would deprovision: it matches
// each event to flows (triggers and when: filters only, no call made) and
// keeps the user of each run whose flow can reach a deprovisioning action,
// through helpers too.
func Check(ctx context.Context, eng *engine.Engine, g *compile.Graph, events []*event.Event, limit int) Guard {
	users := map[string]bool{}
	for _, ev := range events {
		sel := eng.Select(ev)
		for _, f := range sel.Flows {
			if !g.CanDeprovision(f.Name) || !eng.Fires(ctx, f, engine.Trigger{Event: ev}) {
				continue
			}
			users[UserKey(ev)] = true
		}
	}
	out := make([]string, 0, len(users))
	for u := range users {
		out = append(out, u)
	}
	sort.Strings(out)
	return Guard{Users: out, Limit: limit}
}

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

// Result is one event and its runs.
type Result struct {
	Index    int
	Event    *event.Event
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

// Decide chooses, per (event, flow), whether to run, resume or skip.
type Decide func(ctx context.Context, ev *event.Event, flow string) (Decision, error)

// Options configure Run.
type Options struct {
	// Parallelism is how many users' runs go at once (at least 1).
	Parallelism int
	// Decide, when set, is asked before each flow of each event.
	Decide Decide
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
				res := Result{Index: i, Event: ev}
				sel := eng.Select(ev)
				res.Disabled = sel.Disabled
				for _, f := range sel.Flows {
					if ctx.Err() != nil {
						break
					}
					t := engine.Trigger{Event: ev, At: at}
					if opts.Decide != nil {
						d, err := opts.Decide(ctx, ev, f.Name)
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
				mu.Lock()
				onResult(res)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
}
