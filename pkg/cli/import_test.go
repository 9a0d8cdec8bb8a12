package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/jml-dev/jml/pkg/flopack"
)

// TestImportFlopackValidates: the import of every reference flopack
// (testdata/flopacks) validates, and --strict finds nothing but the todos
// of the cards that were not translated.
func TestImportFlopackValidates(t *testing.T) {
	packs, _ := filepath.Glob("../../testdata/flopacks/*.flopack")
	if len(packs) == 0 {
		t.Fatal("no reference flopacks")
	}
	diagLine := regexp.MustCompile(`^\S+:\d+:\d+: (error|warning): .* \[([a-z-]+)\]$`)
	for _, pack := range packs {
		t.Run(filepath.Base(pack), func(t *testing.T) {
			abs, _ := filepath.Abs(pack)
			dir := t.TempDir()
			io, _, out, errOut := Test()
			io.WorkDir = dir
			if code := Run(io, []string{"import", "flopack", abs}, "test"); code != 0 {
				t.Fatalf("import: exit %d\n%s%s", code, out, errOut)
			}
			report := out.String()
			got, code := runValidate(t, dir)
			if code != 0 {
				t.Fatalf("validate: exit %d\n%s", code, got)
			}
			todos := 0
			for _, line := range strings.Split(got, "\n") {
				m := diagLine.FindStringSubmatch(line)
				if m == nil {
					continue
				}
				if m[2] != "todo" {
					t.Errorf("validate reports more than todos: %s", line)
				}
				todos++
			}
			// Every card the report lists as not imported is a todo (a card
			// inside a branch of an untranslated card has no halt of its own).
			if n := strings.Count(report, "\n  todo: "); todos > n || n > 0 && todos == 0 {
				t.Errorf("%d todo warnings for %d cards not imported\n%s", todos, n, got)
			}
			if _, code := runValidate(t, dir, "--strict"); (code == 0) != (todos == 0) {
				t.Errorf("validate --strict: exit %d with %d todos", code, todos)
			}
		})
	}
}

// TestImportActingMapRuns: Okta's List Map example (a helper formats each
// user's name) with a helper that also suspends the user, imported and
// run by jml test: the helper runs once per item, in order, and the Map's
// new list holds what each call returned — Okta's list of results.
func TestImportActingMapRuns(t *testing.T) {
	helper := &flopack.Flow{ID: "h", Name: "Format Name", Cards: []*flopack.Card{
		{ID: "hs", Name: "Helper Flow", Module: "control", Method: "callable", Kernel: true,
			Outputs: []*flopack.Field{{ID: "hu", Key: "User", Custom: true, Type: "object"}},
			Pins:    []flopack.Pin{{Output: "hu", Card: "hg", Input: "go"}}},
		{ID: "hg", Name: "Get Multiple", Module: "object", Method: "pick", Kernel: true,
			Inputs:  []*flopack.Field{{ID: "go", Key: "object"}},
			Outputs: []*flopack.Field{{ID: "id", Key: "ID"}, {ID: "fn", Key: "First Name"}, {ID: "ln", Key: "Last Name"}},
			Pins:    []flopack.Pin{{Output: "id", Card: "hz", Input: "zu"}, {Output: "ln", Card: "hc", Input: "a"}, {Output: "fn", Card: "hc", Input: "c"}}},
		{ID: "hz", Name: "Suspend User", Module: "okta", Method: "suspendUser",
			Inputs: []*flopack.Field{{ID: "zu", Key: "User.ID"}}},
		{ID: "hc", Name: "Concatenate", Module: "string", Method: "concat", Kernel: true,
			Inputs:  []*flopack.Field{{ID: "a", Key: "a"}, {ID: "b", Key: "b", Value: "."}, {ID: "c", Key: "c"}},
			Outputs: []*flopack.Field{{ID: "co", Key: "output"}},
			Pins:    []flopack.Pin{{Output: "co", Card: "hr", Input: "rn"}}},
		{ID: "hr", Name: "Return", Module: "control", Method: "return", Kernel: true,
			Inputs: []*flopack.Field{{ID: "rn", Key: "name", Custom: true}}},
	}, Edges: []flopack.Edge{{ID: "e1", From: "hs", To: "hg"}, {ID: "e2", From: "hg", To: "hz"}, {ID: "e3", From: "hz", To: "hc"}, {ID: "e4", From: "hc", To: "hr"}}}
	main := listCardMain("Map", "map", "new list", "names")
	runImportedTest(t, &flopack.Pack{Flows: []*flopack.Flow{helper, main}}, map[string]string{
		"flows/caller.yaml": `apiVersion: jml/v1
kind: Flow
name: caller
trigger:
  event: user.lifecycle.deactivate
steps:
  - id: names
    call: main
    with:
      users:
        - {id: 00u1ada, profile: {firstName: Ada, lastName: Lovelace}}
        - {id: 00u2alan, profile: {firstName: Alan, lastName: Turing}}
`,
		"tests/map.yaml": `apiVersion: jml/v1
kind: Test
name: the Map calls its helper once a user, in order, and lists what each returned
event: deactivate.json
world:
  okta:
    users:
      - {id: 00u1ada, login: ada@example.com, status: ACTIVE}
      - {id: 00u2alan, login: alan@example.com, status: ACTIVE}
expect:
  runs:
    - flow: caller
      status: success
      changes:
        - {action: okta.suspendUser, with: {userId: 00u1ada}}
        - {action: okta.suspendUser, with: {userId: 00u2alan}}
      outputs:
        names: {names: [{name: Lovelace.Ada}, {name: Turing.Alan}]}
`,
	})
}

