package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
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

// ReplayOptions are the inputs shared by dry-run and plan.
type ReplayOptions struct {
	IO        *IOStreams
	Color     string
	Config    string
	Events    []string
	World     string
	Flow      string
	At        string
	Window    string
	Format    string
	KeepGoing bool
	// dry-run only: record the runs in this history ("default": the
	// configured one).
	History string
	// plan only
	Out              string
	DetailedExitcode bool
	Compare          string
	// Sandbox is where okta: event sources are read from instead of Okta
	// (--sandbox, $JML_SANDBOX_URL).
	Sandbox string
	// proj is the loaded repository (loadForReplay), for okta: sources.
	proj *project.Project
}

func addReplayFlags(cmd *cobra.Command, o *ReplayOptions) {
	cmd.Flags().StringVar(&o.World, "world", "", "world file (kind: World) seeding the simulated apps and injecting faults")
	cmd.Flags().StringVar(&o.Flow, "flow", "", "run only this flow (and the helpers it calls)")
	addScheduleFlags(cmd, &o.At, &o.Window)
	cmd.Flags().StringVar(&o.Format, "format", "text", "output format: text, json or markdown")
	cmd.Flags().BoolVar(&o.KeepGoing, "keep-going", false, "skip malformed events (counted) instead of stopping at the first")
	cmd.Flags().StringVar(&o.Sandbox, "sandbox", "", "read okta:SINCE..UNTIL event sources from this jml sandbox URL (default $JML_SANDBOX_URL)")
}

func newDryRunCmd(g *globals) *cobra.Command {
	o := &ReplayOptions{}
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
			o.IO, o.Color, o.Config, o.Events = g.io, g.color, g.config, args
			if o.Sandbox == "" {
				o.Sandbox = g.io.Getenv("JML_SANDBOX_URL")
			}
			if err := checkFormat(o.Format, "text", "json", "markdown"); err != nil {
				return err
			}
			return dryRunRun(o)
		},
	}
	addReplayFlags(cmd, o)
	cmd.Flags().StringVar(&o.History, "history", "", "record the runs (marked dry-run) in the history: the configured store, or --history=URL")
	cmd.Flags().Lookup("history").NoOptDefVal = "default"
	return cmd
}

func newPlanCmd(g *globals) *cobra.Command {
	o := &ReplayOptions{}
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
			o.IO, o.Color, o.Config, o.Events = g.io, g.color, g.config, args
			if o.Sandbox == "" {
				o.Sandbox = g.io.Getenv("JML_SANDBOX_URL")
			}
			if err := checkFormat(o.Format, "text", "json", "markdown"); err != nil {
				return err
			}
			if o.Compare != "" {
				if o.Out != "" {
					return usageError{fmt.Errorf("--compare prints a difference, not a plan: it cannot be saved with -o")}
				}
				return compareRun(o)
			}
			return planRun(o)
		},
	}
	addReplayFlags(cmd, o)
	cmd.Flags().StringVarP(&o.Out, "out", "o", "", "save the plan as JSON to this file")
	cmd.Flags().BoolVar(&o.DetailedExitcode, "detailed-exitcode", false, "exit 0 without changes, 2 with changes, 1 on error (with --compare: 2 when behaviour differs)")
	cmd.Flags().StringVar(&o.Compare, "compare", "", "plan the events with the flows at this git ref too (origin/main) and print the behavioural difference")
	return cmd
}

