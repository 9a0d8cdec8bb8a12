package world

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/jml-dev/jml/pkg/effect"
)

type httpResponse struct {
	method, path string
	status       int
	body         any
	headers      map[string]string
}

type httpRequest struct {
	method, path   string
	query, headers map[string]any
	body           any
	idempotencyKey string
	status         int
}

// httpModel is the API behind an http connector: canned responses matched
// by method and path, and a log of the requests it received.
type httpModel struct {
	responses []httpResponse
	requests  []httpRequest
}

func newHTTP() *httpModel { return &httpModel{} }

func (m *httpModel) clone() model {
	c := &httpModel{responses: make([]httpResponse, len(m.responses)), requests: make([]httpRequest, len(m.requests))}
	for i, r := range m.responses {
		r.body = deepCopy(r.body)
		h := make(map[string]string, len(r.headers))
		for k, v := range r.headers {
			h[k] = v
		}
		r.headers = h
		c.responses[i] = r
	}
	for i, r := range m.requests {
		r.query, r.headers, r.body = copyMap(r.query), copyMap(r.headers), deepCopy(r.body)
		c.requests[i] = r
	}
	return c
}

func (m *httpModel) seed(User) {}

func (m *httpModel) load(o obj) {
	for _, ro := range o.list("responses") {
		ro.allow("an http response", "method", "path", "status", "body", "headers")
		r := httpResponse{method: strings.ToUpper(ro.str("method")), path: ro.str("path"), status: ro.integer("status", http.StatusOK),
			body: deepCopy(ro.m["body"]), headers: map[string]string{}}
		if r.status < 100 || r.status > 599 {
			ro.errf("status", "invalid-value", "status must be an HTTP status (100 to 599), not %d", r.status)
		}
		for k, v := range ro.object("headers") {
			s, ok := v.(string)
			if !ok {
				ro.errf("headers", "wrong-type", "header %q must be a string, not %s", k, valueKind(v))
				continue
			}
			r.headers[http.CanonicalHeaderKey(k)] = s
		}
		if _, ok := ro.m["body"]; !ok && !noBody(r.status) {
			r.body = map[string]any{}
		}
		m.responses = append(m.responses, r)
	}
}

// cleanPath gives a request path one leading slash and no query string.
// An absolute URL (which the real connector allows for the base URL's host
// and allowedHosts, and sends to the sandbox instance in sandbox mode)
// stands for its path.
func cleanPath(p string) string {
	p = strings.TrimSpace(p)
	if i := strings.IndexByte(p, '?'); i >= 0 {
		p = p[:i]
	}
	if lp := strings.ToLower(p); strings.HasPrefix(lp, "http://") || strings.HasPrefix(lp, "https://") {
		if u, err := url.Parse(p); err == nil {
			p = u.Path
		}
	}
	return "/" + strings.TrimLeft(p, "/")
}

// pathQuery returns the query string of a path input ("/x?a=1"), which the
// real connector sends along with the query input.
func pathQuery(p string) url.Values {
	_, q, ok := strings.Cut(p, "?")
	if !ok {
		return nil
	}
	v, _ := url.ParseQuery(q)
	return v
}

// textValues returns query or header inputs as what HTTP carries: text.
// A list is a repeated parameter; numbers and booleans are written as JSON
// writes them, objects as JSON. An empty map is none (nothing is sent).
func textValues(m map[string]any) map[string]any {
	if len(m) == 0 {
		return nil
	}
	out := make(map[string]any, len(m))
	for k, v := range m {
		if l, ok := v.([]any); ok {
			vs := make([]any, len(l))
			for i, e := range l {
				vs[i] = effect.WireText(e)
			}
			out[k] = vs
			continue
		}
		out[k] = effect.WireText(v)
	}
	return out
}

func (r httpResponse) matches(method, path string) bool {
	if r.method != "" && r.method != "*" && r.method != method {
		return false
	}
	if r.path == "" || r.path == "*" {
		return true
	}
	want := cleanPath(r.path)
	if strings.HasSuffix(r.path, "*") {
		return strings.HasPrefix(path, strings.TrimSuffix(want, "*"))
	}
	return strings.TrimSuffix(want, "/") == strings.TrimSuffix(path, "/")
}

