package connector_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jml-dev/jml/pkg/connector"
	"github.com/jml-dev/jml/pkg/effect"
)

// The Okta response bodies below follow the shapes of the Management API
// traffic recorded by okta/okta-sdk-test-server (scenarios/*.har, commit
// 7e0d33ed6acd836ae7e7a9aeae083f058dcb6604; see
// /work/shared/reference/okta/SOURCES.txt), trimmed, with test ids.

// osStep is one expected request of a fake vendor and its answer.
type osStep struct {
	method, path string
	// query is the expected raw query, compared as decoded values.
	query string
	// body is the expected JSON body ("" for none).
	body string
	// auth is the expected Authorization header ("" to use the osFake's).
	auth   string
	status int
	header map[string]string
	// resp is the response body; {{URL}} is replaced by the server's URL.
	resp string
}

// osFake is an httptest server that expects a script of requests.
type osFake struct {
	t     *testing.T
	srv   *httptest.Server
	auth  string
	mu    sync.Mutex
	steps []osStep
	n     int
}

func newOSFake(t *testing.T, auth string, steps []osStep) *osFake {
	t.Helper()
	f := &osFake{t: t, auth: auth, steps: steps}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *osFake) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	i := f.n
	f.n++
	f.mu.Unlock()
	if i >= len(f.steps) {
		f.t.Errorf("unexpected request %s %s", r.Method, r.URL)
		http.Error(w, "unexpected", http.StatusTeapot)
		return
	}
	s := f.steps[i]
	if r.Method != s.method || !osPathMatch(r.URL.EscapedPath(), s.path) {
		f.t.Errorf("request %d: got %s %s, want %s %s", i, r.Method, r.URL.EscapedPath(), s.method, s.path)
	}
	want, _ := url.ParseQuery(s.query)
	if got := r.URL.Query(); !(len(got) == 0 && len(want) == 0) && !reflect.DeepEqual(got, want) {
		f.t.Errorf("request %d: query %v, want %v", i, got, want)
	}
	auth := s.auth
	if auth == "" {
		auth = f.auth
	}
	if got := r.Header.Get("Authorization"); got != auth {
		f.t.Errorf("request %d: Authorization %q, want %q", i, got, auth)
	}
	data, _ := io.ReadAll(r.Body)
	switch {
	case s.body == "" && len(data) > 0:
		f.t.Errorf("request %d: unexpected body %s", i, data)
	case s.body != "":
		var got, exp any
		if err := json.Unmarshal(data, &got); err != nil {
			f.t.Errorf("request %d: body %q is not JSON", i, data)
		}
		_ = json.Unmarshal([]byte(s.body), &exp)
		if !reflect.DeepEqual(got, exp) {
			f.t.Errorf("request %d: body %s, want %s", i, data, s.body)
		}
		if ct := r.Header.Get("Content-Type"); ct != "application/json; charset=utf-8" {
			f.t.Errorf("request %d: Content-Type %q", i, ct)
		}
	}
	for k, v := range s.header {
		w.Header().Set(k, strings.ReplaceAll(v, "{{URL}}", f.srv.URL))
	}
	if s.resp != "" {
		w.Header().Set("Content-Type", "application/json")
	}
	w.WriteHeader(s.status)
	_, _ = io.WriteString(w, strings.ReplaceAll(s.resp, "{{URL}}", f.srv.URL))
}

// osPathMatch compares an escaped path with a pattern; a pattern ending in
// "*" matches one more escaped segment (no "/").
func osPathMatch(got, pattern string) bool {
	if p, ok := strings.CutSuffix(pattern, "*"); ok {
		rest, ok := strings.CutPrefix(got, p)
		return ok && rest != "" && !strings.Contains(rest, "/")
	}
	return got == pattern
}

// done fails the test unless every osStep was requested.
func (f *osFake) done() {
	f.t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.n != len(f.steps) {
		f.t.Errorf("%d requests made, want %d", f.n, len(f.steps))
	}
}

