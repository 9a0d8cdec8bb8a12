package connector

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"
	"gopkg.in/yaml.v3"

	"github.com/jml-dev/jml/pkg/ast"
	"github.com/jml-dev/jml/pkg/catalog"
	"github.com/jml-dev/jml/pkg/clock"
	"github.com/jml-dev/jml/pkg/effect"
	"github.com/jml-dev/jml/pkg/source"
	"github.com/jml-dev/jml/pkg/table"
)

// DefaultTimeout bounds one call when neither the card nor the instance
// sets a timeout.
const DefaultTimeout = 30 * time.Second

// MaxResponseBytes bounds a response body jml reads.
const MaxResponseBytes = 8 << 20

// Client performs the actions of one connector instance.
type Client interface {
	Do(ctx context.Context, req effect.Request) (map[string]any, error)
}

// Instance is the resolved configuration of one connector instance, and
// the HTTP machinery its client calls through.
type Instance struct {
	Name, Type string
	// BaseURL is the API root (with the sandbox, URL/INSTANCE).
	BaseURL *url.URL
	Auth    Authorizer
	HTTP    *http.Client
	Limiter *Limiter
	Timeout time.Duration
	// Headers are extra non-secret headers from jml.yaml.
	Headers map[string]string
	// Settings are the other keys of the instance in jml.yaml (org, from,
	// baseDN, …), as strings; a list is joined with commas (allowedHosts).
	Settings map[string]string
	// Sandbox is true when BaseURL points at `jml sandbox`.
	Sandbox bool
	// WebAPIAuth, when jml.yaml sets webAPIAuth (slack), authorises the
	// calls to the vendor's second API (Slack's Web API) instead of Auth.
	WebAPIAuth Authorizer
	// Configured is the API root of jml.yaml (or the vendor's default):
	// BaseURL but under --sandbox. The http connector holds absolute URLs
	// to its scheme, host and port in every mode (nil: BaseURL).
	Configured *url.URL
	// Scopes are the OAuth scopes the flows' actions need of this
	// instance (Options.Scopes): what an okta oauth2 auth without scopes:
	// requests.
	Scopes []string
	// Tables are a table instance's tables (jml.yaml's tables:), and
	// TableStore where it keeps their rows (Set.UseTables).
	Tables     table.Schema
	TableStore TableStore
}

// Options configure New.
type Options struct {
	// SandboxURL points every instance at SandboxURL/INSTANCE and replaces
	// its auth with a bearer token the sandbox accepts: no secret is read.
	SandboxURL string
	// HTTP is the client to use (default: one with connection reuse).
	HTTP *http.Client
	// Getenv reads the environment (os.Getenv by default).
	Getenv func(string) string
	// BaseDir resolves relative {file:} references (the directory of jml.yaml).
	BaseDir string
	// Redactor is the run's one registry of secrets (default: a new one):
	// the values read for the set, and every credential made from them
	// as it comes into being (auth.go). Outputs and the history redact
	// with it.
	Redactor *effect.Redactor
	// Scopes are, by instance name, the OAuth scopes the flows' actions
	// need (catalog.ScopesFor of the actions the flows use): an okta
	// instance's oauth2 auth requests them when it lists no scopes:.
	Scopes map[string][]string
	// Clock tells the time of the vendors' rate-limit pauses
	// (X-Rate-Limit-Reset, Retry-After) and waits them out (default: the
	// real clock). Tests inject a virtual one: no sleeps.
	Clock clock.Clock
}

// Set is the clients of every instance of a config; it implements
// effect.Effector.
type Set struct {
	clients   map[string]Client
	instances map[string]*Instance
	secrets   []string
	redactor  *effect.Redactor
}

// Do dispatches a request to its instance's client.
func (s *Set) Do(ctx context.Context, req effect.Request) (map[string]any, error) {
	c, ok := s.clients[req.Instance]
	if !ok {
		return nil, &effect.Error{Code: "invalid_input", Message: fmt.Sprintf("no connector instance %q", req.Instance)}
	}
	return c.Do(ctx, req)
}

