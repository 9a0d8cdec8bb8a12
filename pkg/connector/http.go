package connector

import (
	"context"
	"fmt"
	"math"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/jml-dev/jml/pkg/effect"
)

// httpClient performs the http type's request action (Okta Workflows' API
// Connector): any method and path under the instance's base URL, or an
// absolute URL on the base URL's host or one of its allowedHosts.
type httpClient struct{ in *Instance }

func newHTTP(in *Instance) Client { return &httpClient{in: in} }

// sandboxHeaders is the header with which the http connector and `jml
// sandbox` tell each other which headers are the flow's (on a request) and
// the world's canned ones (on a response), as a comma-separated list of
// names: the others are transport (Authorization, Content-Length, Date…),
// which the in-process world does not model. Only sent in sandbox mode.
const sandboxHeaders = "Jml-Headers"

// httpMethods are the methods the request action accepts.
var httpMethods = map[string]bool{"GET": true, "HEAD": true, "POST": true, "PUT": true, "PATCH": true, "DELETE": true, "OPTIONS": true}

// Do performs one action.
func (c *httpClient) Do(ctx context.Context, req effect.Request) (map[string]any, error) {
	if req.Action != "request" {
		return nil, Unsupported(c.in.Type, req.Action)
	}
	v, err := Require(req.Input, "method", "path")
	if err != nil {
		return nil, err
	}
	method := strings.ToUpper(strings.TrimSpace(v[0]))
	if !httpMethods[method] {
		return nil, invalid("unsupported HTTP method %q", v[0])
	}
	inst, path, query, err := c.target(strings.TrimSpace(v[1]))
	if err != nil {
		return nil, err
	}
	if q, ok := req.Input["query"].(map[string]any); ok {
		for _, k := range sortedKeys(q) {
			query.Del(k)
			if l, ok := q[k].([]any); ok {
				for _, e := range l {
					query.Add(k, effect.WireText(e))
				}
				continue
			}
			query.Set(k, effect.WireText(q[k]))
		}
	}
	headers := map[string]string{}
	write := method != "GET" && method != "HEAD"
	if write && req.IdempotencyKey != "" {
		headers["Idempotency-Key"] = req.IdempotencyKey
	}
	h, _ := req.Input["headers"].(map[string]any)
	names := sortedKeys(h)
	for _, k := range names {
		headers[http.CanonicalHeaderKey(k)] = effect.WireText(h[k])
	}
	if c.in.Sandbox {
		headers[sandboxHeaders] = strings.Join(names, ",")
	}
	var body any
	switch b := req.Input["body"].(type) {
	case nil:
	case string:
		// A string is sent as it is: text, or JSON or XML the flow built.
		body = []byte(b)
		if _, set := headers["Content-Type"]; !set {
			headers["Content-Type"] = "text/plain; charset=utf-8"
		}
	default:
		body = b
	}
	resp, err := inst.Call(ctx, method, path, query, body, headers)
	if resp == nil {
		return nil, err
	}
	out := map[string]any{"status": int64(resp.Status), "headers": c.headers(resp.Header), "body": nil}
	if method != "HEAD" {
		out["body"] = httpBody(resp)
	}
	if expected(req.Input["expect"], resp.Status) {
		return out, nil
	}
	e := effect.HTTPError(resp.Status, httpMessage(out["body"], resp.Status, method, path))
	if ce, ok := err.(*effect.Error); ok {
		e.RetryAfter = ce.RetryAfter
	} else {
		e.RetryAfter = retryAfter(resp.Header, c.in.Limiter.now())
	}
	return nil, e
}

// invalid is a non-retryable refusal of bad input, made before any call.
func invalid(format string, args ...any) *effect.Error {
	return &effect.Error{Status: 400, Code: "invalid_input", Message: fmt.Sprintf(format, args...)}
}

// target resolves the path input: a path (with an optional query string)
// relative to the base URL, or an absolute URL with the base URL's scheme
// whose host and port are the base URL's or an allowedHosts entry's —
// never another, so that a flow's data cannot send the instance's
// credentials anywhere else, nor over another scheme or port. In sandbox
// mode an absolute URL is checked against jml.yaml's baseURL the same way
// and goes to the sandbox instance.
func (c *httpClient) target(p string) (*Instance, string, url.Values, error) {
	abs := strings.HasPrefix(strings.ToLower(p), "http://") || strings.HasPrefix(strings.ToLower(p), "https://")
	if !abs {
		// Anything else is a path, leading slash optional: users:search,
		// //x and file:/x stay on the base URL's host.
		p = "/" + strings.TrimLeft(p, "/")
	}
	u, err := url.Parse(escapeURL(p))
	if err != nil {
		return nil, "", nil, invalid("path %q: %v", p, unwrapURL(err))
	}
	query, _ := url.ParseQuery(u.RawQuery)
	path := "/" + strings.TrimLeft(u.EscapedPath(), "/")
	if !abs {
		return c.in, path, query, nil
	}
	if err := c.allowed(u); err != nil {
		return nil, "", nil, err
	}
	if c.in.Sandbox {
		return c.in, path, query, nil
	}
	inst := *c.in
	inst.BaseURL = &url.URL{Scheme: u.Scheme, Host: u.Host}
	return &inst, path, query, nil
}

