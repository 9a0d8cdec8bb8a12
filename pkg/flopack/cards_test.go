package flopack

import (
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/jml-dev/jml/pkg/expr"
)

// readPack reads and parses a pack of testdata/flopacks (a name, or a
// path ending in .flopack).
func readPack(t *testing.T, file string) *Pack {
	t.Helper()
	if !strings.HasSuffix(file, ".flopack") {
		file = "../../testdata/flopacks/" + file + ".flopack"
	}
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	p, err := Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// withCard imports a reference pack after edit changed its first card of
// module.method, and returns every flow file the import wrote.
func withCard(t *testing.T, file, module, method string, edit func(c *Card)) string {
	t.Helper()
	p := readPack(t, file)
	found := false
	for _, f := range p.Flows {
		for _, c := range f.Cards {
			if !found && c.Module == module && c.Method == method {
				edit(c)
				found = true
			}
		}
	}
	if !found {
		t.Fatalf("%s has no %s.%s card", file, module, method)
	}
	files, _ := Import(p)
	var b strings.Builder
	for _, f := range files {
		b.Write(f.Data)
	}
	return b.String()
}

func setInput(c *Card, key string, v any) {
	for _, f := range c.Inputs {
		if f.Key == key {
			f.Value = v
		}
	}
}

func TestListUsersWithSearch(t *testing.T) {
	const pack = "../../testdata/flopacks/identify_inactive_okta_users.flopack"
	tests := []struct {
		name string
		edit func(c *Card)
		want string
	}{
		{"streamed records are a forEach calling the streaming flow", func(c *Card) {}, "search: status eq \"ACTIVE\"\n  # Okta: the records List Users with Search (okta.listUsersWithSearch) streams to a flow\n  - forEach: steps.listUsersWithSearch.output.users\n    as: item\n    do:\n      - call: check-last-login-date-and-add-to-table\n        with:\n          record: ${{ item }}\n          state: {timeWindowDays: 30}"},
		{"a streaming flow not in the pack stays a todo", func(c *Card) { setInput(c, "Flow", "elsewhere") },
			`todo List Users with Search (okta.listUsersWithSearch): Stream Matching Records: the streaming flow calls a flow that is not in the pack`},
		{"the search's Limit is limit", func(c *Card) {
			c.Inputs = append(c.Inputs, &Field{ID: "lim", Key: "Limit", Group: "Search Criteria", Value: json.Number("500")})
		}, "    with:\n      limit: 500\n      search: status eq \"ACTIVE\"\n"},
		{"another result set stays a todo", func(c *Card) { setInput(c, "resultSet", "First Matching Record") },
			`result set First Matching Record: only "All Matching Records", "First 200 Matching Records" and "Stream Matching Records" are imported`},
		{"the first 200 are a limit", func(c *Card) {
			setInput(c, "resultSet", "First 200 Matching Records")
			setInput(c, "Flow", "")
			setInput(c, "timeWindowDays", nil)
		},
			"    action: okta.listUsers\n    with:\n      limit: 200\n      search: status eq \"ACTIVE\"\n"},
		{"a Limit listed before the result set First 200 is a todo, not a second limit", func(c *Card) {
			setInput(c, "resultSet", "First 200 Matching Records")
			setInput(c, "Flow", "")
			setInput(c, "timeWindowDays", nil)
			c.Inputs = append([]*Field{{ID: "lim", Key: "Limit", Group: "Search Criteria", Value: json.Number("500")}}, c.Inputs...)
		}, `a Limit with the result set First 200 Matching Records is not imported`},
		{"a literal status becomes a search", func(c *Card) {
			setInput(c, "resultSet", "All Matching Records")
			setInput(c, "Flow", "")
			setInput(c, "timeWindowDays", nil)
		}, `search: status eq "ACTIVE"`},
		{"custom criteria are and-ed", func(c *Card) {
			setInput(c, "resultSet", "All Matching Records")
			setInput(c, "Flow", "")
			setInput(c, "timeWindowDays", nil)
			setInput(c, "Custom Search Criteria", `profile.department eq "Sales"`)
		}, `search: status eq "ACTIVE" and profile.department eq "Sales"`},
		{"a streaming option without streaming is a todo", func(c *Card) {
			setInput(c, "resultSet", "All Matching Records")
		}, `input "Flow" has no okta.listUsers equivalent`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := withCard(t, pack, "okta", "listUsersWithSearch", tt.edit)
			if !strings.Contains(out, tt.want) {
				t.Errorf("import lacks %q:\n%s", tt.want, out)
			}
		})
	}
}

func TestIfElseIfSwitch(t *testing.T) {
	const pack = "../../testdata/flopacks/close_abandoned_accounts.flopack"
	group := func(c *Card, g, key string, v any) {
		for _, f := range c.Inputs {
			if f.Group == g && f.Key == key {
				f.Value = v
			}
		}
	}
	tests := []struct {
		name string
		edit func(c *Card)
		want string
	}{
		{"== to constants is a switch", func(c *Card) {}, "switch: vars.units\n    cases:\n      days:"},
		{"the else branch's Return Error is the default's halt", func(c *Card) {}, "default:\n      # Okta: Return Error (control.throw)\n      - halt: 'User Error:"},
		{"another operator is nested if/else", func(c *Card) { group(c, "if", "operator", "<") },
			"  - if: vars.units < \"days\"\n    then:\n      - continueIf: true\n    else:\n      - if: vars.units == \"weeks\"\n"},
		{"a repeated constant is nested if/else, tested in order", func(c *Card) { group(c, "if", "right-operand", "weeks") },
			"  - if: vars.units == \"weeks\"\n    then:\n      - continueIf: true\n    else:\n      - if: vars.units == \"weeks\"\n"},
		{"an unknown operator stays a todo", func(c *Card) { group(c, "if", "operator", "starts with") },
			`jml:todo If/ElseIf (control.branch): branch "if": operator "starts with" is not imported`},
		{"a number is a case key", func(c *Card) { group(c, "if", "right-operand", json.Number("7")) }, "\n      \"7\":"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := withCard(t, pack, "control", "branch", tt.edit)
			if !strings.Contains(out, tt.want) {
				t.Errorf("import lacks %q:\n%s", tt.want, out)
			}
		})
	}
}

func TestFind(t *testing.T) {
	tests := []struct {
		name          string
		op, path, cmp any
		want, why     string
	}{
		{"== on an Office 365 licence field", "==", "SKU Part Number", "ENTERPRISEPACK", `steps.listUsers.output.users.filter(x, x.skuPartNumber == "ENTERPRISEPACK")[0]`, ""},
		{"an Okta user field", "!=", "Status", "ACTIVE", `steps.listUsers.output.users.filter(x, x.status != "ACTIVE")[0]`, ""},
		{"=== is ==", "===", "Id", json.Number("3"), `steps.listUsers.output.users.filter(x, x.id == 3)[0]`, ""},
		{"has is not imported", "has", "Id", "", "", `operator "has" is not imported`},
		{"no path", "==", "", "x", "", "only a literal path is imported"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := &Card{ID: "src", Name: "List Users", Module: "okta", Method: "listUsersWithFilter", Outputs: []*Field{{ID: "users", Key: "Users"}}}
			list := &Field{ID: "l", Key: "list"}
			c := &Card{ID: "find", Name: "Find", Module: "list", Method: "findBy", Kernel: true,
				Inputs:  []*Field{list, {ID: "o", Key: "operator", Value: tt.op}, {ID: "p", Key: "path", Value: tt.path}, {ID: "c", Key: "comparison", Value: tt.cmp}},
				Outputs: []*Field{{ID: "item", Key: "item"}, {ID: "index", Key: "index"}}}
			tr := &ftr{
				im:      &importer{rep: &Report{Missing: map[string]int{}}},
				in:      map[string]map[string]source{"find": {"l": {card: src, out: src.Outputs[0]}}},
				outExpr: map[string]string{"src/users": "steps.listUsers.output.users"},
			}
			n, why := tr.kernel(c)
			if n != nil || why != tt.why {
				t.Fatalf("kernel = %v, %q; want nil, %q", n, why, tt.why)
			}
			if got := tr.outExpr["find/item"]; got != tt.want {
				t.Errorf("item = %s\nwant   %s", got, tt.want)
			}
			if got, ok := tr.outExpr["find/index"]; ok {
				t.Errorf("index output imported as %s", got)
			}
		})
	}
}

func TestIfError(t *testing.T) {
	const pack = "../../testdata/flopacks/offboard_google_workspace_users.flopack"
	tests := []struct {
		name string
		edit func(c *Card)
		want string
	}{
		{"the inner flow is try:, an error flow that does nothing a catch that does nothing", func(c *Card) {},
			"catch:\n      # Okta's error flow does nothing: the failure is ignored.\n      - continueIf: true"},
		{"the inner flow's cards read the cards outside through the If Error's inputs", func(c *Card) {},
			"action: google.transferDrive\n            with:\n              fromUser: ${{ steps.readUser.output.profile.email }}\n              toUser: ${{ steps.readUser2.output.profile.email }}"},
		{"a malformed inner flow is a todo with its path", func(c *Card) { setInput(c, "flo", "x") },
			"todo If Error (control.tryCatch): its try flow is malformed: try: expected object, got string"},
		{"a malformed error flow is a todo, before the try flow is translated", func(c *Card) { c.Policy["flo"] = "x" },
			"todo If Error (control.tryCatch): its error-handler flow is malformed: error-handler: expected object, got string\n"},
		{"an inner flow with no start card is a todo", func(c *Card) { setInput(c, "flo", map[string]any{"methods": []any{}}) },
			"todo If Error (control.tryCatch): its try flow has no start card"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out := withCard(t, pack, "control", "tryCatch", tc.edit)
			if !strings.Contains(out, tc.want) {
				t.Errorf("import lacks\n%s\n--- got:\n%s", tc.want, out)
			}
		})
	}
}

