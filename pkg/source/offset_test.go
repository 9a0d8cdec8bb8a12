package source

import (
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"gopkg.in/yaml.v3"

	"github.com/jml-dev/jml/pkg/diag"
)

func TestPosIn(t *testing.T) {
	cases := []struct {
		name string
		src  string
		// path is the JSON pointer of the scalar; at is the substring of
		// its value whose offset is mapped (offset overrides it when set).
		path   string
		at     string
		offset *int
		// want line:col; fallback says it must equal the node's position.
		line, col int
		fallback  bool
		// srcAt is what the source at the position starts with, when it
		// is not at (an escape).
		srcAt string
	}{
		{name: "plain scalar", src: "a: x ${{ user.id }}\n", path: "/a", at: "user", line: 1, col: 10},
		{name: "plain scalar with CRLF", src: "a: x ${{ user.id }}\r\nb: 1\r\n", path: "/a", at: "user", line: 1, col: 10},
		{name: "plain scalar at offset 0", src: "a: usr.id\n", path: "/a", offset: intp(0), line: 1, col: 4},
		{name: "single-quoted scalar", src: "a: 'x ${{ user.id }}'\n", path: "/a", at: "user", line: 1, col: 11},
		{name: "double-quoted scalar", src: "a: \"x ${{ user.id }}\"\n", path: "/a", at: "user", line: 1, col: 11},
		{name: "double-quoted at offset 0 is inside the quotes", src: "a: \"usr.id\"\n", path: "/a", offset: intp(0), line: 1, col: 5},
		{name: "double-quoted inside a flow mapping", src: "with: {userId: \"${{ usr.id }}\"}\n", path: "/with/userId", at: "usr", line: 1, col: 21},
		{name: "multi-byte characters before the offset", src: "a: \"héllo → ${{ user.id }}\"\n", path: "/a", at: "user", line: 1, col: 17},
		{name: "multi-byte characters before the scalar", src: "é: [\"ü\", \"${{ x }}\"]\n", path: "/é/1", at: "x", line: 1, col: 15},
		{name: "end of the value", src: "a: abc\n", path: "/a", offset: intp(3), line: 1, col: 7},
		{
			name: "literal block scalar",
			src:  "a: |\n  first line\n  second ${{ user.id }}\n",
			path: "/a", at: "user", line: 3, col: 14,
		},
		{
			name: "literal block: more-indented line",
			src:  "a: |\n  user.a == 1 &&\n    usr.b == 2\n",
			path: "/a", at: "usr", line: 3, col: 5,
		},
		{
			name: "literal block: explicit indentation indicator",
			src:  "a: |2\n    indented first\n",
			path: "/a", at: "indented", line: 2, col: 5,
		},
		{
			name: "literal block: leading blank line",
			src:  "a: |\n\n  x == 1\n",
			path: "/a", at: "x", line: 3, col: 3,
		},
		{
			name: "literal block in a list item",
			src:  "steps:\n  - if: |\n      a &&\n        b\n",
			path: "/steps/0/if", at: "b", line: 4, col: 9,
		},
		{name: "escape before the offset", src: "a: \"tab\\there ${{ user.id }}\"\n", path: "/a", at: "user", line: 1, col: 19},
		{name: "escaped backslash right before the offset", src: "a: \"a\\\\b\"\n", path: "/a", offset: intp(2), line: 1, col: 8, srcAt: "b"},
		{name: "offset on an escape is its backslash", src: "a: \"x\\ty\"\n", path: "/a", at: "\t", line: 1, col: 6, srcAt: "\\t"},
		{name: "unicode escapes before the offset", src: "a: \"\\u00e9\\x41\\U0001F600 ${{ x }}\"\n", path: "/a", at: "x", line: 1, col: 30},
		{name: "escaped quote before the offset", src: "a: \"say \\\"hi\\\" ${{ usr }}\"\n", path: "/a", at: "usr", line: 1, col: 20},
		{name: "doubled single quote before the offset", src: "a: 'it''s ${{ user.id }}'\n", path: "/a", at: "user", line: 1, col: 15},
		{name: "doubled single quote right before the offset", src: "a: 'it''s'\n", path: "/a", offset: intp(3), line: 1, col: 9, srcAt: "s"},
		{name: "anchored and tagged scalar", src: "a: &x !!str \"${{ usr }}\"\n", path: "/a", at: "usr", line: 1, col: 18},
		{name: "plain scalar on two lines: second line", src: "a: first\n  second ${{ x }}\n", path: "/a", at: "second", line: 2, col: 3},
		{name: "plain scalar on three lines: third line", src: "when: user.a == 1 &&\n  user.b == 2 &&\n    usr.c == 3\nb: 1\n", path: "/when", at: "usr", line: 3, col: 5},
		{name: "plain scalar with a blank line", src: "a: x &&\n\n  usr.y\n", path: "/a", at: "usr", line: 3, col: 3},
		{name: "plain scalar with trailing blanks", src: "a: x &&   \n    usr.y\n", path: "/a", at: "usr", line: 2, col: 5},
		{name: "plain scalar in a list item", src: "steps:\n  - if: a &&\n      usr.b\n    then: []\n", path: "/steps/0/if", at: "usr", line: 3, col: 7},
		{name: "double-quoted on two lines", src: "a: \"first\n   ${{ usr }}\"\n", path: "/a", at: "usr", line: 2, col: 8},
		{name: "double-quoted escaped line break", src: "a: \"${{ user.a +\\\n   usr.b }}\"\n", path: "/a", at: "usr", line: 2, col: 4},
		{name: "double-quoted escaped line break then blank line", src: "a: \"x\\\n\n   usr\"\n", path: "/a", at: "usr", line: 3, col: 4},
		{name: "double-quoted escaped space at a line end", src: "a: \"x\\ \n  usr\"\n", path: "/a", at: "usr", line: 2, col: 3},
		{name: "single-quoted on three lines", src: "a: 'one\n  two\n\n  ${{ usr }}'\n", path: "/a", at: "usr", line: 4, col: 7},
		{name: "flow mapping value on two lines", src: "with: {userId: \"${{\n  usr.id }}\"}\n", path: "/with/userId", at: "usr", line: 2, col: 3},
		{name: "end of a quoted value on a later line", src: "a: \"abc\n  \"\n", path: "/a", offset: intp(4), line: 2, col: 3, srcAt: "\""},
		{
			name: "folded block scalar: second line",
			src:  "when: >\n  user.a == 1 &&\n  usr.b == 2\n",
			path: "/when", at: "usr", line: 3, col: 3,
		},
		{
			name: "folded block scalar, strip: third line",
			src:  "when: >-\n  user.a == 1 &&\n  user.b == 2 &&\n  user.c == usr\nx: 1\n",
			path: "/when", at: "usr", line: 4, col: 13,
		},
		{
			name: "folded block scalar, keep: after a blank line",
			src:  "when: >+\n  user.a == 1 &&\n\n  usr.b\n\n",
			path: "/when", at: "usr", line: 4, col: 3,
		},
		{
			name: "folded block scalar: more-indented line",
			src:  "when: >\n  user.a &&\n    usr.b &&\n  user.c\n",
			path: "/when", at: "usr", line: 3, col: 5,
		},
		{
			name: "folded block scalar: line after a more-indented one",
			src:  "when: >\n  user.a &&\n    user.b &&\n  usr.c\n",
			path: "/when", at: "usr", line: 4, col: 3,
		},
		{
			name: "folded block scalar: header comment and indicator",
			src:  "steps:\n  - if: >2- # the rule\n       user.a &&\n       usr.b\n    then: []\n",
			path: "/steps/0/if", at: "usr", line: 4, col: 8,
		},
		{
			name: "folded block scalar with CRLF",
			src:  "when: >-\r\n  user.a &&\r\n  usr.b\r\n",
			path: "/when", at: "usr", line: 3, col: 3,
		},
		{
			name: "folded block scalar inside a template",
			src:  "with:\n  text: >-\n    Hello ${{ user.firstName }},\n    you are ${{ usr.status }}\n",
			path: "/with/text", at: "usr", line: 4, col: 17,
		},
		{
			name: "literal block scalar, strip: third line",
			src:  "when: |-\n  user.a &&\n  user.b &&\n  usr.c\n",
			path: "/when", at: "usr", line: 4, col: 3,
		},
		{
			name: "literal block scalar with tabs in its text",
			src:  "when: |\n  user.a &&\t\n  \tusr.b\n",
			path: "/when", at: "usr", line: 3, col: 4,
		},
		{
			name: "end of a block scalar is the end of its last line",
			src:  "when: |\n  ab\n",
			path: "/when", offset: intp(3), line: 2, col: 5,
		},
		{name: "a lone CR (a line break to yaml.v3) falls back", src: "a: |\r  uu\n  u\n", path: "/a", offset: intp(1), fallback: true},
		{name: "U+2028 (a line break to yaml.v3) falls back", src: "a: |\u2028  uu\n  u\n", path: "/a", offset: intp(1), fallback: true},
		{name: "negative offset falls back", src: "a: abc\n", path: "/a", offset: intp(-1), fallback: true},
		{name: "offset past the end falls back", src: "a: abc\n", path: "/a", offset: intp(4), fallback: true},
		{name: "a mapping falls back", src: "a: {b: 1}\n", path: "/a", offset: intp(1), fallback: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f, ds := Parse("f.yaml", []byte(tc.src))
			if len(ds) != 0 {
				t.Fatalf("Parse: %v", ds)
			}
			n, _ := NodeAt(f.Root, tc.path)
			off := 0
			if tc.offset != nil {
				off = *tc.offset
			} else {
				off = strings.Index(n.Value, tc.at)
				if off < 0 {
					t.Fatalf("%q not in value %q", tc.at, n.Value)
				}
			}
			got := f.PosIn(n, off)
			if got.File != "f.yaml" {
				t.Errorf("file %q, want f.yaml", got.File)
			}
			wantLine, wantCol := tc.line, tc.col
			if tc.fallback {
				wantLine, wantCol = n.Line, n.Column
			}
			if got.Start.Line != wantLine || got.Start.Column != wantCol {
				t.Errorf("PosIn(%d) = %d:%d, want %d:%d", off, got.Start.Line, got.Start.Column, wantLine, wantCol)
			}
			want := tc.at
			if tc.srcAt != "" {
				want = tc.srcAt
			}
			if !tc.fallback && n.Kind == yaml.ScalarNode && want != "" {
				// The position must hold the text it claims to.
				line := []rune(Line(f.Src, got.Start.Line))
				if rest := string(line[got.Start.Column-1:]); !strings.HasPrefix(rest, want) {
					t.Errorf("source at %d:%d is %q, want it to start with %q", got.Start.Line, got.Start.Column, rest, want)
				}
			}
		})
	}
	t.Run("nil node", func(t *testing.T) {
		f := &File{Path: "f.yaml"}
		if got := f.PosIn(nil, 3); got.File != "f.yaml" || got.Start.Line != 0 {
			t.Errorf("PosIn(nil) = %v, want the whole file", got)
		}
	})
}

