package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/jml-dev/jml/pkg/ast"
	"github.com/jml-dev/jml/pkg/clock"
	"github.com/jml-dev/jml/pkg/connector"
	"github.com/jml-dev/jml/pkg/event"
	"github.com/jml-dev/jml/pkg/project"
	"github.com/jml-dev/jml/pkg/pull"
	"github.com/jml-dev/jml/pkg/redact"
)

// EventsPullOptions are the inputs of `jml events pull`.
type EventsPullOptions struct {
	IO       *IOStreams
	Color    string
	Config   string
	Since    string
	Until    string
	Filter   string
	Types    []string
	Limit    int
	Out      string
	Append   bool
	Follow   bool
	Poll     time.Duration
	Instance string
	Sandbox  string
	// Clock waits between retries and polls (tests inject a virtual one).
	Clock clock.Clock
}

func newEventsCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "events",
		Short: "Record Okta System Log events (pull) and pseudonymise recordings (redact)",
		Long: `Events records the Okta System Log to NDJSON files that dry-run, plan, apply
and flow tests read, and pseudonymises such recordings so that they can be
shared and committed. See docs/events.md.`,
		Args: cobra.NoArgs,
	}
	cmd.AddCommand(newEventsPullCmd(g, nil), newEventsRedactCmd(g, nil))
	return cmd
}

