package scaffold

import (
	"encoding/json"
	"flag"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

var update = flag.Bool("update", false, "rewrite golden files")

// files are the scaffold's files as a development build writes them.
func files(t *testing.T) map[string][]byte {
	t.Helper()
	return filesAt(t, "dev")
}

// filesAt are the scaffold's files as jml version writes them.
func filesAt(t *testing.T, version string) map[string][]byte {
	t.Helper()
	fs, err := Files(version)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string][]byte{}
	for _, f := range fs {
		if _, dup := m[f.Path]; dup {
			t.Fatalf("%s twice", f.Path)
		}
		m[f.Path] = f.Data
	}
	return m
}

// TestFilesLayout: the library comes from flows/ (without its own
// jml.yaml and README.md), with the scaffold's files around it.
func TestFilesLayout(t *testing.T) {
	m := files(t)
	for _, want := range []string{
		"jml.yaml", ".gitignore", ".github/workflows/jml.yml", ".gitlab-ci.yml", "README.md",
		"events/SOURCES.txt", "flows/joiner.yaml", "flows/mover.yaml", "flows/leaver.yaml",
		"flows/contractor-expiry-sweep.yaml", "tests/leaver.yaml",
	} {
		if _, ok := m[want]; !ok {
			t.Errorf("no %s", want)
		}
	}
	for _, not := range []string{"flows/jml.yaml", "flows/README.md", "flows/embed.go"} {
		if _, ok := m[not]; ok {
			t.Errorf("%s should not be scaffolded", not)
		}
	}
	lib, _ := filepath.Glob("../../flows/*.yaml")
	for _, p := range lib {
		if filepath.Base(p) == "jml.yaml" {
			continue
		}
		if _, ok := m["flows/"+filepath.Base(p)]; !ok {
			t.Errorf("library flow %s is not scaffolded", filepath.Base(p))
		}
	}
	if !strings.Contains(string(m[".gitignore"]), ".jml/") {
		t.Errorf(".gitignore does not ignore .jml/")
	}
	// Every recorded event has its provenance line.
	for p := range m {
		if strings.HasPrefix(p, "events/") && p != "events/SOURCES.txt" &&
			!regexp.MustCompile(`(?m)^`+regexp.QuoteMeta(path.Base(p))+` \| `).Match(m["events/SOURCES.txt"]) {
			t.Errorf("%s has no line in events/SOURCES.txt", p)
		}
	}
}

// TestModelines: every jml YAML file starts with a yaml-language-server
// modeline whose URL is the $id of the schema for its kind, and that $id
// starts with SchemaBase.
func TestModelines(t *testing.T) {
	ids := map[string]string{}
	for _, kind := range []string{"flow", "config", "test"} {
		data, err := os.ReadFile("../../schemas/" + kind + ".schema.json")
		if err != nil {
			t.Fatal(err)
		}
		var s struct {
			ID string `json:"$id"`
		}
		if err := json.Unmarshal(data, &s); err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(s.ID, SchemaBase) {
			t.Errorf("%s schema $id %q does not start with SchemaBase %q", kind, s.ID, SchemaBase)
		}
		ids[kind] = s.ID
	}
	for p, data := range files(t) {
		var kind string
		switch {
		case p == "jml.yaml":
			kind = "config"
		case strings.HasPrefix(p, "flows/"):
			kind = "flow"
		case strings.HasPrefix(p, "tests/"):
			kind = "test"
		case strings.HasSuffix(p, ".yml") || strings.HasSuffix(p, ".yaml"):
			// CI files point at their own published schemas.
			if !strings.HasPrefix(string(data), "# yaml-language-server: $schema=https://") {
				t.Errorf("%s: no modeline", p)
			}
			continue
		default:
			continue
		}
		first, _, _ := strings.Cut(string(data), "\n")
		if want := "# yaml-language-server: $schema=" + ids[kind]; first != want {
			t.Errorf("%s: first line %q, want %q", p, first, want)
		}
	}
}

