package serve

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jml-dev/jml/pkg/clock"
	"github.com/jml-dev/jml/pkg/diag"
	"github.com/jml-dev/jml/pkg/engine"
	"github.com/jml-dev/jml/pkg/history"
	"github.com/jml-dev/jml/pkg/plan"
	"github.com/jml-dev/jml/pkg/project"
	"github.com/jml-dev/jml/pkg/replay"
	"github.com/jml-dev/jml/pkg/world"
)

const secret = "Bearer s3cret"

var t0 = time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)

// fixture is a served repository: a leaver flow, the simulated world as
// the vendors, a SQLite history, a virtual clock.
type fixture struct {
	t     *testing.T
	srv   *Server
	ts    *httptest.Server
	store *history.Store
	world *world.World
	clk   *clock.Virtual
	proj  *project.Project
}

func newFixture(t *testing.T, perHour int, extra ...string) *fixture {
	t.Helper()
	dir, proj := loadProject(t, perHour, extra...)
	store, err := history.Open(context.Background(), "sqlite://"+filepath.Join(dir, "h.db"), "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	f := &fixture{t: t, store: store, clk: clock.NewVirtual(t0), proj: proj}
	f.world = world.New(replay.Instances(proj.Graph.Config), f.clk)
	f.srv = f.server()
	f.ts = httptest.NewServer(f.srv.Handler())
	t.Cleanup(f.ts.Close)
	return f
}

// loadProject writes and loads a repository: jml.yaml, the leaver flow,
// and extra files (name, content, …).
func loadProject(t *testing.T, perHour int, extra ...string) (string, *project.Project) {
	t.Helper()
	dir, proj, ds := loadProjectDiags(t, perHour, extra...)
	if ds.HasErrors() {
		t.Fatal(ds)
	}
	return dir, proj
}

// loadProjectDiags is loadProject that returns the diagnostics.
func loadProjectDiags(t *testing.T, perHour int, extra ...string) (string, *project.Project, diag.Diagnostics) {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		"jml.yaml": fmt.Sprintf(`apiVersion: jml/v1
kind: Config
flows: flows/
connectors:
  slack: {type: slack, auth: {type: bearer, token: {env: S}}}
guardrails: {maxDeprovisionsPerHour: %d}
`, perHour),
		"flows/leaver.yaml": `apiVersion: jml/v1
kind: Flow
name: leaver
trigger: {event: user.lifecycle.deactivate}
steps:
  - action: slack.deactivateUser
    with: {email: "${{ user.alternateId }}"}
`,
	}
	for i := 0; i+1 < len(extra); i += 2 {
		files[extra[i]] = extra[i+1]
	}
	for name, body := range files {
		p := filepath.Join(dir, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	proj, ds := project.Load(project.Options{Dir: dir})
	return dir, proj, ds
}

// server builds a Server on the fixture's store and world, as jml serve
// does on each start.
func (f *fixture) server() *Server {
	digest, files := plan.Digest(f.proj.Sources)
	m := NewMetrics(f.store)
	rec := history.NewRecorder(f.store, m.Observer(), nil, digest)
	rec.Clock = f.clk
	eng := replay.Engine(replay.Setup{Graph: f.proj.Graph, Effector: rec.Effector(m.Effector(f.world)), Clock: f.clk, Observer: rec, Mode: engine.ModeApply})
	s, err := New(Options{Store: f.store, Graph: f.proj.Graph, Engine: eng, Recorder: rec, Digest: digest, Files: files,
		Clock: f.clk, AuthSecret: secret, MaxBodyBytes: 4096, MaxPerHour: f.proj.Graph.MaxDeprovisionsPerHour(), Metrics: m})
	if err != nil {
		f.t.Fatal(err)
	}
	return s
}

// delivery is an event hook envelope of deactivations of users n…
func delivery(t *testing.T, w *world.World, users ...int) string {
	var evs []string
	for _, n := range users {
		evs = append(evs, fmt.Sprintf(`{"uuid":"ev-%02d","published":"2026-11-02T09:00:%02d.000Z","eventType":"user.lifecycle.deactivate","actor":{"id":"00uadmin","type":"User","alternateId":"admin@acme.com"},"target":[{"id":"00u%02d","type":"User","alternateId":"user%02d@acme.com","displayName":"User %02d"}]}`, n, n, n, n, n))
	}
	body := `{"eventType":"com.okta.event_hook","eventTypeVersion":"1.0","cloudEventsVersion":"0.1","data":{"events":[` + strings.Join(evs, ",") + `]}}`
	if w != nil {
		items, err := Items([]byte(body))
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range items {
			ev, _ := decodeOne(it.EventJSON)
			replay.Seed(w, ev)
		}
	}
	return body
}

func (f *fixture) do(method, auth, body string, headers ...string) (int, string) {
	f.t.Helper()
	req, _ := http.NewRequest(method, f.ts.URL+DefaultPath, strings.NewReader(body))
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := f.ts.Client().Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	var b strings.Builder
	buf := make([]byte, 4096)
	for {
		n, err := resp.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			break
		}
	}
	return resp.StatusCode, b.String()
}

// drain applies every event that can run now, and waits for them.
func (f *fixture) drain() {
	f.t.Helper()
	for range 10 {
		if err := f.srv.Dispatch(context.Background()); err != nil {
			f.t.Fatal(err)
		}
		f.srv.Wait()
	}
}

func (f *fixture) queue(status string) []*history.QueueItem {
	f.t.Helper()
	q, err := f.store.Queue(context.Background(), history.QueueFilter{Status: status})
	if err != nil {
		f.t.Fatal(err)
	}
	return q
}

func TestHookRefusals(t *testing.T) {
	f := newFixture(t, 25)
	good := delivery(t, nil, 1)
	tests := []struct {
		name, method, auth, body string
		headers                  []string
		status                   int
		want                     string
	}{
		{"verification", "GET", secret, "", []string{VerificationHeader, "chal-123"}, 200, `{"verification":"chal-123"}`},
		{"verification without the secret", "GET", "", "", []string{VerificationHeader, "chal-123"}, 401, "wrong or missing Authorization"},
		{"verification without a challenge", "GET", secret, "", nil, 400, VerificationHeader},
		{"no secret", "POST", "", good, nil, 401, "wrong or missing Authorization"},
		{"wrong secret", "POST", "Bearer s3creT", good, nil, 401, "wrong or missing Authorization"},
		{"the secret as a prefix", "POST", secret + "x", good, nil, 401, "wrong or missing Authorization"},
		{"oversized", "POST", secret, `{"eventType":"com.okta.event_hook","data":{"events":[]},"pad":"` + strings.Repeat("x", 5000) + `"}`, nil, 413, "larger than 4096 bytes"},
		{"not JSON", "POST", secret, `{"data": `, nil, 400, "delivery:1:"},
		{"not a LogEvent", "POST", secret, `{"eventType":"com.okta.event_hook","data":{"events":[{"eventType":"x"}]}}`, nil, 400, "uuid"},
		{"a PUT", "PUT", secret, good, nil, 405, "use POST"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := f.do(tt.method, tt.auth, tt.body, tt.headers...)
			if status != tt.status || !strings.Contains(body, tt.want) {
				t.Fatalf("%d %s; want %d with %q", status, body, tt.status, tt.want)
			}
		})
	}
	if q := f.queue(""); len(q) != 0 {
		t.Fatalf("refused deliveries were queued: %v", q)
	}
}

