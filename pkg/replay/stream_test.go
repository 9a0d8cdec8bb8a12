package replay

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
	"weak"

	"github.com/jml-dev/jml/pkg/engine"
	"github.com/jml-dev/jml/pkg/event"
	"github.com/jml-dev/jml/pkg/plan"
)

// countingSink hears a plan and keeps nothing but counts.
type countingSink struct{ begun, events, ended int }

func (s *countingSink) Begin(string, map[string]string) error { s.begun++; return nil }
func (s *countingSink) Event(plan.Event) error                { s.events++; return nil }
func (s *countingSink) End(plan.Summary) error                { s.ended++; return nil }

// TestStreamingPlannerKeepsNoEvent: once a streaming planner has handed an
// event to its sinks, nothing of it stays reachable — not the event, not
// its runs' values — so memory is flat in the number of events (SPEC
// §11); only the summary's counts remain. The collecting planner, the
// control, keeps every run's values. Asserted on the heap, after a
// collection: no timing.
func TestStreamingPlannerKeepsNoEvent(t *testing.T) {
	p := load(t, "../../flows")
	const n = 500
	for _, collect := range []bool{false, true} {
		t.Run(fmt.Sprintf("collect=%v", collect), func(t *testing.T) {
			var sink countingSink
			pl := NewStreamingPlanner(p.Graph, "sha256:x", nil, &sink)
			if collect {
				pl = NewPlanner(p.Graph, "sha256:x", nil)
			}
			var events []weak.Pointer[event.Event]
			var errs []weak.Pointer[engine.ErrorInfo]
			for i := 0; i < n; i++ {
				ev := &event.Event{UUID: fmt.Sprintf("k-%04d", i), EventType: "user.lifecycle.deactivate",
					Raw: map[string]any{"uuid": fmt.Sprintf("k-%04d", i), "pad": strings.Repeat("x", 1000)}}
				e := &engine.ErrorInfo{Card: "c", Message: strings.Repeat("y", 1000)}
				events, errs = append(events, weak.Make(ev)), append(errs, weak.Make(e))
				if err := pl.Add(Result{Event: ev, Runs: []*engine.Run{{Flow: "leaver", Status: engine.StatusFailed, Error: e}}}); err != nil {
					t.Fatal(err)
				}
			}
			whole, err := pl.End(Stats{})
			if err != nil {
				t.Fatal(err)
			}
			runtime.GC()
			liveEvents, liveErrs := 0, 0
			for i := range events {
				if events[i].Value() != nil {
					liveEvents++
				}
				if errs[i].Value() != nil {
					liveErrs++
				}
			}
			s := whole.Summary
			if s.Events != n || s.Runs != n || s.ByStatus[engine.StatusFailed] != n {
				t.Errorf("summary %+v", s)
			}
			if collect {
				if len(whole.Events) != n || liveErrs != n {
					t.Errorf("the collecting planner holds %d events, %d errors alive; want %d", len(whole.Events), liveErrs, n)
				}
			} else {
				if sink.begun != 1 || sink.events != n || sink.ended != 1 || len(whole.Events) != 0 {
					t.Errorf("sink heard begin %d, events %d, end %d; plan holds %d events", sink.begun, sink.events, sink.ended, len(whole.Events))
				}
				if liveEvents != 0 || liveErrs != 0 {
					t.Errorf("after the plan ended, %d events and %d run errors of %d are still reachable", liveEvents, liveErrs, n)
				}
			}
			runtime.KeepAlive(pl)
			runtime.KeepAlive(whole)
		})
	}
}
