package contract_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/jml-dev/jml/pkg/catalog"
	"github.com/jml-dev/jml/pkg/effect"
	"github.com/jml-dev/jml/pkg/world"
)

// errorCase is a failure the world injects into an action's call.
type errorCase struct {
	label  string
	status int
	// retryAfter is the fault's Retry-After; the connector must report it
	// (Okta conveys it with X-Rate-Limit-Reset, the others Retry-After).
	retryAfter time.Duration
}

// errorCases are the answers every verified action is run against: an
// unknown user, bad input and a rate limit.
var errorCases = []errorCase{
	{"/404", 404, 0},
	{"/400", 400, 0},
	{"/429", 429, 7 * time.Second},
}

// errorSuccesses are the error answers a connector turns into success,
// by action and status, with the reason: the test holds them to it.
var errorSuccesses = map[string]string{
	// Graph answers 404 for "not a member"; the connector then finds the
	// group and the user, and the removal is the idempotent no-op.
	"microsoft.removeFromGroup/404": "404 on DELETE members/$ref with the group and user found is \"not a member\"",
	// Gmail answers 404 for one who is not a delegate: the idempotent
	// no-op (an unknown mailbox fails before, at the token, or names the
	// userKey).
	"google.removeDelegate/404": "404 on DELETE settings/delegates/{delegateEmail} is \"not a delegate\"",
}

// knownErrorFailures are, by action and error case, mismatches of the
// sandbox's error answers with the description that are the
// description's, with the evidence. Slack's slack-api-specs 1.7.0 is
// older than what Slack sends today: its error schemas forbid
// response_metadata, which Slack's ok:false answers carry (Slack's own
// @slack/web-api types every response with response_metadata, e.g.
// ChatPostMessageResponse), and its per-method error enums lack
// invalid_arguments, which Slack lists among every method's common errors
// ("The method was called with invalid arguments"; Slack's methods
// reference as packaged in slack_kit's common_errors.json).
var knownErrorFailures = map[string]map[string]string{}

func init() {
	metadata := `property "response_metadata" is unsupported`
	for _, a := range []string{"slack.postMessage", "slack.lookupUserByEmail", "slack.inviteToChannel"} {
		knownErrorFailures[a+"/404"] = map[string]string{metadata: "Slack sends response_metadata; its description's error schema forbids it"}
		knownErrorFailures[a+"/400"] = map[string]string{metadata: "Slack sends response_metadata; its description's error schema forbids it",
			`Error at "/error": value is not one of the allowed values`: "invalid_arguments, Slack's common error, is not in the description's enum"}
	}
}

// errorPrepare sets up, beyond prepare, what an error case needs.
var errorPrepare = map[string]func(t *testing.T, h *harness, in map[string]any){
	// The group exists (jane joins it), so that the connector's look-up
	// after the 404 finds it and the 404 means "not a member".
	"microsoft.removeFromGroup": func(t *testing.T, h *harness, in map[string]any) {
		h.do(t, "microsoft", "addToGroup", map[string]any{"userId": in["userId"], "groupId": in["groupId"]})
	},
}

// TestContractErrors runs every verified action against the sandbox with
// the world failing its call (404, 400, 429), and checks the error answer
// against the description's response for that status (or default), the
// vendor's rate-limit headers, and the effect error the connector maps it
// to: status, code, retryable, Retry-After and the vendor's message.
func TestContractErrors(t *testing.T) {
	for _, c := range catalog.All() {
		if _, ok := instanceOf[c.Type]; !ok {
			continue
		}
		for _, a := range c.Actions {
			if a.Verified == nil {
				continue
			}
			name := c.Type + "." + a.Name
			for _, ec := range errorCases {
				t.Run(name+ec.label, func(t *testing.T) {
					path, err := specFile(a.Verified)
					if err != nil {
						t.Skipf("vendor description not here: %v", err)
					}
					chk, err := load(path, a.Verified)
					if err != nil {
						t.Fatalf("description %s: %v", a.Verified.ID, err)
					}
					h := newHarness(t)
					in := map[string]any{}
					for _, f := range a.Inputs {
						if v, ok := samples[c.Type][f.Name]; ok {
							in[f.Name] = v
						}
					}
					if f := prepare[name]; f != nil {
						f(t, h, in)
					}
					if f := errorPrepare[name]; f != nil {
						f(t, h, in)
					}
					h.rec.take()
					fault := world.Fault{Action: instanceOf[c.Type] + "." + a.Name, Status: ec.status, RetryAfter: ec.retryAfter}
					h.world.AddFaults(fault)
					_, derr := h.clients[c.Type].Do(context.Background(), effect.Request{Instance: instanceOf[c.Type], Action: a.Name,
						Input: in, IdempotencyKey: "evt-1/leaver/" + a.Name, Attempt: 1})
					log := h.rec.take()
					if len(log) == 0 {
						t.Fatal("the connector sent nothing")
					}
					// Slack's Web API answers a failed method HTTP 200
					// with ok:false, except a rate limit (429).
					wire := ec.status
					if a.Verified.ID == "slack-web" && ec.status != 429 {
						wire = 200
					}
					// The answer carrying the fault: the last with its
					// status (a connector may read on after it).
					var failed *exchange
					for _, ex := range log {
						if ex.Status == wire && (wire != 200 || strings.Contains(string(ex.RespBody), `"ok": false`)) {
							failed = ex
						}
					}
					if failed == nil {
						t.Fatalf("no answer is a %d carrying the fault", wire)
					}
					if d, ok := chk.(declarer); ok && !d.declares(failed, wire) {
						t.Skipf("%s: %s %s describes no %d answer, so the vendor sends none", a.Verified.ID, failed.Method, failed.Path, wire)
					}
					for _, ex := range log {
						if ex == failed && wire == 200 {
							ex = slackAsDefault(ex)
						}
						op, problems := chk.check(ex)
						for _, p := range problems {
							why := known(name, p)
							for sub, w := range knownErrorFailures[name+ec.label] {
								if strings.Contains(p, sub) {
									why = w
								}
							}
							if why != "" {
								t.Logf("known failure: %s %s: %s (%s)", ex.Method, ex.Path, p, why)
								continue
							}
							t.Errorf("%s %s (%s %s): %s", ex.Method, ex.Path, a.Verified.ID, op, p)
						}
					}
					if ec.status == 429 {
						checkRateLimitHeaders(t, c.Type, failed)
					}
					if why, ok := errorSuccesses[name+ec.label]; ok {
						if derr != nil {
							t.Errorf("got %v, want success: %s", derr, why)
						}
						return
					}
					checkEffectError(t, ec, effect.AsError(derr))
				})
			}
		}
	}
}

