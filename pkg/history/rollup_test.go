package history

import (
	"context"
	"fmt"
	"math/rand"
	"reflect"
	"sort"
	"sync"
	"testing"
	"time"
)

// rollupRows reads a query's rows as strings, sorted: a table of totals,
// or the same totals aggregated from the runs and calls.
func rollupRows(t *testing.T, s *Store, query string) []string {
	t.Helper()
	res, err := s.db.QueryContext(context.Background(), query)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Close()
	cols, _ := res.Columns()
	out := []string{}
	for res.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := res.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		out = append(out, fmt.Sprint(vals))
	}
	if err := res.Err(); err != nil {
		t.Fatal(err)
	}
	sort.Strings(out)
	return out
}

// checkRollups compares each table of totals with the totals aggregated
// directly from the runs and calls, written out here on their own (not
// rollupFill's statements).
func checkRollups(t *testing.T, s *Store, when string) {
	t.Helper()
	pairs := []struct{ name, table, direct string }{
		{"runs per day",
			`SELECT day, status, CAST(runs AS BIGINT) FROM rollup_runs WHERE runs > 0`,
			`SELECT SUBSTR(started_at, 1, 10), status, CAST(COUNT(*) AS BIGINT) FROM runs GROUP BY SUBSTR(started_at, 1, 10), status`},
		{"card timings",
			`SELECT day, flow, card, action, CAST(calls AS BIGINT), CAST(sum_ns AS BIGINT), CAST(max_ns AS BIGINT) FROM rollup_cards`,
			`SELECT SUBSTR(started_at, 1, 10), flow, card, action, CAST(COUNT(*) AS BIGINT), CAST(SUM(duration_ns) AS BIGINT), CAST(MAX(duration_ns) AS BIGINT)
			FROM calls WHERE status = 'success' OR status = 'failed' GROUP BY SUBSTR(started_at, 1, 10), flow, card, action`},
		{"429s",
			`SELECT day, action, CAST(calls AS BIGINT), CAST(runs AS BIGINT), last FROM rollup_429`,
			`SELECT SUBSTR(started_at, 1, 10), action, CAST(COUNT(*) AS BIGINT), CAST(COUNT(DISTINCT run_id) AS BIGINT), MAX(started_at)
			FROM calls WHERE status = 'failed' AND error LIKE '%"status":429%' GROUP BY SUBSTR(started_at, 1, 10), action`},
	}
	for _, p := range pairs {
		got, want := rollupRows(t, s, p.table), rollupRows(t, s, p.direct)
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%s: %s:\n  totals %v\n  direct %v", when, p.name, got, want)
		}
	}
}

