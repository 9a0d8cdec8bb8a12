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

// The servicenow, jira, github and http client tests share a fake vendor
// (rv: REST vendor) that expects calls in order.

// rvCall is one HTTP call a client must make, and the fake's answer.
type rvCall struct {
	method string
	// path is the escaped path after the base URL's.
	path string
	// query, when not nil, must equal the request's.
	query url.Values
	// body, when not nil, must equal the request's JSON body (compared as
	// JSON); a string is compared with the raw body.
	body any
	// header lists headers the request must carry ("" for must be absent).
	header map[string]string
	status int
	// resp is sent as JSON, or as is when a string.
	resp       any
	respHeader map[string]string
}

// rvFake serves calls in order under /base and fails the test on any
// other request; it checks the bearer token of every request.
type rvFake struct {
	t     *testing.T
	srv   *httptest.Server
	mu    sync.Mutex
	calls []rvCall
	n     int
}

func newRVFake(t *testing.T, calls ...rvCall) *rvFake {
	f := &rvFake{t: t, calls: calls}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *rvFake) serve(w http.ResponseWriter, r *http.Request) {
	t := f.t
	f.mu.Lock()
	i := f.n
	f.n++
	f.mu.Unlock()
	if i >= len(f.calls) {
		t.Errorf("unexpected call %d: %s %s", i+1, r.Method, r.URL)
		w.WriteHeader(http.StatusTeapot)
		return
	}
	c := f.calls[i]
	if got := r.Method + " " + strings.TrimPrefix(r.URL.EscapedPath(), "/base"); got != c.method+" "+c.path {
		t.Errorf("call %d: %s, want %s %s", i+1, got, c.method, c.path)
	}
	if got := r.Header.Get("Authorization"); got != "Bearer t0ken" {
		t.Errorf("call %d: Authorization %q", i+1, got)
	}
	if c.query != nil && !reflect.DeepEqual(r.URL.Query(), c.query) {
		t.Errorf("call %d: query %v, want %v", i+1, r.URL.Query(), c.query)
	}
	for k, v := range c.header {
		if got := r.Header.Get(k); got != v {
			t.Errorf("call %d: header %s = %q, want %q", i+1, k, got, v)
		}
	}
	data, _ := io.ReadAll(r.Body)
	switch want := c.body.(type) {
	case nil:
	case string:
		if string(data) != want {
			t.Errorf("call %d: body %q, want %q", i+1, data, want)
		}
	default:
		var got any
		if err := json.Unmarshal(data, &got); err != nil || !reflect.DeepEqual(got, rvJSON(want)) {
			t.Errorf("call %d: body %s, want %s", i+1, data, mustMarshal(want))
		}
	}
	w.Header()["Date"] = nil
	for k, v := range c.respHeader {
		w.Header().Set(k, v)
	}
	status := c.status
	if status == 0 {
		status = http.StatusOK
	}
	switch b := c.resp.(type) {
	case nil:
		w.WriteHeader(status)
	case string:
		w.WriteHeader(status)
		_, _ = io.WriteString(w, b)
	default:
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = w.Write(mustMarshal(b))
	}
}

// client returns a client of typ pointing at the fake's /base.
func (f *rvFake) client(t *testing.T, typ string, settings map[string]string) connector.Client {
	u, _ := url.Parse(f.srv.URL + "/base")
	c, err := connector.NewClient(&connector.Instance{Name: typ, Type: typ, BaseURL: u, Auth: connector.Bearer{Token: "t0ken"},
		HTTP: f.srv.Client(), Timeout: 5 * time.Second, Settings: settings})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func (f *rvFake) served() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.n
}

// rvCase is one action and the calls it must make.
type rvCase struct {
	name     string
	req      effect.Request
	settings map[string]string
	calls    []rvCall
	want     map[string]any
	// err, when set, is the error wanted (status, code, retryable,
	// RetryAfter compared); msg a part of its message.
	err *effect.Error
	msg string
}

func runRV(t *testing.T, typ string, cases []rvCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newRVFake(t, tc.calls...)
			got, err := f.client(t, typ, tc.settings).Do(context.Background(), tc.req)
			if n := f.served(); n != len(tc.calls) {
				t.Errorf("%d calls made, want %d", n, len(tc.calls))
			}
			if tc.err != nil {
				e := effect.AsError(err)
				if e == nil {
					t.Fatalf("got %v, want error %d %s", got, tc.err.Status, tc.err.Code)
				}
				if e.Status != tc.err.Status || e.Code != tc.err.Code || e.Retryable != tc.err.Retryable || e.RetryAfter != tc.err.RetryAfter {
					t.Fatalf("error %#v, want %#v", e, tc.err)
				}
				if !strings.Contains(e.Message, tc.msg) {
					t.Fatalf("message %q does not contain %q", e.Message, tc.msg)
				}
				return
			}
			if err != nil {
				t.Fatalf("error %v", err)
			}
			if !reflect.DeepEqual(rvJSON(got), rvJSON(tc.want)) {
				t.Fatalf("got %s, want %s", mustMarshal(got), mustMarshal(tc.want))
			}
		})
	}
}

