package diag

import (
	"fmt"
	"sort"
	"strings"
)

// Severity says how bad a diagnostic is.
type Severity int

// The severities, most severe first.
const (
	Error Severity = iota
	Warning
)

// String returns "error" or "warning".
func (s Severity) String() string {
	if s == Warning {
		return "warning"
	}
	return "error"
}

// MarshalText renders the severity for JSON.
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText reads what MarshalText wrote.
func (s *Severity) UnmarshalText(b []byte) error {
	switch string(b) {
	case "error":
		*s = Error
	case "warning":
		*s = Warning
	default:
		return fmt.Errorf("unknown severity %q", b)
	}
	return nil
}

// Pos is a position in a source file. Line and Column are 1-based; a zero
// Line means "the whole file".
type Pos struct {
	Line   int `json:"line"`
	Column int `json:"column"`
}

// Range is a span in one file. End may be zero when only the start is known.
type Range struct {
	File  string `json:"file"`
	Start Pos    `json:"start"`
	End   Pos    `json:"end"`
}

// String renders the range as file:line:col.
func (r Range) String() string {
	switch {
	case r.File == "":
		return "<unknown>"
	case r.Start.Line == 0:
		return r.File
	case r.Start.Column == 0:
		return fmt.Sprintf("%s:%d", r.File, r.Start.Line)
	}
	return fmt.Sprintf("%s:%d:%d", r.File, r.Start.Line, r.Start.Column)
}

// Diagnostic is one problem found in the input.
type Diagnostic struct {
	Severity Severity `json:"severity"`
	Code     string   `json:"code"`
	Message  string   `json:"message"`
	Range    Range    `json:"range"`
	// Detail is optional extra text (a hint, a did-you-mean).
	Detail string `json:"detail,omitempty"`
}

// Error makes a Diagnostic usable as an error.
func (d Diagnostic) Error() string {
	return fmt.Sprintf("%s: %s: %s [%s]", d.Range, d.Severity, d.Message, d.Code)
}

// Diagnostics is a list of diagnostics, as every phase returns.
type Diagnostics []Diagnostic

// Errorf appends an error diagnostic.
func (ds *Diagnostics) Errorf(r Range, code, format string, args ...any) {
	*ds = append(*ds, Diagnostic{Severity: Error, Code: code, Message: fmt.Sprintf(format, args...), Range: r})
}

// Warnf appends a warning diagnostic.
func (ds *Diagnostics) Warnf(r Range, code, format string, args ...any) {
	*ds = append(*ds, Diagnostic{Severity: Warning, Code: code, Message: fmt.Sprintf(format, args...), Range: r})
}

// Add appends diagnostics.
func (ds *Diagnostics) Add(more ...Diagnostic) { *ds = append(*ds, more...) }

// HasErrors reports whether any diagnostic is an error.
func (ds Diagnostics) HasErrors() bool {
	for _, d := range ds {
		if d.Severity == Error {
			return true
		}
	}
	return false
}

// Count returns the number of errors and warnings.
func (ds Diagnostics) Count() (errors, warnings int) {
	for _, d := range ds {
		if d.Severity == Error {
			errors++
		} else {
			warnings++
		}
	}
	return errors, warnings
}

// Err returns the diagnostics as an error when there are errors, else nil.
func (ds Diagnostics) Err() error {
	if ds.HasErrors() {
		return ErrorList(ds)
	}
	return nil
}

// ErrorList is an error holding diagnostics.
type ErrorList Diagnostics

// Error joins the diagnostics one a line.
func (e ErrorList) Error() string {
	var b strings.Builder
	for i, d := range e {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(d.Error())
	}
	return b.String()
}

func less(a, b Diagnostic) bool {
	if a.Range.File != b.Range.File {
		return a.Range.File < b.Range.File
	}
	if a.Range.Start.Line != b.Range.Start.Line {
		return a.Range.Start.Line < b.Range.Start.Line
	}
	if a.Range.Start.Column != b.Range.Start.Column {
		return a.Range.Start.Column < b.Range.Start.Column
	}
	if a.Severity != b.Severity {
		return a.Severity < b.Severity
	}
	if a.Code != b.Code {
		return a.Code < b.Code
	}
	return a.Message < b.Message
}

// Normalize sorts the diagnostics by file, position, severity, code and
// message, removes exact duplicates (same range start, code and message) and
// keeps at most max of them (max <= 0 keeps all). It reports how many were
// dropped by the cap.
func (ds Diagnostics) Normalize(max int) (Diagnostics, int) {
	out := make(Diagnostics, len(ds))
	copy(out, ds)
	sort.SliceStable(out, func(i, j int) bool { return less(out[i], out[j]) })
	w := 0
	for i, d := range out {
		if i > 0 {
			p := out[w-1]
			if p.Range.File == d.Range.File && p.Range.Start == d.Range.Start && p.Code == d.Code && p.Message == d.Message {
				continue
			}
		}
		out[w] = d
		w++
	}
	out = out[:w]
	dropped := 0
	if max > 0 && len(out) > max {
		dropped = len(out) - max
		out = out[:max]
	}
	return out, dropped
}
