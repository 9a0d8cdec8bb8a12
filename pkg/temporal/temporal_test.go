package temporal

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/worker"

	"github.com/jml-dev/jml/pkg/ast"
	"github.com/jml-dev/jml/pkg/clock"
	"github.com/jml-dev/jml/pkg/compile"
	"github.com/jml-dev/jml/pkg/effect"
	"github.com/jml-dev/jml/pkg/engine"
	"github.com/jml-dev/jml/pkg/event"
	"github.com/jml-dev/jml/pkg/replay"
	"github.com/jml-dev/jml/pkg/source"
)

const cfgSrc = `apiVersion: jml/v1
kind: Config
connectors:
  okta: {type: okta}
  slack: {type: slack}
  google: {type: google}
  itsm: {type: servicenow}
`

// leaverSrc has every card kind: action (with retry and onError), try /
// catch, if, assign, halt, call, forEach with concurrency.
const leaverSrc = `name: leaver
trigger: {event: user.lifecycle.deactivate}
vars:
  login: user.alternateId
  channels: "['a', 'b', 'c']"
steps:
  - id: who
    action: okta.getUser
    with: {userId: "${{ user.id }}"}
  - action: okta.clearUserSessions
    with: {userId: "${{ steps.who.output.id }}", oauthTokens: true}
  - id: slack
    action: slack.deactivateUser
    with: {email: "${{ vars.login }}"}
    retry: {attempts: 3, interval: 5s, backoff: 2, maxInterval: 8s}
  - try:
      - action: google.suspendUser
        with: {userKey: "${{ vars.login }}"}
    catch:
      - if: error.status == 404
        then: [{assign: {google: false}}]
        else: [{halt: "Google: ${{ error.message }}"}]
  - forEach: vars.channels
    as: ch
    concurrency: 2
    do:
      - action: slack.postMessage
        with: {channel: "#${{ ch }}", text: "bye ${{ vars.login }}"}
  - id: ticket
    call: ticket
    with: {login: "${{ vars.login }}"}
  - action: slack.postMessage
    with: {channel: "#it", text: "Done ${{ vars.login }}: ${{ steps.ticket.output.number }}"}
    onError: continue
`

const ticketSrc = `name: ticket
trigger: {helper: {}}
inputs: {login: {type: string, required: true}}
outputs: {number: {type: string}}
steps:
  - id: rec
    action: itsm.createRecord
    with: {table: sc_task, fields: {short_description: "Offboard ${{ inputs.login }}"}}
  - return: {number: "${{ steps.rec.output.number }}"}
`

func graph(t *testing.T, flows ...string) *compile.Graph {
	t.Helper()
	cf, ds := source.Parse("jml.yaml", []byte(cfgSrc))
	if ds.HasErrors() {
		t.Fatal(ds)
	}
	var fs []*ast.Flow
	for i, src := range flows {
		f, ds := source.Parse(fmt.Sprintf("flows/%d.yaml", i), []byte("apiVersion: jml/v1\nkind: Flow\n"+src))
		if ds.HasErrors() {
			t.Fatal(ds)
		}
		fs = append(fs, ast.DecodeFlow(f))
	}
	g, ds := compile.Compile(ast.DecodeConfig(cf), fs)
	if ds.HasErrors() {
		t.Fatal(ds)
	}
	return g
}

// fake answers actions from a script: per "instance.action", a queue of
// errors (nil: success); when the queue is empty, success.
type fake struct {
	mu     sync.Mutex
	script map[string][]*effect.Error
	calls  []string
}

func (f *fake) Do(ctx context.Context, req effect.Request) (map[string]any, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, req.Name())
	if q := f.script[req.Name()]; len(q) > 0 {
		f.script[req.Name()] = q[1:]
		if q[0] != nil {
			return nil, q[0]
		}
	}
	switch req.Name() {
	case "itsm.createRecord":
		return map[string]any{"sys_id": "s1", "number": "SCTASK0010001", "n": int64(7)}, nil
	case "okta.getUser":
		return map[string]any{"id": req.Input["userId"], "status": "ACTIVE", "profile": map[string]any{}}, nil
	}
	return map[string]any{}, nil
}

var t0 = time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)

const deactivation = `{"uuid": "ev-1", "eventType": "user.lifecycle.deactivate", "published": "2026-01-05T09:00:00.000Z",
 "actor": {"id": "00uadmin", "type": "User", "alternateId": "admin@acme.com"},
 "target": [{"id": "00ujane", "type": "User", "alternateId": "jane@acme.com", "displayName": "Jane Doe"}]}`

