package sandbox_test

import (
	"testing"

	"github.com/jml-dev/jml/pkg/effect"
)

func TestJiraRoundTrip(t *testing.T) {
	for wname, mk := range worlds {
		t.Run(wname, func(t *testing.T) {
			p := newPair(t, mk)
			tests := []effect.Request{
				{Input: map[string]any{"project": "it", "issueType": "Task", "summary": "Offboard Jane", "description": "Leaver\n\n- laptop\n- badge"}, IdempotencyKey: "k1"},
				{Input: map[string]any{"project": "IT", "issueType": "Bug", "summary": "s", "fields": map[string]any{"labels": []any{"b", "a"}, "priority": map[string]any{"name": "High"}}}, IdempotencyKey: "k2"},
				{Input: map[string]any{"project": "IT", "issueType": "Task", "summary": "no key", "fields": map[string]any{}}},
				{Input: map[string]any{"project": "OPS", "issueType": "Task", "summary": "no labels", "fields": map[string]any{"labels": []any{}}}, IdempotencyKey: "k3"},
				{Input: map[string]any{"project": "bad key", "issueType": "Task", "summary": "s"}, IdempotencyKey: "k4"},
			}
			for _, req := range tests {
				req.Instance, req.Action = "jira", "createIssue"
				p.both(t, req)
			}
			p.sameState(t)
		})
	}
}

// TestJiraIdempotentCreate: a createIssue tried again with the same
// idempotency key finds the issue of the first try by its label.
func TestJiraIdempotentCreate(t *testing.T) {
	p := newPair(t, worlds["described"])
	req := effect.Request{Instance: "jira", Action: "createIssue", IdempotencyKey: "evt-9/leaver/issue",
		Input: map[string]any{"project": "IT", "issueType": "Task", "summary": "Offboard", "fields": map[string]any{"labels": []any{"leaver"}}}}
	first, _ := p.both(t, req)
	p.again(t, req, first)
	p.sameState(t)
	if keys := p.remote.IssueKeys("jira", "leaver"); len(keys) != 1 || keys[0] != first["key"] {
		t.Fatalf("issues labelled leaver: %v, want [%v]", keys, first["key"])
	}
	req.IdempotencyKey = "evt-9/leaver/other"
	if second, _ := p.both(t, req); second["key"] == first["key"] {
		t.Fatal("a different key found the first issue")
	}
	p.sameState(t)
}
