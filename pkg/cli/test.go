package cli

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"regexp"
	"runtime"

	"github.com/spf13/cobra"

	"github.com/jml-dev/jml/pkg/diag"
	"github.com/jml-dev/jml/pkg/project"
	"github.com/jml-dev/jml/pkg/testrun"
)

// TestOptions are the inputs of `jml test`.
type TestOptions struct {
	IO       *IOStreams
	Color    string
	Config   string
	Paths    []string
	Format   string
	Run      string
	Parallel int
}

func newTestCmd(g *globals, runF func(*TestOptions) error) *cobra.Command {
	opts := &TestOptions{}
	cmd := &cobra.Command{
		Use:   "test [PATH...]",
		Short: "Run the flow tests (kind: Test): events in, expected runs and changes out",
		Long: `Test runs flow tests: each kind: Test file names an Okta event (a file or
inline), an optional world (with faults) and what must happen — which flows
run and how they end, the changes they make in order, the changes they must
not make, the flows that must not fire. Each test replays its event through
the repository's flows against its own simulated world; nothing real is
called and no secret is read.

Each PATH is a test file or a directory of them (*.yaml, *.yml; files of
another kind, such as worlds, are skipped). Without PATH, the tests/
directory beside jml.yaml. Each test runs against the repository whose
jml.yaml is nearest to it (or --config).

Tests run in parallel; results print in file order, the same on every run.
--format junit writes JUnit XML for CI dashboards, --format json one JSON
document (tests with their problems at file:line:column, and a summary). Exits 1 when any test
fails or cannot run. The file format is in docs/testing.md.`,
		Example: `  jml test
  jml test tests/leaver.yaml
  jml test --run leaver            # only tests whose name or file matches
  jml test --format junit > report.xml`,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.IO, opts.Color, opts.Config, opts.Paths = g.io, g.color, g.config, args
			if err := checkFormat(opts.Format, "text", "json", "junit"); err != nil {
				return err
			}
			if opts.Parallel < 1 {
				return usageError{fmt.Errorf("--parallelism must be at least 1, not %d", opts.Parallel)}
			}
			if cmd.Flags().Changed("parallel") {
				fmt.Fprintln(g.io.ErrOut, "warning: --parallel is now --parallelism, as on apply, resume and verify")
			}
			if runF != nil {
				return runF(opts)
			}
			return testRun(opts)
		},
	}
	cmd.Flags().StringVar(&opts.Format, "format", "text", "output format: text, json or junit")
	cmd.Flags().StringVar(&opts.Run, "run", "", "run only the tests whose name or file path matches this regular expression")
	cmd.Flags().IntVar(&opts.Parallel, "parallelism", runtime.GOMAXPROCS(0), "how many tests run at once")
	// --parallel was this flag's first name; apply, resume and verify say
	// --parallelism, so one name it is.
	cmd.Flags().IntVar(&opts.Parallel, "parallel", runtime.GOMAXPROCS(0), "")
	_ = cmd.Flags().MarkHidden("parallel")
	return cmd
}

func testRun(opts *TestOptions) error {
	io := opts.IO
	var filter *regexp.Regexp
	if opts.Run != "" {
		re, err := regexp.Compile(opts.Run)
		if err != nil {
			return usageError{fmt.Errorf("--run: %v", err)}
		}
		filter = re
	}
	abs := io.Path
	paths := make([]string, 0, len(opts.Paths))
	for _, p := range opts.Paths {
		paths = append(paths, abs(p))
	}
	if len(paths) == 0 {
		// The tests/ directory beside jml.yaml.
		cfg := opts.Config
		if cfg == "" {
			found, ok := project.FindConfig(io.WorkDir)
			if !ok {
				return fmt.Errorf("no %s in %s or any parent directory: run jml test in a jml repository, or give test files", project.ConfigName, project.Display(io.WorkDir, io.WorkDir))
			}
			cfg = found
		}
		dir := filepath.Join(filepath.Dir(abs(cfg)), "tests")
		if st, err := os.Stat(dir); err != nil || !st.IsDir() {
			return fmt.Errorf("no tests: %s is not a directory (put kind: Test files there, or give PATHs)", project.Display(io.WorkDir, dir))
		}
		paths = []string{dir}
	}
	files, err := testrun.Discover(paths)
	if err != nil {
		return err
	}

	// Load each repository once; a repository that does not compile stops
	// everything, as its tests could not mean anything.
	type repo struct {
		proj *project.Project
		ds   diag.Diagnostics
	}
	repos := map[string]*repo{}
	var jobs []testrun.Job
	var broken diag.Diagnostics
	var brokenProj *project.Project
	for _, f := range files {
		display := project.Display(io.WorkDir, f)
		cfg := opts.Config
		if cfg != "" {
			cfg = abs(cfg)
		} else {
			found, ok := project.FindConfig(filepath.Dir(f))
			if !ok {
				return fmt.Errorf("%s: no %s beside it or in any parent directory: a test runs against the repository it is in", display, project.ConfigName)
			}
			cfg = found
		}
		r := repos[cfg]
		if r == nil {
			proj, ds := project.Load(project.Options{Config: cfg, WorkDir: io.WorkDir})
			r = &repo{proj: proj, ds: ds}
			repos[cfg] = r
			if ds.HasErrors() {
				broken.Add(ds...)
				brokenProj = proj
			}
		}
		if r.ds.HasErrors() {
			continue
		}
		jobs = append(jobs, testrun.Job{Path: f, Display: display, Graph: r.proj.Graph, WorkDir: io.WorkDir})
	}
	if broken.HasErrors() {
		printDiagnostics(io, opts.Color, broken, brokenProj)
		return exitError{ExitError}
	}
	if len(jobs) == 0 {
		return fmt.Errorf("no test files in %s", joinDisplay(io.WorkDir, paths))
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	st := io.styles(io.Out, opts.Color, io.OutTTY)
	var sum testrun.Summary
	var results []*testrun.Result
	testrun.RunAll(ctx, jobs, opts.Parallel, func(r *testrun.Result) {
		if filter != nil && r.Outcome != testrun.Error && !filter.MatchString(r.Name) && !filter.MatchString(r.Path) {
			return
		}
		sum.Add(r)
		if opts.Format != "text" {
			results = append(results, r)
			return
		}
		testrun.WriteText(io.Out, r, st)
	})
	switch opts.Format {
	case "junit":
		if err := testrun.WriteJUnit(io.Out, results); err != nil {
			return err
		}
	case "json":
		if err := testrun.WriteJSON(io.Out, results); err != nil {
			return err
		}
	default:
		testrun.WriteSummary(io.Out, sum, st)
	}
	if !sum.OK() {
		return exitError{ExitError}
	}
	return nil
}

func joinDisplay(workDir string, paths []string) string {
	s := ""
	for i, p := range paths {
		if i > 0 {
			s += ", "
		}
		s += project.Display(workDir, p)
	}
	return s
}