// TestRollupsMatchDirect: on both back ends, after random writes of runs
// and calls (status changes, outcomes rewritten, 429s, several writers
// group-committed together) and prunes, every table of per-day totals
// equals the same totals aggregated from the runs and calls; and the
// overview's reads over whole days (the totals) equal the same reads
// over the runs and calls.
func TestRollupsMatchDirect(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		rng := rand.New(rand.NewSource(16))
		base := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
		flows := []string{"leaver", "joiner"}
		runStatuses := []string{"success", "failed", "halted", "filtered", "skipped"}
		cards := []string{"steps[0]", "steps[1]#0/steps[1].do[0]", "steps[1]#1/steps[1].do[0]", "steps[2]"}
		actions := []string{"okta.clearUserSessions", "slack.deactivateUser", "itsm.createRecord"}
		// Two failures in three are 429s.
		errs := []string{"", `{"code":"server","message":"boom","retryable":true,"status":500}`, `{"code":"rate_limited","message":"slow down","retryable":true,"status":429}`,
			`{"code":"rate_limited","message":"slow down","retryable":true,"status":429}`}
		type callRef struct {
			c *CallRow
		}
		var runs []*RunRow
		var calls []callRef
		n := 0
		// A run: started within 6 days, some just before midnight so
		// that its calls start the day after.
		newRun := func() *RunRow {
			n++
			at := base.Add(time.Duration(rng.Intn(6*24)) * time.Hour).Add(time.Duration(rng.Intn(3600)) * time.Second)
			r := run(fmt.Sprintf("run-%03d", n), flows[rng.Intn(2)], fmt.Sprintf("e%d", n), "jane", StatusRunning, at)
			return r
		}
		newCall := func(r *RunRow, seq int) *CallRow {
			return &CallRow{RunID: r.ID, Flow: r.Flow, Seq: seq, Card: cards[rng.Intn(len(cards))], Action: actions[rng.Intn(len(actions))],
				Attempt: 1, IdempotencyKey: "k", Input: "{}", Status: CallPending,
				StartedAt: r.StartedAt.Add(time.Duration(rng.Intn(90)) * time.Minute)}
		}
		outcome := func(c *CallRow) {
			switch rng.Intn(4) {
			case 0, 1:
				c.Status, c.Error = CallSuccess, ""
			case 2:
				c.Status, c.Error = CallFailed, errs[1+rng.Intn(3)]
			case 3:
				c.Status, c.Error = CallReused, ""
			}
			c.Duration = time.Duration(1+rng.Intn(500)) * time.Millisecond
		}
		for round := range 8 {
			// Writers at once: each records runs, their calls and
			// outcomes, group-committed together.
			var mu sync.Mutex
			var wg sync.WaitGroup
			for w := range 4 {
				mu.Lock()
				todo := make([]*RunRow, 6)
				for i := range todo {
					todo[i] = newRun()
				}
				mu.Unlock()
				wg.Add(1)
				go func(w int, todo []*RunRow) {
					defer wg.Done()
					for _, r := range todo {
						if err := s.InsertRun(ctx, r); err != nil {
							t.Error(err)
							return
						}
						mu.Lock()
						k := 1 + rng.Intn(4)
						cs := make([]*CallRow, k)
						for i := range cs {
							cs[i] = newCall(r, i+1)
							if i > 0 && rng.Intn(2) == 0 {
								// A retry: the same card and action again.
								cs[i].Card, cs[i].Action = cs[i-1].Card, cs[i-1].Action
							}
						}
						mu.Unlock()
						for _, c := range cs {
							if err := s.BeginCall(ctx, c); err != nil {
								t.Error(err)
								return
							}
							mu.Lock()
							leave := rng.Intn(6) == 0 // some stay pending
							if !leave {
								outcome(c)
							}
							mu.Unlock()
							if !leave {
								if err := s.EndCall(ctx, c); err != nil {
									t.Error(err)
									return
								}
							}
						}
						mu.Lock()
						runs = append(runs, r)
						for _, c := range cs {
							calls = append(calls, callRef{c})
						}
						st := runStatuses[rng.Intn(len(runStatuses))]
						finish := rng.Intn(5) != 0 // some stay running
						mu.Unlock()
						if finish {
							if err := s.FinishRun(ctx, r.ID, st, r.StartedAt.Add(time.Minute), "", ""); err != nil {
								t.Error(err)
								return
							}
						}
					}
				}(w, todo)
			}
			wg.Wait()
			if t.Failed() {
				return
			}
			checkRollups(t, s, fmt.Sprintf("round %d, written", round))
			// Status changes: runs taken over, finished again; outcomes
			// rewritten (a timed call's duration and status change, which
			// takes its maximum out).
			for range 10 {
				r := runs[rng.Intn(len(runs))]
				if rng.Intn(2) == 0 {
					if err := s.MarkInterrupted(ctx, r.ID); err != nil {
						t.Fatal(err)
					}
				} else if err := s.FinishRun(ctx, r.ID, runStatuses[rng.Intn(len(runStatuses))], r.StartedAt, "", ""); err != nil && err.Error() != "run "+r.ID+" is not in the history" {
					t.Fatal(err)
				}
				c := calls[rng.Intn(len(calls))].c
				outcome(c)
				if err := s.EndCall(ctx, c); err != nil {
					t.Fatal(err)
				}
			}
			checkRollups(t, s, fmt.Sprintf("round %d, rewritten", round))
			if round%3 == 2 {
				// Prune at a time within a day, so that the day is
				// left in part.
				cut := base.Add(time.Duration(round/3) * 30 * time.Hour)
				if _, err := s.Prune(ctx, cut); err != nil {
					t.Fatal(err)
				}
				checkRollups(t, s, fmt.Sprintf("round %d, pruned before %s", round, cut.Format(time.RFC3339)))
			}
		}
		// The overview's reads: whole days (the totals) as over the
		// runs and calls (the same reads of a period a nanosecond
		// longer at each end, which the totals cannot answer, with no
		// row in those nanoseconds).
		from, to := base, base.AddDate(0, 0, 8)
		direct := func(from, to time.Time) (any, any, any) {
			d, err := s.RunsPerDay(ctx, from, to)
			if err != nil {
				t.Fatal(err)
			}
			c, err := s.SlowestCards(ctx, from, to, 100)
			if err != nil {
				t.Fatal(err)
			}
			l, err := s.RateLimited(ctx, from, to)
			if err != nil {
				t.Fatal(err)
			}
			return d, c, l
		}
		d1, c1, l1 := direct(from, to)
		d2, c2, l2 := direct(from.Add(-time.Nanosecond), to.Add(time.Nanosecond))
		if _, _, ok := wholeDays(from.Add(-time.Nanosecond), to); ok {
			t.Fatal("a period not of whole days read the totals")
		}
		if !reflect.DeepEqual(d1, d2) || !reflect.DeepEqual(c1, c2) || !reflect.DeepEqual(l1, l2) {
			t.Errorf("whole days read from the totals:\n %v\n %v\n %v\nfrom the runs and calls:\n %v\n %v\n %v", d1, c1, l1, d2, c2, l2)
		}
		if len(d1.([]DayCount)) == 0 || len(c1.([]CardTiming)) == 0 || len(l1.([]RateLimit)) == 0 {
			t.Errorf("nothing to compare: %v %v %v", d1, c1, l1)
		}
	})
}

