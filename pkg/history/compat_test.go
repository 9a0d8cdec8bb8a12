package history

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/jml-dev/jml/pkg/engine"
)

// v1Fixture is a SQLite history written by the release before the history
// rows had wire types of their own (testdata/compat/README.md). Never
// regenerate it: a test that fails here means a stored format changed.
const v1Fixture = "../../testdata/compat/history-v1.db"

// Its runs (README.md): Jane's halted leaver run, resumed by -2; Bob's,
// whose last card failed under onError: continue; Carol's failed
// suspender run; two dry-run runs.
const (
	v1JaneHalted  = "run-ec12ec5bba8a11b2"
	v1JaneResumed = "run-ec12ec5bba8a11b2-2"
	v1JaneDryRun  = "run-ec12ec5bba8a11b2-3"
	v1Bob         = "run-5289a21c98f3a300"
	v1BobDryRun   = "run-5289a21c98f3a300-2"
	v1Carol       = "run-b698ce9f33624d4d"
	v1JaneEvent   = "7f1c0a2e-0000-4000-8000-000000000001"
	v1CarolEvent  = "7f1c0a2e-0000-4000-8000-000000000003"
)

// openV1 opens a copy of the fixture: opening migrates, and the fixture
// must never change.
func openV1(t *testing.T) *Store {
	t.Helper()
	data, err := os.ReadFile(v1Fixture)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "history.db")
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := Open(context.Background(), "sqlite://"+p, "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func ids(rows []*RunRow) []string {
	out := []string{}
	for _, r := range rows {
		out = append(out, r.ID)
	}
	return out
}

