package event

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"
)

// The scanner cuts a byte stream into JSON values without holding more
// than the value being cut: every top-level value, and every element of a
// top-level array (so that a System Log API dump of 200,000 events is
// streamed like NDJSON). It tracks line and column itself, so every error
// points at the character where the input goes wrong, and it knows how to
// carry on after bad input: in lines mode at the next line, elsewhere after
// the bad value when the value's extent is certain.
//
// Input is read with bufio.Reader.ReadSlice, a line (or a buffer-full
// chunk of a long line) at a time: lines have no length limit and a
// document written on one line is not read whole.

// mode says how the scanner treats line ends.
type mode int

const (
	// modeAuto decides after the first top-level value: modeLines when it
	// started and ended on one line (NDJSON), modeDoc otherwise.
	modeAuto mode = iota
	// modeLines is NDJSON: every top-level value must end on the line
	// where it starts, and after bad input the scanner goes on at the next
	// line.
	modeLines
	// modeDoc is a JSON document: one value (a LogEvent, an array of them,
	// a hook delivery) or several concatenated, laid out freely.
	modeDoc
)

type arrState int

const (
	arrFirst arrState = iota // after '[': an element or ']'
	arrComma                 // after an element: ',' or ']'
	arrElem                  // after ',': an element
)

type frameKind int

const (
	kindContainer frameKind = iota // an object or array, cut at its closing bracket
	kindString                     // a string, cut at its closing quote
	kindBare                       // a number, literal or garbage, cut at a delimiter
)

var utf8BOM = []byte("\xEF\xBB\xBF")

// value is one JSON value cut and parsed by the scanner.
type value struct {
	v         any // as decoded with UseNumber
	line, col int // where it starts; col in characters, 1-based
	top       bool
	first     bool // the source's first top-level value
	mode      mode // modeLines or modeDoc: how it was read
	// members counts the object members written in the value (the colons
	// outside strings). Fewer keys in the decoded objects than that means
	// a duplicate key, which encoding/json silently drops.
	members int
	// raw is the value's bytes, valid until the scanner's next call: only
	// read to point at a duplicate key.
	raw []byte
	// sk, when set, is the skim of a LogEvent the scanner's want turned
	// down; v is then nil.
	sk *skimmed
}

type scanner struct {
	r    *bufio.Reader
	name string
	mode mode

	chunk   []byte // the unconsumed rest of the last ReadSlice
	eof     bool   // r has nothing more
	done    bool   // no more values: input exhausted or abandoned
	started bool   // the byte-order-mark check is behind us

	line, col int // position of chunk[0]: 1-based line, characters consumed on it

	inArray         bool // inside a top-level array
	arr             arrState
	arrLine, arrCol int
	topCount        int  // top-level values started
	lineUsed        bool // lines mode: a top-level value ended on this line
	skipLine        bool // lines mode: drop the rest of the line after an error
	inFrame         bool // cutting a value into buf
	buf             []byte
	kind            frameKind
	depth           int
	members         int // colons outside strings in the value being cut
	inStr, esc      bool
	strNL           bool // a raw newline inside a string: the value's extent is unsure
	fLine, fCol     int
	fTop, fFirst    bool

	// skim, when set, skims the LogEvents Options.Want turns down instead
	// of decoding them.
	skim *skimState
}

func newScanner(r io.Reader, name string, m mode) *scanner {
	br, ok := r.(*bufio.Reader)
	if !ok || br.Size() < 64<<10 {
		br = bufio.NewReaderSize(r, 64<<10)
	}
	return &scanner{r: br, name: name, mode: m, line: 1}
}

// next returns the next value, io.EOF at the end, a *DecodeError for bad
// input (after which next may be called again), or an I/O error.
func (s *scanner) next() (value, error) {
	for {
		if s.done {
			return value{}, io.EOF
		}
		if len(s.chunk) == 0 {
			if s.eof {
				return s.atEOF()
			}
			if err := s.fill(); err != nil {
				return value{}, err
			}
			continue
		}
		if s.skipLine {
			i := bytes.IndexByte(s.chunk, '\n')
			if i < 0 {
				s.advance(len(s.chunk))
				continue
			}
			s.advance(i + 1)
			s.skipLine, s.lineUsed = false, false
			continue
		}
		if s.inFrame {
			complete, err := s.scanFrame()
			if err != nil {
				return value{}, err
			}
			if complete {
				v, err := s.finishFrame()
				if err != nil {
					return value{}, err
				}
				return v, nil
			}
			continue
		}
		if err := s.structural(); err != nil {
			return value{}, err
		}
	}
}