// Instance returns the resolved instance named name, for calls that are
// not catalogue actions (jml events pull reads Okta's System Log with it).
func (s *Set) Instance(name string) (*Instance, bool) {
	in, ok := s.instances[name]
	return in, ok
}

// Secrets returns the secret values resolved from jml.yaml's references
// for this set, longest first. Redact output with Redactor, which holds
// these and the credentials made from them at run time too.
func (s *Set) Secrets() []string { return append([]string{}, s.secrets...) }

// Redactor returns the set's registry of secrets (Options.Redactor when
// given): it grows as the connectors fetch tokens and sign assertions.
func (s *Set) Redactor() *effect.Redactor { return s.redactor }

// New builds the clients of every connector instance of cfg, resolving
// their secrets. It fails, naming the instance and the reference (never a
// value), when a secret cannot be read.
func New(cfg *ast.Config, opts Options) (*Set, error) {
	if opts.Getenv == nil {
		opts.Getenv = os.Getenv
	}
	if opts.HTTP == nil {
		opts.HTTP = &http.Client{Transport: &http.Transport{
			Proxy:               http.ProxyFromEnvironment,
			DialContext:         (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			MaxIdleConnsPerHost: 16,
			IdleConnTimeout:     90 * time.Second,
			TLSHandshakeTimeout: 10 * time.Second,
		}}
	}
	opts.HTTP = pinRedirects(opts.HTTP)
	if opts.Redactor == nil {
		opts.Redactor = &effect.Redactor{}
	}
	if opts.Clock == nil {
		opts.Clock = clock.Real{}
	}
	s := &Set{clients: map[string]Client{}, instances: map[string]*Instance{}, redactor: opts.Redactor}
	if cfg == nil {
		return s, nil
	}
	if err := checkSandboxURL(opts.SandboxURL); err != nil {
		return nil, err
	}
	res := &resolver{getenv: opts.Getenv, baseDir: opts.BaseDir, red: opts.Redactor}
	var errs []string
	for _, c := range cfg.Connectors {
		inst, err := newInstance(c, opts, res)
		if err != nil {
			errs = append(errs, fmt.Sprintf("connector %q: %v", c.Name.Value, err))
			continue
		}
		f := factoryFor(inst.Type)
		if f == nil {
			errs = append(errs, fmt.Sprintf("connector %q: type %q has no real connector yet", c.Name.Value, inst.Type))
			continue
		}
		s.clients[inst.Name] = timed{c: f(inst), d: inst.Timeout}
		s.instances[inst.Name] = inst
	}
	s.secrets = res.values()
	if len(errs) > 0 {
		return nil, errors.New(strings.Join(errs, "; "))
	}
	return s, nil
}

func str(n *yaml.Node) string {
	n = source.Resolve(n)
	if n == nil || n.Kind != yaml.ScalarNode {
		return ""
	}
	return n.Value
}

func newInstance(c ast.Connector, opts Options, res *resolver) (*Instance, error) {
	inst := &Instance{Name: c.Name.Value, Type: c.Type.Value, HTTP: opts.HTTP, Timeout: DefaultTimeout,
		Headers: map[string]string{}, Settings: map[string]string{}, Scopes: opts.Scopes[c.Name.Value]}
	for _, p := range source.Pairs(c.Node) {
		switch k := p[0].Value; k {
		case "headers":
			for _, h := range source.Pairs(p[1]) {
				inst.Headers[h[0].Value] = str(h[1])
			}
		case "timeout":
			if d, err := time.ParseDuration(str(p[1])); err == nil {
				inst.Timeout = d
			}
		case "type", "baseURL", "auth", "webAPIAuth", "rateLimit":
		default:
			if n := source.Resolve(p[1]); n != nil && n.Kind == yaml.SequenceNode {
				var vs []string
				for _, e := range n.Content {
					vs = append(vs, str(e))
				}
				inst.Settings[k] = strings.Join(vs, ",")
				continue
			}
			inst.Settings[k] = str(p[1])
		}
	}
	if inst.Type == "table" {
		// Its rows are in the history store (Set.UseTables), or in the
		// sandbox's world: no base URL, no credentials.
		inst.Tables = table.FromNode(c.Node)
		delete(inst.Settings, "tables")
		if opts.SandboxURL == "" {
			inst.Limiter = newLimiter(c.Node, inst.Type, false)
			inst.Limiter.clk = opts.Clock
			inst.Auth = None{}
			return inst, nil
		}
	}
	base := c.BaseURL.Value
	if base == "" {
		base = catalog.DefaultBaseURL(inst.Type)
	}
	if u, err := url.Parse(base); err == nil && base != "" {
		inst.Configured = u
	}
	if opts.SandboxURL != "" {
		base = strings.TrimRight(opts.SandboxURL, "/") + "/" + inst.Name
		inst.Sandbox = true
	}
	if base == "" {
		return nil, fmt.Errorf("no baseURL: connectors of type %s need one in jml.yaml", inst.Type)
	}
	u, err := url.Parse(base)
	if err != nil {
		return nil, fmt.Errorf("baseURL: %v", err)
	}
	inst.BaseURL = u
	inst.Limiter = newLimiter(c.Node, inst.Type, inst.Sandbox)
	inst.Limiter.clk = opts.Clock
	if inst.Sandbox {
		inst.Auth = sandboxAuth(source.Get(c.Node, "auth"), inst)
		return inst, nil
	}
	auth, err := newAuth(source.Get(c.Node, "auth"), inst, res)
	if err != nil {
		return nil, err
	}
	inst.Auth = auth
	if n := source.Get(c.Node, "webAPIAuth"); n != nil {
		web, err := newAuth(n, inst, res)
		if err != nil {
			return nil, fmt.Errorf("webAPIAuth: %v", err)
		}
		inst.WebAPIAuth = web
	}
	if err := checkInsecure(inst); err != nil {
		return nil, err
	}
	return inst, nil
}

// resolver reads {env:}/{file:} secret references and remembers the
// values, adding each to red the moment it is read.
type resolver struct {
	getenv  func(string) string
	baseDir string
	red     *effect.Redactor
	mu      sync.Mutex
	seen    map[string]bool
}

// secret resolves a reference node ({env: NAME} or {file: PATH}) or a
// literal (for non-secret fields such as username or clientID).
func (r *resolver) secret(n *yaml.Node, what string) (string, error) {
	n = source.Resolve(n)
	if n == nil {
		return "", fmt.Errorf("auth.%s is missing", what)
	}
	var v string
	switch {
	case n.Kind == yaml.ScalarNode:
		return n.Value, nil
	case source.Get(n, "env") != nil:
		name := str(source.Get(n, "env"))
		v = r.getenv(name)
		if v == "" {
			return "", fmt.Errorf("auth.%s: environment variable %s is not set", what, name)
		}
	case source.Get(n, "file") != nil:
		p := str(source.Get(n, "file"))
		if !filepath.IsAbs(p) && r.baseDir != "" {
			p = filepath.Join(r.baseDir, p)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return "", fmt.Errorf("auth.%s: cannot read secret file %s: %v", what, p, unwrapPath(err))
		}
		v = strings.TrimRight(string(b), "\r\n")
	default:
		return "", fmt.Errorf("auth.%s must be {env: NAME} or {file: PATH}", what)
	}
	r.mu.Lock()
	if r.seen == nil {
		r.seen = map[string]bool{}
	}
	r.seen[v] = true
	r.mu.Unlock()
	r.red.Add(v)
	return v, nil
}

func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

func (r *resolver) values() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for v := range r.seen {
		if len(v) >= 4 {
			out = append(out, v)
		}
	}
	sort.Slice(out, func(i, j int) bool { return len(out[i]) > len(out[j]) })
	return out
}

