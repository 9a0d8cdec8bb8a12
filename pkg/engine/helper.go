package engine

import (
	"context"
	"time"

	"github.com/jml-dev/jml/pkg/event"
)

// HelperRuntime is a Runtime that runs helper calls itself: pkg/temporal
// runs each as a child workflow, which runs the helper with
// Engine.RunHelper. With any other Runtime a helper runs in its caller's
// frame (LocalRuntime, every local mode).
type HelperRuntime interface {
	Runtime
	// CallHelper runs the helper call c and returns how it ended. The
	// caller has checked c's inputs and depth; it applies the result's
	// onError, cards and changes as it would a helper run in its frame.
	CallHelper(ctx context.Context, c HelperCall) HelperResult
}

// HelperCall is one call of a helper flow: what its frame needs to run
// as it would in the caller's. It is JSON-serialisable.
type HelperCall struct {
	Helper string `json:"helper"`
	// Inputs are the helper's inputs, checked against its declaration.
	Inputs map[string]any `json:"inputs"`
	// Card is the full path of the call card (call chain and forEach
	// index included); Prefix the path prefix of the helper's cards.
	Card   string `json:"card"`
	Prefix string `json:"prefix"`
	// Via lists the helper flows of the call chain, outermost first,
	// this helper last; Depth is the helper's call depth.
	Via   []string `json:"via"`
	Depth int      `json:"depth"`
	// RunID, Flow and Key are the caller's run: its id, its flow and its
	// trigger key (what idempotency keys derive from).
	RunID string `json:"runId"`
	Flow  string `json:"flow"`
	Key   string `json:"key"`
	// At and Request are the trigger's (Trigger.At, Trigger.Request).
	At      time.Time      `json:"at"`
	Request map[string]any `json:"request,omitempty"`
	// Profile is user.profile as the caller's run has it (read from
	// okta when the flow reads it); nil when the trigger has no user.
	Profile map[string]any `json:"profile,omitempty"`
}

// The outcomes of a helper call (HelperResult.Outcome).
const (
	HelperNext     = "next"     // ran to its end
	HelperFiltered = "filtered" // stopped at a continueIf
	HelperReturned = "returned" // a return card, or onError: return
	HelperHalted   = "halted"   // a halt card, or a card failure
	HelperFailed   = "failed"   // an evaluation error or a cancellation
)

// HelperResult is how a helper call ended: JSON-serialisable.
type HelperResult struct {
	Outcome string     `json:"outcome"`
	Error   *ErrorInfo `json:"error,omitempty"`
	// Failure marks a halt caused by a card failure (an enclosing try
	// catches it), ErrReturn an onError: return (the caller's card fails
	// with Error).
	Failure   bool           `json:"failure,omitempty"`
	ErrReturn bool           `json:"errReturn,omitempty"`
	Outputs   map[string]any `json:"outputs,omitempty"`
	// Cards are the traces of the helper's cards, Changes the writes it
	// made, in order.
	Cards   []*CardTrace `json:"cards"`
	Changes []Change     `json:"changes"`
}

var outcomeNames = map[outKind]string{outNext: HelperNext, outFiltered: HelperFiltered, outReturned: HelperReturned,
	outHalted: HelperHalted, outFailed: HelperFailed}

func (r HelperResult) outcome() outcome {
	out := outcome{kind: outFailed, err: r.Error, failure: r.Failure, errReturn: r.ErrReturn, outputs: r.Outputs}
	for k, name := range outcomeNames {
		if name == r.Outcome {
			out.kind = k
		}
	}
	if out.kind == outFailed && out.err == nil {
		out.err = &ErrorInfo{Message: "helper call ended with outcome " + r.Outcome, Code: "error"}
	}
	return out
}

// RunHelper runs the helper call c of a run whose trigger's event is ev
// (nil for a schedule or an http: trigger) as the caller's frame would:
// same scope, same card paths, same idempotency keys. The caller applies
// the result (a HelperRuntime's CallHelper returns it).
func (e *Engine) RunHelper(ctx context.Context, ev *event.Event, c HelperCall) HelperResult {
	h, top := e.opts.Graph.Flows[c.Helper], e.opts.Graph.Flows[c.Flow]
	if h == nil || top == nil {
		return HelperResult{Outcome: HelperFailed, Error: &ErrorInfo{Card: c.Card, Action: "call " + c.Helper,
			Message: "no flow " + c.Flow + " with a helper flow " + c.Helper + " here", Code: "invalid_input"}}
	}
	var changes []Change
	x := &exec{e: e, run: &Run{ID: c.RunID, Flow: c.Flow, Mode: e.opts.Mode},
		trigger: Trigger{Event: ev, At: c.At, RunID: c.RunID, Request: c.Request, Key: c.Key}, key: c.Key, changes: &changes}
	x.base = x.baseScope(top)
	if user, _ := x.base["user"].(map[string]any); user != nil && c.Profile != nil {
		user["profile"] = c.Profile
	}
	hfr := x.newFrame(h, c.Inputs, nil, c.Via, c.Depth)
	hfr.prefix = c.Prefix
	var cards []*CardTrace
	out := x.flowBody(ctx, hfr, &cards)
	return HelperResult{Outcome: outcomeNames[out.kind], Error: out.err, Failure: out.failure, ErrReturn: out.errReturn,
		Outputs: out.outputs, Cards: cards, Changes: changes}
}

// profile is user.profile in the run's scope, or nil.
func (x *exec) profile() map[string]any {
	user, _ := x.base["user"].(map[string]any)
	p, _ := user["profile"].(map[string]any)
	return p
}

// heard tells the observer about the cards a HelperRuntime ran, as it
// would have heard them run in the caller's frame: each card's start, its
// nested cards, its end; the cards that did not run (skipped) it never
// hears of. It hears the helper's writes after its cards (locally, each
// before its card's end), as the caller records them.
func (x *exec) heard(cards []*CardTrace) {
	obs := x.e.opts.Observer
	var walk func([]*CardTrace)
	walk = func(cards []*CardTrace) {
		for _, ct := range cards {
			if ct.Status == CardSkipped {
				continue
			}
			obs.CardStarted(x.run, ct)
			walk(ct.Children)
			obs.CardFinished(x.run, ct)
		}
	}
	walk(cards)
}
