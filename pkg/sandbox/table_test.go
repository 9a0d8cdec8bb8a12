package sandbox_test

import (
	"testing"

	"github.com/jml-dev/jml/pkg/world"
)

// TestTableRoundTripEdges: the table store over the sandbox answers its
// failures — an unknown table or row (404), a value not of its column's
// type or an unknown column (400), an injected fault — with the status
// the world gives in-process, and leaves the same rows.
func TestTableRoundTripEdges(t *testing.T) {
	in := func(kv ...any) map[string]any {
		m := map[string]any{"table": "Members"}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i].(string)] = kv[i+1]
		}
		return m
	}
	row := func(kv ...any) map[string]any {
		m := map[string]any{}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i].(string)] = kv[i+1]
		}
		return m
	}
	runGMSCases(t, "state", []gmsCase{
		{name: "failures", world: "described", steps: []gmsStep{
			{"searchRows", map[string]any{"table": "Nope"}, 404},
			{"getRow", in("rowId", "missing"), 404},
			{"updateRow", in("rowId", "missing", "row", row()), 404},
			{"createRow", in("row", row("Days", "many")), 400},
			{"createRow", in("row", row("Owner", "x")), 400},
			{"searchRows", in("where", row("Days", row("like", 1))), 400},
			{"deleteRow", in("rowId", "missing"), 0},
		}},
		{name: "rows", world: "described", steps: []gmsStep{
			{"createRow", in("row", row("User ID", "u3", "Days", 3)), 0},
			{"searchRows", in("where", row("Days", row("lte", "7")), "orderBy", "Days"), 0},
			{"updateRow", in("rowId", "row-jane", "row", row("Days", 1)), 0},
			{"getRow", in("rowId", "row-jane"), 0},
			{"deleteRow", in("rowId", "row-jane"), 0},
			{"clearTable", in(), 0},
			{"searchRows", in(), 0},
		}},
		{name: "injected faults", world: "seeded", faults: []world.Fault{
			{Action: "state.createRow", Status: 503, Times: 1},
		}, steps: []gmsStep{
			{"createRow", in("row", row("Days", 3)), 503},
			{"createRow", in("row", row("Days", 3)), 0},
		}},
	})
}
