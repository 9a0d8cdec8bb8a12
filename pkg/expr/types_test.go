package expr

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/ext"
)

// recordedEvents reads the LogEvents of testdata/events/ (NDJSON, one
// event, an array, or an event hook delivery) as the engine hands them to
// expressions: objects map[string]any, integers int64, other numbers
// float64.
func recordedEvents(t *testing.T) map[string][]map[string]any {
	t.Helper()
	files, _ := filepath.Glob("../../testdata/events/*.*json")
	if len(files) < 5 {
		t.Fatalf("only %d recorded event files", len(files))
	}
	out := map[string][]map[string]any{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var docs []any
		if strings.HasSuffix(f, ".ndjson") {
			sc := bufio.NewScanner(bytes.NewReader(data))
			sc.Buffer(nil, 1<<20)
			for sc.Scan() {
				if line := bytes.TrimSpace(sc.Bytes()); len(line) > 0 {
					docs = append(docs, decodeJSON(t, line))
				}
			}
		} else {
			docs = append(docs, decodeJSON(t, data))
		}
		for _, d := range docs {
			var evs []any
			switch d := d.(type) {
			case []any:
				evs = d
			case map[string]any:
				evs = []any{d}
				if data, ok := d["data"].(map[string]any); ok {
					evs, _ = data["events"].([]any)
				}
			}
			for _, ev := range evs {
				if m, ok := ev.(map[string]any); ok {
					out[filepath.Base(f)] = append(out[filepath.Base(f)], m)
				}
			}
		}
	}
	return out
}

func decodeJSON(t *testing.T, data []byte) any {
	t.Helper()
	d := json.NewDecoder(bytes.NewReader(data))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		t.Fatal(err)
	}
	return plainNumbers(v)
}

func plainNumbers(v any) any {
	switch x := v.(type) {
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return i
		}
		f, _ := x.Float64()
		return f
	case map[string]any:
		for k, e := range x {
			x[k] = plainNumbers(e)
		}
	case []any:
		for i, e := range x {
			x[i] = plainNumbers(e)
		}
	}
	return v
}

// TestRecordedEventsTyped: every field of every recorded event is declared
// with a type its value has (or null), down to the free-form objects.
func TestRecordedEventsTyped(t *testing.T) {
	env := newEnv(t)
	n := 0
	for file, evs := range recordedEvents(t) {
		for i, ev := range evs {
			n++
			for _, p := range env.untyped(types.NewObjectType(eventType), ev, "event") {
				t.Errorf("%s, event %d: %s", file, i+1, p)
			}
		}
	}
	if n < 10 {
		t.Errorf("only %d recorded events", n)
	}
}

// untyped lists the places where v does not fit t.
func (e *Env) untyped(t *types.Type, v any, path string) []string {
	if v == nil || t.Kind() == types.DynKind {
		return nil
	}
	switch t.Kind() {
	case types.StructKind:
		m, ok := v.(map[string]any)
		if !ok {
			return []string{fmt.Sprintf("%s is %T, not an object", path, v)}
		}
		var out []string
		for k, fv := range m {
			ft, ok := e.objects[t.TypeName()].fields[k]
			if !ok {
				out = append(out, fmt.Sprintf("%s.%s is not declared (%s)", path, k, t.TypeName()))
				continue
			}
			out = append(out, e.untyped(ft, fv, path+"."+k)...)
		}
		return out
	case types.ListKind:
		l, ok := v.([]any)
		if !ok {
			return []string{fmt.Sprintf("%s is %T, not a list", path, v)}
		}
		var out []string
		for i, el := range l {
			out = append(out, e.untyped(t.Parameters()[0], el, fmt.Sprintf("%s[%d]", path, i))...)
		}
		return out
	}
	ok := false
	switch v.(type) {
	case string:
		ok = t.Kind() == types.StringKind
	case bool:
		ok = t.Kind() == types.BoolKind
	case int64:
		ok = t.Kind() == types.IntKind || t.Kind() == types.DoubleKind // 43 for a latitude
	case float64:
		ok = t.Kind() == types.DoubleKind
	}
	if !ok {
		return []string{fmt.Sprintf("%s is %T, declared %s", path, v, TypeName(t))}
	}
	return nil
}

