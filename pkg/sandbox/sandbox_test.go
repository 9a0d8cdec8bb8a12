package sandbox_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/jml-dev/jml/pkg/clock"
	"github.com/jml-dev/jml/pkg/sandbox"
	"github.com/jml-dev/jml/pkg/world"
)

func serve(t *testing.T) *httptest.Server {
	t.Helper()
	w := world.New(instances(), clock.NewVirtual(epoch))
	w.SeedEvent([]world.User{jane}, "user.session.start", "")
	srv := httptest.NewServer(sandbox.New(instances(), w, sandbox.Options{}))
	t.Cleanup(srv.Close)
	return srv
}

func do(t *testing.T, method, url, auth, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	if method == http.MethodPost {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestControlEndpoints(t *testing.T) {
	srv := serve(t)
	tests := []struct {
		name, method, path, auth, body string
		status                         int
		contains                       string
	}{
		{"vendor call without Authorization", "GET", "/okta/api/v1/users/00u1jane0001", "", "", 401, "missing Authorization header"},
		{"vendor call with it", "GET", "/okta/api/v1/users/00u1jane0001", "SSWS x", "", 200, `"login": "jane.doe@acme.com"`},
		{"unknown instance", "GET", "/nowhere/x", "Bearer x", "", 404, `no connector instance \"nowhere\"`},
		{"world state", "GET", "/_world", "", "", 200, `"okta": {`},
		{"world is read-only", "POST", "/_world", "", "", 405, "use GET"},
		{"faults: bad JSON", "POST", "/_world/faults", "", "{", 400, "must be a JSON object"},
		{"faults: unknown key", "POST", "/_world/faults", "", `{"fault": []}`, 400, `unknown key \"fault\"`},
		{"faults: unknown instance", "POST", "/_world/faults", "", `{"faults": [{"action": "nope.getUser", "status": 500}]}`, 400, "nope"},
		{"faults: added", "POST", "/_world/faults", "", `{"faults": [{"action": "okta.getUser", "status": 503, "times": 1}]}`, 200, `"added": 1`},
		{"faults: listed", "GET", "/_world/faults", "", "", 200, `"left": 1`},
		{"the fault answers", "GET", "/okta/api/v1/users/00u1jane0001", "SSWS x", "", 503, "E0000009"},
		{"once", "GET", "/okta/api/v1/users/00u1jane0001", "SSWS x", "", 200, "ACTIVE"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := do(t, tt.method, srv.URL+tt.path, tt.auth, tt.body)
			if status != tt.status || !strings.Contains(body, tt.contains) {
				t.Fatalf("%s %s: %d %s\nwant %d containing %s", tt.method, tt.path, status, body, tt.status, tt.contains)
			}
		})
	}
}

func TestResetReturnsToTheSeededState(t *testing.T) {
	srv := serve(t)
	if status, body := do(t, "POST", srv.URL+"/okta/api/v1/users/00u1jane0001/lifecycle/suspend", "SSWS x", ""); status != 200 {
		t.Fatalf("suspend: %d %s", status, body)
	}
	state := func() string {
		_, body := do(t, "GET", srv.URL+"/_world", "", "")
		var s map[string]map[string]any
		if err := json.Unmarshal([]byte(body), &s); err != nil {
			t.Fatal(err)
		}
		users := s["okta"]["users"].([]any)
		return users[0].(map[string]any)["status"].(string)
	}
	if got := state(); got != "SUSPENDED" {
		t.Fatalf("after suspend: %s", got)
	}
	if status, _ := do(t, "POST", srv.URL+"/_world/reset", "", ""); status != 200 {
		t.Fatal(status)
	}
	if got := state(); got != "ACTIVE" {
		t.Fatalf("after reset: %s", got)
	}
}

// TestLoopbackOnly: the sandbox has no real authentication, so it answers
// only requests a local tool makes — not a web page (DNS rebinding, a
// foreign Origin, a cross-site form) — and bounds what it reads and writes.
func TestLoopbackOnly(t *testing.T) {
	srv := serve(t)
	_, port, _ := strings.Cut(strings.TrimPrefix(srv.URL, "http://"), ":")
	tests := []struct {
		name, method, path, host, origin, ctype, body string
		status                                        int
		contains                                      string
	}{
		{"rebinding: a foreign Host", "GET", "/_world", "evil.example:" + port, "", "", "", 421, "only loopback names"},
		{"another port", "GET", "/_world", "127.0.0.1:1", "", "", "", 421, "own port"},
		{"localhost with its port", "GET", "/_world", "localhost:" + port, "", "", "", 200, `"okta"`},
		{"[::1] with its port", "GET", "/_world", "[::1]:" + port, "", "", "", 200, `"okta"`},
		{"a foreign Origin", "GET", "/_world", "", "https://evil.example", "", "", 403, "Origin"},
		{"a foreign Origin on a vendor route", "GET", "/okta/api/v1/users/00u1jane0001", "", "http://evil.example:" + port, "", "", 403, "Origin"},
		{"its own Origin", "GET", "/_world", "", "http://127.0.0.1:" + port, "", "", 200, `"okta"`},
		{"a form post to the faults", "POST", "/_world/faults", "", "", "application/x-www-form-urlencoded", `{"faults": []}`, 415, "application/json"},
		{"a text post to reset", "POST", "/_world/reset", "", "", "text/plain", "", 415, "application/json"},
		{"JSON to reset", "POST", "/_world/reset", "", "", "application/json; charset=utf-8", "", 200, "reset"},
		{"a body over 1 MiB", "POST", "/_world/faults", "", "", "application/json", `{"faults": [` + strings.Repeat(" ", sandbox.MaxBody) + `]}`, 400, "too large"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(tt.method, srv.URL+tt.path, strings.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			if tt.host != "" {
				req.Host = tt.host
			}
			if tt.origin != "" {
				req.Header.Set("Origin", tt.origin)
			}
			if tt.ctype != "" {
				req.Header.Set("Content-Type", tt.ctype)
			}
			req.Header.Set("Authorization", "SSWS x")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tt.status || !strings.Contains(string(b), tt.contains) {
				t.Fatalf("%d %s, want %d containing %q", resp.StatusCode, b, tt.status, tt.contains)
			}
		})
	}
}

// TestWorldOutputBounded: GET /_world answers at most MaxWorldOutput bytes.
func TestWorldOutputBounded(t *testing.T) {
	w := world.New(instances(), clock.NewVirtual(epoch))
	w.SeedEvent([]world.User{jane}, "user.session.start", "")
	srv := httptest.NewServer(sandbox.New(instances(), w, sandbox.Options{MaxWorldOutput: 64}))
	defer srv.Close()
	status, body := do(t, "GET", srv.URL+"/_world", "", "")
	if status != http.StatusInsufficientStorage || !strings.Contains(body, "more than the 64") {
		t.Fatalf("%d %s", status, body)
	}
}

// TestWaitPerformed: GET /_world/performed answers once the world has
// performed an action N times — its effect in the state even when a fault
// holds the answer back — and a reset counts from zero again.
func TestWaitPerformed(t *testing.T) {
	srv := serve(t)
	path := "/_world/performed?action=okta.suspendUser&count=1"
	if status, body := do(t, "GET", srv.URL+"/_world/performed?action=okta.suspendUser", "", ""); status != 200 || !strings.Contains(body, `"performed": 0`) {
		t.Fatalf("without count: %d %s", status, body)
	}
	// The suspension's answer hangs until the test ends; the wait must
	// still return, since the effect is done.
	if status, body := do(t, "POST", srv.URL+"/_world/faults", "", `{"faults": [{"action": "okta.suspendUser", "latency": "1h", "after": true, "times": 1}]}`); status != 200 {
		t.Fatalf("fault: %d %s", status, body)
	}
	go func() {
		req, _ := http.NewRequest("POST", srv.URL+"/okta/api/v1/users/00u1jane0001/lifecycle/suspend", nil)
		req.Header.Set("Authorization", "SSWS x")
		ctx, cancel := context.WithCancel(context.Background())
		t.Cleanup(cancel)
		if resp, err := http.DefaultClient.Do(req.WithContext(ctx)); err == nil {
			resp.Body.Close()
		}
	}()
	status, body := do(t, "GET", srv.URL+path, "", "")
	if status != 200 || !strings.Contains(body, `"performed": 1`) {
		t.Fatalf("wait: %d %s", status, body)
	}
	if _, state := do(t, "GET", srv.URL+"/_world", "", ""); !strings.Contains(state, `"SUSPENDED"`) {
		t.Fatalf("the wait returned before the effect:\n%s", state)
	}
	if status, _ := do(t, "POST", srv.URL+"/_world/reset", "", ""); status != 200 {
		t.Fatal(status)
	}
	if _, body := do(t, "GET", srv.URL+"/_world/performed?action=okta.suspendUser", "", ""); !strings.Contains(body, `"performed": 0`) {
		t.Fatalf("after reset: %s", body)
	}
	for _, bad := range []string{"?action=suspendUser", "?action=okta.suspendUser&count=x"} {
		if status, _ := do(t, "GET", srv.URL+"/_world/performed"+bad, "", ""); status != 400 {
			t.Errorf("%s: %d, want 400", bad, status)
		}
	}
}