func TestObjectExpand(t *testing.T) {
	const pack = "../../testdata/flopacks/remove_user_from_all_non_built_in_okta_groups.flopack"
	keyOut := func(c *Card, v any) {
		for _, o := range c.Outputs {
			if o.Key == "key" {
				o.Value = v
			}
		}
	}
	tests := []struct {
		name string
		edit func(c *Card)
		want string
	}{
		{"a field of the record is a field selection", func(c *Card) {}, `continueIf: inputs.record.type == "OKTA_GROUP"`},
		{"a field of the state is an index", func(c *Card) {}, `userID: inputs.state["userId"]`},
		{"the hidden card is folded, not a step", func(c *Card) {}, "# Okta: ScHEXpotM (object.expand) (folded into the expressions below)\n"},
		{"a path of several names walks them", func(c *Card) { keyOut(c, []any{"profile", "name"}) }, `continueIf: inputs.record["profile"]["name"] == "OKTA_GROUP"`},
		{"a path that is not names is a todo", func(c *Card) { keyOut(c, []any{json.Number("1")}) },
			`comes from ScHEXpotM (object.expand), which was not imported: output group "90546Y7fWt" has a path that is not a list of field names`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := withCard(t, pack, "object", "expand", tt.edit)
			if !strings.Contains(out, tt.want) {
				t.Errorf("import lacks %q:\n%s", tt.want, out)
			}
		})
	}
}

// An Object Expand whose object comes from its own output is a todo, not
// an endless recursion.
func TestObjectExpandCycle(t *testing.T) {
	data, err := os.ReadFile("../../testdata/flopacks/remove_user_from_all_non_built_in_okta_groups.flopack")
	if err != nil {
		t.Fatal(err)
	}
	p, err := Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, f := range p.Flows {
		expands := map[string]*Card{}
		for _, c := range f.Cards {
			if isExpand(c) {
				expands[c.ID] = c
			}
		}
		for _, c := range f.Cards {
			pins := c.Pins[:0]
			for _, pin := range c.Pins {
				if expands[pin.Card] == nil {
					pins = append(pins, pin)
				}
			}
			c.Pins = pins
		}
		for _, c := range expands {
			c.Pins = append(c.Pins, Pin{Output: c.Outputs[0].ID, Card: c.ID, Input: c.Inputs[0].ID})
			n++
		}
	}
	if n == 0 {
		t.Fatal("the pack has no object.expand card")
	}
	_, rep := Import(p)
	var b strings.Builder
	WriteReport(&b, rep)
	if want := "its object comes from itself (a cycle)"; !strings.Contains(b.String(), want) {
		t.Errorf("report lacks %q:\n%s", want, b.String())
	}
}

func TestGetUsersGroups(t *testing.T) {
	const pack = "../../testdata/flopacks/remove_user_from_all_non_built_in_okta_groups.flopack"
	tests := []struct {
		name string
		edit func(c *Card)
		want string
	}{
		{"streamed groups are a forEach calling the streaming flow", func(c *Card) {},
			"action: okta.listUserGroups\n    with:\n      userId: ${{ vars.userId }}\n  # Okta: the records Get Users Groups (okta.getUsersGroups) streams to a flow\n  - forEach: steps.getUsersGroups.output.groups\n    as: item\n    do:\n      - call: remove-user-from-all-groups-helper\n        with:\n          record: ${{ item }}\n          state: {userId: '${{ vars.userId }}'}"},
		{"a Limit under a million stays a todo", func(c *Card) { setInput(c, "Limit", json.Number("200")) },
			"jml:todo Get Users Groups (okta.getUsersGroups): Limit 200: okta.listUserGroups returns every group"},
		{"another result set stays a todo", func(c *Card) { setInput(c, "resultSet", "First 200 Records") },
			`result set First 200 Records: only "Stream Records" is imported`},
		{"a streaming flow not in the pack stays a todo", func(c *Card) { setInput(c, "Flow", "elsewhere") },
			`Stream Records: the streaming flow calls a flow that is not in the pack`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := withCard(t, pack, "okta", "getUsersGroups", tt.edit)
			if !strings.Contains(out, tt.want) {
				t.Errorf("import lacks %q:\n%s", tt.want, out)
			}
		})
	}
}

// The identify-inactive-users template's helper skips a user who never
// logged in, then one who logged in within the State's timeWindowDays of
// the run: its two Continue If cards, imported, evaluated for users on
// either side of the window (30 days before 2026-01-05T17:00Z).
func TestInactiveWindowBehaviour(t *testing.T) {
	p := readPack(t, "identify_inactive_okta_users")
	files, _ := Import(p)
	var conds []string
	for _, f := range files {
		if f.Path != "flows/check-last-login-date-and-add-to-table.yaml" {
			continue
		}
		var doc struct {
			Steps []struct {
				ContinueIf string `yaml:"continueIf"`
			} `yaml:"steps"`
		}
		if err := yaml.Unmarshal(f.Data, &doc); err != nil {
			t.Fatal(err)
		}
		for _, s := range doc.Steps {
			if s.ContinueIf != "" {
				conds = append(conds, s.ContinueIf)
			}
		}
	}
	if len(conds) != 2 {
		t.Fatalf("want the helper's two continueIf steps, got %q", conds)
	}
	env, err := expr.NewEnv()
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 1, 5, 17, 0, 0, 0, time.UTC)
	tests := []struct {
		name      string
		lastLogin any
		window    any
		want      bool // whether the flow goes on past both cards
	}{
		{"never logged in: skipped", nil, int64(30), false},
		{"31 days ago: inactive", "2025-12-05T16:00:00Z", int64(30), true},
		{"29 days ago: active, skipped", "2025-12-07T17:00:00Z", int64(30), false},
		{"31 days ago with a 60 day window: skipped", "2025-12-05T16:00:00Z", float64(60), false},
		{"a window as text, as Okta's loose typing allows", "2025-12-05T16:00:00Z", "30", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			vars := map[string]any{
				"run":    map[string]any{"startedAt": at},
				"inputs": map[string]any{"record": map[string]any{"lastLogin": tc.lastLogin}, "state": map[string]any{"timeWindowDays": tc.window}},
			}
			goes := true
			for _, c := range conds {
				prg, issues := env.Compile(c, expr.Scope{Inputs: true})
				if len(issues) > 0 {
					t.Fatalf("%s: %v", c, issues)
				}
				v, err := prg.Eval(vars)
				if err != nil {
					t.Fatalf("%s: %v", c, err)
				}
				if v != true {
					goes = false
					break
				}
			}
			if goes != tc.want {
				t.Errorf("goes on = %v, want %v (%q)", goes, tc.want, conds)
			}
		})
	}
}

// The function cards folded into CEL compute what Okta's do.
func TestListFuncBehaviour(t *testing.T) {
	env, err := expr.NewEnv()
	if err != nil {
		t.Fatal(err)
	}
	card := func(module, method string, in ...any) *Card {
		c := &Card{ID: "c", Name: method, Module: module, Method: method, Kernel: true, Outputs: []*Field{{ID: "o", Key: "output"}}}
		for i := 0; i+1 < len(in); i += 2 {
			c.Inputs = append(c.Inputs, &Field{ID: fmt.Sprint("i", i), Key: in[i].(string), Value: in[i+1]})
		}
		return c
	}
	tests := []struct {
		name string
		c    *Card
		want any
		why  string
	}{
		{"Split", card("string", "split", "string", "a,b,,c", "delimiter", ","), []any{"a", "b", "", "c"}, ""},
		{"List to Text", card("list", "join", "list", []any{"x", "y"}, "delimiter", " / "), "x / y", ""},
		{"Intersection keeps the first list's order, each once", card("list", "intersection", "list1", []any{"email", "manager", "email", "title"}, "list2", []any{"title", "email"}), []any{"email", "title"}, ""},
		{"Construct", card("list", "construct", "a", "primaryPhone", "b", "email"), []any{"primaryPhone", "email"}, ""},
		{"Round: halves up", card("math", "round", "a", json.Number("2.5")), 3.0, ""},
		{"Round: -2.5 to -2, as JavaScript", card("math", "round", "a", json.Number("-2.5")), -2.0, ""},
		{"Round: 2.49 to 2", card("math", "round", "a", json.Number("2.49")), 2.0, ""},
		{"Round with digits is a todo", card("math", "round", "a", json.Number("2.5"), "digits", json.Number("1")), nil, "a Round with more inputs than the number is not imported"},
		{"an intersection of three lists is a todo", card("list", "intersection", "list1", []any{}, "list2", []any{}, "list3", []any{}), nil, "an intersection of more than two lists is not imported"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			im := &importer{rep: &Report{Missing: map[string]int{}}}
			tr := &ftr{im: im, byID: map[string]*Card{}, in: map[string]map[string]source{}, outExpr: map[string]string{}, stepIDs: map[string]bool{}}
			_, why := tr.listFunc(tc.c)
			if why != tc.why {
				t.Fatalf("why = %q, want %q", why, tc.why)
			}
			if why != "" {
				return
			}
			src := tr.outExpr["c/o"]
			p, issues := env.Compile(src, expr.Scope{})
			if len(issues) > 0 {
				t.Fatalf("%s: %v", src, issues)
			}
			got, err := p.Eval(map[string]any{})
			if err != nil {
				t.Fatalf("%s: %v", src, err)
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("%s = %v, want %v", src, got, tc.want)
			}
		})
	}
}

