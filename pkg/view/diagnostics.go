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
// [code]` followed by the source line and a caret.
func DiagnosticsText(w io.Writer, ds diag.Diagnostics, src Sources, st Styles) {
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
		line, ok := lineOf(src(d.Range.File), d.Range.Start.Line)
		if !ok {
			continue
		}
		num := fmt.Sprintf("%d", d.Range.Start.Line)
		pad := strings.Repeat(" ", len(num))
		line = strings.ReplaceAll(line, "\t", " ")
		if d.Code == "literal-secret" {
			line = maskFrom(line, d.Range.Start.Column)
		}
		fmt.Fprintf(w, " %s %s %s\n", st.Dim.Render(num), st.Dim.Render("|"), line)
		col := d.Range.Start.Column
		if col < 1 {
			continue
		}
		if n := utf8.RuneCountInString(line); col > n+1 {
			col = n + 1
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

func lineOf(src []byte, n int) (string, bool) {
	if src == nil {
		return "", false
	}
	for i := 1; i < n; i++ {
		j := strings.IndexByte(string(src), '\n')
		if j < 0 {
			return "", false
		}
		src = src[j+1:]
	}
	s := string(src)
	if j := strings.IndexByte(s, '\n'); j >= 0 {
		s = s[:j]
	}
	return strings.TrimRight(s, "\r"), true
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