// declarer is a checker that says whether an operation describes an
// answer with a status.
type declarer interface {
	declares(ex *exchange, status int) bool
}

// checkRateLimitHeaders holds a 429 to the vendor's way of saying when to
// come back: Okta's X-Rate-Limit-Limit, -Remaining (0) and -Reset and no
// Retry-After (developer.okta.com/docs/reference/rl-best-practices);
// Retry-After for Graph (learn.microsoft.com/graph/throttling) and Slack
// (docs.slack.dev/apis/web-api/rate-limits).
func checkRateLimitHeaders(t *testing.T, typ string, ex *exchange) {
	t.Helper()
	h := ex.RespHeader
	if typ == "okta" {
		if h.Get("X-Rate-Limit-Limit") == "" || h.Get("X-Rate-Limit-Remaining") != "0" || h.Get("X-Rate-Limit-Reset") == "" {
			t.Errorf("Okta 429 without X-Rate-Limit-Limit, -Remaining 0 and -Reset: %v", h)
		}
		if h.Get("Retry-After") != "" {
			t.Errorf("Okta 429 with Retry-After, which Okta does not send: %v", h)
		}
		return
	}
	if h.Get("Retry-After") == "" {
		t.Errorf("%s 429 without Retry-After: %v", typ, h)
	}
}

// checkEffectError holds the connector's error to the one rule of
// effect.HTTPError: the status, its code, retryable only for 429 (and
// 5xx), the vendor's wait honoured, and the vendor's message (the
// world's fault message) shown rather than the bare status line.
func checkEffectError(t *testing.T, ec errorCase, e *effect.Error) {
	t.Helper()
	if e == nil {
		t.Fatalf("got success, want a %d error", ec.status)
	}
	want := effect.HTTPError(ec.status, "")
	if e.Status != want.Status || e.Code != want.Code || e.Retryable != want.Retryable {
		t.Errorf("got status %d code %s retryable %v, want %d %s %v (%v)", e.Status, e.Code, e.Retryable,
			want.Status, want.Code, want.Retryable, e)
	}
	// Okta's reset is a whole epoch second from the sandbox's clock: the
	// wait read back is within a second of the fault's.
	if d := e.RetryAfter - ec.retryAfter; d < -time.Second || d > time.Second {
		t.Errorf("got Retry-After %v, want %v", e.RetryAfter, ec.retryAfter)
	}
	if msg := faultMessage(ec.status); !strings.Contains(strings.ToLower(e.Message), msg) {
		t.Errorf("message %q does not carry the vendor's %q", e.Message, msg)
	}
}

// faultMessage is what the world says for an injected status (its default
// message): the vendor's description, which the user must see.
func faultMessage(status int) string {
	switch status {
	case 404:
		return "not found"
	case 429:
		return "rate limit exceeded"
	}
	return "bad request"
}

// slackAsDefault is an ok:false answer as Slack's description models it:
// slack-api-specs describes a method's success as its 200 response and its
// errors ({"ok": false, "error": …}) as its default response, while Slack
// sends both with HTTP 200 (docs.slack.dev/apis/web-api: "a failing
// request … still returns HTTP 200"). The copy carries a status no
// operation names, so that the default response is the one checked.
func slackAsDefault(ex *exchange) *exchange {
	cp := *ex
	cp.Status = 599
	return &cp
}
