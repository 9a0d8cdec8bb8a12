package plan

import (
	"encoding/json"
	"testing"

	"github.com/jml-dev/jml/pkg/engine"
)

func ch(path, action string, with map[string]any) engine.Change {
	return engine.Change{Card: path, Path: path, Action: action, With: with}
}

func planOf(evs ...Event) *Plan {
	p := New("", nil)
	p.Events = evs
	return p
}

func TestCompare(t *testing.T) {
	slack := ch("steps[1]", "slack.deactivateUser", map[string]any{"email": "a@acme.com"})
	google := ch("steps[2]", "google.suspendUser", map[string]any{"userKey": "a@acme.com"})
	ticket := ch("steps[3]", "itsm.createRecord", map[string]any{"table": "sc_task"})
	ticket2 := ch("steps[3]", "itsm.createRecord", map[string]any{"table": "incident"})
	ev := func(runs ...Run) Event { return Event{UUID: "e1", EventType: "user.lifecycle.deactivate", Runs: runs} }
	leaver := func(status engine.Status, cs ...engine.Change) Run {
		return Run{Flow: "leaver", Status: status, Changes: cs}
	}
	tests := []struct {
		name       string
		base, head *Plan
		want       DiffSummary
		kinds      string // run kinds and change kinds, in order
	}{
		{"same", planOf(ev(leaver("success", slack))), planOf(ev(leaver("success", slack))),
			DiffSummary{Events: 1}, ""},
		{"a write added", planOf(ev(leaver("success", slack))), planOf(ev(leaver("success", slack, google))),
			DiffSummary{Events: 1, Changed: 1, ChangesAdded: 1}, "changed[added google.suspendUser]"},
		{"a write removed, another modified", planOf(ev(leaver("success", slack, ticket))), planOf(ev(leaver("success", ticket2))),
			DiffSummary{Events: 1, Changed: 1, ChangesRemoved: 1, ChangesModified: 1}, "changed[modified itsm.createRecord removed slack.deactivateUser]"},
		{"a write inserted before another: the other moved, unchanged", planOf(ev(leaver("success", slack, ch("steps[2]", "itsm.createRecord", map[string]any{"table": "sc_task"})))),
			planOf(ev(leaver("success", slack, google, ticket))),
			DiffSummary{Events: 1, Changed: 1, ChangesAdded: 1}, "changed[added google.suspendUser]"},
		{"status only", planOf(ev(leaver("success", slack))), planOf(ev(leaver("halted", slack))),
			DiffSummary{Events: 1, Changed: 1, StatusChanged: 1}, "changed[]"},
		{"a run added", planOf(ev()), planOf(ev(leaver("success", slack))),
			DiffSummary{Events: 1, Changed: 1, RunsAdded: 1, ChangesAdded: 1}, "added[added slack.deactivateUser]"},
		{"a run removed", planOf(ev(leaver("success", slack, google))), planOf(ev()),
			DiffSummary{Events: 1, Changed: 1, RunsRemoved: 1, ChangesRemoved: 2}, "removed[removed slack.deactivateUser removed google.suspendUser]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := Compare("main", tt.base, "working tree", tt.head)
			if d.Summary != tt.want {
				t.Fatalf("summary %+v, want %+v", d.Summary, tt.want)
			}
			if d.Differs() != (tt.kinds != "") {
				t.Fatalf("Differs() = %v", d.Differs())
			}
			got := ""
			for _, e := range d.Events {
				for _, r := range e.Runs {
					got += r.Kind + "["
					for i, c := range r.Changes {
						if i > 0 {
							got += " "
						}
						got += c.Kind + " " + c.Action
					}
					got += "]"
				}
			}
			if got != tt.kinds {
				t.Fatalf("got %s, want %s", got, tt.kinds)
			}
			if _, err := json.Marshal(d); err != nil {
				t.Fatal(err)
			}
		})
	}
}
