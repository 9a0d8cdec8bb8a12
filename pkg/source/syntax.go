package source

import (
	"bytes"
	"fmt"
	"io"
	"strings"

	"gopkg.in/yaml.v3"
)

// decodeErr decodes data as Parse does (one document, then whether a
// second one follows) and returns the syntax error it meets, if any.
func decodeErr(data []byte) error {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if err == io.EOF {
			return nil
		}
		return err
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err != nil && err != io.EOF {
		return err
	}
	return nil
}

// problemLine returns the line where yaml.v3 met err. yaml.v3 names the
// line where the block it was reading starts (a step's mapping, a
// multi-line value), not the line it stumbled on; that line is the first
// from line from on such that the document cut after it fails the same
// way. A few parses of the start of the file, on the path of an error
// only.
func (f *File) problemLine(err error, from int) int {
	var ends []int // the byte offset after each line
	for off := 0; off < len(f.Src); {
		i := bytes.IndexByte(f.Src[off:], '\n')
		if i < 0 {
			ends = append(ends, len(f.Src))
			break
		}
		off += i + 1
		ends = append(ends, off)
	}
	total := len(ends)
	if from < 1 || from >= total {
		return from
	}
	want := err.Error()
	same := func(k int) bool {
		e := decodeErr(f.Src[:ends[k-1]])
		return e != nil && e.Error() == want
	}
	if same(from) {
		return from
	}
	// Cut ever further from from, then halve the last step: the cuts
	// parsed stay within twice the distance to the line.
	lo, hi := from, total // the cut after lo does not fail so; after hi (the whole file) does
	for step := 1; lo+step < total; step *= 2 {
		if same(lo + step) {
			hi = lo + step
			break
		}
		lo += step
	}
	for hi-lo > 1 {
		mid := lo + (hi-lo)/2
		if same(mid) {
			hi = mid
		} else {
			lo = mid
		}
	}
	return hi
}

// tabMessage is the message of a tab in the indentation of a line.
const tabMessage = "invalid YAML: a tab indents this line, and YAML is indented with spaces only: replace the tab with spaces"

// tabProblems are yaml.v3's messages for a tab where YAML wants spaces
// (or, for the last, for any character that cannot start a token).
var tabProblems = map[string]bool{
	"found a tab character that violates indentation":              true,
	"found a tab character where an indentation space is expected": true,
	"found character that cannot start any token":                  true,
}

// tabIndent returns the 1-based column of the first tab in the
// indentation of line, or 0.
func tabIndent(line string) int {
	for i := 0; i < len(line); i++ {
		switch line[i] {
		case ' ':
		case '\t':
			return i + 1
		default:
			return 0
		}
	}
	return 0
}

// blockLevel is where a key or a list item of a line of block YAML starts.
type blockLevel struct {
	col  int // spaces before it
	line int
	key  string // "" for a list item's dash
}

func (l blockLevel) String() string {
	if l.key == "" {
		return fmt.Sprintf("the list item on line %d (%s)", l.line, spaces(l.col))
	}
	return fmt.Sprintf("%.40q (line %d, %s)", l.key, l.line, spaces(l.col))
}

func spaces(n int) string {
	switch n {
	case 0:
		return "not indented"
	case 1:
		return "1 space"
	}
	return fmt.Sprintf("%d spaces", n)
}

// blockLine reads a line of block YAML: the levels it opens, deepest
// first (the key after a "- ", then the dash), and the value after its
// key or dash. ok is false for a blank or comment line, and for a line
// with neither a key nor a dash (the text of a multi-line value).
func blockLine(text string, line int) (levels []blockLevel, value string, ok bool) {
	t := strings.TrimLeft(text, " ")
	if t == "" || t[0] == '#' || t[0] == '\t' {
		return nil, "", false
	}
	at := len(text) - len(t)
	for t == "-" || strings.HasPrefix(t, "- ") {
		levels = append([]blockLevel{{col: at, line: line}}, levels...)
		rest := strings.TrimLeft(t[1:], " ")
		at += len(t) - len(rest)
		t = rest
	}
	if k, v, found := cutKey(t); found {
		levels = append([]blockLevel{{col: at, line: line, key: k}}, levels...)
		t = v
	}
	if len(levels) == 0 {
		return nil, "", false
	}
	return levels, strings.TrimSpace(t), true
}

// cutKey splits "key: value" (or "key:") at its colon.
func cutKey(t string) (key, value string, ok bool) {
	if t == "" || strings.ContainsRune("\"'[{#&*!|>%@`", rune(t[0])) {
		return "", "", false
	}
	for i := 0; i < len(t); i++ {
		if t[i] == ':' && (i+1 == len(t) || t[i+1] == ' ' || t[i+1] == '\t') {
			return strings.TrimRight(t[:i], " \t"), t[i+1:], i > 0
		}
		if t[i] == '#' && i > 0 && t[i-1] == ' ' {
			break
		}
	}
	return "", "", false
}

// indentProblems are yaml.v3's messages for a line indented so that it
// belongs to no block above it.
var indentProblems = map[string]bool{
	"did not find expected key":                      true,
	"did not find expected '-' indicator":            true,
	"mapping values are not allowed in this context": true,
}

// indentMessage says how line p is indented against the keys and list
// items above it, when that is why yaml.v3 failed with msg there; else "".
func (f *File) indentMessage(msg string, p int) string {
	if !indentProblems[msg] {
		return ""
	}
	text := f.line(p)
	ind := leadingSpaces(text)
	if _, _, ok := blockLine(text, p); !ok {
		return ""
	}
	// The levels still open above p: going up, each one less indented
	// than the last.
	var open []blockLevel
	var prev []blockLevel // the levels of the nearest line above
	prevValue := ""
	lowest := ind + 1<<20
	for q := p - 1; q >= 1 && lowest > 0; q-- {
		levels, value, ok := blockLine(f.line(q), q)
		if !ok {
			continue
		}
		if prev == nil {
			prev, prevValue = levels, value
		}
		for _, l := range levels {
			if l.col < lowest {
				open = append(open, l)
				lowest = l.col
			}
		}
	}
	if msg == "mapping values are not allowed in this context" {
		// "key: value" then a line more indented than key: YAML reads
		// the line as more of the value, and stumbles on its colon.
		if len(prev) == 0 || prevValue == "" || strings.ContainsRune("\"'[{#&*!|>", rune(prevValue[0])) || ind <= prev[0].col {
			return ""
		}
		what := fmt.Sprintf("the value of %.40q", prev[0].key)
		if prev[0].key == "" {
			what = "the list item"
		}
		return fmt.Sprintf("invalid YAML: bad indentation: this line is indented %s, more than %s, so YAML reads it as more of %s; keys of one mapping start in the same column",
			spaces(ind), prev[0], what)
	}
	var hi, lo *blockLevel
	for i := range open {
		switch {
		case open[i].col == ind:
			return "" // it lines up with something: not (only) its indentation
		case open[i].col > ind:
			hi = &open[i]
		case lo == nil:
			lo = &open[i]
		}
	}
	const rule = "keys of one mapping, and the items of one list, start in the same column"
	switch {
	case hi != nil && lo != nil:
		return fmt.Sprintf("invalid YAML: bad indentation: this line is indented %s, between %s and %s; %s", spaces(ind), *hi, *lo, rule)
	case lo != nil:
		return fmt.Sprintf("invalid YAML: bad indentation: this line is indented %s, more than %s above it; %s", spaces(ind), *lo, rule)
	}
	return ""
}
