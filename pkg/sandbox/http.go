package sandbox

import (
	"bytes"
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/jml-dev/jml/pkg/effect"
)

// sandboxHeaders is the header with which the http connector and the
// sandbox name the headers that are the flow's (on a request) and the
// world's canned ones (on a response), comma-separated; the others are
// transport (Authorization, User-Agent, Content-Length, Date…), which the
// in-process world does not model.
const sandboxHeaders = "Jml-Headers"

// anyStatus is an expect input accepting every status: the sandbox serves
// the canned response, and the connector checks the flow's expect.
var anyStatus = func() []any {
	l := make([]any, 0, 500)
	for s := 100; s <= 599; s++ {
		l = append(l, int64(s))
	}
	return l
}()

// httpRoutes serves every path of an http instance with the world's
// request action: the canned response matching the method and path, and
// the request recorded in the world.
func httpRoutes(in *Instance, mux *http.ServeMux) {
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		path := unescapeButSlash(r.URL.EscapedPath())
		input := map[string]any{"method": r.Method, "path": path, "expect": anyStatus}
		if q := r.URL.Query(); len(q) > 0 {
			m := map[string]any{}
			for k, vs := range q {
				if len(vs) == 1 {
					m[k] = vs[0]
					continue
				}
				l := make([]any, len(vs))
				for i, v := range vs {
					l[i] = v
				}
				m[k] = l
			}
			input["query"] = m
		}
		if names := strings.TrimSpace(r.Header.Get(sandboxHeaders)); names != "" {
			h := map[string]any{}
			for _, n := range strings.Split(names, ",") {
				h[n] = strings.Join(r.Header.Values(n), ", ")
			}
			input["headers"] = h
		}
		data, err := io.ReadAll(r.Body)
		if err != nil {
			in.Error(w, &effect.Error{Status: 400, Code: "invalid_input", Message: "cannot read the request body: " + err.Error()})
			return
		}
		if body := requestBody(r.Header.Get("Content-Type"), data); body != nil {
			input["body"] = body
		}
		out, e := in.Do(r.Context(), "request", input, r.Header.Get("Idempotency-Key"))
		if e != nil {
			in.Error(w, e)
			return
		}
		writeCanned(w, r.Method, out)
	})
}

// unescapeButSlash decodes an escaped path but for its escaped slashes
// (%2F), which keep a segment whole: the flow's path as it wrote it,
// unless it escaped more itself.
func unescapeButSlash(p string) string {
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		if p[i] == '%' && i+2 < len(p) && !strings.EqualFold(p[i+1:i+3], "2f") {
			if c, err := strconv.ParseUint(p[i+1:i+3], 16, 8); err == nil {
				b.WriteByte(byte(c))
				i += 2
				continue
			}
		}
		b.WriteByte(p[i])
	}
	return b.String()
}

// requestBody decodes a request body: JSON by its Content-Type (or when it
// has none and parses), else text; nil when empty.
func requestBody(contentType string, data []byte) any {
	if len(data) == 0 {
		return nil
	}
	if contentType == "" || isJSON(contentType) {
		var v any
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.UseNumber()
		if dec.Decode(&v) == nil && !dec.More() {
			return effect.Numbers(v)
		}
	}
	return string(data)
}

func isJSON(contentType string) bool {
	mt, _, _ := mime.ParseMediaType(contentType)
	return mt == "application/json" || strings.HasSuffix(mt, "+json")
}

// writeCanned writes a canned response {status, headers, body}: a string
// body as text unless its Content-Type is JSON, anything else as JSON.
func writeCanned(w http.ResponseWriter, method string, out map[string]any) {
	status := http.StatusOK
	if s, ok := out["status"].(int64); ok {
		status = int(s)
	}
	h, _ := out["headers"].(map[string]any)
	names := make([]string, 0, len(h))
	for k, v := range h {
		s, _ := v.(string)
		w.Header().Set(k, s)
		names = append(names, k)
	}
	sort.Strings(names)
	w.Header().Set(sandboxHeaders, strings.Join(names, ","))
	var data []byte
	switch b := out["body"].(type) {
	case nil:
	case string:
		if isJSON(w.Header().Get("Content-Type")) {
			data, _ = json.Marshal(b)
			break
		}
		data = []byte(b)
		if w.Header().Get("Content-Type") == "" {
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		}
	default:
		data, _ = json.Marshal(b)
		if w.Header().Get("Content-Type") == "" {
			w.Header().Set("Content-Type", "application/json")
		}
	}
	w.WriteHeader(status)
	if method != http.MethodHead && len(data) > 0 {
		_, _ = w.Write(data)
	}
}
