package cli

import (
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/jml-dev/jml/pkg/apply"
	"github.com/jml-dev/jml/pkg/engine"
	"github.com/jml-dev/jml/pkg/event"
	"github.com/jml-dev/jml/pkg/view"
)

// recordingRenderer keeps the events it is handed, in order.
type recordingRenderer struct {
	events []string
	ended  bool
}

func (r *recordingRenderer) Event(ev view.TraceEvent) error {
	r.events = append(r.events, ev.UUID)
	return nil
}
func (r *recordingRenderer) End(view.TraceSummary) error { r.ended = true; return nil }
func (r *recordingRenderer) Close() error                { return nil }

// TestApplyOutputOrder: results that finish in any order are rendered in
// input order — streamed, each as soon as every earlier one is in; held
// to the end on a terminal with the progress line. A schedule minute that
// fired nothing (never reported) does not hold back what follows.
func TestApplyOutputOrder(t *testing.T) {
	at := time.Date(2026, 1, 5, 2, 0, 0, 0, time.UTC)
	result := func(i int) apply.Result {
		ev := &event.Event{UUID: fmt.Sprintf("0000000%d-0000-4000-8000-000000000000", i), EventType: "user.lifecycle.deactivate", Published: "2024-03-01T09:00:00.000Z"}
		return apply.Result{Index: i, Event: ev, At: at, Runs: []*engine.Run{{Flow: "leaver", Status: engine.StatusSuccess}}}
	}
	uuid := func(i int) string { return fmt.Sprintf("0000000%d-0000-4000-8000-000000000000", i) }
	// Four events finish as 2, 0, 3, 1; index 4 is a schedule minute
	// that fired nothing, 5 one whose run halted.
	steps := []struct {
		add      apply.Result
		streamed []string // rendered so far when streaming
	}{
		{result(2), nil},
		{result(0), []string{uuid(0)}},
		{result(3), []string{uuid(0)}},
		{result(1), []string{uuid(0), uuid(1), uuid(2), uuid(3)}},
		{apply.Result{Index: 5, At: at, Runs: []*engine.Run{{Flow: "sweep", Status: engine.StatusHalted}}}, []string{uuid(0), uuid(1), uuid(2), uuid(3)}},
	}
	all := []string{uuid(0), uuid(1), uuid(2), uuid(3), "schedule@" + at.Format(time.RFC3339)}
	for _, stream := range []bool{true, false} {
		t.Run(fmt.Sprintf("stream=%v", stream), func(t *testing.T) {
			r := &recordingRenderer{}
			a := &applyOutput{r: r, stream: stream, results: make([]apply.Result, 6), filled: make([]bool, 6),
				t: &view.Trace{Summary: view.TraceSummary{ByStatus: map[engine.Status]int{}}}}
			for k, s := range steps {
				a.add(s.add)
				want := s.streamed
				if !stream {
					want = nil
				}
				if !reflect.DeepEqual(r.events, want) {
					t.Fatalf("after result %d (step %d): rendered %v, want %v", s.add.Index, k, r.events, want)
				}
			}
			a.flush(true)
			if !reflect.DeepEqual(r.events, all) {
				t.Fatalf("at the end: rendered %v, want %v", r.events, all)
			}
			if !a.bad || a.t.Summary.Events != 4 || a.t.Summary.Runs != 5 || a.t.Summary.ByStatus[engine.StatusHalted] != 1 {
				t.Errorf("bad=%v summary=%+v, want bad, 4 events, 5 runs, one halted", a.bad, a.t.Summary)
			}
		})
	}
}
