package cli

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/jml-dev/jml/pkg/apply"
	"github.com/jml-dev/jml/pkg/clock"
	"github.com/jml-dev/jml/pkg/connector"
	"github.com/jml-dev/jml/pkg/effect"
	"github.com/jml-dev/jml/pkg/engine"
	"github.com/jml-dev/jml/pkg/event"
	"github.com/jml-dev/jml/pkg/history"
	"github.com/jml-dev/jml/pkg/plan"
	"github.com/jml-dev/jml/pkg/project"
	"github.com/jml-dev/jml/pkg/replay"
	"github.com/jml-dev/jml/pkg/view"
)

// ApplyFlags are the flags apply and resume share: how the runs are
// carried out for real, and where they are recorded.
type ApplyFlags struct {
	Format               string
	AutoApprove          bool
	AllowMassDeprovision bool
	Parallelism          int
	// Sandbox points every connector at a jml sandbox (--sandbox, else
	// $JML_SANDBOX_URL).
	Sandbox string
	History string
}

// ApplyOptions are the inputs of `jml apply`.
type ApplyOptions struct {
	IO     *IOStreams
	Color  string
	Config string
	// Args are the EVENTS arguments, or one saved PLANFILE.
	Args      []string
	Flow      string
	KeepGoing bool
	Force     bool
	At        string
	Window    string
	// Temporal, when set, starts the runs as workflows on this Temporal
	// frontend (HOST:PORT) instead of running them here.
	Temporal  string
	Namespace string
	TaskQueue string
	ApplyFlags
	// Clock is apply's time: the engine's waits, the progress line's rate
	// and ETA (tests inject a virtual one); nil is the wall clock.
	Clock clock.Clock
}

func newApplyCmd(g *globals, runF func(*ApplyOptions) error) *cobra.Command {
	o := &ApplyOptions{}
	cmd := &cobra.Command{
		Use:   "apply EVENTS... | apply PLANFILE | apply --at TIME",
		Short: "Run the flows for real on recorded events (or a saved plan)",
		Long: `Apply replays events through the flows with the real connectors: Okta, Slack,
Google Workspace, Microsoft 365, ServiceNow… are called, with retries, rate
limits and timeouts. Secrets are read from the {env:}/{file:} references of
jml.yaml now, and never printed.

Given a plan saved by jml plan -o, apply carries out that plan's events and
refuses a stale plan (jml.yaml or a flow changed since), naming the files.

--at TIME or --window FROM..TO fires the schedule flows due then, as
plan does; a saved plan fires the instants it was planned with.

Before any call, apply plans the same events against the simulated world,
exactly as jml plan does, and refuses when that plan's blast radius
(distinct people deprovisioned) is above guardrails.maxDeprovisionsPerApply
(default 25), unless --allow-mass-deprovision. On a terminal it shows that
plan (or the saved one) and asks for "yes"; without a terminal it needs
--auto-approve.

--sandbox URL (or JML_SANDBOX_URL) points every connector at a jml sandbox
instead of the vendors: a real apply, real HTTP, no real app touched.

Exits 1 when any run halted or failed.`,
		Example: `  jml apply events/deactivate-jane.json
  jml apply plan.json --auto-approve
  jml apply --at 2026-01-05T02:00:00Z --auto-approve     # fire schedule flows
  jml sandbox & jml apply --sandbox http://127.0.0.1:8787 events/ --auto-approve`,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.IO, o.Color, o.Config, o.Args = g.io, g.color, g.config, args
			if len(args) == 0 && o.At == "" && o.Window == "" {
				return usageError{fmt.Errorf("give EVENTS, a saved PLANFILE, or --at / --window for schedule flows")}
			}
			if err := checkFormat(o.Format, "text", "json"); err != nil {
				return err
			}
			if _, _, err := parseSchedule(o.At, o.Window); err != nil {
				return err
			}
			o.Sandbox = sandboxURL(g.io, o.Sandbox)
			if runF != nil {
				return runF(o)
			}
			if o.Temporal != "" {
				return applyTemporalRun(o)
			}
			return applyRun(o)
		},
	}
	cmd.Flags().StringVar(&o.Flow, "flow", "", "run only this flow (and the helpers it calls)")
	cmd.Flags().StringVar(&o.Format, "format", "text", "output format: text or json")
	cmd.Flags().BoolVar(&o.AutoApprove, "auto-approve", false, "do not ask for confirmation")
	cmd.Flags().BoolVar(&o.AllowMassDeprovision, "allow-mass-deprovision", false, "go on even when more users would be deprovisioned than guardrails.maxDeprovisionsPerApply")
	cmd.Flags().IntVar(&o.Parallelism, "parallelism", 4, "runs of different users at once")
	cmd.Flags().StringVar(&o.Sandbox, "sandbox", "", "point every connector at this jml sandbox URL (default $JML_SANDBOX_URL)")
	cmd.Flags().BoolVar(&o.KeepGoing, "keep-going", false, "skip malformed events instead of stopping")
	cmd.Flags().StringVar(&o.History, "history", "", "history store URL: sqlite://PATH or postgres://… (default: history: in jml.yaml, else sqlite://.jml/history.db)")
	cmd.Flags().BoolVar(&o.Force, "force", false, "run every flow from scratch, even those an earlier apply finished")
	addTemporalFlags(cmd, &o.Temporal, &o.Namespace, &o.TaskQueue, "start the runs as workflows on Temporal, at HOST:PORT or temporal.hostPort of jml.yaml, for jml worker to run")
	addScheduleFlags(cmd, &o.At, &o.Window)
	cmd.ValidArgsFunction = eventFiles
	completeFlag(cmd, "flow", completeFlow(g))
	return cmd
}

