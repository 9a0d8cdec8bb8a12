package temporal

import (
	"context"
	"strings"
	"sync"
	"testing"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/jml-dev/jml/pkg/clock"
	"github.com/jml-dev/jml/pkg/compile"
	"github.com/jml-dev/jml/pkg/effect"
	"github.com/jml-dev/jml/pkg/engine"
	"github.com/jml-dev/jml/pkg/replay"
)

// withChildren runs the flow as a workflow with id WorkflowID("ev-1",
// flow) in the test environment, and returns the run and the ids of the
// child workflows it started, of type HelperWorkflowName, in start order.
func withChildren(t *testing.T, g *compile.Graph, fx effect.Effector, flow string, setup ...func(*testsuite.TestWorkflowEnvironment)) (*engine.Run, []string) {
	t.Helper()
	env := testEnv()
	env.SetStartTime(t0)
	env.SetStartWorkflowOptions(client.StartWorkflowOptions{ID: WorkflowID("ev-1", flow)})
	NewFlows(g, fx).Register(env)
	for _, f := range setup {
		f(env)
	}
	var mu sync.Mutex
	var children []string
	env.SetOnChildWorkflowStartedListener(func(info *workflow.Info, _ workflow.Context, _ converter.EncodedValues) {
		mu.Lock()
		defer mu.Unlock()
		if info.WorkflowType.Name != HelperWorkflowName {
			t.Errorf("child workflow of type %s", info.WorkflowType.Name)
		}
		children = append(children, info.WorkflowExecution.ID)
	})
	env.ExecuteWorkflow(WorkflowName, input(g, flow))
	if !env.IsWorkflowCompleted() {
		t.Fatal("workflow did not complete")
	}
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	var r engine.Run
	if err := env.GetWorkflowResult(&r); err != nil {
		t.Fatal(err)
	}
	return &r, children
}

// profiled answers okta.getUser with a profile the flows read.
type profiled struct{ *fake }

func (p profiled) Do(ctx context.Context, req effect.Request) (map[string]any, error) {
	out, err := p.fake.Do(ctx, req)
	if err == nil && req.Name() == "okta.getUser" {
		out["profile"] = map[string]any{"title": "Rep", "level": int64(3)}
	}
	return out, err
}

