package world

import (
	"fmt"
	"testing"

	"github.com/jml-dev/jml/pkg/effect"
)

// TestServiceNowRecordIDs: a record's sys_id and number are answered,
// found and listed exactly as spelt, whether they have the generated shape
// (kept packed: 16 bytes, 8 bytes) or not (a world file's, kept as
// spelt), and ids of the two kinds never stand for each other.
func TestServiceNowRecordIDs(t *testing.T) {
	const hexID = "0123456789abcdef0123456789abcdef"
	seededRecs := []struct{ sysID, number string }{
		{hexID, "INC0010001"},                                // both packed
		{"0123456789ABCDEF0123456789ABCDEF", "INC001"},       // upper-case hex: another id; a short number
		{"legacy-1", "inc0010002"},                           // neither packed
		{"0123456789abcdef0123456789abcde", "SCTASK0010003"}, // 31 digits
	}
	var recs []any
	for _, r := range seededRecs {
		recs = append(recs, map[string]any{"table": "incident", "sys_id": r.sysID, "number": r.number, "fields": map[string]any{"n": r.number}})
	}
	w := New(allInstances(), nil)
	spec, ds := Decode(map[string]any{"itsm": map[string]any{"records": recs}}, diagAt)
	if ds.HasErrors() {
		t.Fatal(ds)
	}
	if err := w.Apply(spec); err != nil {
		t.Fatal(err)
	}
	created, err := doReq(w, effect.Request{Input: map[string]any{"table": "incident", "fields": map[string]any{"n": "new"}}, IdempotencyKey: "k"}, "itsm.createRecord")
	if err != nil {
		t.Fatal(err)
	}
	all := append(seededRecs, struct{ sysID, number string }{created["sys_id"].(string), created["number"].(string)})
	for _, r := range all {
		got, err := do(w, "itsm.getRecord", map[string]any{"table": "incident", "sysId": r.sysID})
		if err != nil {
			t.Fatalf("getRecord %s: %v", r.sysID, err)
		}
		if got["sys_id"] != r.sysID || got["number"] != r.number {
			t.Errorf("getRecord %s answered %v %v, want %s %s", r.sysID, got["sys_id"], got["number"], r.sysID, r.number)
		}
		if f := got["fields"].(map[string]any); f["sys_id"] != r.sysID || f["number"] != r.number {
			t.Errorf("getRecord %s: fields say %v %v", r.sysID, f["sys_id"], f["number"])
		}
		if q := w.Records("itsm", "incident", map[string]string{"number": r.number}); len(q) != 1 || q[0]["sys_id"] != r.sysID {
			t.Errorf("Records by number %s: %v", r.number, q)
		}
	}
	for _, id := range []string{"0123456789abcdef0123456789abcdee", "LEGACY-1", "0123456789abcdef0123456789abcdef0"} {
		if _, err := do(w, "itsm.getRecord", map[string]any{"table": "incident", "sysId": id}); err == nil {
			t.Errorf("getRecord %s found a record", id)
		}
	}
	// The state lists them in number order (as spelt), then sys_id.
	var got []string
	for _, r := range w.State()["itsm"].(map[string]any)["records"].([]any) {
		r := r.(map[string]any)
		got = append(got, fmt.Sprint(r["number"], " ", r["sys_id"]))
	}
	want := []string{"INC001 0123456789ABCDEF0123456789ABCDEF", "INC0010001 " + hexID, fmt.Sprint(created["number"], " ", created["sys_id"]),
		"SCTASK0010003 0123456789abcdef0123456789abcde", "inc0010002 legacy-1"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("state lists\n%v\nwant\n%v", got, want)
	}
	// A new number never takes a given one, of either kind.
	if n := created["number"].(string); n == "INC0010001" || n == "INC001" {
		t.Errorf("created number %s was given", n)
	}
}

// TestServiceNowManyRecords: records past several merges of a table's
// newest into its sorted ones are each found by sys_id and updated, in the
// world and in a clone taken between merges, which later records do not
// reach.
func TestServiceNowManyRecords(t *testing.T) {
	w := New(allInstances(), nil)
	const n = 3*idSetMinMerge + 7
	var ids []string
	var c *World
	for i := 0; i < n; i++ {
		out, err := doReq(w, effect.Request{Input: map[string]any{"table": "sc_task", "fields": map[string]any{"i": i}}, IdempotencyKey: fmt.Sprint("k", i)}, "itsm.createRecord")
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, out["sys_id"].(string))
		if i == n/2 {
			c = w.Clone()
		}
	}
	m := w.instances["itsm"].m.(*serviceNowModel)
	if len(m.records["sc_task"].sorted) == 0 {
		t.Fatalf("no merge after %d records", n)
	}
	for i, id := range ids {
		if _, err := do(w, "itsm.updateRecord", map[string]any{"table": "sc_task", "sysId": id, "fields": map[string]any{"state": i}}); err != nil {
			t.Fatalf("updateRecord %d: %v", i, err)
		}
		got, err := do(w, "itsm.getRecord", map[string]any{"table": "sc_task", "sysId": id})
		if err != nil {
			t.Fatalf("getRecord %d: %v", i, err)
		}
		if f := got["fields"].(map[string]any); fmt.Sprint(f["i"], f["state"]) != fmt.Sprint(i, i) {
			t.Errorf("record %d has fields %v", i, f)
		}
		_, err = do(c, "itsm.getRecord", map[string]any{"table": "sc_task", "sysId": id})
		if (err == nil) != (i <= n/2) {
			t.Errorf("record %d in the clone: %v", i, err)
		}
	}
	if got := len(w.State()["itsm"].(map[string]any)["records"].([]any)); got != n {
		t.Errorf("state lists %d records, want %d", got, n)
	}
}
