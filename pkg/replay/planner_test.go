package replay

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jml-dev/jml/pkg/engine"
	"github.com/jml-dev/jml/pkg/event"
	"github.com/jml-dev/jml/pkg/plan"
)

const guardConfig = `apiVersion: jml/v1
kind: Config
flows: flows/
connectors:
  okta: {type: okta, baseURL: 'https://acme.okta.com', auth: {type: ssws, token: {env: T}}}
  slack: {type: slack, auth: {type: bearer, token: {env: S}}}
guardrails: {maxDeprovisionsPerApply: 2}
`

var guardFlows = map[string]string{
	// Deprovisions through a helper, and only for acme.com users.
	"leaver.yaml": `apiVersion: jml/v1
kind: Flow
name: leaver
trigger: {event: user.lifecycle.deactivate, when: 'user.alternateId.endsWith("@acme.com")'}
steps:
  - action: okta.clearUserSessions
    with: {userId: "${{ user.id }}"}
  - call: cut-access
    with: {login: "${{ user.alternateId }}"}
`,
	"cut-access.yaml": `apiVersion: jml/v1
kind: Flow
name: cut-access
trigger: {helper: {}}
inputs: {login: {type: string, required: true}}
steps:
  - action: slack.deactivateUser
    with: {email: "${{ inputs.login }}"}
`,
	// Fires on the same events but only notifies: no deprovisioning.
	"notify.yaml": `apiVersion: jml/v1
kind: Flow
name: notify
trigger: {event: [user.lifecycle.deactivate, user.lifecycle.create]}
steps:
  - action: slack.postMessage
    with: {channel: "#it", text: "${{ event.eventType }} ${{ user.alternateId }}"}
`,
	// Suspensions can reach a deprovisioning card, but a continueIf stops
	// every run before it.
	"suspend.yaml": `apiVersion: jml/v1
kind: Flow
name: suspend
trigger: {event: user.lifecycle.suspend}
steps:
  - continueIf: user.alternateId == "nobody"
  - action: slack.deactivateUser
    with: {email: "${{ user.alternateId }}"}
`,
}

// guardEvents makes one event per user spec: "type id login".
func guardEvents(t *testing.T, specs ...string) []*event.Event {
	t.Helper()
	var b strings.Builder
	for i, s := range specs {
		f := strings.Fields(s)
		fmt.Fprintf(&b, `{"uuid":"e%04d","published":"2024-03-01T09:00:00.000Z","eventType":%q,"target":[{"id":%q,"type":"User","alternateId":%q}]}`+"\n", i, f[0], f[1], f[2])
	}
	st, err := event.Decode(strings.NewReader(b.String()), "test", event.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var out []*event.Event
	for {
		e, err := st.Next()
		if err != nil {
			break
		}
		out = append(out, e)
	}
	return out
}

// TestBlastRadiusCountsPeople: the guardrail's one count, on the plan of
// the events. A person is distinct by Okta id and by the accounts the
// deprovisioning writes target.
func TestBlastRadiusCountsPeople(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("jml.yaml", guardConfig)
	for name, body := range guardFlows {
		write("flows/"+name, body)
	}
	p := load(t, dir)
	sixty := make([]string, 60)
	for i := range sixty {
		sixty[i] = fmt.Sprintf("user.lifecycle.deactivate 00uSAME u%02d@acme.com", i)
	}
	tests := []struct {
		name     string
		events   []string
		users    int
		by       string
		exceeded bool
	}{
		{"one leaver", []string{"user.lifecycle.deactivate 00uA a@acme.com"}, 1, "okta user id", false},
		{"the same user twice counts once", []string{"user.lifecycle.deactivate 00uA a@acme.com", "user.lifecycle.deactivate 00uA a@acme.com"}, 1, "okta user id", false},
		{"one person named by id and by a differently cased email counts once", []string{"user.lifecycle.deactivate 00uA a@acme.com", "user.lifecycle.deactivate 00uA A@Acme.com"}, 1, "okta user id", false},
		{"when: filters out contractors", []string{"user.lifecycle.deactivate 00uA a@acme.com", "user.lifecycle.deactivate 00uC c@contractor.io"}, 1, "okta user id", false},
		{"flows that only notify do not count", []string{"user.lifecycle.create 00uN new@acme.com"}, 0, "", false},
		{"a continueIf that stops every run counts nobody", []string{"user.lifecycle.suspend 00uA a@acme.com", "user.lifecycle.suspend 00uB b@acme.com", "user.lifecycle.suspend 00uC c@acme.com"}, 0, "", false},
		{"three leavers exceed a limit of 2", []string{"user.lifecycle.deactivate 00uA a@acme.com", "user.lifecycle.deactivate 00uB b@acme.com", "user.lifecycle.deactivate 00uC c@acme.com"}, 3, "okta user id", true},
		{"one Okta id, sixty logins: sixty people", sixty, 60, "slack.email", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pl := NewPlanner(p.Graph, "sha256:x", nil)
			stats, err := Run(context.Background(), Options{Graph: p.Graph, Events: guardEvents(t, tt.events...), Mode: engine.ModePlan},
				func(r Result) error { pl.Add(r); return nil })
			if err != nil {
				t.Fatal(err)
			}
			b := pl.Finish(stats).Summary.BlastRadius
			if b.Users != tt.users || b.CountedBy != tt.by || b.Exceeded != tt.exceeded || b.Limit != 2 {
				t.Fatalf("blast radius %d by %q, exceeded %v (limit %d); want %d by %q, exceeded %v", b.Users, b.CountedBy, b.Exceeded, b.Limit, tt.users, tt.by, tt.exceeded)
			}
			// jml serve's hourly window: each event simulated alone, its
			// People added to the window's, counts the same.
			w := plan.NewBlastRadius(2)
			for _, ev := range guardEvents(t, tt.events...) {
				one, err := Simulate(context.Background(), p.Graph, "sha256:x", nil, []*event.Event{ev}, nil, "")
				if err != nil {
					t.Fatal(err)
				}
				w.AddPeople(one.Summary.BlastRadius.People())
			}
			if w.Users != b.Users || w.CountedBy != b.CountedBy || w.Exceeded != b.Exceeded {
				t.Fatalf("window %d by %q, exceeded %v; the whole plan %d by %q, exceeded %v", w.Users, w.CountedBy, w.Exceeded, b.Users, b.CountedBy, b.Exceeded)
			}
		})
	}
}
