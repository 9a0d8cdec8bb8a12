package expr

import (
	"reflect"
	"strings"
	"testing"
)

func newEnv(t testing.TB) *Env {
	t.Helper()
	e, err := NewEnv()
	if err != nil {
		t.Fatalf("NewEnv: %v", err)
	}
	return e
}

func TestCompileTypes(t *testing.T) {
	env := newEnv(t)
	cases := []struct {
		name  string
		src   string
		scope Scope
		want  string // TypeName of the result
		dyn   bool
	}{
		{name: "comparison is bool", src: `user.id == "x"`, want: "bool"},
		{name: "changed is a list of strings", src: "changed", want: "list(string)"},
		{name: "in changed is bool", src: `"department" in changed`, want: "bool"},
		{name: "profile is dyn", src: "user.profile", want: "dyn", dyn: true},
		{name: "event fields are typed", src: "event.eventType", want: "string"},
		{name: "event is a LogEvent", src: "event", want: "okta.LogEvent"},
		{name: "user is jml's user", src: "user", want: "jml.User"},
		{name: "group and app are targets", src: "[group, app]", want: "list(okta.LogTarget)"},
		{name: "a target's field", src: "event.target[0].alternateId", want: "string"},
		{name: "the outcome", src: `event.outcome.result == "SUCCESS"`, want: "bool"},
		{name: "a comprehension over targets", src: `event.target.exists(t, t.type == "User")`, want: "bool"},
		{name: "targets mapped", src: `event.target.map(t, t.id)`, want: "list(string)"},
		{name: "optional selection", src: `event.?target[0].alternateId.orValue("")`, want: "string"},
		{name: "has() of a typed field", src: `has(event.target)`, want: "bool"},
		{name: "a nullable field against null", src: `user.displayName != null`, want: "bool"},
		{name: "an object against null", src: `user != null && group == null`, want: "bool"},
		{name: "string functions on a nullable string", src: `user.alternateId.endsWith("@x") || user.alternateId.lowerAscii() == "a"`, want: "bool"},
		{name: "an int field", src: `event.authenticationContext.authenticationStep + 1`, want: "int"},
		{name: "a double field", src: `event.client.geographicalContext.geolocation.lat > 40.0`, want: "bool"},
		{name: "a list of strings", src: `"x" in event.securityContext.risk.reasons`, want: "bool"},
		{name: "profile fields are dyn", src: "user.profile.anything", want: "dyn", dyn: true},
		{name: "debugData is dyn", src: "event.debugContext.debugData.requestUri", want: "dyn", dyn: true},
		{name: "detailEntry is dyn", src: "event.target[0].detailEntry.x", want: "dyn", dyn: true},
		{name: "changeDetails' from and to are dyn", src: "event.target[0].changeDetails.to.x", want: "dyn", dyn: true},
		{name: "transaction detail is dyn", src: "event.transaction.detail", want: "dyn", dyn: true},
		{name: "a field seen in events, not described", src: "event.insertionTimestamp", want: "string"},
		{name: "dyn() reads a field Okta does not describe", src: "dyn(event).newField", want: "dyn", dyn: true},
		{name: "steps output is dyn", src: "steps.a.output", want: "dyn", dyn: true},
		{name: "arithmetic is int", src: "1 + 2", want: "int"},
		{name: "concatenation is string", src: `"a" + "b"`, want: "string"},
		{name: "strings extension", src: `"a,b".split(",")`, want: "list(string)"},
		{name: "math extension", src: "math.greatest(1, 2)", want: "int"},
		{name: "lists extension", src: "lists.range(3)", want: "list(int)"},
		{name: "encoders extension", src: `base64.encode(b"x")`, want: "string"},
		{name: "inputs in a helper", src: "inputs.login", scope: Scope{Inputs: true}, want: "dyn", dyn: true},
		{name: "error in a catch", src: "error.status == 404", scope: Scope{Error: true}, want: "bool"},
		{name: "forEach item", src: "u.email", scope: Scope{Items: []string{"u"}}, want: "dyn", dyn: true},
		{name: "forEach index is int", src: "u_index + 1", scope: Scope{Items: []string{"u"}}, want: "int"},
		{name: "nested forEach items", src: `g.id + ":" + string(m_index)`, scope: Scope{Items: []string{"g", "m"}}, want: "string"},
		{name: "repeated item name", src: "u_index", scope: Scope{Items: []string{"u", "u"}}, want: "int"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, iss := env.Compile(tc.src, tc.scope)
			if len(iss) != 0 || p == nil {
				t.Fatalf("Compile(%q): %+v", tc.src, iss)
			}
			if got := TypeName(p.Type); got != tc.want {
				t.Errorf("type %s, want %s", got, tc.want)
			}
			if got := IsDyn(p.Type); got != tc.dyn {
				t.Errorf("IsDyn = %v, want %v", got, tc.dyn)
			}
			if p.Src != tc.src {
				t.Errorf("Src = %q, want %q", p.Src, tc.src)
			}
		})
	}
}

