package diag

import (
	"strings"
	"testing"
)

func TestLines(t *testing.T) {
	cases := []struct {
		name string
		src  string
		want map[int]string // line -> text; absent lines must not be found
		none []int
	}{
		{name: "empty", src: "", want: map[int]string{1: ""}, none: []int{0, 2}},
		{name: "no final newline", src: "one\ntwo", want: map[int]string{1: "one", 2: "two"}, none: []int{3}},
		{name: "final newline", src: "one\ntwo\n", want: map[int]string{1: "one", 2: "two", 3: ""}, none: []int{4}},
		{name: "CRLF", src: "one\r\ntwo\r\n", want: map[int]string{1: "one", 2: "two"}},
		{name: "blank lines", src: "\n\nx\n", want: map[int]string{1: "", 2: "", 3: "x"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			l := NewLines([]byte(tc.src))
			for n, want := range tc.want {
				got, ok := l.Line(n)
				if !ok || string(got) != want {
					t.Errorf("Line(%d) = %q, %v; want %q", n, got, ok, want)
				}
			}
			for _, n := range tc.none {
				if got, ok := l.Line(n); ok {
					t.Errorf("Line(%d) = %q, want none", n, got)
				}
			}
		})
	}
	var nilLines *Lines
	if _, ok := nilLines.Line(1); ok {
		t.Error("a nil index has lines")
	}
}

// TestLinesLookupIsConstant: once built, finding a line allocates nothing
// and does not scan the file.
func TestLinesLookupIsConstant(t *testing.T) {
	l := NewLines([]byte(strings.Repeat("#\n", 200_000) + "last"))
	if n := testing.AllocsPerRun(100, func() {
		if b, ok := l.Line(200_001); !ok || string(b) != "last" {
			t.Fatal("last line not found")
		}
	}); n != 0 {
		t.Errorf("Line allocates %v times", n)
	}
}

func TestByteIndex(t *testing.T) {
	b := []byte("aé\xffz")
	for col, want := range map[int]int{0: -1, 1: 0, 2: 1, 3: 3, 4: 4, 5: 5, 6: -1} {
		if got := ByteIndex(b, col); got != want {
			t.Errorf("ByteIndex(%d) = %d, want %d", col, got, want)
		}
	}
}