// TestV1Fixture: the current jml reads the previous release's history —
// the list, every run card by card, the journal, what a resume reuses and
// what apply converges on.
func TestV1Fixture(t *testing.T) {
	ctx := context.Background()
	s := openV1(t)
	if v, err := s.Version(ctx); err != nil || v != len(migrations) {
		t.Fatalf("migrated to version %d, %v; want %d", v, err, len(migrations))
	}

	t.Run("list", func(t *testing.T) {
		rows, err := s.Runs(ctx, Filter{})
		if err != nil {
			t.Fatal(err)
		}
		want := []string{v1BobDryRun, v1JaneDryRun, v1JaneResumed, v1Carol, v1Bob, v1JaneHalted}
		if got := ids(rows); !reflect.DeepEqual(got, want) {
			t.Fatalf("runs %v, want %v", got, want)
		}
		for _, r := range rows {
			if r.Format != 1 || r.Digest == "" || r.EventJSON == "" || r.StartedAt.IsZero() || r.EndedAt.Before(r.StartedAt) {
				t.Errorf("run %s: format %d, digest %q, event %d bytes, %v–%v", r.ID, r.Format, r.Digest, len(r.EventJSON), r.StartedAt, r.EndedAt)
			}
		}
		for _, tt := range []struct {
			f    Filter
			want []string
		}{
			{Filter{Status: "halted"}, []string{v1JaneHalted}},
			{Filter{Status: "failed"}, []string{v1Carol}},
			{Filter{Mode: "dry-run"}, []string{v1BobDryRun, v1JaneDryRun}},
			{Filter{User: "Carol.White@acme.com"}, []string{v1Carol}},
			{Filter{User: "00u2bob00002", Mode: "apply"}, []string{v1Bob}},
			{Filter{Event: v1JaneEvent, Mode: "apply"}, []string{v1JaneResumed, v1JaneHalted}},
			{Filter{Flow: "suspender"}, []string{v1Carol}},
		} {
			rows, err := s.Runs(ctx, tt.f)
			if err != nil {
				t.Fatal(err)
			}
			if got := ids(rows); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("%+v: %v, want %v", tt.f, got, tt.want)
			}
		}
	})

	t.Run("halted run, card by card", func(t *testing.T) {
		r, err := s.Run(ctx, v1JaneHalted)
		if err != nil {
			t.Fatal(err)
		}
		if r.ID != v1JaneHalted || r.Flow != "leaver" || r.Status != "halted" || r.Mode != "apply" || r.User != "jane.doe@acme.com" ||
			r.UserID != "00u1jane0001" || r.Event != v1JaneEvent || r.EventType != "user.lifecycle.deactivate" || r.ResumedFrom != "" {
			t.Fatalf("run %+v", r)
		}
		wantErr := &engine.ErrorInfo{Card: "ticket", Action: "itsm.createRecord", Message: "Backend Error", Status: 500, Code: "server_error", Retryable: true, Attempts: 1}
		if e, err := r.DecodeError(); err != nil || !reflect.DeepEqual(e, wantErr) {
			t.Errorf("error %+v, %v; want %+v", e, err, wantErr)
		}
		run, err := r.DecodeTrace()
		if err != nil {
			t.Fatal(err)
		}
		if run.ID != v1JaneHalted || run.Status != engine.StatusHalted || run.Mode != engine.ModeApply || run.EventUUID != v1JaneEvent ||
			!reflect.DeepEqual(run.Error, wantErr) || run.StartedAt.IsZero() {
			t.Errorf("trace %+v", run)
		}
		type card struct {
			path, action string
			status       engine.CardStatus
		}
		var got []card
		var walk func(cs []*engine.CardTrace)
		walk = func(cs []*engine.CardTrace) {
			for _, c := range cs {
				got = append(got, card{c.Path, c.Action, c.Status})
				walk(c.Children)
			}
		}
		walk(run.Cards)
		want := []card{
			{"steps[0]", "okta.clearUserSessions", engine.CardSuccess},
			{"steps[1]", "call offboard-slack", engine.CardSuccess},
			{"steps[1]/offboard-slack/steps[0]", "slack.deactivateUser", engine.CardSuccess},
			{"steps[2]", "itsm.createRecord", engine.CardFailed},
			{"steps[3]", "slack.postMessage", engine.CardSkipped},
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("cards %v, want %v", got, want)
		}
		sessions, call, ticket := run.Cards[0], run.Cards[1], run.Cards[2]
		if sessions.ID != "sessions" || sessions.Kind != "action" || sessions.Flow != "leaver" || !sessions.Write || sessions.Attempts != 1 ||
			!reflect.DeepEqual(sessions.Input, map[string]any{"userId": "00u1jane0001"}) || !reflect.DeepEqual(sessions.Output, map[string]any{}) ||
			sessions.Duration <= 0 || sessions.StartedAt.IsZero() {
			t.Errorf("sessions card %+v", sessions)
		}
		if slack := call.Children[0]; slack.Flow != "offboard-slack" || slack.Kind != "action" || slack.ID != "slack" ||
			!reflect.DeepEqual(slack.Input, map[string]any{"email": "jane.doe@acme.com"}) {
			t.Errorf("helper card %+v", slack)
		}
		if ticket.Error == nil || ticket.Error.Message != "Backend Error" || ticket.Error.Status != 500 || ticket.Output != nil {
			t.Errorf("ticket card %+v (error %+v)", ticket, ticket.Error)
		}
		wantChanges := []engine.Change{
			{Card: "sessions", Action: "okta.clearUserSessions", With: map[string]any{"userId": "00u1jane0001"}, Via: []string{}, Path: "steps[0]"},
			{Card: "slack", Action: "slack.deactivateUser", With: map[string]any{"email": "jane.doe@acme.com"}, Via: []string{"offboard-slack"}, Path: "steps[1]/offboard-slack/steps[0]"},
		}
		if !reflect.DeepEqual(run.Changes, wantChanges) {
			t.Errorf("changes %+v, want %+v", run.Changes, wantChanges)
		}

		calls, err := s.Calls(ctx, v1JaneHalted)
		if err != nil {
			t.Fatal(err)
		}
		if len(calls) != 3 {
			t.Fatalf("%d calls, want 3", len(calls))
		}
		c := calls[2]
		if c.Seq != 3 || c.Card != "steps[2]" || c.Action != "itsm.createRecord" || c.Status != CallFailed || c.Attempt != 1 ||
			c.Input != `{"fields":{"short_description":"Offboard jane.doe@acme.com"},"table":"sc_task"}` || c.Output != "" || c.Format != 1 ||
			len(c.IdempotencyKey) < 8 {
			t.Errorf("call %+v", c)
		}
		if e, err := c.DecodeError(); err != nil || *e != (CallError{Code: "server_error", Message: "Backend Error", Retryable: true, Status: 500}) {
			t.Errorf("call error %+v, %v", e, err)
		}
		if calls[0].Status != CallSuccess || calls[0].Output != "{}" || calls[1].Card != "steps[1]/offboard-slack/steps[0]" {
			t.Errorf("calls %+v %+v", calls[0], calls[1])
		}
	})

	t.Run("a card failed under onError continue", func(t *testing.T) {
		r, err := s.Run(ctx, v1Bob)
		if err != nil {
			t.Fatal(err)
		}
		if e, err := r.DecodeError(); r.Status != "success" || e != nil || err != nil {
			t.Fatalf("run %s %s, error %+v %v", r.ID, r.Status, e, err)
		}
		run, err := r.DecodeTrace()
		if err != nil {
			t.Fatal(err)
		}
		ticket, notify := run.Cards[2], run.Cards[3]
		if ticket.Output.(map[string]any)["number"] != "SCTASK0010001" {
			t.Errorf("ticket output %v", ticket.Output)
		}
		if notify.Status != engine.CardFailed || notify.Error == nil || notify.Error.Status != 503 || notify.Error.Card != "notify" {
			t.Errorf("notify %+v", notify)
		}
		if len(run.Changes) != 3 || run.Error != nil {
			t.Errorf("changes %d, error %+v", len(run.Changes), run.Error)
		}
	})

	t.Run("a failed run without calls", func(t *testing.T) {
		r, err := s.Run(ctx, "run-b698") // a prefix
		if err != nil {
			t.Fatal(err)
		}
		run, err := r.DecodeTrace()
		if err != nil {
			t.Fatal(err)
		}
		if run.Status != engine.StatusFailed || run.Error == nil || run.Error.Card != "vars.second" || run.Error.Code != "expression" ||
			run.Error.Message != "evaluating vars.second: index out of bounds: 1" {
			t.Errorf("trace %+v, error %+v", run, run.Error)
		}
		if calls, err := s.Calls(ctx, v1Carol); err != nil || len(calls) != 0 {
			t.Errorf("calls %v, %v", calls, err)
		}
	})

	t.Run("resume", func(t *testing.T) {
		// What a resume of the halted run reuses: the two calls that
		// succeeded, not the ticket.
		done, err := s.Reusable(ctx, v1JaneHalted)
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]Done{
			"steps[0]":                         {Action: "okta.clearUserSessions", Output: "{}", RunID: v1JaneHalted},
			"steps[1]/offboard-slack/steps[0]": {Action: "slack.deactivateUser", Output: "{}", RunID: v1JaneHalted},
		}
		if !reflect.DeepEqual(done, want) {
			t.Errorf("reusable %+v, want %+v", done, want)
		}
		// The run that resumed it: its reused calls name the run that made
		// them; its own, itself.
		r, err := s.Run(ctx, v1JaneResumed)
		if err != nil {
			t.Fatal(err)
		}
		if r.ResumedFrom != v1JaneHalted || r.Status != "success" {
			t.Fatalf("run %+v", r)
		}
		run, err := r.DecodeTrace()
		if err != nil {
			t.Fatal(err)
		}
		if run.ResumedFrom != v1JaneHalted || run.Cards[0].ReusedFrom != v1JaneHalted || run.Cards[1].Children[0].ReusedFrom != v1JaneHalted || run.Cards[2].ReusedFrom != "" {
			t.Errorf("trace cards %+v", run.Cards)
		}
		calls, err := s.Calls(ctx, v1JaneResumed)
		if err != nil {
			t.Fatal(err)
		}
		if len(calls) != 4 || calls[0].Status != CallReused || calls[0].ReusedFrom != v1JaneHalted || calls[2].Status != CallSuccess {
			t.Errorf("calls %+v", calls)
		}
		done, err = s.Reusable(ctx, v1JaneResumed)
		if err != nil {
			t.Fatal(err)
		}
		if len(done) != 4 || done["steps[0]"].RunID != v1JaneHalted || done["steps[2]"].RunID != v1JaneResumed {
			t.Errorf("reusable %+v", done)
		}
		var out map[string]any
		if err := json.Unmarshal([]byte(done["steps[2]"].Output), &out); err != nil || out["number"] != "SCTASK0010002" {
			t.Errorf("ticket output %s", done["steps[2]"].Output)
		}
	})

	t.Run("latest", func(t *testing.T) {
		for _, tt := range []struct{ event, flow, mode, want string }{
			{v1JaneEvent, "leaver", "apply", v1JaneResumed},
			{v1JaneEvent, "leaver", "dry-run", v1JaneDryRun},
			{"7f1c0a2e-0000-4000-8000-000000000002", "leaver", "apply", v1Bob},
			{v1CarolEvent, "suspender", "apply", v1Carol},
			{v1CarolEvent, "leaver", "apply", ""},
		} {
			r, err := s.Latest(ctx, tt.event, tt.flow, tt.mode)
			if err != nil {
				t.Fatal(err)
			}
			got := ""
			if r != nil {
				got = r.ID
			}
			if got != tt.want {
				t.Errorf("Latest(%s, %s, %s) = %q, want %q", tt.event, tt.flow, tt.mode, got, tt.want)
			}
		}
	})

	// Every JSON column reads into its record and writes back the same
	// JSON: no field of a v1 row is lost or renamed.
	t.Run("records keep every field", func(t *testing.T) {
		rows, err := s.Runs(ctx, Filter{})
		if err != nil {
			t.Fatal(err)
		}
		same := func(what, stored string, record any) {
			t.Helper()
			if err := json.Unmarshal([]byte(stored), record); err != nil {
				t.Fatalf("%s: %v", what, err)
			}
			again, err := json.Marshal(record)
			if err != nil {
				t.Fatal(err)
			}
			var a, b any
			json.Unmarshal([]byte(stored), &a)
			json.Unmarshal(again, &b)
			if !reflect.DeepEqual(a, b) {
				t.Errorf("%s: stored\n%s\nwritten back\n%s", what, stored, again)
			}
		}
		for _, r := range rows {
			same(r.ID+" trace", r.Trace, &TraceRecord{})
			// Through the engine's run and back, too: the conversions lose
			// nothing.
			run, err := r.DecodeTrace()
			if err != nil {
				t.Fatal(err)
			}
			again, _ := json.Marshal(traceOf(run))
			same(r.ID+" trace via engine.Run", string(again), &TraceRecord{})
			var a, b any
			json.Unmarshal([]byte(r.Trace), &a)
			json.Unmarshal(again, &b)
			if !reflect.DeepEqual(a, b) {
				t.Errorf("%s: the trace through engine.Run differs:\n%s\n%s", r.ID, r.Trace, again)
			}
			if r.Error != "" {
				same(r.ID+" error", r.Error, &ErrorRecord{})
			}
			calls, err := s.Calls(ctx, r.ID)
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range calls {
				if c.Error != "" {
					same(r.ID+" call error", c.Error, &CallError{})
				}
			}
		}
	})
}

