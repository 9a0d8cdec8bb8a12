package history

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jml-dev/jml/pkg/history/historytest"
)

// backends opens a fresh, empty store on every back end available: a
// SQLite file always, and PostgreSQL when JML_TEST_POSTGRES_URL names a
// server (.ci/run always starts one), in a schema of its own per test.
func backends(t *testing.T) map[string]func(t *testing.T) *Store {
	return map[string]func(t *testing.T) *Store{
		"sqlite": func(t *testing.T) *Store {
			s, err := Open(context.Background(), "sqlite://"+filepath.Join(t.TempDir(), "h.db"), "")
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			return s
		},
		"postgres": func(t *testing.T) *Store {
			return postgresStore(t)
		},
	}
}

func postgresStore(t *testing.T) *Store {
	t.Helper()
	s, err := Open(context.Background(), postgresURL(t), "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// postgresURL is historytest.PostgresURL.
func postgresURL(t *testing.T) string { t.Helper(); return historytest.PostgresURL(t) }

// forEachBackend runs the test on every back end.
func forEachBackend(t *testing.T, test func(t *testing.T, s *Store)) {
	for name, open := range backends(t) {
		t.Run(name, func(t *testing.T) { test(t, open(t)) })
	}
}

var t0 = time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)

func run(id, flow, ev, user, status string, at time.Time) *RunRow {
	return &RunRow{ID: id, Flow: flow, Event: ev, EventType: "user.lifecycle.deactivate", User: user, UserID: "00u-" + user,
		Mode: "apply", Status: status, StartedAt: at, EndedAt: at.Add(time.Second)}
}

func TestMigrationsApplyOnce(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		if err := s.migrate(ctx); err != nil { // a second time: nothing to do
			t.Fatal(err)
		}
		v, err := s.Version(ctx)
		if err != nil || v != len(migrations) {
			t.Fatalf("version %d, %v; want %d", v, err, len(migrations))
		}
	})
}

func TestRunsListFilterAndShow(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		rows := []*RunRow{
			run("run-a", "leaver", "e1", "jane@acme.com", "success", t0),
			run("run-b", "leaver", "e2", "bob@acme.com", "halted", t0.Add(time.Hour)),
			run("run-c", "mover", "e3", "jane@acme.com", "failed", t0.Add(2*time.Hour)),
			run("run-d", "leaver", "e4", "Jane@Acme.com", "success", t0.Add(3*time.Hour)),
		}
		rows[3].Mode = "dry-run"
		for _, r := range rows {
			if err := s.InsertRun(ctx, r); err != nil {
				t.Fatal(err)
			}
		}
		tests := []struct {
			name string
			f    Filter
			want string
		}{
			{"all, newest first", Filter{}, "run-d run-c run-b run-a"},
			{"flow", Filter{Flow: "leaver"}, "run-d run-b run-a"},
			{"status", Filter{Status: "success"}, "run-d run-a"},
			{"event", Filter{Event: "e2"}, "run-b"},
			{"user, any case", Filter{User: "jane@acme.com"}, "run-d run-c run-a"},
			{"user by Okta id", Filter{User: "00u-bob@acme.com"}, "run-b"},
			{"since", Filter{Since: t0.Add(90 * time.Minute)}, "run-d run-c"},
			{"mode", Filter{Mode: "apply"}, "run-c run-b run-a"},
			{"limit", Filter{Limit: 2}, "run-d run-c"},
		}
		for _, tt := range tests {
			got, err := s.Runs(ctx, tt.f)
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, r := range got {
				ids = append(ids, r.ID)
			}
			if strings.Join(ids, " ") != tt.want {
				t.Errorf("%s: got %v, want %s", tt.name, ids, tt.want)
			}
		}
		r, err := s.Run(ctx, "run-b")
		if err != nil || r.User != "bob@acme.com" || !r.StartedAt.Equal(t0.Add(time.Hour)) || r.Status != "halted" {
			t.Fatalf("Run(run-b) = %+v, %v", r, err)
		}
		if r, err := s.Run(ctx, "run-c"[:5]); err != nil || r.ID != "run-c" {
			t.Fatalf("by prefix: %+v, %v", r, err)
		}
		if _, err := s.Run(ctx, "run-"); err == nil || !strings.Contains(err.Error(), "more than one") {
			t.Fatalf("ambiguous prefix: %v", err)
		}
		if _, err := s.Run(ctx, "nope"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("unknown run: %v", err)
		}
		if l, err := s.Latest(ctx, "e1", "leaver", "apply"); err != nil || l == nil || l.ID != "run-a" {
			t.Fatalf("Latest = %+v, %v", l, err)
		}
		if l, err := s.Latest(ctx, "e1", "mover", "apply"); err != nil || l != nil {
			t.Fatalf("Latest of no run = %+v, %v", l, err)
		}
	})
}

