package view

import (
	"strings"
	"testing"
	"time"

	"github.com/jml-dev/jml/pkg/history"
)

// TestHistoryOfTemporalRuns: a run a Temporal workflow ran is listed and
// shown like a local one, marked (temporal) and naming its workflow; one
// its workflow is still running says so rather than offer a resume.
func TestHistoryOfTemporalRuns(t *testing.T) {
	at := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	local := &history.RunRow{ID: "run-local", Flow: "leaver", Event: "ev-1", EventType: "user.lifecycle.deactivate", User: "jane@acme.com", UserID: "00ujane",
		Mode: "apply", Status: "halted", StartedAt: at, EndedAt: at.Add(2 * time.Second)}
	halted := *local
	halted.ID, halted.WorkflowID, halted.WorkflowRunID = "run-temporal", "jml/ev-1/leaver", "0b9e-run"
	running := halted
	running.ID, running.Event, running.Status, running.EndedAt = "run-running", "ev-2", history.StatusRunning, time.Time{}
	running.WorkflowID = "jml/ev-2/leaver"
	calls := []*history.CallRow{{RunID: "run-running", Seq: 1, Card: "steps[0]", Action: "okta.getUser", Attempt: 1, Input: `{"userId":"00ujane"}`, Status: history.CallPending, StartedAt: at}}

	var b strings.Builder
	HistoryList(&b, []*history.RunRow{&running, &halted, local}, Styles{})
	b.WriteString("\n")
	HistoryShow(&b, &halted, nil, Styles{})
	b.WriteString("\n")
	HistoryShow(&b, &running, calls, Styles{})
	golden(t, "history-temporal", b.String())
}
