package cli

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// designRef is a citation of jml's design contract (SPEC.md, "SPEC §7"),
// which users do not have: a section sign not after "RFC nnnn".
var designRef = regexp.MustCompile(`SPEC|(^|[^0-9] )§|^§`)

// TestDocsStandAlone: the README, docs/ and the examples' READMEs state
// their rules instead of citing the design contract (SPEC.md §n), which
// users do not have. RFC sections may be cited.
func TestDocsStandAlone(t *testing.T) {
	paths, _ := filepath.Glob("../../docs/*.md")
	paths = append(paths, "../../README.md")
	examples, _ := filepath.Glob("../../examples/*/README.md")
	paths = append(paths, examples...)
	if len(paths) < 10 {
		t.Fatalf("found %d documents: wrong directory?", len(paths))
	}
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range strings.Split(string(data), "\n") {
			if designRef.MatchString(line) {
				t.Errorf("%s:%d cites the design contract: %s", strings.TrimPrefix(p, "../../"), i+1, line)
			}
		}
	}
}

// TestHelpStandsAlone: no command's help or flag usage cites SPEC.
func TestHelpStandsAlone(t *testing.T) {
	io, _, _, _ := Test()
	root := newRoot(&globals{io: io, version: "test"})
	n := 0
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		n++
		for _, text := range []string{c.Short, c.Long, c.Example} {
			if designRef.MatchString(text) {
				t.Errorf("jml %s: help cites the design contract: %q", c.CommandPath(), text)
			}
		}
		c.Flags().VisitAll(func(f *pflag.Flag) {
			if designRef.MatchString(f.Usage) {
				t.Errorf("%s --%s: usage cites the design contract: %q", c.CommandPath(), f.Name, f.Usage)
			}
		})
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
	if n < 20 {
		t.Fatalf("walked %d commands", n)
	}
}

func TestDesignRef(t *testing.T) {
	for s, want := range map[string]bool{
		"the plan document of SPEC §7":              true,
		"SPEC.md §3–§4":                             true,
		"§ 4":                                       true,
		"(HTTP basic, RFC 6749 §2.3.1)":             false,
		"the plan document, whose fields are fixed": false,
	} {
		if got := designRef.MatchString(s); got != want {
			t.Errorf("%q: %v, want %v", s, got, want)
		}
	}
}
