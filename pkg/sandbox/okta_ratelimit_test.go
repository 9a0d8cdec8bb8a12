package sandbox_test

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jml-dev/jml/pkg/ast"
	"github.com/jml-dev/jml/pkg/clock"
	"github.com/jml-dev/jml/pkg/connector"
	"github.com/jml-dev/jml/pkg/effect"
	"github.com/jml-dev/jml/pkg/sandbox"
	"github.com/jml-dev/jml/pkg/source"
	"github.com/jml-dev/jml/pkg/world"

	"net/http/httptest"
)

// TestOktaRateLimitHeaders: the sandbox's okta answers carry Okta's
// X-Rate-Limit-Limit/Remaining/Reset on every response and, on a 429,
// Remaining 0 and the reset — never Retry-After; the okta connector
// then pauses every call of the instance until the reset: the next call
// does not reach the sandbox.
func TestOktaRateLimitHeaders(t *testing.T) {
	w := world.New(instances(), clock.NewVirtual(epoch))
	w.SeedEvent([]world.User{jane}, "user.session.start", "")
	sb := sandbox.New(instances(), w, sandbox.Options{})
	var calls atomic.Int32
	var last atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		rec := httptest.NewRecorder()
		sb.ServeHTTP(rec, r)
		last.Store(rec.Result().Header.Clone())
		for k, v := range rec.Result().Header {
			rw.Header()[k] = v
		}
		rw.WriteHeader(rec.Code)
		rw.Write(rec.Body.Bytes())
	}))
	t.Cleanup(srv.Close)
	f, _ := source.Parse("jml.yaml", []byte("apiVersion: jml/v1\nkind: Config\nconnectors:\n  okta: {type: okta, baseURL: https://acme.okta.com, auth: {type: ssws, token: {env: T}}}\n"))
	set, err := connector.New(ast.DecodeConfig(f), connector.Options{SandboxURL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	get := func(ctx context.Context) error {
		_, err := set.Do(ctx, effect.Request{Instance: "okta", Type: "okta", Action: "getUser", Input: map[string]any{"userId": jane.ID}, Attempt: 1})
		return err
	}
	if err := get(t.Context()); err != nil {
		t.Fatal(err)
	}
	h := last.Load().(http.Header)
	if h.Get("X-Rate-Limit-Limit") == "" || h.Get("X-Rate-Limit-Remaining") == "0" || h.Get("X-Rate-Limit-Reset") == "" {
		t.Fatalf("a success without Okta's rate-limit headers: %v", h)
	}

	w.AddFaults(world.Fault{Action: "okta.getUser", Status: 429, Times: 1, RetryAfter: 30 * time.Second})
	err = get(t.Context())
	if e := effect.AsError(err); e == nil || e.Status != 429 || e.RetryAfter < 29*time.Second {
		t.Fatalf("got %v, want a 429 with a 30s wait", err)
	}
	h = last.Load().(http.Header)
	reset, _ := strconv.ParseInt(h.Get("X-Rate-Limit-Reset"), 10, 64)
	if h.Get("Retry-After") != "" || h.Get("X-Rate-Limit-Remaining") != "0" || time.Until(time.Unix(reset, 0)) < 29*time.Second {
		t.Fatalf("the 429's headers are not Okta's: %v", h)
	}

	// Paused until the reset: a call with a second to spare fails at
	// once, without a request.
	before := calls.Load()
	ctx, cancel := context.WithTimeout(t.Context(), time.Second)
	defer cancel()
	err = get(ctx)
	if e := effect.AsError(err); e == nil || e.Code != "rate_limited" || e.Status != 0 {
		t.Fatalf("got %v, want the instance's pause (rate_limited, no status)", err)
	}
	if calls.Load() != before {
		t.Errorf("the paused call reached the sandbox")
	}
}

// TestGraphErrorCode: Graph's error.code is a string such as
// Request_ResourceNotFound, never the status number.
func TestGraphErrorCode(t *testing.T) {
	srv := serve(t)
	status, body := do(t, "GET", srv.URL+"/ms/v1.0/users/nobody@acme.com", "Bearer x", "")
	if status != 404 || !strings.Contains(body, `"code": "Request_ResourceNotFound"`) {
		t.Fatalf("%d %s", status, body)
	}
}
