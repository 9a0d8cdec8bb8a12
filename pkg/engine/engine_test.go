package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jml-dev/jml/pkg/ast"
	"github.com/jml-dev/jml/pkg/clock"
	"github.com/jml-dev/jml/pkg/compile"
	"github.com/jml-dev/jml/pkg/effect"
	"github.com/jml-dev/jml/pkg/event"
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
// results; when the queue is empty, success with {}.
type fake struct {
	script map[string][]result
	calls  []effect.Request
}

type result struct {
	out map[string]any
	err *effect.Error
}

func (f *fake) Do(ctx context.Context, req effect.Request) (map[string]any, error) {
	f.calls = append(f.calls, req)
	q := f.script[req.Name()]
	if len(q) == 0 {
		if req.Name() == "itsm.createRecord" {
			return map[string]any{"sys_id": "s1", "number": "SCTASK0010001"}, nil
		}
		if req.Name() == "okta.getUser" {
			return map[string]any{"id": req.Input["userId"], "status": "ACTIVE", "profile": map[string]any{}}, nil
		}
		return map[string]any{}, nil
	}
	r := q[0]
	f.script[req.Name()] = q[1:]
	if r.err != nil {
		return nil, r.err
	}
	return r.out, nil
}

func (f *fake) names() string {
	var n []string
	for _, c := range f.calls {
		n = append(n, c.Name())
	}
	return strings.Join(n, " ")
}

var t0 = time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)

func deactivation() *event.Event {
	return &event.Event{UUID: "ev-1", EventType: "user.lifecycle.deactivate", Published: t0.Format(time.RFC3339),
		Raw: map[string]any{"uuid": "ev-1", "eventType": "user.lifecycle.deactivate",
			"actor":  map[string]any{"id": "00uadmin", "type": "User", "alternateId": "admin@acme.com"},
			"target": []any{map[string]any{"id": "00ujane", "type": "User", "alternateId": "jane@acme.com", "displayName": "Jane Doe"}}}}
}

func run(t *testing.T, g *compile.Graph, fx *fake, flow string) (*Run, *clock.Virtual) {
	t.Helper()
	clk := clock.NewVirtual(t0)
	e := New(Options{Graph: g, Effector: fx, Clock: clk, Mode: ModePlan})
	r := e.Run(context.Background(), g.Flows[flow], Trigger{Event: deactivation(), At: t0})
	return r, clk
}

func changes(r *Run) string {
	var out []string
	for _, c := range r.Changes {
		s := c.Action
		if len(c.Via) > 0 {
			s += "<" + strings.Join(c.Via, ">")
		}
		out = append(out, s)
	}
	return strings.Join(out, " ")
}

const leaverSrc = `name: leaver
trigger: {event: user.lifecycle.deactivate}
vars:
  login: user.alternateId
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
  - id: ticket
    call: ticket
    with: {login: "${{ vars.login }}"}
  - action: slack.postMessage
    with: {channel: "#it", text: "Done ${{ vars.login }}: ${{ steps.ticket.output.number }}"}
    onError: continue
`

const ticketSrc = `name: ticket
trigger: {helper: {}}
inputs: {login: {type: string, required: true}, note: {type: string}}
outputs: {number: {type: string}}
steps:
  - id: rec
    action: itsm.createRecord
    with: {table: sc_task, fields: {short_description: "Offboard ${{ inputs.login }}", note: "${{ inputs.note == null ? 'none' : inputs.note }}"}}
  - return: {number: "${{ steps.rec.output.number }}"}
`

func TestLeaverHappyPath(t *testing.T) {
	g := graph(t, leaverSrc, ticketSrc)
	fx := &fake{script: map[string][]result{
		"okta.getUser":      {{out: map[string]any{"id": "00ujane", "status": "DEPROVISIONED"}}},
		"itsm.createRecord": {{out: map[string]any{"sys_id": "abc", "number": "SCTASK0010001"}}},
	}}
	r, _ := run(t, g, fx, "leaver")
	if r.Status != StatusSuccess {
		t.Fatalf("status %s: %+v", r.Status, r.Error)
	}
	want := "okta.clearUserSessions slack.deactivateUser google.suspendUser itsm.createRecord<ticket slack.postMessage"
	if got := changes(r); got != want {
		t.Errorf("changes\n got %s\nwant %s", got, want)
	}
	post := r.Changes[len(r.Changes)-1]
	if post.With["text"] != "Done jane@acme.com: SCTASK0010001" {
		t.Errorf("helper output did not flow on: %v", post.With)
	}
	rec := r.Changes[3]
	fields := rec.With["fields"].(map[string]any)
	if fields["note"] != "none" {
		t.Errorf("optional input left out must be null: %v", fields)
	}
	if rec.Path != "steps[4]/ticket/steps[0]" || rec.Card != "rec" {
		t.Errorf("helper change path %q card %q", rec.Path, rec.Card)
	}
	// Reads are not changes, but they ran.
	if !strings.HasPrefix(fx.names(), "okta.getUser okta.clearUserSessions") {
		t.Errorf("calls %s", fx.names())
	}
}

