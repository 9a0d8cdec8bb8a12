package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/jml-dev/jml/pkg/ast"
	"github.com/jml-dev/jml/pkg/clock"
	"github.com/jml-dev/jml/pkg/connector"
	"github.com/jml-dev/jml/pkg/effect"
	"github.com/jml-dev/jml/pkg/engine"
	"github.com/jml-dev/jml/pkg/event"
	"github.com/jml-dev/jml/pkg/history"
	"github.com/jml-dev/jml/pkg/project"
	"github.com/jml-dev/jml/pkg/replay"
	"github.com/jml-dev/jml/pkg/verify"
	"github.com/jml-dev/jml/pkg/view"
	"github.com/jml-dev/jml/pkg/world"
)

// VerifyOptions are the inputs of `jml verify`.
type VerifyOptions struct {
	IO     *IOStreams
	Color  string
	Config string
	// Users are the USER arguments: logins or Okta user ids.
	Users []string
	// From are EVENTS whose user.lifecycle.deactivate events name users.
	From        []string
	Format      string
	Sandbox     string
	World       string
	Simulated   bool
	Replay      bool
	Parallelism int
	KeepGoing   bool
	// History is the store the matrix is recorded in (--history; default
	// the store of jml.yaml).
	History string
}

func newVerifyCmd(g *globals, runF func(*VerifyOptions) error) *cobra.Command {
	o := &VerifyOptions{}
	cmd := &cobra.Command{
		Use:   "verify [USER...] [--from EVENTS]",
		Short: "Prove a leaver is gone everywhere: each user's account in every app",
		Long: `Verify reads, for each user, the account in every connector instance of
jml.yaml that holds accounts (okta.getUser, slack.lookupUserByEmail,
google.getUser, microsoft.getUser, salesforce.getUser,
github.getOrgMembership, activedirectory.getUser) and prints a matrix user
× app: active, disabled (and which: DEPROVISIONED, deactivated, suspended,
accountEnabled false, frozen…), absent or error.

A user that Okta has DEPROVISIONED or SUSPENDED, or does not have at all,
is a leaver; a leaver still active in an app holds an orphaned account,
marked ✗.

Slack, Google, Microsoft and Salesforce accounts are looked up by the Okta
login. A GitHub username or a sAMAccountName cannot be derived from it: the
instance names the Okta profile attribute that holds it, e.g.
accountIdFrom: user.profile.githubUsername, and verify takes it from the
user's Okta profile (the okta.getUser it makes anyway). Without it — or for
a user whose profile lacks the attribute — the cell says "not checked"
(never a ✓) and a line below the table says why.

USER is a login (an email address) or an Okta user id. --from EVENTS takes
the users of the user.lifecycle.deactivate events in EVENTS (each event's
first User target).

Verify only reads. Against the vendors it uses the real connectors and the
secrets of jml.yaml (never printed); --sandbox URL (or JML_SANDBOX_URL)
reads a jml sandbox; --simulated reads the simulated world seeded from the
--from events (and --world FILE), and --replay first runs the flows on those
events there, as dry-run does: would they leave an orphaned account?

Each user's row of the matrix is recorded in the history store (--history,
else history: in jml.yaml), replacing the user's previous one, for the web
view (jml history serve); secrets redacted. A --simulated verify is not
recorded: it is about the simulated world. A store that cannot be written
is a warning, not a failure of the verify.

Exit status:
  0   every account checked, no orphaned account
  1   an orphaned account, or a read failed (a failed Okta read included)
  3   no orphaned account and no failed read, but accounts not checked
  64  usage error`,
		Example: `  jml verify jane.doe@acme.com
  jml verify --from events/deactivate-jane.json --format markdown
  jml verify --from events/ --sandbox http://127.0.0.1:8787
  jml verify --from events/ --replay            # would the leaver leave anything behind?`,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.IO, o.Color, o.Config, o.Users = g.io, g.color, g.config, args
			if err := checkFormat(o.Format, "text", "json", "markdown"); err != nil {
				return err
			}
			if o.World != "" || o.Replay {
				o.Simulated = true
			}
			if o.Simulated && o.Sandbox != "" {
				return usageError{errors.New("--sandbox reads a jml sandbox, --simulated (or --world, --replay) the simulated world: give one")}
			}
			if o.Replay && len(o.From) == 0 {
				return usageError{errors.New("--replay runs the flows on the --from events: give --from EVENTS")}
			}
			if len(args) == 0 && len(o.From) == 0 {
				return usageError{errors.New("no user to verify: give USER arguments or --from EVENTS")}
			}
			if o.Parallelism < 1 {
				return usageError{fmt.Errorf("--parallelism must be at least 1, not %d", o.Parallelism)}
			}
			if !o.Simulated {
				o.Sandbox = sandboxURL(g.io, o.Sandbox)
			}
			if runF != nil {
				return runF(o)
			}
			return verifyRun(o)
		},
	}
	cmd.Flags().StringArrayVar(&o.From, "from", nil, "verify the users of the user.lifecycle.deactivate events in EVENTS (a file, a directory or -; repeatable)")
	cmd.Flags().StringVar(&o.Format, "format", "text", "output format: text, json or markdown")
	cmd.Flags().StringVar(&o.Sandbox, "sandbox", "", "read a jml sandbox at this URL instead of the vendors (default $JML_SANDBOX_URL)")
	cmd.Flags().StringVar(&o.World, "world", "", "world file (kind: World) of the simulated apps; implies --simulated")
	cmd.Flags().BoolVar(&o.Simulated, "simulated", false, "read the simulated world seeded from the --from events instead of the vendors")
	cmd.Flags().BoolVar(&o.Replay, "replay", false, "in the simulated world, first run the flows on the --from events (as dry-run does); implies --simulated")
	cmd.Flags().IntVar(&o.Parallelism, "parallelism", 4, "reads in flight at once")
	cmd.Flags().BoolVar(&o.KeepGoing, "keep-going", false, "skip malformed events instead of stopping")
	cmd.Flags().StringVar(&o.History, "history", "", "history store URL the matrix is recorded in (default: history: in jml.yaml, else sqlite://.jml/history.db)")
	cmd.ValidArgsFunction = cobra.NoFileCompletions
	completeFlag(cmd, "from", eventFiles)
	completeFlag(cmd, "world", yamlFiles)
	return cmd
}

