package sandbox_test

import (
	"testing"

	"github.com/jml-dev/jml/pkg/effect"
)

func TestHTTPRoundTrip(t *testing.T) {
	p := newPair(t, worlds["seeded"])
	p.describe(t, map[string]any{"hr": map[string]any{"responses": []any{
		map[string]any{"method": "GET", "path": "/employees/*", "body": map[string]any{"id": "e1", "n": 1.5}, "headers": map[string]any{"x-total": "1", "Content-Type": "application/json"}},
		map[string]any{"method": "DELETE", "path": "/employees/*", "status": 409, "body": map[string]any{"message": "employee is locked"}},
		map[string]any{"method": "DELETE", "path": "/gone/*", "status": 204},
		map[string]any{"path": "/busy", "status": 503, "headers": map[string]any{"Retry-After": "7"}},
		map[string]any{"path": "/text", "body": "plain words"},
		map[string]any{"path": "/list", "body": []any{1, "two", nil}},
	}}})
	tests := []map[string]any{
		{"method": "get", "path": "employees/42"},
		{"method": "GET", "path": "/employees/jane doe", "query": map[string]any{"expand": []any{"a", "b"}, "limit": 10, "q": "a&b=c"}},
		{"method": "GET", "path": "/employees/a%2Fb?x=1&y=2", "query": map[string]any{"y": "3"}},
		{"method": "GET", "path": "/employees/jane doe/a%2Fb#frag/ü"},
		{"method": "GET", "path": "HTTP://127.0.0.1:1/employees/9?z=1"},
		{"method": "POST", "path": "users:search"},
		{"method": "HEAD", "path": "/employees/1"},
		{"method": "DELETE", "path": "/employees/42"},
		{"method": "DELETE", "path": "/employees/42", "expect": []any{409}},
		{"method": "DELETE", "path": "/gone/1"},
		{"method": "GET", "path": "/busy"},
		{"method": "POST", "path": "/text", "body": "hello", "headers": map[string]any{"x-flow": "yes", "X-Num": 3}},
		{"method": "PUT", "path": "/list", "body": []any{map[string]any{"a": true}}, "expect": []any{"200"}},
		{"method": "PATCH", "path": "/other", "body": 12},
		{"method": "FETCH", "path": "/x"},
		{"method": "POST", "path": "/created", "expect": []any{201}},
	}
	for _, in := range tests {
		p.both(t, effect.Request{Instance: "hr", Action: "request", Input: in, IdempotencyKey: "k"})
	}
	p.sameState(t)
}
