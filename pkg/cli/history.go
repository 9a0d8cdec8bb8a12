package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/jml-dev/jml/pkg/apply"
	"github.com/jml-dev/jml/pkg/catalog"
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

// historyFlags are the flags every history command shares: --history,
// a persistent flag of jml history.
type historyFlags struct {
	url string
}

// add defines --history on cmd and its subcommands.
func (hf *historyFlags) add(cmd *cobra.Command) {
	cmd.PersistentFlags().StringVar(&hf.url, "history", "", "history store URL: sqlite://PATH or postgres://… (default: history: in jml.yaml, else sqlite://.jml/history.db)")
}

// openHistoryFor opens the store of --history, else of history: in the
// jml.yaml found (flows with errors do not stop history from being read),
// else the default file beside jml.yaml (or in the working directory).
func openHistoryFor(ctx context.Context, ios *IOStreams, config, url string) (*history.Store, error) {
	if url != "" {
		return openHistory(ctx, ios, url, nil)
	}
	proj, ds := project.Load(project.Options{Config: config, Dir: ios.WorkDir, WorkDir: ios.WorkDir})
	for _, d := range ds {
		if d.Code == "no-config" {
			// Outside a repository there is no history to read, and
			// none is created here.
			return nil, fmt.Errorf("%s; or give --history URL", d.Message)
		}
	}
	return openHistory(ctx, ios, "", proj)
}

// parseAge reads an age: a Go duration (36h, 90m) or a number of days
// (400d) or weeks (8w).
func parseAge(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	for suffix, unit := range map[string]time.Duration{"d": 24 * time.Hour, "w": 7 * 24 * time.Hour} {
		if n, ok := strings.CutSuffix(s, suffix); ok {
			v, err := strconv.Atoi(n)
			if err != nil || v < 0 {
				return 0, fmt.Errorf("%q is not an age (400d, 8w, 36h)", s)
			}
			return time.Duration(v) * unit, nil
		}
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("%q is not an age (400d, 8w, 36h)", s)
	}
	return d, nil
}

// parseSince reads --since: an RFC 3339 time, a date, or an age (7d).
func parseSince(s string, now time.Time) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return t, nil
	}
	d, err := parseAge(s)
	if err != nil {
		return time.Time{}, fmt.Errorf("--since %q: give a time (2026-11-01, 2026-11-01T09:00:00Z) or an age (7d, 36h)", s)
	}
	return now.Add(-d), nil
}

// HistoryOptions are the inputs of `jml history` (the list).
type HistoryOptions struct {
	IO      *IOStreams
	Color   string
	Config  string
	History string
	Format  string
	// Filter holds --flow, --status, --event, --user, --mode and --limit;
	// its Since is set from Since when the list is read.
	Filter history.Filter
	// Since is --since as given: a time, a date or an age.
	Since string
}

