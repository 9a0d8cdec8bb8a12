package temporal

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/jml-dev/jml/pkg/effect"
	"github.com/jml-dev/jml/pkg/engine"
	"github.com/jml-dev/jml/pkg/event"
)

// HelperWorkflowName is the workflow type of a helper call: a child
// workflow of the workflow that runs the flow (or of the helper's caller).
const HelperWorkflowName = "jml.RunHelper"

// HelperInput is a helper workflow's input.
type HelperInput struct {
	// Digest is the digest of the flows the flow's workflow was started
	// for; ID is this workflow's id, as its parent named it
	// (HelperWorkflowID).
	Digest string
	ID     string
	// Event and Source are the flow's trigger (FlowInput's).
	Event  json.RawMessage
	Source string
	// Call is the engine.HelperCall as JSON, its inputs tagged with their
	// types (tagValues), so that the helper sees the values its caller
	// passed, not JSON's.
	Call json.RawMessage
}

// HelperChildren is the change id (workflow.GetVersion) of helper calls
// as child workflows: a workflow whose history has no marker of it was
// started by a worker that ran helpers inside the flow's workflow, and
// replays so.
const HelperChildren = "jml.helper-children"

// flowRuntime is the runtime of the workflow running in for event uuid:
// a forEach's items as coroutines, and each helper call as a child
// workflow — unless the workflow started before helpers were child
// workflows. The child workflow ids derive from WorkflowID(uuid,
// in.Flow), the id Start gives the workflow, not from the id it runs
// under: a replayer runs a history under an id of its own.
func flowRuntime(ctx workflow.Context, in FlowInput, uuid string) engine.Runtime {
	if workflow.GetVersion(ctx, HelperChildren, workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		return wfRuntime{}
	}
	return childRuntime{id: WorkflowID(uuid, in.Flow), digest: in.Digest, event: in.Event, source: in.Source, started: map[string]int{}}
}

// childRuntime is wfRuntime that runs each helper call as a child
// workflow (CallHelper) of workflow id — the flow's, or the helper
// workflow of the call card at path card — started for digest and the
// event. started counts the helper calls made per card path.
type childRuntime struct {
	wfRuntime
	id, card, digest string
	event            json.RawMessage
	source           string
	started          map[string]int
}

// HelperWorkflowID is the id of the child workflow running the nth
// helper call made by the card at path card (its full path: call chain
// and forEach index included) in workflow parent, itself the flow's
// workflow (parentCard "") or the helper workflow of the call card at
// parentCard. The call card's path under the parent's is unique in a run,
// so the id is the flow's workflow id and the call card's path: card
// starts with parentCard. The cards of an onError handler flow are the
// exception: their paths name the handler, not the failed card, so they
// repeat — for them the id is the parent's and the card's path, and the
// nth call (n > 1) from the same path gets the suffix ~n.
func HelperWorkflowID(parent, parentCard, card string, n int) string {
	id := parent + "/" + card
	if parentCard != "" {
		id = parent + "/" + strings.TrimPrefix(card, parentCard+"/")
	}
	if n > 1 {
		id += "~" + strconv.Itoa(n)
	}
	return id
}

