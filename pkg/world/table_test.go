package world

import (
	"reflect"
	"strings"
	"testing"

	"github.com/jml-dev/jml/pkg/effect"
)

// TestTableModel: the table store's rows as the SQL store keeps them —
// a createRow's id from its idempotency key (a repeat finds its row), a
// 404 for an unknown table or row (getRow, updateRow), deleteRow
// idempotent, clearTable counting, values stored as their column's type.
func TestTableModel(t *testing.T) {
	w, _ := described(t)
	rows := func() []any {
		return w.State()["state"].(map[string]any)["rows"].(map[string]any)["Members"].([]any)
	}
	if got := len(rows()); got != 2 {
		t.Fatalf("world file rows: %d", got)
	}
	if r := rows()[1].(map[string]any); r["Days"] != int64(7) || r["created"] != "1970-01-01T00:00:00.000Z" {
		t.Errorf("world file row %v: Days 7 (a number), created at the epoch", r)
	}
	req := effect.Request{Input: map[string]any{"table": "Members", "row": map[string]any{"User ID": "u3", "Days": "12"}}, IdempotencyKey: "ev/flow/0"}
	a, err := doReq(w, req, "state.createRow")
	if err != nil {
		t.Fatal(err)
	}
	b, err := doReq(w, req, "state.createRow")
	if err != nil || b["id"] != a["id"] || len(rows()) != 3 {
		t.Fatalf("repeat under the same key: %v %v, %d rows; want the same row, 3 rows", b, err, len(rows()))
	}
	got := mustDo(t, w, "state.getRow", map[string]any{"table": "Members", "rowId": a["id"]})["row"].(map[string]any)
	if got["Days"] != int64(12) || got["User ID"] != "u3" || got["id"] != a["id"] {
		t.Errorf("getRow = %v", got)
	}
	mustDo(t, w, "state.updateRow", map[string]any{"table": "Members", "rowId": a["id"], "row": map[string]any{"Days": 1}})
	found := mustDo(t, w, "state.searchRows", map[string]any{"table": "Members", "where": map[string]any{"Days": map[string]any{"lt": 10}}, "orderBy": "Days"})
	if found["count"] != int64(2) {
		t.Errorf("searchRows Days < 10: %v", found)
	}
	for _, tt := range []struct {
		call   string
		in     map[string]any
		status int
		msg    string
	}{
		{"state.getRow", map[string]any{"table": "Members", "rowId": "nope"}, 404, `table "Members" has no row "nope"`},
		{"state.updateRow", map[string]any{"table": "Members", "rowId": "nope", "row": map[string]any{}}, 404, `has no row "nope"`},
		{"state.searchRows", map[string]any{"table": "Member"}, 404, `no table "Member"; did you mean "Members"?`},
		{"state.createRow", map[string]any{"table": "Members", "row": map[string]any{"Days": "many"}}, 400, `"many" is not a number`},
		{"state.createRow", map[string]any{"table": "Members", "row": map[string]any{"Owner": "x"}}, 400, `has no column "Owner"`},
	} {
		_, err := do(w, tt.call, tt.in)
		if err == nil || err.Status != tt.status || err.Retryable || !strings.Contains(err.Message, tt.msg) {
			t.Errorf("%s %v: %v, want a %d %q", tt.call, tt.in, err, tt.status, tt.msg)
		}
	}
	if out := mustDo(t, w, "state.deleteRow", map[string]any{"table": "Members", "rowId": "row-jane"}); out["deleted"] != true {
		t.Errorf("deleteRow = %v", out)
	}
	if out := mustDo(t, w, "state.deleteRow", map[string]any{"table": "Members", "rowId": "row-jane"}); out["deleted"] != false {
		t.Errorf("deleteRow again = %v, want deleted: false", out)
	}
	c := w.Clone()
	if out := mustDo(t, w, "state.clearTable", map[string]any{"table": "Members"}); out["cleared"] != int64(2) || len(rows()) != 0 {
		t.Errorf("clearTable = %v, %d rows left", out, len(rows()))
	}
	if n := len(c.State()["state"].(map[string]any)["rows"].(map[string]any)["Members"].([]any)); n != 2 {
		t.Errorf("the clone has %d rows, want its own 2", n)
	}
}

func TestTableWorldFileErrors(t *testing.T) {
	spec, ds := Decode(map[string]any{"state": map[string]any{"rows": map[string]any{
		"Member":  []any{map[string]any{"User ID": "x"}},
		"Members": []any{map[string]any{"Days": "x"}, map[string]any{"id": "a"}, map[string]any{"id": "a"}, map[string]any{"created": "yesterday"}},
	}}}, diagAt)
	if ds.HasErrors() {
		t.Fatal(ds)
	}
	ds = spec.Check(allInstances())
	var got []string
	for _, d := range ds {
		got = append(got, d.Code+": "+d.Message)
	}
	want := []string{
		`unknown-table: state.rows.Member: no table "Member"; did you mean "Members"?`,
		`invalid-value: state.rows.Members[0]: column "Days" of table "Members": "x" is not a number`,
		`duplicate: state.rows.Members[2].id: a second row with id "a" in table "Members"`,
		`invalid-value: state.rows.Members[3].created: "yesterday" is not an RFC 3339 timestamp (2024-01-31T09:00:00Z)`,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("diagnostics\n%q\nwant\n%q", got, want)
	}
}