// TestV1FixtureTakesNewRuns: the migrated v1 history takes new runs beside
// the old, marked with this jml's RowFormat.
func TestV1FixtureTakesNewRuns(t *testing.T) {
	ctx := context.Background()
	s := openV1(t)
	rec := NewRecorder(s, nil, nil, "sha256:new")
	run := &engine.Run{ID: "run-new", Flow: "leaver", EventUUID: v1JaneEvent, Mode: engine.ModeApply, Status: engine.StatusSuccess,
		Cards:     []*engine.CardTrace{{Path: "steps[0]", Kind: "action", Status: engine.CardSuccess}},
		Simulated: []string{"user.profile from the simulated world"}}
	rec.RunStarted(run)
	rec.RunFinished(run)
	if err := rec.Err(); err != nil {
		t.Fatal(err)
	}
	r, err := s.Latest(ctx, v1JaneEvent, "leaver", "apply")
	if err != nil || r.ID != "run-new" || r.Format != RowFormat {
		t.Fatalf("latest %+v, %v", r, err)
	}
	got, err := r.DecodeTrace()
	if err != nil || got.ID != "run-new" || got.Cards[0].Path != "steps[0]" || !reflect.DeepEqual(got.Simulated, run.Simulated) {
		t.Fatalf("trace %+v, %v", got, err)
	}
}

