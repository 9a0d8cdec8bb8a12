package history

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/jml-dev/jml/pkg/effect"
	"github.com/jml-dev/jml/pkg/verify"
)

func runIDs(rows []*RunRow) string {
	var out []string
	for _, r := range rows {
		out = append(out, r.ID)
	}
	return strings.Join(out, " ")
}

// TestRunPageFilters: every filter of the web view's listing, alone, on
// both back ends; and the counts by status under the same filters.
func TestRunPageFilters(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		rows := []*RunRow{
			run("run-a", "leaver", "e1", "jane@acme.com", "success", t0),
			run("run-b", "leaver", "e2", "bob@acme.com", "halted", t0.Add(time.Hour)),
			run("run-c", "mover", "e3", "jane@acme.com", "failed", t0.Add(2*time.Hour)),
			run("run-d", "leaver", "e4", "Jane@Acme.com", "success", t0.Add(3*time.Hour)),
		}
		rows[2].EventType = "user.account.update_profile"
		rows[3].EventJSON, rows[3].Trace = `{"uuid":"e4"}`, `{"id":"run-d"}`
		for _, r := range rows {
			if err := s.InsertRun(ctx, r); err != nil {
				t.Fatal(err)
			}
		}
		tests := []struct {
			name   string
			q      RunQuery
			want   string
			counts map[string]int
		}{
			{"all", RunQuery{}, "run-d run-c run-b run-a", map[string]int{"success": 2, "halted": 1, "failed": 1}},
			{"flow", RunQuery{Flow: "leaver"}, "run-d run-b run-a", map[string]int{"success": 2, "halted": 1}},
			{"status (the counts ignore it)", RunQuery{Status: "success"}, "run-d run-a", map[string]int{"success": 2, "halted": 1, "failed": 1}},
			{"event type", RunQuery{Event: "user.account.update_profile"}, "run-c", map[string]int{"failed": 1}},
			{"event uuid", RunQuery{Event: "e2"}, "run-b", map[string]int{"halted": 1}},
			{"user, any case", RunQuery{User: "JANE@acme.com"}, "run-d run-c run-a", map[string]int{"success": 2, "failed": 1}},
			{"user by Okta id", RunQuery{User: "00u-bob@acme.com"}, "run-b", map[string]int{"halted": 1}},
			{"from", RunQuery{From: t0.Add(time.Hour)}, "run-d run-c run-b", map[string]int{"success": 1, "halted": 1, "failed": 1}},
			{"to (excluded)", RunQuery{To: t0.Add(2 * time.Hour)}, "run-b run-a", map[string]int{"success": 1, "halted": 1}},
			{"flow, user and range", RunQuery{Flow: "leaver", User: "jane@acme.com", From: t0, To: t0.Add(time.Hour)}, "run-a", map[string]int{"success": 1}},
			{"nothing", RunQuery{Flow: "joiner"}, "", map[string]int{}},
		}
		for _, tt := range tests {
			got, next, err := s.RunPage(ctx, tt.q)
			if err != nil {
				t.Fatal(err)
			}
			if runIDs(got) != tt.want || !next.IsZero() {
				t.Errorf("%s: got %q (next %v), want %q", tt.name, runIDs(got), next, tt.want)
			}
			counts, err := s.StatusCounts(ctx, tt.q)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(counts, tt.counts) {
				t.Errorf("%s: counts %v, want %v", tt.name, counts, tt.counts)
			}
		}
		// A listing leaves out the event and the trace; Run has them.
		got, _, _ := s.RunPage(ctx, RunQuery{Limit: 1})
		if got[0].ID != "run-d" || got[0].EventJSON != "" || got[0].Trace != "" || got[0].User != "Jane@Acme.com" || !got[0].StartedAt.Equal(t0.Add(3*time.Hour)) {
			t.Errorf("listed %+v", got[0])
		}
	})
}

