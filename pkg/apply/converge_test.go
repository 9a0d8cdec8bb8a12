package apply_test

import (
	"context"
	"testing"
	"time"

	"github.com/jml-dev/jml/pkg/apply"
	"github.com/jml-dev/jml/pkg/history"
)

// TestResumeRereadsUnderTheLock: jml resume picks its runs before it holds
// the apply lock; a run another apply finished in between is reported
// done, not resumed from the stale row (its calls would be made again).
func TestResumeRereadsUnderTheLock(t *testing.T) {
	ctx := context.Background()
	s, err := history.Open(ctx, "sqlite://h.db", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	t0 := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	halted := &history.RunRow{ID: "run-a", Flow: "leaver", Event: "e1", Mode: "apply", Status: history.StatusRunning, StartedAt: t0}
	if err := s.InsertRun(ctx, halted); err != nil {
		t.Fatal(err)
	}
	if err := s.FinishRun(ctx, "run-a", "halted", t0.Add(time.Second), "", ""); err != nil {
		t.Fatal(err)
	}
	picked, err := s.Run(ctx, "run-a")
	if err != nil {
		t.Fatal(err)
	}
	// Another apply resumes it to success before this resume holds the lock.
	if err := s.InsertRun(ctx, &history.RunRow{ID: "run-a-2", Flow: "leaver", Event: "e1", Mode: "apply", Status: history.StatusRunning, StartedAt: t0.Add(time.Minute), ResumedFrom: "run-a"}); err != nil {
		t.Fatal(err)
	}
	if err := s.FinishRun(ctx, "run-a-2", "success", t0.Add(2*time.Minute), "", ""); err != nil {
		t.Fatal(err)
	}
	rec := history.NewRecorder(s, nil, nil, "sha256:x")
	decide := apply.Resume(s, rec, map[string]*history.RunRow{"e1\x00leaver": picked})
	d, err := decide(ctx, apply.Trigger{Key: "e1"}, "leaver")
	if err != nil {
		t.Fatal(err)
	}
	if d.Done == nil || d.Done.RunID != "run-a-2" || d.RunID != "" {
		t.Fatalf("decision %+v, want done by run-a-2", d)
	}
}
