package view

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"runtime"
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

// TestRenderersHeapFlat: a plan renderer's live heap does not grow with
// the events it has written — text and json write each event out, and
// markdown's table and sections, once past the spools' 1 MiB, wait in
// temporary files. Measured in bytes per event over a second batch of
// events, after the first has filled the spools' memory; a renderer that
// kept a row, a section or any per-event aggregate in memory (a few
// hundred bytes an event and more) fails it. Not parallel: the heap is
// the process's.
func TestRenderersHeapFlat(t *testing.T) {
	t.Setenv("TMPDIR", t.TempDir())
	const n = 8000 // markdown's sections pass 1 MiB within the first batch
	events := make([]plan.Event, 100)
	for i := range events {
		var changes []engine.Change
		for k := 0; k < 3; k++ {
			changes = append(changes, engine.Change{Card: fmt.Sprintf("card%d", k), Action: "slack.deactivateUser", Via: []string{"offboard"},
				With: map[string]any{"email": fmt.Sprintf("u%05d@acme.com", i), "text": "Offboarding | `u` done"}})
		}
		events[i] = plan.NewEvent(fmt.Sprintf("ev-%05d", i), "user.lifecycle.deactivate", "2026-12-04T10:00:00.000Z",
			[]*engine.Run{{Flow: "leaver", Status: engine.StatusSuccess, Changes: changes}})
	}
	live := func() uint64 {
		var m runtime.MemStats
		runtime.GC()
		runtime.GC()
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	for _, format := range []string{"text", "json", "markdown"} {
		t.Run(format, func(t *testing.T) {
			r := NewPlanRenderer(format, io.Discard, Styles{})
			defer r.Close()
			if err := r.Begin("sha256:x", nil); err != nil {
				t.Fatal(err)
			}
			batch := func() {
				for i := 0; i < n; i++ {
					if err := r.Event(events[i%len(events)]); err != nil {
						t.Fatal(err)
					}
				}
			}
			batch()
			before := live()
			batch()
			after := live()
			runtime.KeepAlive(r)
			grown := int64(after) - int64(before)
			if perEvent := float64(grown) / n; perEvent > 16 {
				t.Errorf("the live heap grew by %d bytes over %d events (%.1f an event): the renderer keeps something per event", grown, n, perEvent)
			}
		})
	}
}
