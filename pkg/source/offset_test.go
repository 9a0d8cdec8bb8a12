package source

import (
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
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
		{name: "folded block scalar falls back", src: "a: >\n  folded ${{ user.id }}\n", path: "/a", at: "user", fallback: true},
		{name: "escape before the offset falls back", src: "a: \"tab\\there ${{ user.id }}\"\n", path: "/a", at: "user", fallback: true},
		{name: "escaped backslash right before the offset falls back", src: "a: \"a\\\\b\"\n", path: "/a", offset: intp(2), fallback: true},
		{name: "doubled single quote before the offset falls back", src: "a: 'it''s ${{ user.id }}'\n", path: "/a", at: "user", fallback: true},
		{name: "doubled single quote right before the offset falls back", src: "a: 'it''s'\n", path: "/a", offset: intp(3), fallback: true},
		{name: "folded plain scalar: second line falls back", src: "a: first\n  second ${{ x }}\n", path: "/a", at: "second", fallback: true},
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
			if !tc.fallback && n.Kind == yaml.ScalarNode && tc.at != "" {
				// The position must hold the text it claims to.
				line := []rune(Line(f.Src, got.Start.Line))
				if rest := string(line[got.Start.Column-1:]); !strings.HasPrefix(rest, tc.at) {
					t.Errorf("source at %d:%d is %q, want it to start with %q", got.Start.Line, got.Start.Column, rest, tc.at)
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
