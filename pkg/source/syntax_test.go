package source

import (
	"strings"
	"testing"
)

// TestSyntaxErrorLine: a YAML mistake is reported at the line that is
// wrong — yaml.v3 names where the enclosing block starts — and a tab or a
// bad indentation is said to be one.
func TestSyntaxErrorLine(t *testing.T) {
	const tab = "a tab indents this line, and YAML is indented with spaces only: replace the tab with spaces"
	cases := []struct {
		name string
		src  string
		want wantDiag
	}{
		// Tabs.
		{"tab indents a key", "a:\n\tb: 1\n", wantDiag{line: 2, col: 1, msg: tab}},
		{"tab indents a step's key", "steps:\n  - action: x\n\twith: 1\n", wantDiag{line: 3, col: 1, msg: tab}},
		{"tab after spaces", "a:\n  b: 1\n  \tc: 2\n", wantDiag{line: 3, col: 3, msg: tab}},
		{"tab indents a list item", "a:\n  - x\n\t- y\n", wantDiag{line: 3, col: 1, msg: tab}},
		{"tab indents a nested mapping", "steps:\n  - action: x\n    with:\n\t  a: 1\n", wantDiag{line: 4, col: 1, msg: tab}},
		{"tab in a block scalar's indentation", "a:\n  b: |\n    x\n    y\n  \t z\n", wantDiag{line: 5, col: 3, msg: tab}},
		{"tab on a blank line", "a: 1\n\t\nb: 2\n", wantDiag{line: 2, col: 1, msg: tab}},
		{"tab on the first line", "\ta: 1\n", wantDiag{line: 1, col: 1, msg: tab}},
		{"tab after the indentation is content", "a: |\n  x\n  \ty\nb: 1\n\tc: 2\n", wantDiag{line: 5, col: 1, msg: tab}},

		// Indentation.
		{
			"key one space too far in a step's with",
			"steps:\n  - action: a\n    with:\n      userId: \"x\"\n       foo: 1\n",
			wantDiag{line: 5, col: 8, msg: `bad indentation: this line is indented 7 spaces, more than "userId" (line 4, 6 spaces) above it; keys of one mapping`},
		},
		{
			"key one space short in a step's with",
			"steps:\n  - action: a\n    with: {userId: x}\n  - action: b\n    with:\n      userId: x\n     foo: 1\n",
			wantDiag{line: 7, col: 6, msg: `this line is indented 5 spaces, between "userId" (line 6, 6 spaces) and "with" (line 5, 4 spaces)`},
		},
		{
			"step key one space short",
			"steps:\n  - action: a\n   with: 1\n",
			wantDiag{line: 3, col: 4, msg: `this line is indented 3 spaces, between "action" (line 2, 4 spaces) and the list item on line 2 (2 spaces)`},
		},
		{
			"step key one space too far reads as the value above",
			"steps:\n  - action: a\n     with: 1\n",
			wantDiag{line: 3, col: 6, msg: `this line is indented 5 spaces, more than "action" (line 2, 4 spaces), so YAML reads it as more of the value of "action"`},
		},
		{
			"list item one space too far",
			"steps:\n  - halt: x\n  - halt: x\n   - halt: y\n",
			wantDiag{line: 4, col: 4, msg: `between "halt" (line 3, 4 spaces) and the list item on line 3 (2 spaces); keys of one mapping, and the items of one list, start in the same column`},
		},
		{
			"list item one space short",
			"x: 1\ny:\n  - a\n - b\n",
			wantDiag{line: 4, col: 2, msg: `between the list item on line 3 (2 spaces) and "y" (line 2, not indented)`},
		},
		{
			"top-level key indented",
			"trigger: x\nname: y\n steps:\n  - halt: x\n",
			wantDiag{line: 3, col: 2, msg: `more than "name" (line 2, not indented), so YAML reads it as more of the value of "name"`},
		},
		{
			"key after a block scalar",
			"steps:\n  - if: |\n      a &&\n      b\n     then: []\n",
			wantDiag{line: 5, col: 6, msg: `this line is indented 5 spaces, more than "if" (line 2, 4 spaces) above it`},
		},
		{
			"far from where the block starts",
			"steps:\n" + strings.Repeat("  - halt: x\n", 40) + "  - action: a\n    with:\n      a: 1\n     b: 2\n" + strings.Repeat("  - halt: x\n", 40),
			wantDiag{line: 45, col: 6, msg: `between "a" (line 44, 6 spaces) and "with" (line 43, 4 spaces)`},
		},
		{
			"comments and blank lines are not levels",
			"a:\n  b: 1\n\n# note\n      # indented note\n c: 2\n",
			wantDiag{line: 6, col: 2, msg: `between "b" (line 2, 2 spaces) and "a" (line 1, not indented)`},
		},

		// Other mistakes keep yaml.v3's message, at the line yaml.v3 names.
		{"a colon in a plain value", "a: 1\nb: c: d\n", wantDiag{line: 2, col: 1, msg: "invalid YAML: mapping values are not allowed in this context"}},
		{"text after a quoted value", "a: \"x\" y\n", wantDiag{line: 1, col: 1, msg: "invalid YAML: did not find expected key"}},
		{"unclosed flow mapping", "a: 1\nb: {c: 1\nd: 2\n", wantDiag{line: 2, col: 1, msg: "invalid YAML: did not find expected ',' or '}'"}},
		{"character that cannot start a token", "a: 1\nb: @x\n", wantDiag{line: 2, col: 1, msg: "invalid YAML: found character that cannot start any token"}},
		{"in a second document", "a: 1\n---\nb:\n  c: 1\n d: 2\n", wantDiag{line: 5, col: 2, msg: "bad indentation"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.want.code = "yaml-syntax"
			f, ds := Parse("f.yaml", []byte(tc.src))
			checkDiags(t, f, ds, []wantDiag{tc.want})
		})
	}
}