func TestWithModeline(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"relative", "# yaml-language-server: $schema=../schemas/flow.schema.json\nname: x\n",
			"# yaml-language-server: $schema=" + SchemaBase + "flow.schema.json\nname: x\n"},
		{"missing", "name: x\n", "# yaml-language-server: $schema=" + SchemaBase + "flow.schema.json\nname: x\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := string(withModeline([]byte(tt.in), "flow")); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// TestCIFiles: the GitHub workflow and the GitLab pipeline parse as YAML and
// run the commands docs/init.md promises, installing the jml version they
// pin: a release's own version, else the placeholder.
func TestCIFiles(t *testing.T) {
	for _, tt := range []struct{ version, want string }{
		{"v1.2.3", "v1.2.3"},
		{"v0.4.0-rc.1", "v0.4.0-rc.1"},
		{"dev", Placeholder},
		{"v0.0.0-20240301090000-0123456789ab", Placeholder},
	} {
		t.Run(tt.version, func(t *testing.T) { testCIFiles(t, tt.version, tt.want) })
	}
}

func testCIFiles(t *testing.T, version, pinned string) {
	m := filesAt(t, version)
	type job struct {
		Script []string `yaml:"script"`
		Steps  []struct {
			Uses string         `yaml:"uses"`
			With map[string]any `yaml:"with"`
			Run  string         `yaml:"run"`
			If   string         `yaml:"if"`
		} `yaml:"steps"`
		Rules []map[string]any `yaml:"rules"`
	}

	var gh struct {
		On          map[string]any `yaml:"on"`
		Permissions map[string]string
		Env         map[string]string
		Jobs        map[string]job
	}
	if err := yaml.Unmarshal(m[".github/workflows/jml.yml"], &gh); err != nil {
		t.Fatalf(".github/workflows/jml.yml: %v", err)
	}
	if _, ok := gh.On["pull_request"]; !ok {
		t.Errorf("GitHub: not run on pull_request")
	}
	if gh.Permissions["pull-requests"] != "write" {
		t.Errorf("GitHub: cannot comment (permissions %v)", gh.Permissions)
	}
	var ghRuns []string
	fetchAll := false
	for _, j := range gh.Jobs {
		for _, s := range j.Steps {
			ghRuns = append(ghRuns, s.Run)
			if strings.HasPrefix(s.Uses, "actions/checkout@") && s.With["fetch-depth"] == 0 {
				fetchAll = true
			}
		}
	}
	if !fetchAll {
		t.Errorf("GitHub: no checkout with fetch-depth: 0")
	}
	if gh.Env["JML_VERSION"] != pinned {
		t.Errorf("GitHub: env JML_VERSION %q, want %q", gh.Env["JML_VERSION"], pinned)
	}
	all := strings.Join(ghRuns, "\n")
	for _, want := range []string{
		`go install "github.com/jml-dev/jml/cmd/jml@${JML_VERSION}"`,
		"jml validate --format github",
		"jml test --format junit",
		`jml plan --compare "origin/$BASE_REF" events/ --format markdown`,
		"gh pr comment",
	} {
		if !strings.Contains(all, want) {
			t.Errorf("GitHub workflow does not run %q", want)
		}
	}

	var gl map[string]yaml.Node
	if err := yaml.Unmarshal(m[".gitlab-ci.yml"], &gl); err != nil {
		t.Fatalf(".gitlab-ci.yml: %v", err)
	}
	var glRuns []string
	for name, n := range gl {
		var j job
		if n.Kind == yaml.MappingNode {
			if err := n.Decode(&j); err != nil {
				t.Fatalf(".gitlab-ci.yml %s: %v", name, err)
			}
		}
		glRuns = append(glRuns, j.Script...)
	}
	var def struct {
		BeforeScript []string `yaml:"before_script"`
	}
	d := gl["default"]
	if err := d.Decode(&def); err != nil {
		t.Fatal(err)
	}
	var vars map[string]string
	v := gl["variables"]
	if err := v.Decode(&vars); err != nil {
		t.Fatal(err)
	}
	if vars["JML_VERSION"] != pinned {
		t.Errorf("GitLab: variable JML_VERSION %q, want %q", vars["JML_VERSION"], pinned)
	}
	all = strings.Join(append(glRuns, def.BeforeScript...), "\n")
	for _, want := range []string{
		`go install "github.com/jml-dev/jml/cmd/jml@${JML_VERSION}"`,
		"jml validate",
		"jml test --format junit",
		`jml plan --compare "origin/$CI_MERGE_REQUEST_TARGET_BRANCH_NAME" events/ --format markdown`,
		"/merge_requests/$CI_MERGE_REQUEST_IID/notes",
	} {
		if !strings.Contains(all, want) {
			t.Errorf("GitLab pipeline does not run %q", want)
		}
	}
}

// TestWrite: Write makes directories, replaces a symbolic link instead of
// writing through it, and refuses to replace a directory.
func TestWrite(t *testing.T) {
	dir := t.TempDir()
	outside := filepath.Join(t.TempDir(), "target")
	if err := os.WriteFile(outside, []byte("keep"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(dir, "jml.yaml")); err != nil {
		t.Skip(err)
	}
	fs := []File{{Path: "jml.yaml", Data: []byte("new")}, {Path: "a/b/c.yaml", Data: []byte("c")}}
	if got := Existing(dir, fs); len(got) != 1 || got[0] != "jml.yaml" {
		t.Errorf("Existing = %v", got)
	}
	if err := Write(dir, fs); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(outside); string(b) != "keep" {
		t.Errorf("wrote through the symlink: %q", b)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "jml.yaml")); string(b) != "new" {
		t.Errorf("jml.yaml = %q", b)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "a", "b", "c.yaml")); string(b) != "c" {
		t.Errorf("a/b/c.yaml = %q", b)
	}
	if err := Write(dir, []File{{Path: "a/b", Data: nil}}); err == nil {
		t.Errorf("replaced a directory")
	}
}

