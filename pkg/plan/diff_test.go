package plan

import (
	"encoding/json"
	"strings"
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

func TestFieldChanges(t *testing.T) {
	tests := []struct {
		name      string
		was, with map[string]any
		want      string // path kind, in order
	}{
		{"same", map[string]any{"a": 1}, map[string]any{"a": 1}, ""},
		{"a scalar modified", map[string]any{"table": "sc_task", "x": 1}, map[string]any{"table": "incident", "x": 1}, "table modified"},
		{"nested, only the changed leaf", map[string]any{"fields": map[string]any{"a": "x", "b": "y"}}, map[string]any{"fields": map[string]any{"a": "x", "b": "z"}}, "fields.b modified"},
		{"added and removed, in path order", map[string]any{"b": 1, "c": 2}, map[string]any{"a": 1, "c": 2}, "a added, b removed"},
		{"a list compared whole", map[string]any{"l": []any{1, 2}}, map[string]any{"l": []any{1, 3}}, "l modified"},
		{"a mapping replaced by a scalar", map[string]any{"m": map[string]any{"a": 1}}, map[string]any{"m": "s"}, "m modified"},
		{"a key that is not a plain name", map[string]any{"headers": map[string]any{"X-Trace": "1"}}, map[string]any{"headers": map[string]any{"X-Trace": "2"}}, `headers["X-Trace"] modified`},
		{"set to null is modified, not removed", map[string]any{"a": "x"}, map[string]any{"a": nil}, "a modified"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, f := range FieldChanges(tt.was, tt.with) {
				got = append(got, f.Path+" "+f.Kind)
			}
			if s := strings.Join(got, ", "); s != tt.want {
				t.Fatalf("got %q, want %q", s, tt.want)
			}
		})
	}
}

// TestCompareFieldsAndUsers: a modified write carries its field-level
// difference, and SetUsers names each event's user.
func TestCompareFieldsAndUsers(t *testing.T) {
	base := planOf(Event{UUID: "e1", Runs: []Run{{Flow: "leaver", Status: "success", Changes: []engine.Change{ch("steps[0]", "itsm.createRecord", map[string]any{"table": "sc_task", "short": "x"})}}}})
	head := planOf(Event{UUID: "e1", Runs: []Run{{Flow: "leaver", Status: "success", Changes: []engine.Change{ch("steps[0]", "itsm.createRecord", map[string]any{"table": "incident", "short": "x"})}}}})
	d := Compare("main", base, "the working tree", head)
	d.SetUsers(func(uuid string) string { return map[string]string{"e1": "jane@acme.com"}[uuid] })
	if len(d.Events) != 1 || d.Events[0].User != "jane@acme.com" {
		t.Fatalf("events %+v", d.Events)
	}
	c := d.Events[0].Runs[0].Changes[0]
	if c.Kind != ChangeModified || len(c.Fields) != 1 || c.Fields[0] != (FieldChange{Path: "table", Kind: ChangeModified, Was: "sc_task", With: "incident"}) {
		t.Fatalf("change %+v", c)
	}
}
