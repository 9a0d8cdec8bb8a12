package history

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"
)

// BenchmarkRecordRun: what recording one run costs on SQLite, one writer
// (no group commit to share a transaction): its insert, three calls
// (each begun, then ended), its end — seven transactions, each keeping
// the per-day totals (rollup.go) too. Compare with the same benchmark on
// a commit before them to see what they cost a write.
func BenchmarkRecordRun(b *testing.B) {
	ctx := context.Background()
	s, err := Open(ctx, "sqlite://"+filepath.Join(b.TempDir(), "h.db"), "")
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	at := time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)
	i := 0
	for b.Loop() {
		i++
		id := fmt.Sprintf("run-%08d", i)
		started := at.Add(time.Duration(i) * time.Minute)
		if err := s.InsertRun(ctx, &RunRow{ID: id, Flow: "leaver", Event: id, EventType: "user.lifecycle.deactivate", User: "jane", Mode: "apply", Status: StatusRunning, StartedAt: started}); err != nil {
			b.Fatal(err)
		}
		for seq, action := range []string{"okta.clearUserSessions", "slack.deactivateUser", "itsm.createRecord"} {
			c := &CallRow{RunID: id, Flow: "leaver", Seq: seq + 1, Card: fmt.Sprintf("steps[%d]", seq), Action: action, Attempt: 1, IdempotencyKey: "k", Input: "{}", Status: CallPending, StartedAt: started}
			if err := s.BeginCall(ctx, c); err != nil {
				b.Fatal(err)
			}
			c.Status, c.Output, c.Duration = CallSuccess, "{}", 100*time.Millisecond
			if err := s.EndCall(ctx, c); err != nil {
				b.Fatal(err)
			}
		}
		if err := s.FinishRun(ctx, id, "success", started.Add(time.Second), "", ""); err != nil {
			b.Fatal(err)
		}
	}
}
