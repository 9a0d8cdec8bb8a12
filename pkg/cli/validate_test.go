package cli

import (
	"bufio"
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files")

const validateData = "../../testdata/validate"

// caseRepo builds a repository from testdata/validate/base plus one case
// file and returns its directory.
func caseRepo(t *testing.T, casePath string) string {
	t.Helper()
	dir := t.TempDir()
	copyDir(t, filepath.Join(validateData, "base"), dir)
	data, err := os.ReadFile(casePath)
	if err != nil {
		t.Fatal(err)
	}
	name := filepath.Base(casePath)
	dst := filepath.Join(dir, "flows", name)
	if strings.HasPrefix(name, "config-") {
		dst = filepath.Join(dir, "jml.yaml")
	}
	if err := os.WriteFile(dst, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func copyDir(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

func runValidate(t *testing.T, dir string, args ...string) (string, int) {
	t.Helper()
	io, _, out, errOut := Test()
	io.WorkDir = dir
	code := Run(io, append([]string{"validate", "--color", "never"}, args...), "test")
	return out.String() + errOut.String(), code
}

// checkOf returns the check id named on the first line (# check: ID).
func checkOf(t *testing.T, path string) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	line, _ := bufio.NewReader(f).ReadString('\n')
	id, ok := strings.CutPrefix(strings.TrimSpace(line), "# check: ")
	if !ok {
		t.Fatalf("%s: first line must be `# check: ID`", path)
	}
	return id
}

func TestValidateGolden(t *testing.T) {
	t.Parallel()
	cases, _ := filepath.Glob(filepath.Join(validateData, "err", "*.yaml"))
	if len(cases) < 25 {
		t.Fatalf("only %d err cases", len(cases))
	}
	for _, c := range cases {
		name := strings.TrimSuffix(filepath.Base(c), ".yaml")
		t.Run(name, func(t *testing.T) {
			dir := caseRepo(t, c)
			out, code := runValidate(t, dir)
			if code != ExitError {
				t.Errorf("exit code %d, want %d\n%s", code, ExitError, out)
			}
			if want := "[" + checkOf(t, c) + "]"; !strings.Contains(out, want) {
				t.Errorf("output does not report %s:\n%s", want, out)
			}
			golden := strings.TrimSuffix(c, ".yaml") + ".golden"
			if *update {
				if err := os.WriteFile(golden, []byte(out), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("missing golden file (run with -update): %v", err)
			}
			if !bytes.Equal(want, []byte(out)) {
				t.Errorf("output differs from %s (run with -update to accept):\n--- got\n%s--- want\n%s", golden, out, want)
			}
		})
	}
}

// TestValidateOK puts every ok/ file into one repository (they may call
// each other) and expects a clean validate.
func TestValidateOK(t *testing.T) {
	t.Parallel()
	cases, _ := filepath.Glob(filepath.Join(validateData, "ok", "*.yaml"))
	if len(cases) == 0 {
		t.Fatal("no ok cases")
	}
	dir := t.TempDir()
	copyDir(t, filepath.Join(validateData, "base"), dir)
	copyDir(t, filepath.Join(validateData, "ok"), filepath.Join(dir, "flows"))
	out, code := runValidate(t, dir)
	if code != ExitOK || !strings.HasPrefix(out, "ok: ") {
		t.Errorf("exit %d, want a clean validate:\n%s", code, out)
	}
}

// TestValidateRepoFlows keeps the flow library and every example clean.
func TestValidateRepoFlows(t *testing.T) {
	t.Parallel()
	dirs := []string{"../../flows"}
	examples, _ := filepath.Glob("../../examples/*/jml.yaml")
	for _, e := range examples {
		dirs = append(dirs, filepath.Dir(e))
	}
	for _, d := range dirs {
		t.Run(filepath.Base(d), func(t *testing.T) {
			abs, _ := filepath.Abs(d)
			// --no-cache: a test does not write into the source tree.
			out, code := runValidate(t, abs, "--no-cache")
			if code != ExitOK {
				t.Errorf("exit %d:\n%s", code, out)
			}
		})
	}
}

// TestChecksDocumented keeps docs/checks.md, the golden cases and the
// scripts in step: every documented id is exercised by a failing example,
// and every id the examples produce is documented.
func TestChecksDocumented(t *testing.T) {
	t.Parallel()
	doc, err := os.ReadFile("../../docs/checks.md")
	if err != nil {
		t.Fatal(err)
	}
	documented := map[string]bool{}
	for _, line := range strings.Split(string(doc), "\n") {
		if rest, ok := strings.CutPrefix(line, "| `"); ok {
			documented[rest[:strings.IndexByte(rest, '`')]] = true
		}
	}
	var corpus strings.Builder
	for _, glob := range []string{validateData + "/err/*.golden", "../../testdata/script/*.txtar"} {
		files, _ := filepath.Glob(glob)
		for _, f := range files {
			b, _ := os.ReadFile(f)
			corpus.Write(b)
		}
	}
	exempt := map[string]bool{"schema": true, "internal": true} // fallbacks with no reachable example
	for id := range documented {
		if !exempt[id] && !strings.Contains(corpus.String(), "["+id+"]") && !strings.Contains(corpus.String(), `\[`+id+`\]`) {
			t.Errorf("check %q is documented but no err case or script produces it", id)
		}
	}
	goldens, _ := filepath.Glob(validateData + "/err/*.golden")
	for _, g := range goldens {
		b, _ := os.ReadFile(g)
		for _, line := range strings.Split(string(b), "\n") {
			if !strings.Contains(line, ": error: ") && !strings.Contains(line, ": warning: ") {
				continue
			}
			if i := strings.LastIndex(line, " ["); i >= 0 && strings.HasSuffix(line, "]") {
				if id := line[i+2 : len(line)-1]; !documented[id] {
					t.Errorf("%s reports %q, which docs/checks.md does not list", g, id)
				}
			}
		}
	}
}

// TestValidateCacheSameOutput: validate prints the same bytes and exits
// with the same code without the cache, cold (writing it) and warm
// (reading it), in every format, for a clean repository and for one with
// errors of every kind (every flow err case side by side) and warnings.
func TestValidateCacheSameOutput(t *testing.T) {
	clean := t.TempDir()
	copyDir(t, filepath.Join(validateData, "base"), clean)
	copyDir(t, filepath.Join(validateData, "ok"), filepath.Join(clean, "flows"))
	broken := t.TempDir()
	copyDir(t, filepath.Join(validateData, "base"), broken)
	cases, _ := filepath.Glob(filepath.Join(validateData, "err", "*.yaml"))
	for _, c := range cases {
		if strings.HasPrefix(filepath.Base(c), "config-") {
			continue
		}
		data, _ := os.ReadFile(c)
		os.WriteFile(filepath.Join(broken, "flows", filepath.Base(c)), data, 0o644)
	}
	lint := t.TempDir()
	copyDir(t, "../../flows", lint)
	os.RemoveAll(filepath.Join(lint, ".jml"))
	for name, dir := range map[string]string{"clean": clean, "errors": broken, "library": lint} {
		for _, format := range []string{"text", "json", "github"} {
			t.Run(name+"/"+format, func(t *testing.T) {
				// Each format its own cache: the first cached run is cold.
				os.RemoveAll(filepath.Join(dir, ".jml"))
				want, wantCode := runValidate(t, dir, "--format", format, "--no-cache", "--strict")
				if _, err := os.Stat(filepath.Join(dir, ".jml")); err == nil {
					t.Fatal("--no-cache wrote .jml")
				}
				for _, run := range []string{"cold", "warm"} {
					got, code := runValidate(t, dir, "--format", format, "--strict")
					if got != want || code != wantCode {
						t.Errorf("%s: exit %d, want %d; output:\n%s\nwant:\n%s", run, code, wantCode, got, want)
					}
				}
			})
		}
	}
}
