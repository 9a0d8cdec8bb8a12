package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/jml-dev/jml/pkg/diag"
	"github.com/jml-dev/jml/pkg/graph"
	"github.com/jml-dev/jml/pkg/project"
)

// GraphOptions are the inputs of `jml graph`.
type GraphOptions struct {
	IO     *IOStreams
	Color  string
	Config string
	Flow   string
	Format string
	Expand bool
}

func newGraphCmd(g *globals, runF func(*GraphOptions) error) *cobra.Command {
	opts := &GraphOptions{}
	cmd := &cobra.Command{
		Use:   "graph FLOW",
		Short: "Draw a flow's card graph as a Mermaid or Graphviz diagram, or an SVG image",
		Long: `Graph draws one flow as compiled: the trigger (event types and when:),
every card (action cards as INSTANCE.ACTION with their step id, marked read,
write or deprovision, with their retry policy), if/else and switch branches,
forEach loops, try/catch blocks, helper calls, continueIf, return and halt,
and the on-error paths. --expand draws the cards of called helper flows
inside each call.

--format mermaid (the default) prints a Mermaid flowchart, which GitHub
renders in a ` + "```mermaid" + ` block of a pull-request comment; --format markdown
prints that block. --format dot prints a Graphviz digraph (dot -Tsvg).
--format svg prints a standalone SVG image, laid out by jml itself (no
Graphviz needed), with its style sheet in it (light and dark mode).

The repository must validate: errors are printed as by jml validate and
the command exits 1. See docs/graph.md for what each shape means.`,
		Example: `  jml graph leaver
  jml graph leaver --format markdown >> pr-comment.md
  jml graph joiner --expand --format dot | dot -Tsvg > joiner.svg
  jml graph mover --format svg > mover.svg`,
		Args: cobra.MaximumNArgs(1),
		ValidArgsFunction: func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
			if len(args) > 0 {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			return completeFlow(g)(cmd, args, toComplete)
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.IO, opts.Color, opts.Config = g.io, g.color, g.config
			if len(args) == 1 {
				opts.Flow = args[0]
			}
			if err := checkFormat(opts.Format, "mermaid", "dot", "markdown", "svg"); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return graphRun(opts)
		},
	}
	cmd.Flags().StringVar(&opts.Format, "format", "mermaid", "output format: mermaid, dot, markdown (the mermaid in a fenced block) or svg")
	cmd.Flags().BoolVar(&opts.Expand, "expand", false, "draw the cards of called helper flows inside each call")
	return cmd
}

func graphRun(opts *GraphOptions) error {
	io := opts.IO
	proj, ds := project.Load(project.Options{Config: opts.Config, Dir: io.WorkDir, WorkDir: io.WorkDir})
	if ds.HasErrors() || proj.Graph == nil {
		printDiagnostics(io, opts.Color, ds, proj)
		return exitError{ExitError}
	}
	names := proj.Graph.Names
	if opts.Flow == "" {
		return usageError{fmt.Errorf("give the FLOW to draw (flows: %s)", strings.Join(names, ", "))}
	}
	if _, ok := proj.Graph.Flows[opts.Flow]; !ok {
		msg := fmt.Sprintf("no flow %q", opts.Flow)
		if s, ok := diag.Closest(opts.Flow, names); ok {
			msg += fmt.Sprintf("; did you mean %q?", s)
		}
		return usageError{fmt.Errorf("%s (flows: %s)", msg, strings.Join(names, ", "))}
	}
	d, err := graph.Build(proj.Graph, opts.Flow, graph.Options{Expand: opts.Expand})
	if err != nil {
		return err
	}
	switch opts.Format {
	case "dot":
		return d.Dot(io.Out)
	case "markdown":
		return d.Markdown(io.Out)
	case "svg":
		_, err := io.Out.Write(d.SVG(graph.SVGOptions{Standalone: true}))
		return err
	default:
		return d.Mermaid(io.Out)
	}
}
