package view

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/jml-dev/jml/pkg/engine"
	"github.com/jml-dev/jml/pkg/plan"
)

// TestDiffMarkdown renders plan --compare's pull-request comment
// (testdata/compare/*.golden).
func TestDiffMarkdown(t *testing.T) {
	const base, head = "0123456789abcdef0123456789abcdef01234567", "fedcba9876543210fedcba9876543210fedcba98"
	ch := func(path, action string, with map[string]any) engine.Change {
		return engine.Change{Card: path, Path: path, Action: action, With: with}
	}
	slack := func(u string) engine.Change {
		return ch("steps[0]", "slack.deactivateUser", map[string]any{"email": u})
	}
	google := func(u string) engine.Change {
		return ch("steps[1]", "google.suspendUser", map[string]any{"userKey": u})
	}
	ticket := func(table, desc string) engine.Change {
		return ch("steps[2]", "itsm.createRecord", map[string]any{"table": table, "fields": map[string]any{"short_description": desc, "category": "hr", "description": table + ": " + desc}})
	}
	leaver := func(uuid string, cs ...engine.Change) plan.Event {
		return plan.Event{UUID: uuid, EventType: "user.lifecycle.deactivate", Published: "2024-03-01T09:00:00.000Z",
			Runs: []plan.Run{{Flow: "leaver", Status: engine.StatusSuccess, Changes: cs}}}
	}
	planOf := func(evs ...plan.Event) *plan.Plan {
		p := plan.New("", nil)
		p.Events = evs
		return p
	}
	users := map[string]string{"e1": "jane.doe@acme.com", "e2": "bob@contractor.io"}
	long := "Offboard jane.doe@acme.com: revoke the badge, collect the laptop, archive the mailbox and the drive, then close"
	var many, manyHead []plan.Event
	for i := 0; i < CollapseAfter+5; i++ {
		u := fmt.Sprintf("u%02d@acme.com", i)
		uuid := fmt.Sprintf("m%02d", i)
		users[uuid] = u
		many = append(many, leaver(uuid, slack(u)))
		manyHead = append(manyHead, leaver(uuid, slack(u), google(u)))
	}

	tests := []struct {
		name       string
		base, head *plan.Plan
		dirty      bool
	}{
		{"no-change", planOf(leaver("e1", slack("jane.doe@acme.com"))), planOf(leaver("e1", slack("jane.doe@acme.com"))), false},
		{"added-writes", planOf(leaver("e1", slack("jane.doe@acme.com"))), planOf(leaver("e1", slack("jane.doe@acme.com"), google("jane.doe@acme.com"))), false},
		{"removed-writes", planOf(leaver("e1", slack("jane.doe@acme.com")), leaver("e2", slack("bob@contractor.io"))),
			planOf(leaver("e1"), leaver("e2")), false},
		{"modified-write-fields-elided", planOf(leaver("e1", ticket("sc_task", long+" the ticket."))), planOf(leaver("e1", ticket("incident", long+" the incident."))), false},
		{"many-rows-collapsed", planOf(many...), planOf(manyHead...), false},
		{"dirty-working-tree", planOf(leaver("e1", slack("jane.doe@acme.com"))), planOf(leaver("e1", google("jane.doe@acme.com"))), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := plan.Compare("main", tt.base, "the working tree", tt.head)
			d.BaseCommit, d.HeadCommit, d.HeadDirty = base, head, tt.dirty
			d.SetUsers(func(uuid string) string { return users[uuid] })
			var out bytes.Buffer
			DiffMarkdown(&out, d)
			golden(t, "compare/"+tt.name, out.String())
		})
	}
}

// TestDiffMarkdownBreakouts: a value holding a code fence or a pipe does
// not end the diff block or a table cell early.
func TestDiffMarkdownBreakouts(t *testing.T) {
	ev := func(with map[string]any) plan.Event {
		return plan.Event{UUID: "e|1", EventType: "user.lifecycle.deactivate", Runs: []plan.Run{{Flow: "leaver", Status: engine.StatusSuccess,
			Changes: []engine.Change{{Card: "steps[0]", Path: "steps[0]", Action: "slack.postMessage", With: with}}}}}
	}
	b, h := plan.New("", nil), plan.New("", nil)
	b.Events = []plan.Event{ev(map[string]any{"text": "hi"})}
	h.Events = []plan.Event{ev(map[string]any{"text": "```\n| x |"})}
	d := plan.Compare("main", b, "the working tree", h)
	d.SetUsers(func(string) string { return "a|b`c@acme.com" })
	var out bytes.Buffer
	DiffMarkdown(&out, d)
	s := out.String()
	if !strings.Contains(s, "````diff\n") || !strings.HasSuffix(strings.TrimSpace(s), "````") {
		t.Errorf("the fence is not longer than the value's backticks:\n%s", s)
	}
	if !strings.Contains(s, "| `e\\|1` | `a\\|b'c@acme.com` |") {
		t.Errorf("uuid and user not escaped in the table:\n%s", s)
	}
}

func TestElidePair(t *testing.T) {
	x := func(n int) string { return strings.Repeat("x", n) }
	tests := []struct {
		name, a, b, wantA, wantB string
	}{
		{"short values whole", "sc_task", "incident", "sc_task", "incident"},
		{"exactly the limit whole", x(ElideAfter), x(ElideAfter - 1), x(ElideAfter), x(ElideAfter - 1)},
		{"long, differing early: the start", "a" + x(100), "b" + x(100), "a" + x(ElideAfter-2) + "…", "b" + x(ElideAfter-2) + "…"},
		{"long, differing late: around the difference", x(100) + "A" + x(10), x(100) + "B" + x(10),
			"…" + x(ElideAfter/4) + "A" + x(10), "…" + x(ElideAfter/4) + "B" + x(10)},
		{"long, differing late, a long tail: cut at both ends", x(100) + "A" + x(100), x(100) + "B" + x(100),
			"…" + x(ElideAfter/4) + "A" + x(ElideAfter-ElideAfter/4-3) + "…", "…" + x(ElideAfter/4) + "B" + x(ElideAfter-ElideAfter/4-3) + "…"},
		{"multi-byte characters count as one", strings.Repeat("é", 90), "", strings.Repeat("é", ElideAfter-1) + "…", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, b := elidePair(tt.a, tt.b)
			if a != tt.wantA || b != tt.wantB {
				t.Fatalf("got\n%q\n%q\nwant\n%q\n%q", a, b, tt.wantA, tt.wantB)
			}
			for _, s := range []string{a, b} {
				if n := len([]rune(s)); n > ElideAfter {
					t.Errorf("%d characters, more than %d", n, ElideAfter)
				}
			}
		})
	}
}
