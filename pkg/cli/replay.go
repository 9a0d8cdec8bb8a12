package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/jml-dev/jml/pkg/diag"
	"github.com/jml-dev/jml/pkg/engine"
	"github.com/jml-dev/jml/pkg/event"
	"github.com/jml-dev/jml/pkg/history"
	"github.com/jml-dev/jml/pkg/plan"
	"github.com/jml-dev/jml/pkg/project"
	"github.com/jml-dev/jml/pkg/replay"
	"github.com/jml-dev/jml/pkg/source"
	"github.com/jml-dev/jml/pkg/view"
	"github.com/jml-dev/jml/pkg/world"
)

// ReplayFlags are the flags dry-run and plan share: the triggers, and how
// they are replayed.
type ReplayFlags struct {
	// Events are the EVENTS arguments: files, directories, - (standard
	// input) or okta:SINCE[..UNTIL].
	Events []string
	// World is the --world file, or "".
	World string
	// Flow restricts the replay to one flow (--flow).
	Flow string
	// At and Window are --at and --window, as given.
	At, Window string
	Format     string
	KeepGoing  bool
	// Sandbox is where okta: event sources are read from instead of Okta
	// (--sandbox, else $JML_SANDBOX_URL).
	Sandbox string
}

// DryRunOptions are the inputs of `jml dry-run`.
type DryRunOptions struct {
	IO     *IOStreams
	Color  string
	Config string
	ReplayFlags
	// History records the runs (marked dry-run) in this store: a URL, or
	// "default" for the configured one (--history without a value).
	History string
}

// PlanOptions are the inputs of `jml plan`.
type PlanOptions struct {
	IO     *IOStreams
	Color  string
	Config string
	ReplayFlags
	// Out saves the plan to this file (-o).
	Out              string
	DetailedExitcode bool
	// Compare plans with the flows at this git ref too and prints the
	// difference (--compare).
	Compare string
}

func addReplayFlags(g *globals, cmd *cobra.Command, o *ReplayFlags) {
	cmd.ValidArgsFunction = eventFiles
	cmd.Flags().StringVar(&o.World, "world", "", "world file (kind: World) seeding the simulated apps and injecting faults")
	cmd.Flags().StringVar(&o.Flow, "flow", "", "run only this flow (and the helpers it calls)")
	addScheduleFlags(cmd, &o.At, &o.Window)
	cmd.Flags().StringVar(&o.Format, "format", "text", "output format: text, json or markdown")
	cmd.Flags().BoolVar(&o.KeepGoing, "keep-going", false, "skip malformed events (counted) instead of stopping at the first")
	cmd.Flags().StringVar(&o.Sandbox, "sandbox", "", "read okta:SINCE..UNTIL event sources from this jml sandbox URL (default $JML_SANDBOX_URL)")
	completeFlag(cmd, "flow", completeFlow(g))
	completeFlag(cmd, "world", yamlFiles)
}

// fill completes the replay flags from the arguments and the environment
// and refuses what no replay can do: a bad --format or schedule, or
// nothing to replay.
func (f *ReplayFlags) fill(io *IOStreams, args []string) error {
	f.Events = args
	f.Sandbox = sandboxURL(io, f.Sandbox)
	if err := checkFormat(f.Format, "text", "json", "markdown"); err != nil {
		return err
	}
	at, _, err := parseSchedule(f.At, f.Window)
	if err != nil {
		return err
	}
	if len(f.Events) == 0 && at == nil {
		return usageError{fmt.Errorf("give EVENTS (files, directories or - for stdin), or --at or --window for schedule flows")}
	}
	return nil
}

