package connector

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"github.com/jml-dev/jml/pkg/effect"
)

func TestNewResolvesSecrets(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "secrets"), 0o700)
	os.WriteFile(filepath.Join(dir, "secrets", "sn-password"), []byte("sn-password-from-file\n"), 0o600)
	os.WriteFile(filepath.Join(dir, "secrets", "crlf"), []byte("crlf-token-value\r\n"), 0o600)
	abs := filepath.Join(t.TempDir(), "abs-token")
	os.WriteFile(abs, []byte("absolute-path-token-value-0001"), 0o600)
	rec := newRecorder(t)
	vars := map[string]string{"OKTA_TOKEN": "okta-token-from-the-environment", "SN_USER": "svc.jml", "SHORT": "abc"}
	cfg := loadConfig(t, `connectors:
  okta:
    type: http
    allowInsecure: true
    baseURL: `+rec.srv.URL+`/okta
    auth: {type: ssws, token: {env: OKTA_TOKEN}}
  itsm:
    type: http
    allowInsecure: true
    baseURL: `+rec.srv.URL+`/itsm
    auth: {type: basic, username: {env: SN_USER}, password: {file: secrets/sn-password}}
  crlf:
    type: http
    allowInsecure: true
    baseURL: `+rec.srv.URL+`/crlf
    auth: {type: bearer, token: {file: secrets/crlf}}
  abs:
    type: http
    allowInsecure: true
    baseURL: `+rec.srv.URL+`/abs
    auth: {type: bearer, token: {file: `+abs+`}}
  short:
    type: http
    allowInsecure: true
    baseURL: `+rec.srv.URL+`/short
    auth: {type: bearer, token: {env: SHORT}}
`)
	s, err := New(cfg, Options{Getenv: env(vars), BaseDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"okta":  "SSWS okta-token-from-the-environment",
		"itsm":  "Basic " + basicValue("svc.jml", "sn-password-from-file"),
		"crlf":  "Bearer crlf-token-value",
		"abs":   "Bearer absolute-path-token-value-0001",
		"short": "Bearer abc",
	}
	for name := range want {
		if _, err := get(t.Context(), s, name, "/x"); err != nil {
			t.Fatal(err)
		}
	}
	for _, r := range rec.requests() {
		name := strings.Split(r.Path, "/")[1]
		if r.Authorization != want[name] {
			t.Errorf("%s: Authorization %q, want %q", name, r.Authorization, want[name])
		}
	}
	// Longest first, so that redacting one value never leaves a piece of
	// a longer one; values under 4 characters are not redacted.
	wantSecrets := []string{"okta-token-from-the-environment", "absolute-path-token-value-0001", "sn-password-from-file", "crlf-token-value", "svc.jml"}
	got := s.Secrets()
	if !reflect.DeepEqual(got, wantSecrets) {
		t.Errorf("Secrets() = %q, want %q", got, wantSecrets)
	}
	got[0] = "changed"
	if s.Secrets()[0] != wantSecrets[0] {
		t.Error("Secrets() returns the set's own slice")
	}
}

func basicValue(u, p string) string {
	r, _ := http.NewRequest("GET", "http://x", nil)
	r.SetBasicAuth(u, p)
	return strings.TrimPrefix(r.Header.Get("Authorization"), "Basic ")
}