// Limiter is an instance's client-side rate limit, shared by every run,
// plus the pause a vendor asked for (Okta's X-Rate-Limit-Reset).
type Limiter struct {
	lim        *rate.Limiter
	clk        clock.Clock // nil: the real clock
	mu         sync.Mutex
	blockUntil time.Time
}

// NewLimiter returns a Limiter of rps requests a second (0: no client-side
// limit) that tells time and waits vendor pauses on clk (nil: the real
// clock), for an Instance built by hand (tests, tools).
func NewLimiter(rps float64, burst int, clk clock.Clock) *Limiter {
	l := &Limiter{clk: clk}
	if rps > 0 {
		l.lim = rate.NewLimiter(rate.Limit(rps), max(burst, 1))
	}
	return l
}

func newLimiter(node *yaml.Node, typ string, sandbox bool) *Limiter {
	l := &Limiter{}
	if rl := source.Get(node, "rateLimit"); rl != nil {
		rps, _ := strconv.ParseFloat(str(source.Get(rl, "requestsPerSecond")), 64)
		burst, _ := strconv.Atoi(str(source.Get(rl, "burst")))
		if rps > 0 {
			l.lim = rate.NewLimiter(rate.Limit(rps), max(burst, 1))
		}
		return l
	}
	// Against the sandbox the per-vendor defaults are off (SPEC §6).
	if rps := catalog.DefaultRate(typ); rps > 0 && !sandbox {
		l.lim = rate.NewLimiter(rate.Limit(rps), max(int(rps), 1))
	}
	return l
}