func newHistoryCmd(g *globals, runF func(*HistoryOptions) error) *cobra.Command {
	hf := &historyFlags{}
	o := &HistoryOptions{}
	cmd := &cobra.Command{
		Use:   "history",
		Short: "List the runs recorded by apply (Flow History), newest first",
		Long: `History lists the runs apply recorded (and dry-run --history), newest first:
when, flow, event type, user, status (green success, red halted or failed,
yellow filtered or interrupted), duration and run id.

The store is --history URL, else history: in jml.yaml, else
sqlite://.jml/history.db beside jml.yaml. Retention is yours: nothing is
deleted but by jml history prune.`,
		Example: `  jml history
  jml history --flow leaver --status halted --since 7d
  jml history --user jane.doe@acme.com --format json
  jml history show run-6f1c0a2e9b3d4e5f
  jml history serve                       # the same, in a browser
  jml history prune --older-than 400d`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.IO, o.Color, o.Config, o.History = g.io, g.color, g.config, hf.url
			if err := checkFormat(o.Format, "text", "json"); err != nil {
				return err
			}
			if o.Since != "" {
				if _, err := parseSince(o.Since, time.Now()); err != nil {
					return usageError{err}
				}
			}
			switch o.Filter.Status {
			case "", "success", "filtered", "halted", "failed", history.StatusRunning, history.StatusInterrupted:
			default:
				return usageError{fmt.Errorf("--status must be success, filtered, halted, failed, running or interrupted, not %q", o.Filter.Status)}
			}
			if runF != nil {
				return runF(o)
			}
			return historyRun(o)
		},
	}
	f := &o.Filter
	hf.add(cmd)
	cmd.Flags().StringVar(&o.Format, "format", "text", "output format: text or json")
	cmd.Flags().StringVar(&f.Flow, "flow", "", "only runs of this flow")
	cmd.Flags().StringVar(&f.Status, "status", "", "only runs with this status: success, filtered, halted, failed, running (or died), interrupted (died, then resumed)")
	cmd.Flags().StringVar(&f.Event, "event", "", "only runs of this event uuid")
	cmd.Flags().StringVar(&f.User, "user", "", "only runs about this user (login or Okta id)")
	cmd.Flags().StringVar(&f.Mode, "mode", "", "only runs of this mode: apply or dry-run")
	cmd.Flags().StringVar(&o.Since, "since", "", "only runs started since a time (2026-11-01) or an age (7d)")
	cmd.Flags().IntVar(&f.Limit, "limit", 0, "at most this many runs (default: all)")
	completeFlag(cmd, "flow", completeFlow(g))
	cmd.AddCommand(newHistoryShowCmd(g, hf, nil), newHistoryPruneCmd(g, hf, nil), newHistoryDiffCmd(g, hf, nil), newHistoryServeCmd(g, hf, nil))
	return cmd
}

func historyRun(o *HistoryOptions) error {
	f := o.Filter
	if o.Since != "" {
		t, err := parseSince(o.Since, time.Now())
		if err != nil {
			return usageError{err}
		}
		f.Since = t
	}
	ctx := context.Background()
	s, err := openHistoryFor(ctx, o.IO, o.Config, o.History)
	if err != nil {
		return err
	}
	defer s.Close()
	rows, err := s.Runs(ctx, f)
	if err != nil {
		return err
	}
	if o.Format == "json" {
		out := make([]view.HistoryRunJSON, len(rows))
		for i, r := range rows {
			out[i] = view.HistoryJSON(r, nil, false)
		}
		return writeJSON(o.IO, out)
	}
	view.HistoryList(o.IO.Out, rows, o.IO.styles(o.IO.Out, o.Color, o.IO.OutTTY))
	return nil
}

