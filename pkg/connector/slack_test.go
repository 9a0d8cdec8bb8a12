package connector_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jml-dev/jml/pkg/connector"
)

// The Slack bodies below follow the examples of Slack's API reference
// (docs.slack.dev: users.lookupByEmail, chat.postMessage,
// conversations.invite, SCIM API 2.0), trimmed, with test ids.

const (
	slackJane = `{"ok":true,"user":{"id":"W012A3CDE","team_id":"T012AB3C4","name":"jane","deleted":false,` +
		`"real_name":"Jane Doe","tz":"America/Los_Angeles","profile":{"real_name":"Jane Doe","display_name":"jane",` +
		`"email":"jane.doe@acme.com"},"is_admin":false,"is_bot":false}}`
	slackSCIMJane = `{"schemas":["urn:ietf:params:scim:api:messages:2.0:ListResponse"],"totalResults":1,"itemsPerPage":1,"startIndex":1,` +
		`"Resources":[{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"id":"W012A3CDE","userName":"jane",` +
		`"displayName":"Jane Doe","active":true,"emails":[{"value":"jane.doe@acme.com","primary":true}]}]}`
	slackSCIMNone   = `{"schemas":["urn:ietf:params:scim:api:messages:2.0:ListResponse"],"totalResults":0,"itemsPerPage":0,"startIndex":1,"Resources":[]}`
	slackJaneFilter = `filter=email+eq+%22jane.doe%40acme.com%22&startIndex=1&count=1`
)

