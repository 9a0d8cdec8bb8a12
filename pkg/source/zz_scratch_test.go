package source

import (
	"fmt"
	"testing"
)

func TestZZScratch(t *testing.T) {
	for _, src := range []string{
		"",
		"# only a comment\n",
		"- a\n- b\n",
		"a: 1\n---\nb: 2\n",
		"a: 1\n---\n",
		"a: 1\nb: [1, 2\nc: 3\n",
		"a: 1\n  b: 2\n",
		"a: b: c\n",
		"a: \"unterminated\n",
		"a: &x [*x]\n",
		"a: &x\n  b: *x\n",
		"a: *nope\n",
		"a: 1\na: 2\n",
		"x:\n  y: 1\n  z: 2\n  y: 3\n",
		"a: \t\n",
		"a: @x\n",
		"a: !!int foo\n",
		"1: a\n\"1\": b\n",
	} {
		f, ds := Parse("f.yaml", []byte(src))
		fmt.Printf("%q -> root=%v %v\n", src, f.Root != nil, ds)
	}
}
