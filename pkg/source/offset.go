package source

import (
	"bytes"
	"strconv"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"

	"github.com/jml-dev/jml/pkg/diag"
)

// PosIn returns the source position of byte offset off inside the string
// value of scalar node n, so that an error inside an expression points at
// the character where it is. Every scalar style is mapped: plain and
// quoted scalars over several lines (their line breaks folded into
// spaces), double-quoted escapes (an escape's characters map to its
// backslash), doubled single quotes, and literal (|) and folded (>) block
// scalars with any chomping or indentation indicator. The source is read
// again as YAML reads it, checking each character against the value; when
// they disagree (a form this reading does not know) PosIn falls back to
// the position of the node.
func (f *File) PosIn(n *yaml.Node, off int) diag.Range {
	r := f.Range(n)
	if n == nil || n.Kind != yaml.ScalarNode || off < 0 || off > len(n.Value) {
		return r
	}
	if line, col, ok := f.scalarPos(n, off); ok {
		return f.At(line, col)
	}
	return r
}

// scalarPos maps off in n.Value to a line and column of the source, or
// reports false.
func (f *File) scalarPos(n *yaml.Node, off int) (line, col int, ok bool) {
	if f.otherBreaks() {
		return 0, 0, false
	}
	text, ok := f.lineAt(n.Line)
	if !ok {
		return 0, 0, false
	}
	i := byteIndexOfColumn(text, n.Column)
	if i < 0 {
		return 0, 0, false
	}
	// A node with an anchor or a tag starts at them, not at its value.
	for i < len(text) && (text[i] == '&' || text[i] == '!') {
		if text[i] == '&' {
			// An anchor's name is what yaml.v3 reads as one: letters,
			// digits, '_' and '-' ("&0:0 ::" is the anchor 0, then ":0 ::").
			i++
			for i < len(text) && anchorChar(text[i]) {
				i++
			}
		} else {
			for i < len(text) && text[i] != ' ' && text[i] != '\t' {
				i++
			}
		}
		for i < len(text) && (text[i] == ' ' || text[i] == '\t') {
			i++
		}
	}
	if i >= len(text) {
		return 0, 0, false
	}
	switch n.Style &^ yaml.TaggedStyle {
	case 0:
		// A plain scalar starts with its value's first character; where
		// yaml.v3's position does not (an anchor it read otherwise than
		// the skip above, as in "&0:: 0"), only the node's position holds.
		if n.Value != "" && text[i] != n.Value[0] {
			return 0, 0, false
		}
		return f.flowScalarPos(n, off, text, i, 0)
	case yaml.SingleQuotedStyle, yaml.DoubleQuotedStyle:
		q := text[i]
		if q != '\'' && q != '"' {
			return 0, 0, false
		}
		return f.flowScalarPos(n, off, text, i+1, q)
	case yaml.LiteralStyle, yaml.FoldedStyle:
		if text[i] != '|' && text[i] != '>' {
			return 0, 0, false
		}
		return f.blockScalarPos(n, off, text[i] == '>')
	}
	return 0, 0, false
}

// flowScalarPos maps off in a plain (quote 0), single-quoted or
// double-quoted scalar whose first character is text[i] on line n.Line.
// Such a scalar may span lines: the break between two lines reads as a
// space, k blank lines between them as k line feeds, and each line's
// leading and trailing blanks are not part of the value.
func (f *File) flowScalarPos(n *yaml.Node, off int, text string, i int, quote byte) (line, col int, ok bool) {
	val := n.Value
	ln := n.Line
	vi := 0 // bytes of val read so far
	escapedBreak := false
	for {
		// The content of this line ends at its trailing blanks.
		end := len(strings.TrimRight(text, " \t"))
		for i < end {
			c := text[i]
			if quote == '"' && c == '\\' && i+1 == len(text) {
				// An escaped line break: the lines join without a space.
				escapedBreak = true
				break
			}
			if vi == off {
				return ln, runeCol(text, i), true
			}
			var prod string
			size := 1
			switch {
			case quote == 0 && vi == len(val):
				return 0, 0, false // the scalar ended before off
			case quote == '\'' && c == '\'':
				if i+1 < len(text) && text[i+1] == '\'' {
					prod, size = "'", 2
				} else {
					return 0, 0, false // the closing quote, before off
				}
			case quote == '"' && c == '"':
				return 0, 0, false
			case quote == '"' && c == '\\':
				var good bool
				prod, size, good = unescape(text[i:])
				if !good {
					return 0, 0, false
				}
			default:
				_, size = utf8.DecodeRuneInString(text[i:])
				prod = text[i : i+size]
			}
			if !strings.HasPrefix(val[vi:], prod) {
				return 0, 0, false
			}
			if off < vi+len(prod) {
				// off is inside what one escape stands for: its backslash.
				return ln, runeCol(text, i), true
			}
			vi += len(prod)
			i += size
		}
		// The end of a plain scalar at the end of a line.
		if quote == 0 && vi == len(val) {
			if vi == off {
				return ln, runeCol(text, end), true
			}
			return 0, 0, false
		}
		// The next line with content, and the blank lines before it.
		endCol := runeCol(text, min(i, end))
		blank := 0
		next := ln
		for {
			next++
			t, more := f.lineAt(next)
			if !more {
				return 0, 0, false
			}
			if strings.TrimLeft(t, " \t") != "" {
				text = t
				break
			}
			blank++
		}
		sep := strings.Repeat("\n", blank)
		if blank == 0 && !escapedBreak {
			sep = " "
		}
		if !strings.HasPrefix(val[vi:], sep) {
			return 0, 0, false
		}
		if off < vi+len(sep) {
			return ln, endCol, true
		}
		vi += len(sep)
		ln = next
		i = len(text) - len(strings.TrimLeft(text, " \t"))
		escapedBreak = false
	}
}

