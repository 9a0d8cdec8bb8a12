package view

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/jml-dev/jml/pkg/diag"
)

// Sources gives the bytes of a file by its display path, for snippets.
type Sources func(path string) []byte

// DiagnosticsText writes diagnostics as `path:line:col: severity: message
// [code]` followed by the source line and a caret. A line longer than
// SnippetWidth characters is cut to a window around the column.
func DiagnosticsText(w io.Writer, ds diag.Diagnostics, src Sources, st Styles) {
	// Each file's lines are indexed once, at its first snippet: many
	// diagnostics in a long file stay linear in its size.
	index := map[string]*diag.Lines{}
	for _, d := range ds {
		sev := st.Error.Render("error")
		if d.Severity == diag.Warning {
			sev = st.Warning.Render("warning")
		}
		fmt.Fprintf(w, "%s: %s: %s %s\n", st.Path.Render(d.Range.String()), sev, d.Message, st.Code.Render("["+d.Code+"]"))
		if d.Detail != "" {
			fmt.Fprintf(w, "    %s\n", st.Dim.Render(d.Detail))
		}
		if src == nil || d.Range.Start.Line == 0 {
			continue
		}
		lines, seen := index[d.Range.File]
		if !seen {
			if b := src(d.Range.File); b != nil {
				lines = diag.NewLines(b)
			}
			index[d.Range.File] = lines
		}
		raw, ok := lines.Line(d.Range.Start.Line)
		if !ok {
			continue
		}
		line, col := snippet(raw, d.Range.Start.Column, d.Code == "literal-secret")
		num := fmt.Sprintf("%d", d.Range.Start.Line)
		pad := strings.Repeat(" ", len(num))
		fmt.Fprintf(w, " %s %s %s\n", st.Dim.Render(num), st.Dim.Render("|"), line)
		if col < 1 {
			continue
		}
		caret := "^"
		if d.Severity == diag.Warning {
			caret = st.Warning.Render(caret)
		} else {
			caret = st.Error.Render(caret)
		}
		fmt.Fprintf(w, " %s %s %s%s\n", pad, st.Dim.Render("|"), strings.Repeat(" ", col-1), caret)
	}
}

// SnippetWidth is the most characters of a source line that a snippet
// shows: a longer line (a minified document, a 600 KB string) is cut to a
// window around the column, with … where it was cut.
const SnippetWidth = 160

// snippet returns the text shown for source line raw, and the column of
// the caret in that text (0: no caret). col is the diagnostic's 1-based
// column in characters; mask hides the line from col on (the snippet of a
// literal secret). A tab shows as one space, so that the caret lines up.
func snippet(raw []byte, col int, mask bool) (string, int) {
	n := utf8.RuneCount(raw)
	if col > n+1 {
		col = n + 1
	}
	start, end := 0, len(raw)
	prefix, suffix := "", ""
	if n > SnippetWidth {
		// Only the window is copied. The column sits a third of the way
		// in: what leads up to the problem, and what follows it.
		skip := 0
		if col > 0 {
			skip = min(max(0, col-1-SnippetWidth/3), n-SnippetWidth)
		}
		if skip > 0 {
			start = diag.ByteIndex(raw, skip+1)
			prefix = "…"
			col = col - skip + 1 // the … takes one column
		}
		if e := diag.ByteIndex(raw[start:], SnippetWidth+1); e >= 0 && start+e < len(raw) {
			end = start + e
			suffix = "…"
		}
	}
	text := prefix + strings.ReplaceAll(string(raw[start:end]), "\t", " ") + suffix
	if mask {
		text = maskFrom(text, col)
	}
	return text, max(col, 0)
}

// JSONDiagnostic is the stable JSON form of a diagnostic.
type JSONDiagnostic struct {
	File     string    `json:"file"`
	Range    JSONRange `json:"range"`
	Severity string    `json:"severity"`
	Code     string    `json:"code"`
	Message  string    `json:"message"`
	Detail   string    `json:"detail,omitempty"`
}

// JSONRange is a start and end position; end equals start when only the
// start is known.
type JSONRange struct {
	Start diag.Pos `json:"start"`
	End   diag.Pos `json:"end"`
}

// ToJSON converts diagnostics to their JSON form.
func ToJSON(ds diag.Diagnostics) []JSONDiagnostic {
	out := make([]JSONDiagnostic, 0, len(ds))
	for _, d := range ds {
		end := d.Range.End
		if end.Line == 0 {
			end = d.Range.Start
		}
		out = append(out, JSONDiagnostic{File: d.Range.File, Range: JSONRange{Start: d.Range.Start, End: end},
			Severity: d.Severity.String(), Code: d.Code, Message: d.Message, Detail: d.Detail})
	}
	return out
}

// DiagnosticsJSON writes diagnostics as one JSON array.
func DiagnosticsJSON(w io.Writer, ds diag.Diagnostics) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(ToJSON(ds))
}

// DiagnosticsGitHub writes diagnostics as GitHub Actions workflow commands
// (::error file=…,line=…,col=…,title=…::message), which GitHub shows as
// annotations on the pull request.
func DiagnosticsGitHub(w io.Writer, ds diag.Diagnostics) {
	for _, d := range ds {
		cmd := "error"
		if d.Severity == diag.Warning {
			cmd = "warning"
		}
		props := []string{"file=" + ghProp(d.Range.File)}
		if d.Range.Start.Line > 0 {
			props = append(props, fmt.Sprintf("line=%d", d.Range.Start.Line))
		}
		if d.Range.Start.Column > 0 {
			props = append(props, fmt.Sprintf("col=%d", d.Range.Start.Column))
		}
		props = append(props, "title="+ghProp("jml "+d.Code))
		fmt.Fprintf(w, "::%s %s::%s\n", cmd, strings.Join(props, ","), ghData(d.Message+" ["+d.Code+"]"))
	}
}

func ghData(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A").Replace(s)
}

func ghProp(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C").Replace(s)
}

// maskFrom replaces the line from column col (1-based, in runes) on with
// ***: the snippet of a literal-secret diagnostic must not print the
// secret it is about (CI logs keep validate's output).
func maskFrom(line string, col int) string {
	if col < 1 {
		return "***"
	}
	r := []rune(line)
	if col-1 >= len(r) {
		return line
	}
	return string(r[:col-1]) + "***"
}