// isPlanFile tells a saved plan from an events file by its content.
func isPlanFile(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	head := make([]byte, 4096)
	n, _ := io.ReadFull(f, head)
	return bytes.Contains(head[:n], []byte(`"formatVersion"`)) && bytes.HasPrefix(bytes.TrimSpace(head[:n]), []byte("{"))
}

func applyRun(o *ApplyOptions) error {
	proj, _, err := loadForReplay(loadOptions{IO: o.IO, Color: o.Color, Config: o.Config, Flow: o.Flow})
	if err != nil {
		return err
	}
	j := &applyJob{io: o.IO, color: o.Color, ApplyFlags: o.ApplyFlags, clock: o.Clock, proj: proj, flow: o.Flow, force: o.Force}
	if len(o.Args) == 1 && isPlanFile(o.IO.Path(o.Args[0])) {
		err = j.fromPlan(o)
	} else {
		err = j.fromArgs(o)
	}
	if err != nil {
		return err
	}
	return j.run()
}

// applyJob is one apply, or one resume, once its triggers are known: from
// there on both are the same — the guardrail, the confirmation, the
// runs and the output.
type applyJob struct {
	io    *IOStreams
	color string
	ApplyFlags
	clock clock.Clock
	proj  *project.Project
	flow  string
	force bool
	// The triggers: the events, then the schedule instants.
	events   []*event.Event
	instants []time.Time
	// saved is the plan they come from (apply PLANFILE), else nil.
	saved *plan.Plan
	// resume, for jml resume, are the runs to continue, instead of
	// converging.
	resume map[string]*history.RunRow
}

// fromPlan takes the triggers of a saved plan, refused when stale, and
// its --flow unless one is given.
func (j *applyJob) fromPlan(o *ApplyOptions) error {
	if o.At != "" || o.Window != "" {
		return usageError{fmt.Errorf("a saved plan fires the schedule instants it was planned with: --at and --window go to jml plan")}
	}
	p, evs, err := readPlan(j.io, o.Args[0], j.proj)
	if err != nil {
		return err
	}
	j.saved, j.events = p, evs
	if j.flow == "" {
		j.flow = p.Inputs.Flow
	}
	at, atEnd, err := parseSchedule(p.Inputs.At, "")
	if err != nil {
		return fmt.Errorf("%s: inputs.at: %v", o.Args[0], err)
	}
	j.instants, err = replay.Minutes(at, atEnd)
	return err
}

// fromArgs takes the EVENTS arguments and the instants of --at or
// --window.
func (j *applyJob) fromArgs(o *ApplyOptions) error {
	at, atEnd, err := parseSchedule(o.At, o.Window)
	if err != nil {
		return err
	}
	if j.instants, err = replay.Minutes(at, atEnd); err != nil {
		return err
	}
	if len(o.Args) == 0 {
		return nil
	}
	src := eventReader{io: j.io, color: j.color, proj: j.proj, sandbox: j.Sandbox}
	j.events, err = src.load(o.Args, o.KeepGoing)
	return err
}

