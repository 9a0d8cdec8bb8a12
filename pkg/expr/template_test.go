package expr

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestParseTemplate(t *testing.T) {
	lit := func(s string, off int) Part { return Part{Lit: s, Offset: off} }
	ex := func(s string, off int) Part { return Part{Expr: s, IsExpr: true, Offset: off} }
	cases := []struct {
		name   string
		in     string
		want   []Part
		single bool
	}{
		{name: "empty string", in: "", want: nil},
		{name: "no template", in: "plain text", want: []Part{lit("plain text", 0)}},
		{name: "dollar without braces", in: "$ {{ x }} and ${ x }", want: []Part{lit("$ {{ x }} and ${ x }", 0)}},
		{name: "single expression", in: "${{ user.id }}", want: []Part{ex("user.id", 4)}, single: true},
		{name: "single expression without blanks", in: "${{x}}", want: []Part{ex("x", 3)}, single: true},
		{name: "blank before the template is text", in: " ${{ x }}", want: []Part{lit(" ", 0), ex("x", 5)}},
		{
			name: "mixed text",
			in:   "Hello ${{ user.name }}!",
			want: []Part{lit("Hello ", 0), ex("user.name", 10), lit("!", 22)},
		},
		{
			name: "two expressions",
			in:   "${{ a }}-${{ b }}",
			want: []Part{ex("a", 4), lit("-", 8), ex("b", 13)},
		},
		{
			name: "adjacent expressions",
			in:   "${{ a }}${{ b }}",
			want: []Part{ex("a", 4), ex("b", 12)},
		},
		{name: "}} inside a double-quoted string", in: `${{ "}}" + x }}`, want: []Part{ex(`"}}" + x`, 4)}, single: true},
		{name: "}} inside a single-quoted string", in: `${{ '}}' }}`, want: []Part{ex(`'}}'`, 4)}, single: true},
		{name: "escaped quote inside a string", in: `${{ "a\"}}" }}`, want: []Part{ex(`"a\"}}"`, 4)}, single: true},
		{name: "other quote inside a string", in: `${{ "it's }}" }}`, want: []Part{ex(`"it's }}"`, 4)}, single: true},
		{name: "triple-quoted string with a quote inside", in: `${{ """a"b}}""" }}`, want: []Part{ex(`"""a"b}}"""`, 4)}, single: true},
		{name: "raw string ending in a backslash", in: `${{ r"C:\" + x }}`, want: []Part{ex(`r"C:\" + x`, 4)}, single: true},
		{name: "${{ inside a string", in: `${{ "${{" }}`, want: []Part{ex(`"${{"`, 4)}, single: true},
		{name: "map literal", in: `${{ {"a": {"b": 1}} }}`, want: []Part{ex(`{"a": {"b": 1}}`, 4)}, single: true},
		{name: "map literal with text after", in: `x=${{ {"a": 1}["a"] }}.`, want: []Part{lit("x=", 0), ex(`{"a": 1}["a"]`, 6), lit(".", 22)}},
		{name: "extra closing brace is text", in: "${{ x }}}", want: []Part{ex("x", 4), lit("}", 8)}},
		{name: "offset skips newlines and tabs", in: "a ${{\n\t x }}", want: []Part{lit("a ", 0), ex("x", 8)}},
		{name: "multi-byte text before", in: "héllo ${{ x }}", want: []Part{lit("héllo ", 0), ex("x", 11)}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseTemplate(tc.in)
			if err != nil {
				t.Fatalf("ParseTemplate(%q): %v", tc.in, err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("ParseTemplate(%q) =\n%+v\nwant\n%+v", tc.in, got, tc.want)
			}
			if s := Single(got); s != tc.single {
				t.Errorf("Single = %v, want %v", s, tc.single)
			}
			checkPartOffsets(t, tc.in, got)
		})
	}
}

