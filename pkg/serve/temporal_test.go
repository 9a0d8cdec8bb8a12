package serve

import (
	"context"
	"errors"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"testing"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"github.com/jml-dev/jml/pkg/history"
	"github.com/jml-dev/jml/pkg/plan"
	"github.com/jml-dev/jml/pkg/temporal"
)

// fakeTemporal is the part of a Temporal client jml serve --temporal uses:
// it records each start, and refuses a second start of a workflow id as
// the server does — reporting the refusal (refuse), or answering with the
// first run as the SDK does by default.
type fakeTemporal struct {
	client.Client
	refuse bool
	fail   error

	mu     sync.Mutex
	starts []string          // workflow ids, in start order
	runs   map[string]string // workflow id → run id
}

type fakeRun struct {
	client.WorkflowRun
	id, runID string
}

func (r fakeRun) GetID() string    { return r.id }
func (r fakeRun) GetRunID() string { return r.runID }

func (f *fakeTemporal) ExecuteWorkflow(ctx context.Context, o client.StartWorkflowOptions, wf any, args ...any) (client.WorkflowRun, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail != nil {
		return nil, f.fail
	}
	if wf != temporal.WorkflowName || o.WorkflowIDReusePolicy.String() != "RejectDuplicate" {
		return nil, errors.New("not jml's workflow start")
	}
	if run, ok := f.runs[o.ID]; ok {
		if f.refuse {
			return nil, serviceerror.NewWorkflowExecutionAlreadyStarted("workflow execution already started", "", run)
		}
		return fakeRun{id: o.ID, runID: run}, nil
	}
	if f.runs == nil {
		f.runs = map[string]string{}
	}
	f.starts = append(f.starts, o.ID)
	f.runs[o.ID] = "run-" + o.ID
	return fakeRun{id: o.ID, runID: f.runs[o.ID]}, nil
}

func (f *fakeTemporal) GetWorkflow(ctx context.Context, id, runID string) client.WorkflowRun {
	return fakeRun{id: id, runID: runID}
}

// temporalServer is the fixture's server as jml serve --temporal builds
// it: the queue's events go to a temporal.Starter on c. It has no
// Engine: an event run here instead would fail the test.
func (f *fixture) temporalServer(c client.Client) *Server {
	digest, files := plan.Digest(f.proj.Sources)
	st := &temporal.Starter{Client: c, Graph: f.proj.Graph}
	s, err := New(Options{Store: f.store, Graph: f.proj.Graph, Digest: digest, Files: files, Clock: f.clk, AuthSecret: secret,
		MaxBodyBytes: 4096, MaxPerHour: f.proj.Graph.MaxDeprovisionsPerHour(), Start: st.Start, Metrics: NewMetrics(f.store)})
	if err != nil {
		f.t.Fatal(err)
	}
	return s
}

const notifySrc = `apiVersion: jml/v1
kind: Flow
name: notify
trigger: {event: user.lifecycle.deactivate}
steps:
  - action: slack.postMessage
    with: {channel: "#it", text: "bye ${{ user.alternateId }}"}
`

// TestTemporalStartsWorkflows: with Start set (jml serve --temporal) a
// delivery is acknowledged, then each event starts one workflow per flow it
// fires, and the event is done with the workflows as its
// outcome. The same events started again (a second serve, or one that died
// before marking them done) start nothing and are no error, whether the
// client reports Temporal's refusal or answers with the first run.
func TestTemporalStartsWorkflows(t *testing.T) {
	for _, refuse := range []bool{false, true} {
		t.Run(map[bool]string{false: "sdk answers the first run", true: "refusal reported"}[refuse], func(t *testing.T) {
			f := newFixture(t, 25, "flows/notify.yaml", notifySrc)
			fc := &fakeTemporal{refuse: refuse}
			f.srv = f.temporalServer(fc)
			status, got := f.do("POST", secret, delivery(t, nil, 1, 2))
			if status != 200 || strings.TrimSpace(got) != `{"duplicates":0,"queued":2}` {
				t.Fatalf("delivery: %d %s", status, got)
			}
			if len(fc.starts) != 0 {
				t.Fatalf("started before the acknowledgement's queue was read: %v", fc.starts)
			}
			f.drain()
			// Events of different people start concurrently.
			sort.Strings(fc.starts)
			want := []string{"jml/ev-01/leaver", "jml/ev-01/notify", "jml/ev-02/leaver", "jml/ev-02/notify"}
			if strings.Join(fc.starts, " ") != strings.Join(want, " ") {
				t.Fatalf("starts %v, want %v", fc.starts, want)
			}
			done := f.queue(history.QueueDone)
			if len(done) != 2 || done[0].Detail != "workflow jml/ev-01/leaver (run run-jml/ev-01/leaver), workflow jml/ev-01/notify (run run-jml/ev-01/notify)" {
				t.Fatalf("done: %+v", done)
			}

			// A second serve (its own queue) gets the same delivery.
			g := newFixture(t, 25, "flows/notify.yaml", notifySrc)
			g.srv = g.temporalServer(fc)
			g.do("POST", secret, delivery(t, nil, 1, 2))
			g.drain()
			if len(fc.starts) != 4 {
				t.Fatalf("redelivered events started workflows again: %v", fc.starts)
			}
			done = g.queue(history.QueueDone)
			if len(done) != 2 || !strings.Contains(done[1].Detail, "workflow jml/ev-02/notify (run run-jml/ev-02/notify)") {
				t.Fatalf("redelivered: %+v", done)
			}
		})
	}
}

// TestTemporalStartFails: an event whose workflows could not start stays
// queued, and starts at the next pass.
func TestTemporalStartFails(t *testing.T) {
	f := newFixture(t, 25)
	fc := &fakeTemporal{fail: serviceerror.NewUnavailable("frontend down")}
	f.srv = f.temporalServer(fc)
	f.do("POST", secret, delivery(t, nil, 1))
	// One pass over the queue: one failed start.
	if err := f.srv.Dispatch(context.Background()); err != nil {
		t.Fatal(err)
	}
	f.srv.Wait()
	if q := f.queue(history.QueueQueued); len(q) != 1 {
		t.Fatalf("queued: %+v", q)
	}
	fc.mu.Lock()
	fc.fail = nil
	fc.mu.Unlock()
	f.drain()
	if q := f.queue(history.QueueDone); len(q) != 1 || len(fc.starts) != 1 {
		t.Fatalf("done %+v, starts %v", q, fc.starts)
	}
	rec := httptest.NewRecorder()
	f.srv.o.Metrics.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	fams := parseMetrics(t, rec.Result())
	for name, want := range map[string]float64{
		`jml_serve_workflow_starts_total{result="failed"}`:  1,
		`jml_serve_workflow_starts_total{result="started"}`: 1,
	} {
		if got := fams[name]; got != want {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
}
