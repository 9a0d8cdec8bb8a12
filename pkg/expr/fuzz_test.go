package expr

import (
	"errors"
	"strings"
	"testing"
)

func FuzzCompile(f *testing.F) {
	for _, seed := range []string{
		`user.id == "x"`,
		`"department" in changed`,
		`steps.a.output.id`,
		`steps["a"].status == "ok" && vars.login.endsWith("@example.com")`,
		`changed.exists(c, c == vars.x)`,
		`{"a": [1, 2.5, null], "b": {"c": true}}`,
		`"é" == usr.id`,
		`inputs.login + error.message`,
		`user.id ==`,
		`((((`,
		`"\xff"`,
	} {
		f.Add(seed, false, false)
	}
	env := newEnv(f)
	f.Fuzz(func(t *testing.T, src string, inputs, errScope bool) {
		p, iss := env.Compile(src, Scope{Inputs: inputs, Error: errScope, Items: []string{"u"}})
		if (p == nil) == (len(iss) == 0) {
			t.Fatalf("Compile(%q) = %v, %+v: want a program or issues, not both or neither", src, p, iss)
		}
		for _, is := range iss {
			if is.Code == "" || is.Msg == "" {
				t.Errorf("issue without code or message: %+v", is)
			}
			if is.Offset < 0 || is.Offset > len(src) {
				t.Errorf("issue offset %d outside %q", is.Offset, src)
			}
		}
		if p == nil {
			return
		}
		for _, r := range p.Refs {
			if r.Offset < 0 || r.Offset >= len(src) {
				t.Fatalf("ref %+v offset outside %q", r, src)
			}
			if r.Root != "steps" && r.Root != "vars" && r.Root != "inputs" {
				t.Errorf("ref %+v has an unexpected root", r)
			}
		}
	})
}

func FuzzParseTemplate(f *testing.F) {
	for _, seed := range []string{
		"",
		"plain",
		"${{ user.id }}",
		"Hello ${{ user.name }}: ${{ steps.t.output.number }}!",
		`${{ "}}" + '}}' }}`,
		`${{ {"a": {"b": 1}} }}`,
		`${{ """a"b""" + r"\" }}`,
		"${{ x",
		"${{ }}",
		"${{ x } }}",
		"é${{é}}é",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		parts, err := ParseTemplate(s)
		if err != nil {
			var te *TemplateError
			if !errors.As(err, &te) {
				t.Fatalf("error %T, want *TemplateError", err)
			}
			if te.Offset < 0 || te.Offset > len(s) {
				t.Fatalf("error offset %d outside %q", te.Offset, s)
			}
			if !HasTemplate(s) {
				t.Fatalf("error %v for a string without ${{", err)
			}
			return
		}
		checkPartOffsets(t, s, parts)
		// The parts tile the string: each literal verbatim, each
		// expression framed by ${{ and }} with only blanks between.
		const blanks = " \t\n\r"
		cur := 0
		for _, p := range parts {
			if !p.IsExpr {
				if p.Offset != cur {
					t.Fatalf("literal %q at %d, want %d in %q", p.Lit, p.Offset, cur, s)
				}
				cur += len(p.Lit)
				continue
			}
			if open := strings.TrimRight(s[cur:p.Offset], blanks); open != "${{" {
				t.Fatalf("expression %q at %d is preceded by %q, want ${{", p.Expr, p.Offset, s[cur:p.Offset])
			}
			cur = p.Offset + len(p.Expr)
			rest := strings.TrimLeft(s[cur:], blanks)
			if !strings.HasPrefix(rest, "}}") {
				t.Fatalf("expression %q at %d is not closed by }} in %q", p.Expr, p.Offset, s)
			}
			cur = len(s) - len(rest) + 2
		}
		if cur != len(s) {
			t.Fatalf("parts %+v end at %d, want %d in %q", parts, cur, len(s), s)
		}
		if !HasTemplate(s) && len(parts) > 1 {
			t.Errorf("a string without ${{ must be at most one literal, got %+v", parts)
		}
	})
}
