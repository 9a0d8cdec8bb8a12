package world

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/jml-dev/jml/pkg/effect"
)

// script runs the same calls on a fresh world, seeded from a world file
// and from events.
func script(t *testing.T) *World {
	t.Helper()
	w, _ := seeded(t)
	spec, ds := Decode(map[string]any{
		"itsm": map[string]any{"records": []any{map[string]any{"table": "incident", "number": "INC0010007", "fields": map[string]any{"short_description": "old"}}}},
		"jira": map[string]any{"issues": []any{map[string]any{"key": "IT-41", "summary": "old"}}},
	}, diagAt)
	if ds.HasErrors() {
		t.Fatal(ds)
	}
	if err := w.Apply(spec); err != nil {
		t.Fatal(err)
	}
	w.SeedEvent([]User{{ID: "00u1new00003", Login: "new.hire@acme.com"}}, "user.lifecycle.create", "00u1new00003")
	calls := []struct {
		name string
		in   map[string]any
	}{
		{"okta.deactivateUser", map[string]any{"userId": jane.ID}},
		{"okta.addUserToGroup", map[string]any{"userId": bob.ID, "groupId": "00g2"}},
		{"okta.addUserToGroup", map[string]any{"userId": bob.ID, "groupId": "00g1"}},
		{"slack.postMessage", map[string]any{"channel": "#it", "text": "bye"}},
		{"slack.createUser", map[string]any{"email": "new.hire@acme.com", "userName": "new.hire", "displayName": "New Hire"}},
		{"itsm.createRecord", map[string]any{"table": "incident", "fields": map[string]any{"short_description": "new"}}},
		{"itsm.createRecord", map[string]any{"table": "sc_task", "fields": map[string]any{"short_description": "task"}}},
		{"jira.createIssue", map[string]any{"project": "IT", "issueType": "Task", "summary": "s", "fields": map[string]any{"labels": []any{"b", "a"}}}},
		{"google.transferDrive", map[string]any{"fromUser": jane.Login, "toUser": bob.Login}},
		{"ms.addToGroup", map[string]any{"userId": jane.ID, "groupId": "g2"}},
		{"ms.addToGroup", map[string]any{"userId": jane.ID, "groupId": "g1"}},
		{"gh.getOrgMembership", map[string]any{"org": "b-org", "username": "bob"}},
		{"gh.getOrgMembership", map[string]any{"org": "a-org", "username": "bob"}},
		{"gh.removeOrgMember", map[string]any{"org": "a-org", "username": "jane.doe"}},
		{"ad.addToGroup", map[string]any{"sAMAccountName": "bob", "groupDN": "CN=B,DC=acme,DC=com"}},
		{"hr.request", map[string]any{"method": "PUT", "path": "/x", "body": map[string]any{"a": []any{1, 2}}}},
		{"mail.send", map[string]any{"to": "a@acme.com", "subject": "s", "body": "b"}},
	}
	for _, c := range calls {
		if _, err := doReq(w, effect.Request{Input: c.in, IdempotencyKey: "k-" + c.name}, c.name); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
	}
	return w
}

func stateJSON(t *testing.T, w *World) string {
	t.Helper()
	b, err := json.Marshal(w.State())
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestStateIsDeterministic(t *testing.T) {
	a, b := stateJSON(t, script(t)), stateJSON(t, script(t))
	if a != b {
		t.Fatalf("two identical runs differ:\n%s\n%s", a, b)
	}
	w := script(t)
	st := w.State()
	recs := st["itsm"].(map[string]any)["records"].([]any)
	// The created records and issues are numbered from the calls'
	// idempotency keys (ids.go), beside the file's.
	if len(recs) != 3 || recs[0].(map[string]any)["number"] != "INC0010007" || recs[1].(map[string]any)["number"] != "INC8145220" {
		t.Errorf("records: %v", recs)
	}
	issues := st["jira"].(map[string]any)["issues"].([]any)
	if len(issues) != 2 || issues[1].(map[string]any)["key"] != "IT-707645" {
		t.Errorf("issues: %v", issues)
	}
	if got := w.IssueKeys("jira", "a"); len(got) != 1 || got[0] != "IT-707645" {
		t.Errorf("IssueKeys: %v", got)
	}
	// The snapshot is a copy.
	st["okta"].(map[string]any)["users"].([]any)[0].(map[string]any)["status"] = "HACKED"
	if stateJSON(t, w) != a {
		t.Errorf("mutating a snapshot changed the world")
	}
}

func TestClone(t *testing.T) {
	w, clk := seeded(t)
	w.AddFaults(Fault{Action: "slack.deactivateUser", Status: 429, Times: 1}, Fault{Action: "okta.getUser", Latency: time.Second, Times: 3})
	mustDo(t, w, "itsm.createRecord", map[string]any{"table": "sc_task", "fields": map[string]any{}})
	before := stateJSON(t, w)

	c := w.Clone()
	if stateJSON(t, c) != before {
		t.Fatalf("a clone differs from its original")
	}
	if _, err := do(c, "slack.deactivateUser", map[string]any{"email": jane.Login}); err == nil || err.Status != 429 {
		t.Fatalf("clone did not inherit the fault: %v", err)
	}
	mustDo(t, c, "slack.deactivateUser", map[string]any{"email": jane.Login})
	mustDo(t, c, "okta.getUser", map[string]any{"userId": jane.ID})
	mustDo(t, c, "okta.updateUserProfile", map[string]any{"userId": jane.ID, "profile": map[string]any{"department": "X"}})
	mustDo(t, c, "okta.addUserToGroup", map[string]any{"userId": jane.ID, "groupId": "00g9"})
	if got := mustDo(t, c, "itsm.createRecord", map[string]any{"table": "sc_task", "fields": map[string]any{}})["number"]; got != "SCTASK0010002" {
		t.Errorf("clone's counter: %v", got)
	}

	if stateJSON(t, w) != before {
		t.Errorf("changing the clone changed the original")
	}
	fs := w.Faults()
	if fs[0].Left != 1 || fs[1].Left != 3 {
		t.Errorf("original fault counts %d %d, want 1 3", fs[0].Left, fs[1].Left)
	}
	if cf := c.Faults(); cf[0].Left != 0 || cf[1].Left != 2 {
		t.Errorf("clone fault counts %d %d, want 0 2", cf[0].Left, cf[1].Left)
	}
	if _, err := do(w, "slack.deactivateUser", map[string]any{"email": jane.Login}); err == nil || err.Status != 429 {
		t.Errorf("original lost its fault: %v", err)
	}
	if got := mustDo(t, w, "itsm.createRecord", map[string]any{"table": "sc_task", "fields": map[string]any{}})["number"]; got != "SCTASK0010002" {
		t.Errorf("original's counter: %v", got)
	}
	_ = clk
}