// TestEnterpriseCI: examples/enterprise ships the scaffold's CI files, byte
// for byte, so the example shows what init writes.
func TestEnterpriseCI(t *testing.T) {
	m := files(t)
	for _, p := range []string{".github/workflows/jml.yml", ".gitlab-ci.yml"} {
		got, err := os.ReadFile(filepath.Join("../../examples/enterprise", filepath.FromSlash(p)))
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != string(m[p]) {
			t.Errorf("examples/enterprise/%s differs from pkg/scaffold/template/%s", p, p)
		}
	}
}

// TestPreCommitHooks: jml's own .pre-commit-hooks.yaml offers jml-validate
// and jml-test, built with the golang language, checking the whole
// repository (no file names passed).
func TestPreCommitHooks(t *testing.T) {
	data, err := os.ReadFile("../../.pre-commit-hooks.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var hooks []struct {
		ID            string `yaml:"id"`
		Name          string `yaml:"name"`
		Entry         string `yaml:"entry"`
		Language      string `yaml:"language"`
		Files         string `yaml:"files"`
		PassFilenames *bool  `yaml:"pass_filenames"`
	}
	if err := yaml.Unmarshal(data, &hooks); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"jml-validate": "jml validate", "jml-test": "jml test"}
	for _, h := range hooks {
		entry, ok := want[h.ID]
		if !ok {
			t.Errorf("unexpected hook %q", h.ID)
			continue
		}
		delete(want, h.ID)
		if h.Entry != entry || h.Language != "golang" || h.Name == "" || h.PassFilenames == nil || *h.PassFilenames {
			t.Errorf("hook %s: %+v", h.ID, h)
		}
		if _, err := regexp.Compile(h.Files); err != nil || !regexp.MustCompile(h.Files).MatchString("flows/leaver.yaml") {
			t.Errorf("hook %s: files %q does not match flows/leaver.yaml", h.ID, h.Files)
		}
	}
	for id := range want {
		t.Errorf("no hook %s", id)
	}
}

// TestNoLatest: no scaffolded file installs jml at @latest, whatever the
// version.
func TestNoLatest(t *testing.T) {
	for _, version := range []string{"v1.2.3", "dev"} {
		for p, data := range filesAt(t, version) {
			if strings.Contains(string(data), "@latest") {
				t.Errorf("%s (jml %s) installs @latest", p, version)
			}
		}
	}
}

func TestIsRelease(t *testing.T) {
	tests := []struct {
		version string
		want    bool
	}{
		{"v1.2.3", true},
		{"v0.1.0", true},
		{"v1.0.0-rc.1", true},
		{"dev", false},
		{"test", false},
		{"", false},
		{"(devel)", false},
		{"1.2.3", false},
		{"v1.2", false},
		{"v01.2.3", false},
		{"v1.2.3+dirty", false},
		{"v0.0.0-20240301090000-0123456789ab", false},
		{"v1.2.4-0.20240301090000-0123456789ab", false},
		{"v1.2.4-0.20240301090000-0123456789ab+dirty", false},
		{"v1.2.3\nname: x", false},
	}
	for _, tt := range tests {
		if got := IsRelease(tt.version); got != tt.want {
			t.Errorf("IsRelease(%q) = %v, want %v", tt.version, got, tt.want)
		}
	}
}

// TestPinVersionGolden: the CI files as a release and as a development
// build write them (testdata/ci/VERSION/*.golden; -update rewrites them).
func TestPinVersionGolden(t *testing.T) {
	for _, version := range []string{"v1.2.3", "dev"} {
		m := filesAt(t, version)
		for _, p := range []string{".github/workflows/jml.yml", ".gitlab-ci.yml"} {
			t.Run(version+"/"+p, func(t *testing.T) {
				golden := filepath.Join("testdata", "ci", version, path.Base(p)+".golden")
				if *update {
					if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
						t.Fatal(err)
					}
					if err := os.WriteFile(golden, m[p], 0o644); err != nil {
						t.Fatal(err)
					}
					return
				}
				want, err := os.ReadFile(golden)
				if err != nil {
					t.Fatalf("missing golden file (run with -update): %v", err)
				}
				if string(m[p]) != string(want) {
					t.Errorf("%s differs from %s (run with -update to accept):\n--- got\n%s--- want\n%s", p, golden, m[p], want)
				}
			})
		}
	}
}
