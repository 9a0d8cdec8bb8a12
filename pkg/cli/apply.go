package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
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

// ApplyOptions are the inputs of `jml apply`.
type ApplyOptions struct {
	IO                   *IOStreams
	Color                string
	Config               string
	Args                 []string
	Flow                 string
	Format               string
	AutoApprove          bool
	AllowMassDeprovision bool
	Parallelism          int
	Sandbox              string
	KeepGoing            bool
	History              string
	Force                bool
	At                   string
	Window               string
	// resume, when set, continues these runs instead of converging.
	resume map[string]*history.RunRow
	// events and instants, when set, are the triggers (jml resume)
	// instead of Args.
	events   []*event.Event
	instants []time.Time
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
			if o.Sandbox == "" {
				o.Sandbox = g.io.Getenv("JML_SANDBOX_URL")
			}
			if runF != nil {
				return runF(o)
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
	addScheduleFlags(cmd, &o.At, &o.Window)
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
	io := o.IO
	proj, _, err := loadForReplay(loadOptions{IO: io, Color: o.Color, Config: o.Config, Flow: o.Flow})
	if err != nil {
		return err
	}
	// Triggers: from a saved plan (checked for staleness), or the
	// arguments and --at / --window.
	events, instants := o.events, o.instants
	var saved *plan.Plan
	switch {
	case o.resume != nil:
		// jml resume: the recorded triggers.
	case len(o.Args) == 1 && isPlanFile(io.Path(o.Args[0])):
		if o.At != "" || o.Window != "" {
			return usageError{fmt.Errorf("a saved plan fires the schedule instants it was planned with: --at and --window go to jml plan")}
		}
		p, evs, err := readPlan(io, o.Args[0], proj)
		if err != nil {
			return err
		}
		saved, events = p, evs
		if o.Flow == "" {
			o.Flow = p.Inputs.Flow
		}
		at, atEnd, err := parseSchedule(p.Inputs.At, "")
		if err != nil {
			return fmt.Errorf("%s: inputs.at: %v", o.Args[0], err)
		}
		if instants, err = replay.Minutes(at, atEnd); err != nil {
			return err
		}
	default:
		at, atEnd, err := parseSchedule(o.At, o.Window)
		if err != nil {
			return err
		}
		if instants, err = replay.Minutes(at, atEnd); err != nil {
			return err
		}
		if len(o.Args) > 0 {
			src := eventReader{io: io, color: o.Color, proj: proj, sandbox: o.Sandbox}
			if events, err = src.load(o.Args, o.KeepGoing); err != nil {
				return err
			}
		}
	}

	// The guardrail, before anything else touches a connector: the plan of
	// these triggers — the saved one, or one made now exactly as jml plan
	// makes it — and its blast radius.
	p := saved
	if p == nil {
		if p, err = simulate(proj, events, instants, o.Flow); err != nil {
			return err
		}
	}
	guard := p.Summary.BlastRadius
	if guard == nil {
		guard = plan.NewBlastRadius(proj.Graph.MaxDeprovisions())
	}
	guard.Limit = proj.Graph.MaxDeprovisions()
	guard.Exceeded = guard.Users > guard.Limit
	if guard.Exceeded && !o.AllowMassDeprovision {
		return errors.New(guard.Message())
	}

	// Confirmation: show the plan on a terminal and ask; refuse without one.
	if !o.AutoApprove {
		if !io.InTTY {
			return fmt.Errorf("apply makes real changes: standard input is not a terminal, so it cannot ask; review with jml plan and run again with --auto-approve")
		}
		view.PlanText(io.ErrOut, p, io.styles(io.ErrOut, o.Color, io.ErrTTY))
		if !p.HasChanges() {
			fmt.Fprintln(io.ErrOut, "Nothing to change.")
		}
		fmt.Fprint(io.ErrOut, "\nDo you want to apply these changes for real? Only 'yes' will be accepted: ")
		line, _ := bufio.NewReader(io.In).ReadString('\n')
		if strings.TrimSpace(line) != "yes" {
			return fmt.Errorf("apply cancelled")
		}
	}

	// The real connectors; secrets are read now, and only now.
	set, err := connector.New(proj.Config, connector.Options{SandboxURL: o.Sandbox, Getenv: io.Getenv, BaseDir: proj.Root, Scopes: proj.Graph.Scopes()})
	if err != nil {
		return err
	}

	// The history: every run and every call is recorded as it happens.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	store, lock, err := openLocked(ctx, io, o.History, proj)
	if err != nil {
		return err
	}
	defer store.Close()
	defer lock.Release()
	// A lock lost on the way (its heartbeat could not renew it) cancels
	// ctx: the runs stop before their next card, and the journal refuses
	// the next call.
	ctx, stopLock := lock.Context(ctx)
	defer stopLock()

	// One registry of secrets for everything apply writes: the values
	// read from jml.yaml, and each credential the connectors make from
	// them (a header as sent, a token, an assertion) the moment it exists.
	secrets := set.Redactor()
	out := newRedactor(io.Out, secrets)
	errOut := newRedactor(io.ErrOut, secrets)
	prog := &progress{w: errOut, on: io.ErrTTY, total: len(events), start: time.Now()}
	if io.rawErr != nil {
		// Its \r is jml's own, its text counts: past the terminal-safe
		// writer, not past the redactor.
		prog.w = newRedactor(io.rawErr, secrets)
	}
	digest, _ := plan.Digest(proj.Sources)
	rec := history.NewRecorder(store, prog, nil, digest)
	rec.Redactor = secrets
	eng := replay.Engine(replay.Setup{Graph: proj.Graph, Effector: rec.Effector(set), Clock: clock.Real{}, Observer: rec, Mode: engine.ModeApply, Flow: o.Flow})

	decide := apply.Converge(store, rec, o.Force)
	if o.resume != nil {
		decide = apply.Resume(store, rec, o.resume)
	}
	// The output is written in input order as the events finish — while
	// later runs are still going, so that rendering a large apply does not
	// add to its wall time — except on a terminal showing the progress
	// line, where it waits for the end rather than break into the line.
	st := io.styles(io.Out, o.Color, io.OutTTY)
	res := &applyOutput{r: view.NewTraceRenderer(o.Format, out, "Apply", st), stream: !prog.on,
		results: make([]apply.Result, len(events)+len(instants)), filled: make([]bool, len(events)+len(instants)),
		t: &view.Trace{Title: "Apply", Summary: view.TraceSummary{ByStatus: map[engine.Status]int{}}}}
	defer res.r.Close()
	apply.Run(ctx, eng, events, apply.Options{Parallelism: o.Parallelism, Decide: decide, Instants: instants}, func(r apply.Result) {
		res.add(r)
		prog.eventDone()
	})
	prog.finish()
	res.flush(true)
	if err := res.r.End(res.t.Summary); err != nil && res.err == nil {
		res.err = err
	}
	if o.Format == "json" {
		if res.err != nil {
			return res.err
		}
	} else {
		view.ApplySummary(out, &res.t.Summary, st)
	}
	if err := lock.Err(); err != nil {
		return fmt.Errorf("%v: this apply stopped before its next call; the runs above are unfinished: the same apply again, or jml resume --all, continues them once the lock is free", err)
	}
	if ctx.Err() != nil {
		return fmt.Errorf("interrupted: the runs above stopped between cards; jml resume --all (or the same apply again) continues them")
	}
	if err := rec.Err(); err != nil {
		return err
	}
	if res.bad {
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
	p, err := plan.Decode(data)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %v", path, err)
	}
	digest, files := plan.Digest(proj.Sources)
	if digest != p.Digest {
		changed := plan.Stale(p.Files, files)
		return nil, nil, fmt.Errorf("stale plan %s: changed since it was made: %s; run jml plan again", path, strings.Join(changed, ", "))
	}
	if p.Inputs == nil {
		return nil, nil, fmt.Errorf("%s: the plan has no inputs (save it with jml plan -o)", path)
	}
	var nd bytes.Buffer
	for _, e := range p.Inputs.Events {
		b, err := json.Marshal(e)
		if err != nil {
			return nil, nil, err
		}
		nd.Write(b)
		nd.WriteByte('\n')
	}
	s, err := event.Decode(&nd, path+" (inputs)", event.Options{})
	if err != nil {
		return nil, nil, err
	}
	defer s.Close()
	var evs []*event.Event
	for {
		ev, err := s.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, nil, err
		}
		evs = append(evs, ev)
	}
	return p, evs, nil
}

// simulate plans the triggers against the simulated world exactly as jml
// plan does (without --world): the guardrail's count and the
// confirmation prompt.
func simulate(proj *project.Project, events []*event.Event, instants []time.Time, flow string) (*plan.Plan, error) {
	digest, files := plan.Digest(proj.Sources)
	return replay.Simulate(context.Background(), proj.Graph, digest, files, events, instants, flow)
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

// progress shows runs done and failed, and the rate, on a terminal.
type progress struct {
	engine.NopObserver
	mu           sync.Mutex
	w            io.Writer
	on           bool
	total, done  int
	runs, failed int
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
	rate := float64(p.runs) / max(time.Since(p.start).Seconds(), 0.001)
	fmt.Fprintf(p.w, "\r%d/%d events, %d runs done, %d failed, %.1f runs/s ", p.done, p.total, p.runs, p.failed, rate)
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
	if flag != "" {
		return history.Open(ctx, flag, io.WorkDir)
	}
	u := ""
	if proj.Config != nil {
		u = proj.Config.History.Value
	}
	return history.Open(ctx, u, proj.Root)
}
