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

// gmsExchange is one HTTP call a client must make, and the fake's answer.
type gmsExchange struct {
	method, path string      // path as sent, escaped
	query        url.Values  // nil: no query
	body         string      // expected JSON body; "" for none
	status       int         // default 200
	resp         string      // response body
	header       http.Header // response headers
}

// gmsClientCase is one action and the calls it must make.
type gmsClientCase struct {
	name   string
	action string
	input  map[string]any
	calls  []gmsExchange
	want   map[string]any // outputs, when it succeeds
	err    *effect.Error  // Status, Code, Retryable and RetryAfter, when it fails
	errMsg string         // a substring of the error message
}

const gmsToken = "test-token"

// gmsFake serves the exchanges in order, checking each request.
func gmsFake(t *testing.T, calls []gmsExchange) (*httptest.Server, func() int) {
	t.Helper()
	var mu sync.Mutex
	n := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		if n >= len(calls) {
			t.Errorf("unexpected call %s %s", r.Method, r.URL)
			w.WriteHeader(http.StatusTeapot)
			return
		}
		x := calls[n]
		n++
		if r.Method != x.method || r.URL.EscapedPath() != x.path {
			t.Errorf("call %d: got %s %s, want %s %s", n, r.Method, r.URL.EscapedPath(), x.method, x.path)
		}
		if q := r.URL.Query(); (x.query == nil && len(q) > 0) || (x.query != nil && !reflect.DeepEqual(q, x.query)) {
			t.Errorf("call %d: query %v, want %v", n, q, x.query)
		}
		if got := r.Header.Get("Authorization"); got != "Bearer "+gmsToken {
			t.Errorf("call %d: Authorization %q", n, got)
		}
		data, _ := io.ReadAll(r.Body)
		switch {
		case x.body == "" && len(data) > 0:
			t.Errorf("call %d: unexpected body %s", n, data)
		case x.body != "":
			var got, want any
			if err := json.Unmarshal(data, &got); err != nil {
				t.Errorf("call %d: body %q is not JSON", n, data)
			}
			if err := json.Unmarshal([]byte(x.body), &want); err != nil {
				t.Fatalf("bad test body %s", x.body)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("call %d: body %s, want %s", n, data, x.body)
			}
			if ct := r.Header.Get("Content-Type"); ct != "application/json; charset=utf-8" {
				t.Errorf("call %d: Content-Type %q", n, ct)
			}
		}
		for k, v := range x.header {
			w.Header()[k] = v
		}
		if x.resp != "" {
			w.Header().Set("Content-Type", "application/json")
		}
		status := x.status
		if status == 0 {
			status = http.StatusOK
		}
		w.WriteHeader(status)
		_, _ = io.WriteString(w, x.resp)
	}))
	t.Cleanup(srv.Close)
	return srv, func() int { mu.Lock(); defer mu.Unlock(); return n }
}

// gmsClient builds a client of type typ pointing at srv.
func gmsClient(t *testing.T, typ string, srv *httptest.Server) connector.Client {
	t.Helper()
	u, _ := url.Parse(srv.URL)
	c, err := connector.NewClient(&connector.Instance{Name: typ, Type: typ, BaseURL: u,
		Auth: connector.Bearer{Token: gmsToken}, HTTP: srv.Client(), Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func runGMSClientCases(t *testing.T, typ string, cases []gmsClientCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv, made := gmsFake(t, tc.calls)
			c := gmsClient(t, typ, srv)
			out, err := c.Do(context.Background(), effect.Request{Instance: typ, Type: typ, Action: tc.action, Input: tc.input, Attempt: 1})
			if tc.err == nil {
				if err != nil {
					t.Fatalf("error %v", err)
				}
				if !reflect.DeepEqual(gmsJSON(out), gmsJSON(tc.want)) {
					t.Errorf("outputs %v, want %v", out, tc.want)
				}
			} else {
				e := effect.AsError(err)
				if e == nil {
					t.Fatalf("outputs %v, want an error", out)
				}
				if e.Status != tc.err.Status || e.Code != tc.err.Code || e.Retryable != tc.err.Retryable || e.RetryAfter != tc.err.RetryAfter {
					t.Errorf("error %v (status %d, code %s, retryable %v, retryAfter %s), want status %d, code %s, retryable %v, retryAfter %s",
						e, e.Status, e.Code, e.Retryable, e.RetryAfter, tc.err.Status, tc.err.Code, tc.err.Retryable, tc.err.RetryAfter)
				}
				if !strings.Contains(e.Message, tc.errMsg) {
					t.Errorf("message %q does not contain %q", e.Message, tc.errMsg)
				}
			}
			if n := made(); n != len(tc.calls) {
				t.Errorf("%d calls made, want %d", n, len(tc.calls))
			}
		})
	}
}