// loadForReplay loads and compiles the repository and the world file,
// printing diagnostics on failure.
func loadForReplay(o *ReplayOptions) (*project.Project, *world.Spec, error) {
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
	o.proj = proj
	return proj, spec, nil
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

// replayAll runs the replay with Ctrl-C stopping it between cards.
func replayAll(o *ReplayOptions, mode engine.Mode, proj *project.Project, spec *world.Spec, onResult func(replay.Result) error) (replay.Stats, error) {
	at, atEnd, err := parseSchedule(o.At, o.Window)
	if err != nil {
		return replay.Stats{}, err
	}
	if len(o.Events) == 0 && at == nil {
		return replay.Stats{}, usageError{fmt.Errorf("give EVENTS (files, directories or - for stdin), or --at or --window for schedule flows")}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	ropts := replay.Options{Graph: proj.Graph, Sources: o.Events, KeepGoing: o.KeepGoing, Stdin: o.IO.In,
		WorkDir: o.IO.WorkDir, World: spec, Mode: mode, Flow: o.Flow, At: at, AtEnd: atEnd, Remote: o.remote(ctx)}
	if o.History != "" {
		// dry-run --history: the runs are recorded, marked dry-run.
		flag := o.History
		if flag == "default" {
			flag = ""
		}
		store, err := openHistory(ctx, o.IO, flag, proj)
		if err != nil {
			return replay.Stats{}, err
		}
		defer store.Close()
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
		defer func() {
			if err := rec.Err(); err != nil {
				fmt.Fprintf(o.IO.ErrOut, "error: %v\n", err)
			}
		}()
	}
	return replay.Run(ctx, ropts, onResult)
}

// reportSkipped tells, on standard error, which malformed events
// --keep-going skipped.
func reportSkipped(o *ReplayOptions, stats replay.Stats) {
	if stats.Skipped == 0 {
		return
	}
	st := o.IO.styles(o.IO.ErrOut, o.Color, o.IO.ErrTTY)
	fmt.Fprintf(o.IO.ErrOut, "%s skipped %s (--keep-going):\n", st.Warning.Render("warning:"), plural(stats.Skipped, "malformed event"))
	for _, e := range stats.SkippedErrors {
		fmt.Fprintf(o.IO.ErrOut, "  %s\n", e)
	}
	if len(stats.SkippedErrors) < stats.Skipped {
		fmt.Fprintf(o.IO.ErrOut, "  … and %d more\n", stats.Skipped-len(stats.SkippedErrors))
	}
}

// dryRunRun replays the events and renders each one's trace as its runs
// finish: only the counts of the summary are kept (SPEC §11).
func dryRunRun(o *ReplayOptions) error {
	proj, spec, err := loadForReplay(o)
	if err != nil {
		return err
	}
	out := view.NewTraceRenderer(o.Format, o.IO.Out, "", o.IO.styles(o.IO.Out, o.Color, o.IO.OutTTY))
	defer out.Close()
	sum := view.TraceSummary{ByStatus: map[engine.Status]int{}}
	bad := false
	stats, rerr := replayAll(o, engine.ModeDryRun, proj, spec, func(r replay.Result) error {
		uuid, typ, pub := r.Trigger()
		runs := r.Runs
		if runs == nil {
			runs = []*engine.Run{}
		}
		if r.Event != nil {
			sum.Events++
		}
		for _, run := range r.Runs {
			sum.Runs++
			sum.ByStatus[run.Status]++
			if run.Status == engine.StatusHalted || run.Status == engine.StatusFailed {
				bad = true
			}
		}
		return out.Event(view.TraceEvent{UUID: uuid, EventType: typ, Published: pub, Runs: runs, Disabled: r.Disabled})
	})
	sum.Duplicates, sum.Skipped = stats.Duplicates, stats.Skipped
	reportSkipped(o, stats)
	if rerr != nil {
		if _, ok := rerr.(usageError); ok {
			return rerr
		}
	}
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
func planRun(o *ReplayOptions) error {
	proj, spec, err := loadForReplay(o)
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
	stats, rerr := replayAll(o, engine.ModePlan, proj, spec, pl.Add)
	if rerr != nil {
		return rerr
	}
	reportSkipped(o, stats)
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

// loadEvents reads every event of sources into memory (apply and --compare
// need them twice), reporting the malformed ones --keep-going skipped.
func loadEvents(o *ReplayOptions, sources []string, keepGoing bool) ([]*event.Event, error) {
	s, err := event.Open(sources, event.Options{KeepGoing: keepGoing, Stdin: o.IO.In, WorkDir: o.IO.WorkDir, Remote: o.remote(context.Background())})
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
	reportSkipped(o, replay.Stats{Stats: s.Stats(), SkippedErrors: s.Skipped()})
	return events, nil
}
