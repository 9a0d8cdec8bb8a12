package source

import (
	"bytes"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/jml-dev/jml/pkg/diag"
)

// wantDiag is the part of a diagnostic a case checks; zero fields are not
// checked.
type wantDiag struct {
	code      string
	line, col int
	msg       string // substring of the message
}

func checkDiags(t *testing.T, f *File, ds diag.Diagnostics, want []wantDiag) {
	t.Helper()
	if len(ds) != len(want) {
		t.Fatalf("got %d diagnostics, want %d:\n%v", len(ds), len(want), ds)
	}
	for i, w := range want {
		d := ds[i]
		if d.Code != w.code {
			t.Errorf("diagnostic %d: code %q, want %q (%v)", i, d.Code, w.code, d)
		}
		if d.Severity != diag.Error {
			t.Errorf("diagnostic %d: severity %v, want error", i, d.Severity)
		}
		if d.Range.File != "f.yaml" {
			t.Errorf("diagnostic %d: file %q, want f.yaml", i, d.Range.File)
		}
		if w.line != 0 && d.Range.Start.Line != w.line {
			t.Errorf("diagnostic %d: line %d, want %d (%v)", i, d.Range.Start.Line, w.line, d)
		}
		if w.col != 0 && d.Range.Start.Column != w.col {
			t.Errorf("diagnostic %d: column %d, want %d (%v)", i, d.Range.Start.Column, w.col, d)
		}
		if !strings.Contains(d.Message, w.msg) {
			t.Errorf("diagnostic %d: message %q does not contain %q", i, d.Message, w.msg)
		}
	}
	if f == nil {
		t.Fatal("Parse returned a nil *File")
	}
	if len(want) > 0 && f.Root != nil {
		t.Errorf("Root is set although Parse reported errors")
	}
}

