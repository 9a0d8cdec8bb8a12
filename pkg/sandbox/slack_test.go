package sandbox_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jml-dev/jml/pkg/connector"
	"github.com/jml-dev/jml/pkg/effect"
	"github.com/jml-dev/jml/pkg/sandbox"
	"github.com/jml-dev/jml/pkg/world"
)

// TestSlackRoundTripEdges holds the slack connector and the sandbox to the
// in-process world beyond the happy path.
func TestSlackRoundTripEdges(t *testing.T) {
	jane := map[string]any{"email": "jane.doe@acme.com"}
	ghost := map[string]any{"email": "ghost@acme.com"}
	runOSCases(t, "slack", []osCase{
		{name: "unknown user", world: "described", steps: []osStep{
			{"lookupUserByEmail", ghost, 404},
			{"deactivateUser", ghost, 404},
			{"reactivateUser", ghost, 404},
			{"inviteToChannel", map[string]any{"channel": "C1", "email": "ghost@acme.com"}, 404},
		}},
		{name: "deactivate and reactivate", world: "described", steps: []osStep{
			{"deactivateUser", jane, 0},
			{"deactivateUser", map[string]any{"email": "JANE.DOE@acme.com"}, 0},
			{"lookupUserByEmail", jane, 0},
			{"reactivateUser", jane, 0},
			{"lookupUserByEmail", map[string]any{"email": "bob@acme.com"}, 0},
			{"reactivateUser", map[string]any{"email": "bob@acme.com"}, 0},
		}},
		{name: "create refusals", world: "described", steps: []osStep{
			{"createUser", map[string]any{"email": "jane.doe@acme.com", "userName": "jd", "displayName": "J"}, 409},
			{"createUser", map[string]any{"email": "new@acme.com", "userName": "jane", "displayName": "J"}, 409},
			{"createUser", map[string]any{"email": "not-an-email", "userName": "x", "displayName": "X"}, 400},
			{"createUser", map[string]any{"email": "new@acme.com", "userName": "new", "displayName": "New"}, 0},
			{"lookupUserByEmail", map[string]any{"email": "new@acme.com"}, 0},
			{"inviteToChannel", map[string]any{"channel": "C1", "email": "new@acme.com"}, 0},
			{"inviteToChannel", map[string]any{"channel": "C1", "email": "new@acme.com"}, 0},
		}},
		{name: "messages", world: "seeded", steps: []osStep{
			{"postMessage", map[string]any{"channel": "#it-ops", "text": "one"}, 0},
			{"postMessage", map[string]any{"channel": "C1", "text": "two", "threadTs": "1700000000.000001"}, 0},
		}},
		{name: "injected faults", world: "seeded", faults: []world.Fault{
			{Action: "slack.deactivateUser", Status: 429, Times: 2, RetryAfter: 1e9},
			{Action: "slack.postMessage", Status: 503, Times: 1},
			{Action: "slack.lookupUserByEmail", Status: 403, Times: 1},
			{Action: "slack.inviteToChannel", Status: 404, Times: 1},
			{Action: "slack.createUser", Status: 409, Times: 1},
			{Action: "slack.*", User: "bob@acme.com", Status: 500, Times: 1},
		}, steps: []osStep{
			{"deactivateUser", jane, 429},
			{"deactivateUser", jane, 429},
			{"deactivateUser", jane, 0},
			{"postMessage", map[string]any{"channel": "C1", "text": "x"}, 503},
			{"postMessage", map[string]any{"channel": "C1", "text": "x"}, 0},
			{"lookupUserByEmail", jane, 403},
			{"lookupUserByEmail", jane, 0},
			{"inviteToChannel", map[string]any{"channel": "C1", "email": "jane.doe@acme.com"}, 404},
			{"inviteToChannel", map[string]any{"channel": "C1", "email": "jane.doe@acme.com"}, 0},
			{"createUser", map[string]any{"email": "n@acme.com", "userName": "n", "displayName": "N"}, 409},
			{"reactivateUser", map[string]any{"email": "bob@acme.com"}, 500},
			{"reactivateUser", map[string]any{"email": "bob@acme.com"}, 0},
		}},
		{name: "faults from a world file", world: "described", yaml: `apiVersion: jml/v1
kind: World
faults:
  - {action: slack.postMessage, status: 429, times: 1, retryAfter: 2s}
  - {action: slack.lookupUserByEmail, status: 400, times: 1}
`, steps: []osStep{
			{"postMessage", map[string]any{"channel": "C1", "text": "x"}, 429},
			{"postMessage", map[string]any{"channel": "C1", "text": "x"}, 0},
			{"lookupUserByEmail", jane, 400},
			{"lookupUserByEmail", jane, 0},
		}},
	})
}