func ev(t *testing.T) *event.Event {
	t.Helper()
	e, err := decodeEvent(json.RawMessage(deactivation), "ev.json")
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// local runs the flow as jml apply does, without Temporal.
func local(t *testing.T, g *compile.Graph, fx *fake, flow string) *engine.Run {
	clk := clock.NewVirtual(t0)
	e := replay.Engine(replay.Setup{Graph: g, Effector: fx, Clock: clk, Mode: engine.ModeApply, Flow: flow})
	at, _ := ev(t).PublishedTime()
	return e.Run(context.Background(), g.Flows[flow], engine.Trigger{Event: ev(t), At: at})
}

// onTemporal runs the flow as a workflow in the test environment.
// testEnv is the SDK's test environment for every workflow test here:
// its real-time limits (3 s idle, 1 s per workflow task before it reports
// a deadlock) are for a machine at rest; this one may be busy (-race,
// shared cores). Not a limit of the tests' logic, which runs on the
// environment's own clock.
func testEnv() *testsuite.TestWorkflowEnvironment {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	env.SetTestTimeout(time.Minute)
	env.SetWorkerOptions(worker.Options{DeadlockDetectionTimeout: time.Minute})
	return env
}

func onTemporal(t *testing.T, g *compile.Graph, fx *fake, in FlowInput) (*engine.Run, time.Duration, error) {
	env := testEnv()
	env.SetStartTime(t0)
	NewFlows(g, fx).Register(env)
	env.ExecuteWorkflow(WorkflowName, in)
	if !env.IsWorkflowCompleted() {
		t.Fatal("workflow did not complete")
	}
	if err := env.GetWorkflowError(); err != nil {
		return nil, 0, err
	}
	var r engine.Run
	if err := env.GetWorkflowResult(&r); err != nil {
		t.Fatal(err)
	}
	return &r, env.Now().Sub(t0), nil
}

func input(g *compile.Graph, flow string) FlowInput {
	return FlowInput{Digest: Digest(g), Flow: flow, Event: json.RawMessage(deactivation), Source: "ev.json"}
}

func summary(r *engine.Run) string {
	var b strings.Builder
	fmt.Fprintf(&b, "status %s\n", r.Status)
	if r.Error != nil {
		fmt.Fprintf(&b, "error %s %s\n", r.Error.Code, r.Error.Message)
	}
	for _, c := range r.Changes {
		w, _ := json.Marshal(c.With)
		fmt.Fprintf(&b, "%s %s %s\n", c.Path, c.Action, w)
	}
	var walk func(ts []*engine.CardTrace)
	walk = func(ts []*engine.CardTrace) {
		for _, ct := range ts {
			fmt.Fprintf(&b, "card %s %s attempts=%d\n", ct.Path, ct.Status, ct.Attempts)
			walk(ct.Children)
		}
	}
	walk(r.Cards)
	return b.String()
}

// TestWorkflowMatchesLocal runs the same flow locally and as a workflow,
// over the same vendor answers: the runs must agree on status, error,
// changes, every card's status and attempts, and the time waited.
func TestWorkflowMatchesLocal(t *testing.T) {
	g := graph(t, leaverSrc, ticketSrc)
	rateLimited := &effect.Error{Status: 429, Code: "rate_limited", Message: "slow down", Retryable: true, RetryAfter: 8 * time.Second}
	tests := []struct {
		name   string
		script map[string][]*effect.Error
		status engine.Status
		waited time.Duration
		// racy: which concurrent item gets which scripted answer depends
		// on scheduling (locally too); only status and error must agree.
		racy bool
	}{
		{"happy path", nil, engine.StatusSuccess, 0, false},
		{"two 503 then success: the engine's backoff, 5s then 8s", map[string][]*effect.Error{
			"slack.deactivateUser": {effect.HTTPError(503, "down"), effect.HTTPError(503, "down")}}, engine.StatusSuccess, 13 * time.Second, false},
		{"Retry-After wins over the backoff", map[string][]*effect.Error{
			"slack.deactivateUser": {rateLimited}}, engine.StatusSuccess, 8 * time.Second, false},
		{"retries spent: the run halts", map[string][]*effect.Error{
			"slack.deactivateUser": {effect.HTTPError(503, "down"), effect.HTTPError(503, "down"), effect.HTTPError(503, "down")}}, engine.StatusHalted, 13 * time.Second, false},
		{"catch takes the 404 and goes on", map[string][]*effect.Error{
			"google.suspendUser": {effect.HTTPError(404, "no such user")}}, engine.StatusSuccess, 0, false},
		{"catch halts on another error", map[string][]*effect.Error{
			"google.suspendUser": {effect.HTTPError(400, "bad")}}, engine.StatusHalted, 0, false},
		{"a forEach item fails", map[string][]*effect.Error{
			"slack.postMessage": {nil, effect.HTTPError(400, "no channel")}}, engine.StatusHalted, 0, true},
		{"onError: continue on the last card", map[string][]*effect.Error{
			"slack.postMessage": {nil, nil, nil, effect.HTTPError(400, "no channel")}}, engine.StatusSuccess, 0, false},
		{"a failing helper halts the caller", map[string][]*effect.Error{
			"itsm.createRecord": {effect.HTTPError(400, "bad table")}}, engine.StatusHalted, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clone := func() map[string][]*effect.Error {
				m := map[string][]*effect.Error{}
				for k, v := range tt.script {
					m[k] = append([]*effect.Error(nil), v...)
				}
				return m
			}
			lfx, tfx := &fake{script: clone()}, &fake{script: clone()}
			want := local(t, g, lfx, "leaver")
			got, waited, err := onTemporal(t, g, tfx, input(g, "leaver"))
			if err != nil {
				t.Fatal(err)
			}
			if tt.script == nil && !strings.Contains(summary(got), "steps[4]#2/steps[4].do[0] success") {
				t.Errorf("the forEach's items did not run:\n%s", summary(got))
			}
			if got.Status != tt.status {
				t.Errorf("status %s, want %s (%+v)", got.Status, tt.status, got.Error)
			}
			if tt.racy {
				if got.Status != want.Status || got.Error == nil || want.Error == nil || got.Error.Message != want.Error.Message {
					t.Errorf("workflow run %s %+v, local run %s %+v", got.Status, got.Error, want.Status, want.Error)
				}
			} else if g, w := summary(got), summary(want); g != w {
				t.Errorf("workflow run differs from the local run\n got:\n%s\nwant:\n%s", g, w)
			}
			if waited != tt.waited {
				t.Errorf("waited %s on workflow timers, want %s", waited, tt.waited)
			}
			if got.ID != want.ID || !got.StartedAt.Equal(want.StartedAt) {
				t.Errorf("run %s at %s, local run %s at %s", got.ID, got.StartedAt, want.ID, want.StartedAt)
			}
			if !tt.racy && len(tfx.calls) != len(lfx.calls) {
				t.Errorf("%d calls, local %d", len(tfx.calls), len(lfx.calls))
			}
		})
	}
}

