package apply_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/jml-dev/jml/pkg/apply"
	"github.com/jml-dev/jml/pkg/history"
	"github.com/jml-dev/jml/pkg/plan"
)

// TestGuardrail: above the limit apply is refused unless allowed; the
// plan's blast radius says what it was checked against.
func TestGuardrail(t *testing.T) {
	tests := []struct {
		name     string
		users    int
		limit    int
		allow    bool
		wantErr  bool
		exceeded bool
	}{
		{"under", 3, 25, false, false, false},
		{"at the limit", 25, 25, false, false, false},
		{"over", 26, 25, false, true, true},
		{"over, allowed", 26, 25, true, false, true},
		{"no deprovisioning", 0, 0, false, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &plan.Plan{}
			if tt.users > 0 {
				p.Summary.BlastRadius = &plan.BlastRadius{Users: tt.users, Limit: 1}
			}
			err := apply.Guardrail(p, tt.limit, tt.allow)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err %v, want error %v", err, tt.wantErr)
			}
			if err != nil && !strings.Contains(err.Error(), "nothing was called") {
				t.Errorf("refusal %q does not say nothing was called", err)
			}
			if b := p.Summary.BlastRadius; b != nil && (b.Limit != tt.limit || b.Exceeded != tt.exceeded) {
				t.Errorf("blast radius %+v, want limit %d exceeded %v", b, tt.limit, tt.exceeded)
			}
		})
	}
}

const deactivation = `{"uuid":"e1","eventType":"user.lifecycle.deactivate","published":"2026-01-05T09:00:00Z","target":[{"id":"00u1","type":"User","alternateId":"jane@acme.com"}]}`

// resumeStore holds: e1/leaver halted then resumed to success; e1/notify
// failed; e2/leaver running (its process died); a schedule run halted; a
// dry-run run halted.
func resumeStore(t *testing.T) *history.Store {
	t.Helper()
	ctx := context.Background()
	s, err := history.Open(ctx, "sqlite://h.db", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	t0 := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	rows := []struct {
		row    history.RunRow
		status string
	}{
		{history.RunRow{ID: "run-a", Flow: "leaver", Event: "e1", EventJSON: deactivation, Mode: "apply"}, "halted"},
		{history.RunRow{ID: "run-a2", Flow: "leaver", Event: "e1", EventJSON: deactivation, Mode: "apply", ResumedFrom: "run-a"}, "success"},
		{history.RunRow{ID: "run-b", Flow: "notify", Event: "e1", EventJSON: deactivation, Mode: "apply"}, "failed"},
		{history.RunRow{ID: "run-c", Flow: "leaver", Event: "e2", EventJSON: strings.ReplaceAll(deactivation, "e1", "e2"), Mode: "apply"}, ""},
		{history.RunRow{ID: "run-d", Flow: "sweep", Event: "schedule@2026-01-05T02:00:00Z", Mode: "apply"}, "halted"},
		{history.RunRow{ID: "run-e", Flow: "leaver", Event: "e3", EventJSON: deactivation, Mode: "dry-run"}, "halted"},
	}
	for i, r := range rows {
		r.row.Status, r.row.StartedAt = history.StatusRunning, t0.Add(time.Duration(i)*time.Minute)
		if err := s.InsertRun(ctx, &r.row); err != nil {
			t.Fatal(err)
		}
		if r.status != "" {
			if err := s.FinishRun(ctx, r.row.ID, r.status, r.row.StartedAt.Add(time.Second), "", ""); err != nil {
				t.Fatal(err)
			}
		}
	}
	return s
}

// TestUnfinished: --all takes the latest apply run of each (event, flow)
// that did not finish.
func TestUnfinished(t *testing.T) {
	runs, err := apply.Unfinished(context.Background(), resumeStore(t), 0)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, r := range runs {
		ids = append(ids, r.ID)
	}
	if got := strings.Join(ids, " "); got != "run-d run-c run-b" {
		t.Errorf("unfinished %q, want run-d run-c run-b (newest first)", got)
	}
}

// TestResumable: a run named is resumed unless it, or a later attempt,
// finished, or it is not an apply run.
func TestResumable(t *testing.T) {
	s := resumeStore(t)
	tests := []struct {
		id, want, err string
	}{
		{"run-b", "run-b", ""},
		{"run-c", "run-c", ""},
		{"run-a", "", "run run-a was already resumed: run run-a2 finished it (success)"},
		{"run-a2", "", "run run-a2 finished (success): nothing to resume"},
		{"run-e", "", "run run-e is a dry-run run: only apply runs can be resumed"},
		{"run-zz", "", "no such run"},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			r, err := apply.Resumable(context.Background(), s, tt.id)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil || r.ID != tt.want {
				t.Fatalf("run %v, err %v; want %s", r, err, tt.want)
			}
		})
	}
}

// TestPrepareResume: each event and instant once, the runs keyed by
// trigger and flow; a flow no longer in the repository refuses.
func TestPrepareResume(t *testing.T) {
	runs, err := apply.Unfinished(context.Background(), resumeStore(t), 0)
	if err != nil {
		t.Fatal(err)
	}
	all := func(string) bool { return true }
	r, err := apply.PrepareResume(runs, all)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Events) != 2 || r.Events[0].UUID != "e2" || r.Events[1].UUID != "e1" {
		t.Errorf("events %v, want e2 then e1", r.Events)
	}
	if len(r.Instants) != 1 || !r.Instants[0].Equal(time.Date(2026, 1, 5, 2, 0, 0, 0, time.UTC)) {
		t.Errorf("instants %v", r.Instants)
	}
	if len(r.Runs) != 3 || r.Runs["e1\x00notify"].ID != "run-b" || r.Runs["schedule@2026-01-05T02:00:00Z\x00sweep"].ID != "run-d" {
		t.Errorf("runs %v", r.Runs)
	}
	_, err = apply.PrepareResume(runs, func(f string) bool { return f != "sweep" })
	if err == nil || !strings.Contains(err.Error(), `flow "sweep" is no longer in the repository`) {
		t.Errorf("a gone flow: %v", err)
	}
}
