package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/jml-dev/jml/pkg/diag"
	"github.com/jml-dev/jml/pkg/project"
	"github.com/jml-dev/jml/pkg/view"
)

// MaxDiagnostics caps how many diagnostics one validate prints.
const MaxDiagnostics = 200

// ValidateOptions are the inputs of `jml validate`.
type ValidateOptions struct {
	IO     *IOStreams
	Color  string
	Config string
	Paths  []string
	Format string
	Strict bool
}

func newValidateCmd(g *globals, runF func(*ValidateOptions) error) *cobra.Command {
	opts := &ValidateOptions{}
	cmd := &cobra.Command{
		Use:   "validate [PATH...]",
		Short: "Check every flow of a repository: schema, names, actions, expressions",
		Long: `Validate loads jml.yaml and every flow file of the repository, checks them
against the JSON Schemas, compiles them into card graphs and type-checks every
expression. It reports every problem at once, as file:line:col, sorted.

Each PATH is a repository directory, or a file or folder inside one; the
whole repository that holds it is checked. Without PATH, the repository of
the current directory (or --config) is checked.

Warnings print but do not fail the command unless --strict.`,
		Example: `  jml validate
  jml validate examples/quickstart flows
  jml validate --format json | jq '.[] | .code'
  jml validate --format github    # in a GitHub Actions step`,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.IO, opts.Color, opts.Config, opts.Paths = g.io, g.color, g.config, args
			if err := checkFormat(opts.Format, "text", "json", "github"); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return validateRun(opts)
		},
	}
	cmd.Flags().StringVar(&opts.Format, "format", "text", "output format: text, json or github")
	cmd.Flags().BoolVar(&opts.Strict, "strict", false, "exit 1 on warnings too")
	return cmd
}

func validateRun(opts *ValidateOptions) error {
	io := opts.IO
	paths := opts.Paths
	if len(paths) == 0 {
		paths = []string{""}
	}
	var all diag.Diagnostics
	files := map[string][]byte{}
	seen := map[string]bool{}
	totalFiles, totalFlows, totalCards := 0, 0, 0
	for _, p := range paths {
		lo := project.Options{Dir: p, WorkDir: io.WorkDir}
		if p == "" {
			lo.Config = opts.Config
		}
		if p == "" && opts.Config == "" {
			lo.Dir = io.WorkDir
		}
		if p != "" {
			if cfg, ok := project.FindConfig(p); ok {
				if seen[cfg] {
					continue
				}
				seen[cfg] = true
			}
		}
		proj, ds := project.Load(lo)
		all.Add(ds...)
		for path, f := range proj.Files {
			files[path] = f.Src
		}
		totalFiles += proj.FileCount
		if proj.Graph != nil {
			fl, c := proj.Graph.Stats()
			totalFlows += fl
			totalCards += c
		}
	}
	shown, dropped := all.Normalize(MaxDiagnostics)
	errs, warns := all.Count()
	switch opts.Format {
	case "json":
		if err := view.DiagnosticsJSON(io.Out, shown); err != nil {
			return err
		}
	case "github":
		view.DiagnosticsGitHub(io.Out, shown)
	default:
		st := io.styles(io.Out, opts.Color, io.OutTTY)
		view.DiagnosticsText(io.Out, shown, func(p string) []byte { return files[p] }, st)
		if dropped > 0 {
			fmt.Fprintf(io.Out, "... and %d more (only the first %d are shown)\n", dropped, MaxDiagnostics)
		}
		summary := fmt.Sprintf("%s, %s, %s checked", plural(totalFiles, "file"), plural(totalFlows, "flow"), plural(totalCards, "card"))
		switch {
		case errs > 0:
			fmt.Fprintf(io.Out, "%s %s, %s\n", st.Error.Render("failed:"), plural(errs, "error"), plural(warns, "warning"))
		case warns > 0 && opts.Strict:
			fmt.Fprintf(io.Out, "%s %s (--strict), %s\n", st.Error.Render("failed:"), plural(warns, "warning"), summary)
		case warns > 0:
			fmt.Fprintf(io.Out, "%s %s, %s\n", st.Warning.Render("ok with warnings:"), plural(warns, "warning"), summary)
		default:
			fmt.Fprintf(io.Out, "%s %s\n", st.OK.Render("ok:"), summary)
		}
	}
	if errs > 0 || (opts.Strict && warns > 0) {
		return exitError{ExitError}
	}
	return nil
}

func plural(n int, word string) string {
	if n == 1 {
		return fmt.Sprintf("1 %s", word)
	}
	return fmt.Sprintf("%d %ss", n, word)
}