// fill reads the next line, or the next buffer-full of a long line.
func (s *scanner) fill() error {
	c, err := s.r.ReadSlice('\n')
	switch {
	case err == nil || errors.Is(err, bufio.ErrBufferFull):
	case errors.Is(err, io.EOF):
		s.eof = true
	default:
		s.done = true
		return fmt.Errorf("reading %s: %w", s.name, err)
	}
	if !s.started {
		s.started = true
		c = bytes.TrimPrefix(c, utf8BOM)
	}
	s.chunk = c
	return nil
}

// advance consumes n bytes of chunk, keeping line and column.
func (s *scanner) advance(n int) {
	s.line, s.col = movePos(s.chunk[:n], s.line, s.col)
	s.chunk = s.chunk[n:]
}

// movePos returns the line and column after b, starting at line and col
// (the characters already on that line).
func movePos(b []byte, line, col int) (int, int) {
	if n := bytes.Count(b, newline); n > 0 {
		line += n
		col = 0
		b = b[bytes.LastIndexByte(b, '\n')+1:]
	}
	return line, col + charStarts(b)
}

// charStarts counts the bytes of b that start a character, eight at a
// time while they are ASCII. Counting them rather than decoding runes
// keeps a chunk of a long line that ends inside a character right.
func charStarts(b []byte) int {
	n := 0
	for ; len(b) >= 8; b = b[8:] {
		if binary.LittleEndian.Uint64(b)&0x8080808080808080 == 0 {
			n += 8
			continue
		}
		for _, c := range b[:8] {
			if c&0xC0 != 0x80 {
				n++
			}
		}
	}
	for _, c := range b {
		if c&0xC0 != 0x80 {
			n++
		}
	}
	return n
}

var newline = []byte{'\n'}

// take appends n bytes of chunk to the value being cut and consumes them.
func (s *scanner) take(n int) {
	s.buf = append(s.buf, s.chunk[:n]...)
	s.advance(n)
}

// fail reports bad input at line:col. In lines mode the scanner then goes
// on at the next line. Otherwise it goes on after the bad value when the
// value was cut cleanly (local), and gives up on the source when not.
func (s *scanner) fail(line, col int, local bool, format string, args ...any) *DecodeError {
	err := &DecodeError{File: s.name, Line: line, Column: col, Msg: fmt.Sprintf(format, args...)}
	if local && s.mode != modeLines {
		return err
	}
	s.inFrame, s.inArray = false, false
	if s.mode == modeLines {
		s.skipLine = true
	} else {
		s.done = true
	}
	return err
}

func isSpace(b byte) bool { return b == ' ' || b == '\t' || b == '\r' || b == '\n' }

// structural handles the byte at chunk[0] outside of any value.
func (s *scanner) structural() error {
	b := s.chunk[0]
	line, col := s.line, s.col+1
	if b == '\n' && s.mode == modeLines {
		if s.inArray {
			return s.fail(line, col, false, "unexpected end of line in a JSON array (NDJSON holds one complete value per line)")
		}
		s.lineUsed = false
		s.advance(1)
		return nil
	}
	if isSpace(b) {
		s.advance(1)
		return nil
	}
	if s.inArray {
		switch s.arr {
		case arrFirst:
			if b == ']' {
				s.closeArray()
				return nil
			}
			if b == ',' {
				return s.fail(line, col, false, "unexpected ',' at the start of an array")
			}
		case arrComma:
			switch b {
			case ',':
				s.arr = arrElem
				s.advance(1)
				return nil
			case ']':
				s.closeArray()
				return nil
			}
			return s.fail(line, col, false, "expected ',' or ']' after an array element, found %s", quoteByte(b))
		case arrElem:
			if b == ']' || b == ',' {
				return s.fail(line, col, false, "expected an array element after ',', found %s", quoteByte(b))
			}
		}
		s.startFrame(false)
		return nil
	}
	if s.mode == modeLines && s.lineUsed {
		return s.fail(line, col, false, "unexpected %s after the JSON value (NDJSON holds one value per line)", quoteByte(b))
	}
	switch b {
	case '[':
		s.topCount++
		s.inArray, s.arr = true, arrFirst
		s.arrLine, s.arrCol = line, col
		s.advance(1)
		return nil
	case ']', '}', ',', ':':
		return s.fail(line, col, false, "unexpected %s", quoteByte(b))
	}
	s.startFrame(true)
	return nil
}