func slackClientFor(t *testing.T, base string, settings map[string]string) connector.Client {
	t.Helper()
	u, _ := url.Parse(base)
	c, err := connector.NewClient(&connector.Instance{Name: "slack", Type: "slack", BaseURL: u,
		Auth: connector.Bearer{Token: "xoxp-test"}, Timeout: 5 * time.Second, Settings: settings})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestSlackActions(t *testing.T) {
	cases := []osCase{
		{name: "lookupUserByEmail", action: "lookupUserByEmail", input: map[string]any{"email": "jane.doe@acme.com"},
			steps: []osStep{{method: "GET", path: "/api/users.lookupByEmail", query: "email=jane.doe%40acme.com", status: 200, resp: slackJane}},
			want:  map[string]any{"id": "W012A3CDE", "email": "jane.doe@acme.com", "active": true, "name": "jane", "realName": "Jane Doe"}},
		{name: "lookupUserByEmail deactivated", action: "lookupUserByEmail", input: map[string]any{"email": "bob@acme.com"},
			steps: []osStep{{method: "GET", path: "/api/users.lookupByEmail", query: "email=bob%40acme.com", status: 200,
				resp: `{"ok":true,"user":{"id":"W0BOB","name":"bob","deleted":true,"profile":{"real_name":"Bob Smith","email":"bob@acme.com"}}}`}},
			want: map[string]any{"id": "W0BOB", "email": "bob@acme.com", "active": false, "name": "bob", "realName": "Bob Smith"}},
		{name: "lookupUserByEmail users_not_found", action: "lookupUserByEmail", input: map[string]any{"email": "nobody@acme.com"},
			steps: []osStep{{method: "GET", path: "/api/users.lookupByEmail", query: "email=nobody%40acme.com", status: 200,
				resp: `{"ok":false,"error":"users_not_found"}`}},
			err: &osWantErr{status: 404, code: "not_found", message: "users_not_found"}},
		{name: "lookupUserByEmail invalid_auth", action: "lookupUserByEmail", input: map[string]any{"email": "jane.doe@acme.com"},
			steps: []osStep{{method: "GET", path: "/api/users.lookupByEmail", query: "email=jane.doe%40acme.com", status: 200,
				resp: `{"ok":false,"error":"invalid_auth"}`}},
			err: &osWantErr{status: 401, code: "unauthorized", message: "invalid_auth"}},
		{name: "lookupUserByEmail without email", action: "lookupUserByEmail", input: map[string]any{},
			err: &osWantErr{status: 400, code: "invalid_input", message: `"email" is required`}},
		{name: "deactivateUser", action: "deactivateUser", input: map[string]any{"email": "jane.doe@acme.com"},
			steps: []osStep{
				{method: "GET", path: "/scim/v2/Users", query: slackJaneFilter, status: 200, resp: slackSCIMJane},
				{method: "DELETE", path: "/scim/v2/Users/W012A3CDE", status: 204},
			},
			want: map[string]any{}},
		{name: "deactivateUser unknown email", action: "deactivateUser", input: map[string]any{"email": "nobody@acme.com"},
			steps: []osStep{{method: "GET", path: "/scim/v2/Users", query: `filter=email+eq+%22nobody%40acme.com%22&startIndex=1&count=1`, status: 200, resp: slackSCIMNone}},
			err:   &osWantErr{status: 404, code: "not_found", message: "users_not_found"}},
		{name: "deactivateUser quotes the filter", action: "deactivateUser", input: map[string]any{"email": `x" or userName pr "@acme.com`},
			steps: []osStep{{method: "GET", path: "/scim/v2/Users", query: url.Values{"filter": {`email eq "x\" or userName pr \"@acme.com"`},
				"startIndex": {"1"}, "count": {"1"}}.Encode(), status: 200, resp: slackSCIMNone}},
			err: &osWantErr{status: 404, code: "not_found", message: "users_not_found"}},
		{name: "deactivateUser SCIM 429", action: "deactivateUser", input: map[string]any{"email": "jane.doe@acme.com"},
			steps: []osStep{
				{method: "GET", path: "/scim/v2/Users", query: slackJaneFilter, status: 200, resp: slackSCIMJane},
				{method: "DELETE", path: "/scim/v2/Users/W012A3CDE", status: 429, header: map[string]string{"Retry-After": "3"},
					resp: `{"Errors":{"description":"Too many requests","code":429}}`},
			},
			err: &osWantErr{status: 429, code: "rate_limited", retryable: true, retryAfter: 3 * time.Second, message: "Too many requests"}},
		{name: "deactivateUser SCIM 404", action: "deactivateUser", input: map[string]any{"email": "jane.doe@acme.com"},
			steps: []osStep{
				{method: "GET", path: "/scim/v2/Users", query: slackJaneFilter, status: 200, resp: slackSCIMJane},
				{method: "DELETE", path: "/scim/v2/Users/W012A3CDE", status: 404, resp: `{"Errors":{"description":"user_not_found","code":404}}`},
			},
			err: &osWantErr{status: 404, code: "not_found", message: "user_not_found"}},
		// Slack's Java SDK falls back to RFC 7644's detail: read it too.
		{name: "reactivateUser SCIM RFC 7644 error", action: "reactivateUser", input: map[string]any{"email": "jane.doe@acme.com"},
			steps: []osStep{
				{method: "GET", path: "/scim/v2/Users", query: slackJaneFilter, status: 200, resp: slackSCIMJane},
				{method: "PATCH", path: "/scim/v2/Users/W012A3CDE", status: 400,
					body: `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"active","value":true}]}`,
					resp: `{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"detail":"invalid_patch","status":"400"}`},
			},
			err: &osWantErr{status: 400, code: "invalid_input", message: "invalid_patch"}},
		{name: "reactivateUser", action: "reactivateUser", input: map[string]any{"email": "jane.doe@acme.com"},
			steps: []osStep{
				{method: "GET", path: "/scim/v2/Users", query: slackJaneFilter, status: 200, resp: slackSCIMJane},
				{method: "PATCH", path: "/scim/v2/Users/W012A3CDE", status: 200, resp: slackSCIMJane,
					body: `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"active","value":true}]}`},
			},
			want: map[string]any{}},
		{name: "createUser", action: "createUser", input: map[string]any{"email": "new.hire@acme.com", "userName": "new.hire", "displayName": "New Hire"},
			steps: []osStep{{method: "POST", path: "/scim/v2/Users", status: 201,
				body: `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"new.hire","displayName":"New Hire",` +
					`"emails":[{"value":"new.hire@acme.com","primary":true}]}`,
				resp: `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"id":"W0NEW","userName":"new.hire","active":true}`}},
			want: map[string]any{"id": "W0NEW"}},
		{name: "createUser taken", action: "createUser", input: map[string]any{"email": "jane.doe@acme.com", "userName": "jane", "displayName": "Jane"},
			steps: []osStep{{method: "POST", path: "/scim/v2/Users", status: 409,
				body: `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"jane","displayName":"Jane",` +
					`"emails":[{"value":"jane.doe@acme.com","primary":true}]}`,
				resp: `{"Errors":{"description":"email_taken","code":409}}`}},
			err: &osWantErr{status: 409, code: "conflict", message: "email_taken"}},
		{name: "postMessage", action: "postMessage", input: map[string]any{"channel": "C1234567890", "text": "hello"},
			steps: []osStep{{method: "POST", path: "/api/chat.postMessage", body: `{"channel":"C1234567890","text":"hello"}`, status: 200,
				resp: `{"ok":true,"channel":"C1234567890","ts":"1503435956.000247","message":{"type":"message","text":"hello","ts":"1503435956.000247"}}`}},
			want: map[string]any{"ts": "1503435956.000247", "channel": "C1234567890"}},
		{name: "postMessage in a thread", action: "postMessage", input: map[string]any{"channel": "C1", "text": "hi", "threadTs": "1503435956.000247"},
			steps: []osStep{{method: "POST", path: "/api/chat.postMessage", body: `{"channel":"C1","text":"hi","thread_ts":"1503435956.000247"}`, status: 200,
				resp: `{"ok":true,"channel":"C1","ts":"1503435957.000100"}`}},
			want: map[string]any{"ts": "1503435957.000100", "channel": "C1"}},
		{name: "postMessage channel_not_found", action: "postMessage", input: map[string]any{"channel": "#nope", "text": "hi"},
			steps: []osStep{{method: "POST", path: "/api/chat.postMessage", body: `{"channel":"#nope","text":"hi"}`, status: 200,
				resp: `{"ok":false,"error":"channel_not_found"}`}},
			err: &osWantErr{status: 404, code: "not_found", message: "channel_not_found"}},
		// A 429 reads like an ok:false: Slack's code and its message.
		{name: "postMessage 429 with metadata", action: "postMessage", input: map[string]any{"channel": "C1", "text": "hi"},
			steps: []osStep{{method: "POST", path: "/api/chat.postMessage", body: `{"channel":"C1","text":"hi"}`, status: 429,
				header: map[string]string{"Retry-After": "5"},
				resp:   `{"ok":false,"error":"ratelimited","response_metadata":{"messages":["[ERROR] too many messages to C1"]}}`}},
			err: &osWantErr{status: 429, code: "rate_limited", retryable: true, retryAfter: 5 * time.Second,
				message: "chat.postMessage: ratelimited: too many messages to C1"}},
		{name: "postMessage ok:false with metadata", action: "postMessage", input: map[string]any{"channel": "C1", "text": "hi"},
			steps: []osStep{{method: "POST", path: "/api/chat.postMessage", body: `{"channel":"C1","text":"hi"}`, status: 200,
				resp: `{"ok":false,"error":"invalid_arguments","response_metadata":{"messages":["[ERROR] missing required field: channel"]}}`}},
			err: &osWantErr{status: 400, code: "invalid_input", message: "invalid_arguments: missing required field: channel"}},
		{name: "postMessage ratelimited", action: "postMessage", input: map[string]any{"channel": "C1", "text": "hi"},
			steps: []osStep{{method: "POST", path: "/api/chat.postMessage", body: `{"channel":"C1","text":"hi"}`, status: 429,
				header: map[string]string{"Retry-After": "30"}, resp: `{"ok":false,"error":"ratelimited"}`}},
			err: &osWantErr{status: 429, code: "rate_limited", retryable: true, retryAfter: 30 * time.Second, message: "ratelimited"}},
		{name: "postMessage ok:false ratelimited", action: "postMessage", input: map[string]any{"channel": "C1", "text": "hi"},
			steps: []osStep{{method: "POST", path: "/api/chat.postMessage", body: `{"channel":"C1","text":"hi"}`, status: 200,
				header: map[string]string{"Retry-After": "2"}, resp: `{"ok":false,"error":"ratelimited"}`}},
			err: &osWantErr{status: 429, code: "rate_limited", retryable: true, retryAfter: 2 * time.Second, message: "ratelimited"}},
		{name: "postMessage 500", action: "postMessage", input: map[string]any{"channel": "C1", "text": "hi"},
			steps: []osStep{{method: "POST", path: "/api/chat.postMessage", body: `{"channel":"C1","text":"hi"}`, status: 500,
				resp: `{"ok":false,"error":"internal_error"}`}},
			err: &osWantErr{status: 500, code: "server_error", retryable: true, message: "internal_error"}},
		{name: "postMessage ok:false internal_error", action: "postMessage", input: map[string]any{"channel": "C1", "text": "hi"},
			steps: []osStep{{method: "POST", path: "/api/chat.postMessage", body: `{"channel":"C1","text":"hi"}`, status: 200,
				resp: `{"ok":false,"error":"internal_error"}`}},
			err: &osWantErr{status: 500, code: "server_error", retryable: true, message: "internal_error"}},
		{name: "postMessage without text", action: "postMessage", input: map[string]any{"channel": "C1"},
			err: &osWantErr{status: 400, code: "invalid_input", message: `"text" is required`}},
		{name: "inviteToChannel", action: "inviteToChannel", input: map[string]any{"channel": "C1234567890", "email": "jane.doe@acme.com"},
			steps: []osStep{
				{method: "GET", path: "/api/users.lookupByEmail", query: "email=jane.doe%40acme.com", status: 200, resp: slackJane},
				{method: "POST", path: "/api/conversations.invite", body: `{"channel":"C1234567890","users":"W012A3CDE"}`, status: 200,
					resp: `{"ok":true,"channel":{"id":"C1234567890","name":"it-ops","is_channel":true}}`},
			},
			want: map[string]any{}},
		{name: "inviteToChannel already in it", action: "inviteToChannel", input: map[string]any{"channel": "C1", "email": "jane.doe@acme.com"},
			steps: []osStep{
				{method: "GET", path: "/api/users.lookupByEmail", query: "email=jane.doe%40acme.com", status: 200, resp: slackJane},
				{method: "POST", path: "/api/conversations.invite", body: `{"channel":"C1","users":"W012A3CDE"}`, status: 200,
					resp: `{"ok":false,"error":"already_in_channel"}`},
			},
			want: map[string]any{}},
		{name: "inviteToChannel not_in_channel", action: "inviteToChannel", input: map[string]any{"channel": "C1", "email": "jane.doe@acme.com"},
			steps: []osStep{
				{method: "GET", path: "/api/users.lookupByEmail", query: "email=jane.doe%40acme.com", status: 200, resp: slackJane},
				{method: "POST", path: "/api/conversations.invite", body: `{"channel":"C1","users":"W012A3CDE"}`, status: 200,
					resp: `{"ok":false,"error":"not_in_channel"}`},
			},
			err: &osWantErr{status: 400, code: "invalid_input", message: "not_in_channel"}},
		{name: "inviteToChannel unknown user", action: "inviteToChannel", input: map[string]any{"channel": "C1", "email": "nobody@acme.com"},
			steps: []osStep{{method: "GET", path: "/api/users.lookupByEmail", query: "email=nobody%40acme.com", status: 200,
				resp: `{"ok":false,"error":"users_not_found"}`}},
			err: &osWantErr{status: 404, code: "not_found", message: "users_not_found"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newOSFake(t, "Bearer xoxp-test", tc.steps)
			tc.check(t, slackClientFor(t, f.srv.URL, nil), context.Background())
			f.done()
		})
	}
}

// TestSlackWebAPIURL: the webAPIURL setting sends Web API methods to
// another root than SCIM calls.
func TestSlackWebAPIURL(t *testing.T) {
	scim := newOSFake(t, "Bearer xoxp-test", []osStep{{method: "GET", path: "/scim/v2/Users", query: slackJaneFilter, status: 200, resp: slackSCIMJane},
		{method: "DELETE", path: "/scim/v2/Users/W012A3CDE", status: 204}})
	web := newOSFake(t, "Bearer xoxp-test", []osStep{{method: "POST", path: "/api/chat.postMessage", body: `{"channel":"C1","text":"bye"}`, status: 200,
		resp: `{"ok":true,"channel":"C1","ts":"1.2"}`}})
	c := slackClientFor(t, scim.srv.URL, map[string]string{"webAPIURL": web.srv.URL})
	osCase{action: "deactivateUser", input: map[string]any{"email": "jane.doe@acme.com"}, want: map[string]any{}}.check(t, c, context.Background())
	osCase{action: "postMessage", input: map[string]any{"channel": "C1", "text": "bye"},
		want: map[string]any{"ts": "1.2", "channel": "C1"}}.check(t, c, context.Background())
	scim.done()
	web.done()

	bad := slackClientFor(t, scim.srv.URL, map[string]string{"webAPIURL": "not a url"})
	osCase{action: "postMessage", input: map[string]any{"channel": "C1", "text": "bye"},
		err: &osWantErr{status: 400, code: "invalid_input", message: "webAPIURL"}}.check(t, bad, context.Background())
}

// TestSlackTimeout: a Web API call that gets no answer in time is a
// retryable timeout.
func TestSlackTimeout(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) })
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	osCase{action: "postMessage", input: map[string]any{"channel": "C1", "text": "hi"},
		err: &osWantErr{code: "timeout", retryable: true, message: "no answer in time"}}.check(t, slackClientFor(t, srv.URL, nil), ctx)
}

