package table

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/jml-dev/jml/pkg/effect"
	"github.com/jml-dev/jml/pkg/source"
	"gopkg.in/yaml.v3"
)

func testTable() *Table {
	return &Table{Name: "Members", Columns: []Column{
		{"User ID", "string"}, {"Days", "number"}, {"Active", "boolean"}, {"Expires", "timestamp"},
	}}
}

func TestConvert(t *testing.T) {
	tests := []struct {
		v    any
		typ  string
		want any
		err  string
	}{
		{"x", "string", "x", ""},
		{int64(12), "string", "12", ""},
		{1.5, "string", "1.5", ""},
		{json.Number("1700000000000"), "string", "1700000000000", ""},
		{true, "string", "true", ""},
		{nil, "number", nil, ""},
		{"42", "number", int64(42), ""},
		{" 2.5 ", "number", 2.5, ""},
		{json.Number("7"), "number", int64(7), ""},
		{"x", "number", nil, `"x" is not a number`},
		{true, "number", nil, "a boolean is not a number"},
		{"true", "boolean", true, ""},
		{false, "boolean", false, ""},
		{"yes", "boolean", nil, `"yes" is not true or false`},
		{"2024-01-31T10:00:00+01:00", "timestamp", "2024-01-31T09:00:00.000Z", ""},
		{"31/01/2024", "timestamp", nil, "is not an RFC 3339 timestamp"},
		{int64(3), "timestamp", nil, "a number is not a timestamp"},
		{map[string]any{}, "string", nil, "an object is not a string"},
	}
	for _, tt := range tests {
		got, err := Convert(tt.v, tt.typ)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("Convert(%#v, %s) = %#v, %v; want error %q", tt.v, tt.typ, got, err, tt.err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Convert(%#v, %s) = %#v, %v; want %#v", tt.v, tt.typ, got, err, tt.want)
		}
	}
}

func status(err error) int {
	if e, ok := err.(*effect.Error); ok {
		return e.Status
	}
	return 0
}

func TestValuesAndLookup(t *testing.T) {
	tb := testTable()
	if _, err := tb.Values(map[string]any{"User Id": "x"}); status(err) != 400 || !strings.Contains(err.Error(), `did you mean "User ID"?`) {
		t.Errorf("unknown column: %v", err)
	}
	if _, err := tb.Values(map[string]any{"Days": "many"}); status(err) != 400 || !strings.Contains(err.Error(), `column "Days" of table "Members"`) {
		t.Errorf("bad number: %v", err)
	}
	got, err := tb.Values(map[string]any{"Days": "3", "User ID": int64(5)})
	if err != nil || !reflect.DeepEqual(got, map[string]any{"Days": int64(3), "User ID": "5"}) {
		t.Errorf("Values = %v, %v", got, err)
	}
	s := Schema{"Members": tb}
	if _, err := s.Lookup("Member"); status(err) != 404 || !strings.Contains(err.Error(), `no table "Member"; did you mean "Members"?`) {
		t.Errorf("Lookup: %v", err)
	}
}

func TestFromNode(t *testing.T) {
	f, ds := source.Parse("jml.yaml", []byte("type: table\ntables:\n  Members:\n    columns:\n      User ID: string\n      Days: number\n  Empty: {columns: {}}\n"))
	if ds.HasErrors() {
		t.Fatal(ds)
	}
	var n *yaml.Node = f.Root
	if n.Kind == yaml.DocumentNode {
		n = n.Content[0]
	}
	s := FromNode(n)
	if got := s.Names(); !reflect.DeepEqual(got, []string{"Empty", "Members"}) {
		t.Fatalf("tables %v", got)
	}
	if got := s["Members"].Columns; !reflect.DeepEqual(got, []Column{{"User ID", "string"}, {"Days", "number"}}) {
		t.Errorf("columns %v", got)
	}
}

func TestSearch(t *testing.T) {
	tb := testTable()
	at := func(m int) time.Time { return time.Date(2024, 1, 1, 0, m, 0, 0, time.UTC) }
	rows := []*Row{
		{ID: "a", Created: at(1), Updated: at(1), Values: map[string]any{"User ID": "u1", "Days": int64(5), "Expires": "2024-01-10T00:00:00.000Z"}},
		{ID: "b", Created: at(2), Updated: at(2), Values: map[string]any{"User ID": "u2", "Days": int64(30), "Active": true}},
		{ID: "c", Created: at(3), Updated: at(3), Values: map[string]any{"User ID": "u1", "Days": int64(12), "Expires": "2024-01-02T00:00:00.000Z"}},
	}
	ids := func(out map[string]any) string {
		var s []string
		for _, r := range out["rows"].([]any) {
			s = append(s, r.(map[string]any)["id"].(string))
		}
		return strings.Join(s, ",")
	}
	tests := []struct {
		in   map[string]any
		want string
		err  string
	}{
		{map[string]any{}, "a,b,c", ""},
		{map[string]any{"where": map[string]any{"User ID": "u1"}}, "a,c", ""},
		{map[string]any{"where": map[string]any{"Days": map[string]any{"gt": "6"}}}, "b,c", ""},
		{map[string]any{"where": map[string]any{"Days": map[string]any{"gte": 5, "lt": 30}}}, "a,c", ""},
		{map[string]any{"where": map[string]any{"Expires": map[string]any{"lte": "2024-01-05T00:00:00Z"}}}, "c", ""},
		{map[string]any{"where": map[string]any{"Expires": nil}}, "b", ""},
		{map[string]any{"where": map[string]any{"Expires": map[string]any{"ne": nil}}}, "a,c", ""},
		{map[string]any{"where": map[string]any{"Active": "true"}}, "b", ""},
		{map[string]any{"where": map[string]any{"id": "b"}}, "b", ""},
		{map[string]any{"where": map[string]any{"created": map[string]any{"gt": "2024-01-01T00:01:30Z"}}}, "b,c", ""},
		{map[string]any{"orderBy": "Days", "direction": "desc"}, "b,c,a", ""},
		{map[string]any{"orderBy": "Expires"}, "b,c,a", ""}, // null first
		{map[string]any{"orderBy": "User ID", "limit": 2}, "a,c", ""},
		{map[string]any{"limit": int64(1), "offset": json.Number("1")}, "b", ""},
		{map[string]any{"offset": 9}, "", ""},
		{map[string]any{"where": map[string]any{"Owner": "x"}}, "", `has no column "Owner"`},
		{map[string]any{"where": map[string]any{"Days": map[string]any{"like": 1}}}, "", `unknown operator "like"`},
		{map[string]any{"where": map[string]any{"Days": "many"}}, "", `"many" is not a number`},
		{map[string]any{"direction": "up"}, "", `direction "up"`},
		{map[string]any{"limit": 1.5}, "", "limit must be a whole number"},
		{map[string]any{"orderBy": "Dayz"}, "", `did you mean "Days"?`},
	}
	for _, tt := range tests {
		q, err := tb.ParseQuery(tt.in)
		if tt.err != "" {
			if status(err) != 400 || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%v: error %v, want 400 %q", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%v: %v", tt.in, err)
			continue
		}
		out := tb.Search(rows, q)
		if got := ids(out); got != tt.want {
			t.Errorf("%v: rows %s, want %s", tt.in, got, tt.want)
		}
		if n := out["count"].(int64); int(n) != len(out["rows"].([]any)) {
			t.Errorf("%v: count %d", tt.in, n)
		}
	}
	// Every declared column is in a row's answer, null when not set.
	out := tb.Search(rows, &Query{OrderBy: "created", Limit: 1})
	r := out["rows"].([]any)[0].(map[string]any)
	if v, ok := r["Active"]; !ok || v != nil {
		t.Errorf("Active = %v, %v; want null", v, ok)
	}
	if r["created"] != "2024-01-01T00:01:00.000Z" {
		t.Errorf("created = %v", r["created"])
	}
}

func TestRowID(t *testing.T) {
	if RowID("k") != RowID("k") || RowID("k") == RowID("l") || !strings.HasPrefix(RowID("k"), "row") {
		t.Errorf("RowID: %s %s", RowID("k"), RowID("l"))
	}
}