func TestJournalAndReuseChain(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		first := run("run-1", "leaver", "e1", "jane@acme.com", StatusRunning, t0)
		if err := s.InsertRun(ctx, first); err != nil {
			t.Fatal(err)
		}
		calls := []*CallRow{
			{RunID: "run-1", Seq: 1, Card: "steps[0]", Action: "okta.clearUserSessions", Attempt: 1, IdempotencyKey: "k0", Input: `{}`, Status: CallPending, StartedAt: t0},
			{RunID: "run-1", Seq: 2, Card: "steps[1]", Action: "itsm.createRecord", Attempt: 1, IdempotencyKey: "k1", Input: `{}`, Status: CallPending, StartedAt: t0},
			{RunID: "run-1", Seq: 3, Card: "steps[2]", Action: "slack.deactivateUser", Attempt: 1, IdempotencyKey: "k2", Input: `{}`, Status: CallPending, StartedAt: t0},
		}
		for _, c := range calls {
			if err := s.BeginCall(ctx, c); err != nil {
				t.Fatal(err)
			}
		}
		calls[0].Status, calls[0].Output, calls[0].Duration = CallSuccess, `{}`, 3*time.Millisecond
		calls[1].Status, calls[1].Output = CallSuccess, `{"number":"SCTASK1"}`
		calls[2].Status, calls[2].Error = CallFailed, `{"status":500}`
		for _, c := range calls {
			if err := s.EndCall(ctx, c); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.FinishRun(ctx, "run-1", "halted", t0.Add(time.Second), `{"message":"x"}`, `{}`); err != nil {
			t.Fatal(err)
		}
		got, err := s.Calls(ctx, "run-1")
		if err != nil || len(got) != 3 || got[0].Duration != 3*time.Millisecond || got[2].Status != CallFailed {
			t.Fatalf("Calls = %+v, %v", got, err)
		}

		id, err := s.NewRunID(ctx, "run-1")
		if err != nil || id != "run-1-2" {
			t.Fatalf("NewRunID = %s, %v", id, err)
		}
		second := run(id, "leaver", "e1", "jane@acme.com", "halted", t0.Add(time.Minute))
		second.ResumedFrom = "run-1"
		if err := s.InsertRun(ctx, second); err != nil {
			t.Fatal(err)
		}
		s.BeginCall(ctx, &CallRow{RunID: id, Seq: 1, Card: "steps[0]", Action: "okta.clearUserSessions", Attempt: 1, Input: `{}`, Status: CallReused, Output: `{}`, ReusedFrom: "run-1", StartedAt: t0})
		s.BeginCall(ctx, &CallRow{RunID: id, Seq: 2, Card: "steps[2]", Action: "slack.deactivateUser", Attempt: 1, Input: `{}`, Status: CallSuccess, Output: `{"ok":true}`, StartedAt: t0})
		done, err := s.Reusable(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]Done{
			"steps[0]": {Action: "okta.clearUserSessions", Output: `{}`, RunID: "run-1"},
			"steps[1]": {Action: "itsm.createRecord", Output: `{"number":"SCTASK1"}`, RunID: "run-1"},
			"steps[2]": {Action: "slack.deactivateUser", Output: `{"ok":true}`, RunID: id},
		}
		if fmt.Sprint(done) != fmt.Sprint(want) {
			t.Fatalf("Reusable =\n%v\nwant\n%v", done, want)
		}
		if id, _ := s.NewRunID(ctx, "run-1"); id != "run-1-3" {
			t.Fatalf("third id %s", id)
		}
	})
}

func TestPrune(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		for i, at := range []time.Time{t0, t0.Add(24 * time.Hour), t0.Add(48 * time.Hour)} {
			id := fmt.Sprintf("run-%d", i)
			s.InsertRun(ctx, run(id, "leaver", "e", "u", "success", at))
			s.BeginCall(ctx, &CallRow{RunID: id, Seq: 1, Card: "c", Action: "a.b", Attempt: 1, Input: "{}", Status: CallSuccess, StartedAt: at})
		}
		n, err := s.Prune(ctx, t0.Add(36*time.Hour))
		if err != nil || n != 2 {
			t.Fatalf("pruned %d, %v; want 2", n, err)
		}
		left, _ := s.Runs(ctx, Filter{})
		if len(left) != 1 || left[0].ID != "run-2" {
			t.Fatalf("left %v", left)
		}
		if c, _ := s.Calls(ctx, "run-0"); len(c) != 0 {
			t.Fatalf("the journal of a pruned run is left: %v", c)
		}
	})
}

