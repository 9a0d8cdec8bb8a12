package temporal

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"math"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/jml-dev/jml/pkg/compile"
	"github.com/jml-dev/jml/pkg/effect"
	"github.com/jml-dev/jml/pkg/engine"
)

// An action call is one activity, retried by Temporal: the workflow side
// (activities.DoRetrying, an engine.Retrier) schedules it once with a
// RetryPolicy made from the card's retry, and the activity (Flows.Call)
// decides each failed try with the engine's own rule, engine.RetryWait —
// whether to retry, and after what wait, given to Temporal as the
// failure's NextRetryDelay. So a run makes the same tries with the same
// waits on Temporal as locally, and the waits are Temporal's durable
// retry timers.

// CallResult is the activity's result: the call's output and the number
// of tries it took.
type CallResult struct {
	Output   json.RawMessage `json:"output"`
	Attempts int             `json:"attempts"`
}

// CallRetry is the card's retry as the activity's input carries it in
// Temporal's history: a wire type of its own, so that the compiler's
// RetryPolicy may change without breaking workflows in flight.
type CallRetry struct {
	Attempts    int           `json:"attempts"`
	Interval    time.Duration `json:"interval"`
	Backoff     float64       `json:"backoff"`
	MaxInterval time.Duration `json:"maxInterval,omitempty"`
	Jitter      time.Duration `json:"jitter,omitempty"`
}

func callRetry(p compile.RetryPolicy) CallRetry {
	return CallRetry{Attempts: p.Attempts, Interval: p.Interval, Backoff: p.Backoff, MaxInterval: p.MaxInterval, Jitter: p.Jitter}
}

func (r CallRetry) policy() compile.RetryPolicy {
	return compile.RetryPolicy{Attempts: r.Attempts, Interval: r.Interval, Backoff: r.Backoff, MaxInterval: r.MaxInterval, Jitter: r.Jitter}
}

// Call is the activity: one try of one action call, its number Temporal's
// attempt. A failure is an application error whose type is the error's
// code and whose details are the effect.Error and the try's number; it is
// retryable, with the engine's wait as NextRetryDelay, when the engine
// would retry it (engine.RetryWait), and non-retryable otherwise — with
// the engine's error when the vendor asks to wait longer than the card's
// retry allows.
func (f *Flows) Call(ctx context.Context, req effect.Request, retry CallRetry) (*CallResult, error) {
	pol := retry.policy()
	try := int(activity.GetInfo(ctx).Attempt)
	req.Attempt = try
	out, err := f.Effector.Do(ctx, req)
	if err == nil {
		raw, err := json.Marshal(out)
		if err != nil {
			ee := &effect.Error{Code: "error", Message: "encoding the answer: " + err.Error()}
			return nil, temporal.NewNonRetryableApplicationError(ee.Message, ee.Code, nil, ee, try)
		}
		return &CallResult{Output: raw, Attempts: try}, nil
	}
	ee := effect.AsError(err)
	// The rule's deadline is the apply's (a workflow has none), not this
	// try's start-to-close timeout, which ctx carries.
	wait, stop := engine.RetryWait(context.WithoutCancel(ctx), pol, try, req, ee)
	if stop != nil {
		return nil, temporal.NewNonRetryableApplicationError(stop.Message, stop.Code, nil, stop, try)
	}
	// Temporal reads a NextRetryDelay of zero as "unset" (the policy's
	// interval): a zero wait is the shortest one it takes.
	return nil, temporal.NewApplicationErrorWithOptions(ee.Message, ee.Code, temporal.ApplicationErrorOptions{
		NextRetryDelay: max(wait, time.Nanosecond), Details: []any{ee, try}})
}

// retryPolicy is the activity's RetryPolicy for a card's retry: its
// attempts, interval, backoff and cap. The activity gives the wait of
// every failure it returns (NextRetryDelay); the intervals serve the tries
// Temporal retries on its own — one whose worker died or outran the
// start-to-close timeout — and MaximumInterval, which caps every wait, is
// the engine's longest (engine.MaxRetryWait). No error type is listed as
// non-retryable: whether jml retries is decided per error (its status,
// Retry-After, the attempts left), not per code, so the activity marks
// each failure itself.
func retryPolicy(pol compile.RetryPolicy) *temporal.RetryPolicy {
	return &temporal.RetryPolicy{
		MaximumAttempts:    int32(min(max(pol.Attempts, 1), math.MaxInt32)),
		InitialInterval:    max(pol.Interval, time.Nanosecond),
		BackoffCoefficient: max(pol.Backoff, 1),
		MaximumInterval:    max(engine.MaxRetryWait(pol), pol.Interval, time.Nanosecond),
	}
}

// activities is the workflow side's effector: each call is one activity.
type activities struct{}

var _ engine.Retrier = activities{}

// Do is one try, without retry.
func (a activities) Do(ctx context.Context, req effect.Request) (map[string]any, error) {
	out, ee, _ := a.DoRetrying(ctx, req, compile.RetryPolicy{Attempts: 1, Backoff: 1})
	if ee != nil {
		return nil, ee
	}
	return out, nil
}

// DoRetrying runs the call as one activity retried under pol (see Call),
// and returns its output or the last try's error, and the tries made.
func (activities) DoRetrying(ctx context.Context, req effect.Request, pol compile.RetryPolicy) (map[string]any, *effect.Error, int) {
	if err := unrecorded(ctx); err != nil {
		return nil, effect.AsError(err), 1
	}
	w := wctx(ctx)
	timeout := req.Timeout
	if timeout <= 0 {
		timeout = DefaultCallTimeout
	}
	w = workflow.WithActivityOptions(w, workflow.ActivityOptions{StartToCloseTimeout: timeout, RetryPolicy: retryPolicy(pol)})
	var res CallResult
	if err := workflow.ExecuteActivity(w, ActivityName, req, callRetry(pol)).Get(w, &res); err != nil {
		ee, tries := callError(err, max(pol.Attempts, 1))
		return nil, ee, tries
	}
	d := json.NewDecoder(bytes.NewReader(res.Output))
	d.UseNumber()
	var out map[string]any
	if err := d.Decode(&out); err != nil {
		return nil, &effect.Error{Code: "error", Message: "decoding the activity's answer: " + err.Error()}, res.Attempts
	}
	effect.Numbers(out)
	return out, nil, res.Attempts
}

// callError turns an activity's failure back into the effect.Error the
// engine records, and the tries made. The activity's own failure carries
// both. Any other — a try that timed out or whose worker died, a panic —
// is one Temporal retries, so it ends the call only when the attempts are
// spent: all of them were made.
func callError(err error, attempts int) (*effect.Error, int) {
	var ae *temporal.ApplicationError
	if errors.As(err, &ae) && ae.HasDetails() {
		var ee effect.Error
		var try int
		if ae.Details(&ee, &try) == nil {
			return &ee, max(try, 1)
		}
	}
	tries := 1
	var actErr *temporal.ActivityError
	var te *temporal.TimeoutError
	timedOut := errors.As(err, &te)
	if timedOut || (ae != nil && !ae.NonRetryable()) ||
		errors.As(err, &actErr) && actErr.RetryState() == enumspb.RETRY_STATE_MAXIMUM_ATTEMPTS_REACHED {
		tries = attempts
	}
	var ce *temporal.CanceledError
	if errors.As(err, &ce) {
		return &effect.Error{Code: "canceled", Message: "canceled"}, tries
	}
	if timedOut {
		return &effect.Error{Code: "timeout", Message: "the call timed out: " + err.Error(), Retryable: true}, tries
	}
	return &effect.Error{Code: "error", Message: err.Error()}, tries
}
