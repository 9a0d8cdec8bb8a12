package source

import (
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"

	"github.com/jml-dev/jml/pkg/diag"
)

// PosIn returns the source position of byte offset off inside the string
// value of scalar node n, so that an error inside an expression points at
// the character where it is. It maps plain, quoted and literal-block
// scalars exactly when the text between the start of the value and off
// appears verbatim in the source (no escapes or folding in between), and
// falls back to the position of the node otherwise.
func (f *File) PosIn(n *yaml.Node, off int) diag.Range {
	r := f.Range(n)
	if n == nil || n.Kind != yaml.ScalarNode || off < 0 || off > len(n.Value) {
		return r
	}
	val := n.Value
	// Which line of the value holds off, and where in that line.
	lineIdx := strings.Count(val[:off], "\n")
	lineStart := strings.LastIndexByte(val[:off], '\n') + 1
	valLine := val[lineStart:]
	if i := strings.IndexByte(valLine, '\n'); i >= 0 {
		valLine = valLine[:i]
	}
	inLine := off - lineStart
	switch n.Style {
	case 0, yaml.DoubleQuotedStyle, yaml.SingleQuotedStyle, yaml.FlowStyle:
		if lineIdx != 0 {
			return r
		}
		src := f.line(n.Line)
		startCol := n.Column
		if n.Style == yaml.DoubleQuotedStyle || n.Style == yaml.SingleQuotedStyle {
			startCol++
		}
		byteStart := byteIndexOfColumn(src, startCol)
		if byteStart < 0 || !strings.HasPrefix(src[byteStart:], valLine[:inLine]) {
			return r
		}
		// An escaped quote or backslash ('' or \\) reads as one character
		// in the value, so the prefix can match one byte short.
		if (n.Style == yaml.SingleQuotedStyle && strings.Contains(valLine[:inLine], "'")) ||
			(n.Style == yaml.DoubleQuotedStyle && strings.Contains(valLine[:inLine], "\\")) {
			return r
		}
		return f.At(n.Line, startCol+utf8.RuneCountInString(valLine[:inLine]))
	case yaml.LiteralStyle:
		// Content lines follow the header line one for one; find the
		// indentation from the first content line.
		srcLineNo := n.Line + 1 + lineIdx
		src := f.line(srcLineNo)
		i := strings.Index(src, valLine)
		if valLine == "" || i < 0 || strings.TrimSpace(src[:i]) != "" {
			return r
		}
		return f.At(srcLineNo, utf8.RuneCountInString(src[:i])+utf8.RuneCountInString(valLine[:inLine])+1)
	}
	return r
}

// byteIndexOfColumn returns the byte index of 1-based rune column col in s.
func byteIndexOfColumn(s string, col int) int {
	c := 1
	for i := range s {
		if c == col {
			return i
		}
		c++
	}
	if c == col {
		return len(s)
	}
	return -1
}
