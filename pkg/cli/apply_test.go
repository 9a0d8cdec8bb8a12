package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/jml-dev/jml/pkg/history"
)

// canary is the Okta API token of the apply tests: it must never appear in
// anything jml writes.
var canary = "00canaryTOKENdoNotPrint42"

// fakeOkta answers every request with a 401 whose message echoes the
// Authorization header, as a careless vendor or proxy might, and counts the
// requests.
type fakeOkta struct {
	*httptest.Server
	calls atomic.Int32
}

func newFakeOkta(t *testing.T) *fakeOkta {
	f := &fakeOkta{}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.calls.Add(1)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprintf(w, `{"errorCode":"E0000011","errorSummary":"Invalid token provided: %s","errorCauses":[]}`, r.Header.Get("Authorization"))
	}))
	t.Cleanup(f.Close)
	return f
}

const applyFlow = `apiVersion: jml/v1
kind: Flow
name: leaver
trigger: {event: user.lifecycle.deactivate}
steps:
  - id: sessions
    action: okta.clearUserSessions
    with: {userId: "${{ user.id }}"}
`

func applyEvent(n int) string {
	return fmt.Sprintf(`{"uuid":"0000000%d-0000-4000-8000-000000000000","published":"2024-03-01T09:00:00.000Z","eventType":"user.lifecycle.deactivate","actor":{"id":"00uadmin","type":"User","alternateId":"admin@acme.com"},"target":[{"id":"00u%d","type":"User","alternateId":"user%d@acme.com","displayName":"User %d"}]}`+"\n", n, n, n, n)
}