// listCardMain is a helper flow "Main" taking a list of users and
// returning what its List card (Map, Filter Custom: module list, method)
// makes of it with the helper flow "h", each item its User input.
func listCardMain(name, method, out, ret string) *flopack.Flow {
	item := ""
	return &flopack.Flow{ID: "m", Name: "Main", Cards: []*flopack.Card{
		{ID: "ms", Name: "Helper Flow", Module: "control", Method: "callable", Kernel: true,
			Outputs: []*flopack.Field{{ID: "mu", Key: "users", Custom: true, Type: "object", Collection: true}},
			Pins:    []flopack.Pin{{Output: "mu", Card: "mm", Input: "ml"}}},
		{ID: "mm", Name: name, Module: "list", Method: method, Kernel: true,
			Inputs:  []*flopack.Field{{ID: "ml", Key: "list"}, {ID: "mf", Key: "flo", Value: "h"}, {ID: "mi", Key: "User", Item: &item}},
			Outputs: []*flopack.Field{{ID: "mo", Key: out}},
			Pins:    []flopack.Pin{{Output: "mo", Card: "mr", Input: "rl"}}},
		{ID: "mr", Name: "Return", Module: "control", Method: "return", Kernel: true,
			Inputs: []*flopack.Field{{ID: "rl", Key: ret, Custom: true}}},
	}, Edges: []flopack.Edge{{ID: "e1", From: "ms", To: "mm"}, {ID: "e2", From: "mm", To: "mr"}}}
}

// runImportedTest imports pack whole (every card translated), adds files
// (path → content: a caller flow, a kind: Test file) and Okta's documented
// user.lifecycle.deactivate event as tests/deactivate.json, and runs jml
// test there: its one test must pass.
func runImportedTest(t *testing.T, pack *flopack.Pack, files map[string]string) {
	t.Helper()
	imported, rep := flopack.Import(pack)
	if rep.Translated != rep.Cards {
		t.Fatalf("not translated: %v", rep.Missing)
	}
	dir := t.TempDir()
	for _, f := range imported {
		writeImportFile(t, filepath.Join(dir, f.Path), string(f.Data))
	}
	for name, data := range files {
		writeImportFile(t, filepath.Join(dir, filepath.FromSlash(name)), data)
	}
	event, err := os.ReadFile("../../testdata/events/okta-developer-docs__user.lifecycle.deactivate.ndjson")
	if err != nil {
		t.Fatal(err)
	}
	writeImportFile(t, filepath.Join(dir, "tests", "deactivate.json"), string(event))
	io, _, out, errOut := Test()
	io.WorkDir = dir
	if code := Run(io, []string{"test"}, "test"); code != 0 {
		var flows strings.Builder
		for _, f := range imported {
			fmt.Fprintf(&flows, "-- %s --\n%s", f.Path, f.Data)
		}
		t.Fatalf("jml test: exit %d\n%s%s\n%s", code, out, errOut, flows.String())
	}
	if !strings.Contains(out.String(), "ok: 1 test passed") {
		t.Errorf("jml test:\n%s", out)
	}
}

