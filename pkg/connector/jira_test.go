package connector_test

import (
	"crypto/sha256"
	"encoding/hex"
	"testing"
	"time"

	"github.com/jml-dev/jml/pkg/effect"
)

func TestJiraClient(t *testing.T) {
	sum := sha256.Sum256([]byte("jml-k1"))
	label := "jml-" + hex.EncodeToString(sum[:8])
	search := map[string]any{"jql": `labels = "` + label + `"`, "fields": []any{"key"}, "maxResults": 1}
	in := map[string]any{"project": "IT", "issueType": "Task", "summary": "Offboard Jane", "description": "Leaver\n\nlaptop",
		"fields": map[string]any{"labels": []any{"leaver"}, "priority": map[string]any{"name": "High"}}}
	doc := map[string]any{"type": "doc", "version": 1, "content": []any{
		map[string]any{"type": "paragraph", "content": []any{map[string]any{"type": "text", "text": "Leaver"}}},
		map[string]any{"type": "paragraph"},
		map[string]any{"type": "paragraph", "content": []any{map[string]any{"type": "text", "text": "laptop"}}},
	}}
	created := map[string]any{"id": "10001", "key": "IT-1", "self": "https://acme.atlassian.net/rest/api/3/issue/10001"}
	runRV(t, "jira", []rvCase{
		{name: "createIssue without key",
			req: effect.Request{Action: "createIssue", Input: in},
			calls: []rvCall{{method: "POST", path: "/rest/api/3/issue", status: 201, resp: created,
				body: map[string]any{"fields": map[string]any{"project": map[string]any{"key": "IT"}, "issuetype": map[string]any{"name": "Task"},
					"summary": "Offboard Jane", "description": doc, "labels": []any{"leaver"}, "priority": map[string]any{"name": "High"}}}}},
			want: created},
		{name: "createIssue searches its label, then creates with it",
			req: effect.Request{Action: "createIssue", Input: map[string]any{"project": "10000", "issueType": "Task", "summary": "s"}, IdempotencyKey: "jml-k1"},
			calls: []rvCall{
				{method: "POST", path: "/rest/api/3/search/jql", body: search, resp: map[string]any{"issues": []any{}, "isLast": true}},
				{method: "POST", path: "/rest/api/3/issue", status: 201, resp: created,
					body: map[string]any{"fields": map[string]any{"project": map[string]any{"id": "10000"}, "issuetype": map[string]any{"name": "Task"},
						"summary": "s", "labels": []any{label}},
						"properties": []any{map[string]any{"key": "jml.idempotency", "value": map[string]any{"key": "jml-k1"}}}}},
			},
			want: created},
		{name: "createIssue again finds the first issue",
			req: effect.Request{Action: "createIssue", Input: in, IdempotencyKey: "jml-k1"},
			calls: []rvCall{{method: "POST", path: "/rest/api/3/search/jql", body: search,
				resp: map[string]any{"issues": []any{map[string]any{"id": "10001", "key": "IT-1", "self": created["self"], "fields": map[string]any{}}}, "isLast": true}}},
			want: created},
		{name: "field errors",
			req: effect.Request{Action: "createIssue", Input: in},
			calls: []rvCall{{method: "POST", path: "/rest/api/3/issue", status: 400,
				resp: map[string]any{"errorMessages": []any{}, "errors": map[string]any{"priority": "Priority name 'High' is not valid"}}}},
			err: &effect.Error{Status: 400, Code: "invalid_input"}, msg: "priority: Priority name"},
		{name: "404 project",
			req:   effect.Request{Action: "createIssue", Input: in},
			calls: []rvCall{{method: "POST", path: "/rest/api/3/issue", status: 404, resp: map[string]any{"errorMessages": []any{"No project could be found with key 'IT'."}}}},
			err:   &effect.Error{Status: 404, Code: "not_found"}, msg: "No project"},
		{name: "429 with Retry-After on the search",
			req:   effect.Request{Action: "createIssue", Input: in, IdempotencyKey: "jml-k1"},
			calls: []rvCall{{method: "POST", path: "/rest/api/3/search/jql", status: 429, respHeader: map[string]string{"Retry-After": "5"}}},
			err:   &effect.Error{Status: 429, Code: "rate_limited", Retryable: true, RetryAfter: 5 * time.Second}},
		{name: "500",
			req:   effect.Request{Action: "createIssue", Input: in},
			calls: []rvCall{{method: "POST", path: "/rest/api/3/issue", status: 500, resp: map[string]any{"errorMessages": []any{"Internal server error"}}}},
			err:   &effect.Error{Status: 500, Code: "server_error", Retryable: true}, msg: "Internal server error"},
		{name: "missing summary",
			req: effect.Request{Action: "createIssue", Input: map[string]any{"project": "IT", "issueType": "Task"}},
			err: &effect.Error{Status: 400, Code: "invalid_input"}, msg: "summary"},
	})
}

func TestJiraClientTimeout(t *testing.T) {
	rvTimeout(t, "jira", effect.Request{Action: "createIssue", Input: map[string]any{"project": "IT", "issueType": "Task", "summary": "s"}})
}