func TestCompileIssues(t *testing.T) {
	env := newEnv(t)
	cases := []struct {
		name   string
		src    string
		scope  Scope
		code   string
		offset int
		msg    string // substring of the first issue's message
		notMsg string // must not be in it
	}{
		{name: "syntax error at the end", src: "user.id ==", code: "expr-syntax", offset: 10, msg: "CEL syntax error"},
		{name: "syntax error in the middle", src: "user.id == == 1", code: "expr-syntax", offset: 11, msg: "CEL syntax error", notMsg: "Syntax error: Syntax error"},
		{name: "syntax error on a second line", src: "user.id == 1 &&\n  )", code: "expr-syntax", offset: 18, msg: "CEL syntax error"},
		{name: "undefined variable with a suggestion", src: `usr.id == "x"`, code: "undefined-variable", offset: 0, msg: `undefined variable "usr"; did you mean "user"?`},
		{name: "undefined variable after multi-byte text", src: `"é" == usr.id`, code: "undefined-variable", offset: 8, msg: `"usr"`},
		{name: "undefined variable on a second line", src: "true &&\n  stpes.a.status == 'ok'", code: "undefined-variable", offset: 10, msg: `did you mean "steps"?`},
		{name: "undefined variable without a suggestion", src: "frobnicate.x", code: "undefined-variable", offset: 0, msg: `undefined variable "frobnicate"`, notMsg: "did you mean"},
		{name: "inputs outside a helper", src: "inputs.login", code: "undefined-variable", msg: `"inputs"`},
		{name: "error outside a catch", src: "error.status == 404", code: "undefined-variable", msg: `"error"`},
		{name: "inputs with only error declared", src: "inputs.x", scope: Scope{Error: true}, code: "undefined-variable", msg: `"inputs"`},
		{name: "error with only inputs declared", src: "error.message", scope: Scope{Inputs: true}, code: "undefined-variable", msg: `"error"`},
		{name: "forEach item out of its loop", src: "u.email", code: "undefined-variable", msg: `"u"`},
		{name: "forEach index out of its loop", src: "u_index", scope: Scope{Items: []string{"v"}}, code: "undefined-variable", msg: `"u_index"`},
		{name: "type error", src: `1 + "a"`, code: "expr-type", offset: 2, msg: "no matching overload"},
		{name: "wrong type of a known variable", src: "changed + 1", code: "expr-type", offset: 8, msg: "no matching overload"},
		// cel-go panics planning this; Compile must report it instead.
		{name: "map literal with a bytes key", src: `{"a": 1, b"0": {"0": true}}`, code: "expr-type", msg: "invalid expression"},
		{name: "no clock", src: "now()", code: "undefined-function", offset: 0, msg: `undefined function "now"`, notMsg: "did you mean"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, iss := env.Compile(tc.src, tc.scope)
			if p != nil || len(iss) == 0 {
				t.Fatalf("Compile(%q) = %v, %v; want issues", tc.src, p, iss)
			}
			is := iss[0]
			if is.Code != tc.code {
				t.Errorf("code %q, want %q (%+v)", is.Code, tc.code, iss)
			}
			if is.Offset != tc.offset {
				t.Errorf("offset %d, want %d (%+v)", is.Offset, tc.offset, is)
			}
			if !strings.Contains(is.Msg, tc.msg) {
				t.Errorf("message %q does not contain %q", is.Msg, tc.msg)
			}
			if tc.notMsg != "" && strings.Contains(is.Msg, tc.notMsg) {
				t.Errorf("message %q contains %q", is.Msg, tc.notMsg)
			}
			for _, is := range iss {
				if is.Offset < 0 || is.Offset > len(tc.src) {
					t.Errorf("offset %d outside the source (%d bytes)", is.Offset, len(tc.src))
				}
			}
		})
	}
}