func TestParse(t *testing.T) {
	cases := []struct {
		name string
		src  string
		want []wantDiag
	}{
		{
			name: "valid mapping",
			src:  "apiVersion: jml/v1\nkind: Flow\nsteps:\n  - halt: x\n",
		},
		{
			name: "valid flow-style mapping",
			src:  "{a: 1, b: [x, y]}\n",
		},
		{
			name: "empty file",
			src:  "",
			want: []wantDiag{{code: "not-a-mapping", line: 1, col: 1, msg: "empty"}},
		},
		{
			name: "only a comment",
			src:  "# nothing here\n",
			want: []wantDiag{{code: "not-a-mapping", line: 1, col: 1}},
		},
		{
			name: "list document",
			src:  "- a\n- b\n",
			want: []wantDiag{{code: "not-a-mapping", line: 1, col: 1, msg: "not a list"}},
		},
		{
			name: "scalar document",
			src:  "just text\n",
			want: []wantDiag{{code: "not-a-mapping", line: 1, col: 1, msg: "not a string"}},
		},
		{
			name: "two documents",
			src:  "a: 1\n---\nb: 2\n",
			want: []wantDiag{{code: "multiple-documents", line: 2}},
		},
		{
			name: "second document empty",
			src:  "a: 1\n---\n",
			want: []wantDiag{{code: "multiple-documents", line: 2}},
		},
		{
			name: "syntax error: mapping value in plain scalar",
			src:  "a: 1\nb: c: d\n",
			want: []wantDiag{{code: "yaml-syntax", line: 2, col: 1, msg: "mapping values are not allowed"}},
		},
		{
			name: "syntax error: bad indentation",
			src:  "a: 1\nb: 2\n  c: 3\n",
			want: []wantDiag{{code: "yaml-syntax", line: 3, col: 3, msg: "invalid YAML"}},
		},
		{
			// A parser (not scanner) error: yaml.v3 reports it one line
			// early; the diagnostic must point at the flow mapping's line.
			name: "syntax error: unclosed flow mapping",
			src:  "apiVersion: jml/v1\nkind: Flow\ntrigger: {event: x\nsteps:\n  - halt: x\n",
			want: []wantDiag{{code: "yaml-syntax", line: 3, col: 1, msg: "did not find expected ',' or '}'"}},
		},
		{
			name: "syntax error: unclosed flow sequence",
			src:  "a: 1\nb: [1, 2\nc: 3\n",
			want: []wantDiag{{code: "yaml-syntax", line: 2, col: 1, msg: "did not find expected ',' or ']'"}},
		},
		{
			name: "syntax error: character that cannot start a token",
			src:  "a: 1\nb: @x\n",
			want: []wantDiag{{code: "yaml-syntax", line: 2, col: 1, msg: "cannot start any token"}},
		},
		{
			name: "unknown anchor",
			src:  "a: *nope\n",
			want: []wantDiag{{code: "yaml-syntax", msg: "unknown anchor 'nope'"}},
		},
		{
			name: "duplicate key at top level",
			src:  "a: 1\nb: 2\na: 3\n",
			want: []wantDiag{{code: "duplicate-key", line: 3, col: 1, msg: `duplicate key "a" (first defined at line 1)`}},
		},
		{
			name: "duplicate key nested",
			src:  "steps:\n  - id: x\n    with:\n      k: 1\n      other: 2\n      k: 3\n",
			want: []wantDiag{{code: "duplicate-key", line: 6, col: 7, msg: `duplicate key "k" (first defined at line 4)`}},
		},
		{
			name: "duplicate key in flow mapping",
			src:  "with: {a: 1, b: 2, a: 3}\n",
			want: []wantDiag{{code: "duplicate-key", line: 1, col: 20, msg: "first defined at line 1"}},
		},
		{
			name: "every duplicate is reported",
			src:  "a: 1\na: 2\nb:\n  c: 1\n  c: 2\n",
			want: []wantDiag{
				{code: "duplicate-key", line: 2, col: 1, msg: `"a"`},
				{code: "duplicate-key", line: 5, col: 3, msg: `"c"`},
			},
		},
		{
			// A small mapping is scanned, a large one indexed: both name
			// the first definition.
			name: "a key written three times, small mapping",
			src:  "a: 1\nb: 2\na: 3\na: 4\n",
			want: []wantDiag{
				{code: "duplicate-key", line: 3, col: 1, msg: `duplicate key "a" (first defined at line 1)`},
				{code: "duplicate-key", line: 4, col: 1, msg: `duplicate key "a" (first defined at line 1)`},
			},
		},
		{
			name: "a key written three times, large mapping",
			src:  "a: 1\nb: 2\na: 3\na: 4\nk0: 0\nk1: 0\nk2: 0\nk3: 0\nk4: 0\nk5: 0\nk6: 0\nk7: 0\nk8: 0\nk9: 0\nk10: 0\nk11: 0\nk12: 0\nk13: 0\nk14: 0\nk15: 0\nk16: 0\nk17: 0\nk18: 0\nk19: 0\n",
			want: []wantDiag{
				{code: "duplicate-key", line: 3, col: 1, msg: `duplicate key "a" (first defined at line 1)`},
				{code: "duplicate-key", line: 4, col: 1, msg: `duplicate key "a" (first defined at line 1)`},
			},
		},
		{
			name: "same key in sibling mappings is fine",
			src:  "x: {a: 1}\ny: {a: 2}\n",
		},
		{
			name: "two merge keys are not duplicates",
			src:  "d1: &d1 {a: 1}\nd2: &d2 {b: 2}\nm:\n  <<: *d1\n  <<: *d2\n",
		},
		{
			name: "invalid UTF-8 on first line",
			src:  "a: \xff\n",
			want: []wantDiag{{code: "invalid-utf8", line: 1, col: 4}},
		},
		{
			name: "invalid UTF-8 after multi-byte characters",
			src:  "a: 1\nb: \"café \xc3\x28\"\n",
			want: []wantDiag{{code: "invalid-utf8", line: 2, col: 10}},
		},
		{
			name: "truncated multi-byte sequence at end of file",
			src:  "a: 1\n\nb: é\xe2\x82",
			want: []wantDiag{{code: "invalid-utf8", line: 3, col: 5}},
		},
		{
			name: "self-referencing alias",
			src:  "a: &x\n  b: *x\n",
			want: []wantDiag{{code: "alias-limit", line: 2, col: 6}},
		},
		{
			name: "self-referencing alias in a list",
			src:  "a: &x [1, *x]\n",
			want: []wantDiag{{code: "alias-limit", line: 1}},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f, ds := Parse("f.yaml", []byte(tc.src))
			checkDiags(t, f, ds, tc.want)
			if len(tc.want) == 0 {
				if f.Root == nil || f.Root.Kind != yaml.MappingNode {
					t.Fatalf("Root = %v, want a mapping node", f.Root)
				}
			}
			if f.Path != "f.yaml" || string(f.Src) != tc.src {
				t.Errorf("File keeps Path %q and %d bytes of source, want f.yaml and %d", f.Path, len(f.Src), len(tc.src))
			}
		})
	}
}

