package view

import (
	"bytes"
	"encoding/json"
	"flag"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"

	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"

	"github.com/jml-dev/jml/pkg/diag"
)

var update = flag.Bool("update", false, "rewrite golden files")

// golden compares got with testdata/NAME.golden, or rewrites it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("missing golden file (run with -update): %v", err)
	}
	if got != string(want) {
		t.Errorf("output differs from %s (run with -update to accept):\n--- got\n%s--- want\n%s", path, got, want)
	}
}

var testSources = map[string]string{
	"flows/leaver.yaml": "apiVersion: jml/v1\n" +
		"kind: Flow\n" +
		"name: leaver\n" +
		"\tbad: tab-indented\n" +
		"steps: [a]\n" +
		"é: \"ü ${{ usr.id }}\"\n" +
		"crlf: x\r\n" +
		"a\n" + "b\n" + "c\n" + "d\n" +
		"  - halt: line twelve\n",
	// Line 1 is 600,000 characters, with é every 1,000 (so that byte and
	// character offsets differ); line 2 is a tab and then 200.
	"flows/long.yaml": strings.Repeat(strings.Repeat("x", 999)+"é", 600) + "\n\t" + strings.Repeat("y", 200) + "\n",
}

func sources(path string) []byte {
	s, ok := testSources[path]
	if !ok {
		return nil
	}
	return []byte(s)
}

func longRange(line, col int) diag.Range {
	return diag.Range{File: "flows/long.yaml", Start: diag.Pos{Line: line, Column: col}}
}

func rng(line, col int) diag.Range {
	return diag.Range{File: "flows/leaver.yaml", Start: diag.Pos{Line: line, Column: col}}
}

func TestDiagnosticsText(t *testing.T) {
	cases := []struct {
		name string
		ds   diag.Diagnostics
		src  Sources
	}{
		{
			name: "error with snippet and caret",
			ds:   diag.Diagnostics{{Severity: diag.Error, Code: "invalid-name", Message: `name "leaver" is bad`, Range: rng(3, 7)}},
			src:  sources,
		},
		{
			name: "warning with detail",
			ds:   diag.Diagnostics{{Severity: diag.Warning, Code: "unused-var", Message: "vars.x is never read", Detail: "remove it or use it", Range: rng(2, 1)}},
			src:  sources,
		},
		{
			name: "tab in the line",
			ds:   diag.Diagnostics{{Severity: diag.Error, Code: "unknown-field", Message: "unknown field bad", Range: rng(4, 2)}},
			src:  sources,
		},
		{
			name: "column past the end of the line",
			ds:   diag.Diagnostics{{Severity: diag.Error, Code: "expr-syntax", Message: "unexpected end", Range: rng(5, 40)}},
			src:  sources,
		},
		{
			name: "multi-byte characters before the column",
			ds:   diag.Diagnostics{{Severity: diag.Error, Code: "undefined-variable", Message: `undefined variable "usr"`, Range: rng(6, 11)}},
			src:  sources,
		},
		{
			name: "CRLF line",
			ds:   diag.Diagnostics{{Severity: diag.Error, Code: "x", Message: "m", Range: rng(7, 7)}},
			src:  sources,
		},
		{
			name: "two-digit line number",
			ds:   diag.Diagnostics{{Severity: diag.Error, Code: "x", Message: "m", Range: rng(12, 5)}},
			src:  sources,
		},
		{
			name: "line without column: snippet, no caret",
			ds:   diag.Diagnostics{{Severity: diag.Error, Code: "x", Message: "m", Range: diag.Range{File: "flows/leaver.yaml", Start: diag.Pos{Line: 1}}}},
			src:  sources,
		},
		{
			name: "whole file: no snippet",
			ds:   diag.Diagnostics{{Severity: diag.Error, Code: "read-error", Message: "cannot read file", Range: diag.Range{File: "flows/leaver.yaml"}}},
			src:  sources,
		},
		{
			name: "line past the end of the file: no snippet",
			ds:   diag.Diagnostics{{Severity: diag.Error, Code: "x", Message: "m", Range: rng(99, 1)}},
			src:  sources,
		},
		{
			name: "unknown file: no snippet",
			ds:   diag.Diagnostics{{Severity: diag.Error, Code: "x", Message: "m", Range: diag.Range{File: "other.yaml", Start: diag.Pos{Line: 1, Column: 1}}}},
			src:  sources,
		},
		{
			name: "no sources",
			ds:   diag.Diagnostics{{Severity: diag.Error, Code: "x", Message: "m", Range: rng(3, 1)}},
		},
		{
			name: "several",
			ds: diag.Diagnostics{
				{Severity: diag.Error, Code: "a", Message: "first", Range: rng(1, 1)},
				{Severity: diag.Warning, Code: "b", Message: "second", Range: rng(3, 7)},
				{Severity: diag.Error, Code: "c", Message: "third", Range: diag.Range{}},
			},
			src: sources,
		},
		{name: "none", ds: nil, src: sources},
		{
			name: "long line cut around the column",
			ds:   diag.Diagnostics{{Severity: diag.Error, Code: "x", Message: "m", Range: longRange(1, 300_000)}},
			src:  sources,
		},
		{
			name: "long line, column near the start",
			ds:   diag.Diagnostics{{Severity: diag.Error, Code: "x", Message: "m", Range: longRange(1, 10)}},
			src:  sources,
		},
		{
			name: "long line, column at the end",
			ds:   diag.Diagnostics{{Severity: diag.Error, Code: "x", Message: "m", Range: longRange(1, 600_001)}},
			src:  sources,
		},
		{
			name: "long line without a column",
			ds:   diag.Diagnostics{{Severity: diag.Error, Code: "x", Message: "m", Range: diag.Range{File: "flows/long.yaml", Start: diag.Pos{Line: 1}}}},
			src:  sources,
		},
		{
			name: "long line with a tab, column past the end",
			ds:   diag.Diagnostics{{Severity: diag.Error, Code: "x", Message: "m", Range: longRange(2, 500)}},
			src:  sources,
		},
		{
			name: "long line, literal secret masked",
			ds:   diag.Diagnostics{{Severity: diag.Error, Code: "literal-secret", Message: "m", Range: longRange(1, 300_000)}},
			src:  sources,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			DiagnosticsText(&b, tc.ds, tc.src, Styles{})
			golden(t, filepath.Join("text", goldenName(tc.name)), b.String())
			checkCaret(t, b.String())
		})
	}
}