// applyRepo writes a repository whose okta instance is the fake, with n
// deactivate events for n different users in events.ndjson.
func applyRepo(t *testing.T, baseURL string, limit, n int) string {
	t.Helper()
	dir := t.TempDir()
	cfg := fmt.Sprintf(`apiVersion: jml/v1
kind: Config
flows: flows/
connectors:
  okta: {type: okta, baseURL: %q, allowInsecure: true, auth: {type: ssws, token: {env: OKTA_API_TOKEN}}}
guardrails: {maxDeprovisionsPerApply: %d}
`, baseURL, limit)
	var evs strings.Builder
	for i := 1; i <= n; i++ {
		evs.WriteString(applyEvent(i))
	}
	files := map[string]string{"jml.yaml": cfg, "flows/leaver.yaml": applyFlow, "events.ndjson": evs.String()}
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

type runResult struct {
	out, errOut string
	code        int
}

func runIn(dir, stdin string, tty bool, args ...string) runResult {
	io, in, out, errOut := Test()
	io.WorkDir = dir
	io.InTTY = tty
	in.WriteString(stdin)
	io.Getenv = func(k string) string {
		if k == "OKTA_API_TOKEN" {
			return canary
		}
		return ""
	}
	// A plan file (-o, and apply PLANFILE) is relative to the process's
	// directory: make file arguments absolute.
	for i, a := range args {
		if strings.HasSuffix(a, ".ndjson") || strings.HasSuffix(a, ".json") {
			args[i] = filepath.Join(dir, a)
		}
	}
	code := Run(io, append([]string{"--color", "never"}, args...), "test")
	return runResult{out.String(), errOut.String(), code}
}

func TestApplyRedactsSecrets(t *testing.T) {
	t.Parallel()
	// The second token has characters JSON escapes (<, >, &): it must be
	// found in JSON output too.
	for _, token := range []string{"00canaryTOKENdoNotPrint42", "00canary<&>TOKEN42"} {
		t.Run(token, func(t *testing.T) {
			saved := canary
			canary = token
			defer func() { canary = saved }()
			testRedaction(t)
		})
	}
}

func testRedaction(t *testing.T) {
	f := newFakeOkta(t)
	dir := applyRepo(t, f.URL, 25, 1)
	for _, format := range []string{"text", "json"} {
		t.Run(format, func(t *testing.T) {
			r := runIn(dir, "", false, "apply", "events.ndjson", "--auto-approve", "--format", format)
			if r.code != ExitError {
				t.Fatalf("exit %d, want %d (the call failed)\n%s%s", r.code, ExitError, r.out, r.errOut)
			}
			if f.calls.Load() == 0 {
				t.Fatal("the fake was never called: the test proves nothing")
			}
			escaped, _ := json.Marshal(canary)
			if strings.Contains(r.out+r.errOut, canary) || strings.Contains(r.out+r.errOut, strings.Trim(string(escaped), `"`)) {
				t.Fatalf("the secret leaked:\n%s%s", r.out, r.errOut)
			}
			if !strings.Contains(r.out, "Invalid token provided: ***") {
				t.Fatalf("want the vendor's message with the token redacted, got:\n%s", r.out)
			}
		})
	}
	// plan never reads secrets; its file holds none.
	r := runIn(dir, "", false, "plan", "events.ndjson", "-o", "plan.json")
	if r.code != 0 {
		t.Fatalf("plan: exit %d\n%s", r.code, r.errOut)
	}
	data, err := os.ReadFile(filepath.Join(dir, "plan.json"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(data)+r.out+r.errOut, canary) {
		t.Fatal("the secret reached the plan")
	}
}

// TestApplyRefusesBeforeAnyCall: every refusal happens before a single
// request reaches a vendor.
func TestApplyRefusesBeforeAnyCall(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		limit   int
		events  int
		stdin   string
		tty     bool
		args    []string
		prepare func(t *testing.T, dir string)
		want    string
	}{
		{name: "no terminal, no --auto-approve", limit: 25, events: 1, args: []string{"events.ndjson"},
			want: "standard input is not a terminal"},
		{name: "terminal, answer is not yes", limit: 25, events: 1, stdin: "y\n", tty: true, args: []string{"events.ndjson"},
			want: "apply cancelled"},
		{name: "guardrail", limit: 2, events: 3, args: []string{"events.ndjson", "--auto-approve"},
			want: "guardrail maxDeprovisionsPerApply: these events would deprovision 3 distinct people (distinct okta user ids), more than the limit of 2"},
		{name: "another apply holds the history", limit: 25, events: 1, args: []string{"events.ndjson", "--auto-approve"},
			prepare: func(t *testing.T, dir string) {
				s, err := history.Open(context.Background(), "", dir)
				if err != nil {
					t.Fatal(err)
				}
				// This test process is alive: its lock is not stale.
				l, err := s.Acquire(context.Background(), history.ApplyLock, history.LockOptions{})
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { l.Release(); s.Close() })
			},
			want: "another jml apply or resume is running on this history"},
		{name: "stale plan", limit: 25, events: 1, args: []string{"plan.json", "--auto-approve"},
			prepare: func(t *testing.T, dir string) {
				if r := runIn(dir, "", false, "plan", "events.ndjson", "-o", "plan.json"); r.code != 0 {
					t.Fatalf("plan: %s", r.errOut)
				}
				p := filepath.Join(dir, "flows/leaver.yaml")
				if err := os.WriteFile(p, []byte(applyFlow+"description: changed\n"), 0o644); err != nil {
					t.Fatal(err)
				}
			},
			want: "plan.json: changed since it was made: flows/leaver.yaml"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeOkta(t)
			dir := applyRepo(t, f.URL, tt.limit, tt.events)
			if tt.prepare != nil {
				tt.prepare(t, dir)
			}
			r := runIn(dir, tt.stdin, tt.tty, append([]string{"apply"}, tt.args...)...)
			if r.code == 0 {
				t.Fatalf("exit 0, want a refusal\n%s", r.out)
			}
			if !strings.Contains(r.errOut, tt.want) {
				t.Fatalf("stderr does not say %q:\n%s", tt.want, r.errOut)
			}
			if n := f.calls.Load(); n != 0 {
				t.Fatalf("%d requests reached the vendor before the refusal", n)
			}
		})
	}
}

// TestApplyGoesAhead: the same inputs go ahead when allowed, so the refusals
// above are real.
func TestApplyGoesAhead(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		events int
		stdin  string
		tty    bool
		args   []string
	}{
		{"terminal, yes", 1, "yes\n", true, []string{"events.ndjson"}},
		{"mass deprovision allowed", 3, "", false, []string{"events.ndjson", "--auto-approve", "--allow-mass-deprovision"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeOkta(t)
			dir := applyRepo(t, f.URL, 2, tt.events)
			r := runIn(dir, tt.stdin, tt.tty, append([]string{"apply"}, tt.args...)...)
			if r.code != ExitError || f.calls.Load() == 0 {
				t.Fatalf("exit %d after %d calls, want the calls made (and failed by the fake)\n%s%s", r.code, f.calls.Load(), r.out, r.errOut)
			}
		})
	}
}
