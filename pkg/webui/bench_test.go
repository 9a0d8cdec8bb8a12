package webui_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jml-dev/jml/pkg/history"
	"github.com/jml-dev/jml/pkg/project"
	"github.com/jml-dev/jml/pkg/webui"
)

// The benchmark's store: BenchRuns runs over the 90 days before benchNow,
// written through the Store's own inserts (InsertRun, BeginCall) into a
// SQLite file that is kept between runs (benchStore says where; delete it
// to make it again), and, when JML_TEST_POSTGRES_URL names a server, into
// a schema of its own there, kept too (benchPostgres). The flows are the fixture's: leaver (three cards, the
// third a helper call), joiner; 1 run in 20 halted or failed, a Slack 429
// in 1 run of 50, 20,000 users.
const (
	BenchRuns   = 100_000
	benchUsers  = 20_000
	benchFormat = 4 // bump when the generated data (or its schema) changes
)

var benchNow = time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)

func benchStore(b *testing.B) (*history.Store, string) {
	b.Helper()
	path := filepath.Join(os.TempDir(), fmt.Sprintf("jml-webui-bench-%d-%d.db", BenchRuns, benchFormat))
	ctx := context.Background()
	if _, err := os.Stat(path + ".done"); err != nil {
		os.Remove(path)
		os.Remove(path + "-wal")
		os.Remove(path + "-shm")
		start := time.Now()
		s, err := history.Open(ctx, "sqlite://"+path, "")
		if err != nil {
			b.Fatal(err)
		}
		if err := fillBench(ctx, s); err != nil {
			b.Fatal(err)
		}
		s.Close()
		os.WriteFile(path+".done", nil, 0o644)
		b.Logf("generated %d runs in %s: %s", BenchRuns, time.Since(start).Round(time.Second), path)
	}
	s, err := history.Open(ctx, "sqlite://"+path, "")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	return s, path
}

// benchPostgres is the benchmark's store on the PostgreSQL server
// JML_TEST_POSTGRES_URL names (nil without one): the schema
// jml_webui_bench_RUNS_FORMAT, filled once (the table bench_done marks it
// filled; drop the schema to make it again).
func benchPostgres(b *testing.B) *history.Store {
	b.Helper()
	base := os.Getenv("JML_TEST_POSTGRES_URL")
	if base == "" {
		return nil
	}
	ctx := context.Background()
	schema := fmt.Sprintf("jml_webui_bench_%d_%d", BenchRuns, benchFormat)
	admin, err := sql.Open("pgx", base)
	if err != nil {
		b.Fatal(err)
	}
	defer admin.Close()
	var done sql.NullString
	if err := admin.QueryRowContext(ctx, `SELECT to_regclass($1)::text`, schema+".bench_done").Scan(&done); err != nil {
		b.Fatal(err)
	}
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
	}
	u := base + sep + "search_path=" + schema
	if !done.Valid {
		start := time.Now()
		for _, stmt := range []string{"DROP SCHEMA IF EXISTS " + schema + " CASCADE", "CREATE SCHEMA " + schema} {
			if _, err := admin.ExecContext(ctx, stmt); err != nil {
				b.Fatal(err)
			}
		}
		s, err := history.Open(ctx, u, "")
		if err != nil {
			b.Fatal(err)
		}
		if err := fillBench(ctx, s); err != nil {
			b.Fatal(err)
		}
		s.Close()
		// Statistics for the planner, as autovacuum would gather them.
		for _, stmt := range []string{"ANALYZE " + schema + ".runs", "ANALYZE " + schema + ".calls", "CREATE TABLE " + schema + ".bench_done ()"} {
			if _, err := admin.ExecContext(ctx, stmt); err != nil {
				b.Fatal(err)
			}
		}
		b.Logf("generated %d runs in %s: PostgreSQL schema %s", BenchRuns, time.Since(start).Round(time.Second), schema)
	}
	s, err := history.Open(ctx, u, "")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	return s
}

func benchLogin(i int) string { return fmt.Sprintf("user%05d@acme.com", i) }

// fillBench writes the runs, many writers at once: the store commits the
// writes that wait together (group commit), as it does under jml serve.
func fillBench(ctx context.Context, s *history.Store) error {
	const writers = 64
	jobs := make(chan int, writers)
	errs := make(chan error, writers)
	var wg sync.WaitGroup
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				if err := benchRun(ctx, s, i); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	for i := 0; i < BenchRuns; i++ {
		select {
		case err := <-errs:
			close(jobs)
			return err
		case jobs <- i:
		}
	}
	close(jobs)
	wg.Wait()
	select {
	case err := <-errs:
		return err
	default:
		return nil
	}
}