// checkCaret checks, independently of the golden file, that a caret line
// puts its ^ under the column the header names.
func checkCaret(t *testing.T, out string) {
	t.Helper()
	header := regexp.MustCompile(`^\S+:(\d+):(\d+): `)
	lines := strings.Split(out, "\n")
	for i, l := range lines {
		m := header.FindStringSubmatch(l)
		if m == nil || i+2 >= len(lines) || !strings.Contains(lines[i+2], "^") {
			continue
		}
		snippet, caret := lines[i+1], lines[i+2]
		bar := strings.Index(snippet, "| ")
		if bar < 0 || strings.Index(caret, "| ") != bar {
			t.Errorf("snippet and caret bars do not line up:\n%s\n%s", snippet, caret)
			continue
		}
		text := []rune(snippet[bar+2:])
		pos := len([]rune(caret[bar+2:])) // the caret is the last rune
		if pos > len(text)+1 {
			t.Errorf("caret at %d is past the end of %q", pos, string(text))
		}
		if len(text) > SnippetWidth+2 {
			t.Errorf("snippet of %d characters, want at most %d and the … marks", len(text), SnippetWidth)
		}
		// A snippet cut at its start (…) shows the column further left.
		if pos <= len(text) && pos != atoi(m[2]) && (len(text) == 0 || text[0] != '…') {
			t.Errorf("caret at column %d, header says %s", pos, m[2])
		}
	}
}

// goldenName turns a case name into a file name.
func goldenName(name string) string {
	return strings.Trim(regexp.MustCompile(`[^a-z0-9]+`).ReplaceAllString(strings.ToLower(name), "-"), "-")
}

func atoi(s string) int {
	n := 0
	for _, c := range s {
		n = n*10 + int(c-'0')
	}
	return n
}

