package source

import (
	"fmt"
	"reflect"
	"runtime"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

const flowHeader = "apiVersion: jml/v1\nkind: Flow\nname: deep\ntrigger: {event: user.lifecycle.deactivate}\n"

// nestedTry is a flow of n try cards, each inside the last, written in
// flow style on line 5 (800 of them are 23 KB); the innermost try holds a
// halt card, so cards nest n+1 deep.
func nestedTry(n int) string {
	return flowHeader + "steps: " + strings.Repeat("[{catch: [{halt: c}], try: ", n) + "[{halt: x}]" + strings.Repeat("}]", n) + "\n"
}

// nestedColumn is the column of the try card at depth d (1-based) on line
// 5 of nestedTry: each level adds `[{catch: [{halt: c}], try: ` (27
// characters).
func nestedColumn(d int) int { return len("steps: [") + 1 + (d-1)*27 }

// pastLimit is the column of the first card, in document order, nested
// more than 64 deep in nestedTry(64 or more): the halt under the catch of
// the 64th try.
var pastLimit = nestedColumn(64) + len("{catch: [")

// TestTooDeep: nesting is bounded before anything recursive reads the
// tree, in time and memory linear in the file, with one diagnostic at the
// first node past the limit.
func TestTooDeep(t *testing.T) {
	deepPlain := func(n int) string {
		return flowHeader + "steps:\n  - halt: " + strings.Repeat("[", n) + strings.Repeat("]", n) + "\n"
	}
	switchCards := func(n int) string {
		var b strings.Builder
		b.WriteString(flowHeader + "steps:\n")
		ind := "  "
		for i := 0; i < n; i++ {
			fmt.Fprintf(&b, "%s- switch: x\n%s  cases:\n%s    a:\n", ind, ind, ind)
			ind += "      "
		}
		b.WriteString(ind + "- halt: x\n")
		return b.String()
	}
	cases := []struct {
		name string
		src  string
		want []wantDiag
	}{
		{name: "64 cards deep is fine", src: nestedTry(63)},
		{
			name: "65 cards deep",
			src:  nestedTry(64),
			want: []wantDiag{{code: "too-deep", line: 5, col: pastLimit, msg: "cards nest more than 64 deep"}},
		},
		{
			name: "800 nested try cards",
			src:  nestedTry(800),
			want: []wantDiag{{code: "too-deep", line: 5, col: pastLimit, msg: "cards nest more than 64 deep"}},
		},
		{
			// Three YAML levels a card: 64 of them are within MaxDepth.
			name: "64 switch cards deep is fine",
			src:  switchCards(63),
		},
		{
			name: "65 switch cards deep",
			src:  switchCards(64),
			want: []wantDiag{{code: "too-deep", line: 6 + 3*64, msg: "cards nest more than 64 deep"}},
		},
		{
			name: "cards nested through aliases",
			src: flowHeader + "x: &t {try: " + strings.Repeat("[{catch: [{halt: c}], try: ", 70) + "[{halt: x}]" + strings.Repeat("}]", 70) + ", catch: [{halt: c}]}\n" +
				"steps: [{catch: [{halt: c}], try: [*t]}]\n",
			want: []wantDiag{{code: "too-deep", line: 6, col: 36, msg: "cards nest more than 64 deep"}},
		},
		{name: "256 levels of plain lists", src: "a: " + strings.Repeat("[", 255) + strings.Repeat("]", 255) + "\n"},
		{
			name: "257 levels of plain lists",
			src:  "a: " + strings.Repeat("[", 256) + strings.Repeat("]", 256) + "\n",
			want: []wantDiag{{code: "too-deep", line: 1, col: 4 + 255, msg: "nest more than 256 levels"}},
		},
		{
			name: "deep plain nesting in a flow",
			src:  deepPlain(5000),
			// root, steps, the card, then a list a level: the 254th is 257 deep.
			want: []wantDiag{{code: "too-deep", line: 6, col: 11 + 253, msg: "nest more than 256 levels"}},
		},
		{
			// yaml.v3 stops at 10,000 levels itself: the same check id.
			name: "past yaml.v3's own limit",
			src:  deepPlain(20000),
			want: []wantDiag{{code: "too-deep", line: 6, msg: "nest more than 256 levels"}},
		},
		{
			name: "deep through an alias",
			src:  "a: &a " + strings.Repeat("[", 200) + strings.Repeat("]", 200) + "\nb: " + strings.Repeat("[", 60) + "*a " + strings.Repeat("]", 60) + "\n",
			want: []wantDiag{{code: "too-deep", line: 2, col: 64, msg: "nest more than 256 levels"}},
		},
		{
			name: "deep block mappings",
			src: func() string {
				var b strings.Builder
				for i := 0; i < 300; i++ {
					fmt.Fprintf(&b, "%sk:\n", strings.Repeat(" ", i))
				}
				return b.String() + strings.Repeat(" ", 300) + "v: 1\n"
			}(),
			// The key k on line 256 is the 257th level (a key is a node).
			want: []wantDiag{{code: "too-deep", line: 256, col: 256, msg: "nest more than 256 levels"}},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f, ds := Parse("f.yaml", []byte(tc.src))
			checkDiags(t, f, ds, tc.want)
		})
	}
}