// testGMSTimeout checks that a call the vendor never answers fails with a
// retryable timeout when the context's deadline passes.
func testGMSTimeout(t *testing.T, typ, action string, input map[string]any) {
	t.Helper()
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) }) // runs before srv.Close
	c := gmsClient(t, typ, srv)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := c.Do(ctx, effect.Request{Instance: typ, Type: typ, Action: action, Input: input, Attempt: 1})
	e := effect.AsError(err)
	if e == nil || e.Code != "timeout" || !e.Retryable {
		t.Fatalf("got %v, want a retryable timeout", err)
	}
}

func gmsJSON(v any) any {
	b, _ := json.Marshal(v)
	var out any
	_ = json.Unmarshal(b, &out)
	return out
}

const (
	gUsers      = "/admin/directory/v1/users/"
	gVPNMembers = "/admin/directory/v1/groups/vpn@acme.com/members"
	gJaneJSON   = `{"kind":"admin#directory#user","id":"103456789012345678901","etag":"\"x\"","primaryEmail":"jane.doe@acme.com",
		"name":{"givenName":"Jane","familyName":"Doe","fullName":"Jane Doe"},"isAdmin":false,"isDelegatedAdmin":false,
		"lastLoginTime":"2024-01-01T09:00:00.000Z","creationTime":"2020-02-03T10:00:00.000Z","agreedToTerms":true,
		"suspended":false,"archived":false,"changePasswordAtNextLogin":false,"ipWhitelisted":false,
		"emails":[{"address":"jane.doe@acme.com","primary":true}],"customerId":"C01abcd","orgUnitPath":"/Sales",
		"isMailboxSetup":true,"isEnrolledIn2Sv":true,"isEnforcedIn2Sv":false,"includeInGlobalAddressList":true}`
	gBobJSON  = `{"kind":"admin#directory#user","id":"109876543210987654321","primaryEmail":"bob@acme.com","name":{"givenName":"Bob","familyName":"Smith","fullName":"Bob Smith"},"isAdmin":true,"suspended":false,"orgUnitPath":"/"}`
	gAppsJSON = `{"kind":"admin#datatransfer#applicationsList","etag":"\"e\"","applications":[
		{"kind":"admin#datatransfer#ApplicationResource","id":"435070579839","name":"Calendar","transferParams":[{"key":"RELEASE_RESOURCES","value":["TRUE"]}]},
		{"kind":"admin#datatransfer#ApplicationResource","id":"55656082996","name":"Drive and Docs","transferParams":[{"key":"PRIVACY_LEVEL","value":["PRIVATE","SHARED"]}]}]}`
	g404 = `{"error":{"code":404,"message":"Resource Not Found: userKey","errors":[{"message":"Resource Not Found: userKey","domain":"global","reason":"notFound"}]}}`
)

func gErr(code int, msg string) string {
	b, _ := json.Marshal(map[string]any{"error": map[string]any{"code": code, "message": msg,
		"errors": []any{map[string]any{"message": msg, "domain": "global"}}}})
	return string(b)
}