func intp(i int) *int { return &i }

// TestPosInRoundTrip writes values in each scalar style as yaml.v3 writes
// them (it folds long lines, escapes, indents) and checks that every
// character of the value maps to the place in the file that holds it (or
// to the backslash of its escape).
func TestPosInRoundTrip(t *testing.T) {
	values := []string{
		`user.profile.department == "Sales" && usr.status == "ACTIVE"`,
		strings.Repeat("user.a == 1 && ", 12) + "usr.b",
		"first line\nsecond ${{ usr.id }}\n\nfourth after a blank\n",
		"first and\n    a more indented line\nback ${{ x }}",
		"tab\there, quote \" and backslash \\ and 'single'",
		"héllo → ${{ user.id }} ünïcode " + strings.Repeat("é", 50),
		"bell \a escape \x1b nbsp \u00a0 ls \u2028 end",
		"trailing blanks   \nnext",
		strings.Repeat("a ", 60) + "\n" + strings.Repeat("b ", 60),
	}
	styles := []struct {
		name  string
		style yaml.Style
	}{
		{"plain", 0},
		{"single-quoted", yaml.SingleQuotedStyle},
		{"double-quoted", yaml.DoubleQuotedStyle},
		{"literal", yaml.LiteralStyle},
		{"folded", yaml.FoldedStyle},
	}
	for _, st := range styles {
		for i, v := range values {
			t.Run(fmt.Sprintf("%s/%d", st.name, i), func(t *testing.T) {
				doc := &yaml.Node{Kind: yaml.MappingNode, Content: []*yaml.Node{
					{Kind: yaml.ScalarNode, Value: "steps"},
					{Kind: yaml.SequenceNode, Content: []*yaml.Node{{Kind: yaml.MappingNode, Content: []*yaml.Node{
						{Kind: yaml.ScalarNode, Value: "when"},
						{Kind: yaml.ScalarNode, Tag: "!!str", Style: st.style, Value: v},
					}}}},
				}}
				src, err := yaml.Marshal(doc)
				if err != nil {
					t.Fatal(err)
				}
				f, ds := Parse("f.yaml", src)
				if len(ds) != 0 {
					t.Fatalf("Parse: %v\n%s", ds, src)
				}
				// (yaml.v3 does not always read back what it wrote — a folded
				// more-indented line gains a blank line —: what is mapped is
				// the value read.)
				n, _ := NodeAt(f.Root, "/steps/0/when")
				lines := diag.NewLines(f.Src)
				for off, want := range n.Value {
					if want == ' ' || want == '\n' {
						continue // a blank at a line end, or a folded break
					}
					r := f.PosIn(n, off)
					line, _ := lines.Line(r.Start.Line)
					bi := diag.ByteIndex(line, r.Start.Column)
					if bi < 0 || bi >= len(line) {
						t.Fatalf("PosIn(%d) = %v: past the line\n%s", off, r, src)
					}
					got, _ := utf8.DecodeRune(line[bi:])
					if got != want && !(got == '\\' && n.Style&yaml.DoubleQuotedStyle != 0) {
						t.Fatalf("PosIn(%d) = %v holds %q, want %q\n%s", off, r, got, want, src)
					}
				}
			})
		}
	}
}
