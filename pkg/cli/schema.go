package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/jml-dev/jml/schemas"
)

// SchemaOptions are the inputs of `jml schema`.
type SchemaOptions struct {
	IO   *IOStreams
	Name string
}

func newSchemaCmd(g *globals, runF func(*SchemaOptions) error) *cobra.Command {
	opts := &SchemaOptions{}
	return &cobra.Command{
		Use:   "schema flow|config|world|test",
		Short: "Print a JSON Schema of jml's files (for editors and other tools)",
		Long: `Schema prints the JSON Schema (draft 2020-12) that jml validates flow files,
jml.yaml, world files (--world) or test files (jml test) against. The same files are in the schemas/ folder of jml's
repository; point a yaml-language-server modeline at them for completion and
hover help:

  # yaml-language-server: $schema=https://…/schemas/flow.schema.json`,
		Example:   "  jml schema flow > .jml/flow.schema.json",
		ValidArgs: schemas.Names(),
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usageError{fmt.Errorf("jml schema takes one argument: %s", strings.Join(schemas.Names(), ", "))}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.IO, opts.Name = g.io, args[0]
			if runF != nil {
				return runF(opts)
			}
			data, err := schemas.Read(opts.Name)
			if err != nil {
				return usageError{fmt.Errorf("no schema %q: choose %s", opts.Name, strings.Join(schemas.Names(), ", "))}
			}
			_, err = opts.IO.Out.Write(data)
			return err
		},
	}
}
