package temporal

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/jml-dev/jml/pkg/effect"
	"github.com/jml-dev/jml/pkg/engine"
	"github.com/jml-dev/jml/pkg/history"
)

// The history mirror: a workflow's run is recorded in jml's history store
// (the one jml.yaml names) as a local apply's is — the run row, each call
// journaled before and after it is made, the finished trace — so that jml
// history and jml resume see it like any other. The workflow cannot write
// (no I/O in workflow code): the run's id, its start and its end are
// activities, and the calls are journaled by the activity that makes them,
// through the recorder's journal, like local apply's.
const (
	// RunIDActivity allocates the run's id: the id a local apply would
	// give the first run of the event and flow, or the next free -2, -3…
	RunIDActivity = "jml.RunID"
	// RunStartedActivity records the run as running, with its event and
	// workflow.
	RunStartedActivity = "jml.RunStarted"
	// RunFinishedActivity records how the run ended, with its trace.
	RunFinishedActivity = "jml.RunFinished"

	// historyChange is the workflow.GetVersion change id of the mirror:
	// a workflow started before it (no marker in its history) replays
	// without the mirror's activities.
	historyChange = "jml.history"
	// recordTimeout bounds one try of a recording activity.
	recordTimeout = time.Minute
)

// WithHistory makes f record its runs through rec (whose Remote it sets):
// the activities journal each call through rec's journal, and the
// recording activities write the run. Without it they record nothing.
func (f *Flows) WithHistory(rec *history.Recorder) *Flows {
	rec.Remote = true
	f.rec = rec
	f.Effector = rec.Effector(f.Effector)
	return f
}

func (f *Flows) registerHistory(r Registry) {
	r.RegisterActivityWithOptions(f.RunID, activity.RegisterOptions{Name: RunIDActivity})
	r.RegisterActivityWithOptions(f.RunStarted, activity.RegisterOptions{Name: RunStartedActivity})
	r.RegisterActivityWithOptions(f.RunFinished, activity.RegisterOptions{Name: RunFinishedActivity})
}

// RunStart is RunStartedActivity's input.
type RunStart struct {
	// Run is the engine.Run as it starts, as JSON.
	Run                       json.RawMessage
	Event                     json.RawMessage
	Source                    string
	WorkflowID, WorkflowRunID string
}

// RunID is RunIDActivity: the free run id for derived (engine.RunID of the
// event and flow) in the store, as local apply allocates it.
func (f *Flows) RunID(ctx context.Context, derived string) (string, error) {
	if f.rec == nil {
		return derived, nil
	}
	return f.rec.Store.NewRunID(ctx, derived)
}

// RunStarted is RunStartedActivity.
func (f *Flows) RunStarted(ctx context.Context, in RunStart) error {
	if f.rec == nil {
		return nil
	}
	run, err := decodeRun(in.Run)
	if err != nil {
		return err
	}
	ev, err := decodeEvent(in.Event, in.Source)
	if err != nil {
		return temporal.NewNonRetryableApplicationError(err.Error(), "jml.bad_event", nil)
	}
	err = f.rec.RunStartedOn(run, ev, history.Workflow{ID: in.WorkflowID, RunID: in.WorkflowRunID})
	if errors.Is(err, history.ErrRunTaken) {
		return temporal.NewNonRetryableApplicationError(err.Error(), "jml.run_taken", nil)
	}
	return err
}

// RunFinished is RunFinishedActivity: raw is the finished engine.Run.
func (f *Flows) RunFinished(ctx context.Context, raw json.RawMessage) error {
	if f.rec == nil {
		return nil
	}
	run, err := decodeRun(raw)
	if err != nil {
		return err
	}
	return f.rec.RunFinishedOn(run)
}

// decodeRun reads a run the workflow marshalled, its numbers kept as they
// were written (json.Number), so that the trace recorded is the one a
// local apply records.
func decodeRun(raw json.RawMessage) (*engine.Run, error) {
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	var run engine.Run
	if err := d.Decode(&run); err != nil {
		return nil, temporal.NewNonRetryableApplicationError("decoding the run: "+err.Error(), "jml.bad_run", nil)
	}
	return &run, nil
}

// mirror returns the run id allocator and the observer of a workflow's
// run, which record it through the recording activities; nil, nil for a
// workflow started before the mirror existed (replayed as it ran).
func mirror(ctx workflow.Context, in FlowInput) (func(string) string, engine.Observer) {
	if workflow.GetVersion(ctx, historyChange, workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		return nil, nil
	}
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: recordTimeout,
		// The history unreachable: the workflow waits for it, trying
		// again (Temporal's default backoff, up to 100 s between tries).
		RetryPolicy: &temporal.RetryPolicy{NonRetryableErrorTypes: []string{"jml.bad_event", "jml.bad_run", "jml.run_taken"}}})
	o := &recording{ctx: ctx, in: in}
	runID := func(derived string) string {
		var id string
		if err := workflow.ExecuteActivity(ctx, RunIDActivity, derived).Get(ctx, &id); err != nil || id == "" {
			// Not allocated (cancelled): the derived id, which the
			// store refuses if taken — the run then halts at its first
			// call, unrecorded calls never being made.
			o.err = err
			return derived
		}
		return id
	}
	return runID, o
}

// recording is the workflow's observer: the run's start and end go to
// the recording activities (the workflow's main coroutine calls them; a
// forEach's items report only cards, which the trace holds).
type recording struct {
	engine.NopObserver
	ctx workflow.Context
	in  FlowInput
	err error
}

func (o *recording) RunStarted(r *engine.Run) {
	if o.err != nil {
		return // no id allocated
	}
	raw, err := json.Marshal(r)
	if err != nil {
		o.err = err
		return
	}
	info := workflow.GetInfo(o.ctx)
	in := RunStart{Run: raw, Event: o.in.Event, Source: o.in.Source,
		WorkflowID: info.WorkflowExecution.ID, WorkflowRunID: info.WorkflowExecution.RunID}
	if err := workflow.ExecuteActivity(o.ctx, RunStartedActivity, in).Get(o.ctx, nil); err != nil && o.err == nil {
		o.err = err
	}
}

func (o *recording) RunFinished(r *engine.Run) {
	if o.err != nil {
		return // not recorded as started: there is no row of ours to end
	}
	raw, err := json.Marshal(r)
	if err != nil {
		o.err = err
		return
	}
	if err := workflow.ExecuteActivity(o.ctx, RunFinishedActivity, json.RawMessage(raw)).Get(o.ctx, nil); err != nil && o.err == nil {
		o.err = err
	}
}

// recordingKey carries the workflow's recording in the engine's context.
type recordingKey struct{}

func withRecording(ctx context.Context, obs engine.Observer) context.Context {
	if o, ok := obs.(*recording); ok {
		return context.WithValue(ctx, recordingKey{}, o)
	}
	return ctx
}

// unrecorded is the error of a call the run may not make because the run
// could not be recorded (code history, as in a local apply whose history
// cannot be written): nil when it may.
func unrecorded(ctx context.Context) error {
	if o, ok := ctx.Value(recordingKey{}).(*recording); ok && o.err != nil {
		return &effect.Error{Code: "history", Message: "the run is not recorded in jml's history, so no call is made: " + o.err.Error()}
	}
	return nil
}

// recorded is the workflow's error when the mirror could not record the
// run (nil when it did, or there is no mirror).
func recorded(obs engine.Observer) error {
	if o, ok := obs.(*recording); ok && o.err != nil {
		return fmt.Errorf("recording the run in jml's history: %w", o.err)
	}
	return nil
}