func (m *httpModel) do(c *call) (map[string]any, error) {
	if c.action != "request" {
		return nil, notImplemented("http", c.action)
	}
	method := strings.ToUpper(strings.TrimSpace(c.str("method")))
	switch method {
	case "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS":
	default:
		return nil, badRequest("unsupported HTTP method %q", c.str("method"))
	}
	path := cleanPath(c.str("path"))
	resp := httpResponse{status: http.StatusOK, body: map[string]any{}, headers: map[string]string{}}
	for _, r := range m.responses {
		if r.matches(method, path) {
			resp = r
			break
		}
	}
	query, _ := c.in["query"].(map[string]any)
	query = textValues(query)
	for k, vs := range pathQuery(c.str("path")) {
		if query == nil {
			query = map[string]any{}
		}
		if _, set := query[k]; set {
			continue
		}
		if len(vs) == 1 {
			query[k] = vs[0]
		} else {
			query[k] = strList(vs)
		}
	}
	headers, _ := c.in["headers"].(map[string]any)
	rec := httpRequest{method: method, path: path, query: query, headers: textValues(headers),
		body: deepCopy(c.in["body"]), status: resp.status}
	if method != "GET" && method != "HEAD" {
		// The real connector sends Idempotency-Key with writes only.
		rec.idempotencyKey = c.req.IdempotencyKey
	}
	m.requests = append(m.requests, rec)

	ok := resp.status >= 200 && resp.status < 300
	if exp, given := c.in["expect"].([]any); given && len(exp) > 0 {
		ok = false
		for _, e := range exp {
			if n, isInt := asInt(e); isInt && n == resp.status {
				ok = true
			}
		}
	}
	if !ok {
		e := effect.HTTPError(resp.status, responseMessage(resp, method, path))
		if ra, err := strconv.Atoi(resp.headers["Retry-After"]); err == nil {
			e.RetryAfter = time.Duration(ra) * time.Second
		}
		return nil, e
	}
	h := make(map[string]any, len(resp.headers))
	for k, v := range resp.headers {
		h[k] = v
	}
	var body any = deepCopy(resp.body)
	if method == "HEAD" || noBody(resp.status) {
		body = nil
	}
	return map[string]any{"status": int64(resp.status), "headers": h, "body": body}, nil
}

// noBody reports whether a response with status has no body (RFC 9110:
// 1xx, 204 No Content, 304 Not Modified).
func noBody(status int) bool { return status < 200 || status == 204 || status == 304 }

// responseMessage is the error message of a failed canned response: the
// body's message or error when it has one.
func responseMessage(r httpResponse, method, path string) string {
	if b, ok := r.body.(map[string]any); ok {
		for _, k := range []string{"message", "error", "errorSummary", "detail"} {
			if s, ok := b[k].(string); ok && s != "" {
				return s
			}
		}
	}
	if s, ok := r.body.(string); ok && s != "" {
		return s
	}
	return fmt.Sprintf("HTTP %d from %s %s", r.status, method, path)
}

func (m *httpModel) state() map[string]any {
	resps := make([]any, len(m.responses))
	for i, r := range m.responses {
		h := make(map[string]any, len(r.headers))
		for k, v := range r.headers {
			h[k] = v
		}
		resps[i] = map[string]any{"method": r.method, "path": r.path, "status": int64(r.status), "body": deepCopy(r.body), "headers": h}
	}
	reqs := make([]any, len(m.requests))
	for i, r := range m.requests {
		o := map[string]any{"method": r.method, "path": r.path, "status": int64(r.status)}
		if r.query != nil {
			o["query"] = copyMap(r.query)
		}
		if r.headers != nil {
			o["headers"] = copyMap(r.headers)
		}
		if r.body != nil {
			o["body"] = deepCopy(r.body)
		}
		if r.idempotencyKey != "" {
			o["idempotencyKey"] = r.idempotencyKey
		}
		reqs[i] = o
	}
	return map[string]any{"responses": resps, "requests": reqs}
}
