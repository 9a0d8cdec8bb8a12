package temporal

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/jml-dev/jml/pkg/clock"
	"github.com/jml-dev/jml/pkg/compile"
	"github.com/jml-dev/jml/pkg/effect"
	"github.com/jml-dev/jml/pkg/engine"
	"github.com/jml-dev/jml/pkg/replay"
)

// retrySrc: a card with every retry setting, jitter included, and a
// timeout shorter than a Retry-After it waits for (the timeout bounds one
// try, not the waits), then a card without retry.
const retrySrc = `name: retrying
trigger: {event: user.lifecycle.deactivate}
steps:
  - action: slack.deactivateUser
    with: {email: "${{ user.alternateId }}"}
    retry: {attempts: 3, interval: 2s, backoff: 2, maxInterval: 30s, jitter: 1s}
    timeout: 3s
  - action: slack.postMessage
    with: {channel: "#it", text: "bye"}
`

// tries logs each try an effector is asked for: the call, its attempt
// number and when it started, from the run's start.
type tries struct {
	fx  *fake
	now func() time.Time
	mu  sync.Mutex
	log []string
}

func (t *tries) Do(ctx context.Context, req effect.Request) (map[string]any, error) {
	t.mu.Lock()
	t.log = append(t.log, fmt.Sprintf("%s#%d at %s", req.Name(), req.Attempt, t.now().Sub(t0)))
	t.mu.Unlock()
	return t.fx.Do(ctx, req)
}

// retryOnTemporal runs the flow as a workflow and returns the run, the
// tries, and how many activities were scheduled (one id each, whatever
// their attempts).
func retryOnTemporal(t *testing.T, g *compile.Graph, script map[string][]*effect.Error, flow string) (*engine.Run, []string, int) {
	t.Helper()
	env := testEnv()
	env.SetStartTime(t0)
	tr := &tries{fx: &fake{script: script}, now: env.Now}
	ids := map[string]bool{}
	var mu sync.Mutex
	env.SetOnActivityStartedListener(func(info *activity.Info, _ context.Context, _ converter.EncodedValues) {
		if info.ActivityType.Name != ActivityName {
			return // the history's activities (RunID, RunStarted, RunFinished)
		}
		mu.Lock()
		defer mu.Unlock()
		ids[info.ActivityID] = true
	})
	NewFlows(g, tr).Register(env)
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
	return &r, tr.log, len(ids)
}

func retryLocally(t *testing.T, g *compile.Graph, script map[string][]*effect.Error, flow string) (*engine.Run, []string) {
	clk := clock.NewVirtual(t0)
	tr := &tries{fx: &fake{script: script}, now: clk.Now}
	e := replay.Engine(replay.Setup{Graph: g, Effector: tr, Clock: clk, Mode: engine.ModeApply, Flow: flow})
	at, _ := ev(t).PublishedTime()
	return e.Run(context.Background(), g.Flows[flow], engine.Trigger{Event: ev(t), At: at}), tr.log
}