func TestParseFileTooLarge(t *testing.T) {
	cases := []struct {
		name string
		size int
		want string // code, "" for none
	}{
		{name: "at the limit", size: MaxFileSize},
		{name: "one byte over", size: MaxFileSize + 1, want: "file-too-large"},
		{name: "far over", size: 3 * MaxFileSize, want: "file-too-large"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			data := bigDoc(tc.size)
			t.Run("Parse", func(t *testing.T) {
				f, ds := Parse("f.yaml", data)
				checkSize(t, f, ds, tc.want)
			})
			t.Run("ReadFile", func(t *testing.T) {
				path := filepath.Join(t.TempDir(), "big.yaml")
				if err := os.WriteFile(path, data, 0o644); err != nil {
					t.Fatal(err)
				}
				f, ds := ReadFile(path, "f.yaml")
				checkSize(t, f, ds, tc.want)
			})
		})
	}
}

// bigDoc returns a valid YAML mapping of exactly size bytes.
func bigDoc(size int) []byte {
	var b bytes.Buffer
	b.WriteString("pad: ")
	b.WriteString(strings.Repeat("x", size-len("pad: ")-1))
	b.WriteString("\n")
	return b.Bytes()
}

func checkSize(t *testing.T, f *File, ds diag.Diagnostics, want string) {
	t.Helper()
	if want == "" {
		if len(ds) != 0 || f == nil || f.Root == nil {
			t.Fatalf("want the file accepted, got %v", ds)
		}
		return
	}
	if len(ds) != 1 || ds[0].Code != want {
		t.Fatalf("got %v, want one %s", ds, want)
	}
	if ds[0].Range.File != "f.yaml" || ds[0].Range.Start.Line != 1 {
		t.Errorf("range %v, want f.yaml:1", ds[0].Range)
	}
	if !strings.Contains(ds[0].Message, fmt.Sprintf("%d KiB", MaxFileSize>>10)) {
		t.Errorf("message %q does not name the limit", ds[0].Message)
	}
	if f != nil && f.Root != nil {
		t.Errorf("Root is set for a file over the limit")
	}
}

func TestReadFile(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.yaml")
	if err := os.WriteFile(good, []byte("a: 1\na: 2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name     string
		path     string
		wantCode string
		wantLine int
	}{
		{name: "parses and reports with the display path", path: good, wantCode: "duplicate-key", wantLine: 2},
		{name: "missing file", path: filepath.Join(dir, "nope.yaml"), wantCode: "read-error"},
		{name: "directory", path: dir, wantCode: "read-error"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, ds := ReadFile(tc.path, "shown.yaml")
			if len(ds) != 1 || ds[0].Code != tc.wantCode {
				t.Fatalf("got %v, want one %s", ds, tc.wantCode)
			}
			if ds[0].Range.File != "shown.yaml" {
				t.Errorf("file %q, want the display path shown.yaml", ds[0].Range.File)
			}
			if ds[0].Range.Start.Line != tc.wantLine {
				t.Errorf("line %d, want %d", ds[0].Range.Start.Line, tc.wantLine)
			}
			if strings.Contains(ds[0].Message, dir) {
				t.Errorf("message %q leaks the real path", ds[0].Message)
			}
		})
	}
}

// aliasBomb builds the billion-laughs document: level 0 is a list of width
// strings, each further level a list of width aliases to the level below.
func aliasBomb(levels, width int) string {
	var b strings.Builder
	b.WriteString("l0: &l0 [")
	for i := 0; i < width; i++ {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(`"lol"`)
	}
	b.WriteString("]\n")
	for l := 1; l < levels; l++ {
		fmt.Fprintf(&b, "l%d: &l%d [", l, l)
		for i := 0; i < width; i++ {
			if i > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "*l%d", l-1)
		}
		b.WriteString("]\n")
	}
	return b.String()
}