func TestNewSecretErrors(t *testing.T) {
	// Every value the environment or a file holds: none may appear in an
	// error.
	vars := map[string]string{"SN_USER": "user-canary-value", "EMPTY": ""}
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "present"), []byte("file-canary-value\n"), 0o600)
	os.Mkdir(filepath.Join(dir, "a-directory"), 0o700)
	canaries := []string{"user-canary-value", "file-canary-value"}
	cases := []struct {
		name, connectors string
		want             []string
	}{
		{name: "missing env var",
			connectors: "  okta:\n    type: okta\n    baseURL: https://acme.okta.com\n    auth: {type: ssws, token: {env: OKTA_API_TOKEN}}\n",
			want:       []string{`connector "okta"`, "auth.token", "environment variable OKTA_API_TOKEN is not set"}},
		{name: "empty env var",
			connectors: "  okta:\n    type: okta\n    baseURL: https://acme.okta.com\n    auth: {type: ssws, token: {env: EMPTY}}\n",
			want:       []string{`connector "okta"`, "EMPTY"}},
		{name: "missing file, relative to the config",
			connectors: "  slack:\n    type: slack\n    auth: {type: bearer, token: {file: secrets/slack-token}}\n",
			want:       []string{`connector "slack"`, "auth.token", "cannot read secret file " + filepath.Join(dir, "secrets", "slack-token"), "no such file"}},
		{name: "a directory",
			connectors: "  slack:\n    type: slack\n    auth: {type: bearer, token: {file: a-directory}}\n",
			want:       []string{`connector "slack"`, "auth.token", filepath.Join(dir, "a-directory")}},
		{name: "second secret of an instance missing after the first resolved",
			connectors: "  itsm:\n    type: servicenow\n    baseURL: https://acme.service-now.com\n    auth: {type: basic, username: {env: SN_USER}, password: {env: SN_PASSWORD}}\n",
			want:       []string{`connector "itsm"`, "auth.password", "SN_PASSWORD"}},
		{name: "oauth2 secret missing after the client id resolved",
			connectors: "  hr:\n    type: http\n    baseURL: https://hr.example.com\n    auth: {type: oauth2, tokenURL: https://hr.example.com/token, clientID: {file: present}, clientSecret: {env: HR_SECRET}}\n",
			want:       []string{`connector "hr"`, "auth.clientSecret", "HR_SECRET"}},
		{name: "not a reference",
			connectors: "  slack:\n    type: slack\n    auth: {type: bearer, token: {vault: kv/slack}}\n",
			want:       []string{`connector "slack"`, "auth.token must be {env: NAME} or {file: PATH}"}},
		{name: "no token",
			connectors: "  slack:\n    type: slack\n    auth: {type: bearer}\n",
			want:       []string{`connector "slack"`, "auth.token is missing"}},
		{name: "unknown auth type",
			connectors: "  slack:\n    type: slack\n    auth: {type: kerberos}\n",
			want:       []string{`connector "slack"`, `unknown auth type "kerberos"`}},
		{name: "every failing instance is named",
			connectors: "  okta:\n    type: okta\n    baseURL: https://acme.okta.com\n    auth: {type: ssws, token: {env: OKTA_API_TOKEN}}\n" +
				"  fine:\n    type: slack\n    auth: {type: bearer, token: {file: present}}\n" +
				"  slack:\n    type: slack\n    auth: {type: bearer, token: {file: nope}}\n",
			want: []string{`connector "okta"`, "OKTA_API_TOKEN", `connector "slack"`, filepath.Join(dir, "nope")}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, err := New(loadConfig(t, "connectors:\n"+c.connectors), Options{Getenv: env(vars), BaseDir: dir})
			if err == nil {
				t.Fatalf("New succeeded: %v", s)
			}
			msg := err.Error()
			for _, w := range c.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q does not contain %q", msg, w)
				}
			}
			for _, v := range canaries {
				if strings.Contains(msg, v) {
					t.Errorf("error %q shows a secret value", msg)
				}
			}
		})
	}
}

