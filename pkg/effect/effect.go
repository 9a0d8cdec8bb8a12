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
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
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
// in the forms they travel in: JSON-escaped (quotes, backslashes, control
// characters, and <, >, & as \u003c…), base64 (standard and URL, padded
// or not: a Basic header, a JWT part), and URL-escaped (a form or query
// value) — so that a secret inside a JSON document, an echoed header or a
// reflected token request is found too.
//
// A Redactor grows: a credential that comes into being during a run (an
// OAuth access token, a signed JWT assertion, an Authorization header as
// sent) is added the moment it exists, and every writer holding the
// Redactor redacts it from then on. One Redactor per run, shared by the
// connectors that add to it and the outputs and history that consult it.
// It is safe for concurrent use; the zero value redacts nothing and may
// be added to.
type Redactor struct {
	mu    sync.Mutex // serialises Add
	seen  map[string]bool
	known map[string]bool // the forms
	// forms is the current list, longest first; Redact reads it without
	// locking, Add replaces it whole.
	forms atomic.Pointer[[]string]
}

// MinSecretLen is the shortest value a Redactor redacts: shorter ones
// would redact ordinary text.
const MinSecretLen = 4

// NewRedactor returns a redactor of the secrets.
func NewRedactor(secrets []string) *Redactor {
	r := &Redactor{}
	r.Add(secrets...)
	return r
}

// Add registers secrets (values shorter than MinSecretLen are ignored)
// with their encoded forms. Adding a value already known is cheap.
func (r *Redactor) Add(secrets ...string) {
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.seen == nil {
		r.seen, r.known = map[string]bool{}, map[string]bool{}
	}
	var forms []string
	if cur := r.forms.Load(); cur != nil {
		forms = append(forms, (*cur)...)
	}
	n := len(forms)
	for _, s := range secrets {
		if len(s) < MinSecretLen || r.seen[s] {
			continue
		}
		r.seen[s] = true
		for _, f := range encodings(s) {
			if len(f) >= MinSecretLen && !r.known[f] {
				r.known[f] = true
				forms = append(forms, f)
			}
		}
	}
	if len(forms) == n {
		return
	}
	// Longest first, so that a secret containing another is replaced whole.
	sort.SliceStable(forms, func(i, j int) bool { return len(forms[i]) > len(forms[j]) })
	r.forms.Store(&forms)
}

// encodings returns s and the forms it travels in.
func encodings(s string) []string {
	out := []string{s}
	for _, v := range []string{s, url.QueryEscape(s), url.PathEscape(s)} {
		out = append(out, v, jsonEscaped(v, true), jsonEscaped(v, false))
	}
	b := []byte(s)
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding} {
		e := enc.EncodeToString(b)
		out = append(out, e, url.QueryEscape(e))
	}
	return out
}

// jsonEscaped is s as it stands inside a JSON string, with or without
// HTML escaping (json.Marshal escapes <, >, &; an encoder may not).
func jsonEscaped(s string, html bool) string {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(html)
	_ = enc.Encode(s)
	return strings.TrimSuffix(strings.TrimSuffix(strings.TrimPrefix(b.String(), `"`), "\n"), `"`)
}

func (r *Redactor) current() []string {
	if r == nil {
		return nil
	}
	if f := r.forms.Load(); f != nil {
		return *f
	}
	return nil
}

// Len returns how many forms the redactor replaces (for tests and
// diagnostics; never the values).
func (r *Redactor) Len() int { return len(r.current()) }

// Redact returns s with every secret replaced.
func (r *Redactor) Redact(s string) string {
	for _, f := range r.current() {
		if strings.Contains(s, f) {
			s = strings.ReplaceAll(s, f, "***")
		}
	}
	return s
}

// RedactBytes is Redact for bytes.
func (r *Redactor) RedactBytes(b []byte) []byte {
	for _, f := range r.current() {
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