func TestRefs(t *testing.T) {
	env := newEnv(t)
	cases := []struct {
		name  string
		src   string
		scope Scope
		want  []Ref
	}{
		{name: "no refs", src: `user.id == "x"`, want: nil},
		{name: "bare root is not a ref", src: "size(steps) > 0", want: nil},
		{name: "field path", src: "steps.a.output.id", want: []Ref{{Root: "steps", Name: "a", Path: []string{"output", "id"}, Offset: 0}}},
		{name: "string index", src: `steps["a"].status`, want: []Ref{{Root: "steps", Name: "a", Path: []string{"status"}, Offset: 0}}},
		{name: "string index in the path", src: `steps.a["output"].id`, want: []Ref{{Root: "steps", Name: "a", Path: []string{"output", "id"}, Offset: 0}}},
		{name: "vars", src: `"x" + vars.login`, want: []Ref{{Root: "vars", Name: "login", Offset: 6}}},
		{name: "inputs", src: "inputs.login", scope: Scope{Inputs: true}, want: []Ref{{Root: "inputs", Name: "login", Offset: 0}}},
		{name: "inside a macro", src: "changed.exists(c, c == vars.x)", want: []Ref{{Root: "vars", Name: "x", Offset: 23}}},
		{name: "macro over a step output", src: "steps.list.output.users.all(u, u.active)", want: []Ref{{Root: "steps", Name: "list", Path: []string{"output", "users"}, Offset: 0}}},
		{name: "has() names the step", src: "has(steps.a.output)", want: []Ref{{Root: "steps", Name: "a", Offset: 4}}},
		{name: "dynamic index: only the index is a ref", src: "steps[vars.k]", want: []Ref{{Root: "vars", Name: "k", Offset: 6}}},
		{
			name: "several, ordered by offset",
			src:  `steps.b.status == "ok" && steps.a.output.x`,
			want: []Ref{
				{Root: "steps", Name: "b", Path: []string{"status"}, Offset: 0},
				{Root: "steps", Name: "a", Path: []string{"output", "x"}, Offset: 26},
			},
		},
		{
			name: "in list and map literals",
			src:  `[steps.a.output, {"k": vars.v}]`,
			want: []Ref{
				{Root: "steps", Name: "a", Path: []string{"output"}, Offset: 1},
				{Root: "vars", Name: "v", Offset: 23},
			},
		},
		{name: "byte offset after multi-byte text", src: `"é" + vars.name`, want: []Ref{{Root: "vars", Name: "name", Offset: 7}}},
		{name: "byte offset on a second line", src: "\"→\" +\n  vars.name", want: []Ref{{Root: "vars", Name: "name", Offset: 10}}},
		{name: "not a ref root", src: "run.id + user.id", want: nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, iss := env.Compile(tc.src, tc.scope)
			if len(iss) != 0 {
				t.Fatalf("Compile(%q): %+v", tc.src, iss)
			}
			got := p.Refs
			for i := range got {
				if len(got[i].Path) == 0 {
					got[i].Path = nil
				}
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Refs =\n%+v\nwant\n%+v", got, tc.want)
			}
			for _, r := range got {
				if !strings.HasPrefix(tc.src[r.Offset:], r.Root) {
					t.Errorf("ref %+v: source at its offset is %q", r, tc.src[r.Offset:])
				}
			}
		})
	}
}

