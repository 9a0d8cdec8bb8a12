package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/jml-dev/jml/pkg/flopack"
)

func newImportCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "import",
		Short: "Import flows from another tool (Okta Workflows .flopack)",
		Long: `Import turns flows exported from another tool into jml flow files, with a
report of what did not translate. See docs/import.md.`,
		Args: cobra.NoArgs,
	}
	cmd.AddCommand(newImportFlopackCmd(g, nil))
	return cmd
}

// ImportFlopackOptions are the inputs of `jml import flopack`.
type ImportFlopackOptions struct {
	IO     *IOStreams
	Color  string
	File   string
	Dir    string
	Format string
	Force  bool
}

func newImportFlopackCmd(g *globals, runF func(*ImportFlopackOptions) error) *cobra.Command {
	opts := &ImportFlopackOptions{}
	cmd := &cobra.Command{
		Use:   "flopack FILE",
		Short: "Turn an Okta Workflows export (.flopack) into jml flows",
		Long: `Flopack reads an Okta Workflows export (a folder exported as a .flopack) and
writes, into DIR (-o, default the current directory):

  flows/<flow>.yaml   one jml flow per Okta flow (main flows and helpers)
  jml.yaml            the connector instances the pack's connections need,
                      with commented credential placeholders (never a secret)

and prints a report: the flows, the cards translated out of the total, the
cards not translated by card type, and every decision the import made.

A card jml cannot translate becomes a halt "not imported: CARD (module.method)"
step under a "# jml:todo" comment with the card's inputs, and its flow is
written with enabled: false: an imported flow validates but never does half
of its job. jml validate reports each such card as a todo warning.
The same pack always gives the same bytes. See docs/import.md.`,
		Example: `  jml import flopack offboarding.flopack -o okta-flows
  jml import flopack offboarding.flopack --format json | jq .report.translated`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usageError{fmt.Errorf("jml import flopack takes one FILE (a .flopack export)")}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.IO, opts.Color, opts.File = g.io, g.color, args[0]
			if err := checkFormat(opts.Format, "text", "json"); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return importFlopackRun(opts)
		},
	}
	cmd.Flags().StringVarP(&opts.Dir, "output", "o", ".", "directory to write flows/ and jml.yaml into")
	cmd.Flags().StringVar(&opts.Format, "format", "text", "report format: text or json")
	cmd.Flags().BoolVar(&opts.Force, "force", false, "overwrite files that already exist")
	return cmd
}

func importFlopackRun(opts *ImportFlopackOptions) error {
	io := opts.IO
	path := io.Path(opts.File)
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("import: %w", err)
	}
	pack, err := flopack.Parse(data)
	if err != nil {
		return fmt.Errorf("import: %s: %w", opts.File, err)
	}
	files, rep := flopack.Import(pack)
	dir := io.Path(opts.Dir)
	var existing []string
	for _, f := range files {
		if _, err := os.Stat(filepath.Join(dir, f.Path)); err == nil {
			existing = append(existing, f.Path)
		}
	}
	if len(existing) > 0 && !opts.Force {
		st := io.styles(io.ErrOut, opts.Color, io.ErrTTY)
		fmt.Fprintf(io.ErrOut, "%s %s already %s in %s; nothing was written (--force overwrites them):\n",
			st.Error.Render("error:"), plural(len(existing), "file"), map[bool]string{true: "exists", false: "exist"}[len(existing) == 1], displayDir(io.WorkDir, dir))
		for _, p := range existing {
			fmt.Fprintf(io.ErrOut, "  %s\n", p)
		}
		return exitError{ExitError}
	}
	for _, f := range files {
		p := filepath.Join(dir, f.Path)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return fmt.Errorf("import: %w", err)
		}
		if err := os.WriteFile(p, f.Data, 0o644); err != nil {
			return fmt.Errorf("import: %w", err)
		}
	}
	if opts.Format == "json" {
		paths := make([]string, len(files))
		for i, f := range files {
			paths[i] = f.Path
		}
		enc := json.NewEncoder(io.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(struct {
			Dir    string          `json:"dir"`
			Files  []string        `json:"files"`
			Report *flopack.Report `json:"report"`
		}{displayDir(io.WorkDir, dir), paths, rep})
	}
	fmt.Fprintf(io.Out, "Imported %s into %s\n", opts.File, displayDir(io.WorkDir, dir))
	flopack.WriteReport(io.Out, rep)
	return nil
}
