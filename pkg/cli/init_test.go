package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// initRunIn runs jml in dir, in-process.
func initRunIn(t *testing.T, dir string, args ...string) (code int, out, errOut string) {
	t.Helper()
	io, _, o, e := Test()
	io.WorkDir = dir
	code = Run(io, append(args, "--color", "never"), "test")
	return code, o.String(), e.String()
}

// TestInitScaffold: the scaffold validates without a warning, its tests
// pass and its recorded events replay.
func TestInitScaffold(t *testing.T) {
	t.Parallel()
	wd := t.TempDir()
	code, out, errOut := initRunIn(t, wd, "init", "repo")
	if code != ExitOK || errOut != "" {
		t.Fatalf("init: exit %d\n%s%s", code, out, errOut)
	}
	for _, want := range []string{"Created a jml repository in repo:", "  jml.yaml\n", "  flows/leaver.yaml\n", "  .github/workflows/jml.yml\n", "  cd repo\n", "  jml test "} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	repo := filepath.Join(wd, "repo")
	for _, c := range []struct {
		name string
		args []string
		want []string
	}{
		{"validate", []string{"validate", "--strict"}, []string{"ok: "}},
		{"test", []string{"test"}, []string{"ok    tests/leaver.yaml", "ok: 7 tests passed"}},
		{"dry-run", []string{"dry-run", filepath.Join(repo, "events")}, []string{"Dry run: 3 events, 2 runs (2 success).", "  joiner  success", "  leaver  success"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			code, out, errOut := initRunIn(t, repo, c.args...)
			if code != ExitOK {
				t.Fatalf("jml %s: exit %d\n%s%s", strings.Join(c.args, " "), code, out, errOut)
			}
			for _, w := range c.want {
				if !strings.Contains(out, w) {
					t.Errorf("jml %s: output lacks %q:\n%s", strings.Join(c.args, " "), w, out)
				}
			}
			if strings.Contains(out+errOut, "warning") {
				t.Errorf("jml %s warns:\n%s%s", strings.Join(c.args, " "), out, errOut)
			}
		})
	}
}

// TestInitRefuses: existing files are named and nothing is written; with
// --force they are replaced and other files are left alone.
func TestInitRefuses(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	mine := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(mine, []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "jml.yaml"), []byte("edited"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := initRunIn(t, dir, "init")
	if code != ExitError {
		t.Fatalf("exit %d, want %d", code, ExitError)
	}
	if out != "" || !strings.Contains(errOut, "error: 1 file already exists in .; nothing was written (--force overwrites them):\n  jml.yaml\n") {
		t.Errorf("stdout %q\nstderr %q", out, errOut)
	}
	if _, err := os.Stat(filepath.Join(dir, "flows")); err == nil {
		t.Errorf("flows/ written despite the refusal")
	}

	code, out, errOut = initRunIn(t, dir, "init", "--force")
	if code != ExitOK {
		t.Fatalf("--force: exit %d\n%s%s", code, out, errOut)
	}
	if !strings.Contains(out, "  jml.yaml  (overwritten)\n") || strings.Contains(out, "  cd ") {
		t.Errorf("--force output:\n%s", out)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "jml.yaml")); !strings.Contains(string(b), "kind: Config") {
		t.Errorf("jml.yaml not replaced: %q", b)
	}
	if b, _ := os.ReadFile(mine); string(b) != "mine" {
		t.Errorf("an unrelated file changed: %q", b)
	}
}

// TestInitArgs: DIR must be a directory; one DIR at most.
func TestInitArgs(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "file"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, errOut := initRunIn(t, dir, "init", "file"); code != ExitError || !strings.Contains(errOut, "file is not a directory") {
		t.Errorf("init FILE: exit %d, %s", code, errOut)
	}
	if code, _, _ := initRunIn(t, dir, "init", "a", "b"); code != ExitUsage {
		t.Errorf("init a b: exit %d, want %d", code, ExitUsage)
	}
}

// TestInitEnterpriseExample: examples/enterprise, which ships the CI files
// that init writes, validates lint-clean, its tests pass and its events
// replay (.ci/run does the same with the built binary).
func TestInitEnterpriseExample(t *testing.T) {
	t.Parallel()
	repo, err := filepath.Abs("../../examples/enterprise")
	if err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"validate", "--strict", "--no-cache"}, // no cache written into the source tree
		{"test"},
		{"dry-run", filepath.Join(repo, "events")},
	} {
		if code, out, errOut := initRunIn(t, repo, args...); code != ExitOK {
			t.Errorf("jml %s: exit %d\n%s%s", strings.Join(args, " "), code, out, errOut)
		}
	}
}