// TestRollupMigration: a store written before migration 6 gets its
// totals filled from the runs and calls already there.
func TestRollupMigration(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		if err := s.InsertRun(ctx, run("run-1", "leaver", "e1", "jane", "failed", t0)); err != nil {
			t.Fatal(err)
		}
		c := &CallRow{RunID: "run-1", Flow: "leaver", Seq: 1, Card: "steps[0]", Action: "slack.deactivateUser", Attempt: 1, IdempotencyKey: "k", Input: "{}",
			Status: CallFailed, Error: `{"code":"rate_limited","status":429}`, StartedAt: t0, Duration: time.Second}
		if err := s.BeginCall(ctx, c); err != nil {
			t.Fatal(err)
		}
		// Back to schema version 5, its rows kept.
		for _, stmt := range []string{`DROP TABLE table_rows`, `ALTER TABLE runs DROP COLUMN workflow_run_id`, `ALTER TABLE runs DROP COLUMN workflow_id`, `DROP INDEX IF EXISTS runs_id_bytes`, `DROP TABLE rollup_runs`, `DROP TABLE rollup_cards`, `DROP TABLE rollup_429`, `DELETE FROM schema_migrations WHERE version >= 6`} {
			if _, err := s.db.ExecContext(ctx, stmt); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.migrate(ctx); err != nil {
			t.Fatal(err)
		}
		checkRollups(t, s, "migrated")
		if got := rollupRows(t, s, `SELECT day, status, CAST(runs AS BIGINT) FROM rollup_runs`); !reflect.DeepEqual(got, []string{"[2026-11-01 failed 1]"}) {
			t.Errorf("runs per day after the migration: %v", got)
		}
		if got := rollupRows(t, s, `SELECT action, CAST(calls AS BIGINT), CAST(runs AS BIGINT) FROM rollup_429`); !reflect.DeepEqual(got, []string{"[slack.deactivateUser 1 1]"}) {
			t.Errorf("429s after the migration: %v", got)
		}
	})
}
