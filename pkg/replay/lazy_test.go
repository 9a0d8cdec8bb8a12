package replay

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
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
	// 40 people: each always the same type; 42: each created, deactivated
	// and created again in turn.
	lifecycle, lifecycle42 := filepath.Join(t.TempDir(), "lifecycle.ndjson"), filepath.Join(t.TempDir(), "lifecycle42.ndjson")
	if err := os.WriteFile(lifecycle, lifecycleLog(t, 400, 40), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(lifecycle42, lifecycleLog(t, 400, 42), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ repo, events string }{
		{"../../flows", "../../testdata/events"},
		{"../../flows", lifecycle},
		{"../../flows", lifecycle42},
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

// lifecycleLog is bench/memory.sh's LOG=lifecycle: the recorded
// deactivation, n times, its uuid made unique, its type rotating over
// four, its user one of users people — with users a multiple of four, each
// person always gets the same type, so a quarter are created again and
// again (the roster's repeated joiner entries, pkg/world/roster.go).
func lifecycleLog(t *testing.T, n, users int) []byte {
	t.Helper()
	tmpl, err := os.ReadFile("../../examples/quickstart/events/deactivate.ndjson")
	if err != nil {
		t.Fatal(err)
	}
	line, _, _ := strings.Cut(string(tmpl), "\n")
	types := []string{"user.lifecycle.deactivate", "user.lifecycle.create", "user.account.update_profile", "user.session.start"}
	var b strings.Builder
	for i := 0; i < n; i++ {
		u := i % users
		l := strings.Replace(line, "ab62c0bc-2837-11eb-9823-9fb8f750c5a9", fmt.Sprintf("bench-%08d", i), 1)
		l = strings.Replace(l, `"eventType":"user.lifecycle.deactivate"`, `"eventType":"`+types[i%4]+`"`, 1)
		l = strings.ReplaceAll(l, "john.doe@example.com", fmt.Sprintf("user%06d@example.com", u))
		l = strings.ReplaceAll(l, "00u3m90rxKjGQ0G6L1d6", fmt.Sprintf("00ubench%08d", u))
		b.WriteString(l + "\n")
	}
	return []byte(b.String())
}
