// Package effect is the seam between the interpreter and the outside
// world: one Request per action card try, answered by an Effector — the
// simulated world (dry-run, plan, test) or the real connectors (apply). It
// also defines the one error type every effector returns, with the fields a
// flow sees as `error` (status, code, retryable) and what retry needs
// (Retry-After).
//
// effect depends on no other jml package.
package effect

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
)

// Request is one try of one action.
type Request struct {
	// Instance is the connector instance name from jml.yaml (okta, slack…).
	Instance string
	// Type is the instance's connector type.
	Type string
	// Action is the action name within the type (deactivateUser).
	Action string
	// Input is the resolved with: values (plain JSON-like Go values).
	Input map[string]any
	// Attempt is 1 for the first try.
	Attempt int
	// Timeout bounds one try; zero means the effector's default.
	Timeout time.Duration
	// IdempotencyKey is derived from (event uuid, flow, card path) and is
	// stable across retries and resumes.
	IdempotencyKey string
	// RunID is the run the call belongs to.
	RunID string
	// Card is the card's full path (helper call chain and forEach index
	// included): with the flow and event, what identifies the call.
	Card string
}

// CallInfo is what an effector tells the interpreter about one call
// besides its result. The interpreter puts one in the context of each try.
type CallInfo struct {
	// ReusedFrom is set by an effector that answered with the recorded
	// outputs of an earlier run (a resume) instead of calling: that run's id.
	ReusedFrom string
	// Simulated is set by the simulated world: the answer is the world's,
	// not the real app's.
	Simulated bool
}

type callInfoKey struct{}

// WithCallInfo returns ctx carrying ci.
func WithCallInfo(ctx context.Context, ci *CallInfo) context.Context {
	return context.WithValue(ctx, callInfoKey{}, ci)
}

// CallInfoFrom returns the CallInfo of ctx, or nil.
func CallInfoFrom(ctx context.Context) *CallInfo {
	ci, _ := ctx.Value(callInfoKey{}).(*CallInfo)
	return ci
}

// Name returns "instance.action".
func (r Request) Name() string { return r.Instance + "." + r.Action }

// Effector performs actions.
type Effector interface {
	Do(ctx context.Context, req Request) (map[string]any, error)
}

// Error is a failed action, as the vendor reported it.
type Error struct {
	// Status is the HTTP status (0 when the call got no response).
	Status int
	// Code is a short machine word: not_found, rate_limited, timeout,
	// conflict, connection, server_error, invalid_input, forbidden…
	Code    string
	Message string
	// Retryable is true for timeouts, connection errors, 429 and 5xx.
	Retryable bool
	// RetryAfter is the vendor's Retry-After, when it sent one.
	RetryAfter time.Duration
}

func (e *Error) Error() string {
	if e.Status != 0 {
		return fmt.Sprintf("%s (status %d)", e.Message, e.Status)
	}
	return e.Message
}

// AsError returns err as an *Error, wrapping any other error as a
// non-retryable one (code "error").
func AsError(err error) *Error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return &Error{Code: "timeout", Message: "timed out", Retryable: true}
	}
	if errors.Is(err, context.Canceled) {
		return &Error{Code: "canceled", Message: "canceled"}
	}
	return &Error{Code: "error", Message: err.Error()}
}

// HTTPError builds the Error for an HTTP status, with the retryability of
// SPEC §8: 429 and 5xx are retryable, other statuses are not.
func HTTPError(status int, message string) *Error {
	e := &Error{Status: status, Message: message, Retryable: status == 429 || status >= 500}
	switch {
	case status == 400 || status == 422:
		e.Code = "invalid_input"
	case status == 401:
		e.Code = "unauthorized"
	case status == 403:
		e.Code = "forbidden"
	case status == 404:
		e.Code = "not_found"
	case status == 409:
		e.Code = "conflict"
	case status == 429:
		e.Code = "rate_limited"
	case status >= 500:
		e.Code = "server_error"
	default:
		e.Code = "error"
	}
	if e.Message == "" {
		e.Message = fmt.Sprintf("HTTP %d", status)
	}
	return e
}

// Timeout is the Error of a try that ran out of time.
func Timeout(d time.Duration) *Error {
	return &Error{Code: "timeout", Message: fmt.Sprintf("no answer within %s", d), Retryable: true}
}

// Redactor replaces secret values by *** in text — in their raw form and
// in the forms JSON encoding gives them (escaped quotes, backslashes,
// control characters, and <, >, & as \u003c…), so that a secret inside a
// JSON document is found too.
type Redactor struct {
	forms []string
}

// NewRedactor returns a redactor of the secrets (values shorter than 4
// bytes are ignored: they would redact ordinary text).
func NewRedactor(secrets []string) *Redactor {
	seen := map[string]bool{}
	r := &Redactor{}
	add := func(s string) {
		if len(s) >= 4 && !seen[s] {
			seen[s] = true
			r.forms = append(r.forms, s)
		}
	}
	for _, s := range secrets {
		add(s)
		var b strings.Builder
		enc := json.NewEncoder(&b)
		_ = enc.Encode(s) // HTML-escaped, as json.Marshal writes
		add(strings.TrimSuffix(strings.TrimSuffix(strings.TrimPrefix(b.String(), `"`), "\n"), `"`))
		b.Reset()
		enc = json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		_ = enc.Encode(s)
		add(strings.TrimSuffix(strings.TrimSuffix(strings.TrimPrefix(b.String(), `"`), "\n"), `"`))
	}
	// Longest first, so that a secret containing another is replaced whole.
	sort.Slice(r.forms, func(i, j int) bool { return len(r.forms[i]) > len(r.forms[j]) })
	return r
}

// Redact returns s with every secret replaced.
func (r *Redactor) Redact(s string) string {
	if r == nil {
		return s
	}
	for _, f := range r.forms {
		if strings.Contains(s, f) {
			s = strings.ReplaceAll(s, f, "***")
		}
	}
	return s
}

// RedactBytes is Redact for bytes.
func (r *Redactor) RedactBytes(b []byte) []byte {
	if r == nil {
		return b
	}
	for _, f := range r.forms {
		if bytes.Contains(b, []byte(f)) {
			b = bytes.ReplaceAll(b, []byte(f), []byte("***"))
		}
	}
	return b
}

// JiraLabel is the label the jira connector puts on an issue it creates
// with an idempotency key, and searches for (JQL `labels = "…"`) before
// creating, so that a retried or resumed createIssue finds the issue instead
// of making a second one: "jml-" and the first 16 hex digits of the key's
// SHA-256 (a label has no spaces and at most 255 bytes; a key may have
// either). The world and the sandbox recognise it.
func JiraLabel(idempotencyKey string) string {
	sum := sha256.Sum256([]byte(idempotencyKey))
	return "jml-" + hex.EncodeToString(sum[:8])
}

// WireText is how a value of an http request's query or headers travels:
// a string as is, null as "", anything else as JSON (10, true, {"a":1}).
// The http connector sends it so and the world records it so.
func WireText(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case nil:
		return ""
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}