// TestRetryIsTheActivitysRetryPolicy: a card's retry is Temporal's retry
// of one activity, and it makes the tries a local apply makes — same
// attempt numbers, at the same times (the engine's backoff with its
// deterministic jitter, the vendor's Retry-After), the same run, trace and
// error (attempts, retryable, message).
func TestRetryIsTheActivitysRetryPolicy(t *testing.T) {
	g := graph(t, retrySrc)
	rl := func(after time.Duration) *effect.Error {
		return &effect.Error{Status: 429, Code: "rate_limited", Message: "slow down", Retryable: true, RetryAfter: after}
	}
	tests := []struct {
		name     string
		script   map[string][]*effect.Error
		status   engine.Status
		attempts int    // of the first card
		message  string // of the run's error, "" for none
	}{
		{"429 twice, then success: Retry-After 5s, then the backoff", map[string][]*effect.Error{
			"slack.deactivateUser": {rl(5 * time.Second), rl(time.Second)}}, engine.StatusSuccess, 3, ""},
		{"403 is not retried", map[string][]*effect.Error{
			"slack.deactivateUser": {effect.HTTPError(403, "no scope")}}, engine.StatusHalted, 1, "no scope"},
		{"attempts spent", map[string][]*effect.Error{
			"slack.deactivateUser": {effect.HTTPError(503, "down"), effect.HTTPError(503, "down"), effect.HTTPError(503, "down")}},
			engine.StatusHalted, 3, "down"},
		{"a wait too long is not waited for", map[string][]*effect.Error{
			"slack.deactivateUser": {effect.HTTPError(503, "down"), rl(time.Hour)}},
			engine.StatusHalted, 2, "rate limited: Slack asked to wait 1h0m0s, more than retry.maxInterval 30s"},
		{"a card without retry fails at once", map[string][]*effect.Error{
			"slack.postMessage": {effect.HTTPError(503, "down")}}, engine.StatusHalted, 1, "down"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clone := func() map[string][]*effect.Error {
				m := map[string][]*effect.Error{}
				for k, v := range tt.script {
					m[k] = append([]*effect.Error(nil), v...)
				}
				return m
			}
			want, wantTries := retryLocally(t, g, clone(), "retrying")
			got, gotTries, activities := retryOnTemporal(t, g, clone(), "retrying")
			if got.Status != tt.status || got.Cards[0].Attempts != tt.attempts {
				t.Errorf("status %s, first card's attempts %d; want %s, %d (%+v)", got.Status, got.Cards[0].Attempts, tt.status, tt.attempts, got.Error)
			}
			if tt.message != "" && (got.Error == nil || got.Error.Message != tt.message || got.Error.Attempts != tt.attempts) {
				t.Errorf("error %+v, want %q after %d attempts", got.Error, tt.message, tt.attempts)
			}
			if g, w := summary(got), summary(want); g != w {
				t.Errorf("workflow run differs from the local run\n got:\n%s\nwant:\n%s", g, w)
			}
			// The whole run as history records it: error, card times and
			// durations (which include the waits) too.
			if g, w := runJSON(t, got), runJSON(t, want); g != w {
				t.Errorf("workflow run differs from the local run\n got:\n%s\nwant:\n%s", g, w)
			}
			if g, w := strings.Join(gotTries, "\n"), strings.Join(wantTries, "\n"); g != w {
				t.Errorf("tries differ from the local run's\n got:\n%s\nwant:\n%s", g, w)
			}
			calls := 0
			for _, l := range wantTries {
				if strings.Contains(l, "#1 at") {
					calls++
				}
			}
			if activities != calls {
				t.Errorf("%d activities for %d card calls: want one activity per call, retried", activities, calls)
			}
		})
	}
}

