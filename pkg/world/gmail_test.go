package world

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/jml-dev/jml/pkg/diag"
)

// TestGmail holds the Gmail model to Gmail's answers: delegates of the
// domain only and idempotent, forwarding to an address of the domain only,
// the auto-reply and sent messages kept, an unknown mailbox 404.
func TestGmail(t *testing.T) {
	jane := map[string]any{"userKey": "jane.doe@acme.com"}
	with := func(kv ...any) map[string]any {
		m := map[string]any{}
		for k, v := range jane {
			m[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i].(string)] = kv[i+1]
		}
		return m
	}
	tests := []struct {
		name   string
		calls  []string // actions before, each with the inputs below
		action string
		in     map[string]any
		status int    // 0: success
		state  string // a substring of the JSON of the google mailboxes, on success
	}{
		{name: "add a delegate", action: "addDelegate", in: with("delegateEmail", "bob@acme.com"), state: `"delegates":["bob@acme.com"]`},
		{name: "add by alias keeps the primary email", action: "addDelegate", in: with("delegateEmail", "robert@acme.com"), state: `"delegates":["bob@acme.com"]`},
		{name: "add twice is one delegate", calls: []string{"addDelegate"}, action: "addDelegate", in: with("delegateEmail", "bob@acme.com"), state: `"delegates":["bob@acme.com"]`},
		{name: "a delegate outside the domain", action: "addDelegate", in: with("delegateEmail", "eve@evil.com"), status: 400},
		{name: "oneself as delegate", action: "addDelegate", in: with("delegateEmail", "jane.doe@acme.com"), status: 400},
		{name: "unknown mailbox", action: "addDelegate", in: map[string]any{"userKey": "ghost@acme.com", "delegateEmail": "bob@acme.com"}, status: 404},
		{name: "remove a delegate", calls: []string{"addDelegate"}, action: "removeDelegate", in: with("delegateEmail", "bob@acme.com"), state: `"delegates":[]`},
		{name: "remove one who is not", action: "removeDelegate", in: with("delegateEmail", "bob@acme.com")},
		{name: "forward in the domain", action: "setAutoForwarding", in: with("emailAddress", "bob@acme.com"),
			state: `"autoForwarding":{"disposition":"leaveInInbox","emailAddress":"bob@acme.com","enabled":true},"delegates":[],"forwardingAddresses":["bob@acme.com"]`},
		{name: "forward outside, unverified", action: "setAutoForwarding", in: with("emailAddress", "me@gmail.com"), status: 400},
		{name: "auto-reply", action: "setVacation", in: with("subject", "Gone", "message", "Ask Bob", "start", "2024-01-01T00:00:00Z"),
			state: `"vacation":{"enableAutoReply":true,"end":"","html":false,"message":"Ask Bob","restrictToContacts":false,"restrictToDomain":false,"start":"2024-01-01T00:00:00Z","subject":"Gone"}`},
		{name: "send", action: "sendGmail", in: with("to", "bob@acme.com", "subject", "Hi", "body", "Hello"), state: `"from":"jane.doe@acme.com","id":"18`},
		{name: "send from an unknown mailbox", action: "sendGmail", in: map[string]any{"userKey": "ghost@acme.com", "to": "bob@acme.com", "subject": "Hi", "body": "x"}, status: 404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, _ := described(t)
			for _, a := range tt.calls {
				mustDo(t, w, "google."+a, tt.in)
			}
			_, err := do(w, "google."+tt.action, tt.in)
			if tt.status != 0 {
				if err == nil || err.Status != tt.status {
					t.Fatalf("got %v, want status %d", err, tt.status)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			st := w.State()["google"].(map[string]any)
			b, _ := json.Marshal(map[string]any{"mailboxes": st["mailboxes"], "messages": st["messages"]})
			if !strings.Contains(string(b), tt.state) {
				t.Errorf("state %s lacks %s", b, tt.state)
			}
		})
	}
}

// TestGmailWorldFile: a world file lists a user's delegates, and a clone
// does not share its mailboxes.
func TestGmailWorldFile(t *testing.T) {
	spec, ds := Decode(map[string]any{"google": map[string]any{"users": []any{
		map[string]any{"primaryEmail": "jane.doe@acme.com", "delegates": []any{"Bob@acme.com"}},
		map[string]any{"primaryEmail": "bob@acme.com"},
	}}}, diag.Range{})
	if len(ds) > 0 {
		t.Fatal(ds)
	}
	w, _ := seeded(t)
	if err := w.Apply(spec); err != nil {
		t.Fatal(err)
	}
	c := w.Clone()
	mustDo(t, c, "google.removeDelegate", map[string]any{"userKey": "jane.doe@acme.com", "delegateEmail": "bob@acme.com"})
	for _, tc := range []struct {
		w    *World
		want string
	}{{w, `["bob@acme.com"]`}, {c, `[]`}} {
		boxes := tc.w.State()["google"].(map[string]any)["mailboxes"].([]any)
		b, _ := json.Marshal(boxes[0].(map[string]any)["delegates"])
		if string(b) != tc.want {
			t.Errorf("delegates %s, want %s", b, tc.want)
		}
	}
}

// TestGmailWorldFileUnknownDelegate: a delegate must be a user of the
// domain, as Gmail wants; the error names the user and the delegate.
func TestGmailWorldFileUnknownDelegate(t *testing.T) {
	spec, ds := Decode(map[string]any{"google": map[string]any{"users": []any{
		map[string]any{"primaryEmail": "jane.doe@acme.com", "delegates": []any{"ghost@acme.com"}},
	}}}, diag.Range{})
	if len(ds) > 0 {
		t.Fatal(ds)
	}
	w, _ := seeded(t)
	err := w.Apply(spec)
	if err == nil || !strings.Contains(err.Error(), "user jane.doe@acme.com lists delegate ghost@acme.com, who is not among the users") {
		t.Fatalf("got %v", err)
	}
}