func TestSandboxReadsNoSecret(t *testing.T) {
	rec := newRecorder(t)
	getenv := func(name string) string {
		t.Errorf("sandbox mode read the environment variable %s", name)
		return "CANARY"
	}
	cfg := loadConfig(t, `connectors:
  okta:
    type: okta
    baseURL: https://acme.okta.com
    auth: {type: ssws, token: {env: OKTA_API_TOKEN}}
  hr:
    type: http
    baseURL: https://hr.example.com/api/v2
    auth: {type: oauth2, tokenURL: https://hr.example.com/token, clientID: {env: HR_ID}, clientSecret: {file: /nonexistent/hr-secret}}
  gws:
    type: google
    auth: {type: serviceAccount, credentials: {file: /nonexistent/sa.json}, subject: admin@acme.com}
`)
	s, err := New(cfg, Options{SandboxURL: rec.srv.URL + "/", Getenv: getenv})
	if err != nil {
		t.Fatal(err)
	}
	if got := s.Secrets(); len(got) != 0 {
		t.Errorf("Secrets() = %q in sandbox mode", got)
	}
	if _, err := get(t.Context(), s, "hr", "/employees/42"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Do(t.Context(), effect.Request{Instance: "okta", Type: "okta", Action: "getUser", Input: map[string]any{"userId": "00u1"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Do(t.Context(), effect.Request{Instance: "gws", Type: "google", Action: "getUser", Input: map[string]any{"userKey": "jane@acme.com"}}); err != nil {
		t.Fatal(err)
	}
	reqs := rec.requests()
	wantPrefix := []string{"/hr/employees/42", "/okta/api/v1/users/00u1", "/gws/admin/directory/v1/users/"}
	if len(reqs) != len(wantPrefix) {
		t.Fatalf("%d requests, want %d", len(reqs), len(wantPrefix))
	}
	for i, r := range reqs {
		if !strings.HasPrefix(r.RequestURI, wantPrefix[i]) {
			t.Errorf("request %d to %q, want SANDBOX%s…", i+1, r.RequestURI, wantPrefix[i])
		}
		if r.Authorization != "Bearer jml-sandbox" {
			t.Errorf("request %d: Authorization %q", i+1, r.Authorization)
		}
	}
}

// instance resolves one instance of a config as New does.
func instance(t *testing.T, src, name string, opts Options) *Instance {
	t.Helper()
	cfg := loadConfig(t, src)
	c, ok := cfg.Connector(name)
	if !ok {
		t.Fatalf("no instance %s", name)
	}
	if opts.Getenv == nil {
		opts.Getenv = env(nil)
	}
	in, err := newInstance(*c, opts, &resolver{getenv: opts.Getenv})
	if err != nil {
		t.Fatal(err)
	}
	return in
}

func TestLimiterConfig(t *testing.T) {
	cases := []struct {
		name, src string
		sandbox   bool
		// limit 0 means no client-side rate limit.
		limit rate.Limit
		burst int
	}{
		{name: "rateLimit", src: "type: http\n    baseURL: https://x.example.com\n    rateLimit: {requestsPerSecond: 2, burst: 3}", limit: 2, burst: 3},
		{name: "rateLimit without burst", src: "type: http\n    baseURL: https://x.example.com\n    rateLimit: {requestsPerSecond: 0.5}", limit: 0.5, burst: 1},
		{name: "rateLimit applies in the sandbox", src: "type: okta\n    rateLimit: {requestsPerSecond: 4, burst: 2}", sandbox: true, limit: 4, burst: 2},
		{name: "okta default", src: "type: okta\n    baseURL: https://acme.okta.com", limit: 10, burst: 10},
		{name: "slack default", src: "type: slack", limit: 1, burst: 1},
		{name: "github default", src: "type: github", limit: 5, burst: 5},
		{name: "defaults are off in the sandbox", src: "type: okta", sandbox: true},
		{name: "http has no default", src: "type: http\n    baseURL: https://x.example.com"},
		{name: "rateLimit 0 turns the default off", src: "type: okta\n    baseURL: https://acme.okta.com\n    rateLimit: {requestsPerSecond: 0}"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			opts := Options{}
			if c.sandbox {
				opts.SandboxURL = "http://127.0.0.1:8787"
			}
			in := instance(t, "connectors:\n  i:\n    "+c.src+"\n", "i", opts)
			lim := in.Limiter.lim
			if c.limit == 0 {
				if lim != nil {
					t.Fatalf("rate limit %v burst %d, want none", lim.Limit(), lim.Burst())
				}
				return
			}
			if lim == nil || lim.Limit() != c.limit || lim.Burst() != c.burst {
				t.Fatalf("limiter %+v, want %v/s burst %d", lim, c.limit, c.burst)
			}
		})
	}
}

// A rateLimit of N/s with burst B lets B requests go at once and spaces
// the others 1/N s apart.
func TestLimiterSpacing(t *testing.T) {
	in := instance(t, "connectors:\n  i:\n    type: http\n    baseURL: https://x.example.com\n    rateLimit: {requestsPerSecond: 4, burst: 3}\n", "i", Options{})
	t0 := time.Now()
	var delays []time.Duration
	for range 6 {
		delays = append(delays, in.Limiter.lim.ReserveN(t0, 1).DelayFrom(t0))
	}
	want := []time.Duration{0, 0, 0, 250 * time.Millisecond, 500 * time.Millisecond, 750 * time.Millisecond}
	for i := range want {
		if d := delays[i] - want[i]; d < -time.Millisecond || d > time.Millisecond {
			t.Errorf("delays %v, want %v", delays, want)
			break
		}
	}
}

// The same through Call: the burst goes out, the next call would wait
// longer than the deadline and fails at once, retryable, without reaching
// the vendor.
func TestCallRateLimitWaitPastDeadline(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	t.Cleanup(srv.Close)
	in := instance(t, "connectors:\n  i:\n    type: http\n    baseURL: "+srv.URL+"\n    rateLimit: {requestsPerSecond: 0.001, burst: 2}\n", "i", Options{HTTP: srv.Client()})
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	for i := range 2 {
		if _, err := in.Call(ctx, "GET", "/x", nil, nil, nil); err != nil {
			t.Fatalf("call %d of the burst: %v", i+1, err)
		}
	}
	_, err := in.Call(ctx, "GET", "/x", nil, nil, nil)
	e := effect.AsError(err)
	if e == nil || e.Code != "timeout" || !e.Retryable {
		t.Fatalf("call past the burst: %#v, want a retryable timeout", e)
	}
	if n := hits.Load(); n != 2 {
		t.Errorf("%d requests reached the vendor, want 2", n)
	}
	// A cancelled run is canceled, not retryable.
	cctx, ccancel := context.WithCancel(t.Context())
	ccancel()
	_, err = in.Call(cctx, "GET", "/x", nil, nil, nil)
	if e := effect.AsError(err); e == nil || e.Code != "canceled" || e.Retryable {
		t.Fatalf("cancelled call: %#v", e)
	}
}

// Okta's X-Rate-Limit-Remaining: 0 pauses every call until
// X-Rate-Limit-Reset.
func TestLimiterOktaPause(t *testing.T) {
	future := strconv.FormatInt(time.Now().Add(time.Hour).Unix(), 10)
	past := strconv.FormatInt(time.Now().Add(-time.Minute).Unix(), 10)
	cases := []struct {
		name             string
		status           int
		remaining, reset string
		blocks           bool
	}{
		{name: "remaining 0, reset in an hour", status: 200, remaining: "0", reset: future, blocks: true},
		{name: "on a 429", status: 429, remaining: "0", reset: future, blocks: true},
		{name: "remaining 0, reset past", status: 200, remaining: "0", reset: past},
		{name: "remaining 5", status: 200, remaining: "5", reset: future},
		{name: "no reset", status: 200, remaining: "0"},
		{name: "bad reset", status: 200, remaining: "0", reset: "soon"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var hits atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				hits.Add(1)
				w.Header().Set("X-Rate-Limit-Limit", "600")
				w.Header().Set("X-Rate-Limit-Remaining", c.remaining)
				if c.reset != "" {
					w.Header().Set("X-Rate-Limit-Reset", c.reset)
				}
				w.WriteHeader(c.status)
				w.Write([]byte(`{}`))
			}))
			t.Cleanup(srv.Close)
			// No rateLimit, type http: only the vendor's pause can block.
			in := instance(t, "connectors:\n  i:\n    type: http\n    baseURL: "+srv.URL+"\n", "i", Options{HTTP: srv.Client()})
			in.Call(t.Context(), "GET", "/x", nil, nil, nil)
			// A cancelled context shows whether Wait would block: it
			// returns at once either way.
			ctx, cancel := context.WithCancel(t.Context())
			cancel()
			err := in.Limiter.Wait(ctx)
			if blocked := err != nil; blocked != c.blocks {
				t.Fatalf("Wait blocked: %v, want %v (%v)", blocked, c.blocks, err)
			}
			if !c.blocks {
				return
			}
			if !errors.Is(err, context.Canceled) {
				t.Errorf("Wait: %v", err)
			}
			// A call under a deadline shorter than the pause fails at
			// once, without reaching the vendor: rate limited, retryable,
			// with the pause as Retry-After, for the engine's retry rule to
			// bound (it waits up to the card's retry.maxInterval).
			for _, timeout := range []time.Duration{20 * time.Millisecond, 0} {
				dctx, dcancel := t.Context(), context.CancelFunc(func() {})
				if timeout > 0 {
					dctx, dcancel = context.WithTimeout(dctx, timeout)
				}
				_, err = in.Call(dctx, "GET", "/x", nil, nil, nil)
				dcancel()
				e := effect.AsError(err)
				if e == nil || e.Code != "rate_limited" || !e.Retryable || e.RetryAfter < 59*time.Minute || e.RetryAfter > time.Hour {
					t.Fatalf("call during the pause (timeout %s): %#v, want a retryable rate_limited error with RetryAfter ~1h", timeout, e)
				}
				if !strings.Contains(e.Message, `instance "i"`) || !strings.Contains(e.Message, "X-Rate-Limit-Reset") {
					t.Errorf("message %q", e.Message)
				}
			}
			if n := hits.Load(); n != 1 {
				t.Errorf("%d requests, want 1", n)
			}
		})
	}
}

