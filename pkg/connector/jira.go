package connector

import (
	"context"
	"strings"

	"github.com/jml-dev/jml/pkg/effect"
)

// jiraClient performs jira actions with the Jira Cloud platform REST API v3.
type jiraClient struct{ in *Instance }

func newJira(in *Instance) Client { return &jiraClient{in: in} }

// jiraKeyProperty is the issue property in which the jira connector
// records the idempotency key of the createIssue that made the issue, as
// {"key": KEY}: the sandbox reads it.
const jiraKeyProperty = "jml.idempotency"

// Do performs one action.
func (c *jiraClient) Do(ctx context.Context, req effect.Request) (map[string]any, error) {
	if req.Action != "createIssue" {
		return nil, Unsupported(c.in.Type, req.Action)
	}
	v, err := Require(req.Input, "project", "issueType", "summary")
	if err != nil {
		return nil, err
	}
	fields := map[string]any{}
	if f, ok := req.Input["fields"].(map[string]any); ok {
		for k, e := range f {
			fields[k] = e
		}
	}
	project := strings.TrimSpace(v[0])
	if isDigits(project) {
		fields["project"] = map[string]any{"id": project}
	} else {
		fields["project"] = map[string]any{"key": project}
	}
	fields["issuetype"] = map[string]any{"name": v[1]}
	fields["summary"] = v[2]
	if d := String(req.Input, "description"); d != "" {
		fields["description"] = adf(d)
	}
	body := map[string]any{"fields": fields}
	if key := req.IdempotencyKey; key != "" {
		label := effect.JiraLabel(key)
		found, err := c.byLabel(ctx, label)
		if err != nil || found != nil {
			return found, err
		}
		labels, _ := fields["labels"].([]any)
		fields["labels"] = append(append([]any{}, labels...), label)
		body["properties"] = []any{map[string]any{"key": jiraKeyProperty, "value": map[string]any{"key": key}}}
	}
	resp, err := c.in.Call(ctx, "POST", "/rest/api/3/issue", nil, body, nil)
	if err != nil {
		return nil, err
	}
	o, err := resp.Object()
	if err != nil {
		return nil, err
	}
	return jiraRef(o), nil
}

// byLabel returns {key, id, self} of the first issue carrying label, or
// nil. Jira's search index lags a create by a few seconds at most; a retry
// comes later than that.
func (c *jiraClient) byLabel(ctx context.Context, label string) (map[string]any, error) {
	q := map[string]any{"jql": `labels = "` + label + `"`, "fields": []any{"key"}, "maxResults": 1}
	resp, err := c.in.Call(ctx, "POST", "/rest/api/3/search/jql", nil, q, nil)
	if err != nil {
		return nil, err
	}
	o, err := resp.Object()
	if err != nil {
		return nil, err
	}
	issues, _ := o["issues"].([]any)
	if len(issues) == 0 {
		return nil, nil
	}
	is, _ := issues[0].(map[string]any)
	return jiraRef(is), nil
}

func jiraRef(o map[string]any) map[string]any {
	return map[string]any{"key": String(o, "key"), "id": String(o, "id"), "self": String(o, "self")}
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// adf returns plain text as an Atlassian Document Format document, which
// the v3 API requires for rich-text fields: one paragraph per line (the
// sandbox joins them back with line breaks).
func adf(text string) map[string]any {
	lines := strings.Split(text, "\n")
	content := make([]any, len(lines))
	for i, l := range lines {
		p := map[string]any{"type": "paragraph"}
		if l != "" {
			p["content"] = []any{map[string]any{"type": "text", "text": l}}
		}
		content[i] = p
	}
	return map[string]any{"type": "doc", "version": 1, "content": content}
}