// Get First Item and Get compute what Okta's cards do: the first item
// (null for an empty list), the value along a path of keys. The list or
// object comes from another card (inputs.v here).
func TestFirstItemAndGetBehaviour(t *testing.T) {
	env, err := expr.NewEnv()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, method, out, path string
		v, want                 any
		why                     string
	}{
		{"first of three", "shift", "item", "", []any{"a", "b", "c"}, "a", ""},
		{"first of none is null", "shift", "item", "", []any{}, nil, ""},
		{"first of objects", "shift", "item", "", []any{map[string]any{"skuId": "x"}}, map[string]any{"skuId": "x"}, ""},
		{"Get one key", "get", "output", "userEmail", map[string]any{"userEmail": "a@b.c"}, "a@b.c", ""},
		{"Get a path", "get", "output", "a.b", map[string]any{"a": map[string]any{"b": int64(2)}}, int64(2), ""},
		{"Get with an index is a todo", "get", "output", "a[0]", nil, nil, `path "a[0]" is not imported (only keys separated by dots)`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			module, key := "list", "list"
			c := &Card{ID: "c", Name: tc.method, Module: module, Method: tc.method, Kernel: true, Outputs: []*Field{{ID: "o", Key: tc.out}}}
			if tc.method == "get" {
				c.Module, key = "object", "object"
				c.Inputs = append(c.Inputs, &Field{ID: "p", Key: "path", Value: tc.path})
			}
			c.Inputs = append(c.Inputs, &Field{ID: "i", Key: key})
			from := &Card{ID: "from", Name: "Helper Flow", Outputs: []*Field{{ID: "fo", Key: "v"}}}
			im := &importer{rep: &Report{Missing: map[string]int{}}}
			tr := &ftr{im: im, byID: map[string]*Card{"c": c, "from": from}, in: map[string]map[string]source{"c": {"i": {card: from, out: from.Outputs[0]}}},
				outExpr: map[string]string{"from/fo": "inputs.v"}, stepIDs: map[string]bool{}}
			_, why := tr.kernel(c)
			if why != tc.why {
				t.Fatalf("why = %q, want %q", why, tc.why)
			}
			if why != "" {
				return
			}
			src := tr.outExpr["c/o"]
			p, issues := env.Compile(src, expr.Scope{Inputs: true})
			if len(issues) > 0 {
				t.Fatalf("%s: %v", src, issues)
			}
			got, err := p.Eval(map[string]any{"inputs": map[string]any{"v": tc.v}})
			if err != nil {
				t.Fatalf("%s: %v", src, err)
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("%s = %v (%T), want %v", src, got, got, tc.want)
			}
		})
	}
}

func TestSlackSendMessage(t *testing.T) {
	const pack = "../../testdata/flopacks/notify_user_on_profile_update.flopack"
	data, err := os.ReadFile(pack)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		key, value string
		want       string
	}{
		{"posts to the channel", "", "", "action: slack.postMessage\n        with:\n          text: ${{ vars.compose3 }}\n          channel: C9QPV3D1A"},
		{"as the user, not a bot, is a todo", "bot", "No", `bot No: only bot: "Yes" is imported`},
		{"another message type is a todo", "messageType", "Blocks", `messageType Blocks: only messageType: "Plain Text" is imported`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Parse(data)
			if err != nil {
				t.Fatal(err)
			}
			// The card is inside the For Each: edit the inline flow's JSON.
			for _, c := range p.Flows[0].Cards {
				if f := (&ftr{}).input(c, "flo"); f != nil && tc.key != "" {
					editInline(t, f.Value, "sendMessageToChannel2", tc.key, tc.value)
				}
			}
			files, _ := Import(p)
			var b strings.Builder
			for _, f := range files {
				b.Write(f.Data)
			}
			if !strings.Contains(b.String(), tc.want) {
				t.Errorf("import lacks %q:\n%s", tc.want, b.String())
			}
		})
	}
}

// editInline sets input key of the card of node key method in the flow
// kept inside a card (its JSON).
func editInline(t *testing.T, v any, method, key string, value any) {
	t.Helper()
	methods, _ := dig(v, "methods").([]any)
	for _, m := range methods {
		if dig(m, "node", "key") != method {
			continue
		}
		ins, _ := dig(m, "node", "model", "inputs", "data").(map[string]any)
		for _, in := range ins {
			if in, _ := in.(map[string]any); in["key"] == key {
				in["value"].(map[string]any)["data"] = value
				return
			}
		}
	}
	t.Fatalf("no %s card with input %q", method, key)
}

func TestObjectConstruct(t *testing.T) {
	env, err := expr.NewEnv()
	if err != nil {
		t.Fatal(err)
	}
	newT := func() *ftr {
		return &ftr{im: &importer{rep: &Report{Missing: map[string]int{}}}, byID: map[string]*Card{}, in: map[string]map[string]source{}, outExpr: map[string]string{}, stepIDs: map[string]bool{}}
	}
	c := &Card{ID: "c", Name: "Construct", Module: "object", Method: "construct", Kernel: true, Outputs: []*Field{{ID: "o", Key: "output"}},
		Inputs: []*Field{{ID: "a", Key: "productId", Value: "Google-Apps"}, {ID: "b", Key: "skuId", Value: "1010020027"}, {ID: "n", Key: "seats", Value: json.Number("3")}}}
	tr := newT()
	if _, why := tr.kernel(c); why != "" {
		t.Fatal(why)
	}
	src := tr.outExpr["c/o"]
	p, issues := env.Compile(src+` == {"productId": "Google-Apps", "skuId": "1010020027", "seats": 3}`, expr.Scope{})
	if len(issues) > 0 {
		t.Fatalf("%s: %v", src, issues)
	}
	if got, err := p.Eval(map[string]any{}); err != nil || got != true {
		t.Errorf("%s: got %v, %v", src, got, err)
	}
	c.Inputs = append(c.Inputs, &Field{ID: "d", Key: "skuId", Value: "again"})
	if _, why := newT().kernel(c); why != `two inputs are named "skuId"` {
		t.Errorf("a repeated key: why = %q", why)
	}
}

// UNIX gives milliseconds, as Okta's reference example says:
// 2016-09-07T00:01:25.670Z is 1473206485670.
func TestUnixBehaviour(t *testing.T) {
	env, err := expr.NewEnv()
	if err != nil {
		t.Fatal(err)
	}
	tr := &ftr{im: &importer{rep: &Report{Missing: map[string]int{}}}, byID: map[string]*Card{}, in: map[string]map[string]source{}, outExpr: map[string]string{}, stepIDs: map[string]bool{}}
	c := &Card{ID: "c", Name: "UNIX", Module: "date", Method: "unix", Kernel: true, Outputs: []*Field{{ID: "o", Key: "output"}},
		Inputs: []*Field{{ID: "s", Key: "start", Value: "2016-09-07T00:01:25.670Z"}}}
	if _, why := tr.kernel(c); why != "" {
		t.Fatal(why)
	}
	src := tr.outExpr["c/o"]
	p, issues := env.Compile(src, expr.Scope{})
	if len(issues) > 0 {
		t.Fatalf("%s: %v", src, issues)
	}
	got, err := p.Eval(map[string]any{})
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(got) != "1473206485670" {
		t.Errorf("%s = %v, want 1473206485670", src, got)
	}
}

