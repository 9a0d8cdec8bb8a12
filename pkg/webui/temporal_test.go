package webui_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/jml-dev/jml/pkg/history"
	"github.com/jml-dev/jml/pkg/webui"
)

// TestTemporalRuns: a run a Temporal workflow ran is listed and shown like
// any run, marked and naming its workflow; one its workflow is still
// running says so instead of offering jml resume.
func TestTemporalRuns(t *testing.T) {
	ctx := context.Background()
	s, err := history.Open(ctx, "sqlite://"+filepath.Join(t.TempDir(), "h.db"), "")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	at := time.Now().UTC().Add(-time.Hour)
	for _, r := range []*history.RunRow{
		{ID: "run-halted", Flow: "leaver", Event: "ev-1", EventType: "user.lifecycle.deactivate", Mode: "apply", Status: "halted", StartedAt: at, EndedAt: at.Add(time.Second),
			WorkflowID: "jml/ev-1/leaver", WorkflowRunID: "wr-1"},
		{ID: "run-running", Flow: "leaver", Event: "ev-2", EventType: "user.lifecycle.deactivate", Mode: "apply", Status: history.StatusRunning, StartedAt: at,
			WorkflowID: "jml/ev-2/leaver", WorkflowRunID: "wr-2"},
		{ID: "run-local", Flow: "leaver", Event: "ev-3", EventType: "user.lifecycle.deactivate", Mode: "apply", Status: history.StatusRunning, StartedAt: at},
	} {
		if err := s.InsertRun(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	h, err := webui.New(s, webui.Options{})
	if err != nil {
		t.Fatal(err)
	}
	body := page(t, h, "/runs")
	has(t, "runs", body, `run-halted</a> <span class="temporal" title="Temporal workflow jml/ev-1/leaver">temporal</span>`,
		`run-running</a> <span class="temporal" title="Temporal workflow jml/ev-2/leaver">temporal</span>`)
	hasNot(t, "runs", body, `run-local</a> <span class="temporal"`)

	body = page(t, h, "/runs/run-halted")
	has(t, "the halted run", body, `<dd id="workflow">workflow <code>jml/ev-1/leaver</code> (run <code>wr-1</code>)</dd>`, `jml resume run-halted`)
	body = page(t, h, "/runs/run-running")
	has(t, "the running run", body, "This run is running on Temporal: its workflow jml/ev-2/leaver continues it, not jml resume.")
	hasNot(t, "the running run", body, "jml resume run-running")
	body = page(t, h, "/runs/run-local")
	has(t, "a local running run", body, "jml resume run-local continues it")
	hasNot(t, "a local running run", body, `id="workflow"`)
}