func verifyRun(o *VerifyOptions) error {
	io := o.IO
	proj, spec, err := loadForReplay(loadOptions{IO: io, Color: o.Color, Config: o.Config, World: o.World})
	if err != nil {
		return err
	}
	instances := verify.Instances(proj.Config)
	if len(instances) == 0 {
		return fmt.Errorf("jml.yaml has no connector instance that holds accounts (okta, slack, google, microsoft, salesforce, github, activedirectory): nothing to verify")
	}

	var events []*event.Event
	if len(o.From) > 0 {
		events, err = eventReader{io: io, color: o.Color, proj: proj, sandbox: o.Sandbox}.load(o.From, o.KeepGoing)
		if err != nil {
			return err
		}
	}
	var users []verify.User
	for _, a := range o.Users {
		users = append(users, verify.ParseUser(a))
	}
	fromEvents := verify.FromEvents(events)
	if len(o.From) > 0 && len(fromEvents) == 0 {
		return fmt.Errorf("no %s event in %s: no user to verify", verify.DeactivateEvent, joinArgs(o.From))
	}
	users = verify.Dedupe(append(users, fromEvents...))

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	opts := verify.Options{Instances: instances, Parallelism: o.Parallelism}
	var secrets *effect.Redactor
	if o.Simulated {
		w, err := simulatedWorld(ctx, proj, spec, events, o.Replay)
		if err != nil {
			return err
		}
		opts.Effector = w
		// The world answers at once: a retry would only repeat a fault.
		opts.Attempts = 1
	} else {
		eff, s := liveReaders(proj, instances, o.Sandbox, io.Getenv)
		opts.Effector, secrets = eff, s
	}
	m := verify.Build(ctx, opts, users)
	if ctx.Err() != nil {
		return errors.New("interrupted")
	}

	if !o.Simulated {
		source := "vendors"
		if o.Sandbox != "" {
			source = "sandbox " + o.Sandbox
		}
		if err := recordVerify(ctx, io, o.History, proj, history.VerifyRecordsOf(m, time.Now(), source), secrets); err != nil {
			fmt.Fprintf(newRedactor(io.ErrOut, secrets), "warning: the verify was not recorded in the history: %v\n", err)
		}
	}

	out := newRedactor(io.Out, secrets)
	switch o.Format {
	case "json":
		if err := view.VerifyJSON(out, m); err != nil {
			return err
		}
	case "markdown":
		view.VerifyMarkdown(out, m)
	default:
		view.VerifyText(out, m, io.styles(io.Out, o.Color, io.OutTTY))
	}
	switch {
	case m.Orphans > 0 || m.Errors > 0:
		return exitError{ExitError}
	case m.NotChecked > 0:
		// Not a clean run: an account verify did not ask about may be
		// an orphan. Apart from 1, so that a sweep can tell a proven
		// problem from a gap in what it could prove.
		return exitError{ExitNotChecked}
	}
	return nil
}