// TestNewerRowFormatRefused: a row written by a newer jml, in a format this
// one does not know, is refused by name rather than misread.
func TestNewerRowFormatRefused(t *testing.T) {
	ctx := context.Background()
	s := openV1(t)
	if _, err := s.db.ExecContext(ctx, `UPDATE runs SET row_format = 2 WHERE id = ?`, v1JaneHalted); err != nil {
		t.Fatal(err)
	}
	if _, err := s.db.ExecContext(ctx, `UPDATE calls SET row_format = 2 WHERE run_id = ?`, v1JaneHalted); err != nil {
		t.Fatal(err)
	}
	r, err := s.Run(ctx, v1JaneHalted)
	if err != nil {
		t.Fatal(err) // listing and showing the row's columns still works
	}
	want := "run " + v1JaneHalted + ": recorded by a newer jml (history row format 2; this jml reads format 1): upgrade jml to read it"
	if _, err := r.DecodeTrace(); err == nil || err.Error() != want || !errors.Is(err, ErrRowFormat) {
		t.Errorf("DecodeTrace: %v", err)
	}
	if _, err := r.DecodeError(); !errors.Is(err, ErrRowFormat) {
		t.Errorf("DecodeError: %v", err)
	}
	if _, err := s.Reusable(ctx, v1JaneResumed); !errors.Is(err, ErrRowFormat) {
		t.Errorf("Reusable: %v", err)
	}
	calls, err := s.Calls(ctx, v1JaneHalted)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := calls[2].DecodeError(); !errors.Is(err, ErrRowFormat) {
		t.Errorf("call DecodeError: %v", err)
	}
}