// TestDigestMismatchIsRefused: a worker serving other flows refuses the
// workflow with a non-retryable error that says what to do.
func TestDigestMismatchIsRefused(t *testing.T) {
	g := graph(t, leaverSrc, ticketSrc)
	in := input(g, "leaver")
	in.Digest = "sha256:other"
	fx := &fake{}
	_, _, err := onTemporal(t, g, fx, in)
	if err == nil {
		t.Fatal("workflow of other flows ran")
	}
	var ae *temporal.ApplicationError
	if !errorsAs(err, &ae) || ae.Type() != ErrDigest || !ae.NonRetryable() {
		t.Fatalf("error %v, want a non-retryable %s", err, ErrDigest)
	}
	if !strings.Contains(err.Error(), "sha256:other") || len(fx.calls) != 0 {
		t.Errorf("error %q, calls %v", err, fx.calls)
	}
}

func TestWorkflowIDAndDigest(t *testing.T) {
	g := graph(t, leaverSrc, ticketSrc)
	if got := WorkflowID("ev-1", "leaver"); got != "jml/ev-1/leaver" {
		t.Errorf("WorkflowID = %s", got)
	}
	changed := graph(t, strings.Replace(leaverSrc, "bye", "farewell", 1), ticketSrc)
	if Digest(g) == Digest(changed) {
		t.Error("a changed flow has the same digest")
	}
	if Digest(g) != Digest(graph(t, leaverSrc, ticketSrc)) {
		t.Error("the digest of the same flows changed")
	}
}

func errorsAs(err error, target any) bool { return errors.As(err, target) }