// TestEvalTypedAsDyn: an expression over the typed event, user, group and
// app evaluates, on recorded events, to what it evaluated to when they
// were dyn — values and errors alike (target null, no User target).
func TestEvalTypedAsDyn(t *testing.T) {
	env := newEnv(t)
	dyn, err := cel.NewEnv(cel.Variable("event", cel.DynType), cel.Variable("user", cel.DynType),
		cel.Variable("group", cel.DynType), cel.Variable("app", cel.DynType),
		ext.Strings(), ext.Lists(), ext.Math(), ext.Encoders(), cel.OptionalTypes())
	if err != nil {
		t.Fatal(err)
	}
	srcs := []string{
		`event.eventType`,
		`event.outcome.result == "SUCCESS"`,
		`event.target[0].alternateId`,
		`event.target.exists(t, t.type == "User")`,
		`event.target.filter(t, t.type == "User").map(t, t.id)`,
		`has(event.target)`,
		`has(event.client.geographicalContext)`,
		`size(event.target)`,
		`event.?target[0].alternateId.orValue("none")`,
		`event.?securityContext.?isProxy.orValue(false)`,
		`event.client.geographicalContext.geolocation.lat > 40.0`,
		`event.authenticationContext.authenticationStep + 1`,
		`event.actor.alternateId + " " + event.published`,
		`event.debugContext.debugData.requestUri`,
		`user != null && !user.alternateId.endsWith("@svc.example.com")`,
		`user.alternateId`,
		`user.displayName == null`,
		`user.profile.login`,
		`group.displayName`,
		`app != null`,
		`event`,
		`user`,
	}
	n := 0
	for file, evs := range recordedEvents(t) {
		for i, ev := range evs {
			vars := map[string]any{"event": ev, "user": target(ev, "User", true), "group": target(ev, "UserGroup", false), "app": target(ev, "AppInstance", false)}
			for _, src := range srcs {
				p, iss := env.Compile(src, Scope{})
				if len(iss) > 0 {
					t.Fatalf("Compile(%q): %+v", src, iss)
				}
				got, gerr := p.Eval(vars)
				a, iss2 := dyn.Compile(src)
				if iss2.Err() != nil {
					t.Fatal(iss2.Err())
				}
				prg, err := dyn.Program(a, cel.EvalOptions(cel.OptOptimize))
				if err != nil {
					t.Fatal(err)
				}
				out, _, werr := prg.Eval(vars)
				var want any
				if werr == nil {
					want = toNative(out.Value())
				}
				n++
				if fmt.Sprint(gerr) != fmt.Sprint(werr) || !reflect.DeepEqual(got, want) {
					t.Errorf("%s, event %d: %s = %v, %v; as dyn %v, %v", file, i+1, src, got, gerr, want, werr)
				}
			}
		}
	}
	if n == 0 {
		t.Fatal("nothing evaluated")
	}
}

// target is the first target of type typ, as the engine declares user,
// group and app (user with a profile of login and email).
func target(ev map[string]any, typ string, user bool) any {
	ts, _ := ev["target"].([]any)
	for _, t := range ts {
		if m, ok := t.(map[string]any); ok && m["type"] == typ {
			if !user {
				return m
			}
			u := map[string]any{}
			for k, v := range m {
				u[k] = v
			}
			login, _ := m["alternateId"].(string)
			u["profile"] = map[string]any{"login": login, "email": login}
			return u
		}
	}
	return nil
}