func writeImportFile(t *testing.T, path, data string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestImportActingFilterRuns: Okta's Filter Custom (a helper returns
// true for the users of Sales) with a helper that also suspends each user
// it is given, imported and run by jml test: the helper runs once per
// item, in order, and the card's new list holds the items it returned
// true for, in their order — Okta's filtered list
// (https://help.okta.com/en/prod/Content/Topics/Workflows/function-reference/List/list_filter.htm).
func TestImportActingFilterRuns(t *testing.T) {
	helper := &flopack.Flow{ID: "h", Name: "Is Sales", Cards: []*flopack.Card{
		{ID: "hs", Name: "Helper Flow", Module: "control", Method: "callable", Kernel: true,
			Outputs: []*flopack.Field{{ID: "hu", Key: "User", Custom: true, Type: "object"}},
			Pins:    []flopack.Pin{{Output: "hu", Card: "hg", Input: "go"}}},
		{ID: "hg", Name: "Get Multiple", Module: "object", Method: "pick", Kernel: true,
			Inputs:  []*flopack.Field{{ID: "go", Key: "object"}},
			Outputs: []*flopack.Field{{ID: "id", Key: "ID"}, {ID: "dp", Key: "Department"}},
			Pins:    []flopack.Pin{{Output: "id", Card: "hz", Input: "zu"}, {Output: "dp", Card: "hc", Input: "l"}}},
		{ID: "hz", Name: "Suspend User", Module: "okta", Method: "suspendUser",
			Inputs: []*flopack.Field{{ID: "zu", Key: "User.ID"}}},
		{ID: "hc", Name: "Compare", Module: "boolean", Method: "compare", Kernel: true,
			Inputs: []*flopack.Field{{ID: "l", Key: "left-operand"}, {ID: "o", Key: "operator", Value: "=="},
				{ID: "r", Key: "right-operand", Value: "Sales"}},
			Outputs: []*flopack.Field{{ID: "co", Key: "output"}},
			Pins:    []flopack.Pin{{Output: "co", Card: "hr", Input: "rk"}}},
		{ID: "hr", Name: "Return", Module: "control", Method: "return", Kernel: true,
			Inputs: []*flopack.Field{{ID: "rk", Key: "keep", Custom: true, Type: "boolean"}}},
	}, Edges: []flopack.Edge{{ID: "e1", From: "hs", To: "hg"}, {ID: "e2", From: "hg", To: "hz"}, {ID: "e3", From: "hz", To: "hc"}, {ID: "e4", From: "hc", To: "hr"}}}
	main := listCardMain("Filter Custom", "filter", "list", "sales")
	runImportedTest(t, &flopack.Pack{Flows: []*flopack.Flow{helper, main}}, map[string]string{
		"flows/caller.yaml": `apiVersion: jml/v1
kind: Flow
name: caller
trigger:
  event: user.lifecycle.deactivate
steps:
  - id: sales
    call: main
    with:
      users:
        - {id: 00u1ada, profile: {department: Sales}}
        - {id: 00u2alan, profile: {department: R&D}}
        - {id: 00u3grace, profile: {department: Sales}}
`,
		"tests/filter.yaml": `apiVersion: jml/v1
kind: Test
name: the Filter Custom calls its helper once a user, in order, and keeps those it returned true for
event: deactivate.json
world:
  okta:
    users:
      - {id: 00u1ada, login: ada@example.com, status: ACTIVE}
      - {id: 00u2alan, login: alan@example.com, status: ACTIVE}
      - {id: 00u3grace, login: grace@example.com, status: ACTIVE}
expect:
  runs:
    - flow: caller
      status: success
      changes:
        - {action: okta.suspendUser, with: {userId: 00u1ada}}
        - {action: okta.suspendUser, with: {userId: 00u2alan}}
        - {action: okta.suspendUser, with: {userId: 00u3grace}}
      outputs:
        sales:
          sales:
            - {id: 00u1ada, profile: {department: Sales}}
            - {id: 00u3grace, profile: {department: Sales}}
`,
	})
}

// TestImportIgnoredCallRuns: a Call Flow whose error policy ignores a
// failure, to a helper whose Suspend User fails (no such user), imported
// and run by jml test: the failure inside the helper is ignored, the
// flow goes on, and the call's output reads null; where the helper
// succeeds, its output is what it returned.
func TestImportIgnoredCallRuns(t *testing.T) {
	helper := &flopack.Flow{ID: "h", Name: "Suspend", Cards: []*flopack.Card{
		{ID: "hs", Name: "Helper Flow", Module: "control", Method: "callable", Kernel: true,
			Outputs: []*flopack.Field{{ID: "hi", Key: "ID", Custom: true, Type: "string"}},
			Pins:    []flopack.Pin{{Output: "hi", Card: "hz", Input: "zu"}}},
		{ID: "hz", Name: "Suspend User", Module: "okta", Method: "suspendUser",
			Inputs: []*flopack.Field{{ID: "zu", Key: "User.ID"}}},
		{ID: "hr", Name: "Return", Module: "control", Method: "return", Kernel: true,
			Inputs: []*flopack.Field{{ID: "rs", Key: "status", Custom: true, Value: "done"}}},
	}, Edges: []flopack.Edge{{ID: "e1", From: "hs", To: "hz"}, {ID: "e2", From: "hz", To: "hr"}}}
	main := &flopack.Flow{ID: "m", Name: "Main", Cards: []*flopack.Card{
		{ID: "ms", Name: "Helper Flow", Module: "control", Method: "callable", Kernel: true,
			Outputs: []*flopack.Field{{ID: "mi", Key: "id", Custom: true, Type: "string"}},
			Pins:    []flopack.Pin{{Output: "mi", Card: "mc", Input: "ci"}}},
		{ID: "mc", Name: "Call Flow", Module: "control", Method: "spawn", Kernel: true, OnError: "ignore",
			Inputs:  []*flopack.Field{{ID: "cf", Key: "flo", Value: "h"}, {ID: "ci", Key: "ID", Custom: true}},
			Outputs: []*flopack.Field{{ID: "co", Key: "status"}},
			Pins:    []flopack.Pin{{Output: "co", Card: "mr", Input: "rr"}}},
		{ID: "mr", Name: "Return", Module: "control", Method: "return", Kernel: true,
			Inputs: []*flopack.Field{{ID: "rr", Key: "result", Custom: true}}},
	}, Edges: []flopack.Edge{{ID: "e1", From: "ms", To: "mc"}, {ID: "e2", From: "mc", To: "mr"}}}
	runImportedTest(t, &flopack.Pack{Flows: []*flopack.Flow{helper, main}}, map[string]string{
		"flows/caller.yaml": `apiVersion: jml/v1
kind: Flow
name: caller
trigger:
  event: user.lifecycle.deactivate
steps:
  - id: missing
    call: main
    with: {id: 00unobody}
  - id: found
    call: main
    with: {id: 00u1ada}
`,
		"tests/ignore.yaml": `apiVersion: jml/v1
kind: Test
name: a failure inside the called helper is ignored, and the call's output is null
event: deactivate.json
world:
  okta:
    users:
      - {id: 00u1ada, login: ada@example.com, status: ACTIVE}
expect:
  runs:
    - flow: caller
      status: success
      changes:
        - {action: okta.suspendUser, with: {userId: 00u1ada}}
      outputs:
        missing: {result: null}
        found: {result: done}
`,
	})
}
