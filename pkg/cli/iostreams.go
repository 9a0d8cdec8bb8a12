package cli

import (
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/charmbracelet/lipgloss"
	"github.com/mattn/go-isatty"
	"github.com/muesli/termenv"

	"github.com/jml-dev/jml/pkg/effect"
	"github.com/jml-dev/jml/pkg/view"
)

// IOStreams are the standard streams of one invocation, with what is known
// about them.
type IOStreams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer
	// InTTY, OutTTY and ErrTTY say whether each stream is a terminal.
	InTTY, OutTTY, ErrTTY bool
	// Getenv reads the environment (os.Getenv in production).
	Getenv func(string) string
	// WorkDir is the working directory.
	WorkDir string
	// rawErr is standard error before Run made it terminal-safe: for the
	// progress line's carriage return, which is jml's own.
	rawErr io.Writer
}

// makeSafe wraps Out and ErrOut so that no control character or escape
// sequence from events, vendors or flow files reaches a terminal raw
// (view.SafeWriter); colour is read from --color once the flags are.
func (s *IOStreams) makeSafe(color *string) {
	if _, ok := s.Out.(*view.SafeWriter); ok {
		return
	}
	s.rawErr = s.ErrOut
	s.Out = view.NewSafeWriter(s.Out, func() bool { return s.colorEnabled(*color, s.OutTTY) })
	s.ErrOut = view.NewSafeWriter(s.ErrOut, func() bool { return s.colorEnabled(*color, s.ErrTTY) })
}

// Path resolves a path the user gave (a flag or an argument) against
// WorkDir, so that a command run in-process reads the same files as the
// same command run from a shell in WorkDir. "" and "-" stay as they are.
func (s *IOStreams) Path(p string) string {
	if p == "" || p == "-" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(s.WorkDir, p)
}

// System returns the process's streams.
func System() *IOStreams {
	wd, _ := os.Getwd()
	return &IOStreams{
		In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr,
		InTTY:   isTerminal(os.Stdin),
		OutTTY:  isTerminal(os.Stdout),
		ErrTTY:  isTerminal(os.Stderr),
		Getenv:  os.Getenv,
		WorkDir: wd,
	}
}

func isTerminal(f *os.File) bool {
	return isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd())
}

// Test returns streams backed by buffers, for in-process tests.
func Test() (s *IOStreams, in, out, errOut *bytes.Buffer) {
	in, out, errOut = &bytes.Buffer{}, &bytes.Buffer{}, &bytes.Buffer{}
	wd, _ := os.Getwd()
	return &IOStreams{In: in, Out: out, ErrOut: errOut, Getenv: func(string) string { return "" }, WorkDir: wd}, in, out, errOut
}

// colorEnabled decides colour for one stream, once: --color always/never
// win; with auto, NO_COLOR and CLICOLOR=0 turn it off, CLICOLOR_FORCE
// turns it on, and otherwise it follows whether the stream is a terminal.
func (s *IOStreams) colorEnabled(mode string, tty bool) bool {
	switch mode {
	case "always":
		return true
	case "never":
		return false
	}
	if s.Getenv("NO_COLOR") != "" {
		return false
	}
	if v := s.Getenv("CLICOLOR_FORCE"); v != "" && v != "0" {
		return true
	}
	if s.Getenv("CLICOLOR") == "0" {
		return false
	}
	return tty && s.Getenv("TERM") != "dumb"
}

// styles returns the styles for a stream.
func (s *IOStreams) styles(w io.Writer, mode string, tty bool) view.Styles {
	r := lipgloss.NewRenderer(w)
	if s.colorEnabled(mode, tty) {
		r.SetColorProfile(termenv.ANSI)
	} else {
		r.SetColorProfile(termenv.Ascii)
	}
	return view.NewStyles(r)
}

// sandboxURL is the --sandbox flag's value, or $JML_SANDBOX_URL when the
// flag is not given: every command that can point its connectors at a jml
// sandbox reads it through here.
func sandboxURL(io *IOStreams, flag string) string {
	if flag != "" {
		return flag
	}
	return io.Getenv("JML_SANDBOX_URL")
}

// serviceLog is the log of a long-running command (serve, worker) on
// standard error, in --log-format (text or json, checkLogFormat), every
// secret the command holds redacted.
func serviceLog(io *IOStreams, format string, secrets *effect.Redactor) *slog.Logger {
	errOut := newRedactor(io.ErrOut, secrets)
	if format == "json" {
		return slog.New(slog.NewJSONHandler(errOut, nil))
	}
	return slog.New(slog.NewTextHandler(errOut, nil))
}

// checkLogFormat is the one check of --log-format (serve, worker).
func checkLogFormat(f string) error {
	if f != "text" && f != "json" {
		return usageError{fmt.Errorf("--log-format must be text or json, not %q", f)}
	}
	return nil
}