// RunHelper is the helper workflow: it runs one helper call through the
// engine set-up of the flow's workflow (replay.Engine) and returns the
// engine.HelperResult as JSON, its outputs tagged with their types.
func (f *Flows) RunHelper(ctx workflow.Context, in HelperInput) (json.RawMessage, error) {
	if err := f.refuse(in.Digest); err != nil {
		return nil, err
	}
	var c engine.HelperCall
	if err := decodeJSON(in.Call, &c); err != nil {
		return nil, temporal.NewNonRetryableApplicationError("decoding the helper call: "+err.Error(), "jml.bad_call", nil)
	}
	inputs, err := untagValues(c.Inputs)
	if err != nil {
		return nil, temporal.NewNonRetryableApplicationError("decoding the helper's inputs: "+err.Error(), "jml.bad_call", nil)
	}
	c.Inputs = inputs
	effect.Numbers(c.Request)
	effect.Numbers(c.Profile)
	var ev *event.Event
	if len(in.Event) > 0 {
		var err error
		if ev, err = decodeEvent(in.Event, in.Source); err != nil {
			return nil, temporal.NewNonRetryableApplicationError(err.Error(), "jml.bad_event", nil)
		}
	}
	rt := childRuntime{id: in.ID, card: c.Card, digest: in.Digest, event: in.Event, source: in.Source, started: map[string]int{}}
	res := f.engine(ctx, c.Flow, rt, nil, nil).RunHelper(with(context.Background(), ctx), ev, c)
	outputs, err := tagValues(res.Outputs)
	if err != nil {
		res = engine.HelperResult{Outcome: engine.HelperFailed, Cards: res.Cards, Changes: res.Changes,
			Error: &engine.ErrorInfo{Card: c.Card, Action: "call " + c.Helper, Message: "the outputs of helper flow " + c.Helper + ": " + err.Error(), Code: "expression"}}
	}
	res.Outputs = outputs
	return json.Marshal(res)
}

// CallHelper runs a helper call as a child workflow of the running
// workflow, on its task queue, and waits for it (a cancelled caller
// waits for the child to end, as a local helper ends its card).
func (rt childRuntime) CallHelper(ctx context.Context, c engine.HelperCall) engine.HelperResult {
	failed := func(err error) engine.HelperResult {
		ee, _ := callError(err, 1)
		ei := &engine.ErrorInfo{Card: c.Card, Action: "call " + c.Helper, Message: "helper flow " + c.Helper + ": " + ee.Message,
			Status: ee.Status, Code: ee.Code, Retryable: ee.Retryable}
		if ee.Code == "canceled" {
			// As a helper whose action was cancelled: a card failure.
			return engine.HelperResult{Outcome: engine.HelperHalted, Error: ei, Failure: true}
		}
		return engine.HelperResult{Outcome: engine.HelperFailed, Error: ei}
	}
	inputs, err := tagValues(c.Inputs)
	if err != nil {
		return failed(fmt.Errorf("the inputs: %w", err))
	}
	c.Inputs = inputs
	call, err := json.Marshal(c)
	if err != nil {
		return failed(err)
	}
	// Coroutines run one at a time, in an order the history fixes: the
	// count is the same on every replay.
	rt.started[c.Card]++
	id := HelperWorkflowID(rt.id, rt.card, c.Card, rt.started[c.Card])
	w := workflow.WithChildOptions(wctx(ctx), workflow.ChildWorkflowOptions{WorkflowID: id, WaitForCancellation: true})
	var raw json.RawMessage
	in := HelperInput{Digest: rt.digest, ID: id, Event: rt.event, Source: rt.source, Call: call}
	if err := workflow.ExecuteChildWorkflow(w, HelperWorkflowName, in).Get(w, &raw); err != nil {
		return failed(err)
	}
	var res engine.HelperResult
	if err := decodeJSON(raw, &res); err != nil {
		return failed(errors.New("decoding the helper's result: " + err.Error()))
	}
	if res.Outputs, err = untagValues(res.Outputs); err != nil {
		return failed(fmt.Errorf("decoding the helper's outputs: %w", err))
	}
	for _, ch := range res.Changes {
		effect.Numbers(ch.With)
	}
	numbers(res.Cards)
	return res
}

// decodeJSON decodes raw into v keeping numbers as json.Number, for
// effect.Numbers to make them int64 or float64 as a call's answer is.
func decodeJSON(raw json.RawMessage, v any) error {
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	return d.Decode(v)
}

// numbers applies effect.Numbers to the values of card traces.
func numbers(cards []*engine.CardTrace) {
	for _, ct := range cards {
		effect.Numbers(ct.Input)
		ct.Output = effect.Numbers(ct.Output)
		ct.Value = effect.Numbers(ct.Value)
		numbers(ct.Children)
	}
}