// rvTimeout checks that a call without an answer before the context's
// deadline is a retryable timeout.
func rvTimeout(t *testing.T, typ string, req effect.Request) {
	t.Helper()
	block := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-block:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(block) })
	u, _ := url.Parse(srv.URL)
	c, err := connector.NewClient(&connector.Instance{Name: typ, Type: typ, BaseURL: u, Auth: connector.Bearer{Token: "t0ken"}, HTTP: srv.Client()})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err = c.Do(ctx, req)
	if e := effect.AsError(err); e == nil || e.Code != "timeout" || !e.Retryable {
		t.Fatalf("got %#v, want a retryable timeout", e)
	}
}

func rvJSON(v any) any {
	var out any
	_ = json.Unmarshal(mustMarshal(v), &out)
	return out
}

func mustMarshal(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

func TestHTTPClient(t *testing.T) {
	req := func(in map[string]any) effect.Request {
		return effect.Request{Action: "request", Input: in, IdempotencyKey: "jml-k1"}
	}
	runRV(t, "http", []rvCase{
		{name: "write with query, headers, body and idempotency key",
			req: req(map[string]any{"method": "post", "path": "api/users", "query": map[string]any{"a": "b", "n": 10, "l": []any{"x", "y"}},
				"headers": map[string]any{"x-trace": "1"}, "body": map[string]any{"x": 1}, "expect": []any{201}}),
			calls: []rvCall{{method: "POST", path: "/api/users", query: url.Values{"a": {"b"}, "n": {"10"}, "l": {"x", "y"}},
				header: map[string]string{"X-Trace": "1", "Idempotency-Key": "jml-k1", "Content-Type": "application/json; charset=utf-8", "Jml-Headers": ""},
				body:   map[string]any{"x": 1}, status: 201, resp: map[string]any{"id": "u1"}, respHeader: map[string]string{"Location": "/api/users/u1"}}},
			want: map[string]any{"status": 201, "body": map[string]any{"id": "u1"},
				"headers": map[string]any{"Location": "/api/users/u1", "Content-Type": "application/json", "Content-Length": "11"}}},
		{name: "read has no idempotency key; escaping of path and query",
			req:   req(map[string]any{"method": "GET", "path": "/employees/jane doe/a%2Fb?x=1&y=2", "query": map[string]any{"y": "a&b=c"}}),
			calls: []rvCall{{method: "GET", path: "/employees/jane%20doe/a%2Fb", query: url.Values{"x": {"1"}, "y": {"a&b=c"}}, header: map[string]string{"Idempotency-Key": ""}, resp: "plain", respHeader: map[string]string{"Content-Type": "text/plain"}}},
			want:  map[string]any{"status": 200, "body": "plain", "headers": map[string]any{"Content-Type": "text/plain", "Content-Length": "5"}}},
		{name: "string body is sent as text",
			req:   req(map[string]any{"method": "PUT", "path": "/x", "body": "<a/>", "headers": map[string]any{"Content-Type": "application/xml"}}),
			calls: []rvCall{{method: "PUT", path: "/x", body: "<a/>", header: map[string]string{"Content-Type": "application/xml"}, status: 204}},
			want:  map[string]any{"status": 204, "body": nil, "headers": map[string]any{}}},
		{name: "status outside expect",
			req:   req(map[string]any{"method": "DELETE", "path": "/employees/42"}),
			calls: []rvCall{{method: "DELETE", path: "/employees/42", status: 409, resp: map[string]any{"message": "employee is locked"}}},
			err:   &effect.Error{Status: 409, Code: "conflict"}, msg: "employee is locked"},
		{name: "expected failure status",
			req:   req(map[string]any{"method": "DELETE", "path": "/employees/42", "expect": []any{409}}),
			calls: []rvCall{{method: "DELETE", path: "/employees/42", status: 409, resp: map[string]any{"message": "locked"}}},
			want:  map[string]any{"status": 409, "body": map[string]any{"message": "locked"}, "headers": map[string]any{"Content-Type": "application/json", "Content-Length": "20"}}},
		{name: "2xx outside expect",
			req:   req(map[string]any{"method": "POST", "path": "/x", "expect": []any{201}}),
			calls: []rvCall{{method: "POST", path: "/x", resp: map[string]any{}}},
			err:   &effect.Error{Status: 200, Code: "error"}, msg: "HTTP 200"},
		{name: "404", req: req(map[string]any{"method": "GET", "path": "/nope"}),
			calls: []rvCall{{method: "GET", path: "/nope", status: 404, resp: "no such thing"}},
			err:   &effect.Error{Status: 404, Code: "not_found"}, msg: "no such thing"},
		{name: "429 with Retry-After", req: req(map[string]any{"method": "GET", "path": "/x"}),
			calls: []rvCall{{method: "GET", path: "/x", status: 429, respHeader: map[string]string{"Retry-After": "3"}}},
			err:   &effect.Error{Status: 429, Code: "rate_limited", Retryable: true, RetryAfter: 3 * time.Second}},
		{name: "500", req: req(map[string]any{"method": "GET", "path": "/x"}),
			calls: []rvCall{{method: "GET", path: "/x", status: 500, resp: map[string]any{"error": "boom"}}},
			err:   &effect.Error{Status: 500, Code: "server_error", Retryable: true}, msg: "boom"},
		{name: "HEAD has no body", req: req(map[string]any{"method": "HEAD", "path": "/x"}),
			calls: []rvCall{{method: "HEAD", path: "/x", respHeader: map[string]string{"X-Count": "2"}}},
			want:  map[string]any{"status": 200, "body": nil, "headers": map[string]any{"X-Count": "2"}}},
		{name: "unsupported method", req: req(map[string]any{"method": "FETCH", "path": "/x"}),
			err: &effect.Error{Status: 400, Code: "invalid_input"}, msg: "FETCH"},
		{name: "missing path", req: req(map[string]any{"method": "GET"}),
			err: &effect.Error{Status: 400, Code: "invalid_input"}, msg: "path"},
		{name: "absolute URL to another host is refused", req: req(map[string]any{"method": "GET", "path": "http://evil.example.com/steal"}),
			err: &effect.Error{Status: 400, Code: "invalid_input"}, msg: `"evil.example.com"`},
		{name: "absolute URL with another scheme is refused", req: req(map[string]any{"method": "GET", "path": "https://evil.example.com/steal"}),
			err: &effect.Error{Status: 400, Code: "invalid_input"}, msg: "keeps the base URL's scheme (http)"},
		{name: "absolute URL to a host not allowed by its port", req: req(map[string]any{"method": "GET", "path": "http://127.0.0.1:1/x"}),
			err: &effect.Error{Status: 400, Code: "invalid_input"}, msg: "127.0.0.1:1"},
		{name: "anything but an http(s) URL is a path on the base URL", req: req(map[string]any{"method": "GET", "path": "//evil.example.com/users:search"}),
			calls: []rvCall{{method: "GET", path: "/evil.example.com/users:search", status: 204}},
			want:  map[string]any{"status": 204, "body": nil, "headers": map[string]any{}}},
	})
}

// TestHTTPClientAbsoluteURL: an absolute URL on the base URL's host or an
// allowed host is called there, with the instance's auth.
func TestHTTPClientAbsoluteURL(t *testing.T) {
	f := newRVFake(t, rvCall{method: "GET", path: "/other", resp: map[string]any{"ok": true}})
	other := newRVFake(t, rvCall{method: "GET", path: "/x/y", query: url.Values{"q": {"1"}}, resp: map[string]any{"ok": 2}})
	ctx := context.Background()
	// The base URL's host.
	out, err := f.client(t, "http", nil).Do(ctx, effect.Request{Action: "request", Input: map[string]any{"method": "GET", "path": f.srv.URL + "/base/other"}})
	if err != nil || rvJSON(out["body"]).(map[string]any)["ok"] != true {
		t.Fatalf("%v %v", out, err)
	}
	// Another port of 127.0.0.1: allowed only by an allowedHosts entry
	// naming that port (an entry without one means the base URL's port).
	in := map[string]any{"method": "GET", "path": other.srv.URL + "/base/x/y", "query": map[string]any{"q": "1"}}
	for _, hosts := range []string{"", "127.0.0.1", "api.example.com, *.0.0.1"} {
		if _, err := f.client(t, "http", map[string]string{"allowedHosts": hosts}).Do(ctx, effect.Request{Action: "request", Input: in}); err == nil {
			t.Fatalf("allowedHosts %q: another port of the base host is allowed", hosts)
		}
	}
	otherHost := strings.TrimPrefix(other.srv.URL, "http://")
	out, err = f.client(t, "http", map[string]string{"allowedHosts": "api.example.com, " + otherHost}).Do(ctx, effect.Request{Action: "request", Input: in})
	if err != nil || rvJSON(out["body"]).(map[string]any)["ok"] != float64(2) {
		t.Fatalf("%v %v", out, err)
	}
}

func TestHTTPClientTimeout(t *testing.T) {
	rvTimeout(t, "http", effect.Request{Action: "request", Input: map[string]any{"method": "GET", "path": "/slow"}})
}