func TestGoogleClient(t *testing.T) {
	jane := map[string]any{"userKey": "jane.doe@acme.com"}
	member := func(extra map[string]any) map[string]any {
		in := map[string]any{"groupKey": "vpn@acme.com", "userKey": "jane.doe@acme.com"}
		for k, v := range extra {
			in[k] = v
		}
		return in
	}
	transfer := func(levels string) []gmsExchange {
		return []gmsExchange{
			{method: "GET", path: gUsers + "jane.doe@acme.com", resp: gJaneJSON},
			{method: "GET", path: gUsers + "bob@acme.com", resp: gBobJSON},
			{method: "GET", path: "/admin/datatransfer/v1/applications", resp: gAppsJSON},
			{method: "POST", path: "/admin/datatransfer/v1/transfers",
				body: `{"oldOwnerUserId":"103456789012345678901","newOwnerUserId":"109876543210987654321",
					"applicationDataTransfers":[{"applicationId":"55656082996","applicationTransferParams":[{"key":"PRIVACY_LEVEL","value":` + levels + `}]}]}`,
				resp: `{"kind":"admin#datatransfer#DataTransfer","etag":"\"t\"","id":"AKrEtIYG","oldOwnerUserId":"103456789012345678901",
					"newOwnerUserId":"109876543210987654321","applicationDataTransfers":[{"applicationId":"55656082996",
					"applicationTransferParams":[{"key":"PRIVACY_LEVEL","value":` + levels + `}],"applicationTransferStatus":"pending"}],
					"overallTransferStatusCode":"inProgress","requestTime":"2024-01-01T09:00:00.000Z"}`},
		}
	}
	runGMSClientCases(t, "google", []gmsClientCase{
		{name: "getUser", action: "getUser", input: jane,
			calls: []gmsExchange{{method: "GET", path: gUsers + "jane.doe@acme.com", resp: gJaneJSON}},
			want: map[string]any{"id": "103456789012345678901", "primaryEmail": "jane.doe@acme.com", "suspended": false,
				"orgUnitPath": "/Sales", "isAdmin": false, "name": map[string]any{"givenName": "Jane", "familyName": "Doe", "fullName": "Jane Doe"}}},
		{name: "getUser missing input", action: "getUser", input: map[string]any{},
			err: &effect.Error{Status: 400, Code: "invalid_input"}, errMsg: "userKey"},
		{name: "getUser 404", action: "getUser", input: jane,
			calls: []gmsExchange{{method: "GET", path: gUsers + "jane.doe@acme.com", status: 404, resp: g404}},
			err:   &effect.Error{Status: 404, Code: "not_found"}, errMsg: "Resource Not Found: userKey"},
		{name: "getUser 429", action: "getUser", input: jane,
			calls: []gmsExchange{{method: "GET", path: gUsers + "jane.doe@acme.com", status: 429, header: http.Header{"Retry-After": {"7"}},
				resp: gErr(429, "Quota exceeded for quota metric 'Queries'")}},
			err: &effect.Error{Status: 429, Code: "rate_limited", Retryable: true, RetryAfter: 7 * time.Second}, errMsg: "Quota exceeded"},
		{name: "getUser 500", action: "getUser", input: jane,
			calls: []gmsExchange{{method: "GET", path: gUsers + "jane.doe@acme.com", status: 500, resp: gErr(500, "Backend Error")}},
			err:   &effect.Error{Status: 500, Code: "server_error", Retryable: true}, errMsg: "Backend Error"},
		{name: "suspendUser", action: "suspendUser", input: jane,
			calls: []gmsExchange{{method: "PUT", path: gUsers + "jane.doe@acme.com", body: `{"suspended":true}`, resp: gJaneJSON}},
			want:  map[string]any{}},
		{name: "unsuspendUser", action: "unsuspendUser", input: jane,
			calls: []gmsExchange{{method: "PUT", path: gUsers + "jane.doe@acme.com", body: `{"suspended":false}`, resp: gJaneJSON}},
			want:  map[string]any{}},
		{name: "suspendUser 403", action: "suspendUser", input: jane,
			calls: []gmsExchange{{method: "PUT", path: gUsers + "jane.doe@acme.com", body: `{"suspended":true}`, status: 403, resp: gErr(403, "Not Authorized to access this resource/api")}},
			err:   &effect.Error{Status: 403, Code: "forbidden"}, errMsg: "Not Authorized"},
		{name: "signOutUser", action: "signOutUser", input: jane,
			calls: []gmsExchange{{method: "POST", path: gUsers + "jane.doe@acme.com/signOut", status: 204}},
			want:  map[string]any{}},
		{name: "transferDrive", action: "transferDrive", input: map[string]any{"fromUser": "jane.doe@acme.com", "toUser": "bob@acme.com"},
			calls: transfer(`["PRIVATE","SHARED"]`), want: map[string]any{"transferId": "AKrEtIYG", "status": "inProgress"}},
		{name: "transferDrive shared only", action: "transferDrive",
			input: map[string]any{"fromUser": "jane.doe@acme.com", "toUser": "bob@acme.com", "privacyLevels": []any{"SHARED"}},
			calls: transfer(`["SHARED"]`), want: map[string]any{"transferId": "AKrEtIYG", "status": "inProgress"}},
		{name: "transferDrive bad privacy level", action: "transferDrive",
			input: map[string]any{"fromUser": "jane.doe@acme.com", "toUser": "bob@acme.com", "privacyLevels": []any{"PUBLIC"}},
			err:   &effect.Error{Status: 400, Code: "invalid_input"}, errMsg: "privacyLevels"},
		{name: "transferDrive unknown new owner", action: "transferDrive", input: map[string]any{"fromUser": "jane.doe@acme.com", "toUser": "nobody@acme.com"},
			calls: []gmsExchange{
				{method: "GET", path: gUsers + "jane.doe@acme.com", resp: gJaneJSON},
				{method: "GET", path: gUsers + "nobody@acme.com", status: 404, resp: g404},
			},
			err: &effect.Error{Status: 404, Code: "not_found"}},
		{name: "transferCalendar", action: "transferCalendar", input: map[string]any{"fromUser": "jane.doe@acme.com", "toUser": "bob@acme.com"},
			calls: []gmsExchange{
				{method: "GET", path: gUsers + "jane.doe@acme.com", resp: gJaneJSON},
				{method: "GET", path: gUsers + "bob@acme.com", resp: gBobJSON},
				{method: "GET", path: "/admin/datatransfer/v1/applications", resp: gAppsJSON},
				{method: "POST", path: "/admin/datatransfer/v1/transfers",
					body: `{"oldOwnerUserId":"103456789012345678901","newOwnerUserId":"109876543210987654321",
					"applicationDataTransfers":[{"applicationId":"435070579839","applicationTransferParams":[{"key":"RELEASE_RESOURCES","value":["TRUE"]}]}]}`,
					resp: `{"kind":"admin#datatransfer#DataTransfer","id":"AKrEtIYH","oldOwnerUserId":"103456789012345678901",
					"newOwnerUserId":"109876543210987654321","applicationDataTransfers":[{"applicationId":"435070579839",
					"applicationTransferParams":[{"key":"RELEASE_RESOURCES","value":["TRUE"]}],"applicationTransferStatus":"pending"}],
					"overallTransferStatusCode":"inProgress","requestTime":"2024-01-01T09:00:00.000Z"}`},
			},
			want: map[string]any{"transferId": "AKrEtIYH", "status": "inProgress"}},
		{name: "transferCalendar unknown old owner", action: "transferCalendar", input: map[string]any{"fromUser": "nobody@acme.com", "toUser": "bob@acme.com"},
			calls: []gmsExchange{{method: "GET", path: gUsers + "nobody@acme.com", status: 404, resp: g404}},
			err:   &effect.Error{Status: 404, Code: "not_found"}},
		{name: "addToGroup", action: "addToGroup", input: member(nil),
			calls: []gmsExchange{{method: "POST", path: gVPNMembers, body: `{"email":"jane.doe@acme.com","role":"MEMBER"}`,
				resp: `{"kind":"admin#directory#member","etag":"\"m\"","id":"103456789012345678901","email":"jane.doe@acme.com","role":"MEMBER","type":"USER","status":"ACTIVE"}`}},
			want: map[string]any{}},
		{name: "addToGroup by id", action: "addToGroup", input: member(map[string]any{"userKey": "103456789012345678901"}),
			calls: []gmsExchange{{method: "POST", path: gVPNMembers, body: `{"id":"103456789012345678901","role":"MEMBER"}`,
				resp: `{"kind":"admin#directory#member","id":"103456789012345678901","email":"jane.doe@acme.com","role":"MEMBER","type":"USER","status":"ACTIVE"}`}},
			want: map[string]any{}},
		{name: "addToGroup already a member", action: "addToGroup", input: member(nil),
			calls: []gmsExchange{{method: "POST", path: gVPNMembers, body: `{"email":"jane.doe@acme.com","role":"MEMBER"}`,
				status: 409, resp: gErr(409, "Member already exists.")}},
			want: map[string]any{}},
		{name: "addToGroup other conflict", action: "addToGroup", input: member(nil),
			calls: []gmsExchange{{method: "POST", path: gVPNMembers, body: `{"email":"jane.doe@acme.com","role":"MEMBER"}`,
				status: 409, resp: gErr(409, "Conflict")}},
			err: &effect.Error{Status: 409, Code: "conflict"}},
		{name: "removeFromGroup", action: "removeFromGroup", input: member(nil),
			calls: []gmsExchange{{method: "DELETE", path: gVPNMembers + "/jane.doe@acme.com", status: 204}},
			want:  map[string]any{}},
		{name: "removeFromGroup not a member", action: "removeFromGroup", input: member(nil),
			calls: []gmsExchange{
				{method: "DELETE", path: gVPNMembers + "/jane.doe@acme.com", status: 404, resp: gErr(404, "Resource Not Found: memberKey")},
				{method: "GET", path: gUsers + "jane.doe@acme.com", resp: gJaneJSON},
			},
			want: map[string]any{}},
		{name: "removeFromGroup unknown user", action: "removeFromGroup", input: member(nil),
			calls: []gmsExchange{
				{method: "DELETE", path: gVPNMembers + "/jane.doe@acme.com", status: 404, resp: gErr(404, "Resource Not Found: memberKey")},
				{method: "GET", path: gUsers + "jane.doe@acme.com", status: 404, resp: g404},
			},
			err: &effect.Error{Status: 404, Code: "not_found"}, errMsg: "userKey"},
		{name: "removeFromGroup unknown group", action: "removeFromGroup", input: member(nil),
			calls: []gmsExchange{{method: "DELETE", path: gVPNMembers + "/jane.doe@acme.com", status: 404, resp: gErr(404, "Resource Not Found: groupKey")}},
			err:   &effect.Error{Status: 404, Code: "not_found"}, errMsg: "groupKey"},
	})
}

func TestGoogleClientTimeout(t *testing.T) {
	testGMSTimeout(t, "google", "suspendUser", map[string]any{"userKey": "jane.doe@acme.com"})
}

// TestGMSClientsEscapePathSegments checks that keys interpolated into
// paths are escaped once: "/", "?", "#" and spaces cannot change the
// request.
func TestGMSClientsEscapePathSegments(t *testing.T) {
	key := "a/b?c#d e@acme.com"
	cases := []struct{ typ, action, input, want string }{
		{"google", "getUser", "userKey", "/admin/directory/v1/users/a%2Fb%3Fc%23d%20e@acme.com"},
		{"microsoft", "disableUser", "userId", "/v1.0/users/a%2Fb%3Fc%23d%20e@acme.com"},
	}
	for _, tc := range cases {
		t.Run(tc.typ, func(t *testing.T) {
			var got string
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				got = r.URL.EscapedPath()
				w.WriteHeader(http.StatusNoContent)
			}))
			defer srv.Close()
			_, _ = gmsClient(t, tc.typ, srv).Do(context.Background(), effect.Request{Action: tc.action, Input: map[string]any{tc.input: key}})
			if got != tc.want {
				t.Errorf("path %s, want %s", got, tc.want)
			}
		})
	}
}