// TestRunPageKeyset: paging through runs, many of which started at the
// same instant, lists every run once, in order; a run recorded between
// two pages does not shift the pages after it.
func TestRunPageKeyset(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		var want []string
		for i := 0; i < 23; i++ {
			// Three runs an instant: ties broken by id.
			r := run(fmt.Sprintf("run-%02d", i), "leaver", fmt.Sprintf("e%d", i), "u@acme.com", "success", t0.Add(time.Duration(i/3)*time.Minute))
			if err := s.InsertRun(ctx, r); err != nil {
				t.Fatal(err)
			}
			want = append([]string{r.ID}, want...)
		}
		for _, size := range []int{1, 5, 7, 23, 50} {
			var got []string
			q := RunQuery{Limit: size}
			for pages := 0; ; pages++ {
				if pages > 30 {
					t.Fatalf("size %d: no end", size)
				}
				rows, next, err := s.RunPage(ctx, q)
				if err != nil {
					t.Fatal(err)
				}
				if len(rows) > size {
					t.Fatalf("size %d: a page of %d", size, len(rows))
				}
				for _, r := range rows {
					got = append(got, r.ID)
				}
				if next.IsZero() {
					break
				}
				c, err := ParseCursor(next.String())
				if err != nil || c != next {
					t.Fatalf("cursor %q round trip: %v, %v", next, c, err)
				}
				q.After = c
				if size == 5 && pages == 0 {
					// A newer run arrives: it belongs before the first
					// page, never in a later one.
					if err := s.InsertRun(ctx, run("run-zz", "leaver", "ez", "u@acme.com", "success", t0.Add(time.Hour))); err != nil {
						t.Fatal(err)
					}
				}
			}
			if strings.Join(got, " ") != strings.Join(want, " ") {
				t.Errorf("size %d:\n got %v\nwant %v", size, got, want)
			}
			if size == 5 {
				want = append([]string{"run-zz"}, want...)
			}
		}
		// The filters hold across pages.
		rows, next, _ := s.RunPage(ctx, RunQuery{Limit: 2, User: "U@ACME.COM", To: t0.Add(2 * time.Minute)})
		rows2, next2, _ := s.RunPage(ctx, RunQuery{Limit: 2, User: "U@ACME.COM", To: t0.Add(2 * time.Minute), After: next})
		rows3, next3, _ := s.RunPage(ctx, RunQuery{Limit: 2, User: "U@ACME.COM", To: t0.Add(2 * time.Minute), After: next2})
		if runIDs(rows)+" | "+runIDs(rows2)+" | "+runIDs(rows3) != "run-05 run-04 | run-03 run-02 | run-01 run-00" || !next3.IsZero() {
			t.Errorf("filtered pages: %s | %s | %s (%v)", runIDs(rows), runIDs(rows2), runIDs(rows3), next3)
		}
	})
}