func TestRetryAfter(t *testing.T) {
	inSeconds := func(d time.Duration) string { return strconv.FormatInt(time.Now().Add(d).Unix(), 10) }
	cases := []struct {
		name     string
		header   map[string]string
		min, max time.Duration
	}{
		{name: "seconds", header: map[string]string{"Retry-After": "120"}, min: 120 * time.Second, max: 120 * time.Second},
		{name: "zero", header: map[string]string{"Retry-After": "0"}},
		{name: "HTTP date", header: map[string]string{"Retry-After": time.Now().Add(90 * time.Second).UTC().Format(http.TimeFormat)}, min: 85 * time.Second, max: 90 * time.Second},
		{name: "HTTP date past", header: map[string]string{"Retry-After": time.Now().Add(-time.Hour).UTC().Format(http.TimeFormat)}},
		{name: "garbage", header: map[string]string{"Retry-After": "later"}},
		{name: "negative", header: map[string]string{"Retry-After": "-5"}},
		{name: "okta reset", header: map[string]string{"X-Rate-Limit-Remaining": "0", "X-Rate-Limit-Reset": inSeconds(30 * time.Second)}, min: 25 * time.Second, max: 30 * time.Second},
		{name: "okta reset past", header: map[string]string{"X-Rate-Limit-Remaining": "0", "X-Rate-Limit-Reset": inSeconds(-time.Minute)}},
		{name: "okta reset with calls remaining", header: map[string]string{"X-Rate-Limit-Remaining": "3", "X-Rate-Limit-Reset": inSeconds(30 * time.Second)}},
		{name: "Retry-After wins", header: map[string]string{"Retry-After": "7", "X-Rate-Limit-Remaining": "0", "X-Rate-Limit-Reset": inSeconds(time.Hour)}, min: 7 * time.Second, max: 7 * time.Second},
		{name: "none"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := http.Header{}
			for k, v := range c.header {
				h.Set(k, v)
			}
			if got := retryAfter(h, time.Now()); got < c.min || got > c.max {
				t.Errorf("retryAfter = %v, want %v..%v", got, c.min, c.max)
			}
		})
	}
}