func newDryRunCmd(g *globals, runF func(*DryRunOptions) error) *cobra.Command {
	o := &DryRunOptions{}
	cmd := &cobra.Command{
		Use:   "dry-run [EVENTS...]",
		Short: "Replay events through the flows against the simulated world; print the full trace",
		Long: `Dry-run replays recorded Okta events (a .json LogEvent, array or event-hook
delivery; a .ndjson/.jsonl stream; a directory of them; - for stdin;
okta:SINCE[..UNTIL] for Okta's System Log, read as it comes) through
every flow whose trigger matches, against jml's simulated world of downstream
apps, and prints the trace: each card with its status, inputs, outputs or
error, retries and (virtual) duration. Nothing real is called and no secret
is read (but for an okta: source, which reads the System Log with the okta
instance's credentials, or a jml sandbox with --sandbox).

The world is seeded from the events (each user an event names exists and is
active) and from --world. Time is virtual: retry waits cost nothing.

Exits 1 when any run halted or failed.`,
		Example: `  jml dry-run events/deactivate.ndjson
  jml dry-run events/ --world worlds/acme.yaml --format markdown
  jml dry-run --at 2026-01-05T02:00:00Z          # fire schedule flows`,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.IO, o.Color, o.Config = g.io, g.color, g.config
			if err := o.fill(g.io, args); err != nil {
				return err
			}
			if runF != nil {
				return runF(o)
			}
			return dryRunRun(o)
		},
	}
	addReplayFlags(g, cmd, &o.ReplayFlags)
	cmd.Flags().StringVar(&o.History, "history", "", "record the runs (marked dry-run) in the history: the configured store, or --history=URL")
	cmd.Flags().Lookup("history").NoOptDefVal = "default"
	return cmd
}

func newPlanCmd(g *globals, runF func(*PlanOptions) error) *cobra.Command {
	o := &PlanOptions{}
	cmd := &cobra.Command{
		Use:   "plan [EVENTS...]",
		Short: "Show the changes the flows would make for recorded events, without making any",
		Long: `Plan replays events like dry-run, against a private copy of the simulated
world, and prints the change set: for each event and flow, every write the
run would make, in order, with its resolved inputs and the helper flows it
was made in. Reads are answered by the world.

-o saves the plan (the JSON of --format json) with the events and the digest of jml.yaml
and every flow file, for jml apply. --detailed-exitcode exits 0 when there
are no changes, 2 when there are, 1 on error.`,
		Example: `  jml plan events/
  jml plan events/deactivate.ndjson --format json | jq '.summary'
  jml plan events/ --format markdown > plan.md     # a pull-request comment
  jml plan events/ -o plan.json --detailed-exitcode
  jml plan okta:2026-11-01T00:00:00Z..2026-11-02T00:00:00Z   # the System Log (docs/events.md)`,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.IO, o.Color, o.Config = g.io, g.color, g.config
			if o.Compare != "" && o.Out != "" {
				return usageError{fmt.Errorf("--compare prints a difference, not a plan: it cannot be saved with -o")}
			}
			if err := o.fill(g.io, args); err != nil {
				return err
			}
			if runF != nil {
				return runF(o)
			}
			if o.Compare != "" {
				return compareRun(o)
			}
			return planRun(o)
		},
	}
	addReplayFlags(g, cmd, &o.ReplayFlags)
	cmd.Flags().StringVarP(&o.Out, "out", "o", "", "save the plan as JSON to this file")
	cmd.Flags().BoolVar(&o.DetailedExitcode, "detailed-exitcode", false, "exit 0 without changes, 2 with changes, 1 on error (with --compare: 2 when behaviour differs)")
	cmd.Flags().StringVar(&o.Compare, "compare", "", "plan the events with the flows at this git ref too (origin/main) and print the behavioural difference")
	return cmd
}

// loadOptions are what loading the repository takes: the streams, the
// global flags, and the command's --world file and --flow, if any.
type loadOptions struct {
	IO     *IOStreams
	Color  string
	Config string
	World  string
	Flow   string
}

// loadForReplay loads and compiles the repository and the world file,
// printing diagnostics on failure; a --flow must name one of its flows.
func loadForReplay(o loadOptions) (*project.Project, *world.Spec, error) {
	io := o.IO
	lo := project.Options{Config: o.Config, Dir: io.WorkDir, WorkDir: io.WorkDir}
	proj, ds := project.Load(lo)
	var spec *world.Spec
	if o.World != "" && !ds.HasErrors() {
		path := io.Path(o.World)
		display := project.Display(io.WorkDir, path)
		s, wds := world.LoadFile(path, display)
		ds.Add(wds...)
		if b, err := os.ReadFile(path); err == nil {
			proj.Files[display] = &source.File{Path: display, Src: b} // for snippets
		}
		spec = s
	}
	if ds.HasErrors() {
		printDiagnostics(io, o.Color, ds, proj)
		return nil, nil, exitError{ExitError}
	}
	if o.Flow != "" {
		if _, ok := proj.Graph.Flows[o.Flow]; !ok {
			return nil, nil, usageError{fmt.Errorf("--flow %q: no such flow (flows: %s)", o.Flow, strings.Join(proj.Graph.Names, ", "))}
		}
	}
	return proj, spec, nil
}

