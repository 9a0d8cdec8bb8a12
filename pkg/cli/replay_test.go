package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestReplayGolden renders dry-run and plan of the quickstart example (the
// recorded deactivation, plus faults from a world file) in every format
// and compares them with testdata/golden (-update rewrites them).
func TestReplayGolden(t *testing.T) {
	t.Parallel()
	quick, err := filepath.Abs("../../examples/quickstart")
	if err != nil {
		t.Fatal(err)
	}
	world, _ := filepath.Abs("../../testdata/golden/faults.world.yaml")
	tests := []struct {
		name string
		args []string
		code int
	}{
		{"plan.text", []string{"plan", "events/"}, ExitOK},
		{"plan.json", []string{"plan", "events/", "--format", "json"}, ExitOK},
		{"plan.markdown", []string{"plan", "events/", "--format", "markdown"}, ExitOK},
		{"dry-run.text", []string{"dry-run", "events/deactivate.ndjson"}, ExitOK},
		{"dry-run.json", []string{"dry-run", "events/deactivate.ndjson", "--format", "json"}, ExitOK},
		{"dry-run.markdown", []string{"dry-run", "events/deactivate.ndjson", "--format", "markdown"}, ExitOK},
		{"dry-run-faults.text", []string{"dry-run", "events/", "--world", world}, ExitError},
		{"dry-run-faults.json", []string{"dry-run", "events/", "--world", world, "--format", "json"}, ExitError},
		{"plan-faults.text", []string{"plan", "events/", "--world", world}, ExitOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			io, _, out, errOut := Test()
			io.WorkDir = quick
			// Event paths are relative to io.WorkDir, not the process's.
			code := Run(io, append(tt.args, "--color", "never"), "test")
			if code != tt.code {
				t.Fatalf("exit %d, want %d\n%s%s", code, tt.code, out, errOut)
			}
			golden := filepath.Join("../../testdata/golden", tt.name+".golden")
			got := out.Bytes()
			checkGolden(t, golden, got)
		})
	}
}

// checkGolden compares got with the golden file, or rewrites the file
// with -update.
func checkGolden(t *testing.T, golden string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("missing golden (run with -update): %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("output differs from %s (-update to accept):\n%s", golden, diffLines(string(want), string(got)))
	}
}

// diffLines shows the first differing line.
func diffLines(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < len(w) || i < len(g); i++ {
		var a, b string
		if i < len(w) {
			a = w[i]
		}
		if i < len(g) {
			b = g[i]
		}
		if a != b {
			return "line " + strconv.Itoa(i+1) + ":\n- " + a + "\n+ " + b
		}
	}
	return ""
}
