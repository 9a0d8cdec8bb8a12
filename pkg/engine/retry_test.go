package engine

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/jml-dev/jml/pkg/clock"
	"github.com/jml-dev/jml/pkg/compile"
	"github.com/jml-dev/jml/pkg/effect"
)

func rateLimited(after time.Duration) result {
	return result{err: &effect.Error{Status: 429, Code: "rate_limited", Message: "ratelimited", Retryable: true, RetryAfter: after}}
}

// TestRetryAfterIsBounded: a vendor's Retry-After is waited for up to the
// card's retry.maxInterval (DefaultMaxRetryAfter when unset) and never past
// the context's deadline; beyond that the attempt fails at once, still
// retryable, naming the vendor's wait. Time is the virtual clock's; the
// deadlines are an hour or more away, so no test waits.
func TestRetryAfterIsBounded(t *testing.T) {
	tests := []struct {
		name     string
		retry    string
		deadline time.Duration // from now, 0 for none
		errs     []result
		attempts int
		waited   time.Duration
		message  string // of the failure; "" for a success
		code     string
	}{
		{name: "a day's Retry-After is more than maxInterval: fails at once",
			retry: "{attempts: 3, interval: 1s, maxInterval: 1m}", errs: []result{rateLimited(24 * time.Hour)},
			attempts: 1, message: "rate limited: Slack asked to wait 24h0m0s, more than retry.maxInterval 1m0s", code: "rate_limited"},
		{name: "Retry-After equal to maxInterval is waited for",
			retry: "{attempts: 3, interval: 1s, maxInterval: 1m}", errs: []result{rateLimited(time.Minute)},
			attempts: 2, waited: time.Minute},
		{name: "no maxInterval: the default cap lets 30s through",
			retry: "{attempts: 3, interval: 1s}", errs: []result{rateLimited(30 * time.Second)},
			attempts: 2, waited: 30 * time.Second},
		{name: "no maxInterval: the default cap stops 2m",
			retry: "{attempts: 3, interval: 1s}", errs: []result{rateLimited(2 * time.Minute)},
			attempts: 1, message: "rate limited: Slack asked to wait 2m0s, more than retry.maxInterval (default) 1m0s", code: "rate_limited"},
		{name: "a later try's Retry-After is bounded too",
			retry: "{attempts: 3, interval: 1s, maxInterval: 10s}", errs: []result{rateLimited(5 * time.Second), rateLimited(time.Hour)},
			attempts: 2, waited: 5 * time.Second, message: "rate limited: Slack asked to wait 1h0m0s, more than retry.maxInterval 10s", code: "rate_limited"},
		{name: "a 503's Retry-After keeps the vendor's message and code",
			retry: "{attempts: 3, interval: 1s, maxInterval: 1m}", errs: []result{{err: &effect.Error{Status: 503, Code: "server_error", Message: "maintenance", Retryable: true, RetryAfter: 2 * time.Hour}}},
			attempts: 1, message: "maintenance: Slack asked to wait 2h0m0s, more than retry.maxInterval 1m0s", code: "server_error"},
		{name: "within maxInterval but past the deadline: fails at once",
			retry: "{attempts: 3, interval: 1s, maxInterval: 3h}", deadline: time.Hour, errs: []result{rateLimited(2 * time.Hour)},
			attempts: 1, message: "rate limited: Slack asked to wait 2h0m0s, past the deadline, ", code: "rate_limited"},
		{name: "within maxInterval and the deadline: waited for",
			retry: "{attempts: 3, interval: 1s, maxInterval: 3h}", deadline: 2 * time.Hour, errs: []result{rateLimited(time.Hour)},
			attempts: 2, waited: time.Hour},
		{name: "jml's own backoff past the deadline: not retried",
			retry: "{attempts: 3, interval: 2h}", deadline: time.Hour, errs: []result{{err: effect.HTTPError(500, "boom")}},
			attempts: 1, message: "boom (not retried: the next try, in 2h0m0s, would start past the deadline, ", code: "server_error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := graph(t, `name: f
trigger: {event: user.lifecycle.deactivate}
steps:
  - id: s
    action: slack.deactivateUser
    with: {email: jane@acme.com}
    retry: `+tt.retry+`
`)
			fx := &fake{script: map[string][]result{"slack.deactivateUser": tt.errs}}
			clk := clock.NewVirtual(t0)
			ctx := context.Background()
			if tt.deadline > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tt.deadline)
				defer cancel()
			}
			e := New(Options{Graph: g, Effector: fx, Clock: clk, Mode: ModeApply})
			r := e.Run(ctx, g.Flows["f"], Trigger{Event: deactivation(), At: t0})
			if len(fx.calls) != tt.attempts || r.Cards[0].Attempts != tt.attempts {
				t.Errorf("%d calls, card attempts %d, want %d", len(fx.calls), r.Cards[0].Attempts, tt.attempts)
			}
			if got := clk.Now().Sub(t0); got != tt.waited {
				t.Errorf("waited %s, want %s", got, tt.waited)
			}
			if tt.message == "" {
				if r.Status != StatusSuccess {
					t.Fatalf("status %s (%+v), want success", r.Status, r.Error)
				}
				return
			}
			if r.Status != StatusHalted || r.Error == nil {
				t.Fatalf("status %s, want halted", r.Status)
			}
			if !strings.HasPrefix(r.Error.Message, tt.message) {
				t.Errorf("message %q, want it to start %q", r.Error.Message, tt.message)
			}
			if !r.Error.Retryable || r.Error.Code != tt.code {
				t.Errorf("retryable %v code %q, want retryable, code %q", r.Error.Retryable, r.Error.Code, tt.code)
			}
		})
	}
}

func TestWaitTooLongNamesTheVendorOrTheInstance(t *testing.T) {
	ee := &effect.Error{Status: 429, Code: "rate_limited", Message: "Too Many Requests", Retryable: true, RetryAfter: 90*time.Second + 400*time.Millisecond}
	for _, tt := range []struct{ typ, instance, want string }{
		{"okta", "okta-prod", "rate limited: Okta asked to wait 1m30s, more than x"},
		{"http", "hr-api", "rate limited: instance hr-api asked to wait 1m30s, more than x"},
	} {
		got := waitTooLong(effect.Request{Type: tt.typ, Instance: tt.instance}, ee, "more than x")
		if got.Message != tt.want || !got.Retryable || got.RetryAfter != ee.RetryAfter || got.Status != 429 {
			t.Errorf("%s: %+v, want message %q", tt.typ, got, tt.want)
		}
	}
}

// TestMaxRetryWaitBoundsEveryWait: no wait RetryWait gives — any try, any
// Retry-After it accepts, any jitter — is longer than MaxRetryWait, and
// the longest one is reached (a Retrier capping waits at it changes none).
func TestMaxRetryWaitBoundsEveryWait(t *testing.T) {
	pols := []compile.RetryPolicy{
		{Attempts: 1, Backoff: 1},
		{Attempts: 3, Interval: 5 * time.Second, Backoff: 2, MaxInterval: 8 * time.Second},
		{Attempts: 5, Interval: time.Second, Backoff: 3},
		{Attempts: 4, Interval: 30 * time.Second, Backoff: 2, Jitter: 10 * time.Second},
		{Attempts: 4, Interval: time.Second, Backoff: 2, MaxInterval: 3 * time.Second, Jitter: time.Second},
		{Attempts: 3, Interval: 0, Backoff: 1},
		ProfileRetry,
	}
	req := effect.Request{Type: "slack", IdempotencyKey: "jml-k"}
	for _, pol := range pols {
		limit := MaxRetryWait(pol)
		longest := time.Duration(0)
		for try := 1; try < pol.Attempts; try++ {
			for _, after := range []time.Duration{0, time.Second, pol.MaxInterval, DefaultMaxRetryAfter, time.Hour} {
				for _, key := range []string{"jml-a", "jml-b", "jml-c", "jml-d"} {
					req.IdempotencyKey = key
					ee := &effect.Error{Status: 429, Code: "rate_limited", Retryable: true, RetryAfter: after}
					wait, stop := RetryWait(context.Background(), pol, try, req, ee)
					if stop != nil {
						continue
					}
					if wait > limit {
						t.Errorf("%+v try %d Retry-After %s: wait %s > MaxRetryWait %s", pol, try, after, wait, limit)
					}
					longest = max(longest, wait)
				}
			}
		}
		if pol.Attempts > 1 && pol.Jitter == 0 && longest != limit {
			t.Errorf("%+v: longest wait %s, MaxRetryWait %s", pol, longest, limit)
		}
	}
	huge := compile.RetryPolicy{Attempts: 200, Interval: time.Hour, Backoff: 10}
	if got := MaxRetryWait(huge); got <= 0 {
		t.Errorf("MaxRetryWait of an overflowing backoff = %s", got)
	}
}

// retrier makes a call's tries itself and records what it was given.
type retrier struct {
	fake
	pols     []compile.RetryPolicy
	attempts int
}

func (r *retrier) DoRetrying(ctx context.Context, req effect.Request, pol compile.RetryPolicy) (map[string]any, *effect.Error, int) {
	r.pols = append(r.pols, pol)
	out, err := r.Do(ctx, req)
	return out, effect.AsError(err), r.attempts
}

// TestRetrierGetsTheWholeCall: an effector that is a Retrier is handed
// each card call once, with the card's policy, and the tries it reports
// are the card's and the error's attempts; the engine waits for nothing.
func TestRetrierGetsTheWholeCall(t *testing.T) {
	g := graph(t, `name: f
trigger: {event: user.lifecycle.deactivate}
steps:
  - id: s
    action: slack.deactivateUser
    with: {email: jane@acme.com}
    retry: {attempts: 4, interval: 2s, backoff: 3, maxInterval: 10s}
`)
	r := &retrier{fake: fake{script: map[string][]result{"slack.deactivateUser": {{err: effect.HTTPError(503, "down")}}}}, attempts: 4}
	clk := clock.NewVirtual(t0)
	run := New(Options{Graph: g, Effector: r, Clock: clk, Mode: ModeApply}).Run(context.Background(), g.Flows["f"], Trigger{Event: deactivation(), At: t0})
	want := compile.RetryPolicy{Attempts: 4, Interval: 2 * time.Second, Backoff: 3, MaxInterval: 10 * time.Second}
	if len(r.pols) != 1 || r.pols[0] != want || len(r.calls) != 1 {
		t.Fatalf("DoRetrying got %+v (%d calls), want one call with %+v", r.pols, len(r.calls), want)
	}
	if run.Status != StatusHalted || run.Cards[0].Attempts != 4 || run.Error.Attempts != 4 || run.Error.Code != "server_error" {
		t.Errorf("run %s, card attempts %d, error %+v", run.Status, run.Cards[0].Attempts, run.Error)
	}
	if !clk.Now().Equal(t0) {
		t.Errorf("the engine waited %s", clk.Now().Sub(t0))
	}
}