// TestSlackRetryAfterRoundTrip: an injected rate limit on a Web API method
// reaches the connector as a retryable 429 with its Retry-After.
func TestSlackRetryAfterRoundTrip(t *testing.T) {
	p := newPair(t, worlds["seeded"])
	f := world.Fault{Action: "slack.postMessage", Status: 429, Times: 1, RetryAfter: 4e9}
	p.remote.AddFaults(f)
	_, err := p.clients["slack"].Do(t.Context(), effect.Request{Instance: "slack", Action: "postMessage",
		Input: map[string]any{"channel": "C1", "text": "x"}, Attempt: 1})
	e := effect.AsError(err)
	if e == nil || e.Status != 429 || !e.Retryable || e.RetryAfter != 4e9 {
		t.Fatalf("got %#v, want a retryable 429 with Retry-After 4s", e)
	}
}

// TestSlackSandboxShapes checks the vendor shapes the sandbox answers: the
// Web API's ok:false with HTTP 200, form-encoded arguments, SCIM lists
// and errors.
func TestSlackSandboxShapes(t *testing.T) {
	srv := httptest.NewServer(sandbox.New(instances(), worlds["described"](t), sandbox.Options{}))
	t.Cleanup(srv.Close)
	call := func(method, path, contentType, body string) (int, map[string]any) {
		t.Helper()
		req, _ := http.NewRequest(method, srv.URL+"/slack"+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer x")
		if contentType != "" {
			req.Header.Set("Content-Type", contentType)
		}
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		data, _ := io.ReadAll(resp.Body)
		var m map[string]any
		if len(data) > 0 {
			if err := json.Unmarshal(data, &m); err != nil {
				t.Fatalf("%s %s: %s is not a JSON object", method, path, data)
			}
		}
		return resp.StatusCode, m
	}
	cases := []struct {
		name, method, path, contentType, body string
		status                                int
		check                                 func(m map[string]any) bool
	}{
		{"lookup ok:false", "GET", "/api/users.lookupByEmail?email=ghost%40acme.com", "", "", 200,
			func(m map[string]any) bool { return m["ok"] == false && m["error"] == "users_not_found" }},
		{"lookup deleted user", "GET", "/api/users.lookupByEmail?email=bob%40acme.com", "", "", 200,
			func(m map[string]any) bool { return m["ok"] == true && m["user"].(map[string]any)["deleted"] == true }},
		{"form-encoded postMessage", "POST", "/api/chat.postMessage", "application/x-www-form-urlencoded",
			url.Values{"channel": {"C1"}, "text": {"hi"}}.Encode(), 200,
			func(m map[string]any) bool { return m["ok"] == true && m["channel"] == "C1" && m["ts"] != "" }},
		{"postMessage without text", "POST", "/api/chat.postMessage", "application/json", `{"channel":"C1"}`, 200,
			func(m map[string]any) bool { return m["ok"] == false && m["error"] == "invalid_arguments" }},
		{"invite unknown id", "POST", "/api/conversations.invite", "application/json", `{"channel":"C1","users":"UNOPE"}`, 200,
			func(m map[string]any) bool { return m["ok"] == false && m["error"] == "user_not_found" }},
		{"SCIM filter", "GET", "/scim/v2/Users?filter=" + url.QueryEscape(`email eq "JANE.DOE@acme.com"`), "", "", 200,
			func(m map[string]any) bool {
				r := m["Resources"].([]any)
				return m["totalResults"] == 1.0 && len(r) == 1 && r[0].(map[string]any)["id"] == "U01JANE"
			}},
		{"SCIM list", "GET", "/scim/v2/Users?startIndex=2&count=1", "", "", 200,
			func(m map[string]any) bool { return m["totalResults"] == 2.0 && len(m["Resources"].([]any)) == 1 }},
		{"SCIM bad filter", "GET", "/scim/v2/Users?filter=" + url.QueryEscape(`title co "x"`), "", "", 400,
			func(m map[string]any) bool { return slackSCIMError(m, 400, "invalid_filter") }},
		{"SCIM unknown id", "DELETE", "/scim/v2/Users/UNOPE", "", "", 404,
			func(m map[string]any) bool { return slackSCIMError(m, 404, "user_not_found") }},
		{"SCIM get", "GET", "/scim/v2/Users/U01BOB", "", "", 200,
			func(m map[string]any) bool { return m["active"] == false && m["userName"] == "bob" }},
		{"SCIM patch without active", "PATCH", "/scim/v2/Users/U01BOB", "application/json", `{"title":"x"}`, 400,
			func(m map[string]any) bool { return slackSCIMError(m, 400, "invalid_patch") }},
		{"SCIM legacy patch", "PATCH", "/scim/v2/Users/U01BOB", "application/json", `{"active":true}`, 200,
			func(m map[string]any) bool { return m["active"] == true }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, m := call(tc.method, tc.path, tc.contentType, tc.body)
			if status != tc.status || !tc.check(m) {
				b, _ := json.Marshal(m)
				t.Fatalf("%s %s: %d %s", tc.method, tc.path, status, b)
			}
		})
	}
}

