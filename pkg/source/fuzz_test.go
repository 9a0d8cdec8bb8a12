package source

import (
	"testing"
	"unicode/utf8"

	"gopkg.in/yaml.v3"

	"github.com/jml-dev/jml/pkg/diag"
)

func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		"apiVersion: jml/v1\nkind: Flow\nname: leaver\ntrigger: {event: user.lifecycle.deactivate}\nsteps:\n  - action: okta.clearUserSessions\n    with: {userId: \"${{ user.id }}\"}\n",
		"name: x\ntrigger: {helper: {}}\ninputs: {login: {type: string, required: true}}\nsteps:\n  - return: {ok: true}\n",
		"d: &d {retry: 3}\nj:\n  <<: *d\n  when: |\n    a &&\n      b\n",
		aliasBomb(10, 10),
		"a: &x\n  b: *x\n",
		"a: 1\na: 2\n",
		"a: 1\n---\nb: 2\n",
		"- a\n- b\n",
		"",
		"{[}]: :\n\t- @`\n",
		"a: \xff\xfe\n",
		"\xc3\x28: b\n",
		"when: >-\n  user.a == 1 &&\n\n    user.b\n  usr.c\nx: |+\n  a\tb\n\n",
		"a: \"x\\ty \\u00e9\\\n  z\\ \n\n  w\"\nb: 'it''s\n  more'\nc: plain\n  more\n",
		"steps:\n  - if: >2\n       a\n      b\n    then: []\n",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		file, ds := Parse("f.yaml", data)
		if file == nil {
			t.Fatal("Parse returned a nil *File")
		}
		if (file.Root == nil) != ds.HasErrors() {
			t.Fatalf("Root set: %v, errors: %v; want exactly one of them", file.Root != nil, ds)
		}
		for _, d := range ds {
			if d.Code == "" || d.Message == "" || d.Range.File != "f.yaml" || d.Range.Start.Line < 1 || d.Range.Start.Column < 1 {
				t.Errorf("malformed diagnostic %#v", d)
			}
		}
		if file.Root == nil {
			return
		}
		// An accepted document is bounded: converting it must terminate.
		if _, ok := Value(file.Root).(map[string]any); !ok {
			t.Errorf("Value of an accepted document is %T, want map[string]any", Value(file.Root))
		}
		// Positions of every scalar map somewhere sane.
		checkPositions(t, file)
	})
}

// checkPositions maps each offset of a few scalars and checks the result
// stays within the file, and that a mapped position (one that is not the
// node's own) holds the character of the value it claims to: the same
// character, or the backslash of the escape that stands for it.
func checkPositions(t *testing.T, f *File) {
	t.Helper()
	lines := diag.NewLines(f.Src)
	seen := 0
	var walk func(n *yaml.Node)
	walk = func(n *yaml.Node) {
		if seen > 50 || n == nil {
			return
		}
		seen++
		if n.Kind == yaml.ScalarNode {
			for off := 0; off <= len(n.Value) && off < 64; off++ {
				r := f.PosIn(n, off)
				if r.Start.Line < 1 || r.Start.Column < 1 {
					t.Fatalf("PosIn(%q, %d) = %v", n.Value, off, r)
				}
				if r.Start == (diag.Pos{Line: n.Line, Column: n.Column}) {
					continue // the node's own position, as yaml.v3 gives it
				}
				line, ok := lines.Line(r.Start.Line)
				if !ok || r.Start.Column > utf8.RuneCount(line)+1 {
					t.Fatalf("PosIn(%q, %d) = %v: not in the file", n.Value, off, r)
				}
				if off == len(n.Value) || !utf8.RuneStart(n.Value[off]) {
					continue
				}
				want, _ := utf8.DecodeRuneInString(n.Value[off:])
				if want == ' ' || want == '\n' {
					continue // a line break folded, or a blank at a line end
				}
				got, _ := utf8.DecodeRune(line[diag.ByteIndex(line, r.Start.Column):])
				if got != want && !(got == '\\' && n.Style&yaml.DoubleQuotedStyle != 0) {
					t.Fatalf("PosIn(%q, %d) = %v, which holds %q, not %q", n.Value, off, r, got, want)
				}
			}
		}
		for _, c := range n.Content {
			walk(c)
		}
	}
	walk(f.Root)
}