// blockScalarPos maps off in a literal or folded block scalar whose header
// (| or >) is on line n.Line. Its content lines follow, each indented by
// the same number of spaces, which are not part of the value; a folded
// scalar reads the break between two lines that are not more indented as
// a space.
func (f *File) blockScalarPos(n *yaml.Node, off int, folded bool) (line, col int, ok bool) {
	val := n.Value
	// The indentation: what the first content line has beyond what the
	// value's first line has.
	first := n.Line + 1
	for {
		t, more := f.lineAt(first)
		if !more {
			return 0, 0, false
		}
		if strings.TrimLeft(t, " ") != "" {
			break
		}
		first++
	}
	t, _ := f.lineAt(first)
	rest := strings.TrimLeft(val, "\n")
	indent := leadingSpaces(t) - leadingSpaces(rest)
	if indent < 1 || len(val)-len(rest) != first-n.Line-1 {
		return 0, 0, false
	}
	vi := 0
	last := n.Line // the last content line read
	lastText := ""
	lastBlank := false // the last content line was more indented
	for ln := first; ; ln++ {
		text, more := f.lineAt(ln)
		if !more {
			break
		}
		ls := leadingSpaces(text)
		if ls == len(text) && ls <= indent {
			continue // a blank line: its break comes with the next line
		}
		if ls < indent {
			break // less indented: the scalar ended
		}
		content := text[indent:]
		blank := content[0] == ' ' || content[0] == '\t'
		breaks := ln - last
		var sep string
		switch {
		case last == n.Line:
			sep = strings.Repeat("\n", breaks-1)
		case folded && !lastBlank && !blank:
			sep = strings.Repeat("\n", breaks-1)
			if breaks == 1 {
				sep = " "
			}
		default:
			sep = strings.Repeat("\n", breaks)
		}
		if !strings.HasPrefix(val[vi:], sep) {
			return 0, 0, false
		}
		if off < vi+len(sep) {
			if last == n.Line {
				return ln, indent + 1, true
			}
			return last, runeCol(lastText, len(lastText)), true
		}
		vi += len(sep)
		if !strings.HasPrefix(val[vi:], content) {
			return 0, 0, false
		}
		if off <= vi+len(content) {
			return ln, runeCol(text, indent+off-vi), true
		}
		vi += len(content)
		last, lastText, lastBlank = ln, text, blank
	}
	// off is in the final line breaks: the end of the last line.
	if last > n.Line && strings.Trim(val[vi:], "\n") == "" {
		return last, runeCol(lastText, len(lastText)), true
	}
	return 0, 0, false
}

// unescape reads the double-quoted escape at the start of s (a backslash
// and what follows) and returns the text it stands for and its length.
func unescape(s string) (string, int, bool) {
	if len(s) < 2 {
		return "", 0, false
	}
	simple := map[byte]string{
		'0': "\x00", 'a': "\a", 'b': "\b", 't': "\t", '\t': "\t", 'n': "\n", 'v': "\v", 'f': "\f",
		'r': "\r", 'e': "\x1b", ' ': " ", '"': "\"", '/': "/", '\'': "'", '\\': "\\",
		'N': "\u0085", '_': "\u00a0", 'L': "\u2028", 'P': "\u2029",
	}
	if p, ok := simple[s[1]]; ok {
		return p, 2, true
	}
	digits := map[byte]int{'x': 2, 'u': 4, 'U': 8}[s[1]]
	if digits == 0 || len(s) < 2+digits {
		return "", 0, false
	}
	v, err := strconv.ParseUint(s[2:2+digits], 16, 32)
	if err != nil || !utf8.ValidRune(rune(v)) {
		return "", 0, false
	}
	return string(rune(v)), 2 + digits, true
}

// lineAt returns line n (1-based) of the file without its line end, and
// false when the file has no line n.
func (f *File) lineAt(n int) (string, bool) {
	var l *diag.Lines
	if f.lines == nil {
		l = diag.NewLines(f.Src)
	} else {
		f.lines.once.Do(func() { f.lines.l = diag.NewLines(f.Src) })
		l = f.lines.l
	}
	b, ok := l.Line(n)
	return string(b), ok
}

// otherBreaks reports whether the file breaks lines other than with \n
// or \r\n: yaml.v3 also breaks them at a lone \r, U+0085, U+2028 and
// U+2029, so its line numbers are not the file's lines.
func (f *File) otherBreaks() bool {
	if f.lines == nil {
		return hasOtherBreaks(f.Src)
	}
	f.lines.breaksOnce.Do(func() { f.lines.otherBreaks = hasOtherBreaks(f.Src) })
	return f.lines.otherBreaks
}

func hasOtherBreaks(src []byte) bool {
	for i := bytes.IndexByte(src, '\r'); i >= 0; {
		if i+1 == len(src) || src[i+1] != '\n' {
			return true
		}
		j := bytes.IndexByte(src[i+1:], '\r')
		if j < 0 {
			break
		}
		i += 1 + j
	}
	return bytes.Contains(src, []byte("\u0085")) || bytes.Contains(src, []byte("\u2028")) || bytes.Contains(src, []byte("\u2029"))
}

// leadingSpaces counts the spaces s starts with.
func leadingSpaces(s string) int {
	return len(s) - len(strings.TrimLeft(s, " "))
}

// runeCol returns the 1-based column, in characters, of byte index i of s.
func runeCol(s string, i int) int {
	return utf8.RuneCountInString(s[:i]) + 1
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

// anchorChar reports whether c can be part of an anchor's name as yaml.v3
// scans it (its is_alpha).
func anchorChar(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c == '-'
}