func TestEval(t *testing.T) {
	env := newEnv(t)
	vars := map[string]any{
		"user":    map[string]any{"id": "00u1", "profile": map[string]any{"email": "a@example.com"}},
		"changed": []string{"department", "title"},
		"vars":    map[string]any{"m": map[string]any{"k": []any{"x", int64(2)}}},
		"steps":   map[string]any{"a": map[string]any{"status": "ok", "output": map[string]any{"id": 7}}},
		"event":   map[string]any{},
		"group":   nil,
		"app":     nil,
		"run":     map[string]any{"id": "r1"},
	}
	cases := []struct {
		name string
		src  string
		want any
	}{
		{name: "string", src: `user.profile.email`, want: "a@example.com"},
		{name: "bool", src: `"department" in changed`, want: true},
		{name: "int", src: "1 + 2", want: int64(3)},
		{name: "double", src: "1.5 * 2.0", want: 3.0},
		{name: "null", src: "null", want: nil},
		{name: "map literal", src: `{"a": [1, {"b": 2.5}], "c": null}`, want: map[string]any{"a": []any{int64(1), map[string]any{"b": 2.5}}, "c": nil}},
		{name: "list from a macro", src: "[1, 2].map(x, x * 2)", want: []any{int64(2), int64(4)}},
		{name: "list of strings input", src: "changed", want: []any{"department", "title"}},
		{name: "map input passes through", src: "vars.m", want: map[string]any{"k": []any{"x", int64(2)}}},
		{name: "step output field", src: "steps.a.output.id", want: int64(7)},
		{name: "step output map", src: "steps.a.output", want: map[string]any{"id": 7}},
		{name: "list built from an input list", src: `changed.filter(c, c != "title")`, want: []any{"department"}},
		{name: "template-like join", src: `changed.join(",")`, want: "department,title"},
		{name: "cheap comprehension under the cost limit", src: "lists.range(100).map(i, i * 2).size()", want: int64(100)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, iss := env.Compile(tc.src, Scope{})
			if len(iss) != 0 {
				t.Fatalf("Compile(%q): %+v", tc.src, iss)
			}
			got, err := p.Eval(vars)
			if err != nil {
				t.Fatalf("Eval: %v", err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Eval = %#v (%T), want %#v (%T)", got, got, tc.want, tc.want)
			}
		})
	}
}

func TestEvalErrors(t *testing.T) {
	env := newEnv(t)
	cases := []struct {
		name string
		src  string
		msg  string
	}{
		{name: "missing key", src: "steps.a.output.missing", msg: "no such key"},
		{name: "division by zero", src: "1 / (size(changed) - size(changed))", msg: "division by zero"},
		// A million-step nested comprehension: the cost limit stops it.
		{name: "nested comprehension over a big range", src: "lists.range(2000).all(i, lists.range(2000).all(j, i * j >= 0))", msg: "cost limit"},
		{name: "big nested map", src: "lists.range(1000).map(i, lists.range(1000).map(j, i * j)).size()", msg: "cost limit"},
		{name: "map keyed by computed bytes", src: `{bytes(steps.a.output.k): 1}`, msg: "unhashable"},
		{name: "long string built in a loop", src: `lists.range(100000).map(i, "xxxxxxxxxx").join("").size()`, msg: "cost limit"},
	}
	vars := map[string]any{
		"changed": []string{"a"},
		"steps":   map[string]any{"a": map[string]any{"output": map[string]any{"k": "x"}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, iss := env.Compile(tc.src, Scope{})
			if len(iss) != 0 {
				t.Fatalf("Compile(%q): %+v", tc.src, iss)
			}
			got, err := p.Eval(vars)
			if err == nil {
				t.Fatalf("Eval = %#v, want an error", got)
			}
			if !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("error %q does not contain %q", err, tc.msg)
			}
		})
	}
}

