package flopack

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// packs returns the reference flopacks under testdata/flopacks.
func packs(t testing.TB) []string {
	t.Helper()
	files, err := filepath.Glob("../../testdata/flopacks/*.flopack")
	if err != nil || len(files) == 0 {
		t.Fatalf("no reference flopacks: %v", err)
	}
	return files
}

func TestReadReferencePacks(t *testing.T) {
	for _, file := range packs(t) {
		t.Run(filepath.Base(file), func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			p, err := Parse(data)
			if err != nil {
				t.Fatal(err)
			}
			if len(p.Flows) == 0 {
				t.Fatal("no flows")
			}
			for _, f := range p.Flows {
				if len(f.Cards) == 0 {
					t.Errorf("flow %q: no cards", f.Name)
				}
				triggers := 0
				for _, c := range f.Cards {
					if c.Module == "" || c.Method == "" {
						t.Errorf("flow %q card %s: no module/method", f.Name, c.ID)
					}
					if c.Method == "callable" && c.Module == "control" || isEventCard(c) || isEndpointCard(c) {
						triggers++
					}
				}
				// Two templates leave the trigger to the user.
				if triggers > 1 || triggers == 0 && f.Name != "Remove User from all Groups" && f.Name != "dateTimeConverter [p]" {
					t.Errorf("flow %q: %d trigger cards", f.Name, triggers)
				}
			}
		})
	}
}