// checkPartOffsets checks that each part's text stands at its offset.
func checkPartOffsets(t *testing.T, s string, parts []Part) {
	t.Helper()
	prev := 0
	for i, p := range parts {
		text := p.Lit
		if p.IsExpr {
			text = p.Expr
		}
		if p.Offset < prev || p.Offset+len(text) > len(s) {
			t.Fatalf("part %d at %d..%d is out of order or outside %q", i, p.Offset, p.Offset+len(text), s)
		}
		if s[p.Offset:p.Offset+len(text)] != text {
			t.Errorf("part %d: %q at offset %d, but the string holds %q there", i, text, p.Offset, s[p.Offset:p.Offset+len(text)])
		}
		// ParseTemplate trims the blanks YAML strings hold: space, tab, CR, LF.
		if p.IsExpr && (text == "" || strings.Trim(text, " \t\r\n") != text) {
			t.Errorf("part %d: expression %q is empty or not trimmed", i, text)
		}
		prev = p.Offset + len(text)
	}
}

func TestParseTemplateErrors(t *testing.T) {
	cases := []struct {
		name   string
		in     string
		offset int
		msg    string
	}{
		{name: "unterminated", in: "x ${{ y", offset: 2, msg: "missing closing }}"},
		{name: "unterminated after a good one", in: "${{ a }} ${{ b", offset: 9, msg: "missing closing }}"},
		{name: "single closing brace at the end", in: "${{ x }", offset: 6, msg: "unbalanced '}'"},
		{name: "empty", in: "a ${{ }}", offset: 2, msg: "empty"},
		{name: "empty without blanks", in: "${{}}", offset: 0, msg: "empty"},
		{name: "blank lines only", in: "${{ \n\t }}", offset: 0, msg: "empty"},
		{name: "unterminated string", in: `${{ "abc }}`, offset: 4, msg: "unterminated string"},
		{name: "unbalanced brace", in: "${{ x } y }}", offset: 6, msg: "unbalanced '}'"},
		{name: "unclosed map literal", in: `${{ {"a": 1 }}`, offset: 13, msg: "unbalanced '}'"},
		{name: "open brace never closed", in: `${{ {"a": 1 `, offset: 0, msg: "missing closing }}"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			parts, err := ParseTemplate(tc.in)
			if err == nil {
				t.Fatalf("ParseTemplate(%q) = %+v, want an error", tc.in, parts)
			}
			var te *TemplateError
			if !errors.As(err, &te) {
				t.Fatalf("error %T %v, want *TemplateError", err, err)
			}
			if te.Offset != tc.offset {
				t.Errorf("offset %d, want %d", te.Offset, tc.offset)
			}
			if !strings.Contains(te.Msg, tc.msg) {
				t.Errorf("message %q does not contain %q", te.Msg, tc.msg)
			}
			if !strings.HasPrefix(err.Error(), "offset ") {
				t.Errorf("Error() = %q, want it to name the offset", err.Error())
			}
		})
	}
}

func TestHasTemplate(t *testing.T) {
	cases := map[string]bool{
		"":             false,
		"plain":        false,
		"${ x }":       false,
		"$ {{ x }}":    false,
		"a ${{ x }}":   true,
		"${{ broken":   true,
		"{{ x }}":      false,
		"$${{ x }}":    true,
		"text ${{}} x": true,
	}
	for in, want := range cases {
		t.Run(in, func(t *testing.T) {
			if got := HasTemplate(in); got != want {
				t.Errorf("HasTemplate(%q) = %v, want %v", in, got, want)
			}
		})
	}
}

func TestSingle(t *testing.T) {
	cases := []struct {
		name  string
		parts []Part
		want  bool
	}{
		{name: "none", parts: nil, want: false},
		{name: "one literal", parts: []Part{{Lit: "x"}}, want: false},
		{name: "one expression", parts: []Part{{Expr: "x", IsExpr: true}}, want: true},
		{name: "two expressions", parts: []Part{{Expr: "x", IsExpr: true}, {Expr: "y", IsExpr: true}}, want: false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := Single(tc.parts); got != tc.want {
				t.Errorf("Single = %v, want %v", got, tc.want)
			}
		})
	}
}