// slackSCIMError reports whether a body is Slack's SCIM error,
// {"Errors": {"description", "code"}} and nothing else.
func slackSCIMError(m map[string]any, code int, description string) bool {
	e, _ := m["Errors"].(map[string]any)
	d, _ := e["description"].(string)
	return len(m) == 1 && len(e) == 2 && e["code"] == float64(code) && strings.Contains(d, description)
}

// TestSlackSCIMRateLimit: Slack answers a SCIM rate limit 429 with
// Retry-After (docs.slack.dev/reference/scim-api/rate-limits), also when
// the fault gives none; the connector reads it and Slack's description.
func TestSlackSCIMRateLimit(t *testing.T) {
	w := worlds["described"](t)
	w.AddFaults(world.Fault{Action: "slack.deactivateUser", Status: 429, Times: 2})
	srv := httptest.NewServer(sandbox.New(instances(), w, sandbox.Options{}))
	t.Cleanup(srv.Close)
	req, _ := http.NewRequest("DELETE", srv.URL+"/slack/scim/v2/Users/U01JANE", nil)
	req.Header.Set("Authorization", "Bearer x")
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&m); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "1" || !slackSCIMError(m, 429, "") {
		t.Errorf("got %d Retry-After %q %v, want 429, Retry-After 1 and Slack's SCIM error", resp.StatusCode, resp.Header.Get("Retry-After"), m)
	}
	u, _ := url.Parse(srv.URL + "/slack")
	c, err := connector.NewClient(&connector.Instance{Name: "slack", Type: "slack", BaseURL: u, Auth: connector.Bearer{Token: "x"},
		HTTP: srv.Client(), Timeout: 10 * time.Second, Sandbox: true})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Do(context.Background(), effect.Request{Instance: "slack", Action: "deactivateUser", Input: map[string]any{"email": "jane.doe@acme.com"}, Attempt: 1})
	e := effect.AsError(err)
	if e == nil || e.Status != 429 || !e.Retryable || e.RetryAfter != time.Second || e.Message != "rate limit exceeded (injected fault)" {
		t.Errorf("connector: %#v, want a retryable 429 after 1s with Slack's description", e)
	}
}
