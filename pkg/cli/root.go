package cli

import (
	"errors"
	"fmt"
	"runtime/debug"
	"sort"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/jml-dev/jml/pkg/diag"
)

// globals are the flags every command takes.
type globals struct {
	io      *IOStreams
	color   string
	config  string
	version string
}

// Run runs jml with args (without the program name) and returns the exit
// code. version is set by the build (ldflags); empty falls back to the
// module's build info.
func Run(io *IOStreams, args []string, version string) (code int) {
	// A bug must not print a stack trace at a user: say what happened and
	// exit non-zero.
	defer func() {
		if r := recover(); r != nil {
			fmt.Fprintf(io.ErrOut, "error: internal error in jml (please report it with the command you ran): %v\n", r)
			code = ExitError
		}
	}()
	g := &globals{io: io, version: resolveVersion(version)}
	io.makeSafe(&g.color)
	root := newRoot(g)
	root.SetArgs(temporalArgs(io, args))
	root.SetIn(io.In)
	root.SetOut(io.Out)
	root.SetErr(io.ErrOut)
	err := root.Execute()
	code = exitCode(err)
	var ee exitError
	if err != nil && !errors.As(err, &ee) {
		st := io.styles(io.ErrOut, g.color, io.ErrTTY)
		fmt.Fprintf(io.ErrOut, "%s %s\n", st.Error.Render("error:"), err)
	}
	return code
}

// exitCode is the exit code of a command's error: an exitError's own
// code (the command has said why), ExitUsage for a bad command line,
// ExitError for anything else.
func exitCode(err error) int {
	if err == nil {
		return ExitOK
	}
	var ee exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	var ue usageError
	if errors.As(err, &ue) || isCobraUsage(err) {
		return ExitUsage
	}
	return ExitError
}

// usageError is a bad command line.
type usageError struct{ error }

// flagSuggestion adds a did-you-mean to an unknown flag (--formt).
func flagSuggestion(c *cobra.Command, err error) error {
	name, ok := strings.CutPrefix(err.Error(), "unknown flag: --")
	if !ok {
		return err
	}
	var names []string
	c.Flags().VisitAll(func(f *pflag.Flag) {
		if !f.Hidden {
			names = append(names, f.Name)
		}
	})
	sort.Strings(names)
	if s, ok := diag.Closest(name, names); ok {
		return fmt.Errorf("%w; did you mean --%s?", err, s)
	}
	return err
}

func isCobraUsage(err error) bool {
	s := err.Error()
	for _, p := range []string{"unknown command", "unknown flag", "unknown shorthand flag", "flag needs an argument", "invalid argument", "accepts ", "requires at least", "requires at most", "bad flag syntax"} {
		if strings.HasPrefix(s, p) || strings.Contains(s, p) {
			return true
		}
	}
	return false
}

func resolveVersion(v string) string {
	if v != "" {
		return v
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}

func newRoot(g *globals) *cobra.Command {
	root := &cobra.Command{
		Use:   "jml",
		Short: "Joiner / mover / leaver identity automation as code",
		Long: `jml runs joiner, mover and leaver identity flows written as YAML in a git
repository: validate them before merge, replay recorded Okta events through
them, and apply the changes to Okta, Slack, Google Workspace, Microsoft 365,
ServiceNow and more.

jml looks for jml.yaml in the current directory or any parent (like git);
--config names it explicitly.`,
		Example: `  jml validate                       # check every flow of the repository
  jml validate --format github       # annotations for a GitHub pull request
  jml connectors okta                # the actions flows can call on Okta
  jml schema flow > flow.schema.json # the JSON Schema, for editors`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       g.version,
	}
	root.SetVersionTemplate("jml {{.Version}}\n")
	root.SetUsageTemplate(root.UsageTemplate() + "\n" + exitCodesHelp + "\n")
	root.PersistentFlags().StringVar(&g.color, "color", "auto", "colour output: auto, always or never (auto honours NO_COLOR, CLICOLOR and CLICOLOR_FORCE)")
	root.PersistentFlags().StringVar(&g.config, "config", "", "path of jml.yaml (default: found in the current directory or a parent)")
	root.PersistentPreRunE = func(cmd *cobra.Command, args []string) error {
		switch g.color {
		case "auto", "always", "never":
			return nil
		}
		return usageError{fmt.Errorf("--color must be auto, always or never, not %q", g.color)}
	}
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error { return usageError{flagSuggestion(c, err)} })
	root.AddCommand(
		newValidateCmd(g, nil),
		newDryRunCmd(g, nil),
		newPlanCmd(g, nil),
		newGraphCmd(g, nil),
		newInitCmd(g, nil),
		newTestCmd(g, nil),
		newApplyCmd(g, nil),
		newSandboxCmd(g, nil),
		newServeCmd(g, nil),
		newWorkerCmd(g, nil),
		newHistoryCmd(g, nil),
		newResumeCmd(g, nil),
		newSchemaCmd(g, nil),
		newConnectorsCmd(g, nil),
		newVerifyCmd(g, nil),
		newEventsCmd(g),
		newImportCmd(g),
		newVersionCmd(g, nil),
	)
	return root
}

// VersionOptions are the inputs of `jml version`.
type VersionOptions struct {
	IO      *IOStreams
	Version string
}

func newVersionCmd(g *globals, runF func(*VersionOptions) error) *cobra.Command {
	o := &VersionOptions{}
	return &cobra.Command{
		Use:   "version",
		Short: "Print jml's version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.IO, o.Version = g.io, g.version
			if runF != nil {
				return runF(o)
			}
			return versionRun(o)
		},
	}
}

func versionRun(o *VersionOptions) error {
	fmt.Fprintf(o.IO.Out, "jml %s\n", o.Version)
	return nil
}

// checkFormat validates a --format value.
func checkFormat(format string, allowed ...string) error {
	for _, a := range allowed {
		if format == a {
			return nil
		}
	}
	return usageError{fmt.Errorf("--format must be one of %s, not %q", strings.Join(allowed, ", "), format)}
}