func writeJSON(io *IOStreams, v any) error {
	enc := json.NewEncoder(io.Out)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// HistoryShowOptions are the inputs of `jml history show`.
type HistoryShowOptions struct {
	IO      *IOStreams
	Color   string
	Config  string
	History string
	// Run is the RUN argument: a run id or a unique prefix of one.
	Run    string
	Format string
}

func newHistoryShowCmd(g *globals, hf *historyFlags, runF func(*HistoryShowOptions) error) *cobra.Command {
	o := &HistoryShowOptions{}
	cmd := &cobra.Command{
		Use:   "show RUN",
		Short: "Print one run card by card, with its call journal",
		Long: `Show prints one run like Okta Workflows' Flow History: every card with its
status, attempts, inputs and outputs or error, the failing card marked; then
the call journal (each try of each connector call, written before the call
was made). RUN is a run id or a unique prefix of one.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.IO, o.Color, o.Config, o.History, o.Run = g.io, g.color, g.config, hf.url, args[0]
			if err := checkFormat(o.Format, "text", "json"); err != nil {
				return err
			}
			if runF != nil {
				return runF(o)
			}
			return historyShowRun(o)
		},
	}
	cmd.Flags().StringVar(&o.Format, "format", "text", "output format: text or json")
	cmd.ValidArgsFunction = completeRun(g, func() string { return hf.url }, false, 1)
	return cmd
}

func historyShowRun(o *HistoryShowOptions) error {
	ctx := context.Background()
	s, err := openHistoryFor(ctx, o.IO, o.Config, o.History)
	if err != nil {
		return err
	}
	defer s.Close()
	r, err := s.Run(ctx, o.Run)
	if err != nil {
		return err
	}
	calls, err := s.Calls(ctx, r.ID)
	if err != nil {
		return err
	}
	if o.Format == "json" {
		if calls == nil {
			calls = []*history.CallRow{}
		}
		return writeJSON(o.IO, view.HistoryJSON(r, calls, true))
	}
	view.HistoryShow(o.IO.Out, r, calls, o.IO.styles(o.IO.Out, o.Color, o.IO.OutTTY))
	return nil
}

// HistoryPruneOptions are the inputs of `jml history prune`.
type HistoryPruneOptions struct {
	IO      *IOStreams
	Config  string
	History string
	// OlderThan is the age (--older-than, required).
	OlderThan time.Duration
}

func newHistoryPruneCmd(g *globals, hf *historyFlags, runF func(*HistoryPruneOptions) error) *cobra.Command {
	o := &HistoryPruneOptions{}
	var older string
	cmd := &cobra.Command{
		Use:   "prune --older-than AGE",
		Short: "Delete the runs started longer ago than AGE (400d, 8w, 36h)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.IO, o.Config, o.History = g.io, g.config, hf.url
			if older == "" {
				return usageError{errors.New("give --older-than AGE (for example 400d): retention is your choice")}
			}
			age, err := parseAge(older)
			if err != nil {
				return usageError{err}
			}
			o.OlderThan = age
			if runF != nil {
				return runF(o)
			}
			return historyPruneRun(o)
		},
	}
	cmd.Flags().StringVar(&older, "older-than", "", "delete runs started longer ago than this (400d, 8w, 36h)")
	return cmd
}

func historyPruneRun(o *HistoryPruneOptions) error {
	ctx := context.Background()
	s, err := openHistoryFor(ctx, o.IO, o.Config, o.History)
	if err != nil {
		return err
	}
	defer s.Close()
	cut := time.Now().Add(-o.OlderThan)
	n, err := s.Prune(ctx, cut)
	if err != nil {
		return err
	}
	fmt.Fprintf(o.IO.Out, "Pruned %s started before %s.\n", plural(n, "run"), cut.UTC().Format(time.RFC3339))
	return nil
}

// ResumeOptions are the inputs of `jml resume`.
type ResumeOptions struct {
	IO     *IOStreams
	Color  string
	Config string
	// Runs are the RUN arguments; All resumes every unfinished apply run
	// instead.
	Runs []string
	All  bool
	ApplyFlags
	// Clock is as for apply (ApplyOptions.Clock).
	Clock clock.Clock
}

func newResumeCmd(g *globals, runF func(*ResumeOptions) error) *cobra.Command {
	o := &ResumeOptions{}
	cmd := &cobra.Command{
		Use:   "resume RUN... | resume --all",
		Short: "Continue halted, failed or interrupted runs from the failed card",
		Long: `Resume continues runs apply left halted, failed or interrupted (the process
died): each is run again on its recorded event with today's flows, and every
call that already succeeded in it is not made again — its recorded outputs
are reused, so later cards see the same data. The new run is linked to the
one it resumes (jml history shows "←").

A call whose outcome was never recorded (the process died during it) is
made again: idempotent writes (deactivate, suspend, remove from group)
repeat harmlessly, and record-creating ones carry an idempotency key the
connector looks up first (ServiceNow correlation_id, a Jira label, an
Idempotency-Key header), so nothing is created twice.

--all resumes every unfinished apply run that no later run finished.
Confirmation, guardrail, --sandbox and secrets work as for apply.`,
		Example: `  jml resume run-6f1c0a2e9b3d4e5f --auto-approve
  jml resume --all --sandbox http://127.0.0.1:8787 --auto-approve`,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.IO, o.Color, o.Config, o.Runs = g.io, g.color, g.config, args
			if err := checkFormat(o.Format, "text", "json"); err != nil {
				return err
			}
			if (len(args) == 0) == !o.All {
				return usageError{errors.New("give RUN ids or --all")}
			}
			o.Sandbox = sandboxURL(g.io, o.Sandbox)
			if runF != nil {
				return runF(o)
			}
			return resumeRun(o)
		},
	}
	f := cmd.Flags()
	f.BoolVar(&o.All, "all", false, "resume every unfinished apply run")
	f.StringVar(&o.Format, "format", "text", "output format: text or json")
	f.BoolVar(&o.AutoApprove, "auto-approve", false, "do not ask for confirmation")
	f.BoolVar(&o.AllowMassDeprovision, "allow-mass-deprovision", false, "go on even above guardrails.maxDeprovisionsPerApply")
	f.IntVar(&o.Parallelism, "parallelism", 4, "runs of different users at once")
	f.StringVar(&o.Sandbox, "sandbox", "", "point every connector at this jml sandbox URL (default $JML_SANDBOX_URL)")
	f.StringVar(&o.History, "history", "", "history store URL (default: history: in jml.yaml, else sqlite://.jml/history.db)")
	cmd.ValidArgsFunction = completeRun(g, func() string { return o.History }, true, 0)
	return cmd
}

