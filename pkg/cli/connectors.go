package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/jml-dev/jml/pkg/catalog"
	"github.com/jml-dev/jml/pkg/diag"
	"github.com/jml-dev/jml/pkg/view"
)

// ConnectorsOptions are the inputs of `jml connectors`.
type ConnectorsOptions struct {
	IO     *IOStreams
	Color  string
	Type   string
	Format string
}

func newConnectorsCmd(g *globals, runF func(*ConnectorsOptions) error) *cobra.Command {
	opts := &ConnectorsOptions{}
	cmd := &cobra.Command{
		Use:   "connectors [TYPE]",
		Short: "List the connector types and the actions flows can call",
		Long: `Connectors prints the action catalogue: for each connector type its actions,
their inputs (? marks optional ones) and outputs, whether each reads or
writes, whether it is idempotent, and the vendor API call it makes.`,
		Example: `  jml connectors
  jml connectors slack
  jml connectors --format json | jq '.[].type'`,
		ValidArgs: catalog.Types(),
		Args:      cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.IO, opts.Color = g.io, g.color
			if len(args) == 1 {
				opts.Type = args[0]
			}
			if err := checkFormat(opts.Format, "text", "json"); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return connectorsRun(opts)
		},
	}
	cmd.Flags().StringVar(&opts.Format, "format", "text", "output format: text or json")
	return cmd
}

func connectorsRun(opts *ConnectorsOptions) error {
	var cons []*catalog.Connector
	if opts.Type == "" {
		cons = catalog.All()
	} else {
		c, ok := catalog.Lookup(opts.Type)
		if !ok {
			msg := fmt.Sprintf("no connector type %q", opts.Type)
			if s, ok := diag.Closest(opts.Type, catalog.Types()); ok {
				msg += fmt.Sprintf("; did you mean %q?", s)
			}
			return usageError{fmt.Errorf("%s (types: %v)", msg, catalog.Types())}
		}
		cons = []*catalog.Connector{c}
	}
	if opts.Format == "json" {
		return view.ConnectorsJSON(opts.IO.Out, cons)
	}
	view.ConnectorsText(opts.IO.Out, cons, opts.IO.styles(opts.IO.Out, opts.Color, opts.IO.OutTTY))
	return nil
}
