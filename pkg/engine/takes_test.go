package engine

import (
	"testing"

	"github.com/jml-dev/jml/pkg/clock"
	"github.com/jml-dev/jml/pkg/event"
)

// TestTakes: Takes is true exactly for the types Select can pick a flow
// for, whatever --flow says, so that the replay decodes in full every
// event some flow may run on (and no other).
func TestTakes(t *testing.T) {
	g := graph(t, `name: a
trigger: {event: user.lifecycle.*, when: 'user != null'}
steps: [{halt: x}]
`, `name: b
enabled: false
trigger: {event: group.user_membership.add}
steps: [{halt: x}]
`, `name: c
trigger: {event: [user.account.update_profile, "app.*.grant"]}
steps: [{halt: x}]
`, `name: h
trigger: {helper: {}}
steps: [{halt: x}]
`, `name: s
trigger: {schedule: {cron: "0 2 * * *"}}
steps: [{halt: x}]
`)
	types := map[string]bool{
		"user.lifecycle.deactivate":    true,
		"user.lifecycle.create":        true,
		"user.account.update_profile":  true,
		"app.oauth2.grant":             true,
		"group.user_membership.add":    false, // only a disabled flow
		"user.session.start":           false,
		"user.account.update_password": false,
		"application.lifecycle.create": false,
		"":                             false,
	}
	for _, flow := range []string{"", "a", "b", "c"} {
		e := New(Options{Graph: g, Effector: &fake{}, Clock: clock.NewVirtual(t0), Mode: ModePlan, Flow: flow})
		for typ, want := range types {
			if got := Takes(g, typ); got != want {
				t.Errorf("Takes(%q) = %v, want %v", typ, got, want)
			}
			sel := e.Select(&event.Event{UUID: "1", EventType: typ})
			if len(sel.Flows) > 0 && !want {
				t.Errorf("--flow %q: Select(%q) runs %d flows but Takes is false", flow, typ, len(sel.Flows))
			}
			if flow == "" && (len(sel.Flows) > 0) != want {
				t.Errorf("Select(%q) runs %d flows, Takes is %v", typ, len(sel.Flows), want)
			}
		}
	}
}