func TestRetryBackoffAndRetryAfter(t *testing.T) {
	g := graph(t, leaverSrc, ticketSrc)
	tests := []struct {
		name     string
		errs     []result
		attempts int
		waited   time.Duration
		status   Status
	}{
		{"two 503 then success: waits 5s then 8s (capped)", []result{{err: effect.HTTPError(503, "down")}, {err: effect.HTTPError(503, "down")}}, 3, 13 * time.Second, StatusSuccess},
		{"429 with Retry-After 8s wins over the backoff", []result{{err: &effect.Error{Status: 429, Code: "rate_limited", Message: "slow down", Retryable: true, RetryAfter: 8 * time.Second}}}, 2, 8 * time.Second, StatusSuccess},
		{"404 is not retried", []result{{err: effect.HTTPError(404, "no such user")}}, 1, 0, StatusHalted},
		{"three 500s exhaust the attempts", []result{{err: effect.HTTPError(500, "x")}, {err: effect.HTTPError(500, "x")}, {err: effect.HTTPError(500, "x")}}, 3, 13 * time.Second, StatusHalted},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fx := &fake{script: map[string][]result{"slack.deactivateUser": tt.errs}}
			r, clk := run(t, g, fx, "leaver")
			if r.Status != tt.status {
				t.Fatalf("status %s, want %s (%+v)", r.Status, tt.status, r.Error)
			}
			var card *CardTrace
			for _, c := range r.Cards {
				if c.ID == "slack" {
					card = c
				}
			}
			if card.Attempts != tt.attempts {
				t.Errorf("attempts %d, want %d", card.Attempts, tt.attempts)
			}
			if got := clk.Now().Sub(t0); got != tt.waited {
				t.Errorf("virtual time advanced %s, want %s", got, tt.waited)
			}
			if tt.status == StatusHalted {
				if r.Error == nil || r.Error.Card != "slack" || r.Error.Attempts != tt.attempts {
					t.Errorf("run error %+v", r.Error)
				}
				// Later cards are recorded as skipped, and made no change.
				last := r.Cards[len(r.Cards)-1]
				if last.Status != CardSkipped {
					t.Errorf("last card %s", last.Status)
				}
				if strings.Contains(changes(r), "slack.postMessage") {
					t.Errorf("a card after the halt ran: %s", changes(r))
				}
			}
		})
	}
}

func TestTryCatch(t *testing.T) {
	g := graph(t, leaverSrc, ticketSrc)
	t.Run("404 is caught and the run goes on", func(t *testing.T) {
		fx := &fake{script: map[string][]result{"google.suspendUser": {{err: effect.HTTPError(404, "Resource Not Found: userKey")}}}}
		r, _ := run(t, g, fx, "leaver")
		if r.Status != StatusSuccess || strings.Contains(changes(r), "google.suspendUser") {
			t.Fatalf("status %s changes %s", r.Status, changes(r))
		}
		if !strings.Contains(changes(r), "slack.postMessage") {
			t.Errorf("the run did not go on after the catch: %s", changes(r))
		}
	})
	t.Run("403 goes to the else branch and halts with the message", func(t *testing.T) {
		fx := &fake{script: map[string][]result{"google.suspendUser": {{err: effect.HTTPError(403, "Not Authorized")}}}}
		r, _ := run(t, g, fx, "leaver")
		if r.Status != StatusHalted || r.Error.Message != "Google: Not Authorized" || r.Error.Code != "halt" {
			t.Fatalf("status %s error %+v", r.Status, r.Error)
		}
	})
}