// load loads the repository for a replay of these flags.
func (f *ReplayFlags) load(io *IOStreams, color, config string) (*project.Project, *world.Spec, error) {
	return loadForReplay(loadOptions{IO: io, Color: color, Config: config, World: f.World, Flow: f.Flow})
}

func printDiagnostics(io *IOStreams, color string, ds diag.Diagnostics, proj *project.Project) {
	shown, _ := ds.Normalize(MaxDiagnostics)
	st := io.styles(io.ErrOut, color, io.ErrTTY)
	view.DiagnosticsText(io.ErrOut, shown, func(p string) []byte {
		if f := proj.Files[p]; f != nil {
			return f.Src
		}
		return nil
	}, st)
	errs, _ := ds.Count()
	fmt.Fprintf(io.ErrOut, "%s %s\n", st.Error.Render("failed:"), plural(errs, "error"))
}

// addScheduleFlags adds --at and --window, the same on dry-run, plan and
// apply.
func addScheduleFlags(cmd *cobra.Command, at, window *string) {
	cmd.Flags().StringVar(at, "at", "", "fire the schedule flows due at this RFC 3339 instant (FROM/TO: every minute of a window)")
	cmd.Flags().StringVar(window, "window", "", "fire the schedule flows due in every minute of FROM..TO (RFC 3339, at most a week)")
}

// parseSchedule reads --at (an instant, or FROM/TO) and --window
// (FROM..TO) into the instant and the end of the window.
func parseSchedule(at, window string) (*time.Time, *time.Time, error) {
	if at != "" && window != "" {
		return nil, nil, usageError{fmt.Errorf("--at and --window: give one")}
	}
	flag, s, sep := "--at", at, "/"
	if window != "" {
		flag, s, sep = "--window", window, ".."
	}
	if s == "" {
		return nil, nil, nil
	}
	from, to, isWindow := strings.Cut(s, sep)
	if flag == "--window" && !isWindow {
		return nil, nil, usageError{fmt.Errorf("--window: %q is not FROM..TO (2026-01-05T00:00:00Z..2026-01-06T00:00:00Z)", s)}
	}
	a, err := time.Parse(time.RFC3339, from)
	if err != nil {
		return nil, nil, usageError{fmt.Errorf("%s: %q is not an RFC 3339 time (2026-01-05T02:00:00Z)", flag, from)}
	}
	a = a.UTC()
	if !isWindow {
		return &a, nil, nil
	}
	b, err := time.Parse(time.RFC3339, to)
	if err != nil || b.Before(a) {
		return nil, nil, usageError{fmt.Errorf("%s: %q is not an RFC 3339 time after %s", flag, to, from)}
	}
	b = b.UTC()
	if b.Sub(a) > replay.MaxWindowMinutes*time.Minute {
		return nil, nil, usageError{fmt.Errorf("%s: the window is longer than a week", flag)}
	}
	return &a, &b, nil
}

// scheduleInput is how a saved plan records the schedule instants: --at's
// syntax (an instant, or FROM/TO).
func scheduleInput(at, atEnd *time.Time) string {
	if at == nil {
		return ""
	}
	s := at.Format(time.RFC3339)
	if atEnd != nil {
		s += "/" + atEnd.Format(time.RFC3339)
	}
	return s
}

// replayAll runs the replay of f with Ctrl-C stopping it between cards;
// historyURL, when set, records the runs, marked dry-run ("default": the
// configured store).
func replayAll(ios *IOStreams, f *ReplayFlags, historyURL string, mode engine.Mode, proj *project.Project, spec *world.Spec, onResult func(replay.Result) error) (replay.Stats, error) {
	at, atEnd, err := parseSchedule(f.At, f.Window)
	if err != nil {
		return replay.Stats{}, err
	}
	defer replayMemoryLimit()()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	src := eventReader{io: ios, proj: proj, sandbox: f.Sandbox}
	ropts := replay.Options{Graph: proj.Graph, Sources: f.Events, KeepGoing: f.KeepGoing, Stdin: ios.In,
		WorkDir: ios.WorkDir, World: spec, Mode: mode, Flow: f.Flow, At: at, AtEnd: atEnd, Remote: src.remote(ctx)}
	if historyURL != "" {
		done, err := recordReplay(ctx, ios, historyURL, proj, &ropts)
		if err != nil {
			return replay.Stats{}, err
		}
		defer done()
	}
	return replay.Run(ctx, ropts, onResult)
}

