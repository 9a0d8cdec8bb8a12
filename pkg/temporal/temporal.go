// Package temporal runs jml flows as Temporal workflows: the engine's
// decisions run in workflow code, every action call in an activity.
//
// One workflow (WorkflowName) runs one compiled flow for one trigger; its
// id is WorkflowID(event uuid, flow) and a second start with the same id
// is refused. Each try of an action call is one activity (ActivityName)
// that calls the worker's Effector; the card's retry is the engine's own
// (engine.RetryWait's deterministic backoff, jitter and Retry-After),
// waited for with workflow timers, so that a run makes the same tries in
// the same order here as locally. A forEach with concurrency runs its
// items as workflow coroutines; the clock is workflow time. Helper flows
// run inside the caller's workflow.
//
// A workflow records the digest of the flows it was started for
// (FlowInput.Digest); a worker serving other flows refuses it with a
// non-retryable error (ErrDigest) rather than run a changed flow on a
// half-run history.
package temporal

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	tlog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	enumspb "go.temporal.io/api/enums/v1"

	"github.com/jml-dev/jml/pkg/compile"
	"github.com/jml-dev/jml/pkg/effect"
	"github.com/jml-dev/jml/pkg/engine"
	"github.com/jml-dev/jml/pkg/event"
	"github.com/jml-dev/jml/pkg/history"
	"github.com/jml-dev/jml/pkg/replay"
)

// Names of what a worker registers, and the default task queue.
const (
	WorkflowName     = "jml.RunFlow"
	ActivityName     = "jml.Call"
	DefaultTaskQueue = "jml"
	// ErrDigest is the error type of a workflow refused because it was
	// started for other flows than the worker's.
	ErrDigest = "jml.digest_mismatch"
	// DefaultCallTimeout is an activity's StartToCloseTimeout when the
	// card sets no timeout.
	DefaultCallTimeout = 5 * time.Minute
)

// FlowInput is a workflow's input: one flow, one trigger.
type FlowInput struct {
	// Digest is Digest(graph) of the flows the workflow was started for.
	Digest string
	Flow   string
	// Event is the Okta LogEvent as JSON; Source names it for messages.
	Event  json.RawMessage
	Source string
}

// WorkflowID is the id of the workflow running flow for the event.
func WorkflowID(eventUUID, flow string) string { return "jml/" + eventUUID + "/" + flow }