func newEventsPullCmd(g *globals, runF func(*EventsPullOptions) error) *cobra.Command {
	o := &EventsPullOptions{}
	cmd := &cobra.Command{
		Use:   "pull --since TIME [--until TIME] -o FILE",
		Short: "Record Okta System Log events to an NDJSON file",
		Long: `Pull reads GET /api/v1/logs of the okta connector instance of jml.yaml
(--instance NAME when there are several) with since, until, filter, limit
and sortOrder=ASCENDING, follows Link rel="next" (same origin only), and
writes one LogEvent a line, as Okta sent it. Credentials are read from
jml.yaml's {env:}/{file:} references now; --sandbox URL reads a jml sandbox
instead. Rate limits are the connector's: X-Rate-Limit-Reset is waited out,
a 429 or 5xx retried (five tries).

The file is written to a temporary file renamed at the end; a pull that
stops early (an error, Ctrl-C) keeps the whole events it read. --append
resumes: it reads the end of the file, asks from its last published time
on, drops the uuids already written, and appends (a torn last line is cut).
--follow keeps polling after the last page, as Okta's polling pattern asks
(an empty page's next link is the cursor), every --poll-interval.

--type T adds eventType eq "T" to the filter (several are ORed).
The same pull runs in memory for the event source okta:SINCE[..UNTIL] of
dry-run, plan and apply.`,
		Example: `  jml events pull --since 2026-11-01T00:00:00Z -o events/november.ndjson
  jml events pull --since 2026-11-01T00:00:00Z --until 2026-11-02T00:00:00Z \
      --type user.lifecycle.deactivate --type user.lifecycle.suspend -o leavers.ndjson
  jml events pull --since 2026-11-01T00:00:00Z -o events.ndjson --append   # resume
  jml events pull --since 2026-11-01T00:00:00Z -o live.ndjson --append --follow
  jml plan okta:2026-11-01T00:00:00Z..2026-11-02T00:00:00Z   # the same pull, in memory`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.IO, o.Color, o.Config = g.io, g.color, g.config
			o.Sandbox = sandboxURL(g.io, o.Sandbox)
			if err := o.check(); err != nil {
				return err
			}
			if runF != nil {
				return runF(o)
			}
			return eventsPullRun(o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.Since, "since", "", "pull events published at or after this RFC 3339 time (required, unless --append resumes a file)")
	f.StringVar(&o.Until, "until", "", "pull events published before this RFC 3339 time (default: up to now)")
	f.StringVar(&o.Filter, "filter", "", `Okta filter expression, e.g. 'eventType eq "user.lifecycle.deactivate"'`)
	f.StringArrayVar(&o.Types, "type", nil, "only this event type (repeatable; ORed)")
	f.IntVar(&o.Limit, "limit", connector.LogsMaxLimit, "events per page (at most 1000)")
	f.StringVarP(&o.Out, "out", "o", "", "NDJSON file to write (required)")
	f.BoolVar(&o.Append, "append", false, "resume: append to the file, after its last event, without duplicates")
	f.BoolVar(&o.Follow, "follow", false, "keep polling for new events until Ctrl-C (which then ends the pull normally)")
	f.DurationVar(&o.Poll, "poll-interval", connector.PollWait, "wait between polls with --follow")
	f.StringVar(&o.Instance, "instance", "", "the okta connector instance of jml.yaml (needed when there are several)")
	f.StringVar(&o.Sandbox, "sandbox", "", "read this jml sandbox URL instead of Okta (default $JML_SANDBOX_URL)")
	completeFlag(cmd, "instance", completeInstance(g, "okta"))
	return cmd
}

// check refuses the flags no pull can run with.
func (o *EventsPullOptions) check() error {
	if o.Out == "" || o.Out == "-" {
		return usageError{errors.New("-o FILE is required (the file is written whole, or appended to with --append)")}
	}
	if o.Since == "" && !o.Append {
		return usageError{errors.New("--since is required (RFC 3339: 2026-11-01T00:00:00Z)")}
	}
	if err := pull.CheckTimes(o.Since, o.Until); err != nil {
		return usageError{err}
	}
	if o.Limit < 1 || o.Limit > connector.LogsMaxLimit {
		return usageError{fmt.Errorf("--limit must be between 1 and %d", connector.LogsMaxLimit)}
	}
	if _, err := pull.Filter(o.Filter, o.Types); err != nil {
		return usageError{err}
	}
	return nil
}

func eventsPullRun(o *EventsPullOptions) error {
	filter, err := pull.Filter(o.Filter, o.Types)
	if err != nil {
		return usageError{err}
	}
	proj, err := loadProject(o.IO, o.Color, o.Config)
	if err != nil {
		return err
	}
	inst, err := oktaInstance(o.IO, proj, o.Instance, o.Sandbox, o.Clock)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// The \r and erase-line are jml's own and go to the raw stream; the
	// text holds what the server sent (a published time, an error
	// message) and goes through the terminal-safe writer.
	prog := &pullProgress{raw: o.IO.ErrOut, text: o.IO.ErrOut, on: o.IO.ErrTTY}
	if o.IO.rawErr != nil {
		prog.raw = o.IO.rawErr
	}
	opts := pull.Options{Instance: inst, Clock: o.Clock, Follow: o.Follow, PollInterval: o.Poll, Progress: prog.show,
		Query: connector.LogQuery{Since: o.Since, Until: o.Until, Filter: filter, Limit: o.Limit}}
	out := o.IO.Path(o.Out)
	res, err := pull.ToFile(ctx, opts, out, o.Append)
	prog.clear()
	display := project.Display(o.IO.WorkDir, out)
	if res.Resumed != nil && res.Resumed.Torn > 0 {
		fmt.Fprintf(o.IO.ErrOut, "warning: %s ended in a torn line (%d bytes, a pull stopped mid-write): cut off and pulled again\n", display, res.Resumed.Torn)
	}
	summary := fmt.Sprintf("%s to %s (%s", plural(res.Events, "event"), display, plural(res.Pages, "page"))
	if res.Duplicates > 0 {
		summary += fmt.Sprintf(", %s already written dropped", plural(res.Duplicates, "event"))
	}
	summary += ")"
	if err != nil && o.Follow && ctx.Err() != nil {
		// Ctrl-C is how a follow ends: what was read is written.
		err = nil
	}
	if err != nil {
		if ctx.Err() != nil {
			err = errors.New("interrupted")
		}
		if res.Events > 0 || o.Append {
			return fmt.Errorf("%v; pulled %s — resume with --append", err, summary)
		}
		return err
	}
	verb := "pulled"
	if o.Append {
		verb = "appended"
	}
	fmt.Fprintf(o.IO.ErrOut, "%s %s\n", verb, summary)
	return nil
}

// loadProject loads jml.yaml and the flows, printing diagnostics on
// failure.
func loadProject(ios *IOStreams, color, config string) (*project.Project, error) {
	proj, _, err := loadForReplay(loadOptions{IO: ios, Color: color, Config: config})
	return proj, err
}

// oktaInstance resolves the okta connector instance the System Log is read
// from: name, or the only okta instance of jml.yaml. Only that instance's
// secrets are read.
func oktaInstance(ios *IOStreams, proj *project.Project, name, sandbox string, clk clock.Clock) (*connector.Instance, error) {
	cfg := proj.Config
	var names []string
	var pick *ast.Connector
	if cfg != nil {
		for i, c := range cfg.Connectors {
			if c.Type.Value != "okta" {
				continue
			}
			names = append(names, c.Name.Value)
			if name == "" || c.Name.Value == name {
				pick = &cfg.Connectors[i]
			}
		}
	}
	switch {
	case len(names) == 0:
		return nil, errors.New("jml.yaml has no okta connector instance to read the System Log from")
	case name != "" && !slices.Contains(names, name):
		return nil, usageError{fmt.Errorf("--instance %q: no okta instance of that name (okta instances: %s)", name, strings.Join(names, ", "))}
	case name == "" && len(names) > 1:
		return nil, usageError{fmt.Errorf("jml.yaml has several okta instances (%s): name one with --instance", strings.Join(names, ", "))}
	}
	one := *cfg
	one.Connectors = []ast.Connector{*pick}
	set, err := connector.New(&one, connector.Options{SandboxURL: sandbox, Getenv: ios.Getenv, BaseDir: proj.Root, Clock: clk,
		Scopes: map[string][]string{pick.Name.Value: {"okta.logs.read"}}})
	if err != nil {
		return nil, err
	}
	inst, _ := set.Instance(pick.Name.Value)
	return inst, nil
}

// remote opens okta:SINCE[..UNTIL] event sources for dry-run, plan and
// apply: the pull of jml events pull, decoded as the pages come.
func (o eventReader) remote(ctx context.Context) func(string) (io.ReadCloser, error) {
	return func(src string) (io.ReadCloser, error) {
		s, err := pull.ParseSource(src)
		if err != nil {
			return nil, err
		}
		if o.proj == nil {
			return nil, errors.New("no jml.yaml to read the okta connector from")
		}
		if n := countOkta(o.proj); n > 1 {
			return nil, fmt.Errorf("jml.yaml has %d okta instances: okta: sources read the only one; record the one you mean with jml events pull --instance NAME and replay the file", n)
		}
		inst, err := oktaInstance(o.io, o.proj, "", o.sandbox, nil)
		if err != nil {
			return nil, err
		}
		p, err := pull.New(pull.Options{Instance: inst, Query: connector.LogQuery{Since: s.Since, Until: s.Until}})
		if err != nil {
			return nil, err
		}
		return p.Reader(ctx), nil
	}
}

// countOkta counts the okta instances of jml.yaml.
func countOkta(proj *project.Project) int {
	n := 0
	if proj.Config != nil {
		for _, c := range proj.Config.Connectors {
			if c.Type.Value == "okta" {
				n++
			}
		}
	}
	return n
}

// pullProgress shows a pull's progress on standard error when it is a
// terminal: one line, rewritten.
type pullProgress struct {
	raw, text io.Writer
	on        bool
	shown     bool
}

func (p *pullProgress) show(pr pull.Progress) {
	if !p.on {
		return
	}
	line := fmt.Sprintf("pulling: %s, %s", plural(pr.Events, "event"), plural(pr.Pages, "page"))
	if pr.Last != "" {
		line += ", up to " + pr.Last
	}
	if pr.Wait > 0 {
		line += fmt.Sprintf(" — %s, waiting %s", pr.Why, pr.Wait.Round(time.Second))
	}
	fmt.Fprint(p.raw, "\r\x1b[K")
	fmt.Fprint(p.text, line)
	p.shown = true
}

func (p *pullProgress) clear() {
	if p.shown {
		fmt.Fprint(p.raw, "\r\x1b[K")
	}
}

// EventsRedactOptions are the inputs of `jml events redact`.
type EventsRedactOptions struct {
	IO     *IOStreams
	Events []string
	Out    string
	KeyEnv string
}

func newEventsRedactCmd(g *globals, runF func(*EventsRedactOptions) error) *cobra.Command {
	o := &EventsRedactOptions{}
	cmd := &cobra.Command{
		Use:   "redact EVENTS... --key-env VAR [-o FILE]",
		Short: "Replace the personal data of recorded events with stable pseudonyms",
		Long: `Redact writes the events of EVENTS (files, directories, - for stdin; any
format the other commands read) as NDJSON with their personal data replaced
by pseudonyms: emails (anywhere) become u-HASH@d-HASH.example.com, logins
u-HASH, the names of users name-shaped pseudonyms, IP addresses (anywhere)
addresses of the documentation ranges, geographical context and user agents
pseudonyms. Okta ids, event types, uuids, times, group and app names are
kept, so the redacted file replays the same way: plan fires the same flows.

Pseudonyms are HMAC-SHA256 under the key read from the environment variable
--key-env names (at least 16 bytes; there is no default key): the same value
gets the same pseudonym in every event and file redacted with that key.
See docs/events.md for the full list.`,
		Example: `  export JML_REDACT_KEY=$(openssl rand -hex 32)   # keep it secret, reuse it
  jml events redact events/november.ndjson --key-env JML_REDACT_KEY -o testdata/november.ndjson
  jml events pull --since 2026-11-01T00:00:00Z -o raw.ndjson && jml events redact raw.ndjson --key-env JML_REDACT_KEY > shared.ndjson`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.IO, o.Events = g.io, args
			if o.KeyEnv == "" {
				return usageError{errors.New("--key-env VAR is required: pseudonyms are keyed, and there is no default key")}
			}
			if runF != nil {
				return runF(o)
			}
			return eventsRedactRun(o)
		},
	}
	cmd.Flags().StringVarP(&o.Out, "out", "o", "", "write to this file (default: standard output)")
	cmd.Flags().StringVar(&o.KeyEnv, "key-env", "", "environment variable holding the pseudonym key (required)")
	cmd.ValidArgsFunction = eventFiles
	return cmd
}