// recordReplay makes a replay record its runs in the history (dry-run
// --history), marked with the replay's mode. done closes the store and
// reports a recording error.
func recordReplay(ctx context.Context, ios *IOStreams, url string, proj *project.Project, ropts *replay.Options) (done func(), err error) {
	if url == "default" {
		url = ""
	}
	store, err := openHistory(ctx, ios, url, proj)
	if err != nil {
		return nil, err
	}
	digest, _ := plan.Digest(proj.Sources)
	rec := history.NewRecorder(store, nil, nil, digest)
	ropts.Observer, ropts.Wrap, ropts.OnEvent = rec, rec.Effector, rec.Event
	ropts.RunID = func(derived string) string {
		id, err := store.NewRunID(ctx, derived)
		if err != nil {
			return derived
		}
		return id
	}
	return func() {
		if err := rec.Err(); err != nil {
			fmt.Fprintf(ios.ErrOut, "error: %v\n", err)
		}
		store.Close()
	}, nil
}

// reportSkipped tells, on standard error, which malformed events
// --keep-going skipped.
func reportSkipped(ios *IOStreams, color string, stats replay.Stats) {
	if stats.Skipped == 0 {
		return
	}
	st := ios.styles(ios.ErrOut, color, ios.ErrTTY)
	fmt.Fprintf(ios.ErrOut, "%s skipped %s (--keep-going):\n", st.Warning.Render("warning:"), plural(stats.Skipped, "malformed event"))
	for _, e := range stats.SkippedErrors {
		fmt.Fprintf(ios.ErrOut, "  %s\n", e)
	}
	if len(stats.SkippedErrors) < stats.Skipped {
		fmt.Fprintf(ios.ErrOut, "  … and %d more\n", stats.Skipped-len(stats.SkippedErrors))
	}
}

// ReplayMemoryLimit is the soft limit of the Go runtime's memory that
// dry-run and plan set while they replay, unless one is set (GOMEMLIMIT). The
// replay streams and keeps what it holds flat (about 30 MB live at 200,000
// events of the lifecycle log), but the collector lets the heap grow to
// twice what is live before it runs; with the executable's own pages
// (about 32 MiB) that came to 103–112 MiB of peak RSS. With the limit the
// collector runs sooner as the heap nears it: 84–88 MiB at 200,000 events,
// the output byte for byte the same, about 18% more CPU time on that log
// (bench/README.md). A replay whose live heap outgrows it still runs —
// the limit is soft — with the collector working harder.
const ReplayMemoryLimit = 56 << 20

// replayMemoryLimit sets ReplayMemoryLimit unless a limit is set already
// (GOMEMLIMIT, which the runtime reads at start, or a program embedding
// jml), and returns what restores the limit before it.
func replayMemoryLimit() func() {
	if debug.SetMemoryLimit(-1) != math.MaxInt64 {
		return func() {}
	}
	prev := debug.SetMemoryLimit(ReplayMemoryLimit)
	return func() { debug.SetMemoryLimit(prev) }
}

// dryRunRun replays the events and renders each one's trace as its runs
// finish: only the counts of the summary are kept (SPEC §11).
func dryRunRun(o *DryRunOptions) error {
	proj, spec, err := o.load(o.IO, o.Color, o.Config)
	if err != nil {
		return err
	}
	out := view.NewTraceRenderer(o.Format, o.IO.Out, "", o.IO.styles(o.IO.Out, o.Color, o.IO.OutTTY))
	defer out.Close()
	sum := view.TraceSummary{ByStatus: map[engine.Status]int{}}
	bad := false
	stats, rerr := replayAll(o.IO, &o.ReplayFlags, o.History, engine.ModeDryRun, proj, spec, func(r replay.Result) error {
		uuid, typ, pub := r.Trigger()
		te := view.NewTraceEvent(uuid, typ, pub, r.Runs, r.Disabled)
		if sum.Add(te, r.Event != nil) {
			bad = true
		}
		return out.Event(te)
	})
	sum.Duplicates, sum.Skipped = stats.Duplicates, stats.Skipped
	reportSkipped(o.IO, o.Color, stats)
	// After an error too: the summary of what was replayed.
	if err := out.End(sum); err != nil && rerr == nil {
		return err
	}
	if rerr != nil {
		return rerr
	}
	if bad {
		return exitError{ExitError}
	}
	return nil
}