func TestEnvScopesAreIndependent(t *testing.T) {
	// Compiling in a wide scope first must not leak its variables into a
	// narrower scope compiled later from the same Env.
	env := newEnv(t)
	if _, iss := env.Compile("inputs.a + error.message + u.x", Scope{Inputs: true, Error: true, Items: []string{"u"}}); len(iss) != 0 {
		t.Fatalf("wide scope: %+v", iss)
	}
	for _, src := range []string{"inputs.a", "error.message", "u.x", "u_index"} {
		t.Run(src, func(t *testing.T) {
			if _, iss := env.Compile(src, Scope{}); len(iss) == 0 || iss[0].Code != "undefined-variable" {
				t.Errorf("Compile(%q) in the empty scope = %+v, want undefined-variable", src, iss)
			}
		})
	}
}

func TestTypePredicates(t *testing.T) {
	env := newEnv(t)
	cases := []struct {
		src          string
		bool_, list_ bool
	}{
		{src: "true", bool_: true},
		{src: "[1]", list_: true},
		{src: "vars.x", bool_: true, list_: true}, // dyn could be either
		{src: "user"},                             // an object
		{src: "user.alternateId"},                 // a string
		{src: "event.target", list_: true},
		{src: "event.securityContext.isProxy", bool_: true}, // nullable bool
		{src: `"s"`},
	}
	for _, tc := range cases {
		t.Run(tc.src, func(t *testing.T) {
			p, iss := env.Compile(tc.src, Scope{})
			if len(iss) != 0 {
				t.Fatal(iss)
			}
			if got := IsBool(p.Type); got != tc.bool_ {
				t.Errorf("IsBool = %v, want %v", got, tc.bool_)
			}
			if got := IsList(p.Type); got != tc.list_ {
				t.Errorf("IsList = %v, want %v", got, tc.list_)
			}
		})
	}
	if TypeName(nil) != "dyn" || !IsDyn(nil) {
		t.Errorf("a nil type must read as dyn")
	}
}

func TestGlobals(t *testing.T) {
	want := []string{"event", "user", "group", "app", "changed", "vars", "steps", "run", "request"}
	if got := Globals(); !reflect.DeepEqual(got, want) {
		t.Errorf("Globals = %v, want %v", got, want)
	}
	env := newEnv(t)
	for _, g := range want {
		t.Run(g, func(t *testing.T) {
			if _, iss := env.Compile(g, Scope{}); len(iss) != 0 {
				t.Errorf("global %q is not declared: %+v", g, iss)
			}
		})
	}
}

// TestReadsProfile: what makes the engine read the user's Okta profile.
func TestReadsProfile(t *testing.T) {
	env, err := NewEnv()
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		src  string
		want bool
	}{
		{`user.id`, false},
		{`user.alternateId.endsWith("@svc.acme.com")`, false},
		{`user != null && !user.alternateId.endsWith("@x")`, false},
		{`user.profile.login`, false},
		{`user.profile["email"]`, false},
		{`user.profile.department == "Sales"`, true},
		{`user.profile["department"]`, true},
		{`has(user.profile.employeeType)`, true},
		{`user.profile`, true},
		{`user`, true},
		{`[user].size() > 0`, true},
		{`event.target[0].alternateId`, false},
		{`vars.x == "a"`, false},
	} {
		p, iss := env.Compile(tt.src, Scope{})
		if len(iss) > 0 {
			t.Fatalf("%s: %v", tt.src, iss)
		}
		if p.ReadsProfile != tt.want {
			t.Errorf("%s: ReadsProfile = %v, want %v", tt.src, p.ReadsProfile, tt.want)
		}
	}
}

// TestEvalExtensionLists: lists an extension builds (lists.range gives a
// Go []int) come back as plain []any, as forEach needs.
func TestEvalExtensionLists(t *testing.T) {
	env, err := NewEnv()
	if err != nil {
		t.Fatal(err)
	}
	p, iss := env.Compile("lists.range(3)", Scope{})
	if len(iss) > 0 {
		t.Fatal(iss)
	}
	v, err := p.Eval(map[string]any{})
	if err != nil {
		t.Fatal(err)
	}
	l, ok := v.([]any)
	if !ok || len(l) != 3 {
		t.Fatalf("lists.range(3) = %#v, want a []any of 3", v)
	}
}