func TestParseCursor(t *testing.T) {
	for _, bad := range []string{"run-1", "2026-11-01~run-1", "2026-11-01T09:00:00.000000000Z~", "~run"} {
		if _, err := ParseCursor(bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
	if c, err := ParseCursor(""); err != nil || !c.IsZero() || c.String() != "" {
		t.Errorf("empty: %v %v", c, err)
	}
	c := Cursor{StartedAt: t0.Add(time.Nanosecond), ID: "run-a~b"}
	if got, err := ParseCursor(c.String()); err != nil || got != c {
		t.Errorf("%q: %v %v", c.String(), got, err)
	}
}

// TestOverviewQueries: the runs per day by status, the slowest cards
// (a forEach's items as one card) and the 429s, each within its period.
func TestOverviewQueries(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		day := 24 * time.Hour
		for i, r := range []*RunRow{
			run("run-1", "leaver", "e1", "a@acme.com", "success", t0),
			run("run-2", "leaver", "e2", "b@acme.com", "failed", t0.Add(time.Hour)),
			run("run-3", "joiner", "e3", "c@acme.com", "success", t0.Add(day)),
			run("run-4", "leaver", "e4", "d@acme.com", "success", t0.Add(3*day)),
		} {
			if err := s.InsertRun(ctx, r); err != nil {
				t.Fatal(i, err)
			}
		}
		call := func(runID string, seq int, card, action, status, errJSON string, at time.Time, d time.Duration) {
			flow := map[string]string{"run-1": "leaver", "run-2": "leaver", "run-3": "joiner"}[runID]
			c := &CallRow{RunID: runID, Flow: flow, Seq: seq, Card: card, Action: action, Attempt: 1, IdempotencyKey: "k", Input: "{}", Status: CallPending, StartedAt: at}
			if err := s.BeginCall(ctx, c); err != nil {
				t.Fatal(err)
			}
			c.Status, c.Error, c.Duration = status, errJSON, d
			if err := s.EndCall(ctx, c); err != nil {
				t.Fatal(err)
			}
		}
		call("run-1", 1, "steps[0]", "okta.clearUserSessions", CallSuccess, "", t0, 10*time.Millisecond)
		call("run-1", 2, "steps[1]#0/steps[1].do[0]", "slack.deactivateUser", CallFailed, `{"code":"rate_limited","message":"slow down","retryable":true,"status":429}`, t0, 300*time.Millisecond)
		call("run-1", 3, "steps[1]#0/steps[1].do[0]", "slack.deactivateUser", CallSuccess, "", t0, 100*time.Millisecond)
		call("run-1", 4, "steps[1]#1/steps[1].do[0]", "slack.deactivateUser", CallSuccess, "", t0, 200*time.Millisecond)
		call("run-2", 1, "steps[0]", "okta.clearUserSessions", CallFailed, `{"code":"server","message":"the \"status\":429 lie","retryable":true,"status":500}`, t0.Add(time.Hour), 30*time.Millisecond)
		call("run-2", 2, "steps[2]", "itsm.createRecord", CallFailed, `{"code":"rate_limited","message":"","retryable":true,"status":429}`, t0.Add(time.Hour), time.Millisecond)
		call("run-3", 1, "steps[0]", "okta.createUser", CallSuccess, "", t0.Add(day), time.Second)
		// A pending call (no outcome) is not timed.
		if err := s.BeginCall(ctx, &CallRow{RunID: "run-2", Flow: "leaver", Seq: 3, Card: "steps[3]", Action: "slow.call", Attempt: 1, IdempotencyKey: "k", Input: "{}", Status: CallPending, StartedAt: t0.Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}

		days, err := s.RunsPerDay(ctx, t0.Add(-day), t0.Add(2*day))
		if err != nil {
			t.Fatal(err)
		}
		want := []DayCount{{"2026-11-01", "failed", 1}, {"2026-11-01", "success", 1}, {"2026-11-02", "success", 1}}
		if !reflect.DeepEqual(days, want) {
			t.Errorf("per day %v, want %v", days, want)
		}

		slow, err := s.SlowestCards(ctx, t0, t0.Add(2*time.Hour), 10)
		if err != nil {
			t.Fatal(err)
		}
		wantSlow := []CardTiming{
			{Flow: "leaver", Card: "steps[1].do[0]", Action: "slack.deactivateUser", Calls: 3, Mean: 200 * time.Millisecond, Max: 300 * time.Millisecond},
			{Flow: "leaver", Card: "steps[0]", Action: "okta.clearUserSessions", Calls: 2, Mean: 20 * time.Millisecond, Max: 30 * time.Millisecond},
			{Flow: "leaver", Card: "steps[2]", Action: "itsm.createRecord", Calls: 1, Mean: time.Millisecond, Max: time.Millisecond},
		}
		if !reflect.DeepEqual(slow, wantSlow) {
			t.Errorf("slowest:\n got %+v\nwant %+v", slow, wantSlow)
		}
		if top, _ := s.SlowestCards(ctx, t0, t0.Add(2*day), 1); len(top) != 1 || top[0].Action != "okta.createUser" {
			t.Errorf("top 1 over two days: %+v", top)
		}

		limited, err := s.RateLimited(ctx, t0, t0.Add(2*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		wantLimited := []RateLimit{{Instance: "itsm", Action: "createRecord", Calls: 1, Runs: 1, Last: t0.Add(time.Hour)}, {Instance: "slack", Action: "deactivateUser", Calls: 1, Runs: 1, Last: t0}}
		if !reflect.DeepEqual(limited, wantLimited) {
			t.Errorf("429s:\n got %+v\nwant %+v", limited, wantLimited)
		}
		if limited, _ := s.RateLimited(ctx, t0.Add(2*time.Hour), t0.Add(3*day)); len(limited) != 0 {
			t.Errorf("429s of another period: %+v", limited)
		}
	})
}

// TestCardRates: each card's outcomes in a flow's traces — its own cards
// only (not a helper's), every forEach item counted, skipped cards in
// neither count — over the newest runs of the period.
func TestCardRates(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		trace := func(cards ...*CardRecord) string {
			b, _ := json.Marshal(TraceRecord{Cards: cards})
			return string(b)
		}
		ok := &CardRecord{Path: "steps[0]", Flow: "leaver", Status: "success"}
		each := &CardRecord{Path: "steps[1]", Flow: "leaver", Status: "failed", Children: []*CardRecord{
			{Path: "steps[1]#0/steps[1].do[0]", Flow: "leaver", Status: "success"},
			{Path: "steps[1]#1/steps[1].do[0]", Flow: "leaver", Status: "failed"},
		}}
		call := &CardRecord{Path: "steps[2]", Flow: "leaver", Status: "success", Children: []*CardRecord{
			{Path: "steps[2]/helper/steps[0]", Flow: "helper", Status: "failed"},
		}}
		skipped := &CardRecord{Path: "steps[3]", Flow: "leaver", Status: "skipped"}
		runs := []struct {
			r     *RunRow
			trace string
		}{
			{run("run-1", "leaver", "e1", "a@acme.com", "failed", t0), trace(ok, each, call, skipped)},
			{run("run-2", "leaver", "e2", "b@acme.com", "success", t0.Add(time.Minute)), trace(ok, call)},
			{run("run-3", "leaver", "e3", "c@acme.com", StatusRunning, t0.Add(2*time.Minute)), ""},
			{run("run-4", "joiner", "e4", "d@acme.com", "success", t0.Add(time.Minute)), trace(ok)},
			{run("run-5", "leaver", "e5", "e@acme.com", "success", t0.Add(-time.Hour)), trace(ok)},
		}
		for _, r := range runs {
			if err := s.InsertRun(ctx, r.r); err != nil {
				t.Fatal(err)
			}
			if r.trace != "" {
				if err := s.FinishRun(ctx, r.r.ID, r.r.Status, r.r.EndedAt, "", r.trace); err != nil {
					t.Fatal(err)
				}
			}
		}
		got, err := s.CardRates(ctx, "leaver", t0, t0.Add(time.Hour), 0)
		if err != nil {
			t.Fatal(err)
		}
		want := &FlowRates{Runs: 3, Run: CardRate{OK: 1, Failed: 1}, Cards: map[string]*CardRate{
			"steps[0]": {OK: 2}, "steps[1]": {Failed: 1}, "steps[1].do[0]": {OK: 1, Failed: 1}, "steps[2]": {OK: 2}, "steps[3]": {},
		}}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("rates:\n got %+v\nwant %+v", got, want)
		}
		if r := got.Cards["steps[1].do[0]"].Rate(); r != 0.5 {
			t.Errorf("rate %v", r)
		}
		if r := got.Cards["steps[3]"].Rate(); r != -1 {
			t.Errorf("rate of a card that never ran: %v", r)
		}
		capped, err := s.CardRates(ctx, "leaver", t0, t0.Add(time.Hour), 1)
		if err != nil || capped.Runs != 1 || !capped.Capped || capped.Run != (CardRate{}) {
			t.Errorf("capped: %+v, %v", capped, err)
		}
	})
}