func (s *scanner) closeArray() {
	s.advance(1)
	s.inArray = false
	s.topEnded(s.arrLine)
}

// topEnded is called when a top-level value that started on startLine has
// ended at the current position.
func (s *scanner) topEnded(startLine int) {
	if s.mode == modeAuto {
		if startLine == s.line {
			s.mode = modeLines
		} else {
			s.mode = modeDoc
		}
	}
	if s.mode == modeLines {
		s.lineUsed = true
	}
}

func (s *scanner) startFrame(top bool) {
	if cap(s.buf) > 1<<20 {
		s.buf = nil // do not keep one huge event's buffer for the rest of the stream
	}
	s.inFrame = true
	s.buf = s.buf[:0]
	s.fLine, s.fCol = s.line, s.col+1
	s.fTop, s.fFirst = top, false
	if top {
		s.topCount++
		s.fFirst = s.topCount == 1
	}
	s.depth, s.members, s.inStr, s.esc, s.strNL = 0, 0, false, false, false
	switch s.chunk[0] {
	case '{', '[':
		s.kind = kindContainer
	case '"':
		s.kind = kindString
		s.inStr = true
		s.take(1)
	default:
		s.kind = kindBare
		s.take(1) // at least one byte, whatever it is, so the scanner always moves on
	}
}

// scanFrame cuts as much of the current value as chunk holds. It reports
// whether the value is complete.
func (s *scanner) scanFrame() (bool, error) {
	c := s.chunk
	if s.kind == kindBare {
		i := 0
		for i < len(c) && isBareByte(c[i]) {
			i++
		}
		s.take(i)
		return len(s.chunk) > 0, nil
	}
	for i := 0; i < len(c); i++ {
		for !s.esc && i < len(c) && !special[c[i]] {
			i++ // most bytes of an event are neither quotes, brackets, escapes nor line ends
		}
		if i == len(c) {
			break
		}
		b := c[i]
		if s.inStr {
			switch {
			case s.esc:
				s.esc = false
			case b == '\\':
				s.esc = true
			case b == '"':
				s.inStr = false
				if s.kind == kindString {
					s.take(i + 1)
					return true, nil
				}
			case b == '\n':
				// A raw newline is never valid inside a JSON string. In
				// NDJSON it ends the line's value; in a sniffed source it
				// means the first line was meant to be a whole value.
				if s.mode == modeAuto && s.fFirst {
					s.mode = modeLines
				}
				if s.mode == modeLines {
					s.take(i)
					return false, s.endOfLine()
				}
				s.strNL = true
			}
			continue
		}
		switch b {
		case '"':
			s.inStr = true
		case '{', '[':
			s.depth++
		case '}', ']':
			s.depth--
			if s.depth == 0 {
				s.take(i + 1)
				return true, nil
			}
		case ':':
			s.members++
		case '\n':
			if s.mode == modeLines {
				s.take(i)
				return false, s.endOfLine()
			}
		}
	}
	s.take(len(c))
	return false, nil
}

// special marks the bytes scanFrame must look at.
var special = [256]bool{'"': true, '\\': true, '{': true, '}': true, '[': true, ']': true, '\n': true, ':': true}

// isBareByte reports whether b can continue a number or literal.
func isBareByte(b byte) bool {
	return 'a' <= b && b <= 'z' || 'A' <= b && b <= 'Z' || '0' <= b && b <= '9' || b == '+' || b == '-' || b == '.'
}

// endOfLine reports a value that a line end cut short in lines mode:
// at its first syntax error if it has one before that, else at the line end.
func (s *scanner) endOfLine() error {
	if line, col, msg, ok := s.firstSyntaxError(); ok {
		return s.fail(line, col, false, "%s", msg)
	}
	return s.fail(s.line, s.col+1, false, "unexpected end of line in a JSON value (NDJSON holds one complete value per line)")
}

