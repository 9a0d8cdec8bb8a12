package view

import (
	"reflect"
	"strings"
	"testing"

	"github.com/jml-dev/jml/pkg/engine"
)

// TestTraceSummaryAdd: the one count of dry-run, apply and resume — what
// each trigger adds to the summary, and whether it fails the command.
func TestTraceSummaryAdd(t *testing.T) {
	run := func(flow string, s engine.Status) *engine.Run { return &engine.Run{Flow: flow, Status: s} }
	tests := []struct {
		name    string
		ev      TraceEvent
		isEvent bool
		failed  bool
		want    TraceSummary
	}{
		{"no run", NewTraceEvent("u1", "user.lifecycle.create", "", nil, nil), true, false,
			TraceSummary{Events: 1, ByStatus: map[engine.Status]int{}}},
		{"success and filtered", NewTraceEvent("u1", "t", "", []*engine.Run{run("a", engine.StatusSuccess), run("b", engine.StatusFiltered)}, nil), true, false,
			TraceSummary{Events: 1, Runs: 2, ByStatus: map[engine.Status]int{engine.StatusSuccess: 1, engine.StatusFiltered: 1}}},
		{"halted", NewTraceEvent("u1", "t", "", []*engine.Run{run("a", engine.StatusHalted)}, nil), true, true,
			TraceSummary{Events: 1, Runs: 1, ByStatus: map[engine.Status]int{engine.StatusHalted: 1}}},
		{"failed", NewTraceEvent("u1", "t", "", []*engine.Run{run("a", engine.StatusSuccess), run("b", engine.StatusFailed)}, nil), true, true,
			TraceSummary{Events: 1, Runs: 2, ByStatus: map[engine.Status]int{engine.StatusSuccess: 1, engine.StatusFailed: 1}}},
		{"schedule firing is not an event", NewTraceEvent("schedule@x", "schedule", "", []*engine.Run{run("sweep", engine.StatusSuccess)}, nil), false, false,
			TraceSummary{Runs: 1, ByStatus: map[engine.Status]int{engine.StatusSuccess: 1}}},
		{"not decided", TraceEvent{UUID: "u1", Error: "reading the history: locked"}, true, true,
			TraceSummary{Events: 1, ByStatus: map[engine.Status]int{}}},
		{"already done", TraceEvent{UUID: "u1", AlreadyDone: []DoneRun{{Flow: "a"}, {Flow: "b"}}}, true, false,
			TraceSummary{Events: 1, AlreadyDone: 2, ByStatus: map[engine.Status]int{}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var s TraceSummary
			if got := s.Add(tt.ev, tt.isEvent); got != tt.failed {
				t.Errorf("failed = %v, want %v", got, tt.failed)
			}
			s.flows = nil // compared through ApplySummary below
			if !reflect.DeepEqual(s, tt.want) {
				t.Errorf("summary %+v, want %+v", s, tt.want)
			}
		})
	}
}

// TestApplySummaryTable: the table after an apply counts per flow as the
// summary counted, without the trace being kept.
func TestApplySummaryTable(t *testing.T) {
	var s TraceSummary
	s.Add(NewTraceEvent("u1", "t", "", []*engine.Run{{Flow: "leaver", Status: engine.StatusSuccess}, {Flow: "notify", Status: engine.StatusHalted}}, nil), true)
	s.Add(NewTraceEvent("u2", "t", "", []*engine.Run{{Flow: "leaver", Status: engine.StatusFailed}}, nil), true)
	s.Add(TraceEvent{UUID: "u3", AlreadyDone: []DoneRun{{Flow: "leaver"}}}, true)
	var b strings.Builder
	ApplySummary(&b, &s, Styles{})
	got := strings.Fields(strings.ReplaceAll(b.String(), "\n", " | "))
	want := strings.Fields("| flow runs success filtered halted failed already done | leaver 2 1 0 0 1 1 | notify 1 0 0 1 0 0 |")
	if !reflect.DeepEqual(got, want) {
		t.Errorf("table:\n%s", b.String())
	}
	var empty strings.Builder
	ApplySummary(&empty, &TraceSummary{}, Styles{})
	if empty.Len() != 0 {
		t.Errorf("an apply without runs printed %q", empty.String())
	}
}
