package view

import (
	"bytes"
	"fmt"
	"io"
	"sort"
	"sync"
	"unicode/utf8"

	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"
)

// SafeWriter keeps text output from taking over a terminal. Events, vendor
// responses and flow files are other people's bytes: a displayMessage or
// an error body holding ESC ] 52 (set the clipboard), ESC [ 2 J (clear the
// screen) or a carriage return that overwrites a line must show as text,
// never act. SafeWriter escapes every control character but newline and
// tab — C0 and DEL as \xNN, C1 as \u0080…\u009f, invalid UTF-8 bytes as
// \xNN — and lets through only the exact colour sequences jml's own styles
// emit (SGRSequences), and those only while colour is on for the stream.
//
// Renderers write whole lines, so a sequence is never split across two
// writes (the same assumption as the secret redactor's).
type SafeWriter struct {
	mu sync.Mutex
	w  io.Writer
	// colour reports whether the stream has colour on (decided once the
	// flags are read).
	colour func() bool
	sgr    [][]byte
	buf    bytes.Buffer
}

// NewSafeWriter returns a SafeWriter on w.
func NewSafeWriter(w io.Writer, colour func() bool) *SafeWriter {
	var sgr [][]byte
	for _, s := range SGRSequences() {
		sgr = append(sgr, []byte(s))
	}
	return &SafeWriter{w: w, colour: colour, sgr: sgr}
}

// Write escapes p and writes it whole.
func (s *SafeWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.buf.Reset()
	colour := s.colour != nil && s.colour()
	for i := 0; i < len(p); {
		c := p[i]
		switch {
		case c == '\n' || c == '\t':
			s.buf.WriteByte(c)
			i++
			continue
		case c == 0x1b && colour:
			if n := s.sgrAt(p[i:]); n > 0 {
				s.buf.Write(p[i : i+n])
				i += n
				continue
			}
			fmt.Fprintf(&s.buf, `\x%02x`, c)
			i++
			continue
		case c < 0x20 || c == 0x7f:
			fmt.Fprintf(&s.buf, `\x%02x`, c)
			i++
			continue
		case c < utf8.RuneSelf:
			s.buf.WriteByte(c)
			i++
			continue
		}
		r, n := utf8.DecodeRune(p[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			fmt.Fprintf(&s.buf, `\x%02x`, c)
		case r >= 0x80 && r <= 0x9f:
			fmt.Fprintf(&s.buf, `\u%04x`, r)
		default:
			s.buf.Write(p[i : i+n])
		}
		i += n
	}
	if _, err := s.w.Write(s.buf.Bytes()); err != nil {
		return 0, err
	}
	return len(p), nil
}

func (s *SafeWriter) sgrAt(p []byte) int {
	for _, q := range s.sgr {
		if bytes.HasPrefix(p, q) {
			return len(q)
		}
	}
	return 0
}

var (
	sgrOnce sync.Once
	sgrSeqs []string
)

// SGRSequences are the escape sequences jml's styles emit with colour on:
// the start and end of each style, longest first.
func SGRSequences() []string {
	sgrOnce.Do(func() {
		r := lipgloss.NewRenderer(io.Discard)
		r.SetColorProfile(termenv.ANSI)
		st := NewStyles(r)
		seen := map[string]bool{}
		for _, style := range []lipgloss.Style{st.Error, st.Warning, st.Path, st.Code, st.Dim, st.Bold, st.OK} {
			out := style.Render("x")
			i := bytes.IndexByte([]byte(out), 'x')
			if i < 0 {
				continue
			}
			for _, seq := range []string{out[:i], out[i+1:]} {
				// A style may emit several sequences in a row: keep each.
				for _, part := range splitSGR(seq) {
					seen[part] = true
				}
			}
		}
		for s := range seen {
			sgrSeqs = append(sgrSeqs, s)
		}
		sort.Slice(sgrSeqs, func(i, j int) bool {
			if len(sgrSeqs[i]) != len(sgrSeqs[j]) {
				return len(sgrSeqs[i]) > len(sgrSeqs[j])
			}
			return sgrSeqs[i] < sgrSeqs[j]
		})
	})
	return sgrSeqs
}

// splitSGR splits a run of CSI … m sequences into each one.
func splitSGR(s string) []string {
	var out []string
	for len(s) > 0 {
		if len(s) < 2 || s[0] != 0x1b || s[1] != '[' {
			return out
		}
		end := 2
		for end < len(s) && s[end] != 'm' {
			end++
		}
		if end == len(s) {
			return out
		}
		out = append(out, s[:end+1])
		s = s[end+1:]
	}
	return out
}