// TestBadCharacters: a character YAML does not allow is reported where it
// is, not at 1:1 as yaml.v3 would.
func TestBadCharacters(t *testing.T) {
	cases := []struct {
		name string
		src  string
		want wantDiag
	}{
		{"NUL mid-file", flowHeader + "steps:\n  - halt: \"a\x00b\"\n", wantDiag{code: "yaml-syntax", line: 6, col: 13, msg: "a NUL byte (U+0000) is not allowed"}},
		{"NUL in a comment", "a: 1\n# \x00\n", wantDiag{code: "yaml-syntax", line: 2, col: 3, msg: "NUL byte"}},
		{"escape after multi-byte characters", "é: \"ü\x1b[2J\"\n", wantDiag{code: "yaml-syntax", line: 1, col: 6, msg: "control character U+001B is not allowed"}},
		{"DEL", "a: \x7f\n", wantDiag{code: "yaml-syntax", line: 1, col: 4, msg: "U+007F"}},
		{"C1 control", "a: b\nc: \u0090\n", wantDiag{code: "yaml-syntax", line: 2, col: 4, msg: "U+0090"}},
		{"U+FFFE", "a: \ufffe\n", wantDiag{code: "yaml-syntax", line: 1, col: 4, msg: "U+FFFE"}},
		{"invalid UTF-8 first", "a: \xff\x00\n", wantDiag{code: "invalid-utf8", line: 1, col: 4}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f, ds := Parse("f.yaml", []byte(tc.src))
			checkDiags(t, f, ds, []wantDiag{tc.want})
		})
	}
	t.Run("allowed characters", func(t *testing.T) {
		// Tab, CR LF, NEL, a BOM and characters from every plane.
		src := "\ufeffa: \"x\ty\"\r\nb: \u0085 \u00a0 \ud7ff \ue000 \ufffd \U0001F600\n"
		if _, ds := Parse("f.yaml", []byte(src)); len(ds) != 0 {
			t.Errorf("Parse: %v", ds)
		}
	})
}