// PauseError is Limiter.Wait's answer when the vendor's pause outlasts
// what this try may wait: its deadline (the card's or the instance's
// timeout), or DefaultTimeout without one.
type PauseError struct {
	// Until is when the vendor's pause ends; Wait is how long that is.
	Until time.Time
	Wait  time.Duration
}

func (e *PauseError) Error() string {
	return fmt.Sprintf("the vendor's rate-limit pause (until %s, %s away) outlasts this try's timeout",
		e.Until.UTC().Format(time.RFC3339), e.Wait.Round(time.Second))
}

// Wait blocks until a request may go out. A vendor's pause is waited for
// only within this try's deadline: a longer one fails at once with a
// *PauseError, which Call turns into a retryable rate_limited error whose
// RetryAfter is the pause, so that the engine's one retry rule decides
// whether to wait for it (up to the card's retry.maxInterval) or to fail
// the card naming the wait.
func (l *Limiter) Wait(ctx context.Context) error {
	if l == nil {
		return nil
	}
	l.mu.Lock()
	until := l.blockUntil
	l.mu.Unlock()
	if d := until.Sub(l.now()); d > 0 {
		if err := ctx.Err(); err != nil {
			return err
		}
		limit := DefaultTimeout
		if dl, ok := ctx.Deadline(); ok {
			limit = time.Until(dl)
		}
		if d >= limit {
			return &PauseError{Until: until, Wait: d}
		}
		if err := l.clock().Sleep(ctx, d); err != nil {
			return err
		}
	}
	if l.lim != nil {
		return l.lim.Wait(ctx)
	}
	return nil
}

func (l *Limiter) clock() clock.Clock {
	if l == nil || l.clk == nil {
		return clock.Real{}
	}
	return l.clk
}

func (l *Limiter) now() time.Time { return l.clock().Now() }

// effectError is the pause as the failure of a try of instance: a
// retryable rate_limited error with the pause as RetryAfter (no status:
// no request went out).
func (e *PauseError) effectError(instance string) *effect.Error {
	return &effect.Error{Code: "rate_limited", Retryable: true, RetryAfter: e.Wait,
		Message: fmt.Sprintf("rate limited: the vendor paused every call of instance %q until %s (X-Rate-Limit-Reset), %s away: longer than this try's timeout",
			instance, e.Until.UTC().Format(time.RFC3339), e.Wait.Round(time.Second))}
}

