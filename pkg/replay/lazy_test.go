package replay

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/jml-dev/jml/bench/tenant"
	"github.com/jml-dev/jml/pkg/effect"
	"github.com/jml-dev/jml/pkg/engine"
	"github.com/jml-dev/jml/pkg/world"
)

// replayWorld replays sources through the repository in dir, seeding the
// world eagerly or through its roster (pkg/world/roster.go), and returns
// a line per trigger (its runs, their changes and outputs) and the
// world's state at the end.
func replayWorld(t *testing.T, dir string, sources []string, mode engine.Mode, eager bool) ([]string, string) {
	t.Helper()
	p := load(t, dir)
	var w *world.World
	var lines []string
	_, err := Run(context.Background(), Options{Graph: p.Graph, Sources: sources, Mode: mode, KeepGoing: true,
		Wrap: func(e effect.Effector) effect.Effector {
			w = e.(*world.World)
			if eager {
				w.SeedEagerly()
			}
			return e
		}},
		func(r Result) error {
			lines = append(lines, triggerLine(t, r))
			return nil
		})
	if err != nil {
		lines = append(lines, "error: "+err.Error())
	}
	state, err := json.Marshal(w.State())
	if err != nil {
		t.Fatal(err)
	}
	return lines, string(state)
}

// TestLazyWorldSamePlans: the recorded events, the examples' events and a
// generated tenant's log give the same plan and dry-run — every run, its
// changes and outputs — and the same world at the end whether the world
// seeds every user into every app at once or through its roster.
func TestLazyWorldSamePlans(t *testing.T) {
	log := filepath.Join(t.TempDir(), "tenant.ndjson")
	if err := os.WriteFile(log, tenant.Bytes(tenant.Options{Events: 6000, Duplicates: 20}), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ repo, events string }{
		{"../../flows", "../../testdata/events"},
		{"../../flows", "../../flows/events"},
		{"../../flows", log},
		{"../../examples/enterprise", "../../examples/enterprise/events"},
		{"../../examples/enterprise", log},
		{"../../examples/quickstart", "../../testdata/events"},
		{"../../examples/quickstart", "../../examples/quickstart/events"},
	} {
		for _, mode := range []engine.Mode{engine.ModePlan, engine.ModeDryRun} {
			t.Run(tc.repo+" "+filepath.Base(tc.events)+" "+string(mode), func(t *testing.T) {
				eager, eagerState := replayWorld(t, tc.repo, []string{tc.events}, mode, true)
				lazy, lazyState := replayWorld(t, tc.repo, []string{tc.events}, mode, false)
				if len(eager) == 0 {
					t.Fatal("no trigger")
				}
				if len(eager) != len(lazy) {
					t.Fatalf("%d triggers seeding eagerly, %d lazily", len(eager), len(lazy))
				}
				for i := range eager {
					if eager[i] != lazy[i] {
						t.Fatalf("trigger %d differs\neager: %s\nlazy:  %s", i, eager[i], lazy[i])
					}
				}
				if eagerState != lazyState {
					t.Errorf("the worlds differ at the end:\neager: %.2000s\nlazy:  %.2000s", eagerState, lazyState)
				}
			})
		}
	}
}
