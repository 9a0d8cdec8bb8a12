package engine

import (
	"fmt"
	"strings"
	"testing"

	"github.com/jml-dev/jml/pkg/compile"
)

// TestRunLimits: SPEC §10 — a flow cannot loop forever: a forEach over
// more than MaxForEachItems items fails before any item runs, and helper
// calls nested deeper than compile.MaxCallDepth (no cycle: a chain) fail
// the run with code call_depth instead of growing without bound.
func TestRunLimits(t *testing.T) {
	t.Run("forEach items", func(t *testing.T) {
		g := graph(t, fmt.Sprintf("name: big\ntrigger: {event: user.lifecycle.deactivate}\nsteps:\n  - forEach: 'lists.range(%d)'\n    as: i\n    do:\n      - action: slack.postMessage\n        with: {channel: '#it', text: x}\n", MaxForEachItems+1))
		fx := &fake{}
		r, _ := run(t, g, fx, "big")
		if r.Status != StatusFailed || r.Error == nil || !strings.Contains(r.Error.Message, "more than the limit of 10000") {
			t.Fatalf("status %s, error %+v", r.Status, r.Error)
		}
		if len(fx.calls) != 0 {
			t.Fatalf("%d calls made before the limit was checked", len(fx.calls))
		}
	})
	t.Run("helper depth", func(t *testing.T) {
		depth := compile.MaxCallDepth + 2
		flows := []string{"name: top\ntrigger: {event: user.lifecycle.deactivate}\nsteps:\n  - call: h0\n"}
		for i := 0; i < depth; i++ {
			next := fmt.Sprintf("  - call: h%d\n", i+1)
			if i == depth-1 {
				next = "  - action: slack.postMessage\n    with: {channel: '#it', text: deep}\n"
			}
			flows = append(flows, fmt.Sprintf("name: h%d\ntrigger: {helper: {}}\nsteps:\n%s", i, next))
		}
		g := graph(t, flows...)
		fx := &fake{}
		r, _ := run(t, g, fx, "top")
		if r.Status != StatusFailed || r.Error == nil || r.Error.Code != "call_depth" {
			t.Fatalf("status %s, error %+v", r.Status, r.Error)
		}
		if len(fx.calls) != 0 {
			t.Fatalf("the deepest card ran: %v", fx.names())
		}
	})
}
