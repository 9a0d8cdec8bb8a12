package cli

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestGraphGolden draws the library's joiner, mover and leaver (with their
// forEach, try/catch, if, call and onError {flow}) as Mermaid, dot and SVG
// and compares them with testdata/golden/graph-* (-update rewrites them).
func TestGraphGolden(t *testing.T) {
	t.Parallel()
	cfg, err := filepath.Abs("../../flows/jml.yaml")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		golden string
		args   []string
	}{
		{"graph-leaver.mmd", []string{"leaver"}},
		{"graph-leaver.dot", []string{"leaver", "--format", "dot"}},
		{"graph-joiner.mmd", []string{"joiner", "--format", "mermaid"}},
		{"graph-joiner.dot", []string{"joiner", "--format", "dot"}},
		{"graph-mover.mmd", []string{"mover"}},
		{"graph-mover.dot", []string{"mover", "--format", "dot"}},
		{"graph-mover-expand.md", []string{"mover", "--expand", "--format", "markdown"}},
		{"graph-leaver.svg", []string{"leaver", "--format", "svg"}},
	}
	for _, tt := range tests {
		t.Run(tt.golden, func(t *testing.T) {
			io, _, out, errOut := Test()
			code := Run(io, append([]string{"graph", "--config", cfg, "--color", "never"}, tt.args...), "test")
			if code != ExitOK {
				t.Fatalf("exit %d\n%s%s", code, out, errOut)
			}
			golden := filepath.Join("../../testdata/golden", tt.golden)
			got := out.Bytes()
			checkGolden(t, golden, got)
		})
	}
}

// TestGraphErrors: a missing or misspelt FLOW is a usage error that names
// the flows; a bad --format too.
func TestGraphErrors(t *testing.T) {
	t.Parallel()
	cfg, _ := filepath.Abs("../../flows/jml.yaml")
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no flow", []string{}, ExitUsage, "give the FLOW to draw (flows: contractor-expiry-sweep, department-groups,"},
		{"did you mean", []string{"levaer"}, ExitUsage, `no flow "levaer"; did you mean "leaver"?`},
		{"unknown", []string{"payroll"}, ExitUsage, `no flow "payroll" (flows: `},
		{"two flows", []string{"leaver", "joiner"}, ExitUsage, "accepts at most 1 arg"},
		{"format", []string{"leaver", "--format", "png"}, ExitUsage, `--format must be one of mermaid, dot, markdown, svg, not "png"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			io, _, out, errOut := Test()
			code := Run(io, append([]string{"graph", "--config", cfg, "--color", "never"}, tt.args...), "test")
			if code != tt.code {
				t.Fatalf("exit %d, want %d\n%s%s", code, tt.code, out, errOut)
			}
			if !strings.Contains(errOut.String(), tt.want) {
				t.Errorf("stderr lacks %q:\n%s", tt.want, errOut)
			}
			if out.Len() != 0 {
				t.Errorf("stdout not empty:\n%s", out)
			}
		})
	}
}