func TestOnError(t *testing.T) {
	handler := `name: handler
trigger: {helper: {}}
steps:
  - action: slack.postMessage
    with: {channel: "#alerts", text: "${{ error.card }} failed (${{ string(error.status) }}): ${{ error.message }} for ${{ event.uuid }}"}
`
	tests := []struct {
		name, onError string
		status        Status
		changes       string
	}{
		{"continue", "continue", StatusSuccess, "okta.clearUserSessions"},
		{"halt (default)", "halt", StatusHalted, ""},
		{"error-handler flow, then halt", "{flow: handler}", StatusHalted, "slack.postMessage<handler"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := graph(t, fmt.Sprintf(`name: f
trigger: {event: user.lifecycle.deactivate}
steps:
  - id: s
    action: slack.deactivateUser
    with: {email: x}
    onError: %s
  - action: okta.clearUserSessions
    with: {userId: "${{ steps.s.status }}"}
`, tt.onError), handler)
			fx := &fake{script: map[string][]result{"slack.deactivateUser": {{err: effect.HTTPError(500, "boom")}}}}
			r, _ := run(t, g, fx, "f")
			if r.Status != tt.status || changes(r) != tt.changes {
				t.Fatalf("status %s changes %q; want %s %q", r.Status, changes(r), tt.status, tt.changes)
			}
			if tt.onError == "continue" && r.Changes[0].With["userId"] != "failed" {
				t.Errorf("steps.s.status after a continued failure: %v", r.Changes[0].With)
			}
			if strings.HasPrefix(tt.onError, "{") && r.Changes[0].With["text"] != "s failed (500): boom for ev-1" {
				t.Errorf("handler saw %v", r.Changes[0].With["text"])
			}
		})
	}
}

func TestHelperErrorReturnAndFilter(t *testing.T) {
	helper := `name: h
trigger: {helper: {}}
inputs: {mode: {type: string, required: true}}
outputs: {v: {type: string}}
steps:
  - continueIf: inputs.mode != "stop"
  - action: slack.deactivateUser
    with: {email: x}
    onError: return
  - return: {v: ok}
`
	caller := `name: c
trigger: {event: user.lifecycle.deactivate}
steps:
  - id: a
    call: h
    with: {mode: "%s"}
    onError: continue
  - action: okta.clearUserSessions
    with: {userId: "${{ steps.a.status }}:${{ steps.a.output == null ? 'none' : (steps.a.output.v == null ? 'null' : steps.a.output.v) }}"}
`
	tests := []struct {
		name, mode string
		fail       bool
		want       string
	}{
		{"helper returns its outputs", "go", false, "success:ok"},
		{"continueIf in the helper ends only the helper", "stop", false, "filtered:null"},
		{"onError: return fails the caller's call card", "go", true, "failed:none"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := graph(t, fmt.Sprintf(caller, tt.mode), helper)
			fx := &fake{script: map[string][]result{}}
			if tt.fail {
				fx.script["slack.deactivateUser"] = []result{{err: effect.HTTPError(404, "gone")}}
			}
			r, _ := run(t, g, fx, "c")
			if r.Status != StatusSuccess {
				t.Fatalf("status %s %+v", r.Status, r.Error)
			}
			last := r.Changes[len(r.Changes)-1]
			if last.With["userId"] != tt.want {
				t.Errorf("caller saw %v, want %s", last.With["userId"], tt.want)
			}
		})
	}
}

func TestLogicCards(t *testing.T) {
	g := graph(t, `name: f
trigger: {event: user.lifecycle.deactivate}
vars:
  groups: '["g1", "g2", "g3"]'
  n: 0
steps:
  - forEach: vars.groups
    as: grp
    do:
      - action: okta.removeUserFromGroup
        with: {userId: "${{ user.id }}", groupId: "${{ grp }}-${{ string(grp_index) }}"}
      - assign: {n: vars.n + 1}
  - switch: vars.n
    cases:
      "2": [{halt: two}]
      "3": [{assign: {three: true}}]
    default: [{halt: other}]
  - if: vars.three
    then: [{continueIf: false}]
  - halt: never
`)
	fx := &fake{script: map[string][]result{}}
	r, _ := run(t, g, fx, "f")
	if r.Status != StatusFiltered {
		t.Fatalf("status %s %+v", r.Status, r.Error)
	}
	var ids []string
	for _, c := range r.Changes {
		ids = append(ids, c.With["groupId"].(string))
	}
	if got := strings.Join(ids, ","); got != "g1-0,g2-1,g3-2" {
		t.Errorf("forEach order/index: %s", got)
	}
	if r.Changes[1].Path != "steps[0]#1/steps[0].do[0]" {
		t.Errorf("forEach item path %q", r.Changes[1].Path)
	}
	if last := r.Cards[len(r.Cards)-1]; last.Status != CardSkipped || last.Kind != "halt" {
		t.Errorf("the card after continueIf false must be skipped: %+v", last)
	}
}