// TestVerifyResults: the latest verify of a user replaces the one before;
// it is found by login (any case) or Okta id; secrets are redacted.
func TestVerifyResults(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		if _, err := s.LatestVerify(ctx, "jane@acme.com"); !errors.Is(err, ErrNoVerify) {
			t.Fatalf("nothing recorded: %v", err)
		}
		m := &verify.Matrix{Okta: "okta", Apps: []verify.Instance{{Name: "slack", Type: "slack"}}, Rows: []verify.Row{
			{User: "Jane@acme.com", ID: "00u1", Leaver: true, Okta: &verify.Cell{State: verify.Disabled, Detail: "DEPROVISIONED"},
				Cells: []verify.Cell{{State: verify.Active, Orphan: true}}},
			{User: "00u2", Okta: &verify.Cell{State: verify.Error, Detail: "token s3cr3t-t0ken refused"}, Cells: []verify.Cell{{State: verify.NotChecked, Detail: "no login"}}},
		}}
		red := effect.NewRedactor([]string{"s3cr3t-t0ken"})
		if err := s.RecordVerify(ctx, VerifyRecordsOf(m, t0, "vendors"), red); err != nil {
			t.Fatal(err)
		}
		for _, key := range []string{"jane@ACME.com", "00u1"} {
			got, err := s.LatestVerify(ctx, key)
			if err != nil || got.User != "Jane@acme.com" || !got.Leaver || got.Okta.Detail != "DEPROVISIONED" || len(got.Apps) != 1 ||
				got.Apps[0] != (VerifyCellRecord{Instance: "slack", Type: "slack", State: "active", Orphan: true}) || !got.CheckedAt.Equal(t0) {
				t.Errorf("%s: %+v, %v", key, got, err)
			}
		}
		got, err := s.LatestVerify(ctx, "00u2")
		if err != nil || got.Okta.Detail != "token *** refused" || got.Apps[0].Cell() != (verify.Cell{State: verify.NotChecked, Detail: "no login"}) {
			t.Errorf("by id: %+v, %v", got, err)
		}
		// Verified again: the newer replaces the older.
		m.Rows = m.Rows[:1]
		m.Rows[0].Cells[0] = verify.Cell{State: verify.Absent}
		if err := s.RecordVerify(ctx, VerifyRecordsOf(m, t0.Add(time.Hour), "sandbox http://127.0.0.1:1"), nil); err != nil {
			t.Fatal(err)
		}
		got, err = s.LatestVerify(ctx, "jane@acme.com")
		if err != nil || got.Apps[0].State != "absent" || got.Source != "sandbox http://127.0.0.1:1" || !got.CheckedAt.Equal(t0.Add(time.Hour)) {
			t.Errorf("again: %+v, %v", got, err)
		}
		var n int
		s.db.QueryRow(`SELECT COUNT(*) FROM verify_results`).Scan(&n)
		if n != 2 {
			t.Errorf("%d rows, want 2", n)
		}
	})
}

// TestResumedBy: the newest run that resumed a run, or none.
func TestResumedBy(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		a := run("run-a", "leaver", "e1", "a@acme.com", "halted", t0)
		b := run("run-a-2", "leaver", "e1", "a@acme.com", "failed", t0.Add(time.Minute))
		c := run("run-a-3", "leaver", "e1", "a@acme.com", "success", t0.Add(2*time.Minute))
		b.ResumedFrom, c.ResumedFrom = "run-a", "run-a"
		for _, r := range []*RunRow{a, b, c} {
			if err := s.InsertRun(ctx, r); err != nil {
				t.Fatal(err)
			}
		}
		if r, err := s.ResumedBy(ctx, "run-a"); err != nil || r == nil || r.ID != "run-a-3" || r.Status != "success" {
			t.Errorf("resumed by %+v, %v", r, err)
		}
		if r, err := s.ResumedBy(ctx, "run-a-3"); err != nil || r != nil {
			t.Errorf("not resumed: %+v, %v", r, err)
		}
	})
}
