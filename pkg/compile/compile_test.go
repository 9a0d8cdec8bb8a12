package compile

import (
	"strings"
	"testing"
	"time"

	"github.com/jml-dev/jml/pkg/ast"
	"github.com/jml-dev/jml/pkg/diag"
	"github.com/jml-dev/jml/pkg/source"
)

const testConfig = `apiVersion: jml/v1
kind: Config
connectors:
  okta: {type: okta}
  slack: {type: slack}
  itsm: {type: servicenow}
  state:
    type: table
    tables:
      Temporary Groups: {columns: {Group Name: string, Duration: number}}
`

// build parses and compiles flows given as name → source (schema-valid by
// construction; the schema phase has its own tests).
func build(t *testing.T, flows map[string]string) (*Graph, diag.Diagnostics) {
	t.Helper()
	cf, ds := source.Parse("jml.yaml", []byte(testConfig))
	if ds.HasErrors() {
		t.Fatal(ds)
	}
	var fs []*ast.Flow
	for name, src := range flows {
		f, ds := source.Parse("flows/"+name+".yaml", []byte(src))
		if ds.HasErrors() {
			t.Fatal(ds)
		}
		fs = append(fs, ast.DecodeFlow(f))
	}
	return compileChecked(t, ast.DecodeConfig(cf), fs)
}

const leaver = `apiVersion: jml/v1
kind: Flow
name: leaver
trigger: {event: user.lifecycle.deactivate}
vars:
  login: user.alternateId
steps:
  - id: sessions
    action: okta.clearUserSessions
    with: {userId: "${{ user.id }}", oauthTokens: true}
    retry: {attempts: 3, interval: 5s, backoff: 2, maxInterval: 1m}
  - if: vars.login != ""
    then:
      - action: slack.deactivateUser
        with: {email: "${{ vars.login }}"}
    else:
      - halt: "no login"
  - switch: user.profile.department
    cases:
      Sales: [{assign: {x: 1}}]
      IT: [{assign: {x: 2}}]
    default: [{assign: {x: 3}}]
  - forEach: '["a", "b"]'
    as: g
    do:
      - action: okta.removeUserFromGroup
        with: {userId: "${{ user.id }}", groupId: "${{ g }}"}
  - try:
      - action: slack.reactivateUser
        with: {email: x}
    catch:
      - continueIf: error.status == 404
  - id: ticket
    call: ticket
    with: {login: "${{ vars.login }}"}
    onError: continue
  - action: slack.postMessage
    with: {channel: "#it", text: "${{ steps.ticket.output.number }}"}
    timeout: 10s
`

const ticket = `apiVersion: jml/v1
kind: Flow
name: ticket
trigger: {helper: {}}
inputs: {login: {type: string, required: true}}
outputs: {number: {type: string}}
steps:
  - id: rec
    action: itsm.createRecord
    with: {table: sc_task, fields: {short_description: "${{ inputs.login }}"}}
  - return: {number: "${{ steps.rec.output.number }}"}
`

