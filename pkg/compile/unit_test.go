package compile

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/jml-dev/jml/pkg/ast"
	"github.com/jml-dev/jml/pkg/diag"
	"github.com/jml-dev/jml/pkg/source"
)

// compileChecked is Compile, and checks the way validate's cache compiles
// against it (docs/validate.md, "The cache"): every unit, written as JSON
// and read back, and checked by Check, gives Compile's diagnostics, in
// order; and each unit compiled alone — no other flow's file given, only
// the interfaces, their NameRange left out — is the unit Compile made: a
// unit depends on its flow, jml.yaml and InterfacesDigest alone.
func compileChecked(t *testing.T, cfg *ast.Config, flows []*ast.Flow) (*Graph, diag.Diagnostics) {
	t.Helper()
	g, want := Compile(cfg, flows)
	if g == nil {
		return g, want
	}
	ifaces := make([]Interface, len(flows))
	for i, f := range flows {
		ifaces[i] = InterfaceOf(f)
	}
	units := make([]*Unit, len(flows))
	if ds := CompileUnits(cfg, ifaces, flows, units); ds != nil {
		t.Fatal(ds)
	}
	read := make([]*Unit, len(units))
	for i, u := range units {
		if u == nil {
			continue
		}
		data, err := json.Marshal(u)
		if err != nil {
			t.Fatal(err)
		}
		read[i] = &Unit{}
		if err := json.Unmarshal(data, read[i]); err != nil {
			t.Fatalf("%s: %v", data, err)
		}
		if !reflect.DeepEqual(read[i], u) {
			t.Errorf("unit %s changed through JSON:\n got %+v\nwant %+v", u.Summary.Name, read[i], u)
		}
	}
	if got := Check(cfg, ifaces, read); !reflect.DeepEqual(got, want) {
		t.Errorf("Check over the units read back differs from Compile:\n got %v\nwant %v", got, want)
	}
	if gf, gc := g.Stats(); true {
		if uf, uc := UnitStats(read); uf != gf || uc != gc {
			t.Errorf("UnitStats = %d, %d; Graph.Stats = %d, %d", uf, uc, gf, gc)
		}
	}
	if got, want := UnitScopes(cfg, read), g.Scopes(); !reflect.DeepEqual(got, want) {
		t.Errorf("UnitScopes = %v, Graph.Scopes = %v", got, want)
	}
	blind := make([]Interface, len(ifaces))
	for i, in := range ifaces {
		in.NameRange = diag.Range{}
		blind[i] = in
	}
	for i := range flows {
		if units[i] == nil {
			continue
		}
		alone := make([]*Unit, len(flows))
		only := make([]*ast.Flow, len(flows))
		for j := range alone {
			if j != i {
				alone[j] = &Unit{} // given: not compiled
			}
		}
		only[i] = flows[i]
		if ds := CompileUnits(cfg, blind, only, alone); ds != nil {
			t.Fatal(ds)
		}
		if !reflect.DeepEqual(alone[i], units[i]) {
			t.Errorf("flow %s compiled alone:\n got %+v\nwant %+v", flows[i].Name.Value, alone[i], units[i])
		}
	}
	return g, want
}

// TestUnitsOfTheRepositories runs compileChecked over the flow library,
// the examples and validate's ok cases.
func TestUnitsOfTheRepositories(t *testing.T) {
	dirs := []string{"../../flows", "../../testdata/validate/base"}
	ex, _ := filepath.Glob("../../examples/*")
	dirs = append(dirs, ex...)
	for _, dir := range dirs {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			cfgSrc, err := os.ReadFile(filepath.Join(dir, "jml.yaml"))
			if err != nil {
				t.Skip(err)
			}
			cf, ds := source.Parse(filepath.Join(dir, "jml.yaml"), cfgSrc)
			if ds.HasErrors() {
				t.Fatal(ds)
			}
			paths, _ := filepath.Glob(filepath.Join(dir, "*.yaml"))
			more, _ := filepath.Glob(filepath.Join(dir, "flows", "*.yaml"))
			paths = append(paths, more...)
			if strings.HasSuffix(dir, "base") {
				ok, _ := filepath.Glob("../../testdata/validate/ok/*.yaml")
				paths = append(paths, ok...)
			}
			var flows []*ast.Flow
			for _, p := range paths {
				if filepath.Base(p) == "jml.yaml" {
					continue
				}
				src, err := os.ReadFile(p)
				if err != nil {
					t.Fatal(err)
				}
				f, ds := source.Parse(p, src)
				if ds.HasErrors() {
					t.Fatal(ds)
				}
				flows = append(flows, ast.DecodeFlow(f))
			}
			if len(flows) < 2 {
				t.Fatalf("only %d flows in %s", len(flows), dir)
			}
			compileChecked(t, ast.DecodeConfig(cf), flows)
		})
	}
}

// TestLocJSON: a Loc in the summary's file is [line, column] (with the
// end when there is one); any other range keeps diag.Range's JSON.
func TestLocJSON(t *testing.T) {
	s := &Summary{File: "flows/a.yaml"}
	for _, r := range []diag.Range{
		{File: "flows/a.yaml", Start: diag.Pos{Line: 3, Column: 7}},
		{File: "flows/a.yaml", Start: diag.Pos{Line: 3, Column: 7}, End: diag.Pos{Line: 4, Column: 1}},
		{File: "flows/a.yaml"},
		{},
		{File: "flows/b.yaml", Start: diag.Pos{Line: 1, Column: 2}},
	} {
		data, err := json.Marshal(s.loc(r))
		if err != nil {
			t.Fatal(err)
		}
		var l Loc
		if err := json.Unmarshal(data, &l); err != nil {
			t.Fatalf("%s: %v", data, err)
		}
		if got := s.at(l); got != r {
			t.Errorf("%+v → %s → %+v", r, data, got)
		}
	}
	if data, _ := json.Marshal(s.loc(diag.Range{File: "flows/a.yaml", Start: diag.Pos{Line: 3, Column: 7}})); string(data) != "[3,7]" {
		t.Errorf("Loc JSON %s, want [3,7]", data)
	}
	for _, bad := range []string{"[]", "[1]", "[1,2,3]", "[1,2,3,4,5]", "[a,b]", "[1,,2]"} {
		var l Loc
		if json.Unmarshal([]byte(bad), &l) == nil {
			t.Errorf("Loc %s read without error", bad)
		}
	}
}