// TestOffice365Cards: the Office 365 Admin and Office 365 Mail cards on
// jml's microsoft connector, inputs mapped by name, the outputs jml's
// actions return read by later cards, the others not imported.
func TestOffice365Cards(t *testing.T) {
	src := &Card{ID: "src", Name: "Read User", Module: "okta", Method: "readUser", Outputs: []*Field{{ID: "email", Key: "email"}, {ID: "list", Key: "list", Collection: true}}}
	srcExpr := map[string]string{"src/email": "steps.readUser.output.profile.email", "src/list": "vars.to"}
	f := func(id, group, key string, v any) *Field { return &Field{ID: id, Group: group, Key: key, Value: v} }
	tests := []struct {
		name, method string
		inputs       []*Field
		pinned       map[string]string // input id → src output id
		outputs      []*Field
		want, why    string
		outs         map[string]string // output id → expression ("" not imported)
	}{
		{name: "Read User", method: "office365admin.readUser",
			inputs: []*Field{f("u", "User", "ID or Email", "")}, pinned: map[string]string{"u": "email"},
			outputs: []*Field{f("id", "User", "id", nil), f("las", "User", "licenseAssignmentStates", nil), f("age", "User", "ageGroup", nil)},
			want:    "id: readUser2\naction: microsoft.getUser\nwith:\n  userId: ${{ steps.readUser.output.profile.email }}\n",
			outs:    map[string]string{"id": "steps.readUser2.output.id", "las": "steps.readUser2.output.licenseAssignmentStates", "age": ""}},
		{name: "Enable User Account", method: "office365admin.enableUserAccount",
			inputs: []*Field{f("u", "User", "id", "")}, pinned: map[string]string{"u": "email"}, outputs: []*Field{f("sc", "Output", "Status Code", nil)},
			want: "id: enableUserAccount\naction: microsoft.enableUser\nwith:\n  userId: ${{ steps.readUser.output.profile.email }}\n",
			outs: map[string]string{"sc": ""}},
		{name: "Disable User Account", method: "office365admin.disableUserAccount",
			inputs: []*Field{f("u", "User", "id", "00u1")},
			want:   "id: disableUserAccount\naction: microsoft.disableUser\nwith:\n  userId: 00u1\n"},
		{name: "Get Licenses", method: "office365admin.getLicenses", outputs: []*Field{f("l", "Output", "Licenses", nil)},
			want: "id: getLicenses\naction: microsoft.listSubscribedSkus\n", outs: map[string]string{"l": "steps.getLicenses.output.skus"}},
		{name: "Assign License to User", method: "office365admin.assignLicenseToUser",
			inputs: []*Field{f("u", "User", "id", "jane@acme.com"), f("s", "License", "skuId", "6fd2c87f-b296-42f0-b197-1e91e994b900"), f("d", "License", "disabledPlans", []any{})},
			want:   "id: assignLicenseToUser\naction: microsoft.assignLicense\nwith:\n  userId: jane@acme.com\n  skuId: 6fd2c87f-b296-42f0-b197-1e91e994b900\n  disabledPlans: []\n"},
		{name: "Remove License from User", method: "office365admin.removeLicenseFromUser",
			inputs: []*Field{f("u", "User", "id", "jane@acme.com"), f("s", "License", "skuId", "")}, pinned: map[string]string{"s": "email"},
			want: "id: removeLicenseFromUser\naction: microsoft.removeLicenses\nwith:\n  skuIds: ${{ [steps.readUser.output.profile.email] }}\n  userId: jane@acme.com\n"},
		{name: "Send Email", method: "office365mail.sendEmail2",
			inputs: []*Field{f("to", "Fields", "To", []any{"boss@acme.com", "it@acme.com"}), f("cc", "Fields", "CC", []any{}), f("bcc", "Fields", "BCC", []any{}),
				f("s", "Fields", "Subject", ""), f("b", "Fields", "Body", "<p>Welcome</p>"), f("mt", "Fields", "Message Type", "HTML")},
			pinned:  map[string]string{"s": "email"},
			outputs: []*Field{f("mid", "Email", "Message ID", nil)},
			want: "id: sendEmail\naction: microsoft.sendMail\nwith:\n  # Okta sent this as the account of its Office 365 Mail connection, which the export does not name:\n" +
				"  # set userId to that mailbox (its object id or userPrincipalName) before jml apply.\n" +
				"  userId: SENDER@YOUR-DOMAIN\n  to: boss@acme.com,it@acme.com\n  subject: ${{ steps.readUser.output.profile.email }}\n  body: <p>Welcome</p>\n  contentType: HTML\n",
			outs: map[string]string{"mid": ""}},
		{name: "Send Email to a connected list", method: "office365mail.sendEmail2",
			inputs: []*Field{f("to", "Fields", "To", []any{}), f("cc", "Fields", "CC", []any{"it@acme.com"}), f("s", "Fields", "Subject", "Hi"), f("b", "Fields", "Body", "Hello"), f("mt", "Fields", "Message Type", "Text")},
			pinned: map[string]string{"to": "list"},
			want: "id: sendEmail\naction: microsoft.sendMail\nwith:\n  # Okta sent this as the account of its Office 365 Mail connection, which the export does not name:\n" +
				"  # set userId to that mailbox (its object id or userPrincipalName) before jml apply.\n" +
				"  userId: SENDER@YOUR-DOMAIN\n  to: ${{ vars.to.join(\",\") }}\n  cc: it@acme.com\n  subject: Hi\n  body: Hello\n"},
		{name: "Send Email to a connected address", method: "office365mail.sendEmail2",
			inputs: []*Field{f("to", "Fields", "To", []any{}), f("s", "Fields", "Subject", "Hi"), f("b", "Fields", "Body", "Hello")},
			pinned: map[string]string{"to": "email"},
			want: "id: sendEmail\naction: microsoft.sendMail\nwith:\n  # Okta sent this as the account of its Office 365 Mail connection, which the export does not name:\n" +
				"  # set userId to that mailbox (its object id or userPrincipalName) before jml apply.\n" +
				"  userId: SENDER@YOUR-DOMAIN\n  to: ${{ steps.readUser.output.profile.email }}\n  subject: Hi\n  body: Hello\n"},
		{name: "Send Email with Bcc", method: "office365mail.sendEmail2",
			inputs: []*Field{f("to", "Fields", "To", []any{"boss@acme.com"}), f("bcc", "Fields", "BCC", []any{"audit@acme.com", "hr@acme.com"}), f("s", "Fields", "Subject", "Hi"), f("b", "Fields", "Body", "x")},
			want: "id: sendEmail\naction: microsoft.sendMail\nwith:\n  # Okta sent this as the account of its Office 365 Mail connection, which the export does not name:\n" +
				"  # set userId to that mailbox (its object id or userPrincipalName) before jml apply.\n" +
				"  userId: SENDER@YOUR-DOMAIN\n  to: boss@acme.com\n  bcc: audit@acme.com,hr@acme.com\n  subject: Hi\n  body: x\n"},
		{name: "Send Email without To is a todo", method: "office365mail.sendEmail2",
			inputs: []*Field{f("to", "Fields", "To", []any{}), f("s", "Fields", "Subject", "Hi"), f("b", "Fields", "Body", "x")},
			why:    "no To address"},
		{name: "Send Email as Markdown is a todo", method: "office365mail.sendEmail2",
			inputs: []*Field{f("to", "Fields", "To", []any{"boss@acme.com"}), f("s", "Fields", "Subject", "Hi"), f("b", "Fields", "Body", "x"), f("mt", "Fields", "Message Type", "Markdown")},
			why:    "Message Type Markdown is not imported (HTML or Text)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mod, method, _ := strings.Cut(tt.method, ".")
			c := &Card{ID: "c", Name: tt.name, Module: mod, Method: method, Inputs: tt.inputs, Outputs: tt.outputs}
			if strings.HasPrefix(tt.name, "Send Email") {
				c.Name = "Send Email"
			}
			in := map[string]source{}
			for id, out := range tt.pinned {
				for _, o := range src.Outputs {
					if o.ID == out {
						in[id] = source{card: src, out: o}
					}
				}
			}
			outExpr := map[string]string{}
			for k, v := range srcExpr {
				outExpr[k] = v
			}
			tr := &ftr{
				im:      &importer{rep: &Report{Missing: map[string]int{}}, instance: map[string]string{}, modInst: map[string]string{}},
				in:      map[string]map[string]source{"c": in},
				outExpr: outExpr,
				stepIDs: map[string]bool{"readUser": true},
			}
			n, why := tr.app(c)
			if why != tt.why {
				t.Fatalf("why = %q, want %q", why, tt.why)
			}
			if why != "" {
				return
			}
			var b strings.Builder
			enc := yaml.NewEncoder(&b)
			enc.SetIndent(2)
			if err := enc.Encode(n); err != nil {
				t.Fatal(err)
			}
			if b.String() != tt.want {
				t.Errorf("step:\n%s\nwant:\n%s", b.String(), tt.want)
			}
			for id, want := range tt.outs {
				got, ok := tr.outExpr["c/"+id]
				if want == "" && ok {
					t.Errorf("output %s imported as %s; jml's action has no such output", id, got)
				}
				if want != "" && got != want {
					t.Errorf("output %s = %q, want %q", id, got, want)
				}
			}
		})
	}
}

// fromInput stands, in TestFunctionCardsBehaviour, for an input connected
// to the helper flow's input of that name (inputs.NAME).
type fromInput string