// observe reads the vendor's rate-limit headers: Okta's
// X-Rate-Limit-Remaining 0 pauses every call until X-Rate-Limit-Reset.
func (l *Limiter) observe(h http.Header) {
	if l == nil || h.Get("X-Rate-Limit-Remaining") != "0" {
		return
	}
	reset, err := strconv.ParseInt(h.Get("X-Rate-Limit-Reset"), 10, 64)
	if err != nil {
		return
	}
	t := time.Unix(reset, 0)
	l.mu.Lock()
	if t.After(l.blockUntil) {
		l.blockUntil = t
	}
	l.mu.Unlock()
}

// Response is a vendor's answer.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// JSON decodes the body (null when empty).
func (r *Response) JSON() (any, error) {
	if len(bytes.TrimSpace(r.Body)) == 0 {
		return nil, nil
	}
	var v any
	dec := json.NewDecoder(bytes.NewReader(r.Body))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return nil, &effect.Error{Status: r.Status, Code: "bad_response", Message: "the response is not JSON: " + err.Error()}
	}
	return effect.Numbers(v), nil
}

// Object decodes the body as a JSON object ({} when empty).
func (r *Response) Object() (map[string]any, error) {
	v, err := r.JSON()
	if err != nil {
		return nil, err
	}
	if v == nil {
		return map[string]any{}, nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, &effect.Error{Status: r.Status, Code: "bad_response", Message: "the response is not a JSON object"}
	}
	return m, nil
}

// Call makes one HTTP call: path is joined to the base URL (its segments
// must already be escaped — use Path), query is encoded, body is sent as
// JSON (or as is when it is a FormBody or []byte). A non-2xx status is an
// *effect.Error with the vendor's message, Retry-After and retryability;
// a network failure a retryable one.
func (in *Instance) Call(ctx context.Context, method, path string, query url.Values, body any, headers map[string]string) (*Response, error) {
	u := *in.BaseURL
	// path is escaped (segments went through Seg): Path gets its decoded
	// form and RawPath the escaped one, so that an escaped "/" stays
	// %2F instead of being escaped a second time.
	decoded, err := url.PathUnescape(path)
	if err != nil {
		return nil, &effect.Error{Code: "invalid_input", Message: fmt.Sprintf("bad request path %q: %v", path, err)}
	}
	u.Path = strings.TrimRight(u.Path, "/") + decoded
	u.RawPath = strings.TrimRight(in.BaseURL.EscapedPath(), "/") + path
	if len(query) > 0 {
		u.RawQuery = query.Encode()
	}
	var payload []byte
	contentType := ""
	switch b := body.(type) {
	case nil:
	case FormBody:
		payload, contentType = []byte(url.Values(b).Encode()), "application/x-www-form-urlencoded"
	case []byte:
		payload, contentType = b, "application/json"
	default:
		data, err := json.Marshal(b)
		if err != nil {
			return nil, &effect.Error{Code: "invalid_input", Message: "cannot encode the request body: " + err.Error()}
		}
		// JSON is UTF-8; saying so is what Slack's Web API asks of a
		// JSON body (without it, a warning: missing_charset), and every
		// other vendor accepts it.
		payload, contentType = data, "application/json; charset=utf-8"
	}
	// A request is sent once, or twice when its Authorizer is challenged
	// by the answer (a DPoP nonce the server demands): the second is a new
	// request, through the rate limiter like any, with fresh credentials.
	for attempt := 0; ; attempt++ {
		r, resp, err := in.send(ctx, method, u, payload, body != nil, contentType, headers)
		if err != nil {
			return nil, err
		}
		if ch, ok := in.Auth.(challenger); ok && attempt == 0 && ch.challenged(resp.Request, resp) {
			continue
		}
		if r.Status < 200 || r.Status > 299 {
			e := effect.HTTPError(r.Status, vendorMessage(r.Body, resp.Status))
			e.RetryAfter = retryAfter(resp.Header, in.Limiter.now())
			return r, e
		}
		return r, nil
	}
}