// runJSON is the run as the workflow's result carries it: JSON.
// TestHelpersAsChildWorkflows: every helper call runs as a child workflow
// (one per call, its id derived from the flow's workflow id and the call
// card's path, forEach index included), and the run is the local run:
// same cards, calls, changes, outputs, errors and times, in JSON.
func TestHelpersAsChildWorkflows(t *testing.T) {
	const outer = `name: outer
trigger: {helper: {}}
inputs: {login: {type: string, required: true}, n: {type: number, required: true}, tags: {type: object}, at: {}}
outputs: {number: {type: string}, next: {type: number}, half: {type: number}, whole: {type: number}, later: {}}
steps:
  - id: sub
    call: inner
    with: {login: "${{ inputs.login }}"}
  - action: slack.postMessage
    with: {channel: "#it", text: "${{ inputs.tags.team }} ${{ user.profile.title }} ${{ inputs.n + 1 }} ${{ inputs.n / 2 }} ${{ user.profile.level / 2 }}"}
  - return: {number: "${{ steps.sub.output.number }}", next: "${{ steps.sub.output.n + inputs.n }}", half: "${{ double(inputs.n) / 2.0 }}", whole: "${{ double(inputs.n) }}", later: "${{ inputs.at + duration('1h') }}"}
`
	const inner = `name: inner
trigger: {helper: {}}
inputs: {login: {type: string, required: true}}
outputs: {number: {type: string}, n: {type: number}}
steps:
  - id: rec
    action: itsm.createRecord
    with: {table: sc_task, fields: {short_description: "Offboard ${{ inputs.login }}", level: "${{ user.profile.level + 1 }}"}}
  - return: {number: "${{ steps.rec.output.number }}", n: "${{ size(inputs.login) }}"}
`
	const halter = `name: halter
trigger: {helper: {}}
inputs: {why: {type: string}}
steps:
  - action: slack.postMessage
    with: {channel: "#it", text: before}
  - halt: "stopped: ${{ inputs.why }}"
  - action: slack.postMessage
    with: {channel: "#it", text: never}
`
	const failer = `name: failer
trigger: {helper: {}}
outputs: {v: {type: string}}
steps:
  - continueIf: run.flow != "nobody"
  - action: google.suspendUser
    with: {userKey: x}
    onError: return
  - return: {v: ok}
`
	const stopper = `name: stopper
trigger: {helper: {}}
outputs: {v: {type: string}}
steps:
  - continueIf: "false"
  - return: {v: never}
`
	tests := []struct {
		name, flow string
		script     map[string][]*effect.Error
		status     engine.Status
		children   []string
	}{
		{"nested helpers pass inputs and outputs with their types", `name: nested
trigger: {event: user.lifecycle.deactivate}
vars: {login: user.alternateId}
steps:
  - id: o
    call: outer
    with: {login: "${{ vars.login }}", n: 5, tags: {team: ops}, at: "${{ timestamp('2026-01-05T09:00:00Z') }}"}
  - action: slack.postMessage
    with: {channel: "#it", text: "${{ steps.o.output.number }} ${{ steps.o.output.next * 2 }} ${{ steps.o.output.next / 4 }} ${{ steps.o.output.half }} ${{ steps.o.output.whole / 2.0 }} ${{ steps.o.output.later.getHours() }}"}
`, nil, engine.StatusSuccess, []string{"jml/ev-1/nested/steps[0]", "jml/ev-1/nested/steps[0]/outer/steps[0]"}},
		{"a helper that halts halts the run", `name: halts
trigger: {event: user.lifecycle.deactivate}
steps:
  - call: halter
    with: {why: "${{ user.alternateId }}"}
  - action: slack.postMessage
    with: {channel: "#it", text: after}
`, nil, engine.StatusHalted, []string{"jml/ev-1/halts/steps[0]"}},
		{"a helper's onError: return is caught by the caller's try", `name: catches
trigger: {event: user.lifecycle.deactivate}
steps:
  - try:
      - id: f
        call: failer
    catch:
      - action: slack.postMessage
        with: {channel: "#it", text: "caught ${{ error.code }} ${{ error.status }} ${{ error.card }} ${{ error.message }}"}
  - call: stopper
    id: s
  - action: slack.postMessage
    with: {channel: "#it", text: "${{ steps.s.status }} ${{ steps.s.output.v == null }}"}
`, map[string][]*effect.Error{"google.suspendUser": {effect.HTTPError(404, "no such user")}}, engine.StatusSuccess,
			[]string{"jml/ev-1/catches/steps[0].try[0]", "jml/ev-1/catches/steps[1]"}},
		{"helpers in a concurrent forEach", `name: loop
trigger: {event: user.lifecycle.deactivate}
vars: {logins: "['a', 'b', 'c']"}
steps:
  - forEach: vars.logins
    as: l
    concurrency: 2
    do:
      - call: inner
        with: {login: "${{ l }}"}
  - action: slack.postMessage
    with: {channel: "#it", text: done}
`, nil, engine.StatusSuccess, []string{"jml/ev-1/loop/steps[0]#0/steps[0].do[0]", "jml/ev-1/loop/steps[0]#1/steps[0].do[0]", "jml/ev-1/loop/steps[0]#2/steps[0].do[0]"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := graph(t, tt.flow, outer, inner, halter, failer, stopper)
			flow := g.Names[0]
			for _, name := range g.Names {
				if !g.Flows[name].IsHelper() {
					flow = name
				}
			}
			clone := func() map[string][]*effect.Error {
				m := map[string][]*effect.Error{}
				for k, v := range tt.script {
					m[k] = append([]*effect.Error(nil), v...)
				}
				return m
			}
			lfx, tfx := &fake{script: clone()}, &fake{script: clone()}
			clk := clock.NewVirtual(t0)
			e := replay.Engine(replay.Setup{Graph: g, Effector: profiled{lfx}, Clock: clk, Mode: engine.ModeApply, Flow: flow})
			at, _ := ev(t).PublishedTime()
			want := e.Run(context.Background(), g.Flows[flow], engine.Trigger{Event: ev(t), At: at})
			got, children := withChildren(t, g, profiled{tfx}, flow)
			if got.Status != tt.status {
				t.Errorf("status %s, want %s (%+v)", got.Status, tt.status, got.Error)
			}
			if g, w := runJSON(t, got), runJSON(t, want); g != w {
				t.Errorf("workflow run differs from the local run\n got:\n%s\nwant:\n%s", g, w)
			}
			if strings.Join(children, "\n") != strings.Join(tt.children, "\n") {
				t.Errorf("child workflows\n%s\nwant\n%s", strings.Join(children, "\n"), strings.Join(tt.children, "\n"))
			}
			if strings.Join(tfx.calls, " ") != strings.Join(lfx.calls, " ") {
				t.Errorf("calls %v, local %v", tfx.calls, lfx.calls)
			}
		})
	}
}

