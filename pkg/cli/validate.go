package cli

import (
	"fmt"
	"os"
	"runtime/debug"
	"sort"
	"strings"

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
	// NoCache ignores and leaves alone the cache of .jml/cache/validate.
	NoCache bool
	// Build identifies this jml binary in cache keys.
	Build string
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

Warnings print but do not fail the command unless --strict.

Answers are cached in .jml/cache/validate of the repository, keyed by the
sha256 of what each depends on (jml's build, the schemas, the bytes of the
files): a file that did not change is not checked again, and a repository
in which nothing changed is answered from one entry. The cache never changes
an answer; --no-cache neither reads nor writes it.`,
		Example: `  jml validate
  jml validate examples/quickstart flows
  jml validate --format json | jq '.[] | .code'
  jml validate --format github    # in a GitHub Actions step`,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.IO, opts.Color, opts.Config, opts.Paths = g.io, g.color, g.config, args
			opts.Build = buildID(g.version)
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
	cmd.Flags().BoolVar(&opts.NoCache, "no-cache", false, "check every file again: neither read nor write .jml/cache/validate")
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
	var scopes []string // "instance: scope, scope", for the text output
	for _, p := range paths {
		lo := project.Options{Dir: p, WorkDir: io.WorkDir, Cache: !opts.NoCache, Stream: true, Build: opts.Build}
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
		fl, c := proj.Stats()
		totalFlows += fl
		totalCards += c
		for inst, sc := range proj.Scopes() {
			name := inst
			if len(opts.Paths) > 1 {
				name = project.Display(io.WorkDir, proj.Root) + ": " + inst
			}
			scopes = append(scopes, name+": "+strings.Join(sc, ", "))
		}
	}
	sort.Strings(scopes)
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
		if errs == 0 && len(scopes) > 0 {
			// What the token must be granted (and what jml requests when
			// auth lists no scopes): the scopes of the actions the flows call.
			fmt.Fprintln(io.Out, st.Dim.Render("scopes the flows need (grant them to the app; jml requests them when auth: lists none):"))
			for _, l := range scopes {
				fmt.Fprintf(io.Out, "  %s\n", l)
			}
		}
	}
	if errs > 0 || (opts.Strict && warns > 0) {
		return exitError{ExitError}
	}
	return nil
}

// buildID identifies this jml binary for the validate cache: its version,
// its build information (module versions, VCS revision and whether the tree
// was modified) and the size and modification time of the executable, so
// that a rebuilt development binary does not take answers of the last one.
func buildID(version string) string {
	var b strings.Builder
	b.WriteString(version)
	if bi, ok := debug.ReadBuildInfo(); ok {
		b.WriteString("\n")
		b.WriteString(bi.String())
	}
	if exe, err := os.Executable(); err == nil {
		if st, err := os.Stat(exe); err == nil {
			fmt.Fprintf(&b, "\n%d %d", st.Size(), st.ModTime().UnixNano())
		}
	}
	return b.String()
}

func plural(n int, word string) string {
	if n == 1 {
		return fmt.Sprintf("1 %s", word)
	}
	return fmt.Sprintf("%d %ss", n, word)
}