// run carries the job out. Nothing touches a connector before the
// guardrail and the confirmation; secrets are read after them, and only
// then; every run and call is recorded in the history, under its apply
// lock, as it happens.
func (j *applyJob) run() error {
	p, err := j.plan()
	if err != nil {
		return err
	}
	if err := apply.Guardrail(p, j.proj.Graph.MaxDeprovisions(), j.AllowMassDeprovision); err != nil {
		return err
	}
	if err := j.confirm(p); err != nil {
		return err
	}
	set, err := connector.New(j.proj.Config, connector.Options{SandboxURL: j.Sandbox, Getenv: j.io.Getenv, BaseDir: j.proj.Root, Scopes: j.proj.Graph.Scopes()})
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	store, lock, err := openLocked(ctx, j.io, j.History, j.proj)
	if err != nil {
		return err
	}
	defer store.Close()
	defer lock.Release()
	closeTables, err := useTables(ctx, set, store, j.proj) // the table connectors' rows
	if err != nil {
		return err
	}
	defer closeTables()
	// A lock lost on the way (its heartbeat could not renew it) cancels
	// ctx: the runs stop before their next card, and the journal refuses
	// the next call.
	ctx, stopLock := lock.Context(ctx)
	defer stopLock()
	r := j.runner(set, store)
	if err := j.loop(ctx, r, store); err != nil {
		return err
	}
	return applyVerdict(ctx, lock, r)
}

// plan is the plan of the job's triggers: the saved one, or one made now
// against the simulated world exactly as jml plan makes it (without
// --world), for the guardrail's count and the confirmation.
func (j *applyJob) plan() (*plan.Plan, error) {
	if j.saved != nil {
		return j.saved, nil
	}
	digest, files := plan.Digest(j.proj.Sources)
	return replay.Simulate(context.Background(), j.proj.Graph, digest, files, j.events, j.instants, j.flow)
}

// confirm shows the plan on a terminal and asks; without a terminal it
// refuses unless --auto-approve.
func (j *applyJob) confirm(p *plan.Plan) error {
	if j.AutoApprove {
		return nil
	}
	io := j.io
	if !io.InTTY {
		return fmt.Errorf("apply makes real changes: standard input is not a terminal, so it cannot ask; review with jml plan and run again with --auto-approve")
	}
	view.PlanText(io.ErrOut, p, io.styles(io.ErrOut, j.color, io.ErrTTY))
	if !p.HasChanges() {
		fmt.Fprintln(io.ErrOut, "Nothing to change.")
	}
	fmt.Fprint(io.ErrOut, "\nDo you want to apply these changes for real? Only 'yes' will be accepted: ")
	line, _ := bufio.NewReader(io.In).ReadString('\n')
	if strings.TrimSpace(line) != "yes" {
		return fmt.Errorf("apply cancelled")
	}
	return nil
}

// applyRunner is what the runs of one apply go through and write to.
type applyRunner struct {
	rec  *history.Recorder
	eng  *engine.Engine
	prog *progress
	res  *applyOutput
	// out is standard output, redacted; st its styles.
	out io.Writer
	st  view.Styles
}

// runner sets up the runs: one registry of secrets for everything apply
// writes — the values read from jml.yaml, and each credential the
// connectors make from them (a header as sent, a token, an assertion)
// the moment it exists —, the progress line, the recorder, and the
// engine, set up as in every mode (replay.Engine).
func (j *applyJob) runner(set *connector.Set, store *history.Store) *applyRunner {
	io := j.io
	secrets := set.Redactor()
	out := newRedactor(io.Out, secrets)
	clk := j.clock
	if clk == nil {
		clk = clock.Real{}
	}
	prog := &progress{w: newRedactor(io.ErrOut, secrets), on: io.ErrTTY, total: len(j.events), clock: clk, start: clk.Now()}
	if io.rawErr != nil {
		// Its \r is jml's own, its text counts: past the terminal-safe
		// writer, not past the redactor.
		prog.w = newRedactor(io.rawErr, secrets)
	}
	digest, _ := plan.Digest(j.proj.Sources)
	rec := history.NewRecorder(store, prog, nil, digest)
	rec.Redactor = secrets
	eng := replay.Engine(replay.Setup{Graph: j.proj.Graph, Effector: rec.Effector(set), Clock: clk, Observer: rec, Mode: engine.ModeApply, Flow: j.flow})
	// The output is written in input order as the events finish — while
	// later runs are still going, so that rendering a large apply does not
	// add to its wall time — except on a terminal showing the progress
	// line, where it waits for the end rather than break into the line.
	st := io.styles(io.Out, j.color, io.OutTTY)
	n := len(j.events) + len(j.instants)
	res := &applyOutput{r: view.NewTraceRenderer(j.Format, out, "Apply", st), stream: !prog.on,
		results: make([]apply.Result, n), filled: make([]bool, n),
		t: &view.Trace{Title: "Apply", Summary: view.TraceSummary{ByStatus: map[engine.Status]int{}}}}
	return &applyRunner{rec: rec, eng: eng, prog: prog, res: res, out: out, st: st}
}

