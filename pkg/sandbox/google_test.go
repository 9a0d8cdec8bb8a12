package sandbox_test

import (
	"testing"

	"github.com/jml-dev/jml/pkg/effect"
	"github.com/jml-dev/jml/pkg/world"
)

// TestGoogleRoundTripEdges holds the google connector and the sandbox to
// the in-process world beyond the happy path: unknown users, idempotent
// group changes, the transfer's own refusals and injected faults.
func TestGoogleRoundTripEdges(t *testing.T) {
	runGMSCases(t, "google", []gmsCase{
		{name: "unknown user", world: "described", steps: []gmsStep{
			{"getUser", map[string]any{"userKey": "nobody@acme.com"}, 404},
			{"getUser", map[string]any{"userKey": "jane.doe/../bob@acme.com"}, 404},
			{"removeFromGroup", map[string]any{"groupKey": "vpn@acme.com/members", "userKey": "a b?c#d@acme.com"}, 404},
			{"suspendUser", map[string]any{"userKey": "nobody@acme.com"}, 404},
			{"signOutUser", map[string]any{"userKey": "nobody@acme.com"}, 404},
			{"addToGroup", map[string]any{"groupKey": "vpn@acme.com", "userKey": "nobody@acme.com"}, 404},
			{"removeFromGroup", map[string]any{"groupKey": "vpn@acme.com", "userKey": "nobody@acme.com"}, 404},
			{"transferDrive", map[string]any{"fromUser": "nobody@acme.com", "toUser": "bob@acme.com"}, 404},
			{"transferDrive", map[string]any{"fromUser": "jane.doe@acme.com", "toUser": "nobody@acme.com"}, 404},
			{"transferCalendar", map[string]any{"fromUser": "nobody@acme.com", "toUser": "bob@acme.com"}, 404},
			{"transferCalendar", map[string]any{"fromUser": "jane.doe@acme.com", "toUser": "nobody@acme.com"}, 404},
		}},
		{name: "missing input", world: "seeded", steps: []gmsStep{
			{"getUser", map[string]any{}, 400},
			{"addToGroup", map[string]any{"userKey": "bob@acme.com"}, 400},
		}},
		{name: "unknown group in a closed world", world: "described", steps: []gmsStep{
			{"addToGroup", map[string]any{"groupKey": "nope@acme.com", "userKey": "bob@acme.com"}, 404},
			{"removeFromGroup", map[string]any{"groupKey": "nope@acme.com", "userKey": "bob@acme.com"}, 404},
		}},
		{name: "idempotent group changes", world: "described", steps: []gmsStep{
			{"addToGroup", map[string]any{"groupKey": "vpn@acme.com", "userKey": "jane.doe@acme.com"}, 0},
			{"addToGroup", map[string]any{"groupKey": "vpn@acme.com", "userKey": "robert@acme.com"}, 0},
			{"addToGroup", map[string]any{"groupKey": "VPN@acme.com", "userKey": "bob@acme.com"}, 0},
			{"removeFromGroup", map[string]any{"groupKey": "vpn@acme.com", "userKey": "bob@acme.com"}, 0},
			{"removeFromGroup", map[string]any{"groupKey": "vpn@acme.com", "userKey": "bob@acme.com"}, 0},
		}},
		{name: "transfer refusals and id keys", world: "described", steps: []gmsStep{
			{"transferDrive", map[string]any{"fromUser": "jane.doe@acme.com", "toUser": "jane.doe@acme.com"}, 400},
			{"suspendUser", map[string]any{"userKey": "robert@acme.com"}, 0},
			{"transferDrive", map[string]any{"fromUser": "jane.doe@acme.com", "toUser": "bob@acme.com"}, 400},
			{"unsuspendUser", map[string]any{"userKey": "bob@acme.com"}, 0},
			{"transferDrive", map[string]any{"fromUser": "jane.doe@acme.com", "toUser": "robert@acme.com", "privacyLevels": []any{"SHARED"}}, 0},
			{"transferDrive", map[string]any{"fromUser": "jane.doe@acme.com", "toUser": "bob@acme.com"}, 0},
			{"transferCalendar", map[string]any{"fromUser": "jane.doe@acme.com", "toUser": "jane.doe@acme.com"}, 400},
			{"transferCalendar", map[string]any{"fromUser": "jane.doe@acme.com", "toUser": "bob@acme.com"}, 0},
			{"transferCalendar", map[string]any{"fromUser": "jane.doe@acme.com", "toUser": "bob@acme.com"}, 0},
		}},
		{name: "injected faults", world: "seeded", faults: []world.Fault{
			{Action: "google.suspendUser", Status: 429, Times: 1},
			{Action: "google.transferDrive", Status: 503},
			{Action: "google.*", User: "bob@acme.com", Status: 500, Times: 1},
		}, steps: []gmsStep{
			{"suspendUser", map[string]any{"userKey": "jane.doe@acme.com"}, 429},
			{"suspendUser", map[string]any{"userKey": "jane.doe@acme.com"}, 0},
			{"transferDrive", map[string]any{"fromUser": "jane.doe@acme.com", "toUser": "boss@acme.com"}, 503},
			{"signOutUser", map[string]any{"userKey": "bob@acme.com"}, 500},
			{"signOutUser", map[string]any{"userKey": "bob@acme.com"}, 0},
		}},
	})
}

// gmsStep is one action of an edge case and the status it must fail with
// (0: it must succeed), in-process and via the sandbox alike.
type gmsStep struct {
	action string
	input  map[string]any
	status int
}

// gmsCase is a sequence of steps on a fresh pair of worlds with faults.
type gmsCase struct {
	name   string
	world  string
	faults []world.Fault
	steps  []gmsStep
}

// runGMSCases runs each case on a fresh pair and compares the worlds'
// states afterwards.
func runGMSCases(t *testing.T, instance string, cases []gmsCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := newPair(t, worlds[tc.world])
			p.local.AddFaults(tc.faults...)
			p.remote.AddFaults(tc.faults...)
			for i, s := range tc.steps {
				_, err := p.both(t, effect.Request{Instance: instance, Action: s.action, Input: s.input})
				switch {
				case s.status == 0 && err != nil:
					t.Fatalf("step %d %s: %v", i, s.action, err)
				case s.status != 0 && (err == nil || err.Status != s.status):
					t.Fatalf("step %d %s: got %v, want status %d", i, s.action, err, s.status)
				}
			}
			p.sameState(t)
		})
	}
}