// TestHelperWorkflowRefusesOtherFlows: a helper workflow started for
// other flows than the worker's is refused as its flow's workflow is.
func TestHelperWorkflowRefusesOtherFlows(t *testing.T) {
	g := graph(t, leaverSrc, ticketSrc)
	env := testEnv()
	fx := &fake{}
	NewFlows(g, fx).Register(env)
	env.ExecuteWorkflow(HelperWorkflowName, HelperInput{Digest: "sha256:other"})
	var ae *temporal.ApplicationError
	if err := env.GetWorkflowError(); !errorsAs(err, &ae) || ae.Type() != ErrDigest || len(fx.calls) != 0 {
		t.Fatalf("error %v, calls %v: want a non-retryable %s", err, fx.calls, ErrDigest)
	}
}

// TestWorkflowStartedBeforeHelperChildren: a workflow whose history has
// no HelperChildren marker (started by a worker that ran helpers inside
// the flow's workflow) still runs its helpers so, and its run is still the
// local run.
func TestWorkflowStartedBeforeHelperChildren(t *testing.T) {
	g := graph(t, leaverSrc, ticketSrc)
	old := func(env *testsuite.TestWorkflowEnvironment) {
		env.OnGetVersion(HelperChildren, workflow.DefaultVersion, 1).Return(workflow.DefaultVersion)
	}
	want := local(t, g, &fake{}, "leaver")
	got, children := withChildren(t, g, &fake{}, "leaver", old)
	if len(children) != 0 {
		t.Errorf("child workflows %v, want none", children)
	}
	if g, w := summary(got), summary(want); g != w || got.Status != engine.StatusSuccess {
		t.Errorf("workflow run differs from the local run\n got:\n%s\nwant:\n%s", g, w)
	}
	if _, children := withChildren(t, g, &fake{}, "leaver"); strings.Join(children, " ") != "jml/ev-1/leaver/steps[5]" {
		t.Errorf("a new workflow started child workflows %v, want one for the ticket", children)
	}
}

// failing fails the ticket of one login.
type failing struct {
	*fake
	login string
}

func (f failing) Do(ctx context.Context, req effect.Request) (map[string]any, error) {
	if fields, _ := req.Input["fields"].(map[string]any); fields != nil && fields["short_description"] == "Offboard "+f.login {
		return nil, effect.HTTPError(400, "bad table")
	}
	return f.fake.Do(ctx, req)
}

// TestHelperFailsInAConcurrentForEach: a helper whose call fails in one
// item of a concurrent forEach halts the run as locally, with the same
// error, however the other items' child workflows were scheduled.
func TestHelperFailsInAConcurrentForEach(t *testing.T) {
	g := graph(t, `name: loop
trigger: {event: user.lifecycle.deactivate}
steps:
  - forEach: "['a', 'b', 'c', 'd']"
    as: l
    concurrency: 2
    do:
      - call: ticket
        with: {login: "${{ l }}"}
  - action: slack.postMessage
    with: {channel: "#it", text: done}
`, ticketSrc)
	want := func() *engine.Run {
		e := replay.Engine(replay.Setup{Graph: g, Effector: failing{&fake{}, "b"}, Clock: clock.NewVirtual(t0), Mode: engine.ModeApply, Flow: "loop"})
		at, _ := ev(t).PublishedTime()
		return e.Run(context.Background(), g.Flows["loop"], engine.Trigger{Event: ev(t), At: at})
	}()
	got, children := withChildren(t, g, failing{&fake{}, "b"}, "loop")
	if got.Status != engine.StatusHalted || want.Status != engine.StatusHalted || got.Error == nil || want.Error == nil ||
		*got.Error != *want.Error {
		t.Errorf("workflow run %s %+v, local run %s %+v", got.Status, got.Error, want.Status, want.Error)
	}
	if len(children) < 2 || children[1] != "jml/ev-1/loop/steps[0]#1/steps[0].do[0]" {
		t.Errorf("child workflows %v, want at least items 0 and 1", children)
	}
	for _, ch := range got.Changes {
		if strings.Contains(ch.Path, "#1/") {
			t.Errorf("the failed item made a change: %+v", ch)
		}
	}
}