func benchRun(ctx context.Context, s *history.Store, i int) error {
	rng := rand.New(rand.NewPCG(uint64(i), 7))
	span := 90 * 24 * time.Hour
	started := benchNow.Add(-span + time.Duration(float64(span)*float64(i)/BenchRuns))
	user := rng.IntN(benchUsers)
	login, id := benchLogin(user), fmt.Sprintf("00u%07d", user)
	flow, typ := "leaver", "user.lifecycle.deactivate"
	if i%4 == 3 {
		flow, typ = "joiner", "user.lifecycle.create"
	}
	status := "success"
	switch r := rng.IntN(100); {
	case r < 3:
		status = "halted"
	case r < 5:
		status = "failed"
	}
	uuid := fmt.Sprintf("bench-%08d", i)
	ev := fmt.Sprintf(`{"uuid":%q,"published":%q,"eventType":%q,"version":"0","severity":"INFO","displayMessage":"x","actor":{"id":"00uadmin","type":"User","alternateId":"admin@acme.com","displayName":"Admin"},"outcome":{"result":"SUCCESS"},"client":{"ipAddress":"203.0.113.7","userAgent":{"rawUserAgent":"Mozilla/5.0"}},"target":[{"id":%q,"type":"User","alternateId":%q,"displayName":"Some One"}]}`,
		uuid, started.Format(time.RFC3339), typ, id, login)
	runID := fmt.Sprintf("run-%016x", rng.Uint64())
	t := started
	var cards []*history.CardRecord
	var calls []*history.CallRow
	seq := 0
	call := func(card, action string, in, out map[string]any, d time.Duration, errStatus int) {
		seq++
		c := &history.CallRow{RunID: runID, Flow: flow, Seq: seq, Card: card, Action: action, Attempt: 1, IdempotencyKey: fmt.Sprintf("jml-%s-%d", runID, seq),
			StartedAt: t, Duration: d, Status: history.CallSuccess}
		b, _ := json.Marshal(in)
		c.Input = string(b)
		if errStatus != 0 {
			e, _ := json.Marshal(history.CallError{Code: "server", Message: http.StatusText(errStatus), Retryable: errStatus >= 429, Status: errStatus})
			c.Status, c.Error = history.CallFailed, string(e)
		} else {
			o, _ := json.Marshal(out)
			c.Output = string(o)
		}
		calls = append(calls, c)
		t = t.Add(d)
	}
	card := func(path, stepID, kind, action, st string, in map[string]any, out any, d time.Duration) *history.CardRecord {
		c := &history.CardRecord{Path: path, ID: stepID, Kind: kind, Flow: flow, Action: action, Status: st, Attempts: 1, Input: in, Output: out,
			StartedAt: t, Duration: int64(d)}
		if st == "failed" {
			c.Error = &history.ErrorRecord{Card: stepID, Action: action, Message: "Backend Error", Status: 500, Code: "server", Retryable: true, Attempts: 1}
		}
		return c
	}
	d := func() time.Duration { return time.Duration(20+rng.IntN(400)) * time.Millisecond }
	failAt := -1
	if status != "success" {
		failAt = rng.IntN(3)
	}
	steps := []struct{ id, action string }{{"sessions", "okta.clearUserSessions"}, {"slack", "slack.deactivateUser"}, {"ticket", "itsm.createRecord"}}
	if flow == "joiner" {
		steps = []struct{ id, action string }{{"welcome", "itsm.createRecord"}}
		failAt = min(failAt, 0)
	}
	for k, st := range steps {
		path := fmt.Sprintf("steps[%d]", k)
		in := map[string]any{"userId": id, "email": login}
		out := map[string]any{"ok": true, "id": fmt.Sprintf("X%06d", i)}
		cs := "success"
		if k == failAt {
			cs = "failed"
		}
		if st.action == "slack.deactivateUser" && rng.IntN(50) == 0 {
			call(path, st.action, in, nil, d(), http.StatusTooManyRequests)
		}
		dur := d()
		cardPath, kind := path, "action"
		if flow == "leaver" && st.id == "ticket" {
			kind = "call"
			cardPath = path + "/open-ticket/steps[0]"
		}
		errStatus := 0
		if cs == "failed" {
			errStatus = 500
		}
		call(cardPath, st.action, in, out, dur, errStatus)
		c := card(path, st.id, kind, st.action, cs, in, out, dur)
		if kind == "call" {
			c.Action = ""
			child := card(cardPath, "record", "action", st.action, cs, in, out, dur)
			child.Flow = "open-ticket"
			c.Children = []*history.CardRecord{child}
		}
		cards = append(cards, c)
		if cs == "failed" {
			for j := k + 1; j < len(steps); j++ {
				cards = append(cards, &history.CardRecord{Path: fmt.Sprintf("steps[%d]", j), ID: steps[j].id, Kind: "action", Flow: flow, Status: "skipped"})
			}
			break
		}
	}
	tr := history.TraceRecord{ID: runID, Flow: flow, EventUUID: uuid, EventType: typ, Mode: "apply", Status: status, StartedAt: started, EndedAt: t, Cards: cards}
	var errJSON string
	if status != "success" {
		tr.Error = cards[len(cards)-1].Error
		for _, c := range cards {
			if c.Error != nil {
				tr.Error = c.Error
			}
		}
		if tr.Error == nil {
			tr.Error = &history.ErrorRecord{Message: "halted"}
		}
		b, _ := json.Marshal(tr.Error)
		errJSON = string(b)
	}
	trace, _ := json.Marshal(tr)
	row := &history.RunRow{ID: runID, Flow: flow, Event: uuid, EventType: typ, User: login, UserID: id, Mode: "apply", Status: status,
		StartedAt: started, EndedAt: t, Error: errJSON, EventJSON: ev, Trace: string(trace)}
	if err := s.InsertRun(ctx, row); err != nil {
		return err
	}
	for _, c := range calls {
		if err := s.BeginCall(ctx, c); err != nil {
			return err
		}
	}
	return nil
}