// The function cards folded into CEL compute what Okta's cards do, on
// literal inputs and on inputs connected to another card's output.
func TestFunctionCardsBehaviour(t *testing.T) {
	env, err := expr.NewEnv()
	if err != nil {
		t.Fatal(err)
	}
	users := []any{
		map[string]any{"id": "00u1", "profile": map[string]any{"email": "ada@example.com"}},
		map[string]any{"id": "00u2", "profile": map[string]any{"email": ""}},
		map[string]any{"id": "00u3", "profile": map[string]any{}},
	}
	rows := []any{map[string]any{"Email": "a@x"}, map[string]any{"Email": ""}, map[string]any{"Name": "n"}}
	in := func(kv ...any) []any { return kv }
	tests := []struct {
		name, module, method string
		in                   []any
		want                 any
		why                  string
	}{
		{"And", "boolean", "and", in("a", true, "b", false), false, ""},
		{"And of two trues", "boolean", "and", in("a", true, "b", true), true, ""},
		{"Or", "boolean", "or", in("a", false, "b", true), true, ""},
		{"Or (Exclusive) of two trues", "boolean", "xor", in("a", true, "b", true), false, ""},
		{"And of three is a todo", "boolean", "and", in("a", true, "b", true, "c", true), nil, `input "c": only a, b are imported`},
		{"Compare", "boolean", "compare", in("left-operand", fromInput("n"), "operator", ">=", "right-operand", json.Number("3")), true, ""},
		{"Compare a number with a text that reads as one: >", "boolean", "compare", in("left-operand", fromInput("n"), "operator", ">", "right-operand", "0"), true, ""},
		{"Compare a number with a text that reads as one: ==", "boolean", "compare", in("left-operand", fromInput("n"), "operator", "==", "right-operand", "4"), true, ""},
		{"Compare a double with a text that reads as one: ==", "boolean", "compare", in("left-operand", fromInput("d"), "operator", "==", "right-operand", "3"), true, ""},
		{"Compare: is empty", "boolean", "compare", in("left-operand", fromInput("s"), "operator", "is empty"), false, ""},
		{"Compare with an unknown operator is a todo", "boolean", "compare", in("left-operand", "a", "operator", "starts with", "right-operand", "a"), nil, `operator "starts with" is not imported`},
		{"Assign If: true", "control", "assignIf", in("left-operand", fromInput("s"), "operator", "==", "right-operand", "Sales", "valueIfTrue", "yes", "valueIfFalse", "no"), "yes", ""},
		{"Assign If: false", "control", "assignIf", in("left-operand", fromInput("s"), "operator", "!=", "right-operand", "Sales", "valueIfTrue", "yes", "valueIfFalse", "no"), "no", ""},
		{"Length of a list", "list", "length", in("list", fromInput("users")), int64(3), ""},
		{"Length of a text", "string", "length", in("string", "héllo"), int64(5), ""},
		{"Pluck a field jml's okta user has", "list", "pluck", in("list", fromInput("users"), "key", "ID"), []any{"00u1", "00u2", "00u3"}, ""},
		{"Pluck: null where an item has no such field", "list", "pluck", in("list", fromInput("users"), "key", "Email"), []any{"ada@example.com", "", nil}, ""},
		{"Pluck of a field by its name", "list", "pluck", in("list", fromInput("rows"), "key", "Name"), []any{nil, nil, "n"}, ""},
		{"Includes", "list", "includes", in("list", []any{"CREATED", "ACTIVE"}, "value", "ACTIVE"), true, ""},
		{"Includes: not there", "list", "includes", in("list", []any{"CREATED"}, "value", "ACTIVE"), false, ""},
		{"At 1", "list", "at", in("list", []any{"a", "b", "c"}, "index", json.Number("1")), "b", ""},
		{"At past the end is null", "list", "at", in("list", []any{"a"}, "index", json.Number("3")), nil, ""},
		{"At -1 is the last", "list", "at", in("list", []any{"a", "b", "c"}, "index", json.Number("-1")), "c", ""},
		{"At a connected index is a todo", "list", "at", in("list", []any{"a"}, "index", fromInput("n")), nil, "a connected index is not imported (only a literal)"},
		{"Filter: is not empty", "list", "filterBy", in("list", fromInput("rows"), "operator", "is not empty", "path", "Email", "comparison", ""), []any{map[string]any{"Email": "a@x"}}, ""},
		{"Filter: ==", "list", "filterBy", in("list", fromInput("users"), "operator", "==", "path", "ID", "comparison", "00u2"), []any{users[1]}, ""},
		{"Add", "math", "add", in("a", json.Number("2"), "b", json.Number("1")), 3.0, ""},
		{"Subtract", "math", "subtract", in("a", fromInput("n"), "b", json.Number("0.5")), 3.5, ""},
		{"Multiply", "math", "multiply", in("a", json.Number("3"), "b", json.Number("1.5")), 4.5, ""},
		{"Round Up", "math", "ceil", in("a", json.Number("2.1")), 3.0, ""},
		{"To Lower Case", "string", "toLowerCase", in("string", "Ada@Example.COM"), "ada@example.com", ""},
		{"Base64", "string", "base64", in("string", "hi"), "aGk=", ""},
		{"Base64 Decode", "string", "base64Decode", in("string", "IA=="), " ", ""},
		{"Replace: the first only", "string", "replace", in("string", "2016-09-07T00:01:25Z", "src", "Z", "dest", "+00:00", "global", false, "sensitive", true), "2016-09-07T00:01:25+00:00", ""},
		{"Replace: not global replaces once", "string", "replace", in("string", "a;b;c", "src", ";", "dest", "", "global", false, "sensitive", true), "ab;c", ""},
		{"Replace: global", "string", "replace", in("string", "smtp:a,smtp:b", "src", "smtp:", "dest", fromInput("s"), "global", true, "sensitive", true), "Salesa,Salesb", ""},
		{"Replace: not case sensitive, no letters", "string", "replace", in("string", "a;b;c", "src", ";", "dest", "-", "global", true, "sensitive", false), "a-b-c", ""},
		{"Replace: not case sensitive, letters", "string", "replace", in("string", "SMTP:a", "src", "smtp:", "dest", "", "global", true, "sensitive", false), nil, `a replace of "smtp:" that is not case sensitive is not imported`},
		{"Replace: a pattern character", "string", "replace", in("string", "a.b", "src", ".", "dest", "", "global", true, "sensitive", true), nil, `src "." has a character a regular expression reads specially (Okta's reference does not say whether src is a pattern)`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := &Card{ID: "c", Name: tc.method, Module: tc.module, Method: tc.method, Kernel: true, Outputs: []*Field{{ID: "o", Key: "output"}}}
			from := &Card{ID: "from", Name: "Helper Flow", Kernel: true, Module: "control", Method: "callable"}
			// users come from an Okta card: their fields are jml's okta user's.
			app := &Card{ID: "app", Name: "List Users with Search", Module: "okta", Method: "listUsersWithSearch"}
			conn := map[string]source{}
			outs := map[string]string{}
			for i := 0; i+1 < len(tc.in); i += 2 {
				f := &Field{ID: fmt.Sprint("i", i), Key: tc.in[i].(string), Value: tc.in[i+1]}
				if name, ok := tc.in[i+1].(fromInput); ok {
					src := from
					if name == "users" {
						src = app
					}
					o := &Field{ID: "fo-" + string(name), Key: string(name)}
					src.Outputs = append(src.Outputs, o)
					conn[f.ID] = source{card: src, out: o}
					outs[src.ID+"/"+o.ID] = "inputs." + string(name)
					f.Value = nil
				}
				c.Inputs = append(c.Inputs, f)
			}
			im := &importer{rep: &Report{Missing: map[string]int{}}}
			tr := &ftr{im: im, byID: map[string]*Card{"c": c, "from": from, "app": app}, in: map[string]map[string]source{"c": conn},
				outExpr: outs, stepIDs: map[string]bool{}}
			_, why := tr.kernel(c)
			if why != tc.why {
				t.Fatalf("why = %q, want %q", why, tc.why)
			}
			if why != "" {
				return
			}
			src := tr.outExpr["c/o"]
			p, issues := env.Compile(src, expr.Scope{Inputs: true})
			if len(issues) > 0 {
				t.Fatalf("%s: %v", src, issues)
			}
			got, err := p.Eval(map[string]any{"inputs": map[string]any{"users": users, "rows": rows, "n": int64(4), "d": 3.0, "s": "Sales"}})
			if err != nil {
				t.Fatalf("%s: %v", src, err)
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("%s = %v (%T), want %v", src, got, got, tc.want)
			}
			if len(im.rep.Decisions) != 1 || im.rep.Decisions[0] != functionCards[tc.module+"."+tc.method] {
				t.Errorf("decisions %q, want the card's one", im.rep.Decisions)
			}
		})
	}
}

// A Call Flow input the called helper does not declare (Okta ignores it;
// jml's validate refuses it) is dropped, and the report says so.
func TestCallDropsInputsTheHelperLacks(t *testing.T) {
	const pack = "../../testdata/flopacks/offboard_google_workspace_users.flopack"
	out := withCard(t, pack, "control", "spawn", func(c *Card) {
		c.Inputs = append(c.Inputs, &Field{ID: "extra", Key: "Stale Input", Value: "x"})
	})
	if strings.Contains(out, "staleInput") {
		t.Errorf("the import passes an input the helper lacks:\n%s", out)
	}
	if !strings.Contains(out, "removeGoogleASPs: true") {
		t.Errorf("the import lost the inputs the helper declares:\n%s", out)
	}
	data, _ := os.ReadFile(pack)
	p, _ := Parse(data)
	for _, f := range p.Flows {
		for _, c := range f.Cards {
			if c.Module == "control" && c.Method == "spawn" {
				c.Inputs = append(c.Inputs, &Field{ID: "extra", Key: "Stale Input", Value: "x"})
			}
		}
	}
	_, rep := Import(p)
	found := false
	for _, d := range rep.Decisions {
		found = found || strings.Contains(d, `passes "Stale Input", which flow`)
	}
	if !found {
		t.Errorf("no decision names the dropped input: %q", rep.Decisions)
	}
}