func TestAliasBomb(t *testing.T) {
	cases := []struct {
		name          string
		levels, width int
	}{
		// 10^10 nodes if expanded: only memoised sizes let this return.
		{name: "billion laughs, 10 levels", levels: 10, width: 10},
		{name: "9 levels of 9", levels: 9, width: 9},
		// Deep rather than wide: 2^60 nodes.
		{name: "60 levels of 2", levels: 60, width: 2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			src := aliasBomb(tc.levels, tc.width)
			if len(src) > 8<<10 {
				t.Fatalf("test input is %d bytes; keep it small", len(src))
			}
			f, ds := Parse("f.yaml", []byte(src))
			if len(ds) != 1 || ds[0].Code != "alias-limit" {
				t.Fatalf("got %v, want one alias-limit", ds)
			}
			if f.Root != nil {
				t.Errorf("Root is set for an alias bomb")
			}
			// The culprit is an alias somewhere in the document.
			d := ds[0]
			if d.Range.Start.Line < 2 || d.Range.Start.Line > tc.levels {
				t.Errorf("line %d, want an alias line in 2..%d", d.Range.Start.Line, tc.levels)
			}
			if l := Line([]byte(src), d.Range.Start.Line); d.Range.Start.Column < 1 || d.Range.Start.Column > len(l) || l[d.Range.Start.Column-1] != '*' {
				t.Errorf("column %d of %q is not an alias", d.Range.Start.Column, l)
			}
		})
	}
}

func TestAliasesWithinLimit(t *testing.T) {
	cases := []struct {
		name string
		src  string
		want map[string]any
	}{
		{
			// 4 levels of 10 expand to about 11,000 nodes: under the limit.
			name: "modest fan-out",
			src:  aliasBomb(4, 10),
		},
		{
			name: "merge key: explicit keys win, whatever their order",
			src: `defaults: &defaults
  retry: 3
  timeout: 5s
  tags: [a, b]
job:
  timeout: 10s
  <<: *defaults
  name: build
later:
  <<: *defaults
  retry: 1
`,
			want: map[string]any{
				"defaults": map[string]any{"retry": int64(3), "timeout": "5s", "tags": []any{"a", "b"}},
				"job":      map[string]any{"retry": int64(3), "timeout": "10s", "tags": []any{"a", "b"}, "name": "build"},
				"later":    map[string]any{"retry": int64(1), "timeout": "5s", "tags": []any{"a", "b"}},
			},
		},
		{
			name: "merge of a list: earlier maps win",
			src: `a: &a {x: 1, y: 1}
b: &b {y: 2, z: 2}
c:
  <<: [*a, *b]
  z: 3
`,
			want: map[string]any{
				"a": map[string]any{"x": int64(1), "y": int64(1)},
				"b": map[string]any{"y": int64(2), "z": int64(2)},
				"c": map[string]any{"x": int64(1), "y": int64(1), "z": int64(3)},
			},
		},
		{
			name: "plain alias of a scalar and of a list",
			src:  "s: &s hello\nl: &l [1, 2]\nt: *s\nm: {list: *l}\n",
			want: map[string]any{
				"s": "hello", "l": []any{int64(1), int64(2)},
				"t": "hello", "m": map[string]any{"list": []any{int64(1), int64(2)}},
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f, ds := Parse("f.yaml", []byte(tc.src))
			if len(ds) != 0 || f.Root == nil {
				t.Fatalf("want the document accepted, got %v", ds)
			}
			got := Value(f.Root)
			if tc.want != nil && !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Value =\n%#v\nwant\n%#v", got, tc.want)
			}
			if _, ok := got.(map[string]any); !ok {
				t.Errorf("Value = %T, want map[string]any", got)
			}
		})
	}
}

func TestValueTypes(t *testing.T) {
	src := `int: 42
neg: -7
hex: 0x10
float: 1.5
exp: 1e3
inf: .inf
true: true
false: false
null: null
tilde: ~
empty:
str: hello
quotedInt: "42"
yes: yes
date: 2024-01-02
nested:
  list: [1, "two", {three: 3.0}]
  map: {a: {b: [true, null]}}
emptyList: []
emptyMap: {}
`
	f, ds := Parse("f.yaml", []byte(src))
	if len(ds) != 0 {
		t.Fatalf("Parse: %v", ds)
	}
	got, ok := Value(f.Root).(map[string]any)
	if !ok {
		t.Fatalf("Value = %T, want map[string]any", Value(f.Root))
	}
	cases := []struct {
		key  string
		want any
	}{
		{"int", int64(42)},
		{"neg", int64(-7)},
		{"hex", int64(16)},
		{"float", 1.5},
		{"exp", 1000.0},
		{"inf", math.Inf(1)},
		{"true", true},
		{"false", false},
		{"null", nil},
		{"tilde", nil},
		{"empty", nil},
		{"str", "hello"},
		{"quotedInt", "42"},
		{"yes", "yes"}, // YAML 1.2: not a boolean
		{"date", "2024-01-02"},
		{"nested", map[string]any{
			"list": []any{int64(1), "two", map[string]any{"three": 3.0}},
			"map":  map[string]any{"a": map[string]any{"b": []any{true, nil}}},
		}},
		{"emptyList", []any{}},
		{"emptyMap", map[string]any{}},
	}
	for _, tc := range cases {
		t.Run(tc.key, func(t *testing.T) {
			v, present := got[tc.key]
			if !present {
				t.Fatalf("key %q missing from %v", tc.key, got)
			}
			if !reflect.DeepEqual(v, tc.want) {
				t.Errorf("got %#v (%T), want %#v (%T)", v, v, tc.want, tc.want)
			}
		})
	}
	if len(got) != len(cases) {
		t.Errorf("Value has %d keys, want %d", len(got), len(cases))
	}
}

