package cli

import (
	"bytes"
	"path/filepath"
	"testing"
)

// TestTestGolden renders `jml test` of testdata/golden/test-repo (passing,
// failing, invalid and skipped tests) as text and JUnit and compares them
// with testdata/golden/test-*.golden (-update rewrites them). One test
// per parallelism: the output must not depend on it.
func TestTestGolden(t *testing.T) {
	t.Parallel()
	repo, err := filepath.Abs("../../testdata/golden/test-repo")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
	}{
		{"test.text", []string{"test"}},
		{"test.junit", []string{"test", "--format", "junit"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var first []byte
			for _, parallel := range []string{"1", "4"} {
				io, _, out, errOut := Test()
				io.WorkDir = repo
				code := Run(io, append(tt.args, "--color", "never", "--parallelism", parallel), "test")
				if code != ExitError {
					t.Fatalf("exit %d, want %d\n%s%s", code, ExitError, out, errOut)
				}
				if errOut.Len() > 0 {
					t.Errorf("stderr: %s", errOut)
				}
				if first == nil {
					first = out.Bytes()
					continue
				}
				if !bytes.Equal(first, out.Bytes()) {
					t.Fatalf("--parallel %s changed the output:\n%s", parallel, diffLines(string(first), out.String()))
				}
			}
			golden := filepath.Join("../../testdata/golden", tt.name+".golden")
			checkGolden(t, golden, first)
		})
	}
}

// TestTestQuickstart: the quickstart example's tests pass.
func TestTestQuickstart(t *testing.T) {
	t.Parallel()
	quick, err := filepath.Abs("../../examples/quickstart")
	if err != nil {
		t.Fatal(err)
	}
	io, _, out, errOut := Test()
	io.WorkDir = quick
	if code := Run(io, []string{"test", "--color", "never"}, "test"); code != ExitOK {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	if got := out.String(); !bytes.HasSuffix([]byte(got), []byte("ok: 2 tests passed\n")) {
		t.Errorf("output:\n%s", got)
	}
}