func TestWhenFilterAndSelect(t *testing.T) {
	g := graph(t, `name: a
trigger: {event: user.lifecycle.*, when: 'user.alternateId.endsWith("@acme.com")'}
steps: [{halt: x}]
`, `name: b
enabled: false
trigger: {event: user.lifecycle.deactivate}
steps: [{halt: x}]
`, `name: c
trigger: {event: user.lifecycle.deactivate, when: 'user.alternateId.endsWith("@other.com")'}
steps: [{halt: x}]
`, `name: d
trigger: {event: group.user_membership.add}
steps: [{halt: x}]
`)
	e := New(Options{Graph: g, Effector: &fake{}, Clock: clock.NewVirtual(t0), Mode: ModePlan})
	sel := e.Select(deactivation())
	var names []string
	for _, f := range sel.Flows {
		names = append(names, f.Name)
	}
	if strings.Join(names, ",") != "a,c" || strings.Join(sel.Disabled, ",") != "b" {
		t.Fatalf("selected %v disabled %v", names, sel.Disabled)
	}
	if r := e.Run(context.Background(), g.Flows["c"], Trigger{Event: deactivation(), At: t0}); r != nil {
		t.Errorf("when false must give no run, got %s", r.Status)
	}
	if r := e.Run(context.Background(), g.Flows["a"], Trigger{Event: deactivation(), At: t0}); r == nil || r.Status != StatusHalted {
		t.Errorf("when true must run")
	}
}

func TestDeterministic(t *testing.T) {
	g := graph(t, leaverSrc, ticketSrc)
	var outs []string
	for i := 0; i < 2; i++ {
		fx := &fake{script: map[string][]result{"slack.deactivateUser": {{err: effect.HTTPError(429, "x")}}}}
		r, _ := run(t, g, fx, "leaver")
		b, _ := json.Marshal(r)
		outs = append(outs, string(b))
	}
	if outs[0] != outs[1] {
		t.Errorf("two identical replays differ:\n%s\n%s", outs[0], outs[1])
	}
}

func TestCancellation(t *testing.T) {
	g := graph(t, leaverSrc, ticketSrc)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	e := New(Options{Graph: g, Effector: &fake{script: map[string][]result{}}, Clock: clock.NewVirtual(t0), Mode: ModeDryRun})
	r := e.Run(ctx, g.Flows["leaver"], Trigger{Event: deactivation(), At: t0})
	if r.Status != StatusFailed || r.Error.Code != "canceled" || len(r.Changes) != 0 {
		t.Fatalf("status %s error %+v changes %d", r.Status, r.Error, len(r.Changes))
	}
	for _, c := range r.Cards {
		if c.Status != CardSkipped {
			t.Errorf("card %s ran after cancellation", c.Path)
		}
	}
}

func TestIdempotencyKeyStable(t *testing.T) {
	g := graph(t, leaverSrc, ticketSrc)
	keys := func() []string {
		fx := &fake{script: map[string][]result{"slack.deactivateUser": {{err: effect.HTTPError(503, "x")}}}}
		run(t, g, fx, "leaver")
		var k []string
		for _, c := range fx.calls {
			k = append(k, c.Action+"="+c.IdempotencyKey)
		}
		return k
	}
	a, b := keys(), keys()
	if strings.Join(a, " ") != strings.Join(b, " ") {
		t.Fatal("idempotency keys differ between replays")
	}
	// Both tries of the retried card carry the same key; different cards differ.
	if a[2] != a[3] || a[1] == a[2] {
		t.Errorf("keys %v", a)
	}
}

// recorder is an Observer that writes down what it hears.
type recorder struct{ log []string }

func (r *recorder) RunStarted(run *Run)              { r.log = append(r.log, "run "+run.Flow) }
func (r *recorder) CardStarted(_ *Run, c *CardTrace) { r.log = append(r.log, "start "+c.Path) }
func (r *recorder) CardFinished(_ *Run, c *CardTrace) {
	r.log = append(r.log, "end "+c.Path+" "+string(c.Status))
}
func (r *recorder) ChangePlanned(_ *Run, ch Change) { r.log = append(r.log, "change "+ch.Action) }
func (r *recorder) RunFinished(run *Run)            { r.log = append(r.log, "done "+string(run.Status)) }