// The secret is checked before the body is read: a client that sends a
// huge body without the secret is answered 401 at once.
func TestAuthBeforeBody(t *testing.T) {
	f := newFixture(t, 25)
	r, w := ioPipe()
	defer w.Close()
	req, _ := http.NewRequest("POST", f.ts.URL+DefaultPath, r)
	req.ContentLength = 1 << 30
	resp, err := f.ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 401 {
		t.Fatalf("status %d", resp.StatusCode)
	}
}

func TestDeliveryAppliedOnce(t *testing.T) {
	f := newFixture(t, 25)
	body := delivery(t, f.world, 1, 2)
	for i, want := range []string{`{"duplicates":0,"queued":2}`, `{"duplicates":2,"queued":0}`} {
		status, got := f.do("POST", secret, body)
		if status != 200 || strings.TrimSpace(got) != want {
			t.Fatalf("delivery %d: %d %s; want %s", i, status, got, want)
		}
	}
	// Acknowledged, not yet run: the runs come after the answer.
	if q := f.queue(history.QueueQueued); len(q) != 2 {
		t.Fatalf("queued: %v", q)
	}
	f.drain()
	done := f.queue(history.QueueDone)
	if len(done) != 2 || !strings.HasPrefix(done[0].Detail, "leaver success") {
		t.Fatalf("done: %+v", done)
	}
	// Delivered again after it ran: still once.
	f.do("POST", secret, body)
	f.drain()
	runs, _ := f.store.Runs(context.Background(), history.Filter{})
	if len(runs) != 2 {
		t.Fatalf("%d runs, want 2", len(runs))
	}
	for _, n := range []int{1, 2} {
		if active, ok := f.slackActive(fmt.Sprintf("user%02d@acme.com", n)); !ok || active {
			t.Fatalf("user%02d: active %v, found %v", n, active, ok)
		}
	}
}