// TestConcurrentWriters: parallel runs journaling at once lose nothing.
func TestConcurrentWriters(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		const runs, calls = 16, 20
		var wg sync.WaitGroup
		errs := make(chan error, runs)
		for i := 0; i < runs; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				id := fmt.Sprintf("run-%02d", i)
				if err := s.InsertRun(ctx, run(id, "leaver", id, "u", StatusRunning, t0)); err != nil {
					errs <- err
					return
				}
				for j := 1; j <= calls; j++ {
					c := &CallRow{RunID: id, Seq: j, Card: fmt.Sprint(j), Action: "a.b", Attempt: 1, Input: "{}", Status: CallPending, StartedAt: t0}
					if err := s.BeginCall(ctx, c); err != nil {
						errs <- err
						return
					}
					c.Status = CallSuccess
					if err := s.EndCall(ctx, c); err != nil {
						errs <- err
						return
					}
				}
				errs <- s.FinishRun(ctx, id, "success", t0, "", "{}")
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		all, _ := s.Runs(ctx, Filter{Status: "success"})
		if len(all) != runs {
			t.Fatalf("%d runs recorded, want %d", len(all), runs)
		}
		for _, r := range all {
			c, _ := s.Calls(ctx, r.ID)
			if len(c) != calls || c[calls-1].Status != CallSuccess {
				t.Fatalf("run %s: %d calls", r.ID, len(c))
			}
		}
	})
}

func TestOpenErrors(t *testing.T) {
	ctx := context.Background()
	for _, tt := range []struct{ url, want string }{
		{"mysql://x", "use sqlite://PATH or postgres://"},
		{"sqlite://", "names no file"},
		{"postgres://u:hunter2@127.0.0.1:1/x?connect_timeout=1", "u:***@127.0.0.1"},
	} {
		_, err := Open(ctx, tt.url, t.TempDir())
		if err == nil || !strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), "hunter2") {
			t.Errorf("Open(%s) = %v, want an error saying %q and no password", tt.url, err, tt.want)
		}
	}
	// A relative sqlite path is relative to the base directory.
	dir := t.TempDir()
	s, err := Open(ctx, "sqlite://.jml/h.db", dir)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	if _, err := os.Stat(filepath.Join(dir, ".jml/h.db")); err != nil {
		t.Fatal(err)
	}
}

// TestRunByPrefix: a run is found by a unique prefix of its id, in byte
// order whatever the database's collation (PostgreSQL's en_US sorts "-"
// and case loosely), and a prefix two runs share is ambiguous.
func TestRunByPrefix(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		for _, id := range []string{"run-ab12", "run-ab12-2", "run-ab1z", "run-AB99", "run-ab3", "run-ab-3"} {
			if err := s.InsertRun(ctx, run(id, "leaver", "e-"+id, "u", "success", t0)); err != nil {
				t.Fatal(err)
			}
		}
		for _, tc := range []struct {
			prefix, want string
			err          error
		}{
			{"run-ab12", "run-ab12", nil}, // exact id, though run-ab12-2 shares it
			{"run-ab12-", "run-ab12-2", nil},
			{"run-ab1z", "run-ab1z", nil},
			{"run-ab1", "", ErrAmbiguous},
			{"run-AB", "run-AB99", nil}, // ids are case-sensitive
			{"run-ab3", "run-ab3", nil},
			{"run-ab-", "run-ab-3", nil},
			{"run-ab%", "", ErrNotFound}, // no pattern characters
			{"run-a_", "", ErrNotFound},
			{"run-zz", "", ErrNotFound},
		} {
			r, err := s.Run(ctx, tc.prefix)
			switch {
			case tc.err != nil && !errors.Is(err, tc.err):
				t.Errorf("Run(%q) = %v, %v; want %v", tc.prefix, r, err, tc.err)
			case tc.err == nil && (err != nil || r.ID != tc.want):
				t.Errorf("Run(%q) = %v, %v; want %s", tc.prefix, r, err, tc.want)
			}
		}
		if id, err := s.NewRunID(ctx, "run-ab12"); err != nil || id != "run-ab12-3" {
			t.Errorf("NewRunID(run-ab12) = %s, %v; want run-ab12-3", id, err)
		}
	})
}
