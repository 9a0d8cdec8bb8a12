package main

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// TestGoReleaserConfig checks .goreleaser.yaml (goreleaser itself is not
// installable here: the module proxy holds no approved release of it): the
// fields a release depends on, and that the ldflags really set the version
// the binary prints.
func TestGoReleaserConfig(t *testing.T) {
	data, err := os.ReadFile("../../.goreleaser.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var cfg struct {
		Version     int    `yaml:"version"`
		ProjectName string `yaml:"project_name"`
		Builds      []struct {
			Main    string   `yaml:"main"`
			Binary  string   `yaml:"binary"`
			Env     []string `yaml:"env"`
			Goos    []string `yaml:"goos"`
			Goarch  []string `yaml:"goarch"`
			Flags   []string `yaml:"flags"`
			Ldflags []string `yaml:"ldflags"`
		} `yaml:"builds"`
		Archives []struct {
			Formats         []string `yaml:"formats"`
			FormatOverrides []struct {
				Goos    string   `yaml:"goos"`
				Formats []string `yaml:"formats"`
			} `yaml:"format_overrides"`
		} `yaml:"archives"`
		Checksum struct {
			NameTemplate string `yaml:"name_template"`
		} `yaml:"checksum"`
	}
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	dec.KnownFields(true)
	if err := dec.Decode(&cfg); err != nil {
		t.Fatalf(".goreleaser.yaml: %v", err)
	}
	if cfg.Version != 2 || cfg.ProjectName != "jml" || len(cfg.Builds) != 1 || len(cfg.Archives) != 1 || cfg.Checksum.NameTemplate == "" {
		t.Fatalf("unexpected shape: %+v", cfg)
	}
	b := cfg.Builds[0]
	if b.Main != "./cmd/jml" || b.Binary != "jml" {
		t.Errorf("build main %q binary %q", b.Main, b.Binary)
	}
	if !slices.Contains(b.Env, "CGO_ENABLED=0") {
		t.Errorf("builds must be static: env %v", b.Env)
	}
	for _, os := range []string{"linux", "darwin", "windows"} {
		if !slices.Contains(b.Goos, os) {
			t.Errorf("goos misses %s", os)
		}
	}
	for _, arch := range []string{"amd64", "arm64"} {
		if !slices.Contains(b.Goarch, arch) {
			t.Errorf("goarch misses %s", arch)
		}
	}
	if len(b.Ldflags) != 1 || !strings.Contains(b.Ldflags[0], "-X main.version={{.Version}}") {
		t.Fatalf("ldflags %v must set main.version", b.Ldflags)
	}
	// -X main.version needs a package-level string variable named
	// version in package main (.ci/run builds with these ldflags and runs
	// jml version).
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "main.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.VAR {
			continue
		}
		for _, spec := range g.Specs {
			vs := spec.(*ast.ValueSpec)
			for _, n := range vs.Names {
				if id, ok := vs.Type.(*ast.Ident); n.Name == "version" && ok && id.Name == "string" {
					found = true
				}
			}
		}
	}
	if f.Name.Name != "main" || !found {
		t.Fatal("cmd/jml/main.go has no `var version string` for -X main.version")
	}
}