// recordVerify records each user's row of a verify in the history store.
func recordVerify(ctx context.Context, io *IOStreams, url string, proj *project.Project, recs []*history.VerifyRecord, secrets *effect.Redactor) error {
	s, err := openHistory(ctx, io, url, proj)
	if err != nil {
		return err
	}
	defer s.Close()
	return s.RecordVerify(ctx, recs, secrets)
}

func joinArgs(args []string) string {
	if len(args) == 1 {
		return args[0]
	}
	return fmt.Sprint(args)
}

// simulatedWorld is the world verify reads with --simulated: jml.yaml's
// instances and the --world file, seeded from the events as a replay
// seeds them; with replayFlows, after the flows ran on those events.
func simulatedWorld(ctx context.Context, proj *project.Project, spec *world.Spec, events []*event.Event, replayFlows bool) (*world.World, error) {
	if !replayFlows {
		w, err := replay.NewWorld(proj.Config, spec, clock.NewVirtual(time.Unix(0, 0).UTC()))
		if err != nil {
			return nil, err
		}
		for _, ev := range events {
			replay.Seed(w, ev)
		}
		return w, nil
	}
	var w *world.World
	_, err := replay.Run(ctx, replay.Options{Graph: proj.Graph, Events: events, World: spec, Mode: engine.ModeDryRun,
		Wrap: func(e effect.Effector) effect.Effector {
			w, _ = e.(*world.World)
			return e
		}},
		func(replay.Result) error { return nil })
	if err != nil {
		return nil, err
	}
	if w == nil {
		return nil, errors.New("internal error: the replay built no world")
	}
	return w, nil
}

// liveReaders builds the real connector of each instance verify reads, one
// at a time, so that an instance that cannot be built (a secret not set, a
// type with no real connector) is an error in its column rather than the
// end of the verification. It returns the one registry of the secrets read
// and the credentials made from them, for redaction.
func liveReaders(proj *project.Project, instances []verify.Instance, sandbox string, getenv func(string) string) (effect.Effector, *effect.Redactor) {
	r := &readers{clients: map[string]effect.Effector{}, broken: map[string]error{}}
	secrets := &effect.Redactor{}
	for _, in := range instances {
		c, ok := proj.Config.Connector(in.Name)
		if !ok {
			continue
		}
		set, err := connector.New(&ast.Config{Connectors: []ast.Connector{*c}}, connector.Options{SandboxURL: sandbox, Getenv: getenv, BaseDir: proj.Root, Redactor: secrets, Scopes: proj.Graph.Scopes()})
		if err != nil {
			r.broken[in.Name] = err
			continue
		}
		r.clients[in.Name] = set
	}
	return r, secrets
}

// readers dispatches reads to each instance's connector.
type readers struct {
	clients map[string]effect.Effector
	broken  map[string]error
}

func (r *readers) Do(ctx context.Context, req effect.Request) (map[string]any, error) {
	if err := r.broken[req.Instance]; err != nil {
		return nil, &effect.Error{Code: "configuration", Message: err.Error()}
	}
	c, ok := r.clients[req.Instance]
	if !ok {
		return nil, &effect.Error{Code: "invalid_input", Message: fmt.Sprintf("no connector instance %q", req.Instance)}
	}
	return c.Do(ctx, req)
}