// slackTransport answers every request with ok:true and records its URL.
type slackTransport struct{ urls []string }

func (tr *slackTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	tr.urls = append(tr.urls, r.URL.String())
	return &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"application/json"}}, Request: r,
		Body: io.NopCloser(strings.NewReader(`{"ok":true,"channel":"C1","ts":"1.2"}`))}, nil
}

// TestSlackWebAPIRoot: with the default baseURL the Web API goes to
// slack.com; against the sandbox everything stays under the instance's
// URL, whatever webAPIURL says.
func TestSlackWebAPIRoot(t *testing.T) {
	for _, tc := range []struct {
		name, base string
		sandbox    bool
		want       string
	}{
		{"default", "https://api.slack.com", false, "https://slack.com/api/chat.postMessage"},
		{"sandbox", "http://127.0.0.1:8787/slack", true, "http://127.0.0.1:8787/slack/api/chat.postMessage"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr := &slackTransport{}
			u, _ := url.Parse(tc.base)
			settings := map[string]string{}
			if tc.sandbox {
				settings["webAPIURL"] = "https://slack.com"
			}
			c, err := connector.NewClient(&connector.Instance{Name: "slack", Type: "slack", BaseURL: u, Sandbox: tc.sandbox,
				Auth: connector.Bearer{Token: "t"}, HTTP: &http.Client{Transport: tr}, Settings: settings})
			if err != nil {
				t.Fatal(err)
			}
			osCase{action: "postMessage", input: map[string]any{"channel": "C1", "text": "x"},
				want: map[string]any{"ts": "1.2", "channel": "C1"}}.check(t, c, context.Background())
			if len(tr.urls) != 1 || tr.urls[0] != tc.want {
				t.Fatalf("requests %v, want %s", tr.urls, tc.want)
			}
		})
	}
}