func TestNamesTheSchemaTakes(t *testing.T) {
	used := map[string]bool{}
	long := slug("App Campaign Multi Level Group Manager Reviewers User Expression Entitlements Recurring 3 Months", "flow")
	a, b := uniqueFlowName(long, used), uniqueFlowName(long, used)
	for _, n := range []string{a, b} {
		if len(n) > maxFlowName || strings.HasSuffix(n, "-") {
			t.Errorf("flow name %q: %d characters, want at most %d, not ending in -", n, len(n), maxFlowName)
		}
	}
	if a == b {
		t.Errorf("two long names cut alike: %q", a)
	}
	for in, want := range map[string]string{"true": "true_", "False": "false_", "in": "in_", "Return": "return_", "ID": "id", "Last Login": "lastLogin"} {
		if got := ident(in, "value"); got != want {
			t.Errorf("ident(%q) = %q, want %q", in, got, want)
		}
	}
}

// mapPack is Okta's List Map example (its blog's): a flow maps its users
// through a helper that concatenates Last Name "." First Name and
// returns it; act adds to the helper a card that acts, of that module
// (okta: one jml imports; marketo: one it does not).
func mapPack(act string) *Pack {
	item := ""
	helper := &Flow{ID: "h", Name: "Format Name", Cards: []*Card{
		{ID: "hs", Name: "Helper Flow", Module: "control", Method: "callable", Kernel: true,
			Outputs: []*Field{{ID: "hu", Key: "User", Custom: true, Type: "object"}},
			Pins:    []Pin{{Output: "hu", Card: "hg", Input: "go"}}},
		{ID: "hg", Name: "Get Multiple", Module: "object", Method: "pick", Kernel: true,
			Inputs:  []*Field{{ID: "go", Key: "object"}},
			Outputs: []*Field{{ID: "fn", Key: "First Name"}, {ID: "ln", Key: "Last Name"}},
			Pins:    []Pin{{Output: "ln", Card: "hc", Input: "a"}, {Output: "fn", Card: "hc", Input: "c"}}},
		{ID: "hc", Name: "Concatenate", Module: "string", Method: "concat", Kernel: true,
			Inputs:  []*Field{{ID: "a", Key: "a"}, {ID: "b", Key: "b", Value: "."}, {ID: "c", Key: "c"}},
			Outputs: []*Field{{ID: "co", Key: "output"}},
			Pins:    []Pin{{Output: "co", Card: "hr", Input: "rn"}}},
		{ID: "hr", Name: "Return", Module: "control", Method: "return", Kernel: true,
			Inputs: []*Field{{ID: "rn", Key: "name", Custom: true}}},
	}, Edges: []Edge{{ID: "e1", From: "hs", To: "hg"}, {ID: "e2", From: "hg", To: "hc"}, {ID: "e3", From: "hc", To: "hr"}}}
	if act != "" {
		helper.Cards = append(helper.Cards, &Card{ID: "hz", Name: "Suspend User", Module: act, Method: "suspendUser",
			Inputs: []*Field{{ID: "zu", Key: "User.ID", Value: "00u1"}}})
		helper.Edges = []Edge{{ID: "e1", From: "hs", To: "hz"}, {ID: "e1b", From: "hz", To: "hg"}, {ID: "e2", From: "hg", To: "hc"}, {ID: "e3", From: "hc", To: "hr"}}
	}
	main := &Flow{ID: "m", Name: "Main", Cards: []*Card{
		{ID: "ms", Name: "Helper Flow", Module: "control", Method: "callable", Kernel: true,
			Outputs: []*Field{{ID: "mu", Key: "users", Custom: true, Type: "object", Collection: true}},
			Pins:    []Pin{{Output: "mu", Card: "mm", Input: "ml"}}},
		{ID: "mm", Name: "Map", Module: "list", Method: "map", Kernel: true,
			Inputs:  []*Field{{ID: "ml", Key: "list"}, {ID: "mf", Key: "flo", Value: "h"}, {ID: "mi", Key: "User", Item: &item}},
			Outputs: []*Field{{ID: "mo", Key: "new list"}},
			Pins:    []Pin{{Output: "mo", Card: "mr", Input: "rl"}}},
		{ID: "mr", Name: "Return", Module: "control", Method: "return", Kernel: true,
			Inputs: []*Field{{ID: "rl", Key: "names", Custom: true}}},
	}, Edges: []Edge{{ID: "e1", From: "ms", To: "mm"}, {ID: "e2", From: "mm", To: "mr"}}}
	return &Pack{Flows: []*Flow{helper, main}}
}

// A List Map whose helper only computes a value is L.map(x, the value),
// which gives Okta's new list; a helper that acts is called per item.
func TestMapBehaviour(t *testing.T) {
	files, rep := Import(mapPack(""))
	var main string
	for _, f := range files {
		if f.Path == "flows/main.yaml" {
			main = string(f.Data)
		}
	}
	const want = `names: '${{ inputs.users.map(x, {"name": (string(x.profile.lastName) + string(".") + string(x.profile.firstName))}) }}'`
	if !strings.Contains(main, want) {
		t.Fatalf("the Map is not the helper's value over the list; want %s in:\n%s", want, main)
	}
	if strings.Contains(main, "jml:todo") || rep.Missing["list.map"] != 0 {
		t.Errorf("todos: %v\n%s", rep.Missing, main)
	}
	env, err := expr.NewEnv()
	if err != nil {
		t.Fatal(err)
	}
	src := strings.TrimSuffix(strings.TrimPrefix(want, "names: '${{ "), " }}'")
	p, issues := env.Compile(src, expr.Scope{Inputs: true})
	if len(issues) > 0 {
		t.Fatalf("%s: %v", src, issues)
	}
	got, err := p.Eval(map[string]any{"inputs": map[string]any{"users": []any{
		map[string]any{"id": "00u1", "profile": map[string]any{"firstName": "Ada", "lastName": "Lovelace"}},
		map[string]any{"id": "00u2", "profile": map[string]any{"firstName": "Alan", "lastName": "Turing"}},
	}}})
	if err != nil || fmt.Sprint(got) != "[map[name:Lovelace.Ada] map[name:Turing.Alan]]" {
		t.Errorf("%s = %v, %v; want the items {name: Lovelace.Ada}, {name: Turing.Alan}", src, got, err)
	}

	// A helper that acts (an action jml imports, or a card it does not)
	// is called once an item, and what it returns is appended to a var:
	// TestImportActingMapRuns (pkg/cli) runs it.
	for _, act := range []string{"okta", "marketo"} {
		files, rep = Import(mapPack(act))
		for _, f := range files {
			if f.Path == "flows/main.yaml" {
				main = string(f.Data)
			}
		}
		for _, want := range []string{
			"  - assign:\n      map: '[]'\n  - forEach: inputs.users\n    as: item\n    do:\n      - id: mapCall\n        call: format-name\n",
			`map: 'vars.map + [{"name": steps.mapCall.output.name}]'`,
			"names: ${{ vars.map }}",
		} {
			if !strings.Contains(main, want) {
				t.Errorf("a Map whose helper acts (%s): want %q in:\n%s", act, want, main)
			}
		}
		// The helper's own file counts its cards; the Map is translated.
		if rep.Missing["list.map"] != 0 || act == "marketo" && rep.Missing["marketo.suspendUser"] != 1 {
			t.Errorf("not translated: %v, want the Map translated and the helper's card once", rep.Missing)
		}
	}
}

// A number an Add card computed, passed by Call Flow to a helper input
// Okta types as text, is made text: Okta's loose typing takes it, jml's
// validate would not.
func TestCallPassesANumberAsText(t *testing.T) {
	helper := &Flow{ID: "h", Name: "Indent", Cards: []*Card{
		{ID: "hs", Name: "Helper Flow", Module: "control", Method: "callable", Kernel: true,
			Outputs: []*Field{{ID: "hl", Key: "level", Custom: true, Type: "string"}}},
	}}
	main := &Flow{ID: "m", Name: "Main", Cards: []*Card{
		{ID: "ms", Name: "Helper Flow", Module: "control", Method: "callable", Kernel: true,
			Outputs: []*Field{{ID: "mn", Key: "n", Custom: true, Type: "number"}},
			Pins:    []Pin{{Output: "mn", Card: "ma", Input: "a"}}},
		{ID: "ma", Name: "Subtract", Module: "math", Method: "subtract", Kernel: true,
			Inputs:  []*Field{{ID: "a", Key: "a"}, {ID: "b", Key: "b", Value: json.Number("1")}},
			Outputs: []*Field{{ID: "mo", Key: "output"}},
			Pins:    []Pin{{Output: "mo", Card: "mc", Input: "cl"}}},
		{ID: "mc", Name: "Call Flow", Module: "control", Method: "spawn", Kernel: true,
			Inputs: []*Field{{ID: "cf", Key: "flo", Value: "h"}, {ID: "cl", Key: "level", Custom: true}}},
	}, Edges: []Edge{{ID: "e1", From: "ms", To: "ma"}, {ID: "e2", From: "ma", To: "mc"}}}
	files, _ := Import(&Pack{Flows: []*Flow{helper, main}})
	for _, f := range files {
		if f.Path == "flows/main.yaml" {
			if want := "level: ${{ string((double(inputs.n) - double(1))) }}"; !strings.Contains(string(f.Data), want) {
				t.Errorf("want %s in:\n%s", want, f.Data)
			}
		}
	}
}