func TestDiagnosticsTextColour(t *testing.T) {
	// Colour only adds escape codes: stripped, it reads as the plain text.
	ds := diag.Diagnostics{
		{Severity: diag.Error, Code: "a", Message: "first", Range: rng(3, 7)},
		{Severity: diag.Warning, Code: "b", Message: "second", Detail: "hint", Range: rng(4, 2)},
	}
	var plain, coloured bytes.Buffer
	DiagnosticsText(&plain, ds, sources, Styles{})
	r := lipgloss.NewRenderer(io.Discard)
	r.SetColorProfile(termenv.ANSI)
	DiagnosticsText(&coloured, ds, sources, NewStyles(r))
	if !strings.Contains(coloured.String(), "\x1b[") {
		t.Fatalf("no escape codes in coloured output:\n%s", coloured.String())
	}
	if strings.Contains(plain.String(), "\x1b[") {
		t.Errorf("escape codes in plain output:\n%q", plain.String())
	}
	stripped := regexp.MustCompile("\x1b\\[[0-9;]*m").ReplaceAllString(coloured.String(), "")
	if stripped != plain.String() {
		t.Errorf("coloured output, stripped, differs from plain:\n--- stripped\n%s--- plain\n%s", stripped, plain.String())
	}
}

func TestDiagnosticsJSON(t *testing.T) {
	ds := diag.Diagnostics{
		{Severity: diag.Error, Code: "undefined-step", Message: `no step "x"`, Range: rng(3, 7)},
		{Severity: diag.Warning, Code: "unused-var", Message: "m", Detail: "a hint", Range: diag.Range{File: "b.yaml", Start: diag.Pos{Line: 1, Column: 2}, End: diag.Pos{Line: 1, Column: 9}}},
		{Severity: diag.Error, Code: "read-error", Message: "cannot read", Range: diag.Range{File: "c.yaml"}},
	}
	var b bytes.Buffer
	if err := DiagnosticsJSON(&b, ds); err != nil {
		t.Fatal(err)
	}
	var got []map[string]any
	if err := json.Unmarshal(b.Bytes(), &got); err != nil {
		t.Fatalf("output is not a JSON array: %v\n%s", err, b.String())
	}
	pos := func(l, c float64) map[string]any { return map[string]any{"line": l, "column": c} }
	want := []map[string]any{
		{
			"file": "flows/leaver.yaml", "severity": "error", "code": "undefined-step", "message": `no step "x"`,
			"range": map[string]any{"start": pos(3, 7), "end": pos(3, 7)},
		},
		{
			"file": "b.yaml", "severity": "warning", "code": "unused-var", "message": "m", "detail": "a hint",
			"range": map[string]any{"start": pos(1, 2), "end": pos(1, 9)},
		},
		{
			"file": "c.yaml", "severity": "error", "code": "read-error", "message": "cannot read",
			"range": map[string]any{"start": pos(0, 0), "end": pos(0, 0)},
		},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d objects, want %d:\n%s", len(got), len(want), b.String())
	}
	for i := range want {
		t.Run(want[i]["code"].(string), func(t *testing.T) {
			gb, _ := json.Marshal(got[i])
			wb, _ := json.Marshal(want[i])
			if string(gb) != string(wb) {
				t.Errorf("got  %s\nwant %s", gb, wb)
			}
		})
	}
	t.Run("empty is an empty array", func(t *testing.T) {
		var b bytes.Buffer
		if err := DiagnosticsJSON(&b, nil); err != nil {
			t.Fatal(err)
		}
		if got := strings.TrimSpace(b.String()); got != "[]" {
			t.Errorf("got %q, want []", got)
		}
	})
}