func (s *scanner) atEOF() (value, error) {
	switch {
	case s.inFrame && s.kind == kindBare:
		return s.finishFrame()
	case s.inFrame:
		if line, col, msg, ok := s.firstSyntaxError(); ok {
			return value{}, s.fail(line, col, false, "%s", msg)
		}
		return value{}, s.fail(s.line, s.col+1, false, "unexpected end of input in a JSON value that starts at %d:%d", s.fLine, s.fCol)
	case s.inArray:
		return value{}, s.fail(s.line, s.col+1, false, "unexpected end of input in the JSON array that starts at %d:%d", s.arrLine, s.arrCol)
	}
	s.done = true
	return value{}, io.EOF
}

// firstSyntaxError looks for a syntax error in the incomplete value in buf.
func (s *scanner) firstSyntaxError() (line, col int, msg string, ok bool) {
	_, idx, msg, err := parseJSON(s.buf)
	if err == nil || errors.Is(err, io.ErrUnexpectedEOF) {
		return 0, 0, "", false
	}
	line, col = s.posIn(idx)
	return line, col, msg, true
}

// finishFrame parses the value just cut.
func (s *scanner) finishFrame() (value, error) {
	s.inFrame = false
	if s.fTop {
		s.topEnded(s.fLine)
	} else {
		s.arr = arrComma
	}
	data := s.buf
	if !utf8.Valid(data) {
		line, col := s.posIn(firstInvalidUTF8(data))
		// The bad bytes cannot be structural, so the value's extent is sure.
		return value{}, s.fail(line, col, true, "invalid UTF-8")
	}
	m := s.mode
	if m == modeAuto {
		m = modeDoc // a first array's elements, before the array ends
	}
	if s.skim != nil && len(data) > 0 && data[0] == '{' {
		if k, ok := s.skim.skim(data); ok {
			return value{sk: &k, line: s.fLine, col: s.fCol, top: s.fTop, first: s.fFirst, mode: m}, nil
		}
	}
	v, idx, msg, err := parseJSON(data)
	if err != nil {
		line, col := s.posIn(idx)
		// A cleanly cut value is skipped alone; one with a broken string
		// may have swallowed what follows, so the source is given up.
		return value{}, s.fail(line, col, !s.strNL, "%s", msg)
	}
	return value{v: v, line: s.fLine, col: s.fCol, top: s.fTop, first: s.fFirst, mode: m, members: s.members, raw: data}, nil
}

// posIn converts a byte index into the value being cut into a position.
func (s *scanner) posIn(idx int) (line, col int) {
	idx = max(0, min(idx, len(s.buf)))
	line, col = movePos(s.buf[:idx], s.fLine, s.fCol-1)
	return line, col + 1
}

func firstInvalidUTF8(b []byte) int {
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n <= 1 {
			return i
		}
		i += n
	}
	return len(b)
}

// parseJSON decodes exactly one JSON value (numbers as json.Number). On
// failure it returns the byte index of the offending character and a
// message.
func parseJSON(data []byte) (v any, idx int, msg string, err error) {
	d := json.NewDecoder(bytes.NewReader(data))
	d.UseNumber()
	if err = d.Decode(&v); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			// Offset counts the bytes read, the bad one included.
			return nil, int(se.Offset) - 1, "malformed JSON: " + se.Error(), err
		}
		if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
			return nil, len(data), "malformed JSON: unexpected end of JSON input", io.ErrUnexpectedEOF
		}
		return nil, 0, "malformed JSON: " + err.Error(), err
	}
	if off := int(d.InputOffset()); off < len(data) {
		rest := bytes.TrimLeft(data[off:], " \t\r\n")
		if len(rest) > 0 {
			i := len(data) - len(rest)
			return nil, i, fmt.Sprintf("malformed JSON: invalid character %s after value", quoteByte(data[i])), errTrailing
		}
	}
	return v, 0, "", nil
}

var errTrailing = errors.New("trailing data")

// quoteByte renders an input byte for a message.
func quoteByte(b byte) string {
	if b < utf8.RuneSelf && b >= 0x20 && b != 0x7f {
		return fmt.Sprintf("'%c'", b)
	}
	return fmt.Sprintf("byte 0x%02x", b)
}