func TestGraphShape(t *testing.T) {
	g, ds := build(t, map[string]string{"leaver": leaver, "ticket": ticket})
	if ds.HasErrors() {
		t.Fatal(ds)
	}
	if got := strings.Join(g.Names, ","); got != "leaver,ticket" {
		t.Fatalf("names %s", got)
	}
	f := g.Flows["leaver"]
	if !strings.HasPrefix(f.Digest, "sha256:") || len(f.Digest) != len("sha256:")+64 {
		t.Errorf("digest %q", f.Digest)
	}
	if f.Trigger.Kind != ast.TriggerEvent || f.Trigger.Events[0] != "user.lifecycle.deactivate" {
		t.Errorf("trigger %+v", f.Trigger)
	}
	if len(f.Vars) != 1 || f.Vars[0].Name != "login" || f.Vars[0].Prog == nil {
		t.Errorf("vars %+v", f.Vars)
	}
	// The top-level sequence, by path.
	var top []string
	for i := f.Entry; i != None; i = f.Nodes[i].Next {
		top = append(top, f.Nodes[i].Path+":"+string(f.Nodes[i].Kind))
	}
	want := "steps[0]:action steps[1]:if steps[2]:switch steps[3]:forEach steps[4]:try steps[5]:call steps[6]:action"
	if got := strings.Join(top, " "); got != want {
		t.Errorf("sequence\n got %s\nwant %s", got, want)
	}
	node := func(path string) *Node {
		for _, n := range f.Nodes {
			if n.Path == path {
				return n
			}
		}
		t.Fatalf("no node %s", path)
		return nil
	}
	sessions := node("steps[0]")
	if sessions.Action == nil || sessions.Action.Name != "clearUserSessions" || sessions.Instance != "okta" || sessions.ConnectorType != "okta" {
		t.Errorf("action not resolved: %+v", sessions)
	}
	if r := sessions.Retry; r.Attempts != 3 || r.Interval != 5*time.Second || r.Backoff != 2 || r.MaxInterval != time.Minute {
		t.Errorf("retry %+v", r)
	}
	if sessions.OnError != ast.OnErrorHalt {
		t.Errorf("default onError %q", sessions.OnError)
	}
	ifn := node("steps[1]")
	if f.Node(ifn.Then).Path != "steps[1].then[0]" || f.Node(ifn.Else).Path != "steps[1].else[0]" || ifn.Cond == nil {
		t.Errorf("if edges then=%d else=%d", ifn.Then, ifn.Else)
	}
	if f.Node(ifn.Then).Parent != ifn.Index || f.Node(ifn.Then).Next != None {
		t.Errorf("then[0] parent/next wrong")
	}
	sw := node("steps[2]")
	if len(sw.Cases) != 2 || sw.Cases[0].Value != "Sales" || f.Node(sw.Cases[1].Entry).Path != "steps[2].cases.IT[0]" || sw.Default == None {
		t.Errorf("switch cases %+v default %d", sw.Cases, sw.Default)
	}
	fe := node("steps[3]")
	if fe.As != "g" || fe.Concurrency != 1 || f.Node(fe.Body).Path != "steps[3].do[0]" {
		t.Errorf("forEach %+v", fe)
	}
	tr := node("steps[4]")
	if f.Node(tr.Try).Path != "steps[4].try[0]" || f.Node(tr.Catch).Path != "steps[4].catch[0]" {
		t.Errorf("try edges %d %d", tr.Try, tr.Catch)
	}
	call := node("steps[5]")
	if call.Callee != "ticket" || call.OnError != ast.OnErrorContinue || call.StepID != "ticket" {
		t.Errorf("call %+v", call)
	}
	if v, ok := call.With.Get("login"); !ok || !v.Single || v.Parts[0].Prog == nil {
		t.Errorf("call with not compiled: %+v", call.With)
	}
	post := node("steps[6]")
	if post.Timeout != 10*time.Second {
		t.Errorf("timeout %v", post.Timeout)
	}
	if got := strings.Join(f.Calls, ","); got != "ticket" {
		t.Errorf("calls %s", got)
	}
	if fl, cards := g.Stats(); fl != 2 || cards != len(f.Nodes)+2 {
		t.Errorf("stats %d %d", fl, cards)
	}
}