func TestNodeAt(t *testing.T) {
	src := `steps:
  - id: a
    with: {"x/y": 1, "t~n": 2, "~1": 3}
  - id: b
defaults: &d
  retry: 3
job:
  <<: *d
`
	f, ds := Parse("f.yaml", []byte(src))
	if len(ds) != 0 {
		t.Fatalf("Parse: %v", ds)
	}
	cases := []struct {
		name    string
		pointer string
		// want the value node at line:col, holding value (for scalars) or of kind.
		line, col int
		kind      yaml.Kind
		value     string
		// wantKey is the key node's value, "" for none.
		wantKey string
	}{
		{name: "empty pointer is the root", pointer: "", line: 1, col: 1, kind: yaml.MappingNode},
		{name: "slash alone is the root", pointer: "/", line: 1, col: 1, kind: yaml.MappingNode},
		{name: "top-level key", pointer: "/steps", line: 2, col: 3, kind: yaml.SequenceNode, wantKey: "steps"},
		{name: "list item", pointer: "/steps/1", line: 4, col: 5, kind: yaml.MappingNode},
		{name: "field of a list item", pointer: "/steps/1/id", line: 4, col: 9, kind: yaml.ScalarNode, value: "b", wantKey: "id"},
		{name: "escaped slash", pointer: "/steps/0/with/x~1y", line: 3, col: 19, kind: yaml.ScalarNode, value: "1", wantKey: "x/y"},
		{name: "escaped tilde", pointer: "/steps/0/with/t~0n", line: 3, col: 29, kind: yaml.ScalarNode, value: "2", wantKey: "t~n"},
		{name: "tilde-one key, unescaped in order", pointer: "/steps/0/with/~01", line: 3, col: 38, kind: yaml.ScalarNode, value: "3", wantKey: "~1"},
		{name: "through a merge key", pointer: "/job/retry", line: 6, col: 10, kind: yaml.ScalarNode, value: "3", wantKey: "retry"},
		{name: "index past the end: the list", pointer: "/steps/2", line: 2, col: 3, kind: yaml.SequenceNode, wantKey: "steps"},
		{name: "negative index: the list", pointer: "/steps/-1", line: 2, col: 3, kind: yaml.SequenceNode, wantKey: "steps"},
		{name: "non-numeric index: the list", pointer: "/steps/x", line: 2, col: 3, kind: yaml.SequenceNode, wantKey: "steps"},
		{name: "missing key: the mapping", pointer: "/steps/0/nope", line: 2, col: 5, kind: yaml.MappingNode},
		{name: "below a scalar: the scalar", pointer: "/steps/0/id/more", line: 2, col: 9, kind: yaml.ScalarNode, value: "a", wantKey: "id"},
		{name: "missing top-level key: the root", pointer: "/nope/deeper", line: 1, col: 1, kind: yaml.MappingNode},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v, k := NodeAt(f.Root, tc.pointer)
			if v == nil {
				t.Fatal("NodeAt returned a nil value node")
			}
			if v.Kind != tc.kind || v.Line != tc.line || v.Column != tc.col {
				t.Errorf("value node kind %v at %d:%d, want kind %v at %d:%d", v.Kind, v.Line, v.Column, tc.kind, tc.line, tc.col)
			}
			if tc.kind == yaml.ScalarNode && v.Value != tc.value {
				t.Errorf("value %q, want %q", v.Value, tc.value)
			}
			switch {
			case tc.wantKey == "" && k != nil:
				t.Errorf("key node %q, want none", k.Value)
			case tc.wantKey != "" && (k == nil || k.Value != tc.wantKey):
				t.Errorf("key node %v, want %q", k, tc.wantKey)
			}
		})
	}
}