// statusServer answers every request with one status, header and body.
func statusServer(t *testing.T, status int, header map[string]string, body string) *Instance {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for k, v := range header {
			w.Header().Set(k, v)
		}
		w.WriteHeader(status)
		w.Write([]byte(body))
	}))
	t.Cleanup(srv.Close)
	return &Instance{Name: "i", Type: "http", BaseURL: mustURL(t, srv.URL), HTTP: srv.Client()}
}

func TestCallStatusErrors(t *testing.T) {
	cases := []struct {
		status     int
		header     map[string]string
		code       string
		retryable  bool
		retryAfter time.Duration
	}{
		{status: 400, code: "invalid_input"},
		{status: 401, code: "unauthorized"},
		{status: 403, code: "forbidden"},
		{status: 404, code: "not_found"},
		{status: 409, code: "conflict"},
		{status: 410, code: "error"},
		{status: 422, code: "invalid_input"},
		{status: 429, code: "rate_limited", retryable: true},
		{status: 429, header: map[string]string{"Retry-After": "3"}, code: "rate_limited", retryable: true, retryAfter: 3 * time.Second},
		{status: 500, code: "server_error", retryable: true},
		{status: 502, code: "server_error", retryable: true},
		{status: 503, header: map[string]string{"Retry-After": "10"}, code: "server_error", retryable: true, retryAfter: 10 * time.Second},
		{status: 504, code: "server_error", retryable: true},
	}
	for _, c := range cases {
		t.Run(strconv.Itoa(c.status), func(t *testing.T) {
			in := statusServer(t, c.status, c.header, `{"message":"vendor says no"}`)
			resp, err := in.Call(t.Context(), "GET", "/x", nil, nil, nil)
			e, ok := err.(*effect.Error)
			if !ok {
				t.Fatalf("error %T %v", err, err)
			}
			if e.Status != c.status || e.Code != c.code || e.Retryable != c.retryable || e.RetryAfter != c.retryAfter || e.Message != "vendor says no" {
				t.Errorf("%#v, want status %d code %s retryable %v retryAfter %v", e, c.status, c.code, c.retryable, c.retryAfter)
			}
			// The response comes back with the error, for clients that
			// read an error body.
			if resp == nil || resp.Status != c.status {
				t.Errorf("response %v", resp)
			}
		})
	}
}