func resumeRun(o *ResumeOptions) error {
	proj, _, err := loadForReplay(loadOptions{IO: o.IO, Color: o.Color, Config: o.Config})
	if err != nil {
		return err
	}
	runs, err := resumable(o, proj)
	if err != nil {
		return err
	}
	if o.All && len(runs) == 0 {
		if o.Format == "json" {
			// The same document as a resume that ran: no events.
			return view.TraceJSON(o.IO.Out, &view.Trace{Title: "Apply", Events: []view.TraceEvent{}, Summary: view.TraceSummary{ByStatus: map[engine.Status]int{}}})
		}
		fmt.Fprintln(o.IO.Out, "Nothing to resume: every recorded apply run finished.")
		return nil
	}
	r, err := apply.PrepareResume(runs, func(flow string) bool { _, ok := proj.Graph.Flows[flow]; return ok })
	if err != nil {
		return err
	}
	j := &applyJob{io: o.IO, color: o.Color, ApplyFlags: o.ApplyFlags, clock: o.Clock, proj: proj, events: r.Events, instants: r.Instants, resume: r.Runs}
	return j.run()
}

// resumable reads the runs to resume from the history: every unfinished
// one (--all), or those named.
func resumable(o *ResumeOptions, proj *project.Project) ([]*history.RunRow, error) {
	ctx := context.Background()
	s, err := openHistory(ctx, o.IO, o.History, proj)
	if err != nil {
		return nil, err
	}
	defer s.Close()
	if o.All {
		return apply.Unfinished(ctx, s, 0)
	}
	var runs []*history.RunRow
	for _, id := range o.Runs {
		r, err := apply.Resumable(ctx, s, id)
		if err != nil {
			return nil, err
		}
		runs = append(runs, r)
	}
	return runs, nil
}

// HistoryDiffOptions are the inputs of `jml history diff`.
type HistoryDiffOptions struct {
	IO     *IOStreams
	Color  string
	Config string
	// History is the store (--history of jml history).
	History string
	// Run is the RUN argument: a run id or a unique prefix of one.
	Run              string
	World            string
	Format           string
	DetailedExitcode bool
	// Refresh reads the live apps (real connectors, or Sandbox) instead
	// of the simulated world.
	Refresh bool
	Sandbox string
}