func runJSON(t *testing.T, r *engine.Run) string {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestRetryWaitsAreTheEngines: the retried tries wait what the engine's
// rule gives, jitter included (the times are not round).
func TestRetryWaitsAreTheEngines(t *testing.T) {
	g := graph(t, retrySrc)
	script := func() map[string][]*effect.Error {
		return map[string][]*effect.Error{"slack.deactivateUser": {effect.HTTPError(503, "down"), effect.HTTPError(503, "down")}}
	}
	_, tries, _ := retryOnTemporal(t, g, script(), "retrying")
	req := effect.Request{Type: "slack", Instance: "slack"}
	if len(tries) != 4 {
		t.Fatalf("tries %v", tries)
	}
	// The jitter is derived from the idempotency key: recompute the waits.
	key := idempotencyKeyOf(t, g)
	req.IdempotencyKey = key
	pol := g.Flows["retrying"].Nodes[0].Retry
	var at time.Duration
	for try := 1; try <= 2; try++ {
		w, stop := engine.RetryWait(context.Background(), pol, try, req, effect.HTTPError(503, "down"))
		if stop != nil {
			t.Fatal(stop)
		}
		at += w
		if want := fmt.Sprintf("slack.deactivateUser#%d at %s", try+1, at); tries[try] != want {
			t.Errorf("try %d: %q, want %q", try+1, tries[try], want)
		}
	}
	if at%time.Second == 0 {
		t.Errorf("waited %s: no jitter", at)
	}
}

// idempotencyKeyOf returns the key the first card's calls carry.
func idempotencyKeyOf(t *testing.T, g *compile.Graph) string {
	var key string
	clk := clock.NewVirtual(t0)
	fx := effectorFunc(func(_ context.Context, req effect.Request) (map[string]any, error) {
		if key == "" {
			key = req.IdempotencyKey
		}
		return map[string]any{}, nil
	})
	e := replay.Engine(replay.Setup{Graph: g, Effector: fx, Clock: clk, Mode: engine.ModeApply, Flow: "retrying"})
	at, _ := ev(t).PublishedTime()
	e.Run(context.Background(), g.Flows["retrying"], engine.Trigger{Event: ev(t), At: at})
	return key
}

type effectorFunc func(context.Context, effect.Request) (map[string]any, error)

func (f effectorFunc) Do(ctx context.Context, req effect.Request) (map[string]any, error) {
	return f(ctx, req)
}

// TestCallRetryCarriesEveryField: the wire type of a card's retry gives
// back the policy it was made from.
func TestCallRetryCarriesEveryField(t *testing.T) {
	p := compile.RetryPolicy{Attempts: 4, Interval: 2 * time.Second, Backoff: 1.5, MaxInterval: time.Minute, Jitter: 3 * time.Second}
	raw, err := json.Marshal(callRetry(p))
	if err != nil {
		t.Fatal(err)
	}
	var r CallRetry
	if err := json.Unmarshal(raw, &r); err != nil {
		t.Fatal(err)
	}
	if r.policy() != p {
		t.Errorf("%s gives back %+v, want %+v", raw, r.policy(), p)
	}
}

// TestRetryPolicyOfACard: the activity's RetryPolicy is the card's retry;
// its cap (a real server caps NextRetryDelay too; the test suite does not)
// is the engine's longest wait, engine.MaxRetryWait.
func TestRetryPolicyOfACard(t *testing.T) {
	tests := []struct {
		pol  compile.RetryPolicy
		want temporal.RetryPolicy
	}{
		{compile.RetryPolicy{Attempts: 3, Interval: 2 * time.Second, Backoff: 2, MaxInterval: 30 * time.Second, Jitter: time.Second},
			temporal.RetryPolicy{MaximumAttempts: 3, InitialInterval: 2 * time.Second, BackoffCoefficient: 2, MaximumInterval: 30 * time.Second}},
		{compile.RetryPolicy{Attempts: 1, Backoff: 1},
			temporal.RetryPolicy{MaximumAttempts: 1, InitialInterval: time.Nanosecond, BackoffCoefficient: 1, MaximumInterval: engine.DefaultMaxRetryAfter}},
		{compile.RetryPolicy{Attempts: 5, Interval: 10 * time.Second, Backoff: 3},
			temporal.RetryPolicy{MaximumAttempts: 5, InitialInterval: 10 * time.Second, BackoffCoefficient: 3, MaximumInterval: 270 * time.Second}},
		{compile.RetryPolicy{}, temporal.RetryPolicy{MaximumAttempts: 1, InitialInterval: time.Nanosecond, BackoffCoefficient: 1, MaximumInterval: engine.DefaultMaxRetryAfter}},
	}
	for _, tt := range tests {
		got := retryPolicy(tt.pol)
		if fmt.Sprintf("%+v", *got) != fmt.Sprintf("%+v", tt.want) {
			t.Errorf("retryPolicy(%+v) = %+v, want %+v", tt.pol, *got, tt.want)
		}
	}
}

// TestLostTriesAreTemporals: a try that Temporal sees time out (its worker
// died, or it outran the start-to-close timeout) carries no jml error; it
// is retried by Temporal within the card's attempts after the policy's
// interval, without jitter, and when the attempts are spent the card fails
// with a retryable timeout after all of them.
func TestLostTriesAreTemporals(t *testing.T) {
	g := graph(t, retrySrc)
	env := testEnv()
	env.SetStartTime(t0)
	// The workflow, and in place of the activity one whose every try
	// times out.
	f := NewFlows(g, nil)
	env.RegisterWorkflowWithOptions(f.RunFlow, workflow.RegisterOptions{Name: WorkflowName})
	f.registerHistory(env)
	var at []time.Duration
	env.RegisterActivityWithOptions(func(ctx context.Context, req effect.Request, retry CallRetry) (*CallResult, error) {
		at = append(at, env.Now().Sub(t0))
		return nil, temporal.NewTimeoutError(enumspb.TIMEOUT_TYPE_START_TO_CLOSE, nil)
	}, activity.RegisterOptions{Name: ActivityName})
	env.ExecuteWorkflow(WorkflowName, input(g, "retrying"))
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	var r engine.Run
	if err := env.GetWorkflowResult(&r); err != nil {
		t.Fatal(err)
	}
	if r.Status != engine.StatusHalted || r.Error == nil || r.Error.Code != "timeout" || !r.Error.Retryable || r.Error.Attempts != 3 || r.Cards[0].Attempts != 3 {
		t.Errorf("run %s, error %+v, card attempts %d; want halted on a retryable timeout after 3 attempts", r.Status, r.Error, r.Cards[0].Attempts)
	}
	if fmt.Sprint(at) != "[0s 2s 6s]" {
		t.Errorf("tries at %v, want [0s 2s 6s]: the policy's 2s × 2^(n-1)", at)
	}
}
