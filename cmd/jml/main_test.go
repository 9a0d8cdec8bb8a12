package main

import (
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
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
			// mkfifo NAME: a named pipe, so that a script can wait for a
			// background jml sandbox to be ready without polling a clock.
			"mkfifo": func(ts *testscript.TestScript, neg bool, args []string) {
				if len(args) != 1 {
					ts.Fatalf("usage: mkfifo NAME")
				}
				ts.Check(syscall.Mkfifo(ts.MkAbs(args[0]), 0o600))
			},
			// readurl FIFO VAR: block until a line is written to FIFO (the
			// sandbox's --ready-file) and set VAR to it.
			"readurl": func(ts *testscript.TestScript, neg bool, args []string) {
				if len(args) != 2 {
					ts.Fatalf("usage: readurl FIFO VAR")
				}
				data, err := os.ReadFile(ts.MkAbs(args[0]))
				ts.Check(err)
				ts.Setenv(args[1], strings.TrimSpace(string(data)))
			},
			// http METHOD URL [FILE]: make a request and write the body to
			// FILE (or stdout of the script's last command is not used).
			"http": func(ts *testscript.TestScript, neg bool, args []string) {
				if len(args) != 3 {
					ts.Fatalf("usage: http METHOD URL FILE")
				}
				req, err := http.NewRequest(args[0], args[1], nil)
				ts.Check(err)
				resp, err := http.DefaultClient.Do(req)
				ts.Check(err)
				defer resp.Body.Close()
				body, err := io.ReadAll(resp.Body)
				ts.Check(err)
				if (resp.StatusCode >= 300) != neg {
					ts.Fatalf("%s %s: %s", args[0], args[1], resp.Status)
				}
				ts.Check(os.WriteFile(ts.MkAbs(args[2]), body, 0o644))
			},
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