// A restart takes the events left queued: a new Server on the same store
// applies them, converging by run id (nothing twice).
func TestRestartTakesQueued(t *testing.T) {
	f := newFixture(t, 25)
	f.do("POST", secret, delivery(t, f.world, 1, 2, 3))
	f.srv = f.server()
	f.drain()
	if d := f.queue(history.QueueDone); len(d) != 3 {
		t.Fatalf("done: %v", d)
	}
	f.srv = f.server()
	f.drain()
	runs, _ := f.store.Runs(context.Background(), history.Filter{})
	if len(runs) != 3 {
		t.Fatalf("%d runs, want 3", len(runs))
	}
}

func TestHourlyGuardrail(t *testing.T) {
	f := newFixture(t, 2)
	ctx := context.Background()
	f.do("POST", secret, delivery(t, f.world, 1, 2, 3))
	f.drain()
	if d := f.queue(history.QueueDone); len(d) != 2 {
		t.Fatalf("done: %v", d)
	}
	held := f.queue(history.QueueHeld)
	if len(held) != 1 || held[0].UUID != "ev-03" || !strings.Contains(held[0].Detail, "3 distinct people deprovisioned in the last hour with this event, more than the limit of 2") {
		t.Fatalf("held: %+v", held)
	}
	// The same person again adds nobody: not held.
	f.do("POST", secret, strings.ReplaceAll(delivery(t, nil, 1), "ev-01", "ev-01b"))
	f.drain()
	if d := f.queue(history.QueueDone); len(d) != 3 {
		t.Fatalf("done: %v", d)
	}
	// Later events of the held person wait behind the held one.
	f.do("POST", secret, strings.ReplaceAll(strings.ReplaceAll(delivery(t, nil, 3), "ev-03", "ev-03b"), "09:00:03", "09:00:33"))
	f.drain()
	if q := f.queue(history.QueueQueued); len(q) != 1 || q[0].UUID != "ev-03b" {
		t.Fatalf("queued: %+v", q)
	}
	// An hour later the window is empty again: a new leaver runs, but the
	// held one waits for a human.
	f.clk.Set(t0.Add(Window + time.Second))
	f.do("POST", secret, delivery(t, f.world, 4))
	f.drain()
	if h := f.queue(history.QueueHeld); len(h) != 1 {
		t.Fatalf("held: %v", h)
	}
	if w, _ := f.srv.Window(ctx, f.clk.Now()); w.Users != 1 {
		t.Fatalf("window: %d people", w.Users)
	}
	if _, err := f.store.Approve(ctx, []string{"ev-03"}, false, f.clk.Now()); err != nil {
		t.Fatal(err)
	}
	f.drain()
	if h := f.queue(history.QueueHeld); len(h) != 0 {
		t.Fatalf("held after approve: %v", h)
	}
	if q := f.queue(history.QueueQueued); len(q) != 0 {
		t.Fatalf("queued after approve: %v", q)
	}
	if active, _ := f.slackActive("user03@acme.com"); active {
		t.Fatal("the approved leaver did not run")
	}
}

func TestMetrics(t *testing.T) {
	f := newFixture(t, 25)
	f.do("POST", "", "")
	f.do("POST", secret, delivery(t, f.world, 1))
	f.drain()
	resp, err := f.ts.Client().Get(f.ts.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	fams := parseMetrics(t, resp)
	for name, want := range map[string]float64{
		`jml_serve_deliveries_total{result="unauthorized"}`:                                  1,
		`jml_serve_deliveries_total{result="ok"}`:                                            1,
		`jml_serve_runs_total{flow="leaver",status="success"}`:                               1,
		`jml_serve_queue_depth{status="done"}`:                                               1,
		`jml_serve_events_received_total{kind="new"}`:                                        1,
		`jml_serve_card_duration_seconds_count{action="slack.deactivateUser",flow="leaver"}`: 1,
	} {
		if got, ok := fams[name]; !ok || got != want {
			t.Errorf("%s = %v (%v), want %v", name, got, ok, want)
		}
	}
}

func TestReadyz(t *testing.T) {
	f := newFixture(t, 25)
	resp, err := f.ts.Client().Get(f.ts.URL + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("readyz %d", resp.StatusCode)
	}
	f.store.Close()
	resp, err = f.ts.Client().Get(f.ts.URL + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 503 {
		t.Fatalf("readyz with the store closed: %d", resp.StatusCode)
	}
}

// slackActive says whether the world's Slack user of that email is
// active, and whether there is one.
func (f *fixture) slackActive(email string) (active, ok bool) {
	b, _ := json.Marshal(f.world.InstanceState("slack"))
	var st struct {
		Users []struct {
			Email  string `json:"email"`
			Active bool   `json:"active"`
		} `json:"users"`
	}
	json.Unmarshal(b, &st)
	for _, u := range st.Users {
		if u.Email == email {
			return u.Active, true
		}
	}
	return false, false
}