func eventsRedactRun(o *EventsRedactOptions) (err error) {
	key := o.IO.Getenv(o.KeyEnv)
	if key == "" {
		return fmt.Errorf("--key-env %s: the environment variable is not set (or empty); there is no default key", o.KeyEnv)
	}
	red, err := redact.New([]byte(key))
	if err != nil {
		return fmt.Errorf("--key-env %s: %v", o.KeyEnv, err)
	}
	s, err := event.Open(o.Events, event.Options{Stdin: o.IO.In, WorkDir: o.IO.WorkDir})
	if err != nil {
		return err
	}
	defer s.Close()
	var w io.Writer = o.IO.Out
	var tmp *os.File
	if o.Out != "" && o.Out != "-" {
		out := o.IO.Path(o.Out)
		tmp, err = os.CreateTemp(filepath.Dir(out), "."+filepath.Base(out)+".tmp-*")
		if err != nil {
			return err
		}
		defer func() {
			if tmp != nil {
				tmp.Close()
				os.Remove(tmp.Name())
			}
		}()
		w = tmp
	}
	bw := bufio.NewWriter(w)
	n := 0
	for {
		ev, err := s.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		red.Event(ev.Raw)
		b, err := json.Marshal(ev.Raw)
		if err != nil {
			return fmt.Errorf("%s: %v", ev.Source, err)
		}
		bw.Write(b)
		bw.WriteByte('\n')
		n++
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	if tmp != nil {
		if err := tmp.Chmod(0o644); err != nil {
			return err
		}
		if err := tmp.Close(); err != nil {
			return err
		}
		if err := os.Rename(tmp.Name(), o.IO.Path(o.Out)); err != nil {
			return err
		}
		tmp = nil
		fmt.Fprintf(o.IO.ErrOut, "redacted %s to %s\n", plural(n, "event"), project.Display(o.IO.WorkDir, o.IO.Path(o.Out)))
	}
	return nil
}
