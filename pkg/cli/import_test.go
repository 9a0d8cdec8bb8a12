package cli

import (
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestImportFlopackValidates: the import of every reference flopack
// (testdata/flopacks) validates, and --strict finds nothing but the todos
// of the cards that were not translated.
func TestImportFlopackValidates(t *testing.T) {
	packs, _ := filepath.Glob("../../testdata/flopacks/*.flopack")
	if len(packs) == 0 {
		t.Fatal("no reference flopacks")
	}
	diagLine := regexp.MustCompile(`^\S+:\d+:\d+: (error|warning): .* \[([a-z-]+)\]$`)
	for _, pack := range packs {
		t.Run(filepath.Base(pack), func(t *testing.T) {
			abs, _ := filepath.Abs(pack)
			dir := t.TempDir()
			io, _, out, errOut := Test()
			io.WorkDir = dir
			if code := Run(io, []string{"import", "flopack", abs}, "test"); code != 0 {
				t.Fatalf("import: exit %d\n%s%s", code, out, errOut)
			}
			report := out.String()
			got, code := runValidate(t, dir)
			if code != 0 {
				t.Fatalf("validate: exit %d\n%s", code, got)
			}
			todos := 0
			for _, line := range strings.Split(got, "\n") {
				m := diagLine.FindStringSubmatch(line)
				if m == nil {
					continue
				}
				if m[2] != "todo" {
					t.Errorf("validate reports more than todos: %s", line)
				}
				todos++
			}
			// Every card the report lists as not imported is a todo (a card
			// inside a branch of an untranslated card has no halt of its own).
			if n := strings.Count(report, "\n  todo: "); todos > n || n > 0 && todos == 0 {
				t.Errorf("%d todo warnings for %d cards not imported\n%s", todos, n, got)
			}
			if _, code := runValidate(t, dir, "--strict"); (code == 0) != (todos == 0) {
				t.Errorf("validate --strict: exit %d with %d todos", code, todos)
			}
		})
	}
}