// TestRowFormatMigration: on every back end, rows written before migration
// 3 (schema version 2, no row_format) read as format 1 after it.
func TestRowFormatMigration(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		// Back to schema version 2, as the previous release left it.
		// (Migrations after 3 are undone too.)
		for _, stmt := range []string{`ALTER TABLE runs DROP COLUMN workflow_run_id`, `ALTER TABLE runs DROP COLUMN workflow_id`, `DROP INDEX IF EXISTS runs_id_bytes`, `DROP TABLE rollup_runs`, `DROP TABLE rollup_cards`, `DROP TABLE rollup_429`, `DROP TABLE verify_results`, `DROP INDEX runs_started_id`, `DROP INDEX runs_flow_started`, `DROP INDEX runs_status_started`,
			`DROP TABLE table_rows`, `DROP INDEX runs_type_started`, `DROP INDEX runs_login_started`, `DROP INDEX runs_userid_started`, `DROP INDEX runs_resumed_from`, `DROP INDEX calls_started`, `ALTER TABLE calls DROP COLUMN flow`, `DROP TABLE event_queue`, `ALTER TABLE calls DROP COLUMN row_format`, `ALTER TABLE runs DROP COLUMN row_format`, `DELETE FROM schema_migrations WHERE version >= 3`} {
			if _, err := s.db.ExecContext(ctx, stmt); err != nil {
				t.Fatal(err)
			}
		}
		trace := `{"id":"run-old","flow":"leaver","mode":"apply","status":"success","startedAt":"2026-11-01T09:00:00Z","endedAt":"2026-11-01T09:00:01Z","error":null,"cards":[{"path":"steps[0]","kind":"action","flow":"leaver","status":"success","startedAt":"2026-11-01T09:00:00Z","duration":5}],"changes":[]}`
		if _, err := s.db.ExecContext(ctx, s.q(`INSERT INTO runs (id, flow, mode, status, started_at, trace) VALUES (?, ?, ?, ?, ?, ?)`),
			"run-old", "leaver", "apply", "success", fmtTime(t0), trace); err != nil {
			t.Fatal(err)
		}
		if _, err := s.db.ExecContext(ctx, s.q(`INSERT INTO calls (run_id, seq, card, action, attempt, idempotency_key, input, status, output, started_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
			"run-old", 1, "steps[0]", "okta.clearUserSessions", 1, "jml-k", `{}`, CallSuccess, `{}`, fmtTime(t0)); err != nil {
			t.Fatal(err)
		}
		if err := s.migrate(ctx); err != nil {
			t.Fatal(err)
		}
		r, err := s.Run(ctx, "run-old")
		if err != nil {
			t.Fatal(err)
		}
		run, err := r.DecodeTrace()
		if err != nil || r.Format != 1 || run.Cards[0].Duration != 5 || run.Changes == nil {
			t.Fatalf("format %d, trace %+v, %v", r.Format, run, err)
		}
		calls, err := s.Calls(ctx, "run-old")
		if err != nil || len(calls) != 1 || calls[0].Format != 1 || calls[0].Flow != "leaver" {
			t.Fatalf("calls %+v, %v", calls, err)
		}
		if done, err := s.Reusable(ctx, "run-old"); err != nil || done["steps[0]"].RunID != "run-old" {
			t.Fatalf("reusable %+v, %v", done, err)
		}
	})
}