// planRun replays the events and hands each one's runs to the renderer
// of --format, and to the -o file, as they finish: the plan is never held
// whole (SPEC §11), only its summary.
func planRun(o *PlanOptions) error {
	proj, spec, err := o.load(o.IO, o.Color, o.Config)
	if err != nil {
		return err
	}
	digest, files := plan.Digest(proj.Sources)
	var sinks []plan.Sink
	if o.Out != "" {
		at, atEnd, err := parseSchedule(o.At, o.Window)
		if err != nil {
			return err
		}
		f, err := createPlanFile(o.IO.Path(o.Out), o.Flow, scheduleInput(at, atEnd))
		if err != nil {
			return err
		}
		defer f.abort()
		sinks = append(sinks, f)
	}
	out := view.NewPlanRenderer(o.Format, o.IO.Out, o.IO.styles(o.IO.Out, o.Color, o.IO.OutTTY))
	defer out.Close()
	pl := replay.NewStreamingPlanner(proj.Graph, digest, files, append(sinks, out)...)
	stats, rerr := replayAll(o.IO, &o.ReplayFlags, "", engine.ModePlan, proj, spec, pl.Add)
	if rerr != nil {
		return rerr
	}
	reportSkipped(o.IO, o.Color, stats)
	p, err := pl.End(stats)
	if err != nil {
		return err
	}
	if o.DetailedExitcode && p.HasChanges() {
		return exitError{ExitChanges}
	}
	return nil
}

// planFile is the -o file, written as the plan is made (plan.Writer) into
// a temporary file beside it that replaces it only once the plan is whole:
// a plan that fails half-way leaves no half plan, and the previous file
// as it was.
type planFile struct {
	*plan.Writer
	path string
	tmp  *os.File
	buf  *bufio.Writer
	done bool
}

func createPlanFile(path, flow, at string) (*planFile, error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return nil, fmt.Errorf("saving the plan: %w", err)
	}
	f := &planFile{path: path, tmp: tmp, buf: bufio.NewWriterSize(tmp, 64<<10)}
	f.Writer = plan.NewWriter(f.buf)
	f.Writer.KeepInputs(flow, at, "")
	return f, nil
}

func (f *planFile) wrap(err error) error {
	if err != nil {
		return fmt.Errorf("saving the plan: %w", err)
	}
	return nil
}

func (f *planFile) Begin(digest string, files map[string]string) error {
	return f.wrap(f.Writer.Begin(digest, files))
}

func (f *planFile) Event(ev plan.Event) error { return f.wrap(f.Writer.Event(ev)) }

func (f *planFile) Input(raw map[string]any) error { return f.wrap(f.Writer.Input(raw)) }

// End writes the summary and the inputs, and puts the file in place.
func (f *planFile) End(s plan.Summary) error {
	if err := f.Writer.End(s); err != nil {
		return f.wrap(err)
	}
	if err := f.buf.Flush(); err != nil {
		return f.wrap(err)
	}
	if err := f.tmp.Chmod(0o644); err != nil {
		return f.wrap(err)
	}
	if err := f.tmp.Close(); err != nil {
		return f.wrap(err)
	}
	if err := os.Rename(f.tmp.Name(), f.path); err != nil {
		return f.wrap(err)
	}
	f.done = true
	return nil
}

// abort removes the temporary file of a plan that did not end, and the
// spooled inputs.
func (f *planFile) abort() {
	f.Writer.Close()
	if !f.done {
		f.tmp.Close()
		os.Remove(f.tmp.Name())
	}
}

// eventReader reads the EVENTS arguments of a command: okta: sources
// through the repository's okta instance (or the jml sandbox), the
// malformed events --keep-going skipped reported on standard error.
type eventReader struct {
	io      *IOStreams
	color   string
	proj    *project.Project
	sandbox string
}

// load reads every event of sources into memory (apply, verify and
// --compare need them twice).
func (r eventReader) load(sources []string, keepGoing bool) ([]*event.Event, error) {
	s, err := event.Open(sources, event.Options{KeepGoing: keepGoing, Stdin: r.io.In, WorkDir: r.io.WorkDir, Remote: r.remote(context.Background())})
	if err != nil {
		return nil, err
	}
	defer s.Close()
	var events []*event.Event
	for {
		ev, err := s.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		events = append(events, ev)
	}
	reportSkipped(r.io, r.color, replay.Stats{Stats: s.Stats(), SkippedErrors: s.Skipped()})
	return events, nil
}