// loop runs the triggers — converging, or resuming — and renders them as
// they finish, then the summary. With --format json, a rendering error is
// the apply's.
func (j *applyJob) loop(ctx context.Context, r *applyRunner, store *history.Store) error {
	decide := apply.Converge(store, r.rec, j.force)
	if j.resume != nil {
		decide = apply.Resume(store, r.rec, j.resume)
	}
	res := r.res
	defer res.r.Close()
	apply.Run(ctx, r.eng, j.events, apply.Options{Parallelism: j.Parallelism, Decide: decide, Instants: j.instants}, func(a apply.Result) {
		res.add(a)
		r.prog.eventDone()
	})
	r.prog.finish()
	res.flush(true)
	if err := res.r.End(res.t.Summary); err != nil && res.err == nil {
		res.err = err
	}
	if j.Format == "json" {
		return res.err
	}
	view.ApplySummary(r.out, &res.t.Summary, r.st)
	return nil
}

// applyVerdict is how an apply ended, once its output is written: the
// lock lost, Ctrl-C, the history failing, or a run that halted or failed.
func applyVerdict(ctx context.Context, lock *history.Lock, r *applyRunner) error {
	if err := lock.Err(); err != nil {
		return fmt.Errorf("%v: this apply stopped before its next call; the runs above are unfinished: the same apply again, or jml resume --all, continues them once the lock is free", err)
	}
	if ctx.Err() != nil {
		return fmt.Errorf("interrupted: the runs above stopped between cards; jml resume --all (or the same apply again) continues them")
	}
	if err := r.rec.Err(); err != nil {
		return err
	}
	if r.res.bad {
		return exitError{ExitError}
	}
	return nil
}

// applyOutput renders an apply's results in input order, whatever order
// they finish in: each as soon as every earlier one is in (stream), or all
// at the end (flush).
type applyOutput struct {
	r       view.TraceRenderer
	t       *view.Trace
	stream  bool
	results []apply.Result
	filled  []bool
	next    int
	// bad is set when a run halted or failed, or an event could not be
	// decided; err is the renderer's first error.
	bad bool
	err error
}

// add takes one result (apply.Run calls onResult one at a time).
func (a *applyOutput) add(r apply.Result) {
	a.results[r.Index], a.filled[r.Index] = r, true
	if a.stream {
		a.flush(false)
	}
}

// flush renders the results in order up to the first missing one, or,
// with all, every one (a schedule minute that fired nothing has none).
func (a *applyOutput) flush(all bool) {
	for ; a.next < len(a.results) && (all || a.filled[a.next]); a.next++ {
		if a.filled[a.next] {
			a.emit(a.results[a.next])
			a.results[a.next] = apply.Result{}
		}
	}
}

func (a *applyOutput) emit(r apply.Result) {
	if r.Event == nil && len(r.Runs) == 0 && len(r.Done) == 0 && r.Err == nil {
		return // a schedule minute that fired nothing
	}
	uuid, typ, pub := replay.Result{Event: r.Event, At: r.At}.Trigger()
	te := view.NewTraceEvent(uuid, typ, pub, r.Runs, r.Disabled)
	for _, d := range r.Done {
		te.AlreadyDone = append(te.AlreadyDone, view.DoneRun{Flow: d.Flow, RunID: d.RunID, Status: d.Status})
	}
	if r.Err != nil {
		te.Error = r.Err.Error()
	}
	if a.t.Summary.Add(te, r.Event != nil) {
		a.bad = true
	}
	if err := a.r.Event(te); err != nil && a.err == nil {
		a.err = err
	}
}