// TestCompileHints: a mistake from another language gets one issue with
// the fix, at the mistake, and not CEL's cascade of syntax errors.
func TestCompileHints(t *testing.T) {
	env := newEnv(t)
	const (
		eq  = `CEL syntax error: "=" is not an operator in CEL; use == to compare`
		and = `CEL syntax error: "and" is not an operator in CEL; use &&`
		or  = `CEL syntax error: "or" is not an operator in CEL; use ||`
		not = `CEL syntax error: "not" is not an operator in CEL; use !`
	)
	cases := []struct {
		name string
		src  string
		want []Issue
	}{
		{"= for ==", `user.login = "x"`, []Issue{{11, "expr-syntax", eq}}},
		{"two =", `user.a = 1 && user.b = 2`, []Issue{{7, "expr-syntax", eq}, {21, "expr-syntax", eq}}},
		{"= in a string is text", `"a = b" = user.x`, []Issue{{8, "expr-syntax", eq}}},
		{"and", `user.a and user.b`, []Issue{{7, "expr-syntax", and}}},
		{"or", `user.a or user.b`, []Issue{{7, "expr-syntax", or}}},
		{"not", `not user.a`, []Issue{{0, "expr-syntax", not}}},
		{"not after &&, on a second line", "user.a &&\n  not user.b", []Issue{{12, "expr-syntax", not}}},
		{"or in a raw string is text", `r'a or b' or user.x`, []Issue{{10, "expr-syntax", or}}},
		{"another error beside the mistake", `user.a = 1 &&`, []Issue{{7, "expr-syntax", eq}, {13, "expr-syntax", "CEL syntax error: mismatched input '<EOF>' expecting {'[', '{', '(', '.', '-', '!', 'true', 'false', 'null', NUM_FLOAT, NUM_INT, NUM_UINT, STRING, BYTES, IDENTIFIER}"}}},
		{"member function in the wrong case", `vars.login.endswith("x")`, []Issue{{11, "undefined-function", `undefined function "endswith"; did you mean "endsWith"?`}}},
		{"global function in the wrong case", `startswith(vars.login, "x")`, []Issue{{0, "undefined-function", `undefined function "startswith"; did you mean "startsWith"?`}}},
		{"misspelt function", `vars.login.contans("x")`, []Issue{{11, "undefined-function", `undefined function "contans"; did you mean "contains"?`}}},
		{"space before the call", `vars.login.endswith ("x")`, []Issue{{11, "undefined-function", `undefined function "endswith"; did you mean "endsWith"?`}}},
		{"function of a namespace, not its namespace too", `math.gretest(1, 2)`, []Issue{{5, "undefined-function", `undefined function "gretest"; did you mean "greatest"?`}}},
		{"misspelt macro", `vars.groups.exist(g, g == "a")`, []Issue{{12, "undefined-function", `undefined function "exist"; did you mean "exists"?`}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, iss := env.Compile(tc.src, Scope{})
			if p != nil {
				t.Fatalf("Compile(%q) compiled", tc.src)
			}
			if !reflect.DeepEqual(iss, tc.want) {
				t.Errorf("Compile(%q) issues\n got %+v\nwant %+v", tc.src, iss, tc.want)
			}
		})
	}
}

// TestCompileNoHintsWhenValid: words and = that CEL accepts stay valid.
func TestCompileNoHintsWhenValid(t *testing.T) {
	env := newEnv(t)
	for _, src := range []string{`vars.login == "a = b"`, `vars.or == "and"`, `vars.a <= 1 || vars.b >= 2 || vars.c != 3`, `"x".endsWith("x")`} {
		if _, iss := env.Compile(src, Scope{}); len(iss) > 0 {
			t.Errorf("Compile(%q) = %+v; want no issues", src, iss)
		}
	}
}