// escapeURL escapes what cannot stand in a URL (spaces, #, non-ASCII, a %
// not starting an escape) and keeps the rest as the flow wrote it: its
// escapes (a%2Fb stays one segment), / ? & = and the like.
func escapeURL(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]):
			b.WriteByte(c)
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', strings.IndexByte("-._~!$&'()*+,;=:@/?[]", c) >= 0:
			b.WriteByte(c)
		default:
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
		}
	}
	return b.String()
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// origin is what absolute URLs are held to: jml.yaml's baseURL.
func (c *httpClient) origin() *url.URL {
	if c.in.Configured != nil {
		return c.in.Configured
	}
	return c.in.BaseURL
}

// allowed refuses an absolute URL unless it has the base URL's scheme and
// its host and port are the base URL's or an allowedHosts entry's: an
// entry with a port matches that port only, one without the base URL's
// port, and *.example.com any subdomain of example.com.
func (c *httpClient) allowed(u *url.URL) error {
	base := c.origin()
	if !strings.EqualFold(u.Scheme, base.Scheme) {
		return invalid("%s: an absolute URL keeps the base URL's scheme (%s), so that credentials never go over another", redactURL(*u), base.Scheme)
	}
	host, port := strings.ToLower(u.Hostname()), portOf(u)
	if host == strings.ToLower(base.Hostname()) && port == portOf(base) {
		return nil
	}
	hostListed := host == strings.ToLower(base.Hostname())
	for _, e := range strings.Split(c.in.Settings["allowedHosts"], ",") {
		e = strings.ToLower(strings.TrimSpace(e))
		if e == "" {
			continue
		}
		name, eport := e, portOf(base)
		if h, p, err := net.SplitHostPort(e); err == nil {
			name, eport = h, p
		}
		name = strings.Trim(name, "[]")
		if name == host || strings.HasPrefix(name, "*.") && strings.HasSuffix(host, name[1:]) {
			if eport == port {
				return nil
			}
			hostListed = true
		}
	}
	if hostListed {
		return invalid("host %q: port %s is neither the base URL's (%s) nor an allowedHosts entry's (name it as HOST:PORT)", u.Host, port, portOf(base))
	}
	return invalid("host %q is neither the base URL's host (%s) nor in allowedHosts", u.Host, base.Host)
}

// headers returns the response headers by canonical name, several values
// joined by ", ". In sandbox mode only the world's canned ones.
func (c *httpClient) headers(h http.Header) map[string]any {
	keep := func(string) bool { return true }
	if names, ok := h[sandboxHeaders]; ok && c.in.Sandbox {
		set := map[string]bool{}
		for _, n := range strings.Split(strings.Join(names, ","), ",") {
			set[http.CanonicalHeaderKey(strings.TrimSpace(n))] = true
		}
		keep = func(k string) bool { return set[k] }
	}
	out := map[string]any{}
	for k, vs := range h {
		if k != sandboxHeaders && keep(k) {
			out[k] = strings.Join(vs, ", ")
		}
	}
	return out
}

// httpBody returns the response body: parsed when it is JSON (by its
// Content-Type, or when it has none and parses), else a string; nil when
// empty.
func httpBody(r *Response) any {
	if len(r.Body) == 0 {
		return nil
	}
	ct := r.Header.Get("Content-Type")
	mt, _, _ := mime.ParseMediaType(ct)
	if ct == "" || mt == "application/json" || strings.HasSuffix(mt, "+json") {
		if v, err := r.JSON(); err == nil {
			return v
		}
	}
	return string(r.Body)
}

// expected reports whether status is in the expect input (any 2xx when it
// is absent or empty).
func expected(expect any, status int) bool {
	l, _ := expect.([]any)
	if len(l) == 0 {
		return status >= 200 && status <= 299
	}
	for _, e := range l {
		switch x := e.(type) {
		case int:
			if x == status {
				return true
			}
		case int64:
			if x == int64(status) {
				return true
			}
		case float64:
			if x == math.Trunc(x) && int(x) == status {
				return true
			}
		case string:
			if n, err := strconv.Atoi(x); err == nil && n == status {
				return true
			}
		}
	}
	return false
}

// httpMessage is the error message of an unexpected status: the body's
// message or error when it has one, as the world's.
func httpMessage(body any, status int, method, path string) string {
	if b, ok := body.(map[string]any); ok {
		for _, k := range []string{"message", "error", "errorSummary", "detail"} {
			if s, ok := b[k].(string); ok && s != "" {
				return s
			}
		}
	}
	if s, ok := body.(string); ok && s != "" && len(s) <= 300 {
		return s
	}
	return fmt.Sprintf("HTTP %d from %s %s", status, method, path)
}