func oktaClientFor(t *testing.T, base string) connector.Client {
	t.Helper()
	u, _ := url.Parse(base)
	c, err := connector.NewClient(&connector.Instance{Name: "okta", Type: "okta", BaseURL: u,
		Auth: connector.SSWS{Token: "test-token"}, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

const (
	oktaJane = `{"id":"00u1jane0001","status":"ACTIVE","created":"2017-07-13T22:09:02.000Z","activated":null,` +
		`"statusChanged":null,"lastLogin":null,"lastUpdated":"2017-07-13T22:09:02.000Z","passwordChanged":"2017-07-13T22:09:02.000Z",` +
		`"profile":{"lastName":"Doe","secondEmail":null,"mobilePhone":null,"email":"jane.doe@acme.com","login":"jane.doe@acme.com","firstName":"Jane"},` +
		`"credentials":{"password":{},"provider":{"type":"OKTA","name":"OKTA"}},` +
		`"_links":{"self":{"href":"{{URL}}/api/v1/users/00u1jane0001"}}}`
	oktaBoss = `{"id":"00u1boss0009","status":"ACTIVE","profile":{"login":"boss@acme.com","email":"boss@acme.com","firstName":"Big","lastName":"Boss"},` +
		`"_links":{"self":{"href":"{{URL}}/api/v1/users/00u1boss0009"}}}`
	oktaNotFound = `{"errorCode":"E0000007","errorSummary":"Not found: Resource not found: nobody@acme.com (User)",` +
		`"errorLink":"E0000007","errorId":"oaeHF_aPJskSVCFc3Q-7BJhKQ","errorCauses":[]}`
	oktaRateLimited = `{"errorCode":"E0000047","errorSummary":"API call exceeded rate limit due to too many requests.",` +
		`"errorLink":"E0000047","errorId":"oae1","errorCauses":[]}`
	oktaGroups = `[{"id":"00g1vpn00001","created":"2017-07-13T22:08:42.000Z","lastUpdated":"2017-07-13T22:08:42.000Z",` +
		`"lastMembershipUpdated":"2017-07-13T22:08:42.000Z","objectClass":["okta:user_group"],"type":"OKTA_GROUP",` +
		`"profile":{"name":"vpn-users","description":null},"_links":{"users":{"href":"{{URL}}/api/v1/groups/00g1vpn00001/users"}}}]`
)

var oktaJaneOut = map[string]any{"id": "00u1jane0001", "status": "ACTIVE", "lastLogin": nil, "profile": map[string]any{
	"lastName": "Doe", "secondEmail": nil, "mobilePhone": nil, "email": "jane.doe@acme.com", "login": "jane.doe@acme.com", "firstName": "Jane"}}

// osWantErr is the expected failure of an action.
type osWantErr struct {
	status     int
	code       string
	retryable  bool
	retryAfter time.Duration
	// message is a substring of the message.
	message string
}

// osCase is one action against a scripted fake vendor.
type osCase struct {
	name   string
	action string
	input  map[string]any
	steps  []osStep
	want   map[string]any
	err    *osWantErr
}

// check runs c's action and compares its outputs or error.
func (vc osCase) check(t *testing.T, client connector.Client, ctx context.Context) {
	t.Helper()
	out, err := client.Do(ctx, effect.Request{Instance: "x", Action: vc.action, Input: vc.input, Attempt: 1})
	if vc.err != nil {
		e := effect.AsError(err)
		if e == nil {
			t.Fatalf("got %v, want error %+v", out, *vc.err)
		}
		if e.Status != vc.err.status || e.Code != vc.err.code || e.Retryable != vc.err.retryable || e.RetryAfter != vc.err.retryAfter {
			t.Fatalf("error %v: status %d code %s retryable %v retryAfter %s; want %+v", e, e.Status, e.Code, e.Retryable, e.RetryAfter, *vc.err)
		}
		if !strings.Contains(e.Message, vc.err.message) {
			t.Fatalf("error message %q does not contain %q", e.Message, vc.err.message)
		}
		return
	}
	if err != nil {
		t.Fatalf("error: %v", err)
	}
	if !reflect.DeepEqual(osJSON(out), osJSON(vc.want)) {
		got, _ := json.Marshal(out)
		want, _ := json.Marshal(vc.want)
		t.Fatalf("outputs\n got %s\nwant %s", got, want)
	}
}

func osJSON(v any) any {
	b, _ := json.Marshal(v)
	var out any
	_ = json.Unmarshal(b, &out)
	return out
}

func TestOktaActions(t *testing.T) {
	cases := []osCase{
		{name: "getUser by id", action: "getUser", input: map[string]any{"userId": "00u1jane0001"},
			steps: []osStep{{method: "GET", path: "/api/v1/users/00u1jane0001", status: 200, resp: oktaJane}},
			want:  oktaJaneOut},
		{name: "getUser by login", action: "getUser", input: map[string]any{"userId": "jane.doe@acme.com"},
			steps: []osStep{{method: "GET", path: "/api/v1/users/jane.doe@acme.com", status: 200, resp: oktaJane}},
			want:  oktaJaneOut},
		// The id stays one path segment, escaped once (SPEC §10).
		{name: "getUser escapes the id", action: "getUser", input: map[string]any{"userId": "../groups?x"},
			steps: []osStep{{method: "GET", path: "/api/v1/users/..%2Fgroups%3Fx", status: 404, resp: oktaNotFound}},
			err:   &osWantErr{status: 404, code: "not_found", message: "Not found"}},
		{name: "getUser 404", action: "getUser", input: map[string]any{"userId": "nobody@acme.com"},
			steps: []osStep{{method: "GET", path: "/api/v1/users/nobody@acme.com", status: 404, resp: oktaNotFound}},
			err:   &osWantErr{status: 404, code: "not_found", message: "Resource not found: nobody@acme.com (User)"}},
		{name: "getUser 429 Retry-After", action: "getUser", input: map[string]any{"userId": "00u1jane0001"},
			steps: []osStep{{method: "GET", path: "/api/v1/users/00u1jane0001", status: 429, resp: oktaRateLimited,
				header: map[string]string{"Retry-After": "7"}}},
			err: &osWantErr{status: 429, code: "rate_limited", retryable: true, retryAfter: 7 * time.Second, message: "rate limit"}},
		{name: "getUser 500", action: "getUser", input: map[string]any{"userId": "00u1jane0001"},
			steps: []osStep{{method: "GET", path: "/api/v1/users/00u1jane0001", status: 500,
				resp: `{"errorCode":"E0000009","errorSummary":"Internal Server Error","errorCauses":[]}`}},
			err: &osWantErr{status: 500, code: "server_error", retryable: true, message: "Internal Server Error"}},
		{name: "getUser without userId", action: "getUser", input: map[string]any{},
			err: &osWantErr{status: 400, code: "invalid_input", message: `"userId" is required`}},
		{name: "getManager", action: "getManager", input: map[string]any{"userId": "00u1jane0001"},
			steps: []osStep{
				{method: "GET", path: "/api/v1/users/00u1jane0001/linkedObjects/manager", status: 200,
					resp: `[{"_links":{"self":{"href":"{{URL}}/api/v1/users/00u1boss0009"}}}]`},
				{method: "GET", path: "/api/v1/users/00u1boss0009", status: 200, resp: oktaBoss},
			},
			want: map[string]any{"id": "00u1boss0009", "status": "ACTIVE", "lastLogin": nil, "profile": map[string]any{
				"login": "boss@acme.com", "email": "boss@acme.com", "firstName": "Big", "lastName": "Boss"}}},
		{name: "getManager by login resolves the id first", action: "getManager", input: map[string]any{"userId": "jane.doe@acme.com"},
			steps: []osStep{
				{method: "GET", path: "/api/v1/users/jane.doe@acme.com", status: 200, resp: oktaJane},
				{method: "GET", path: "/api/v1/users/00u1jane0001/linkedObjects/manager", status: 200,
					resp: `[{"_links":{"self":{"href":"{{URL}}/api/v1/users/00u1boss0009"}}}]`},
				{method: "GET", path: "/api/v1/users/00u1boss0009", status: 200, resp: oktaBoss},
			},
			want: map[string]any{"id": "00u1boss0009", "status": "ACTIVE", "lastLogin": nil, "profile": map[string]any{
				"login": "boss@acme.com", "email": "boss@acme.com", "firstName": "Big", "lastName": "Boss"}}},
		{name: "getManager without a manager", action: "getManager", input: map[string]any{"userId": "00u1jane0001"},
			steps: []osStep{{method: "GET", path: "/api/v1/users/00u1jane0001/linkedObjects/manager", status: 200, resp: `[]`}},
			err:   &osWantErr{status: 404, code: "not_found", message: "has no manager"}},
		{name: "listUserGroups", action: "listUserGroups", input: map[string]any{"userId": "00u1jane0001"},
			steps: []osStep{{method: "GET", path: "/api/v1/users/00u1jane0001/groups", status: 200, resp: oktaGroups}},
			want: map[string]any{"groups": []any{map[string]any{"id": "00g1vpn00001", "type": "OKTA_GROUP",
				"profile": map[string]any{"name": "vpn-users", "description": nil}}}}},
		{name: "addUserToGroup", action: "addUserToGroup", input: map[string]any{"userId": "00u1jane0001", "groupId": "00g1vpn00001"},
			steps: []osStep{{method: "PUT", path: "/api/v1/groups/00g1vpn00001/users/00u1jane0001", status: 204}},
			want:  map[string]any{}},
		{name: "addUserToGroup by login resolves the id", action: "addUserToGroup",
			input: map[string]any{"userId": "jane.doe@acme.com", "groupId": "00g1vpn00001"},
			steps: []osStep{
				{method: "GET", path: "/api/v1/users/jane.doe@acme.com", status: 200, resp: oktaJane},
				{method: "PUT", path: "/api/v1/groups/00g1vpn00001/users/00u1jane0001", status: 204},
			},
			want: map[string]any{}},
		{name: "addUserToGroup unknown group", action: "addUserToGroup", input: map[string]any{"userId": "00u1jane0001", "groupId": "00gnope"},
			steps: []osStep{{method: "PUT", path: "/api/v1/groups/00gnope/users/00u1jane0001", status: 404,
				resp: `{"errorCode":"E0000007","errorSummary":"Not found: Resource not found: 00gnope (UserGroup)","errorCauses":[]}`}},
			err: &osWantErr{status: 404, code: "not_found", message: "UserGroup"}},
		{name: "addUserToGroup without groupId", action: "addUserToGroup", input: map[string]any{"userId": "00u1jane0001"},
			err: &osWantErr{status: 400, code: "invalid_input", message: `"groupId" is required`}},
		{name: "removeUserFromGroup", action: "removeUserFromGroup", input: map[string]any{"userId": "00u1jane0001", "groupId": "00g1vpn00001"},
			steps: []osStep{{method: "DELETE", path: "/api/v1/groups/00g1vpn00001/users/00u1jane0001", status: 204}},
			want:  map[string]any{}},
		{name: "clearUserSessions", action: "clearUserSessions",
			input: map[string]any{"userId": "00u1jane0001", "oauthTokens": true, "forgetDevices": false},
			steps: []osStep{{method: "DELETE", path: "/api/v1/users/00u1jane0001/sessions", query: "oauthTokens=true&forgetDevices=false", status: 204}},
			want:  map[string]any{}},
		{name: "clearUserSessions sends both flags, with the catalogue's defaults", action: "clearUserSessions", input: map[string]any{"userId": "00u1jane0001"},
			steps: []osStep{{method: "DELETE", path: "/api/v1/users/00u1jane0001/sessions", query: "oauthTokens=false&forgetDevices=true", status: 204}},
			want:  map[string]any{}},
		{name: "deactivateUser", action: "deactivateUser", input: map[string]any{"userId": "00u1jane0001", "sendEmail": false},
			steps: []osStep{{method: "POST", path: "/api/v1/users/00u1jane0001/lifecycle/deactivate", query: "sendEmail=false", status: 200, resp: `{}`}},
			want:  map[string]any{}},
		{name: "suspendUser", action: "suspendUser", input: map[string]any{"userId": "00u1jane0001"},
			steps: []osStep{{method: "POST", path: "/api/v1/users/00u1jane0001/lifecycle/suspend", status: 200, resp: `{}`}},
			want:  map[string]any{}},
		{name: "unsuspendUser", action: "unsuspendUser", input: map[string]any{"userId": "00u1jane0001"},
			steps: []osStep{{method: "POST", path: "/api/v1/users/00u1jane0001/lifecycle/unsuspend", status: 200, resp: `{}`}},
			want:  map[string]any{}},
		{name: "unsuspendUser not suspended", action: "unsuspendUser", input: map[string]any{"userId": "00u1jane0001"},
			steps: []osStep{{method: "POST", path: "/api/v1/users/00u1jane0001/lifecycle/unsuspend", status: 400,
				resp: `{"errorCode":"E0000001","errorSummary":"Api validation failed: Cannot unsuspend a user that is not suspended","errorCauses":[]}`}},
			err: &osWantErr{status: 400, code: "invalid_input", message: "Cannot unsuspend"}},
		{name: "updateUserProfile", action: "updateUserProfile",
			input: map[string]any{"userId": "00u1jane0001", "profile": map[string]any{"title": "Rep", "nickName": "Batman"}},
			steps: []osStep{{method: "POST", path: "/api/v1/users/00u1jane0001", body: `{"profile":{"title":"Rep","nickName":"Batman"}}`, status: 200,
				resp: `{"id":"00u1jane0001","status":"ACTIVE","profile":{"login":"jane.doe@acme.com","title":"Rep","nickName":"Batman"}}`}},
			want: map[string]any{"id": "00u1jane0001", "status": "ACTIVE", "lastLogin": nil, "profile": map[string]any{"login": "jane.doe@acme.com", "title": "Rep", "nickName": "Batman"}}},
		{name: "updateUserProfile without profile", action: "updateUserProfile", input: map[string]any{"userId": "00u1jane0001"},
			err: &osWantErr{status: 400, code: "invalid_input", message: `"profile"`}},
		{name: "listUsers follows Link next", action: "listUsers",
			input: map[string]any{"search": `profile.department eq "Sales"`},
			steps: []osStep{
				{method: "GET", path: "/api/v1/users", query: `search=profile.department+eq+%22Sales%22&limit=200`, status: 200,
					header: map[string]string{"Link": `<{{URL}}/api/v1/users?limit=200>; rel="self", <{{URL}}/api/v1/users?after=00u1jane0001&limit=200&search=profile.department+eq+%22Sales%22>; rel="next"`},
					resp:   "[" + oktaJane + "]"},
				{method: "GET", path: "/api/v1/users", query: `after=00u1jane0001&limit=200&search=profile.department+eq+%22Sales%22`, status: 200,
					header: map[string]string{"Link": `<{{URL}}/api/v1/users?after=00u1jane0001&limit=200>; rel="self"`},
					resp:   "[" + oktaBoss + "]"},
			},
			want: map[string]any{"users": []any{oktaJaneOut, map[string]any{"id": "00u1boss0009", "status": "ACTIVE", "lastLogin": nil, "profile": map[string]any{
				"login": "boss@acme.com", "email": "boss@acme.com", "firstName": "Big", "lastName": "Boss"}}}}},
		{name: "listUsers stops at the limit", action: "listUsers", input: map[string]any{"filter": `status eq "ACTIVE"`, "limit": 1},
			steps: []osStep{{method: "GET", path: "/api/v1/users", query: `filter=status+eq+%22ACTIVE%22&limit=1`, status: 200,
				header: map[string]string{"Link": `<{{URL}}/api/v1/users?after=00u1jane0001&limit=1>; rel="next"`},
				resp:   "[" + oktaJane + "]"}},
			want: map[string]any{"users": []any{oktaJaneOut}}},
		{name: "listUsers empty", action: "listUsers", input: map[string]any{},
			steps: []osStep{{method: "GET", path: "/api/v1/users", query: "limit=200", status: 200, resp: `[]`}},
			want:  map[string]any{"users": []any{}}},
		{name: "listUsers bad search", action: "listUsers", input: map[string]any{"search": "profile.x zz"},
			steps: []osStep{{method: "GET", path: "/api/v1/users", query: "search=profile.x+zz&limit=200", status: 400,
				resp: `{"errorCode":"E0000031","errorSummary":"Invalid search criteria.","errorCauses":[]}`}},
			err: &osWantErr{status: 400, code: "invalid_input", message: "Invalid search"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newOSFake(t, "SSWS test-token", tc.steps)
			tc.check(t, oktaClientFor(t, f.srv.URL), context.Background())
			f.done()
		})
	}
}

// TestOktaLinkUnderBasePath: behind a base path (the sandbox's /INSTANCE),
// next links carry the prefix; one outside it is refused, never followed.
func TestOktaLinkUnderBasePath(t *testing.T) {
	f := newOSFake(t, "SSWS test-token", []osStep{
		{method: "GET", path: "/okta/api/v1/users", query: "limit=200", status: 200,
			header: map[string]string{"Link": `<{{URL}}/okta/api/v1/users?after=a&limit=200>; rel="next"`}, resp: "[" + oktaJane + "]"},
		{method: "GET", path: "/okta/api/v1/users", query: "after=a&limit=200", status: 200,
			header: map[string]string{"Link": `<https://evil.example/elsewhere?after=b>; rel="next"`}, resp: "[" + oktaBoss + "]"},
	})
	osCase{action: "listUsers", input: map[string]any{},
		err: &osWantErr{code: "bad_response", message: "outside"}}.check(t, oktaClientFor(t, f.srv.URL+"/okta"), context.Background())
	f.done()
}

// TestOktaTimeout: a vendor that does not answer in time is a retryable
// timeout.
func TestOktaTimeout(t *testing.T) {
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
	osCase{action: "getUser", input: map[string]any{"userId": "00u1jane0001"},
		err: &osWantErr{code: "timeout", retryable: true, message: "no answer in time"}}.check(t, oktaClientFor(t, srv.URL), ctx)
}
