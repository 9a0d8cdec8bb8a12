package history

import (
	"context"
	"reflect"
	"testing"

	"github.com/jml-dev/jml/pkg/engine"
)

// TestBranchTakenStored: the arm an if or switch card took, and the value
// that chose it, are stored with the run's trace and read back, on every
// back end.
func TestBranchTakenStored(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		rec := NewRecorder(s, nil, nil, "sha256:x")
		run := &engine.Run{ID: "run-branch", Flow: "joiner", EventUUID: "ev-1", Mode: engine.ModeApply, Status: engine.StatusSuccess,
			StartedAt: t0, EndedAt: t0, Changes: []engine.Change{}, Cards: []*engine.CardTrace{
				{Path: "steps[0]", Kind: "if", Flow: "joiner", Status: engine.CardSuccess, Taken: "else", Value: false, Message: "else", StartedAt: t0},
				{Path: "steps[1]", Kind: "switch", Flow: "joiner", Status: engine.CardSuccess, Taken: "case contractor", Value: "contractor", Message: "case contractor", StartedAt: t0,
					Children: []*engine.CardTrace{{Path: "steps[1].cases.contractor[0]", Kind: "assign", Flow: "joiner", Branch: "case contractor", Status: engine.CardSuccess, StartedAt: t0}}},
			}}
		rec.RunStarted(run)
		rec.RunFinished(run)
		if err := rec.Err(); err != nil {
			t.Fatal(err)
		}
		r, err := s.Run(ctx, "run-branch")
		if err != nil {
			t.Fatal(err)
		}
		got, err := r.DecodeTrace()
		if err != nil {
			t.Fatal(err)
		}
		for i, want := range run.Cards {
			c := got.Cards[i]
			if c.Taken != want.Taken || !reflect.DeepEqual(c.Value, want.Value) {
				t.Errorf("card %s: taken %q value %#v, want %q %#v", c.Path, c.Taken, c.Value, want.Taken, want.Value)
			}
		}
		if b := got.Cards[1].Children[0].Branch; b != "case contractor" {
			t.Errorf("nested card in branch %q", b)
		}
	})
}

// TestBranchTakenFromOlderRows: a trace recorded before cards had taken
// named an if's or a switch's arm in message; it reads as taken. Other
// cards' messages, and a skipped if's, are not arms.
func TestBranchTakenFromOlderRows(t *testing.T) {
	card := func(kind, status, message string) string {
		return `{"path":"steps[0]","kind":"` + kind + `","flow":"f","status":"` + status + `","message":"` + message + `","startedAt":"2026-11-01T09:00:00Z","duration":0}`
	}
	tests := []struct {
		name, card, taken string
	}{
		{"if then", card("if", "success", "then"), "then"},
		{"if else, halted in its arm", card("if", "halted", "else"), "else"},
		{"switch case", card("switch", "success", "case contractor"), "case contractor"},
		{"switch default", card("switch", "success", "default"), "default"},
		{"skipped if", card("if", "skipped", "not run: the flow stopped before it"), ""},
		{"halt", card("halt", "halted", "then"), ""},
		{"taken wins", `{"path":"steps[0]","kind":"if","flow":"f","status":"success","taken":"else","message":"then","startedAt":"2026-11-01T09:00:00Z","duration":0}`, "else"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &RunRow{ID: "run-old", Format: 1, Trace: `{"id":"run-old","flow":"f","mode":"apply","status":"success","startedAt":"2026-11-01T09:00:00Z","endedAt":"2026-11-01T09:00:00Z","error":null,"cards":[` + tt.card + `],"changes":[]}`}
			run, err := r.DecodeTrace()
			if err != nil {
				t.Fatal(err)
			}
			if got := run.Cards[0].Taken; got != tt.taken {
				t.Errorf("taken %q, want %q", got, tt.taken)
			}
		})
	}
}
