package view

import (
	"bytes"
	"io"
	"strings"
	"testing"

	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"
)

func TestSafeWriter(t *testing.T) {
	r := lipgloss.NewRenderer(io.Discard)
	r.SetColorProfile(termenv.ANSI)
	red := NewStyles(r).Error.Render("error:")
	if !strings.Contains(red, "\x1b[") {
		t.Fatalf("the probe style has no colour: %q", red)
	}
	tests := []struct {
		name, in string
		colour   bool
		want     string
	}{
		{"plain text and unicode pass", "john.doe@acme.com ✓ café\ttab\n", false, "john.doe@acme.com ✓ café\ttab\n"},
		{"OSC 52 (clipboard) is shown, not run", "x\x1b]52;c;ZXZpbA==\x07y", false, `x\x1b]52;c;ZXZpbA==\x07y`},
		{"clear screen", "\x1b[2J\x1b[H", true, `\x1b[2J\x1b[H`},
		{"carriage return cannot overwrite a line", "deactivate ceo\rok            ", false, `deactivate ceo\x0dok            `},
		{"C1 CSI", "a\u009b31mb", false, `a\u009b31mb`},
		{"invalid UTF-8", "a\xffb", false, `a\xffb`},
		{"NUL, BEL, DEL", "\x00\x07\x7f", false, `\x00\x07\x7f`},
		{"our colour passes with colour on", red + " boom\n", true, red + " boom\n"},
		{"our colour is escaped with colour off", red, false, strings.ReplaceAll(red, "\x1b", `\x1b`)},
		{"conceal (SGR 8) is not ours", "\x1b[8mhidden", true, `\x1b[8mhidden`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			w := NewSafeWriter(&b, func() bool { return tt.colour })
			n, err := w.Write([]byte(tt.in))
			if err != nil || n != len(tt.in) {
				t.Fatalf("Write: %d, %v", n, err)
			}
			if b.String() != tt.want {
				t.Errorf("got %q, want %q", b.String(), tt.want)
			}
		})
	}
}