func TestMaxConcurrencyIsTheSchemas(t *testing.T) {
	data, err := os.ReadFile("../../schemas/flow.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	var found []float64
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if c, ok := x["concurrency"].(map[string]any); ok {
				if m, ok := c["maximum"].(float64); ok {
					found = append(found, m)
				}
			}
			for _, e := range x {
				walk(e)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	var doc any
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	walk(doc)
	if len(found) == 0 {
		t.Fatal("the flow schema has no concurrency maximum")
	}
	for _, m := range found {
		if int(m) != maxConcurrency {
			t.Errorf("the flow schema's concurrency maximum is %v, the import's %d", m, maxConcurrency)
		}
	}
}

func TestImportKeepsToWhatJMLTakes(t *testing.T) {
	for in, want := range map[string]string{"id": "okta_id", "created": "okta_created", "updated": "okta_updated", "Row ID": "Row ID", "email": "email"} {
		if got := colName(in); got != want {
			t.Errorf("colName(%q) = %q, want %q", in, got, want)
		}
	}
	// A scheduled flow's Return with values answers no one; a For Each's
	// concurrency above jml's most is its most.
	helper := &Flow{ID: "h", Name: "Each", Cards: []*Card{
		{ID: "hs", Name: "Helper Flow", Module: "control", Method: "callable", Kernel: true},
	}}
	sched := &Flow{ID: "s", Name: "Nightly", Scheduled: true, Cron: &Cron{Minutes: "0", Hours: "1", DayOfMonth: "*", Month: "*", DayOfWeek: "*", TimeZone: "UTC"},
		Cards: []*Card{
			{ID: "st", Name: "Scheduled Flow", Module: "control", Method: "callable", Kernel: true},
			{ID: "e", Name: "For Each", Module: "list", Method: "each", Kernel: true,
				Inputs: []*Field{{ID: "el", Key: "list", Value: []any{"a"}}, {ID: "ef", Key: "flo", Value: "h"}, {ID: "ec", Key: "concurrency", Value: json.Number("100")}}},
			{ID: "r", Name: "Return", Module: "control", Method: "return", Kernel: true,
				Inputs: []*Field{{ID: "rv", Key: "count", Custom: true, Value: json.Number("1")}}},
		}, Edges: []Edge{{ID: "e0", From: "st", To: "e"}, {ID: "e1", From: "e", To: "r"}}}
	files, _ := Import(&Pack{Flows: []*Flow{helper, sched}})
	var out string
	for _, f := range files {
		if f.Path == "flows/nightly.yaml" {
			out = string(f.Data)
		}
	}
	for _, want := range []string{"concurrency: 64\n", "jml:todo Return (control.return): returns values from a flow no one calls"} {
		if !strings.Contains(out, want) {
			t.Errorf("the scheduled flow lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "outputs:") {
		t.Errorf("a scheduled flow declares outputs:\n%s", out)
	}
}

// TestGetOfTheEventsGroup: a Get reading a field of the event's group (the
// event card's Group output) reads it as the event card's fields are read
// — "Display Name" is group.displayName, not an Okta profile field, which a
// System Log target does not have — and a Get into a text field of the
// event is a todo, not an expression that cannot compile.
func TestGetOfTheEventsGroup(t *testing.T) {
	p := readPack(t, "manage_aws_sso_entitlements")
	files, _ := Import(p)
	byName := map[string]string{}
	for _, f := range files {
		byName[f.Path] = string(f.Data)
	}
	add, remove := byName["flows/aws-add-entitlements-table.yaml"], byName["flows/aws-remove-entitlements-table.yaml"]
	if !strings.Contains(add, "AWS Principal: ${{ group.displayName }}") || strings.Contains(add, "group.profile") {
		t.Errorf("the add flow does not read the group's display name as the event's:\n%s", add)
	}
	want := `# jml:todo Get (object.get): path "Display Name" reads into group.displayName, a field of the event that holds no object`
	if !strings.Contains(remove, want) || !strings.Contains(remove, "enabled: false") {
		t.Errorf("the remove flow lacks %q (and enabled: false):\n%s", want, remove)
	}
}

// TestSearchClauseQuotes: a connected value is quoted as a JSON string in
// the search it builds at run time, so a value holding a double quote or a
// backslash stays one value and cannot add a clause of its own.
func TestSearchClauseQuotes(t *testing.T) {
	env, err := expr.NewEnv()
	if err != nil {
		t.Fatal(err)
	}
	src := `"status eq \"ACTIVE\"" + " and " + ` + searchClause("profile.contractEndDate", "inputs.v")
	p, issues := env.Compile(src, expr.Scope{Inputs: true})
	if len(issues) > 0 {
		t.Fatalf("%s: %v", src, issues)
	}
	for _, tc := range []struct{ v, want string }{
		{"2026-01-05", `status eq "ACTIVE" and profile.contractEndDate eq "2026-01-05"`},
		{`x" or status eq "SUSPENDED`, `status eq "ACTIVE" and profile.contractEndDate eq "x\" or status eq \"SUSPENDED"`},
		{`back\slash`, `status eq "ACTIVE" and profile.contractEndDate eq "back\\slash"`},
		{"", `status eq "ACTIVE" and profile.contractEndDate eq ""`},
	} {
		got, err := p.Eval(map[string]any{"inputs": map[string]any{"v": tc.v}})
		if err != nil || got != tc.want {
			t.Errorf("value %q: search %v, %v; want %s", tc.v, got, err, tc.want)
		}
	}
}

// TestUpdateUser: Okta's Update User with POST semantics updates the
// Profile attributes it is given (okta.updateUserProfile); an empty one is
// not sent; PUT (replace the whole profile) stays a todo.
func TestUpdateUser(t *testing.T) {
	pack := func(semantics string) *Pack {
		return &Pack{Flows: []*Flow{{ID: "f", Name: "Move", Cards: []*Card{
			{ID: "s", Name: "Helper Flow", Module: "control", Method: "callable", Kernel: true,
				Outputs: []*Field{{ID: "su", Key: "userId", Custom: true, Type: "string"}, {ID: "sd", Key: "department", Custom: true, Type: "string"}},
				Pins:    []Pin{{Output: "su", Card: "u", Input: "uid"}, {Output: "sd", Card: "u", Input: "dep"}}},
			{ID: "u", Name: "Update User", Module: "okta", Method: "updateUser",
				Inputs: []*Field{{ID: "uid", Group: "User", Key: "ID"}, {ID: "us", Key: "updateSemantics", Value: semantics},
					{ID: "dep", Group: "Profile", Key: "department"}, {ID: "ttl", Group: "Profile", Key: "title", Value: "Engineer"},
					{ID: "cty", Group: "Profile", Key: "city", Value: ""}}},
		}, Edges: []Edge{{ID: "e", From: "s", To: "u"}}}}}
	}
	files, rep := Import(pack("POST"))
	out := string(files[len(files)-1].Data)
	for _, f := range files {
		if f.Path == "flows/move.yaml" {
			out = string(f.Data)
		}
	}
	want := "  - id: updateUser\n    action: okta.updateUserProfile\n    with:\n      profile:\n        department: ${{ inputs.department }}\n        title: Engineer\n      userId: ${{ inputs.userId }}\n"
	if !strings.Contains(out, want) || rep.Translated != rep.Cards {
		t.Errorf("want\n%s\nin:\n%s\nnot translated: %v", want, out, rep.Missing)
	}
	files, _ = Import(pack("PUT"))
	for _, f := range files {
		if f.Path == "flows/move.yaml" {
			out = string(f.Data)
		}
	}
	if !strings.Contains(out, "jml:todo Update User (okta.updateUser): updateSemantics PUT: only POST (update the attributes given) is imported; PUT replaces the whole profile") {
		t.Errorf("PUT is not a todo:\n%s", out)
	}
}

// filterPack is Okta's Filter Custom as its reference describes it: a
// flow keeps the users its helper returns true for (the helper compares
// the user's Department with "Sales" and returns the result); act adds
// to the helper a card that acts (okta: one jml imports).
func filterPack(act string) *Pack {
	item := ""
	helper := &Flow{ID: "h", Name: "Is Sales", Cards: []*Card{
		{ID: "hs", Name: "Helper Flow", Module: "control", Method: "callable", Kernel: true,
			Outputs: []*Field{{ID: "hu", Key: "User", Custom: true, Type: "object"}},
			Pins:    []Pin{{Output: "hu", Card: "hg", Input: "go"}}},
		{ID: "hg", Name: "Get Multiple", Module: "object", Method: "pick", Kernel: true,
			Inputs:  []*Field{{ID: "go", Key: "object"}},
			Outputs: []*Field{{ID: "dp", Key: "Department"}},
			Pins:    []Pin{{Output: "dp", Card: "hc", Input: "l"}}},
		{ID: "hc", Name: "Compare", Module: "boolean", Method: "compare", Kernel: true,
			Inputs: []*Field{{ID: "l", Key: "left-operand"}, {ID: "o", Key: "operator", Value: "=="},
				{ID: "r", Key: "right-operand", Value: "Sales"}},
			Outputs: []*Field{{ID: "co", Key: "output"}},
			Pins:    []Pin{{Output: "co", Card: "hr", Input: "rk"}}},
		{ID: "hr", Name: "Return", Module: "control", Method: "return", Kernel: true,
			Inputs: []*Field{{ID: "rk", Key: "keep", Custom: true, Type: "boolean"}}},
	}, Edges: []Edge{{ID: "e1", From: "hs", To: "hg"}, {ID: "e2", From: "hg", To: "hc"}, {ID: "e3", From: "hc", To: "hr"}}}
	if act != "" {
		helper.Cards = append(helper.Cards, &Card{ID: "hz", Name: "Clear User Sessions", Module: act, Method: "clearUserSessions",
			Inputs: []*Field{{ID: "zu", Key: "User.ID", Value: "00u1"}}})
		helper.Edges = []Edge{{ID: "e1", From: "hs", To: "hz"}, {ID: "e1b", From: "hz", To: "hg"}, {ID: "e2", From: "hg", To: "hc"}, {ID: "e3", From: "hc", To: "hr"}}
	}
	main := &Flow{ID: "m", Name: "Main", Cards: []*Card{
		{ID: "ms", Name: "Helper Flow", Module: "control", Method: "callable", Kernel: true,
			Outputs: []*Field{{ID: "mu", Key: "users", Custom: true, Type: "object", Collection: true}},
			Pins:    []Pin{{Output: "mu", Card: "mm", Input: "ml"}}},
		{ID: "mm", Name: "Filter Custom", Module: "list", Method: "filter", Kernel: true,
			Inputs: []*Field{{ID: "ml", Key: "list"}, {ID: "mf", Key: "flo", Value: "h"},
				{ID: "mc", Key: "concurrency", Value: json.Number("10")}, {ID: "mi", Key: "User", Item: &item}},
			Outputs: []*Field{{ID: "mo", Key: "list"}},
			Pins:    []Pin{{Output: "mo", Card: "mr", Input: "rl"}}},
		{ID: "mr", Name: "Return", Module: "control", Method: "return", Kernel: true,
			Inputs: []*Field{{ID: "rl", Key: "sales", Custom: true}}},
	}, Edges: []Edge{{ID: "e1", From: "ms", To: "mm"}, {ID: "e2", From: "mm", To: "mr"}}}
	return &Pack{Flows: []*Flow{helper, main}}
}

// A Filter Custom whose helper only computes a value is L.filter(x, the
// value == true): Okta's new list of the items the helper returned true
// for. One whose helper acts is called per item, in order, and each item
// it returned true for is appended to a var (TestImportActingFilterRuns,
// pkg/cli, runs it).
func TestFilterCustom(t *testing.T) {
	mainOf := func(files []File) string {
		for _, f := range files {
			if f.Path == "flows/main.yaml" {
				return string(f.Data)
			}
		}
		return ""
	}
	files, rep := Import(filterPack(""))
	main := mainOf(files)
	const want = `sales: ${{ inputs.users.filter(x, ((x.profile.department == "Sales")) == true) }}`
	if !strings.Contains(main, want) || rep.Missing["list.filter"] != 0 {
		t.Fatalf("want %s in:\n%s\nnot translated: %v", want, main, rep.Missing)
	}
	env, err := expr.NewEnv()
	if err != nil {
		t.Fatal(err)
	}
	src := strings.TrimSuffix(strings.TrimPrefix(want, "sales: ${{ "), " }}")
	p, issues := env.Compile(src, expr.Scope{Inputs: true})
	if len(issues) > 0 {
		t.Fatalf("%s: %v", src, issues)
	}
	for _, tc := range []struct {
		users []any
		want  string
	}{
		{[]any{
			map[string]any{"id": "00u1", "profile": map[string]any{"department": "Sales"}},
			map[string]any{"id": "00u2", "profile": map[string]any{"department": "R&D"}},
			map[string]any{"id": "00u3", "profile": map[string]any{"department": "Sales"}},
		}, "[00u1 00u3]"},
		{[]any{map[string]any{"id": "00u2", "profile": map[string]any{"department": "R&D"}}}, "[]"},
		{[]any{}, "[]"},
	} {
		got, err := p.Eval(map[string]any{"inputs": map[string]any{"users": tc.users}})
		var ids []string
		if l, ok := got.([]any); ok {
			for _, u := range l {
				ids = append(ids, fmt.Sprint(u.(map[string]any)["id"]))
			}
		}
		if err != nil || fmt.Sprint(ids) != tc.want {
			t.Errorf("%s over %v = %v, %v; want the users %s", src, tc.users, got, err, tc.want)
		}
	}

	files, rep = Import(filterPack("okta"))
	main = mainOf(files)
	for _, want := range []string{
		"  - assign:\n      filterCustom: '[]'\n  - forEach: inputs.users\n    as: item\n    do:\n      - id: filterCustomCall\n        call: is-sales\n        with:\n          user: ${{ item }}\n",
		`filterCustom: 'steps.filterCustomCall.output.keep == true ? vars.filterCustom + [item] : vars.filterCustom'`,
		"sales: ${{ vars.filterCustom }}",
	} {
		if !strings.Contains(main, want) {
			t.Errorf("a Filter Custom whose helper acts: want %q in:\n%s", want, main)
		}
	}
	if strings.Contains(main, "concurrency") || rep.Missing["list.filter"] != 0 {
		t.Errorf("want the card translated, one item at a time; not translated: %v\n%s", rep.Missing, main)
	}
}

// A Map whose helper's Return is a todo (it reads a card not imported)
// calls the helper as one that acts, reading the Return's names: the
// helper halts at its todo when called, and declares those outputs.
func TestMapOfAHelperWhoseReturnIsATodo(t *testing.T) {
	p := mapPack("")
	for _, c := range p.Flows[0].Cards {
		if c.ID == "hc" {
			c.Module, c.Method = "string", "unknownCard"
		}
	}
	files, rep := Import(p)
	var main, helper string
	for _, f := range files {
		switch f.Path {
		case "flows/main.yaml":
			main = string(f.Data)
		case "flows/format-name.yaml":
			helper = string(f.Data)
		}
	}
	for _, want := range []string{
		"  - forEach: inputs.users\n    as: item\n    do:\n      - id: mapCall\n        call: format-name\n",
		`map: 'vars.map + [{"name": steps.mapCall.output.name}]'`,
	} {
		if !strings.Contains(main, want) {
			t.Errorf("want %q in:\n%s", want, main)
		}
	}
	if !strings.Contains(helper, "outputs:\n  name:") || !strings.Contains(helper, "enabled: false") {
		t.Errorf("the helper must declare its Return's output and be disabled:\n%s", helper)
	}
	if rep.Missing["list.map"] != 0 || rep.Missing["control.return"] != 1 || rep.Missing["string.unknownCard"] != 1 {
		t.Errorf("not translated: %v, want the helper's two cards only", rep.Missing)
	}
	if strings.Contains(main, "\n  name:") {
		t.Errorf("the caller declares the helper's output:\n%s", main)
	}
}

// A Map whose helper acts and returns nothing (a Map used as a For Each)
// calls the helper once an item; a card reading its new list, of which
// Okta's reference says nothing then, is a todo that says so. A helper
// that neither acts nor returns leaves the Map a todo.
func TestMapOfAHelperReturningNothing(t *testing.T) {
	for _, tc := range []struct {
		act  string
		want []string
	}{
		{"okta", []string{
			"  - forEach: inputs.users\n    as: item\n    do:\n      - id: mapCall\n        call: format-name\n        with:\n          user: ${{ item }}\n  # ",
			`jml:todo Return (control.return): Map (list.map) output "new list" is not imported: its helper flow returns nothing`,
		}},
		{"", []string{"jml:todo Map (list.map): its helper flow returns nothing"}},
	} {
		p := mapPack(tc.act)
		h := p.Flows[0]
		h.Cards = slices.DeleteFunc(h.Cards, func(c *Card) bool { return c.ID == "hc" || c.ID == "hr" || c.ID == "hg" })
		h.Edges = slices.DeleteFunc(h.Edges, func(e Edge) bool { return e.To == "hc" || e.To == "hr" || e.To == "hg" })
		h.Cards[0].Pins = nil
		files, rep := Import(p)
		var main string
		for _, f := range files {
			if f.Path == "flows/main.yaml" {
				main = string(f.Data)
			}
		}
		for _, want := range tc.want {
			if !strings.Contains(main, want) {
				t.Errorf("helper acting %q: want %q in:\n%s", tc.act, want, main)
			}
		}
		if tc.act != "" && rep.Missing["list.map"] != 0 {
			t.Errorf("not translated: %v", rep.Missing)
		}
	}
}
