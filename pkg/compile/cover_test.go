package compile

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/jml-dev/jml/pkg/diag"
)

// bruteCoversExcluded is the definition coverIndex must keep: some reach of
// the instance whose every guard complements g or was passed before.
func bruteCoversExcluded(all []reach, instance string, before []*filter, g *filter) bool {
	for _, o := range all {
		if o.instance != instance {
			continue
		}
		ok := true
		for _, h := range o.guards {
			if !h.complements(g) && !passed(h, before) {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

// TestCoverIndexIsTheDefinition compares the index with the pairwise
// definition on random leavers built from a few conditions, their
// negations and state-reading ones, with shared and distinct ranges.
func TestCoverIndexIsTheDefinition(t *testing.T) {
	conds := []string{
		`!user.profile.login.endsWith("@svc.acme.com")`,
		`user.profile.login.endsWith("@svc.acme.com")`,
		`( user.profile.login.endsWith("@svc.acme.com") )`,
		`user.profile.department != "Board"`,
		`!(user.profile.department != "Board")`,
		`vars.keep`,
		`!vars.keep`,
		`event.eventType == "user.lifecycle.deactivate"`,
	}
	r := rand.New(rand.NewPCG(1, 2))
	var pool []*filter
	for i := 0; i < 40; i++ {
		src := conds[r.IntN(len(conds))]
		// A few filters share a range: the same card reached twice.
		rng := diag.Range{File: fmt.Sprintf("f%d.yaml", r.IntN(25)), Start: diag.Pos{Line: 3}}
		pool = append(pool, newFilter(nil, nil, src, rng))
	}
	insts := []string{"okta", "slack", "google"}
	checked, covered := 0, 0
	for round := 0; round < 300; round++ {
		var all []reach
		for i := r.IntN(12); i >= 0; i-- {
			var guards []*filter
			for j := r.IntN(4); j > 0; j-- {
				guards = append(guards, pool[r.IntN(len(pool))])
			}
			all = append(all, reach{instance: insts[r.IntN(len(insts))], guards: guards})
		}
		idx := newCoverIndex(all)
		for _, o := range all {
			for i, g := range o.guards {
				for _, inst := range insts {
					want := bruteCoversExcluded(all, inst, o.guards[:i], g)
					if got := idx.coversExcluded(inst, o.guards[:i], g); got != want {
						t.Fatalf("round %d: coversExcluded(%s, %d before, %q) = %v, want %v", round, inst, i, g.src, got, want)
					}
					checked++
					if want {
						covered++
					}
				}
			}
		}
	}
	// Both answers must have been exercised, or the test proves nothing.
	if covered == 0 || covered == checked {
		t.Fatalf("degenerate cases: %d of %d covered", covered, checked)
	}
	t.Logf("%d cases, %d covered", checked, covered)
}
