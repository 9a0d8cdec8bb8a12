package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/jml-dev/jml/pkg/cli"
)

var update = flag.Bool("update", false, "rewrite testscript expectations (cmp targets inside the scripts)")

// TestMain lets the test binary double as jml inside the scripts.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"jml": func() { os.Exit(cli.Run(cli.System(), os.Args[1:], "test")) },
	})
}

// TestScripts runs the end-to-end CLI scripts of testdata/script.
func TestScripts(t *testing.T) {
	repo, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	testscript.Run(t, testscript.Params{
		Dir:           filepath.Join(repo, "testdata", "script"),
		UpdateScripts: *update,
		Setup: func(env *testscript.Env) error {
			env.Setenv("REPO", repo)
			// Colour decisions must not depend on the developer's shell.
			env.Setenv("NO_COLOR", "")
			env.Setenv("CLICOLOR", "")
			env.Setenv("CLICOLOR_FORCE", "")
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			// mkfile NAME SIZE: a YAML file of SIZE bytes (comments after a
			// valid header), for the size-limit check.
			"mkfile": func(ts *testscript.TestScript, neg bool, args []string) {
				if len(args) != 2 {
					ts.Fatalf("usage: mkfile NAME SIZE")
				}
				size, err := strconv.Atoi(args[1])
				ts.Check(err)
				var b strings.Builder
				b.WriteString("apiVersion: jml/v1\n")
				for b.Len() < size {
					fmt.Fprintf(&b, "# %s\n", strings.Repeat("x", 70))
				}
				ts.Check(os.WriteFile(ts.MkAbs(args[0]), []byte(b.String()), 0o644))
			},
		},
	})
}