// challenger is an Authorizer whose server may answer a request with "once
// more, with fresh credentials" (DPoP's use_dpop_nonce): challenged reads
// the answer and says so.
type challenger interface {
	challenged(req *http.Request, resp *http.Response) bool
}

// send waits for the rate limit, then makes one request and reads its
// answer (whatever its status).
func (in *Instance) send(ctx context.Context, method string, u url.URL, payload []byte, hasBody bool, contentType string, headers map[string]string) (*Response, *http.Response, error) {
	if err := in.Limiter.Wait(ctx); err != nil {
		if errors.Is(ctx.Err(), context.Canceled) {
			return nil, nil, &effect.Error{Code: "canceled", Message: err.Error()}
		}
		if pe := (*PauseError)(nil); errors.As(err, &pe) {
			return nil, nil, pe.effectError(in.Name)
		}
		// The deadline (the card's or instance's timeout) came, or would
		// come, before the rate limit lets the call go: a timeout, which
		// a retry may get past.
		return nil, nil, &effect.Error{Code: "timeout", Message: fmt.Sprintf("%s %s: waiting for the rate limit: %v", method, u.Path, err), Retryable: true}
	}
	var rdr io.Reader
	if hasBody {
		rdr = bytes.NewReader(payload)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), rdr)
	if err != nil {
		return nil, nil, &effect.Error{Code: "invalid_input", Message: err.Error()}
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "jml")
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for k, v := range in.Headers {
		req.Header.Set(k, v)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	if in.Auth != nil {
		if err := in.Auth.Authorize(ctx, req); err != nil {
			return nil, nil, err
		}
	}
	resp, err := in.HTTP.Do(req)
	if err != nil {
		if ctx.Err() == context.DeadlineExceeded || isTimeout(err) {
			return nil, nil, &effect.Error{Code: "timeout", Message: fmt.Sprintf("%s %s: no answer in time", method, redactURL(u)), Retryable: true}
		}
		if ctx.Err() != nil {
			return nil, nil, &effect.Error{Code: "canceled", Message: ctx.Err().Error()}
		}
		return nil, nil, &effect.Error{Code: "connection", Message: fmt.Sprintf("%s %s: %v", method, redactURL(u), unwrapURL(err)), Retryable: true}
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, MaxResponseBytes))
	if err != nil {
		return nil, nil, &effect.Error{Code: "connection", Message: "reading the response: " + err.Error(), Retryable: true}
	}
	in.Limiter.observe(resp.Header)
	return &Response{Status: resp.StatusCode, Header: resp.Header, Body: data}, resp, nil
}

// FormBody is a request body sent as application/x-www-form-urlencoded.
type FormBody url.Values

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func unwrapURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

func redactURL(u url.URL) string {
	u.User = nil
	u.RawQuery = ""
	return u.String()
}

// retryAfter reads Retry-After (seconds or an HTTP date) or, for Okta,
// X-Rate-Limit-Reset on a 429, as waits from now.
func retryAfter(h http.Header, now time.Time) time.Duration {
	if v := h.Get("Retry-After"); v != "" {
		if s, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && s >= 0 {
			return time.Duration(s) * time.Second
		}
		if t, err := http.ParseTime(v); err == nil {
			return max(t.Sub(now), 0)
		}
	}
	if v := h.Get("X-Rate-Limit-Reset"); v != "" && h.Get("X-Rate-Limit-Remaining") == "0" {
		if s, err := strconv.ParseInt(v, 10, 64); err == nil {
			return max(time.Unix(s, 0).Sub(now), 0)
		}
	}
	return 0
}