func TestObserverHearsEverything(t *testing.T) {
	g := graph(t, `name: f
trigger: {event: user.lifecycle.deactivate}
steps:
  - id: u
    action: okta.getUser
    with: {userId: x}
  - if: true
    then:
      - action: slack.deactivateUser
        with: {email: x}
`)
	rec := &recorder{}
	e := New(Options{Graph: g, Effector: &fake{script: map[string][]result{}}, Clock: clock.NewVirtual(t0), Observer: rec, Mode: ModeDryRun})
	e.Run(context.Background(), g.Flows["f"], Trigger{Event: deactivation(), At: t0})
	want := "run f|start steps[0]|end steps[0] success|start steps[1]|start steps[1].then[0]|change slack.deactivateUser|end steps[1].then[0] success|end steps[1] success|done success"
	if got := strings.Join(rec.log, "|"); got != want {
		t.Errorf("observer heard\n%s\nwant\n%s", got, want)
	}
}

// TestProfileRead: a flow that reads user.profile beyond login and email
// reads it once per run, through the effector (okta.getUser, card
// trigger.profile), in every mode; a flow that does not, reads nothing; a
// when: that reads it makes the run exist even when it filters; a failed
// read halts the run.
func TestProfileRead(t *testing.T) {
	g := graph(t,
		"name: dept\ntrigger: {event: user.lifecycle.deactivate}\nsteps:\n  - call: notify\n    with: {text: \"${{ user.profile.department }}\"}\n",
		"name: notify\ntrigger: {helper: {}}\ninputs: {text: {type: string}}\nsteps:\n  - action: slack.postMessage\n    with: {channel: '#it', text: \"${{ inputs.text }} ${{ user.profile.title }}\"}\n",
		"name: plain\ntrigger: {event: user.lifecycle.deactivate, when: 'user != null'}\nsteps:\n  - action: slack.deactivateUser\n    with: {email: \"${{ user.profile.email }}\"}\n",
		"name: sales\ntrigger: {event: user.lifecycle.deactivate, when: 'user.profile.department == \"Sales\"'}\nsteps:\n  - action: slack.deactivateUser\n    with: {email: \"${{ user.alternateId }}\"}\n",
	)
	if !g.Flows["dept"].ReadsProfile || g.Flows["plain"].ReadsProfile || !g.Flows["sales"].WhenReadsProfile {
		t.Fatalf("ReadsProfile: dept %v plain %v sales(when) %v", g.Flows["dept"].ReadsProfile, g.Flows["plain"].ReadsProfile, g.Flows["sales"].WhenReadsProfile)
	}
	profile := func(dept string) []result {
		return []result{{out: map[string]any{"id": "00ujane", "profile": map[string]any{"department": dept, "title": "Rep"}}}}
	}
	run := func(flow string, fx *fake) *Run {
		e := New(Options{Graph: g, Effector: fx, Clock: clock.NewVirtual(t0), Mode: ModeApply, ProfileFrom: "okta"})
		return e.Run(context.Background(), g.Flows[flow], Trigger{Event: deactivation(), At: t0})
	}

	fx := &fake{script: map[string][]result{"okta.getUser": profile("Sales")}}
	r := run("dept", fx)
	if fx.names() != "okta.getUser slack.postMessage" || r.Status != StatusSuccess {
		t.Fatalf("dept: calls %q, status %s", fx.names(), r.Status)
	}
	if c := r.Cards[0]; c.Path != ProfileCard || c.Action != "okta.getUser" || fx.calls[0].Card != ProfileCard || fx.calls[0].Input["userId"] != "00ujane" {
		t.Fatalf("dept: first card %+v, call %+v", c, fx.calls[0])
	}
	if got := r.Changes[0].With["text"]; got != "Sales Rep" {
		t.Fatalf("dept: text %q, want the profile read once and seen in the helper too", got)
	}

	fx = &fake{}
	if r := run("plain", fx); fx.names() != "slack.deactivateUser" || r.Status != StatusSuccess {
		t.Fatalf("plain: calls %q, status %s: no profile read wanted", fx.names(), r.Status)
	}

	fx = &fake{script: map[string][]result{"okta.getUser": profile("Sales")}}
	if r := run("sales", fx); fx.names() != "okta.getUser slack.deactivateUser" || r.Status != StatusSuccess {
		t.Fatalf("sales: calls %q, status %s", fx.names(), r.Status)
	}
	fx = &fake{script: map[string][]result{"okta.getUser": profile("Engineering")}}
	r = run("sales", fx)
	if fx.names() != "okta.getUser" || r == nil || r.Status != StatusFiltered || !FilteredByTrigger(r) {
		t.Fatalf("sales, not Sales: calls %q, run %+v", fx.names(), r)
	}

	fx = &fake{script: map[string][]result{"okta.getUser": {{err: &effect.Error{Status: 404, Code: "not_found", Message: "Not found: Resource not found: 00ujane (User)"}}}}}
	r = run("dept", fx)
	if r.Status != StatusHalted || r.Error == nil || r.Error.Card != ProfileCard || !strings.Contains(r.Error.Message, "reading user.profile") {
		t.Fatalf("failed read: %+v %+v", r, r.Error)
	}
	if fx.names() != "okta.getUser" {
		t.Fatalf("failed read: calls %q, want nothing after it", fx.names())
	}
}