func newHistoryDiffCmd(g *globals, hf *historyFlags, runF func(*HistoryDiffOptions) error) *cobra.Command {
	o := &HistoryDiffOptions{}
	cmd := &cobra.Command{
		Use:   "diff RUN",
		Short: "Would today's flows act differently on this run's event?",
		Long: `Diff replays a recorded run's event (or schedule instant) through the flow
as it is today, in plan mode, and compares what today's flow would do with
what the run did — the run's status, and every write added, removed or made
with other inputs: "would today's leaver have caught this?". It is the same
behavioural diff, with the same views, as plan --compare.

Today's flow reads what the run read: every call it makes at the same card
with the same inputs is answered from the run's journal (reads, and the ids
its writes got). A read the run did not make goes to the simulated world
(seeded from the event, or --world FILE), and the output says so.

With --refresh, the flow's reads (okta.getUser, slack.lookupUserByEmail, …)
go to the live apps through the real connectors (or --sandbox URL): today's
accounts decide the branches. Writes are still only planned, never made.

Exits 0 when nothing differs; with --detailed-exitcode, 2 when something does.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.IO, o.Color, o.Config, o.History, o.Run = g.io, g.color, g.config, hf.url, args[0]
			if err := checkFormat(o.Format, "text", "json", "markdown"); err != nil {
				return err
			}
			o.Sandbox = sandboxURL(g.io, o.Sandbox)
			if runF != nil {
				return runF(o)
			}
			return historyDiffRun(o)
		},
	}
	cmd.Flags().StringVar(&o.World, "world", "", "world file (kind: World) for the reads the run did not make")
	cmd.Flags().StringVar(&o.Format, "format", "text", "output format: text, json or markdown")
	cmd.Flags().BoolVar(&o.DetailedExitcode, "detailed-exitcode", false, "exit 2 when today's flow would act differently")
	cmd.Flags().BoolVar(&o.Refresh, "refresh", false, "read the live apps (real connectors, secrets read) instead of the simulated world; writes are only planned")
	cmd.Flags().StringVar(&o.Sandbox, "sandbox", "", "with --refresh: read from this jml sandbox instead (default $JML_SANDBOX_URL)")
	cmd.ValidArgsFunction = completeRun(g, func() string { return hf.url }, false, 1)
	completeFlag(cmd, "world", yamlFiles)
	return cmd
}

func historyDiffRun(o *HistoryDiffOptions) error {
	differs, err := historyDiff(o)
	if err != nil {
		return err
	}
	if differs && o.DetailedExitcode {
		return exitError{ExitChanges}
	}
	return nil
}

// historyDiff prints how today's flow would act on a recorded run's
// trigger, against what the run did, as a behavioural diff of two plans —
// the same plan.Compare and views as plan --compare. Today's flow reads
// what the run read (its journal), not the simulated world's guesses; a
// read the run did not make goes to the world (or, with --refresh, every
// read goes to the live apps). It reports whether anything differs.
func historyDiff(o *HistoryDiffOptions) (bool, error) {
	proj, spec, err := loadForReplay(loadOptions{IO: o.IO, Color: o.Color, Config: o.Config, World: o.World})
	if err != nil {
		return false, err
	}
	ctx := context.Background()
	s, err := openHistory(ctx, o.IO, o.History, proj)
	if err != nil {
		return false, err
	}
	defer s.Close()
	r, err := s.Run(ctx, o.Run)
	if err != nil {
		return false, err
	}
	if _, ok := proj.Graph.Flows[r.Flow]; !ok {
		return false, fmt.Errorf("flow %q of run %s is no longer in the repository", r.Flow, r.ID)
	}
	// The trigger: the recorded event, or the schedule instant.
	ev, inst, err := r.DecodeTrigger()
	if err != nil {
		return false, err
	}
	var events []*event.Event
	var at *time.Time
	if ev != nil {
		events = []*event.Event{ev}
	} else {
		at = &inst
	}
	calls, err := s.Calls(ctx, r.ID)
	if err != nil {
		return false, err
	}

	// What the run did: its trace, or for an interrupted run, the writes
	// its journal recorded as done.
	did := &engine.Run{Flow: r.Flow, Status: engine.Status(r.Status)}
	recorded, err := r.DecodeTrace()
	if err != nil {
		return false, err
	}
	if recorded != nil {
		did.Changes, did.Error = recorded.Changes, recorded.Error
	} else {
		for _, c := range calls {
			if c.Status != history.CallSuccess && c.Status != history.CallReused {
				continue
			}
			var with map[string]any
			_ = json.Unmarshal([]byte(c.Input), &with)
			if isWrite(proj, c.Action, with) {
				did.Changes = append(did.Changes, engine.Change{Card: c.Card, Action: c.Action, With: with, Path: c.Card})
			}
		}
	}
	key, typ, pub := r.Event, r.EventType, ""
	if len(events) > 0 {
		pub = events[0].Published
	} else if at != nil {
		pub = at.Format(time.RFC3339)
	}
	base := plan.New("", nil)
	base.Add(key, typ, pub, []*engine.Run{did}, nil)

	// What today's flow would do, reading what the run read.
	write := func(action string, in map[string]any) bool { return isWrite(proj, action, in) }
	wrap := func(w effect.Effector) effect.Effector { return history.Journaled(calls, write, w) }
	var out io.Writer = o.IO.Out
	if o.Refresh {
		set, err := connector.New(proj.Config, connector.Options{SandboxURL: o.Sandbox, Getenv: o.IO.Getenv, BaseDir: proj.Root, Scopes: proj.Graph.Scopes()})
		if err != nil {
			return false, err
		}
		closeTables, err := useTables(ctx, set, s, proj) // the tables' rows as they are now
		if err != nil {
			return false, err
		}
		defer closeTables()
		wrap = func(w effect.Effector) effect.Effector { return readsFrom{reads: set, rest: w, proj: proj} }
		// The live apps' answers may echo a credential: redact as apply does.
		out = newRedactor(o.IO.Out, set.Redactor())
	}
	pl := replay.NewPlanner(proj.Graph, "", nil)
	stats, err := replay.Run(ctx, replay.Options{Graph: proj.Graph, Events: events, World: spec, Mode: engine.ModePlan,
		Flow: r.Flow, At: at, Wrap: wrap}, func(res replay.Result) error {
		pl.Add(res)
		return nil
	})
	if err != nil {
		return false, err
	}
	head := pl.Finish(stats)
	if len(head.Events) == 0 && at != nil {
		// The schedule no longer fires at that instant: no run today.
		head.Add(key, typ, pub, nil, nil)
	}
	d := plan.Compare("run "+r.ID, base, "today", head)
	switch o.Format {
	case "json":
		return d.Differs(), view.DiffJSON(out, d)
	case "markdown":
		view.DiffMarkdown(out, d)
	default:
		st := o.IO.styles(o.IO.Out, o.Color, o.IO.OutTTY)
		fmt.Fprintf(out, "%s %s on %s %s", st.Bold.Render("run "+r.ID), r.Flow, r.Event, r.EventType)
		if r.User != "" {
			fmt.Fprintf(out, " (%s)", r.User)
		}
		fmt.Fprintln(out)
		view.DiffText(out, d, st)
		for _, ev := range head.Events {
			for _, run := range ev.Runs {
				for _, note := range run.Simulated {
					fmt.Fprintf(out, "%s %s\n", st.Warning.Render("~ simulated:"), note)
				}
			}
		}
	}
	return d.Differs(), nil
}

// isWrite reports whether a journaled call (INSTANCE.ACTION) is a write.
func isWrite(proj *project.Project, name string, with map[string]any) bool {
	a, ok := proj.Graph.Action(name)
	if !ok {
		return true // unknown: treat as a write, never call it for real
	}
	method, _ := with["method"].(string)
	return a.EffectFor(strings.ToUpper(method)) == catalog.Write
}

// readsFrom sends the read actions to the live apps and the rest (the
// writes, only planned) to the simulated world.
type readsFrom struct {
	reads, rest effect.Effector
	proj        *project.Project
}

func (r readsFrom) Do(ctx context.Context, req effect.Request) (map[string]any, error) {
	if !isWrite(r.proj, req.Instance+"."+req.Action, req.Input) {
		return r.reads.Do(ctx, req)
	}
	return r.rest.Do(ctx, req)
}
