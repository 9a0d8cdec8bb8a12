package sandbox_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/jml-dev/jml/pkg/clock"
	"github.com/jml-dev/jml/pkg/sandbox"
	"github.com/jml-dev/jml/pkg/world"
)

// TestGmailRoundTripEdges holds the Gmail actions of the google connector
// and the sandbox to the in-process world beyond the happy path.
func TestGmailRoundTripEdges(t *testing.T) {
	jane := func(kv ...any) map[string]any {
		m := map[string]any{"userKey": "jane.doe@acme.com"}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i].(string)] = kv[i+1]
		}
		return m
	}
	runGMSCases(t, "google", []gmsCase{
		{name: "unknown mailbox", world: "described", steps: []gmsStep{
			{"addDelegate", map[string]any{"userKey": "nobody@acme.com", "delegateEmail": "bob@acme.com"}, 404},
			{"removeDelegate", map[string]any{"userKey": "nobody@acme.com", "delegateEmail": "bob@acme.com"}, 404},
			{"setAutoForwarding", map[string]any{"userKey": "nobody@acme.com", "emailAddress": "bob@acme.com"}, 404},
			{"setVacation", map[string]any{"userKey": "nobody@acme.com", "subject": "s", "message": "m"}, 404},
			{"sendGmail", map[string]any{"userKey": "nobody@acme.com", "to": "bob@acme.com", "subject": "s", "body": "b"}, 404},
		}},
		{name: "idempotent delegates", world: "described", steps: []gmsStep{
			{"addDelegate", jane("delegateEmail", "bob@acme.com"), 0},
			{"addDelegate", jane("delegateEmail", "robert@acme.com"), 0},
			{"removeDelegate", jane("delegateEmail", "bob@acme.com"), 0},
			{"removeDelegate", jane("delegateEmail", "bob@acme.com"), 0},
		}},
		{name: "refused delegates", world: "described", steps: []gmsStep{
			{"addDelegate", jane("delegateEmail", "eve@elsewhere.com"), 400},
			{"addDelegate", jane("delegateEmail", "jane.doe@acme.com"), 400},
		}},
		{name: "forwarding", world: "described", steps: []gmsStep{
			{"setAutoForwarding", jane("emailAddress", "bob@acme.com"), 0},
			{"setAutoForwarding", jane("emailAddress", "bob@acme.com", "disposition", "archive"), 0},
			{"setAutoForwarding", jane("emailAddress", "jane@gmail.com"), 400},
		}},
		{name: "auto-reply and mail", world: "seeded", steps: []gmsStep{
			{"setVacation", jane("subject", "Gone", "message", "<p>Ask Bob</p>", "contentType", "HTML", "start", "2024-01-01T00:00:00Z", "end", "2024-02-01T00:00:00Z"), 0},
			{"sendGmail", jane("to", "bob@acme.com, boss@acme.com", "subject", "Jane – left", "body", "Hello\nBob"), 0},
			{"sendGmail", map[string]any{"to": "bob@acme.com", "subject": "From me", "body": "b"}, 0},
		}},
	})
}

// TestGmailSandboxAnswers checks the answers Gmail gives that the
// connector turns into idempotent successes: 409 for a delegate or a
// forwarding address already there, 404 for one who is not a delegate.
func TestGmailSandboxAnswers(t *testing.T) {
	ins := []world.Instance{{Name: "google", Type: "google"}}
	w := world.New(ins, clock.NewVirtual(time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)))
	w.SeedEvent([]world.User{{ID: "1", Login: "jane.doe@acme.com"}, {ID: "2", Login: "bob@acme.com"}}, "user.session.start", "")
	srv := httptest.NewServer(sandbox.New(ins, w, sandbox.Options{}))
	t.Cleanup(srv.Close)
	const box = "/google/gmail/v1/users/jane.doe@acme.com/settings"
	for _, tc := range []struct {
		method, path, body string
		status             int
		resp               string
	}{
		{"DELETE", box + "/delegates/bob@acme.com", "", 404, "not found"},
		{"POST", box + "/delegates", `{"delegateEmail":"bob@acme.com"}`, 200, `"verificationStatus": "accepted"`},
		{"POST", box + "/delegates", `{"delegateEmail":"bob@acme.com"}`, 409, "Delegate already exists"},
		{"DELETE", box + "/delegates/bob@acme.com", "", 204, ""},
		{"POST", box + "/forwardingAddresses", `{"forwardingEmail":"bob@acme.com"}`, 200, `"verificationStatus": "accepted"`},
		{"POST", box + "/forwardingAddresses", `{"forwardingEmail":"jane@gmail.com"}`, 200, `"verificationStatus": "pending"`},
		{"PUT", box + "/autoForwarding", `{"enabled":true,"emailAddress":"bob@acme.com"}`, 200, ""},
		{"POST", box + "/forwardingAddresses", `{"forwardingEmail":"bob@acme.com"}`, 409, "already exists"},
		{"PUT", box + "/vacation", `{"enableAutoReply":true,"responseSubject":"s","responseBodyPlainText":"m","startTime":"x"}`, 400, "int64"},
		{"POST", "/google/gmail/v1/users/jane.doe@acme.com/messages/send", `{"raw":"not base64!"}`, 400, "base64url"},
	} {
		req, _ := http.NewRequest(tc.method, srv.URL+tc.path, strings.NewReader(tc.body))
		req.Header.Set("Authorization", "Bearer jml-sandbox")
		if tc.body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		_, _ = io.Copy(&b, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.status || !strings.Contains(strings.ToLower(b.String()), strings.ToLower(tc.resp)) {
			t.Errorf("%s %s: %d %s, want %d with %q", tc.method, tc.path, resp.StatusCode, b.String(), tc.status, tc.resp)
		}
	}
}