func TestUndefinedField(t *testing.T) {
	env := newEnv(t)
	cases := []struct {
		name   string
		src    string
		scope  Scope
		offset int
		msg    string
	}{
		{"event field, did you mean", `event.eventTyp == "x"`, Scope{}, 6, `event (okta.LogEvent) has no field "eventTyp"; did you mean "eventType"?`},
		{"case", `event.EventType`, Scope{}, 6, `did you mean "eventType"?`},
		{"nested", `event.outcome.reslt`, Scope{}, 14, `event.outcome (okta.LogOutcome) has no field "reslt"; did you mean "result"?`},
		{"indexed target", `event.target[0].alternatId`, Scope{}, 16, `event.target[0] (okta.LogTarget) has no field "alternatId"; did you mean "alternateId"?`},
		{"optional selection", `event.?outcome.?reslt`, Scope{}, 16, `event.?outcome (okta.LogOutcome) has no field "reslt"; did you mean "result"?`},
		{"comprehension variable", `event.target.exists(t, t.typ == "User")`, Scope{}, 25, `t (okta.LogTarget) has no field "typ"; did you mean "type"?`},
		{"user field, did you mean", `user.alternatId`, Scope{}, 5, `user (jml.User) has no field "alternatId"; did you mean "alternateId"?`},
		{"user profile attribute", `user.department == "x"`, Scope{}, 5, `user (jml.User) has no field "department": the attributes of the user's Okta profile are read as user.profile.department`},
		{"a field Okta does not describe", `event.newThing`, Scope{}, 6, `event (okta.LogEvent) has no field "newThing": Okta's System Log description lists none by that name (to read it anyway: dyn(event).newThing)`},
		{"group", `group.profile.name`, Scope{}, 6, `group (okta.LogTarget) has no field "profile"`},
		{"in a forEach scope", `u.id + app.nme`, Scope{Items: []string{"u"}}, 11, `app (okta.LogTarget) has no field "nme"`},
		{"a function's result", `event.target.filter(x, true).map(x, x.alternatId)`, Scope{}, 38, `undefined field "alternatId"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, iss := env.Compile(tc.src, tc.scope)
			if p != nil || len(iss) != 1 {
				t.Fatalf("Compile(%q) = %v, %+v; want one issue", tc.src, p, iss)
			}
			if iss[0].Code != "undefined-field" || iss[0].Offset != tc.offset || !strings.Contains(iss[0].Msg, tc.msg) {
				t.Errorf("issue %+v, want undefined-field at %d containing %q", iss[0], tc.offset, tc.msg)
			}
		})
	}
}

func TestObjectLiteral(t *testing.T) {
	p, iss := newEnv(t).Compile(`okta.LogOutcome{result: "SUCCESS"}`, Scope{})
	if len(iss) > 0 {
		t.Fatal(iss)
	}
	got, err := p.Eval(map[string]any{})
	if want := map[string]any{"result": "SUCCESS"}; err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("Eval = %v, %v; want %v", got, err, want)
	}
}

func TestTypedIssues(t *testing.T) {
	env := newEnv(t)
	cases := []struct{ src, msg string }{
		{`event.target != null`, "applied to '(list(okta.LogTarget), null)'; a list is not compared with null: test it with size(...) > 0, or write dyn(...) != null"},
		{`null == event.request.ipChain`, "a list is not compared with null"},
		{`event.client.geographicalContext.geolocation.lat > 40`, "applied to '(double, int)'"},
	}
	for _, tc := range cases {
		_, iss := env.Compile(tc.src, Scope{})
		if len(iss) != 1 || iss[0].Code != "expr-type" || !strings.Contains(iss[0].Msg, tc.msg) {
			t.Errorf("Compile(%q) = %+v; want one expr-type containing %q", tc.src, iss, tc.msg)
		}
	}
	for _, src := range []string{`dyn(event.target) != null`, `size(event.target) > 0`} {
		if _, iss := env.Compile(src, Scope{}); len(iss) > 0 {
			t.Errorf("Compile(%q) = %+v; want none", src, iss)
		}
	}
}

func TestBoolHint(t *testing.T) {
	env := newEnv(t)
	cases := []struct{ src, want string }{
		{`user.alternateId`, `user.alternateId != ""`},
		{`user.alternateId.size()`, `user.alternateId.size() != 0`},
		{`event.client.geographicalContext.geolocation.lat`, `event.client.geographicalContext.geolocation.lat != 0.0`},
		{`event.target`, `size(event.target) > 0`},
		{`{"a": 1}`, ``}, // a literal
		{`"yes"`, ``},
		{`vars.m.size()`, `vars.m.size() != 0`},
		{`user`, `user != null`},
		{` group `, `group != null`},
		{`true ? "a" : "b"`, `(true ? "a" : "b") != ""`},
		{`user.profile`, ``},       // dyn
		{`true`, ``},               // already bool
		{"user.\nalternateId", ``}, // spans lines
	}
	for _, tc := range cases {
		p, iss := env.Compile(tc.src, Scope{})
		if len(iss) > 0 {
			t.Fatalf("Compile(%q): %+v", tc.src, iss)
		}
		got, ok := BoolHint(tc.src, p.Type)
		if got != tc.want || ok != (tc.want != "") {
			t.Errorf("BoolHint(%q, %s) = %q, %v; want %q", tc.src, TypeName(p.Type), got, ok, tc.want)
		}
	}
}