// readPlan loads a saved plan (arg as the user gave it, named so in
// messages), refuses it when stale, and decodes its events.
func readPlan(ios *IOStreams, arg string, proj *project.Project) (*plan.Plan, []*event.Event, error) {
	path := project.Display(ios.WorkDir, ios.Path(arg))
	data, err := os.ReadFile(ios.Path(arg))
	if err != nil {
		if pe := (*fs.PathError)(nil); errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, nil, fmt.Errorf("%s: %v", path, err)
	}
	return apply.SavedPlan(data, path, proj.Sources)
}

// redactor replaces every secret of r with *** in what it writes, in the
// forms effect.Redactor knows, including those added after it was made.
// A secret split across two writes is not seen: the renderers write whole
// lines.
type redactor struct {
	mu sync.Mutex
	w  io.Writer
	r  *effect.Redactor
}

func newRedactor(w io.Writer, r *effect.Redactor) *redactor {
	return &redactor{w: w, r: r}
}

func (r *redactor) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, err := r.w.Write(r.r.RedactBytes(p)); err != nil {
		return 0, err
	}
	return len(p), nil
}

// progress shows, on a terminal, the events done, the runs done and
// failed, the rate, and while events remain an ETA: the remaining events
// at the mean time per event so far (with runs of different users at
// once, the wall time: what the user waits).
type progress struct {
	engine.NopObserver
	mu           sync.Mutex
	w            io.Writer
	on           bool
	total, done  int
	runs, failed int
	clock        clock.Clock
	start        time.Time
}

func (p *progress) RunFinished(r *engine.Run) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.runs++
	if r.Status.Failed() {
		p.failed++
	}
}

func (p *progress) eventDone() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done++
	if !p.on {
		return
	}
	elapsed := p.clock.Now().Sub(p.start)
	rate := float64(p.runs) / max(elapsed.Seconds(), 0.001)
	// \r and erase-line: the line is rewritten in place, and may be
	// shorter than the last (an ETA shrinks, then goes).
	line := fmt.Sprintf("\r\x1b[K%d/%d events, %d runs done, %d failed, %.1f runs/s", p.done, p.total, p.runs, p.failed, rate)
	if left := p.total - p.done; left > 0 {
		eta := time.Duration(float64(elapsed) / float64(p.done) * float64(left))
		line += ", ETA " + view.Duration(eta)
	}
	fmt.Fprint(p.w, line+" ")
}

func (p *progress) finish() {
	if p.on {
		fmt.Fprintln(p.w)
	}
}

// openLocked opens the history store and takes its apply lock: one
// apply, resume or serve at a time per history. On error nothing is left
// open.
func openLocked(ctx context.Context, io *IOStreams, flag string, proj *project.Project) (*history.Store, *history.Lock, error) {
	store, err := openHistory(ctx, io, flag, proj)
	if err != nil {
		return nil, nil, err
	}
	lock, err := store.Acquire(ctx, history.ApplyLock, history.LockOptions{})
	if err != nil {
		store.Close()
		return nil, nil, err
	}
	return store, lock, nil
}

// openHistory opens the history store: --history, else history: in
// jml.yaml, else the default SQLite file beside jml.yaml. A relative
// sqlite path is the working directory's when given by --history, the
// repository's when written in jml.yaml.
func openHistory(ctx context.Context, io *IOStreams, flag string, proj *project.Project) (*history.Store, error) {
	if flag != "" || proj == nil {
		return history.Open(ctx, flag, io.WorkDir)
	}
	u, root := "", proj.Root
	if proj.Config != nil {
		u = proj.Config.History.Value
	}
	if root == "" {
		root = io.WorkDir
	}
	return history.Open(ctx, u, root)
}

// useTables has the table instances of set keep their rows in store (the
// history store the command opened), or in the database their jml.yaml
// names (database:), opened here, each once; closeTables closes those.
func useTables(ctx context.Context, set *connector.Set, store *history.Store, proj *project.Project) (closeTables func(), err error) {
	set.UseTables(store)
	opened := map[string]*history.Store{}
	closeTables = func() {
		for _, s := range opened {
			s.Close()
		}
	}
	for name, url := range set.TableDatabases() {
		s, ok := opened[url]
		if !ok {
			if s, err = history.Open(ctx, url, proj.Root); err != nil {
				closeTables()
				return nil, fmt.Errorf("connector %q: database: %v", name, err)
			}
			opened[url] = s
		}
		set.UseTablesOf(name, s)
	}
	return closeTables, nil
}
