package engine

import (
	"bytes"
	"context"
	"encoding/json"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/jml-dev/jml/pkg/clock"
	"github.com/jml-dev/jml/pkg/effect"
	"github.com/jml-dev/jml/pkg/event"
)

// remote is a HelperRuntime that runs each helper call as a durable
// runtime would: the call and its result cross a JSON boundary, and
// Engine.RunHelper runs the helper in a fresh set-up.
type remote struct {
	LocalRuntime
	mu    sync.Mutex
	t     *testing.T
	e     *Engine
	ev    *event.Event
	cards []string
}

func (r *remote) CallHelper(ctx context.Context, c HelperCall) HelperResult {
	r.mu.Lock()
	r.cards = append(r.cards, c.Card)
	r.mu.Unlock()
	var call HelperCall
	roundTrip(r.t, c, &call)
	effect.Numbers(call.Inputs)
	effect.Numbers(call.Profile)
	res := r.e.RunHelper(ctx, r.ev, call)
	var out HelperResult
	roundTrip(r.t, res, &out)
	effect.Numbers(out.Outputs)
	return out
}

func roundTrip(t *testing.T, v, into any) {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	if err := d.Decode(into); err != nil {
		t.Fatal(err)
	}
}

// TestHelperRuntimeRunsTheSameRun: a runtime that runs helper calls
// through Engine.RunHelper, across JSON, gives the run of a local one:
// same cards, changes, errors, outputs, idempotency keys — helpers nested,
// failing into a try, returning an error, stopping at a continueIf,
// reading the user's profile, inside a concurrent forEach.
func TestHelperRuntimeRunsTheSameRun(t *testing.T) {
	const caller = `name: c
trigger: {event: user.lifecycle.deactivate}
steps:
  - forEach: "['go', 'stop']"
    as: m
    concurrency: 2
    do:
      - call: h
        with: {mode: "${{ m }}"}
        onError: continue
  - try:
      - id: a
        call: h
        with: {mode: go}
    catch:
      - action: slack.postMessage
        with: {channel: "#it", text: "caught ${{ error.card }} ${{ error.message }}"}
  - id: n
    call: nest
    with: {n: 4}
  - action: okta.clearUserSessions
    with: {userId: "${{ steps.n.output.v }} ${{ steps.n.output.k / 3 }}"}
`
	const helper = `name: h
trigger: {helper: {}}
inputs: {mode: {type: string, required: true}}
outputs: {v: {type: string}}
steps:
  - continueIf: inputs.mode != "stop"
  - action: slack.deactivateUser
    with: {email: "${{ user.profile.title }}"}
    onError: return
  - return: {v: ok}
`
	const nest = `name: nest
trigger: {helper: {}}
inputs: {n: {type: number, required: true}}
outputs: {v: {type: string}, k: {type: number}}
steps:
  - id: t
    call: ticket
    with: {login: "${{ user.alternateId }}"}
  - return: {v: "${{ steps.t.output.number }}", k: "${{ inputs.n * 2 }}"}
`
	g := graph(t, caller, helper, nest, ticketSrc)
	script := func() map[string][]result {
		return map[string][]result{
			"okta.getUser":         {{out: map[string]any{"id": "00ujane", "profile": map[string]any{"title": "Rep"}}}},
			"slack.deactivateUser": {{}, {err: effect.HTTPError(404, "gone")}},
		}
	}
	runWith := func(rt func(*Engine) Runtime, obs Observer) (*Run, *fake) {
		fx := &fake{script: script()}
		e := New(Options{Graph: g, Effector: fx, Clock: clock.NewVirtual(t0), Mode: ModeApply, ProfileFrom: "okta", Observer: obs})
		e.opts.Runtime = rt(e)
		return e.Run(context.Background(), g.Flows["c"], Trigger{Event: deactivation(), At: t0}), fx
	}
	lrec, rrec := &syncRecorder{}, &syncRecorder{}
	want, lfx := runWith(func(*Engine) Runtime { return LocalRuntime{} }, lrec)
	rt := &remote{t: t, ev: deactivation()}
	got, rfx := runWith(func(e *Engine) Runtime {
		// The helpers run on an engine of their own, as in a child
		// workflow: the caller's observer hears of them from the caller.
		o := e.opts
		o.Observer, o.Runtime = nil, rt
		rt.e = New(o)
		return rt
	}, rrec)
	// The observer hears the same (cards of concurrent items, and a
	// helper's writes, in another order).
	sort.Strings(lrec.log)
	sort.Strings(rrec.log)
	if l, r := strings.Join(lrec.log, "\n"), strings.Join(rrec.log, "\n"); l != r || !strings.Contains(r, "start steps[2]/nest/steps[0]/ticket/steps[0]") {
		t.Errorf("the observer heard\n%s\nlocally\n%s", r, l)
	}

	js := func(r *Run) string {
		b, err := json.MarshalIndent(r, "", " ")
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	if g, w := js(got), js(want); g != w {
		t.Errorf("run through RunHelper differs from the local run\n got:\n%s\nwant:\n%s", g, w)
	}
	if want.Status != StatusSuccess || !strings.Contains(js(want), "caught a gone") || !strings.Contains(js(want), "SCTASK0010001 2") {
		t.Errorf("the local run is not the one this test is about:\n%s", js(want))
	}
	// Both forEach items may finish in any order: compare the calls as a set.
	keys := func(fx *fake) map[string]bool {
		m := map[string]bool{}
		for _, c := range fx.calls {
			m[c.Card+" "+c.IdempotencyKey+" "+c.RunID] = true
		}
		return m
	}
	if lk, rk := keys(lfx), keys(rfx); len(lk) != len(rk) || len(lk) != len(lfx.calls) {
		t.Errorf("calls %v, local %v", rk, lk)
	} else {
		for k := range lk {
			if !rk[k] {
				t.Errorf("local call %s not made through RunHelper", k)
			}
		}
	}
	wantCards := []string{"steps[0]#0/steps[0].do[0]", "steps[0]#1/steps[0].do[0]", "steps[1].try[0]", "steps[2]", "steps[2]/nest/steps[0]"}
	sort.Strings(rt.cards)
	if strings.Join(rt.cards, " ") != strings.Join(wantCards, " ") {
		t.Errorf("CallHelper ran %v, want %v", rt.cards, wantCards)
	}
}

// syncRecorder is a recorder safe for concurrent use.
type syncRecorder struct {
	mu sync.Mutex
	recorder
}

func (r *syncRecorder) RunStarted(run *Run) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.recorder.RunStarted(run)
}
func (r *syncRecorder) CardStarted(run *Run, c *CardTrace) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.recorder.CardStarted(run, c)
}
func (r *syncRecorder) CardFinished(run *Run, c *CardTrace) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.recorder.CardFinished(run, c)
}
func (r *syncRecorder) ChangePlanned(run *Run, ch Change) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.recorder.ChangePlanned(run, ch)
}
func (r *syncRecorder) RunFinished(run *Run) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.recorder.RunFinished(run)
}