func TestCompileErrors(t *testing.T) {
	head := "apiVersion: jml/v1\nkind: Flow\n"
	tests := []struct {
		name  string
		flows map[string]string
		codes []string // the codes reported, sorted as Normalize sorts
	}{
		{
			name: "three-flow cycle names every flow",
			flows: map[string]string{
				"a": head + "name: a\ntrigger: {helper: {}}\nsteps: [{call: b}]\n",
				"b": head + "name: b\ntrigger: {helper: {}}\nsteps: [{call: c}]\n",
				"c": head + "name: c\ntrigger: {helper: {}}\nsteps: [{call: a}]\n",
			},
			codes: []string{"call-cycle", "call-cycle", "call-cycle"},
		},
		{
			name: "no cycle through a non-call edge",
			flows: map[string]string{
				"a": head + "name: a\ntrigger: {helper: {}}\nsteps: [{call: b}]\n",
				"b": head + "name: b\ntrigger: {helper: {}}\nsteps: [{halt: x}]\n",
			},
		},
		{
			name: "own output",
			flows: map[string]string{
				"a": head + "name: a\ntrigger: {event: user.lifecycle.create}\nsteps:\n  - id: u\n    action: okta.getUser\n    with: {userId: \"${{ steps.u.output.id }}\"}\n",
			},
			codes: []string{"step-not-before"},
		},
		{
			name: "inside the forEach that defines it",
			flows: map[string]string{
				"a": head + "name: a\ntrigger: {event: user.lifecycle.create}\nsteps:\n  - id: loop\n    forEach: '[1]'\n    do:\n      - halt: \"${{ steps.loop.status }}\"\n",
			},
			codes: []string{"step-not-before"},
		},
		{
			name: "steps in vars",
			flows: map[string]string{
				"a": head + "name: a\ntrigger: {event: user.lifecycle.create}\nvars: {x: steps.u.output}\nsteps:\n  - id: u\n    action: okta.getUser\n    with: {userId: x}\n  - halt: \"${{ vars.x }}\"\n",
			},
			codes: []string{"step-not-before"},
		},
		{
			name: "error outside catch",
			flows: map[string]string{
				"a": head + "name: a\ntrigger: {event: user.lifecycle.create}\nsteps:\n  - halt: \"${{ error.message }}\"\n",
			},
			codes: []string{"undefined-variable"},
		},
		{
			name: "inputs outside a helper",
			flows: map[string]string{
				"a": head + "name: a\ntrigger: {event: user.lifecycle.create}\nsteps:\n  - halt: \"${{ inputs.x }}\"\n",
			},
			codes: []string{"undefined-variable"},
		},
		{
			name: "onError return outside a helper, onError flow not a helper",
			flows: map[string]string{
				"a": head + "name: a\ntrigger: {event: user.lifecycle.create}\nsteps:\n  - action: okta.getUser\n    with: {userId: x}\n    onError: return\n  - action: okta.getUser\n    with: {userId: x}\n    onError: {flow: b}\n",
				"b": head + "name: b\ntrigger: {event: user.lifecycle.create}\nsteps: [{halt: x}]\n",
			},
			codes: []string{"return-outside-helper", "not-a-helper"},
		},
		{
			name: "forEach as hides a global",
			flows: map[string]string{
				"a": head + "name: a\ntrigger: {event: user.lifecycle.create}\nsteps:\n  - forEach: '[1]'\n    as: user\n    do: [{halt: x}]\n",
			},
			codes: []string{"invalid-name"},
		},
		{
			name: "write action has no outputs",
			flows: map[string]string{
				"a": head + "name: a\ntrigger: {event: user.lifecycle.create}\nsteps:\n  - id: s\n    action: slack.deactivateUser\n    with: {email: x}\n  - halt: \"${{ steps.s.output.id }}\"\n",
			},
			codes: []string{"unknown-output"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, ds := build(t, tt.flows)
			ds, _ = ds.Normalize(0)
			var got []string
			for _, d := range ds {
				got = append(got, d.Code)
			}
			if strings.Join(got, " ") != strings.Join(tt.codes, " ") {
				t.Errorf("codes %v, want %v\n%v", got, tt.codes, ds)
			}
		})
	}
}

func TestCycleMessageNamesEveryFlow(t *testing.T) {
	head := "apiVersion: jml/v1\nkind: Flow\n"
	_, ds := build(t, map[string]string{
		"a": head + "name: a\ntrigger: {helper: {}}\nsteps: [{call: b}]\n",
		"b": head + "name: b\ntrigger: {helper: {}}\nsteps: [{call: a}]\n",
	})
	if len(ds) != 2 {
		t.Fatalf("want one diagnostic per flow in the cycle, got %v", ds)
	}
	for _, d := range ds {
		if !strings.Contains(d.Message, "a → b → a") || !strings.Contains(d.Message, "flows in the cycle: a, b") {
			t.Errorf("message %q", d.Message)
		}
	}
}

func TestClosest(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"slak", "slack", true},
		{"clearSessions", "clearUserSessions", true},
		{"emial", "email", true},
		{"zzz", "", false},
	}
	cands := []string{"slack", "clearUserSessions", "email", "okta"}
	for _, tt := range tests {
		got, ok := diag.Closest(tt.in, cands)
		if got != tt.want || ok != tt.ok {
			t.Errorf("diag.Closest(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestCanDeprovision(t *testing.T) {
	head := "apiVersion: jml/v1\nkind: Flow\n"
	g, ds := build(t, map[string]string{
		"direct":  head + "name: direct\ntrigger: {event: user.lifecycle.deactivate}\nsteps:\n  - action: slack.deactivateUser\n    with: {email: x}\n",
		"via":     head + "name: via\ntrigger: {event: user.lifecycle.deactivate}\nsteps:\n  - call: helper\n",
		"helper":  head + "name: helper\ntrigger: {helper: {}}\nsteps:\n  - action: okta.suspendUser\n    with: {userId: x}\n",
		"notify":  head + "name: notify\ntrigger: {event: user.lifecycle.create}\nsteps:\n  - action: slack.postMessage\n    with: {channel: x, text: y}\n",
		"handled": head + "name: handled\ntrigger: {event: user.lifecycle.create}\nsteps:\n  - action: slack.postMessage\n    with: {channel: x, text: y}\n    onError: {flow: helper}\n",
	})
	if ds.HasErrors() {
		t.Fatal(ds)
	}
	for name, want := range map[string]bool{"direct": true, "via": true, "helper": true, "notify": false, "handled": true} {
		if got := g.CanDeprovision(name); got != want {
			t.Errorf("CanDeprovision(%s) = %v, want %v", name, got, want)
		}
	}
}