func TestDiagnosticsGitHub(t *testing.T) {
	cases := []struct {
		name string
		d    diag.Diagnostic
		want string
	}{
		{
			name: "error with line and column",
			d:    diag.Diagnostic{Severity: diag.Error, Code: "undefined-step", Message: `no step "x"`, Range: rng(3, 7)},
			want: `::error file=flows/leaver.yaml,line=3,col=7,title=jml undefined-step::no step "x" [undefined-step]`,
		},
		{
			name: "warning with line only",
			d:    diag.Diagnostic{Severity: diag.Warning, Code: "unused-var", Message: "m", Range: diag.Range{File: "a.yaml", Start: diag.Pos{Line: 2}}},
			want: "::warning file=a.yaml,line=2,title=jml unused-var::m [unused-var]",
		},
		{
			name: "whole file",
			d:    diag.Diagnostic{Severity: diag.Error, Code: "read-error", Message: "m", Range: diag.Range{File: "a.yaml"}},
			want: "::error file=a.yaml,title=jml read-error::m [read-error]",
		},
		{
			name: "percent, newline and carriage return in the message",
			d:    diag.Diagnostic{Severity: diag.Error, Code: "c", Message: "100% bad\nsecond line\r\nthird: a, b", Range: rng(1, 1)},
			want: "::error file=flows/leaver.yaml,line=1,col=1,title=jml c::100%25 bad%0Asecond line%0D%0Athird: a, b [c]",
		},
		{
			name: "colon, comma and percent in the file property",
			d:    diag.Diagnostic{Severity: diag.Error, Code: "c", Message: "m", Range: diag.Range{File: "C:/a,b%c.yaml", Start: diag.Pos{Line: 1, Column: 2}}},
			want: "::error file=C%3A/a%2Cb%25c.yaml,line=1,col=2,title=jml c::m [c]",
		},
		{
			name: "newline in the file property",
			d:    diag.Diagnostic{Severity: diag.Error, Code: "c", Message: "m", Range: diag.Range{File: "a\nb.yaml"}},
			want: "::error file=a%0Ab.yaml,title=jml c::m [c]",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			DiagnosticsGitHub(&b, diag.Diagnostics{tc.d})
			if got := b.String(); got != tc.want+"\n" {
				t.Errorf("got  %q\nwant %q", got, tc.want+"\n")
			}
			if n := strings.Count(b.String(), "\n"); n != 1 {
				t.Errorf("one diagnostic took %d lines", n)
			}
		})
	}
	t.Run("one line each", func(t *testing.T) {
		var b bytes.Buffer
		DiagnosticsGitHub(&b, diag.Diagnostics{{Code: "a", Message: "x\ny"}, {Severity: diag.Warning, Code: "b", Message: "z"}})
		if n := strings.Count(b.String(), "\n"); n != 2 {
			t.Errorf("two diagnostics took %d lines:\n%s", n, b.String())
		}
	})
}

// TestDiagnosticsTextLinear: snippets of many diagnostics at the end of a
// file of 200,000 lines, and of a 600 KB line, cost memory linear in the
// file (an index of its lines, built once) and never a copy of a line
// longer than the snippet: copying the rest of the file for each line
// before a diagnostic took 95 s on such a file.
func TestDiagnosticsTextLinear(t *testing.T) {
	lines := strings.Repeat("#\n", 200_000) + "bogus: 1\n"
	long := "description: \"" + strings.Repeat("x", 600_000) + "\", bogus: 1\n"
	cases := []struct {
		name string
		src  string
		ds   diag.Diagnostics
		want string
	}{
		{
			name: "200 diagnostics after 200,000 lines",
			src:  lines,
			ds: func() diag.Diagnostics {
				var ds diag.Diagnostics
				for i := 0; i < 200; i++ {
					ds.Errorf(diag.Range{File: "f.yaml", Start: diag.Pos{Line: 200_001, Column: 1}}, "unknown-key", "unknown key %d", i)
				}
				return ds
			}(),
			want: " 200001 | bogus: 1\n        | ^\n",
		},
		{
			name: "200 diagnostics in a 600 KB line",
			src:  long,
			ds: func() diag.Diagnostics {
				var ds diag.Diagnostics
				for i := 0; i < 200; i++ {
					ds.Errorf(diag.Range{File: "f.yaml", Start: diag.Pos{Line: 1, Column: 600_017}}, "unknown-key", "unknown key %d", i)
				}
				return ds
			}(),
			want: "xx\", bogus: 1\n",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			src := []byte(tc.src)
			var b bytes.Buffer
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			DiagnosticsText(&b, tc.ds, func(string) []byte { return src }, Styles{})
			runtime.ReadMemStats(&after)
			if !strings.Contains(b.String(), tc.want) {
				t.Errorf("output does not contain %q:\n%.2000s", tc.want, b.String())
			}
			if n := b.Len(); n > 200*(2*SnippetWidth+200) {
				t.Errorf("output is %d bytes for 200 diagnostics", n)
			}
			// The line index (4 bytes a line) and the output, with room
			// to spare; not a copy of the file per diagnostic.
			if alloc, limit := after.TotalAlloc-before.TotalAlloc, uint64(4*len(src)+2<<20); alloc > limit {
				t.Errorf("allocated %d bytes for %d bytes of source, want at most %d", alloc, len(src), limit)
			}
		})
	}
}
