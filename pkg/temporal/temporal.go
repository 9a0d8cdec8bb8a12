// Package temporal runs jml flows as Temporal workflows: the engine's
// decisions run in workflow code, every action call in an activity.
//
// One workflow (WorkflowName) runs one compiled flow for one trigger; its
// id is WorkflowID(event uuid, flow) and a second start with the same id
// is refused. Each action call is one activity (ActivityName) that calls
// the worker's Effector, retried by Temporal under a RetryPolicy made from
// the card's retry; each failed try asks for the wait the engine's own
// rule gives (engine.RetryWait: deterministic backoff and jitter,
// Retry-After), so that a run makes the same tries with the same waits
// here as locally (retry.go). A forEach with concurrency runs its
// items as workflow coroutines; the clock is workflow time. Each call of
// a helper flow is a child workflow (HelperWorkflowName, child.go).
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
	r.RegisterWorkflowWithOptions(f.RunHelper, workflow.RegisterOptions{Name: HelperWorkflowName})
	r.RegisterActivityWithOptions(f.Call, activity.RegisterOptions{Name: ActivityName})
	f.registerHistory(r)
}

// RunFlow is the workflow: it runs in.Flow for in.Event through the one
// engine set-up every mode shares (replay.Engine), in apply mode.
func (f *Flows) RunFlow(ctx workflow.Context, in FlowInput) (*engine.Run, error) {
	if err := f.refuse(in.Digest); err != nil {
		return nil, err
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
	// The history marker first, then the child workflows' (flowRuntime):
	// the order new histories record them in.
	runID, obs := mirror(ctx, in)
	e := f.engine(ctx, in.Flow, flowRuntime(ctx, in, ev.UUID), obs, runID)
	run := e.Run(withRecording(with(context.Background(), ctx), obs), fl, engine.Trigger{Event: ev, At: at})
	return run, recorded(obs)
}

// refuse is the error of a workflow started for flows of another digest
// than the worker's, or nil.
func (f *Flows) refuse(digest string) error {
	if digest == f.digest {
		return nil
	}
	return temporal.NewNonRetryableApplicationError(fmt.Sprintf(
		"this worker serves flows %s, the workflow was started for flows %s: run a worker of those flows, or start the workflow again", f.digest, digest), ErrDigest, nil)
}

// engine is the engine of a workflow running flow: replay.Engine in apply
// mode, calls as activities, workflow time, the workflow runtime rt; obs
// and runID record the run in jml's history (mirror; nil: not recorded).
func (f *Flows) engine(ctx workflow.Context, flow string, rt engine.Runtime, obs engine.Observer, runID func(string) string) *engine.Engine {
	return replay.Engine(replay.Setup{Graph: f.Graph, Mode: engine.ModeApply, Flow: flow,
		Effector: activities{}, Clock: wfClock{ctx}, Runtime: rt, Observer: obs, RunID: runID})
}

func decodeEvent(raw json.RawMessage, source string) (*event.Event, error) {
	s, err := event.Decode(bytes.NewReader(raw), source, event.Options{})
	if err != nil {
		return nil, err
	}
	return s.Next()
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
// taskQueue (DefaultTaskQueue when empty), and returns them in flow order.
// A workflow already started for the same event and flow is not started
// again (Temporal refuses the id): its run is returned in its place.
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
		if runID, ok := alreadyStarted(err); ok {
			// A client that reports the refusal: that run is the flow's.
			r, err = c.GetWorkflow(ctx, opts.ID, runID), nil
		}
		if err != nil {
			return runs, fmt.Errorf("starting %s: %w", opts.ID, err)
		}
		runs = append(runs, r)
	}
	return runs, nil
}

// Dial connects to the Temporal frontend of conn (namespace "default"
// when empty; TLS and API key as conn says), logging to log (nil: none).
func Dial(conn Connection, log *slog.Logger) (client.Client, error) {
	opts := conn.clientOptions()
	if log != nil {
		opts.Logger = tlog.NewStructuredLogger(log)
	}
	c, err := client.Dial(opts)
	if err != nil {
		return nil, fmt.Errorf("connecting to Temporal at %s: %w", conn.HostPort, err)
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
// was recorded (non-determinism), or the history is not of g's flows
// (ErrDigest, checked first: readHistory, replay.go).
func Replay(g *compile.Graph, historyFile string) error {
	h, err := readHistory(g, historyFile)
	if err != nil {
		return err
	}
	r := worker.NewWorkflowReplayer()
	NewFlows(g, nil).Register(replayRegistry{r})
	return r.ReplayWorkflowHistory(nil, h)
}

// replayRegistry registers only the workflow: a replay runs no activity.
type replayRegistry struct{ r worker.WorkflowReplayer }

func (rr replayRegistry) RegisterWorkflowWithOptions(w any, o workflow.RegisterOptions) {
	rr.r.RegisterWorkflowWithOptions(w, o)
}

func (replayRegistry) RegisterActivityWithOptions(any, activity.RegisterOptions) {}