// BenchmarkPages measures each page's server time (the handler, the
// queries and the rendering; no network) on the store of BenchRuns runs:
// SQLite, and PostgreSQL when JML_TEST_POSTGRES_URL names a server.
// bench/README.md reports the figures.
func BenchmarkPages(b *testing.B) {
	b.Run("sqlite", func(b *testing.B) {
		s, _ := benchStore(b)
		benchPages(b, s)
	})
	b.Run("postgres", func(b *testing.B) {
		s := benchPostgres(b)
		if s == nil {
			b.Skip("JML_TEST_POSTGRES_URL is not set: SQLite only")
		}
		benchPages(b, s)
	})
}

func benchPages(b *testing.B, s *history.Store) {
	dir := b.TempDir()
	for name, body := range fixtureFiles {
		p := filepath.Join(dir, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, []byte(body), 0o644)
	}
	proj, ds := project.Load(project.Options{Dir: dir, WorkDir: dir})
	if ds.HasErrors() {
		b.Fatal(ds.Err())
	}
	h, err := webui.New(s, webui.Options{Graph: proj.Graph, Now: func() time.Time { return benchNow }})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	// A run to show, a failed one, a page deep in the listing, a user.
	runs, _, err := s.RunPage(ctx, history.RunQuery{Status: "failed", Limit: 1})
	if err != nil || len(runs) == 0 {
		b.Fatalf("no failed run: %v", err)
	}
	deep := history.RunQuery{Limit: 50}
	for i := 0; i < 200; i++ { // page 201: the 10,001st run on
		_, next, err := s.RunPage(ctx, deep)
		if err != nil {
			b.Fatal(err)
		}
		deep.After = next
	}
	user := benchLogin(4242)
	for _, p := range []struct{ name, target string }{
		{"overview", "/"},
		{"overview-30d", "/?days=30"},
		{"overview-90d", "/?days=90"},
		{"runs", "/runs"},
		{"runs-page-201", "/runs?after=" + url.QueryEscape(deep.After.String())},
		{"runs-failed", "/runs?status=failed"},
		{"runs-flow-user", "/runs?flow=leaver&user=" + url.QueryEscape(user)},
		{"runs-event-type-range", "/runs?event=user.lifecycle.create&from=2026-11-01&to=2026-11-15"},
		{"run", "/runs/" + runs[0].ID},
		{"flow", "/flows/leaver"},
		{"flow-90d", "/flows/leaver?days=90"},
		{"user", "/users/" + url.PathEscape(user)},
	} {
		b.Run(p.name, func(b *testing.B) {
			for b.Loop() {
				w := httptest.NewRecorder()
				h.ServeHTTP(w, httptest.NewRequest("GET", p.target, nil))
				if w.Code != http.StatusOK {
					b.Fatalf("%s: %d %s", p.target, w.Code, w.Body)
				}
			}
		})
	}
}