// A 404 is not_found with the vendor's own message, whatever the shape of
// its error body.
func TestVendorMessage(t *testing.T) {
	long := "<html>" + strings.Repeat("x", 400) + "</html>"
	cases := []struct{ vendor, body, want string }{
		{"okta", `{"errorCode":"E0000007","errorSummary":"Not found: Resource not found: 00u1 (User)","errorLink":"E0000007","errorId":"oae1","errorCauses":[]}`, "Not found: Resource not found: 00u1 (User)"},
		{"scim", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"detail":"User not found","status":"404"}`, "User not found"},
		{"slack scim", `{"Errors":{"description":"no_such_user","code":404}}`, "no_such_user"},
		{"slack scim list", `{"Errors":[{"description":"no_such_user","code":404}]}`, "no_such_user"},
		{"google", `{"error":{"code":404,"message":"Resource Not Found: userKey","errors":[{"message":"Resource Not Found: userKey","domain":"global","reason":"notFound"}]}}`, "Resource Not Found: userKey"},
		{"graph", `{"error":{"code":"Request_ResourceNotFound","message":"Resource 'x' does not exist.","innerError":{"date":"2025-01-01T00:00:00"}}}`, "Resource 'x' does not exist."},
		{"servicenow", `{"error":{"message":"No Record found","detail":"Record doesn't exist or ACL restricts the record retrieval"},"status":"failure"}`, "No Record found"},
		{"servicenow detail only", `{"error":{"detail":"ACL restricts the record retrieval"},"status":"failure"}`, "ACL restricts the record retrieval"},
		{"salesforce", `[{"message":"The requested resource does not exist","errorCode":"NOT_FOUND"}]`, "The requested resource does not exist"},
		{"github", `{"message":"Not Found","documentation_url":"https://docs.github.com/rest"}`, "Not Found"},
		{"jira errorMessages", `{"errorMessages":["Issue does not exist or you do not have permission to see it."],"errors":{}}`, "Issue does not exist or you do not have permission to see it."},
		{"jira errors", `{"errorMessages":[],"errors":{"summary":"You must specify a summary of the issue.","project":"project is required"}}`, "project: project is required"},
		{"slack", `{"ok":false,"error":"users_not_found"}`, "users_not_found"},
		{"oauth", `{"error":"invalid_client","error_description":"Client authentication failed"}`, "Client authentication failed"},
		{"plain text", "no such user\n", "no such user"},
		{"empty", "", "404 Not Found"},
		{"long HTML", long, "404 Not Found"},
		{"unknown JSON", `{"code":17}`, "404 Not Found"},
		{"JSON string", `"gone"`, "404 Not Found"},
		{"empty list", `[]`, "404 Not Found"},
	}
	for _, c := range cases {
		t.Run(c.vendor, func(t *testing.T) {
			in := statusServer(t, 404, map[string]string{"Content-Type": "application/json"}, c.body)
			_, err := in.Call(t.Context(), "GET", "/x", nil, nil, nil)
			e := effect.AsError(err)
			if e.Code != "not_found" || e.Status != 404 || e.Retryable || e.Message != c.want {
				t.Errorf("%#v, want not_found %q", e, c.want)
			}
		})
	}
}

// recordingClient records the deadline of the context it is called with.
type recordingClient struct {
	deadline time.Time
	ok       bool
}

func (r *recordingClient) Do(ctx context.Context, _ effect.Request) (map[string]any, error) {
	r.deadline, r.ok = ctx.Deadline()
	return map[string]any{}, nil
}

func TestTimedDeadline(t *testing.T) {
	cases := []struct {
		name           string
		instance, card time.Duration
		parent         time.Duration
		want           time.Duration
		none           bool
	}{
		{name: "the card's timeout over the instance's", instance: 30 * time.Second, card: 2 * time.Second, want: 2 * time.Second},
		{name: "a card timeout longer than the instance's", instance: 2 * time.Second, card: time.Minute, want: time.Minute},
		{name: "the instance's without a card timeout", instance: 45 * time.Second, want: 45 * time.Second},
		{name: "none", none: true},
		{name: "an earlier deadline of the caller stays", instance: time.Hour, card: time.Hour, parent: time.Second, want: time.Second},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rec := &recordingClient{}
			ctx := t.Context()
			before := time.Now()
			if c.parent > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, c.parent)
				defer cancel()
			}
			if _, err := (timed{c: rec, d: c.instance}).Do(ctx, effect.Request{Timeout: c.card}); err != nil {
				t.Fatal(err)
			}
			after := time.Now()
			if c.none {
				if rec.ok {
					t.Fatalf("deadline %v, want none", rec.deadline)
				}
				return
			}
			if !rec.ok || rec.deadline.Before(before.Add(c.want)) || rec.deadline.After(after.Add(c.want)) {
				t.Errorf("deadline %v after the call, want %v", rec.deadline.Sub(before), c.want)
			}
		})
	}
}

func TestInstanceTimeoutFromConfig(t *testing.T) {
	if in := instance(t, "connectors:\n  i:\n    type: http\n    baseURL: https://x.example.com\n    timeout: 5s\n", "i", Options{}); in.Timeout != 5*time.Second {
		t.Errorf("timeout %v, want 5s", in.Timeout)
	}
	if in := instance(t, "connectors:\n  i:\n    type: http\n    baseURL: https://x.example.com\n", "i", Options{}); in.Timeout != DefaultTimeout {
		t.Errorf("timeout %v, want %v", in.Timeout, DefaultTimeout)
	}
	c, err := NewClient(&Instance{Name: "i", Type: "http", BaseURL: mustURL(t, "https://x.example.com")})
	if err != nil {
		t.Fatal(err)
	}
	if d := c.(timed).d; d != DefaultTimeout {
		t.Errorf("NewClient timeout %v, want %v", d, DefaultTimeout)
	}
}

// blockingServer holds every request until the test ends, and tells when
// one arrived.
func blockingServer(t *testing.T) (*httptest.Server, <-chan struct{}) {
	release := make(chan struct{})
	arrived := make(chan struct{}, 16)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrived <- struct{}{}
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	// Cleanups run last first: release the handlers, then close.
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) })
	return srv, arrived
}

func TestCallTimeoutAndCancel(t *testing.T) {
	srv, arrived := blockingServer(t)
	cases := []struct {
		name, timeout string
		card          time.Duration
	}{
		{name: "the card's timeout", timeout: "1h", card: 50 * time.Millisecond},
		{name: "the instance's timeout", timeout: "50ms"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := loadConfig(t, "connectors:\n  api:\n    type: http\n    baseURL: "+srv.URL+"\n    timeout: "+c.timeout+"\n")
			s, err := New(cfg, Options{})
			if err != nil {
				t.Fatal(err)
			}
			_, err = s.Do(t.Context(), effect.Request{Instance: "api", Type: "http", Action: "request", Timeout: c.card,
				Input: map[string]any{"method": "GET", "path": "/slow"}})
			e := effect.AsError(err)
			if e == nil || e.Code != "timeout" || !e.Retryable {
				t.Fatalf("%#v, want a retryable timeout", e)
			}
			if !strings.Contains(e.Message, "/slow") {
				t.Errorf("message %q does not name the call", e.Message)
			}
		})
	}
	t.Run("cancelled during the call", func(t *testing.T) {
		s, err := New(loadConfig(t, "connectors:\n  api:\n    type: http\n    baseURL: "+srv.URL+"\n"), Options{})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(t.Context())
		go func() {
			<-arrived
			cancel()
		}()
		_, err = get(ctx, s, "api", "/slow")
		if e := effect.AsError(err); e == nil || e.Code != "canceled" || e.Retryable {
			t.Fatalf("%#v, want canceled, not retryable", e)
		}
	})
	t.Run("cancelled before the call", func(t *testing.T) {
		in := &Instance{Name: "api", Type: "http", BaseURL: mustURL(t, srv.URL), HTTP: srv.Client()}
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		_, err := in.Call(ctx, "GET", "/slow", nil, nil, nil)
		if e := effect.AsError(err); e == nil || e.Code != "canceled" || e.Retryable {
			t.Fatalf("%#v, want canceled, not retryable", e)
		}
	})
}

func TestConnectionReuse(t *testing.T) {
	var mu sync.Mutex
	conns := 0
	statuses := []int{200, 404, 200}
	calls := 0
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		st := statuses[calls%len(statuses)]
		calls++
		mu.Unlock()
		w.WriteHeader(st)
		w.Write([]byte(`{"message":"` + strings.Repeat("x", 4096) + `"}`))
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			mu.Lock()
			conns++
			mu.Unlock()
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	// The default client of New, with connection reuse.
	s, err := New(loadConfig(t, "connectors:\n  api:\n    type: http\n    baseURL: "+srv.URL+"\n"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range statuses {
		// The http connector answers a 404 as an error too; both must
		// leave the connection reusable.
		get(t.Context(), s, "api", "/x/"+strconv.Itoa(i))
	}
	mu.Lock()
	defer mu.Unlock()
	if calls != len(statuses) || conns != 1 {
		t.Errorf("%d calls over %d connections, want %d over 1", calls, conns, len(statuses))
	}
}

func TestSeg(t *testing.T) {
	cases := []struct{ in, want string }{
		{"jane", "jane"},
		{"jane.doe@acme.com", "jane.doe@acme.com"},
		{"a/b", "a%2Fb"},
		{"x?y=1", "x%3Fy=1"},
		{"#frag", "%23frag"},
		{"100%", "100%25"},
		{"%2F", "%252F"},
		{"a b", "a%20b"},
		{"zoë", "zo%C3%AB"},
		{"../admin", "..%2Fadmin"},
		// Dot segments would climb out of the resource path.
		{".", "%2E"},
		{"..", "%2E%2E"},
	}
	for _, c := range cases {
		if got := Seg(c.in); got != c.want {
			t.Errorf("Seg(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// A Seg-escaped value reaches the server as one segment, escaped once.
func TestCallPathEscaping(t *testing.T) {
	values := []string{"a/b", "x?y#z", "100% sure", "%41", "jane doe/../admin", "zoë", "..", "."}
	type seen struct{ uri, path string }
	var (
		mu  sync.Mutex
		got []seen
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got = append(got, seen{r.RequestURI, r.URL.Path})
		mu.Unlock()
	}))
	t.Cleanup(srv.Close)
	in := &Instance{Name: "i", Type: "http", BaseURL: mustURL(t, srv.URL+"/api/v1/"), HTTP: srv.Client()}
	for _, v := range values {
		if _, err := in.Call(t.Context(), "GET", "/users/"+Seg(v)+"/groups", nil, nil, nil); err != nil {
			t.Fatalf("%q: %v", v, err)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != len(values) {
		t.Fatalf("%d requests, want %d", len(got), len(values))
	}
	for i, v := range values {
		if want := "/api/v1/users/" + Seg(v) + "/groups"; got[i].uri != want {
			t.Errorf("%q: request URI %q, want %q", v, got[i].uri, want)
		}
		if want := "/api/v1/users/" + v + "/groups"; got[i].path != want {
			t.Errorf("%q: decoded path %q, want %q", v, got[i].path, want)
		}
	}
}

func TestInputHelpers(t *testing.T) {
	in := map[string]any{"s": "jane", "n": int64(42), "f": 1.5, "b": true, "empty": "", "nil": nil}
	for k, want := range map[string]string{"s": "jane", "n": "42", "f": "1.5", "b": "true", "empty": "", "nil": "", "absent": ""} {
		if got := String(in, k); got != want {
			t.Errorf("String(%s) = %q, want %q", k, got, want)
		}
	}
	if b, ok := Bool(in, "b"); !b || !ok {
		t.Errorf("Bool(b) = %v %v", b, ok)
	}
	if _, ok := Bool(in, "s"); ok {
		t.Error("Bool of a string is given")
	}
	if _, ok := Bool(in, "absent"); ok {
		t.Error("Bool of an absent input is given")
	}
	if v, err := Require(in, "s", "n"); err != nil || !reflect.DeepEqual(v, []string{"jane", "42"}) {
		t.Errorf("Require = %v %v", v, err)
	}
	_, err := Require(in, "s", "empty", "absent")
	if e := effect.AsError(err); e == nil || e.Code != "invalid_input" || e.Status != 400 || e.Retryable || !strings.Contains(e.Message, `"empty"`) {
		t.Errorf("Require with a missing input: %#v", e)
	}
}

func TestSetUnknownInstance(t *testing.T) {
	s, err := New(nil, Options{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.Do(t.Context(), effect.Request{Instance: "nope", Action: "getUser"})
	if e := effect.AsError(err); e == nil || e.Code != "invalid_input" || !strings.Contains(e.Message, `"nope"`) {
		t.Errorf("%#v", e)
	}
}