// vendorMessage extracts the error message of the vendors' error bodies.
func vendorMessage(body []byte, fallback string) string {
	var v any
	if json.Unmarshal(body, &v) != nil {
		s := strings.TrimSpace(string(body))
		if s == "" || len(s) > 300 {
			return fallback
		}
		return s
	}
	if l, ok := v.([]any); ok && len(l) > 0 { // Salesforce: [{message, errorCode}]
		v = l[0]
	}
	m, ok := v.(map[string]any)
	if !ok {
		return fallback
	}
	for _, k := range []string{"errorSummary", "detail", "message", "error_description"} { // Okta, SCIM, GitHub/Salesforce, OAuth
		if s, ok := m[k].(string); ok && s != "" {
			return s
		}
	}
	// Slack SCIM: {"Errors": {"description", "code"}} (Slack's SDKs parse
	// it so: java-slack-sdk SCIM2ApiErrorResponse, python-slack-sdk
	// SCIMApiError), an object or, defensively, a list of them.
	errs := m["Errors"]
	if l, ok := errs.([]any); ok && len(l) > 0 {
		errs = l[0]
	}
	if e, ok := errs.(map[string]any); ok {
		if s, ok := e["description"].(string); ok && s != "" {
			return s
		}
	}
	if e, ok := m["error"].(map[string]any); ok { // Google, Graph, ServiceNow
		for _, k := range []string{"message", "detail"} {
			if s, ok := e[k].(string); ok && s != "" {
				return s
			}
		}
	}
	if s, ok := m["error"].(string); ok && s != "" { // Slack Web API, OAuth
		return s
	}
	if l, ok := m["errorMessages"].([]any); ok && len(l) > 0 { // Jira
		if s, ok := l[0].(string); ok {
			return s
		}
	}
	if em, ok := m["errors"].(map[string]any); ok { // Jira field errors
		for _, k := range sortedKeys(em) {
			return fmt.Sprintf("%s: %v", k, em[k])
		}
	}
	return fallback
}

func sortedKeys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Seg escapes one path segment: values interpolated into URLs are always
// escaped (SPEC §10). "." and ".." are escaped too: left as they are,
// they are dot segments that servers and proxies resolve, so that a value
// could climb out of the resource path (DELETE /orgs/acme/members/..).
func Seg(s string) string {
	if s == "." || s == ".." {
		return strings.Repeat("%2E", len(s))
	}
	return url.PathEscape(s)
}

// Input helpers for clients.

// String returns a string input ("" when absent).
func String(in map[string]any, key string) string {
	switch v := in[key].(type) {
	case string:
		return v
	case nil:
		return ""
	default:
		return fmt.Sprint(v)
	}
}

// Bool returns a boolean input and whether it was given.
func Bool(in map[string]any, key string) (bool, bool) {
	b, ok := in[key].(bool)
	return b, ok
}

// Require returns the string inputs named, or a 400-like error naming the
// first one missing.
func Require(in map[string]any, keys ...string) ([]string, error) {
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = String(in, k)
		if out[i] == "" {
			return nil, &effect.Error{Status: 400, Code: "invalid_input", Message: fmt.Sprintf("input %q is required", k)}
		}
	}
	return out, nil
}

// Unsupported is the error of an action a client does not implement.
func Unsupported(typ, action string) error {
	return &effect.Error{Status: 501, Code: "unsupported", Message: fmt.Sprintf("the %s connector does not implement %s", typ, action)}
}

// Secret resolves a secret reference of jml.yaml outside a connector
// (jml serve's serve.authSecret) by the connectors' own rule: {env: NAME}
// through getenv, {file: PATH} relative to baseDir; red, when set, learns
// the value. what names the field in messages ("serve.authSecret").
func Secret(n *yaml.Node, what string, getenv func(string) string, baseDir string, red *effect.Redactor) (string, error) {
	if red == nil {
		red = effect.NewRedactor(nil)
	}
	r := &resolver{getenv: getenv, baseDir: baseDir, red: red}
	if n = source.Resolve(n); n != nil && n.Kind == yaml.ScalarNode {
		return "", fmt.Errorf("%s must be {env: NAME} or {file: PATH}, never a literal", what)
	}
	v, err := r.secret(n, what)
	if err != nil {
		return "", errors.New(strings.TrimPrefix(err.Error(), "auth."))
	}
	return v, nil
}
