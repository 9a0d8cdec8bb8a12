package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/worker"

	"github.com/jml-dev/jml/pkg/engine"
	"github.com/jml-dev/jml/pkg/temporal"
)

// TestNewCmdWorkerHistory: the worker records in the store of --history,
// else of jml.yaml (openHistory), as apply does.
func TestNewCmdWorkerHistory(t *testing.T) {
	base := WorkerOptions{Color: "never", Config: "jml.yaml", Temporal: "127.0.0.1:7233", LogFormat: "text"}
	flag := base
	flag.History = "postgres://jml@db/jml"
	testFlags(t, newWorkerCmd, []flagCase[WorkerOptions]{
		{name: "jml.yaml's history", args: []string{"--temporal=127.0.0.1:7233"}, want: &base},
		{name: "--history", args: []string{"--temporal=127.0.0.1:7233", "--history", "postgres://jml@db/jml"}, want: &flag},
	})
}

// workerFlow clears the user's sessions, then suspends them.
const workerFlow = `apiVersion: jml/v1
kind: Flow
name: leaver
trigger: {event: user.lifecycle.deactivate}
steps:
  - id: sessions
    action: okta.clearUserSessions
    with: {userId: "${{ user.id }}"}
  - id: suspend
    action: okta.suspendUser
    with: {userId: "${{ user.id }}"}
`

// TestWorkerRunInHistory: a run made by jml worker's set-up (the
// connectors of jml.yaml, the history store of jml.yaml) in a workflow —
// the SDK's test environment, no server — is listed and shown by jml
// history like a local run, with its workflow, and resumed by jml resume:
// the call it made is not made again. The vendor's answer that echoes the
// token is journaled redacted.
func TestWorkerRunInHistory(t *testing.T) {
	var sessions, suspends atomic.Int32
	okta := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch {
		case strings.HasSuffix(r.URL.Path, "/sessions"):
			sessions.Add(1)
			w.WriteHeader(http.StatusNoContent)
		case strings.HasSuffix(r.URL.Path, "/lifecycle/suspend"):
			if suspends.Add(1) == 1 {
				w.WriteHeader(http.StatusBadRequest)
				fmt.Fprintf(w, `{"errorCode":"E0000001","errorSummary":"Bad request: %s","errorCauses":[]}`, r.Header.Get("Authorization"))
				return
			}
			w.Write([]byte(`{}`))
		default:
			w.WriteHeader(http.StatusNotFound)
			w.Write([]byte(`{"errorCode":"E0000007","errorSummary":"Not found"}`))
		}
	}))
	t.Cleanup(okta.Close)
	dir := applyRepo(t, okta.URL, 25, 1)
	if err := os.WriteFile(filepath.Join(dir, "flows/leaver.yaml"), []byte(workerFlow), 0o644); err != nil {
		t.Fatal(err)
	}

	ios, _, _, errOut := Test()
	ios.WorkDir = dir
	ios.Getenv = func(k string) string {
		if k == "OKTA_API_TOKEN" {
			return canary
		}
		return ""
	}
	o := &WorkerOptions{IO: ios, Temporal: "127.0.0.1:7233"}
	proj, _, err := loadForReplay(loadOptions{IO: ios, Config: o.Config})
	if err != nil {
		t.Fatalf("%v\n%s", err, errOut)
	}
	ws, err := newWorkerSetup(context.Background(), o, proj)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.store.Close()
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestWorkflowEnvironment()
	// A loaded machine (-race, other tests) is not a deadlock.
	env.SetWorkerOptions(worker.Options{DeadlockDetectionTimeout: time.Minute})
	ws.flows.Register(env)
	env.ExecuteWorkflow(temporal.WorkflowName, temporal.FlowInput{Digest: temporal.Digest(proj.Graph), Flow: "leaver",
		Event: json.RawMessage(applyEvent(1)), Source: "events.ndjson"})
	if !env.IsWorkflowCompleted() || env.GetWorkflowError() != nil {
		t.Fatalf("workflow: completed %v, %v", env.IsWorkflowCompleted(), env.GetWorkflowError())
	}
	var run engine.Run
	if err := env.GetWorkflowResult(&run); err != nil {
		t.Fatal(err)
	}
	if run.Status != engine.StatusHalted || sessions.Load() != 1 || suspends.Load() != 1 {
		t.Fatalf("run %s, %d sessions and %d suspend calls; want halted, 1 and 1", run.Status, sessions.Load(), suspends.Load())
	}
	select {
	case err := <-ws.failed:
		t.Fatal(err)
	default:
	}

	r := runIn(dir, "", false, "history")
	if r.code != 0 || !regexp.MustCompile(`(?m)user1@acme\.com +halted .* `+run.ID+` \(temporal\)$`).MatchString(r.out) {
		t.Fatalf("jml history: exit %d\n%s%s", r.code, r.out, r.errOut)
	}
	r = runIn(dir, "", false, "history", "show", run.ID)
	for _, want := range []string{"temporal: workflow default-test-workflow-id (run default-test-run-id)", "1 ✓ okta.clearUserSessions steps[0]", "2 ✗ okta.suspendUser steps[1]", `"message":"Bad request: ***"`} {
		if !strings.Contains(r.out, want) {
			t.Errorf("jml history show lacks %q:\n%s%s", want, r.out, r.errOut)
		}
	}
	if db, err := os.ReadFile(filepath.Join(dir, ".jml/history.db")); err != nil || strings.Contains(string(db)+r.out, canary) {
		t.Errorf("the token is in the history or its output (%v)", err)
	}

	r = runIn(dir, "", false, "resume", run.ID, "--auto-approve")
	if r.code != 0 || !strings.Contains(r.out, "resuming "+run.ID) || !strings.Contains(r.out, "not called: done by "+run.ID) {
		t.Fatalf("jml resume: exit %d\n%s%s", r.code, r.out, r.errOut)
	}
	if sessions.Load() != 1 || suspends.Load() != 2 {
		t.Errorf("%d sessions and %d suspend calls after the resume, want 1 and 2", sessions.Load(), suspends.Load())
	}
	r = runIn(dir, "", false, "history", "--format", "json")
	if !strings.Contains(r.out, `"workflowId": "default-test-workflow-id"`) || !strings.Contains(r.out, `"resumedFrom": "`+run.ID+`"`) {
		t.Errorf("jml history --format json:\n%s", r.out)
	}
}