// TestBranchTaken: an if or a switch card records the arm it took and the
// value that chose it, even when the arm is empty; the cards of the arm
// run in that branch, and those of the arms not taken are not traced.
func TestBranchTaken(t *testing.T) {
	tests := []struct {
		name, card string
		taken      string
		value      any
		children   []string // Branch of each nested card
	}{
		{"if then", `if: vars.kind == "contractor"
    then: [{assign: {a: 1}}, {assign: {b: 2}}]
    else: [{assign: {c: 3}}]`, "then", true, []string{"then", "then"}},
		{"if else", `if: vars.kind == "employee"
    then: [{assign: {a: 1}}]
    else: [{assign: {c: 3}}]`, "else", false, []string{"else"}},
		{"if else, none given", `if: vars.kind == "employee"
    then: [{assign: {a: 1}}]`, "else", false, nil},
		{"switch case", `switch: vars.kind
    cases:
      employee: [{assign: {a: 1}}]
      contractor: [{assign: {b: 2}}]
    default: [{assign: {c: 3}}]`, "case contractor", "contractor", []string{"case contractor"}},
		{"switch case of a number", `switch: size(vars.kind)
    cases:
      "10": [{assign: {a: 1}}]
    default: [{assign: {c: 3}}]`, "case 10", int64(10), []string{"case 10"}},
		{"switch default", `switch: vars.kind
    cases:
      employee: [{assign: {a: 1}}]
    default: [{assign: {c: 3}}, {assign: {d: 4}}]`, "default", "contractor", []string{"default", "default"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := graph(t, `name: f
trigger: {event: user.lifecycle.deactivate}
vars: {kind: '"contractor"'}
steps:
  - `+tt.card+`
`)
			r, _ := run(t, g, &fake{script: map[string][]result{}}, "f")
			if r.Status != StatusSuccess || len(r.Cards) != 1 {
				t.Fatalf("status %s, %d cards, %+v", r.Status, len(r.Cards), r.Error)
			}
			c := r.Cards[0]
			if c.Taken != tt.taken || c.Value != tt.value {
				t.Errorf("taken %q value %#v, want %q %#v", c.Taken, c.Value, tt.taken, tt.value)
			}
			var branches []string
			for _, ch := range c.Children {
				branches = append(branches, ch.Branch)
				if ch.Status != CardSuccess {
					t.Errorf("nested card %s: %s", ch.Path, ch.Status)
				}
			}
			if strings.Join(branches, ",") != strings.Join(tt.children, ",") {
				t.Errorf("nested cards in %v, want %v", branches, tt.children)
			}
			b, err := json.Marshal(c)
			if err != nil {
				t.Fatal(err)
			}
			if want := fmt.Sprintf(`"taken":%q`, tt.taken); !strings.Contains(string(b), want) {
				t.Errorf("JSON %s lacks %s", b, want)
			}
		})
	}

	t.Run("not taken when the expression fails", func(t *testing.T) {
		g := graph(t, `name: f
trigger: {event: user.lifecycle.deactivate}
steps:
  - if: 'user.profile.nope == "x"'
    then: [{assign: {a: 1}}]
`)
		r, _ := run(t, g, &fake{script: map[string][]result{}}, "f")
		if c := r.Cards[0]; r.Status != StatusFailed || c.Taken != "" || c.Value != nil || len(c.Children) != 0 {
			t.Errorf("status %s, card %+v", r.Status, c)
		}
	})
}
