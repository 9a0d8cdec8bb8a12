package flopack

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files")

// TestImportGolden imports every reference flopack and compares the
// files and the report with testdata/golden/<pack>/.
func TestImportGolden(t *testing.T) {
	for _, file := range packs(t) {
		name := strings.TrimSuffix(filepath.Base(file), ".flopack")
		t.Run(name, func(t *testing.T) {
			files, rep := importFile(t, file)
			var text bytes.Buffer
			WriteReport(&text, rep)
			files = append(files, File{Path: "report.txt", Data: text.Bytes()})
			dir := filepath.Join("testdata", "golden", name)
			if *update {
				os.RemoveAll(dir)
			}
			for _, f := range files {
				path := filepath.Join(dir, f.Path)
				if *update {
					os.MkdirAll(filepath.Dir(path), 0o755)
					if err := os.WriteFile(path, f.Data, 0o644); err != nil {
						t.Fatal(err)
					}
					continue
				}
				want, err := os.ReadFile(path)
				if err != nil {
					t.Fatalf("%v (run go test ./pkg/flopack -update)", err)
				}
				if !bytes.Equal(want, f.Data) {
					t.Errorf("%s differs from the golden file; got:\n%s", f.Path, f.Data)
				}
			}
			// No stale golden files.
			var n int
			filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
				if err == nil && !d.IsDir() {
					n++
				}
				return nil
			})
			if n != len(files) {
				t.Errorf("%d golden files, the import writes %d", n, len(files))
			}
		})
	}
}

func importFile(t *testing.T, file string) ([]File, *Report) {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	p, err := Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	return Import(p)
}

func TestImportDeterministic(t *testing.T) {
	file := "../../testdata/flopacks/offboard_google_workspace_users.flopack"
	a, ra := importFile(t, file)
	b, rb := importFile(t, file)
	if len(a) != len(b) {
		t.Fatal("different file counts")
	}
	for i := range a {
		if a[i].Path != b[i].Path || !bytes.Equal(a[i].Data, b[i].Data) {
			t.Errorf("%s: two imports differ", a[i].Path)
		}
	}
	ja, _ := json.Marshal(ra)
	jb, _ := json.Marshal(rb)
	if !bytes.Equal(ja, jb) {
		t.Error("two reports differ")
	}
}

// TestCoverageDocumented keeps docs/import.md's coverage table equal to
// what the import does with each reference pack.
func TestCoverageDocumented(t *testing.T) {
	doc, err := os.ReadFile("../../docs/import.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, file := range packs(t) {
		name := strings.TrimSuffix(filepath.Base(file), ".flopack")
		_, rep := importFile(t, file)
		enabled := 0
		for _, f := range rep.Flows {
			if f.Enabled {
				enabled++
			}
		}
		row := fmt.Sprintf("| `%s` | %d | %d/%d | %d |", name, len(rep.Flows), rep.Translated, rep.Cards, enabled)
		if !strings.Contains(string(doc), row+"\n") {
			t.Errorf("docs/import.md lacks the row\n%s", row)
		}
	}
}