// TestHandlerCallsAHelperTwice: an onError handler flow's cards have the
// same paths each time it runs, so its second call of a helper in one
// workflow gets the child workflow id suffix ~2; the run is the local run.
func TestHandlerCallsAHelperTwice(t *testing.T) {
	g := graph(t, `name: twice
trigger: {event: user.lifecycle.deactivate}
steps:
  - try:
      - action: slack.postMessage
        with: {channel: "#a", text: hi}
        onError: {flow: handler}
    catch:
      - assign: {caught: true}
  - action: slack.postMessage
    with: {channel: "#b", text: hi}
    onError: {flow: handler}
`, `name: handler
trigger: {helper: {}}
steps:
  - call: ticket
    with: {login: "${{ error.card }}"}
`, ticketSrc)
	script := func() map[string][]*effect.Error {
		return map[string][]*effect.Error{"slack.postMessage": {effect.HTTPError(400, "no channel"), effect.HTTPError(400, "no channel")}}
	}
	want := local(t, g, &fake{script: script()}, "twice")
	got, children := withChildren(t, g, &fake{script: script()}, "twice")
	if g, w := runJSON(t, got), runJSON(t, want); g != w || len(got.Changes) != 2 {
		t.Errorf("workflow run differs from the local run, or did not open two tickets\n got:\n%s\nwant:\n%s", g, w)
	}
	if w := "jml/ev-1/twice/handler/steps[0] jml/ev-1/twice/handler/steps[0]~2"; strings.Join(children, " ") != w {
		t.Errorf("child workflows %v, want %s", children, w)
	}
}

func TestHelperWorkflowID(t *testing.T) {
	const root = "jml/ev-1/leaver"
	tests := []struct {
		parent, parentCard, card string
		n                        int
		want                     string
	}{
		{root, "", "steps[5]", 1, root + "/steps[5]"},
		{root, "", "steps[2]#0/steps[2].do[0]", 1, root + "/steps[2]#0/steps[2].do[0]"},
		{root + "/steps[5]", "steps[5]", "steps[5]/ticket/steps[1]", 1, root + "/steps[5]/ticket/steps[1]"},
		{root, "", "handler/steps[0]", 2, root + "/handler/steps[0]~2"},
		// A handler's card inside a helper: its path is not under the
		// helper's call card, so the id keeps the helper workflow's.
		{root + "/steps[5]", "steps[5]", "outer/handler/steps[0]", 1, root + "/steps[5]/outer/handler/steps[0]"},
		{root + "/steps[6]", "steps[6]", "outer/handler/steps[0]", 1, root + "/steps[6]/outer/handler/steps[0]"},
	}
	for _, tt := range tests {
		if got := HelperWorkflowID(tt.parent, tt.parentCard, tt.card, tt.n); got != tt.want {
			t.Errorf("HelperWorkflowID(%q, %q, %q, %d) = %q, want %q", tt.parent, tt.parentCard, tt.card, tt.n, got, tt.want)
		}
	}
}

// TestHandlersInTwoHelperCalls: a helper called twice whose handler flow
// calls a helper: the handler's cards have the same paths in both calls,
// and the child workflows' ids stay apart under their helper workflows.
func TestHandlersInTwoHelperCalls(t *testing.T) {
	g := graph(t, `name: two
trigger: {event: user.lifecycle.deactivate}
steps:
  - try: [{call: notify}]
    catch: [{assign: {a: true}}]
  - try: [{call: notify}]
    catch: [{assign: {b: true}}]
`, `name: notify
trigger: {helper: {}}
steps:
  - action: slack.postMessage
    with: {channel: "#a", text: hi}
    onError: {flow: handler}
`, `name: handler
trigger: {helper: {}}
steps:
  - call: ticket
    with: {login: "${{ error.card }}"}
`, ticketSrc)
	script := func() map[string][]*effect.Error {
		return map[string][]*effect.Error{"slack.postMessage": {effect.HTTPError(400, "no channel"), effect.HTTPError(400, "no channel")}}
	}
	want := local(t, g, &fake{script: script()}, "two")
	got, children := withChildren(t, g, &fake{script: script()}, "two")
	if g, w := runJSON(t, got), runJSON(t, want); g != w || len(got.Changes) != 2 {
		t.Errorf("workflow run differs from the local run, or did not open two tickets\n got:\n%s\nwant:\n%s", g, w)
	}
	w := "jml/ev-1/two/steps[0].try[0] jml/ev-1/two/steps[0].try[0]/notify/handler/steps[0] jml/ev-1/two/steps[1].try[0] jml/ev-1/two/steps[1].try[0]/notify/handler/steps[0]"
	if strings.Join(children, " ") != w {
		t.Errorf("child workflows %v, want %s", children, w)
	}
}