// TestBadInputMemory: the loader's work on hostile input is linear: bytes
// allocated stay within a small multiple of the input (a quadratic line
// lookup or a re-walk per level would allocate gigabytes).
func TestBadInputMemory(t *testing.T) {
	comments := flowHeader + "steps:\n  - halt: x\n" + strings.Repeat("#\n", 200_000) + "bogus: [1\n"
	longLine := flowHeader + "steps: [{halt: x}]\ndescription: \"" + strings.Repeat("x", 600_000) + "\", bogus: 1\n"
	cases := []struct {
		name  string
		src   string
		check func(t *testing.T, f *File)
	}{
		{name: "800 nested try cards", src: nestedTry(800)},
		{name: "deep plain nesting", src: "a: " + strings.Repeat("[", 9000) + strings.Repeat("]", 9000) + "\n"},
		{name: "200,000 comment lines, an error at the end", src: comments},
		{name: "a 600 KB line with an error in it", src: longLine},
		{name: "NUL at the end of a large file", src: comments[:len(comments)-10] + "\x00"},
		{
			// Many positions mapped in a long file: the line index is
			// built once.
			name: "PosIn on the last line of 200,000",
			src:  strings.Repeat("#\n", 200_000) + "a: \"x ${{ y }}\"\n",
			check: func(t *testing.T, f *File) {
				n := Get(f.Root, "a")
				for i := 0; i < 1000; i++ {
					if r := f.PosIn(n, 3); r.Start.Line != 200_001 || r.Start.Column != 8 {
						t.Fatalf("PosIn = %v, want 200001:8", r)
					}
				}
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var f *File
			alloc := allocated(func() {
				f, _ = Parse("f.yaml", []byte(tc.src))
				if tc.check != nil {
					tc.check(t, f)
				}
			})
			// yaml.v3 itself allocates some 30 bytes for each byte of
			// input on these shapes; a quadratic step would be hundreds
			// of times the input.
			if limit := uint64(64*len(tc.src)) + 16<<20; alloc > limit {
				t.Errorf("allocated %d bytes for %d bytes of input, want at most %d", alloc, len(tc.src), limit)
			}
		})
	}
}

// allocated returns the bytes f allocates.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// TestLookupAllocatesNothing: Get, Key and NodeAt find a key without
// building the mapping's pairs, so that mapping a schema error per key of
// a large mapping stays linear.
func TestLookupAllocatesNothing(t *testing.T) {
	var b strings.Builder
	for i := 0; i < 10_000; i++ {
		fmt.Fprintf(&b, "k%d: %d\n", i, i)
	}
	b.WriteString("base: &b {x: 1}\nm: {<<: *b, y: 2}\n")
	f, ds := Parse("f.yaml", []byte(b.String()))
	if len(ds) != 0 {
		t.Fatal(ds)
	}
	if n := testing.AllocsPerRun(10, func() {
		if Get(f.Root, "k9999") == nil || Key(f.Root, "k5000") == nil {
			t.Fatal("key not found")
		}
		if v, _ := NodeAt(f.Root, "/m/x"); v == nil || v.Value != "1" {
			t.Fatal("merged key not found")
		}
	}); n != 0 {
		t.Errorf("lookups allocate %v times, want 0", n)
	}
}

// TestLookupMatchesPairs: lookup finds what Pairs lists first, merge keys
// included.
func TestLookupMatchesPairs(t *testing.T) {
	src := "a: &a {x: 1, y: 1}\nb: &b {y: 2, z: 2}\n" +
		"m1: {<<: [*a, *b], z: 3}\n" +
		"m2: {<<: *b, <<: *a}\n" +
		"m3: {w: 0, <<: {<<: *a, v: 4}}\n"
	f, ds := Parse("f.yaml", []byte(src))
	if len(ds) != 0 {
		t.Fatal(ds)
	}
	for _, m := range []string{"m1", "m2", "m3"} {
		n := Get(f.Root, m)
		want := map[string]*yaml.Node{}
		for _, p := range Pairs(n) {
			if _, ok := want[p[0].Value]; !ok {
				want[p[0].Value] = p[1]
			}
		}
		got := map[string]*yaml.Node{}
		for _, k := range []string{"v", "w", "x", "y", "z", "none"} {
			if _, v := lookup(n, k); v != nil {
				got[k] = v
			}
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: lookup finds %v, Pairs lists %v", m, got, want)
		}
	}
}