func TestHelpers(t *testing.T) {
	f, ds := Parse("f.yaml", []byte("s: text\nn: 1\nb: true\nz: null\nl: [1]\nm: {a: 1}\nlong: "+strings.Repeat("y", 50)+"\nmerged:\n  <<: {a: 1}\n  b: 2\n"))
	if len(ds) != 0 {
		t.Fatalf("Parse: %v", ds)
	}
	cases := []struct {
		key, kind, describe string
	}{
		{"s", "a string", `"text"`},
		{"n", "a number", "1"},
		{"b", "a boolean", "true"},
		{"z", "null", "null"},
		{"l", "a list", "a list"},
		{"m", "a mapping", "a mapping"},
		{"long", "a string", `"` + strings.Repeat("y", 37) + `..."`},
		{"absent", "nothing", "nothing"},
	}
	for _, tc := range cases {
		t.Run(tc.key, func(t *testing.T) {
			n := Get(f.Root, tc.key)
			if got := KindName(n); got != tc.kind {
				t.Errorf("KindName = %q, want %q", got, tc.kind)
			}
			if got := Describe(n); got != tc.describe {
				t.Errorf("Describe = %q, want %q", got, tc.describe)
			}
			if k := Key(f.Root, tc.key); (k == nil) != (tc.key == "absent") {
				t.Errorf("Key(%q) = %v", tc.key, k)
			}
		})
	}
	t.Run("Get follows merge keys", func(t *testing.T) {
		m := Get(f.Root, "merged")
		if a := Get(m, "a"); a == nil || a.Value != "1" {
			t.Errorf("Get(merged, a) = %v, want the merged 1", a)
		}
		if got := len(Pairs(m)); got != 2 {
			t.Errorf("Pairs(merged) has %d pairs, want 2", got)
		}
	})
	t.Run("Line", func(t *testing.T) {
		src := []byte("one\r\ntwo\nthree")
		for n, want := range map[int]string{0: "", 1: "one", 2: "two", 3: "three", 4: ""} {
			if got := Line(src, n); got != want {
				t.Errorf("Line(%d) = %q, want %q", n, got, want)
			}
		}
	})
}

// TestLargePlainDocumentIsNotABomb: the expansion bound is for aliases; a
// document with many nodes and no alias is bounded by the size limit.
func TestLargePlainDocumentIsNotABomb(t *testing.T) {
	var b strings.Builder
	b.WriteString("items: [")
	for i := 0; i < MaxExpansion+10; i++ {
		b.WriteString("1,")
	}
	b.WriteString("1]\n")
	_, ds := Parse("big.yaml", []byte(b.String()))
	for _, d := range ds {
		if d.Code == "alias-limit" {
			t.Fatalf("a document without aliases was taken for a bomb: %v", d)
		}
	}
}

// TestScalarAsDecoded: Scalar's quick reading of integers and booleans
// gives what yaml.v3's decoder gives, for every spelling.
func TestScalarAsDecoded(t *testing.T) {
	for _, src := range []string{
		"0", "7", "-7", "10", "010", "-010", "0x1F", "0o17", "1_000", "+5",
		"123456789012345678", "1234567890123456789", "9223372036854775807",
		"9223372036854775808", "-9223372036854775808", "1e3", "1.5", "-0",
		"true", "false", "True", "FALSE", "yes", "on", "~", "null", "x",
	} {
		var doc yaml.Node
		if err := yaml.Unmarshal([]byte("v: "+src), &doc); err != nil {
			t.Fatalf("%s: %v", src, err)
		}
		n := doc.Content[0].Content[1]
		var want any
		switch n.ShortTag() {
		case "!!bool":
			var b bool
			if n.Decode(&b) == nil {
				want = b
			}
		case "!!int":
			var i int64
			if n.Decode(&i) == nil {
				want = i
			} else {
				var f float64
				if n.Decode(&f) == nil {
					want = f
				}
			}
		}
		if want == nil {
			continue // not read quickly
		}
		if got := Scalar(n); got != want {
			t.Errorf("%s (%s): Scalar gives %#v, the decoder %#v", src, n.ShortTag(), got, want)
		}
	}
}