func TestReadSuspendInactive(t *testing.T) {
	p := readPack(t, "suspend_inactive_users")
	if len(p.Flows) != 2 || p.Flows[0].Name != "Inactivity-based Suspension - Helper Flow " ||
		p.Flows[1].Name != "Inactivity-based Suspension - Parent Flow" {
		t.Fatalf("flows: %+v", p.Flows)
	}
	parent := p.Flows[1]
	if !parent.Scheduled || parent.Cron == nil || parent.Cron.Hours != "9" || parent.Cron.TimeZone != "America/Los_Angeles" {
		t.Errorf("cron: %+v", parent.Cron)
	}
	if len(p.Connections) != 1 || p.Connections[0].Module != "okta" {
		t.Errorf("connections: %+v", p.Connections)
	}
	var list *Card
	for _, c := range parent.Cards {
		if c.Method == "listUsersWithFilter" {
			list = c
		}
	}
	if list == nil || list.Module != "okta" || list.Kernel || list.Name != "List Users with Filter" || list.OnError != "finish" {
		t.Fatalf("list card: %+v", list)
	}
	if len(list.Pins) != 1 || list.Pins[0].Output != "YxVn-bziP" || list.Pins[0].Card != "nCt8f5YuP" || list.Pins[0].Input != "yJWWax0el" {
		t.Errorf("pins: %+v", list.Pins)
	}
	if len(list.Inputs) != 2 || list.Inputs[0].Key != "status" || list.Inputs[0].Value != "ACTIVE" {
		t.Errorf("inputs: %+v %+v", list.Inputs[0], list.Inputs[1])
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"syntax", "{\n  \"type\": }", "2:12: invalid JSON"},
		{"empty", "", "invalid JSON: unexpected end of input"},
		{"two values", `{"type":"flopack"} {}`, "more than one value"},
		{"not object", `[]`, "(root): expected object, got array"},
		{"wrong type", `{"type":"flow"}`, `type: expected "flopack", got "flow"`},
		{"no data", `{"type":"flopack"}`, "data: expected object, got null"},
		{"flos array", `{"type":"flopack","data":{"flos":[]}}`, "data.flos: expected object, got array"},
		{"flow not object", `{"type":"flopack","data":{"flos":{"a":1}}}`, "data.flos.a: expected object, got number"},
		{"methods missing", `{"type":"flopack","data":{"flos":{"f-1":{"data":{}}}}}`, `data.flos["f-1"].data.methods: expected array, got null`},
		{"inputs array", `{"type":"flopack","data":{"flos":{"f":{"data":{"methods":[
			{"uuid":"a","address":"root:kernel:control:0.0.1:if","node":{"model":{"inputs":[]}}}]}}}}}`,
			"data.flos.f.data.methods[0].node.model.inputs: expected object, got array"},
		{"bad address", `{"type":"flopack","data":{"flos":{"f":{"data":{"methods":[
			{"uuid":"a","address":"x","node":{"model":{}}}]}}}}}`,
			`data.flos.f.data.methods[0].address: unrecognised card address "x"`},
		{"dangling edge", `{"type":"flopack","data":{"flos":{"f":{"data":{"methods":[
			{"uuid":"a","address":"root:kernel:control:0.0.1:if","node":{"model":{}}}],"orderings":{"e":["a","b"]}}}}}}`,
			`data.flos.f.data.orderings.e[1]: no card with id "b"`},
		{"duplicate card", `{"type":"flopack","data":{"flos":{"f":{"data":{"methods":[
			{"uuid":"a","address":"root:kernel:control:0.0.1:if","node":{"model":{}}},
			{"uuid":"a","address":"root:kernel:control:0.0.1:if","node":{"model":{}}}]}}}}}`,
			`data.flos.f.data.methods[1].uuid: duplicate card id "a"`},
		{"pin not array", `{"type":"flopack","data":{"flos":{"f":{"data":{"methods":[
			{"uuid":"a","address":"root:kernel:control:0.0.1:if","node":{"model":{}},"pins":{"o":{"a":{}}}}]}}}}}`,
			`data.flos.f.data.methods[0].pins.o.a: expected array, got object`},
		{"field type", `{"type":"flopack","data":{"flos":{"f":{"data":{"methods":[
			{"uuid":"a","address":"root:kernel:control:0.0.1:if","node":{"model":{"inputs":{"data":{"i":{"value":{"type":3}}}}}}}]}}}}}`,
			`data.flos.f.data.methods[0].node.model.inputs.data.i.value.type: expected string or object, got number`},
		{"tables array", `{"type":"flopack","data":{"flos":{},"tables":[]}}`, "data.tables: expected object, got array"},
		{"table structure", `{"type":"flopack","data":{"flos":{},"tables":{"t-1":{"name":"T","data":{"structure":"x"}}}}}`,
			`data.tables["t-1"].data.structure: expected object or array, got string`},
		{"column name", `{"type":"flopack","data":{"flos":{},"tables":{"t":{"name":"T","data":{"structure":[{"name":1,"type":"str"},{"name":[]}]}}}}}`,
			`data.tables.t.data.structure[1].name: expected string, got array`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.in))
			if err == nil {
				t.Fatalf("no error, want %q", tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q, want it to contain %q", err, tt.want)
			}
		})
	}
}

func FuzzRead(f *testing.F) {
	for _, file := range packs(f)[:2] {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(`{"type":"flopack","data":{"flos":{"f":{"data":{"methods":[{"uuid":"a","address":"root:kernel:control:0.0.1:if","node":{"model":{}},"pins":{"o":{"a":[{"input":"i"}]}}}]}}}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := Parse(data)
		if err == nil && p == nil {
			t.Fatal("nil pack without error")
		}
		if err != nil && p != nil {
			t.Fatal("pack with error")
		}
		if err == nil {
			Import(p) // whatever the pack holds, the import never panics
		}
	})
}

func TestInlineMalformed(t *testing.T) {
	for _, tc := range []struct {
		name string
		v    any
		want string
	}{
		{"not an object", "x", `flo: expected object, got string`},
		{"no methods", map[string]any{"id": "f"}, `flo.methods: expected array, got null`},
		{"ordering to nowhere", map[string]any{"methods": []any{}, "orderings": map[string]any{"e1": []any{"a", "b"}}},
			`flo.orderings.e1[0]: no card with id "a"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Inline(tc.v, "flo")
			if err == nil || err.Error() != tc.want {
				t.Fatalf("err = %v, want %s", err, tc.want)
			}
		})
	}
}
