package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/jml-dev/jml/pkg/scaffold"
)

// InitOptions are the inputs of `jml init`.
type InitOptions struct {
	IO    *IOStreams
	Color string
	// Dir is where the repository is made (default ".").
	Dir   string
	Force bool
	// Version is jml's: the CI files pin it when it is a release.
	Version string
}

func newInitCmd(g *globals, runF func(*InitOptions) error) *cobra.Command {
	opts := &InitOptions{}
	cmd := &cobra.Command{
		Use:   "init [DIR]",
		Short: "Scaffold a new flow repository: config, flow library, events, tests and CI",
		Long: `Init writes a new jml repository into DIR (default: the current directory,
made if missing):

  jml.yaml                     the connector instances the flows use, with
                               commented examples of every other connector type;
                               secrets as {env:} / {file:} references only
  flows/                       the joiner / mover / leaver library and its helpers
  events/                      a recorded Okta event per trigger, with provenance
  tests/                       a flow test (kind: Test) per trigger flow
  .github/workflows/jml.yml    GitHub Actions: validate, test, and the pull
                               request's behaviour diff (plan --compare) as a comment
  .gitlab-ci.yml               the same for GitLab merge requests
  .gitignore                   .jml/ (the local Flow History, the validate cache)
  README.md

The CI files install jml at the version in JML_VERSION: this jml's when it
is a release, else a placeholder to set (a comment says so).

Every YAML file starts with a yaml-language-server modeline pointing at the
published JSON Schema. The scaffold validates without warnings and its tests
pass. Init refuses to overwrite an existing file and names them all;
--force replaces them (other files in DIR are left alone).`,
		Example: `  jml init identity-flows && cd identity-flows && jml test
  jml init --force             # restore the scaffold's files here`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.IO, opts.Color, opts.Dir, opts.Version = g.io, g.color, ".", g.version
			if len(args) == 1 {
				opts.Dir = args[0]
			}
			if runF != nil {
				return runF(opts)
			}
			return initRun(opts)
		},
	}
	cmd.Flags().BoolVar(&opts.Force, "force", false, "overwrite files that already exist")
	return cmd
}

func initRun(opts *InitOptions) error {
	io := opts.IO
	dir := io.Path(opts.Dir)
	if fi, err := os.Stat(dir); err == nil && !fi.IsDir() {
		return fmt.Errorf("init: %s is not a directory", opts.Dir)
	}
	files, err := scaffold.Files(opts.Version)
	if err != nil {
		return fmt.Errorf("init: %w", err)
	}
	existing := scaffold.Existing(dir, files)
	if len(existing) > 0 && !opts.Force {
		st := io.styles(io.ErrOut, opts.Color, io.ErrTTY)
		fmt.Fprintf(io.ErrOut, "%s %s already %s in %s; nothing was written (--force overwrites them):\n",
			st.Error.Render("error:"), plural(len(existing), "file"), map[bool]string{true: "exists", false: "exist"}[len(existing) == 1], displayDir(io.WorkDir, dir))
		for _, p := range existing {
			fmt.Fprintf(io.ErrOut, "  %s\n", p)
		}
		return exitError{ExitError}
	}
	if err := scaffold.Write(dir, files); err != nil {
		return fmt.Errorf("init: %w", err)
	}

	st := io.styles(io.Out, opts.Color, io.OutTTY)
	over := map[string]bool{}
	for _, p := range existing {
		over[p] = true
	}
	shown := displayDir(io.WorkDir, dir)
	fmt.Fprintf(io.Out, "%s a jml repository in %s:\n", st.OK.Render("Created"), shown)
	for _, f := range files {
		note := ""
		if over[f.Path] {
			note = st.Dim.Render("  (overwritten)")
		}
		fmt.Fprintf(io.Out, "  %s%s\n", f.Path, note)
	}
	fmt.Fprintln(io.Out)
	fmt.Fprintln(io.Out, "Next:")
	if shown != "." {
		fmt.Fprintf(io.Out, "  cd %s\n", shellQuote(shown))
	}
	fmt.Fprintln(io.Out, "  jml validate                 # the flows, the config and the lint rules")
	fmt.Fprintln(io.Out, "  jml test                     # the flow tests in tests/")
	fmt.Fprintln(io.Out, "  jml dry-run events/          # replay the recorded events, card by card")
	fmt.Fprintln(io.Out, "  git init && git add -A && git commit -m 'jml flows'")
	fmt.Fprintln(io.Out, "Then adapt flows/ and jml.yaml to your org (README.md says what is Acme-specific).")
	return nil
}

// displayDir is dir as the user should read it: relative to the working
// directory when it is below it.
func displayDir(wd, dir string) string {
	if rel, err := filepath.Rel(wd, dir); err == nil && !strings.HasPrefix(rel, "..") {
		return rel
	}
	return dir
}

func shellQuote(s string) string {
	if strings.ContainsAny(s, " \t'\"$`\\!*?[]{}()<>|&;#~") {
		return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
	}
	return s
}