// Digest is one digest over every flow of g (name and file digest).
func Digest(g *compile.Graph) string {
	h := sha256.New()
	for _, name := range g.Names {
		fmt.Fprintf(h, "%s\x00%s\x00", name, g.Flows[name].Digest)
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}

// Flows is what a worker serves: the compiled flows and the effector its
// activities call.
type Flows struct {
	Graph    *compile.Graph
	Effector effect.Effector
	digest   string
	// rec records the runs in jml's history (WithHistory), or nil.
	rec *history.Recorder
}

// NewFlows returns the workflow and activity of g, calling fx.
func NewFlows(g *compile.Graph, fx effect.Effector) *Flows {
	return &Flows{Graph: g, Effector: fx, digest: Digest(g)}
}

// Registry is where Register puts the workflow and the activity: a
// worker.Worker, or a testsuite environment.
type Registry interface {
	RegisterWorkflowWithOptions(w any, options workflow.RegisterOptions)
	RegisterActivityWithOptions(a any, options activity.RegisterOptions)
}

// Register registers the workflow and the activity under their names.
func (f *Flows) Register(r Registry) {
	r.RegisterWorkflowWithOptions(f.RunFlow, workflow.RegisterOptions{Name: WorkflowName})
	r.RegisterActivityWithOptions(f.Call, activity.RegisterOptions{Name: ActivityName})
	f.registerHistory(r)
}

// RunFlow is the workflow: it runs in.Flow for in.Event through the one
// engine set-up every mode shares (replay.Engine), in apply mode.
func (f *Flows) RunFlow(ctx workflow.Context, in FlowInput) (*engine.Run, error) {
	if in.Digest != f.digest {
		return nil, temporal.NewNonRetryableApplicationError(fmt.Sprintf(
			"this worker serves flows %s, the workflow was started for flows %s: run a worker of those flows, or start the workflow again", f.digest, in.Digest), ErrDigest, nil)
	}
	fl := f.Graph.Flows[in.Flow]
	if fl == nil {
		return nil, temporal.NewNonRetryableApplicationError("no flow named "+in.Flow, "jml.no_flow", nil)
	}
	ev, err := decodeEvent(in.Event, in.Source)
	if err != nil {
		return nil, temporal.NewNonRetryableApplicationError(err.Error(), "jml.bad_event", nil)
	}
	at, ok := ev.PublishedTime()
	if !ok {
		at = workflow.Now(ctx)
	}
	runID, obs := mirror(ctx, in)
	e := replay.Engine(replay.Setup{Graph: f.Graph, Mode: engine.ModeApply, Flow: in.Flow,
		Effector: activities{}, Clock: wfClock{ctx}, Runtime: wfRuntime{}, Observer: obs, RunID: runID})
	run := e.Run(withRecording(with(context.Background(), ctx), obs), fl, engine.Trigger{Event: ev, At: at})
	return run, recorded(obs)
}

func decodeEvent(raw json.RawMessage, source string) (*event.Event, error) {
	s, err := event.Decode(bytes.NewReader(raw), source, event.Options{})
	if err != nil {
		return nil, err
	}
	return s.Next()
}

// Call is the activity: one try of one action call. A failure is returned
// as a non-retryable application error (type: the error's code) carrying
// the effect.Error, so that the engine decides on retries.
func (f *Flows) Call(ctx context.Context, req effect.Request) (json.RawMessage, error) {
	out, err := f.Effector.Do(ctx, req)
	if err != nil {
		ee := effect.AsError(err)
		return nil, temporal.NewNonRetryableApplicationError(ee.Message, ee.Code, nil, ee)
	}
	return json.Marshal(out)
}

// wctxKey carries the workflow.Context of the running coroutine in the
// engine's context.Context.
type wctxKey struct{}

func with(ctx context.Context, w workflow.Context) context.Context {
	return context.WithValue(ctx, wctxKey{}, w)
}

func wctx(ctx context.Context) workflow.Context {
	w, _ := ctx.Value(wctxKey{}).(workflow.Context)
	return w
}

// activities is the workflow side's effector: each Do is one activity.
type activities struct{}

func (activities) Do(ctx context.Context, req effect.Request) (map[string]any, error) {
	if err := unrecorded(ctx); err != nil {
		return nil, err
	}
	w := wctx(ctx)
	timeout := req.Timeout
	if timeout <= 0 {
		timeout = DefaultCallTimeout
	}
	w = workflow.WithActivityOptions(w, workflow.ActivityOptions{StartToCloseTimeout: timeout,
		RetryPolicy: &temporal.RetryPolicy{MaximumAttempts: 1}})
	var raw json.RawMessage
	if err := workflow.ExecuteActivity(w, ActivityName, req).Get(w, &raw); err != nil {
		return nil, callError(err)
	}
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	var out map[string]any
	if err := d.Decode(&out); err != nil {
		return nil, &effect.Error{Code: "error", Message: "decoding the activity's answer: " + err.Error()}
	}
	effect.Numbers(out)
	return out, nil
}

// callError turns an activity's failure back into the effect.Error the
// engine decides on.
func callError(err error) *effect.Error {
	var ae *temporal.ApplicationError
	if errors.As(err, &ae) && ae.HasDetails() {
		var ee effect.Error
		if ae.Details(&ee) == nil {
			return &ee
		}
	}
	var ce *temporal.CanceledError
	if errors.As(err, &ce) {
		return &effect.Error{Code: "canceled", Message: "canceled"}
	}
	var te *temporal.TimeoutError
	if errors.As(err, &te) {
		return &effect.Error{Code: "timeout", Message: "the call timed out: " + err.Error(), Retryable: true}
	}
	return &effect.Error{Code: "error", Message: err.Error()}
}

// wfClock is workflow time; Sleep is a workflow timer.
type wfClock struct{ root workflow.Context }

func (c wfClock) Now() time.Time { return workflow.Now(c.root) }

func (c wfClock) Sleep(ctx context.Context, d time.Duration) error {
	return workflow.Sleep(wctx(ctx), d)
}

// wfRuntime runs a forEach's items as workflow coroutines.
type wfRuntime struct{}

func (wfRuntime) Parallel(ctx context.Context, limit, n int, fn func(ctx context.Context, i int) bool) []bool {
	w := wctx(ctx)
	started := make([]bool, n)
	lw, cancel := workflow.WithCancel(w)
	defer cancel()
	running, stopped := 0, false
	for i := range n {
		_ = workflow.Await(w, func() bool { return running < limit || stopped })
		if stopped {
			break
		}
		started[i] = true
		running++
		workflow.Go(lw, func(c workflow.Context) {
			defer func() { running-- }()
			if fn(with(ctx, c), i) {
				stopped = true
				cancel()
			}
		})
	}
	_ = workflow.Await(w, func() bool { return running == 0 })
	return started
}

// Start starts one workflow per flow ev fires (engine.Select), on
// taskQueue (DefaultTaskQueue when empty), and returns them in flow order. A workflow already started
// for the same event and flow is refused by Temporal (the error says so).
func Start(ctx context.Context, c client.Client, taskQueue string, g *compile.Graph, ev *event.Event) ([]client.WorkflowRun, error) {
	raw, err := json.Marshal(ev.Raw)
	if err != nil {
		return nil, err
	}
	if taskQueue == "" {
		taskQueue = DefaultTaskQueue
	}
	sel := engine.New(engine.Options{Graph: g}).Select(ev)
	digest := Digest(g)
	var runs []client.WorkflowRun
	for _, fl := range sel.Flows {
		opts := client.StartWorkflowOptions{ID: WorkflowID(ev.UUID, fl.Name), TaskQueue: taskQueue,
			WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
			WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_FAIL}
		r, err := c.ExecuteWorkflow(ctx, opts, WorkflowName, FlowInput{Digest: digest, Flow: fl.Name, Event: raw, Source: ev.Source})
		if err != nil {
			return runs, fmt.Errorf("starting %s: %w", opts.ID, err)
		}
		runs = append(runs, r)
	}
	return runs, nil
}

// Dial connects to the Temporal frontend at hostPort, in namespace
// ("default" when empty), logging to log (nil: none).
func Dial(hostPort, namespace string, log *slog.Logger) (client.Client, error) {
	opts := client.Options{HostPort: hostPort, Namespace: namespace}
	if log != nil {
		opts.Logger = tlog.NewStructuredLogger(log)
	}
	c, err := client.Dial(opts)
	if err != nil {
		return nil, fmt.Errorf("connecting to Temporal at %s: %w", hostPort, err)
	}
	return c, nil
}

// NewWorker returns a worker polling taskQueue (DefaultTaskQueue when
// empty) that serves f's workflow and activity; Run or Start it.
func NewWorker(c client.Client, taskQueue string, f *Flows) worker.Worker {
	if taskQueue == "" {
		taskQueue = DefaultTaskQueue
	}
	w := worker.New(c, taskQueue, worker.Options{})
	f.Register(w)
	return w
}

// Replay replays a recorded workflow history (the JSON `temporal workflow
// show --output json` prints, or client.GetWorkflowHistory's events
// written with protojson) against the workflow serving g: an error means
// the workflow code no longer makes the decisions it made when the history
// was recorded (non-determinism), or the history is not of g's flows.
func Replay(g *compile.Graph, historyFile string) error {
	r := worker.NewWorkflowReplayer()
	NewFlows(g, nil).Register(replayRegistry{r})
	return r.ReplayWorkflowHistoryFromJSONFile(nil, historyFile)
}

// replayRegistry registers only the workflow: a replay runs no activity.
type replayRegistry struct{ r worker.WorkflowReplayer }

func (rr replayRegistry) RegisterWorkflowWithOptions(w any, o workflow.RegisterOptions) {
	rr.r.RegisterWorkflowWithOptions(w, o)
}

func (replayRegistry) RegisterActivityWithOptions(any, activity.RegisterOptions) {}
