package view

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/jml-dev/jml/pkg/engine"
	"github.com/jml-dev/jml/pkg/plan"
)

// TestMarkdownSpools: a markdown plan or dry-run keeps its layout — the
// summary first, then the table, then the sections — however many events
// it has: rows and sections past 1 MiB wait in temporary files, which
// Close removes.
func TestMarkdownSpools(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	const n = 4000
	run := func(i int) *engine.Run {
		return &engine.Run{Flow: "leaver", Status: engine.StatusSuccess, Changes: []engine.Change{
			{Card: "slack", Action: "slack.deactivateUser", With: map[string]any{"email": fmt.Sprintf("u%05d@acme.com", i), "pad": strings.Repeat("é", 200)}, Via: []string{}},
		}}
	}
	check := func(t *testing.T, out string, head, row string) {
		t.Helper()
		if !strings.HasPrefix(out, head) {
			t.Fatalf("does not start with the summary:\n%.300s", out)
		}
		table := strings.Index(out, row+"00000`")
		last := strings.Index(out, row+fmt.Sprintf("%05d`", n-1))
		details := strings.Index(out, "<details>")
		if table < 0 || last < table || details < last {
			t.Fatalf("table at %d, its last row at %d, first section at %d", table, last, details)
		}
		if got := strings.Count(out, "<details>"); got != n {
			t.Errorf("%d sections, want %d", got, n)
		}
		if files, _ := os.ReadDir(tmp); len(files) != 0 {
			t.Errorf("Close left %d temporary files", len(files))
		}
	}

	t.Run("plan", func(t *testing.T) {
		var out bytes.Buffer
		r := NewPlanRenderer("markdown", &out, Styles{})
		sum := plan.NewSummary()
		if err := r.Begin("sha256:x", nil); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < n; i++ {
			ev := plan.NewEvent(fmt.Sprintf("m-%05d", i), "user.lifecycle.deactivate", "", []*engine.Run{run(i)})
			sum.Count(ev, nil)
			sum.Events++
			if err := r.Event(ev); err != nil {
				t.Fatal(err)
			}
		}
		spilled := false
		if pm := r.(*planMarkdown); pm.details.Len() > 1<<20 {
			files, _ := os.ReadDir(tmp)
			spilled = len(files) > 0
		}
		if !spilled {
			t.Fatal("the sections did not go to a temporary file")
		}
		if err := r.End(sum); err != nil {
			t.Fatal(err)
		}
		if err := r.Close(); err != nil {
			t.Fatal(err)
		}
		check(t, out.String(), fmt.Sprintf("### jml plan\n\nPlan: %d events, %d runs, %d changes (%d success).\n\n", n, n, n, n), "| `m-")
	})

	t.Run("dry-run", func(t *testing.T) {
		var out bytes.Buffer
		r := NewTraceRenderer("markdown", &out, "", Styles{})
		sum := TraceSummary{ByStatus: map[engine.Status]int{}}
		for i := 0; i < n; i++ {
			rn := run(i)
			rn.Cards = []*engine.CardTrace{{Kind: "action", Action: "slack.deactivateUser", ID: "slack", Status: engine.CardSuccess, Input: rn.Changes[0].With}}
			sum.Events++
			sum.Runs++
			sum.ByStatus[rn.Status]++
			if err := r.Event(TraceEvent{UUID: fmt.Sprintf("d-%05d", i), EventType: "user.lifecycle.deactivate", Runs: []*engine.Run{rn}}); err != nil {
				t.Fatal(err)
			}
		}
		if err := r.End(sum); err != nil {
			t.Fatal(err)
		}
		if err := r.Close(); err != nil {
			t.Fatal(err)
		}
		check(t, out.String(), fmt.Sprintf("### jml dry-run\n\nDry run: %d events, %d runs (%d success).\n\n", n, n, n), "| `d-")
	})
}
