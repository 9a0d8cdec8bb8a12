package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/jml-dev/jml/pkg/clock"
	"github.com/jml-dev/jml/pkg/event"
	"github.com/jml-dev/jml/pkg/replay"
	"github.com/jml-dev/jml/pkg/sandbox"
)

// SandboxOptions are the inputs of `jml sandbox`.
type SandboxOptions struct {
	IO        *IOStreams
	Color     string
	Config    string
	Addr      string
	World     string
	Seed      []string
	Latency   time.Duration
	ReadyFile string
}

func newSandboxCmd(g *globals, runF func(*SandboxOptions) error) *cobra.Command {
	o := &SandboxOptions{}
	cmd := &cobra.Command{
		Use:   "sandbox",
		Short: "Serve the simulated world over HTTP, speaking each vendor's API",
		Long: `Sandbox serves jml's simulated world on a loopback address: every connector
instance of jml.yaml under /INSTANCE/ followed by the vendor's real API path
(/okta/api/v1/users/{id}/sessions, /slack/scim/v2/Users/{id},
/itsm/api/now/table/sc_task, …), with the vendors' request and response
shapes, so that jml apply --sandbox URL runs the real connectors against it.
Requests need an Authorization header (any value). Email instances speak
SMTP, each on a loopback port of its own (printed at start, and answered by
GET /_smtp/INSTANCE); the messages they accept land in the instance's outbox.

GET /_world returns the whole state as JSON, keyed by instance;
POST /_world/reset goes back to the seeded state. --world seeds it and
injects faults; --seed EVENTS seeds every instance from events as dry-run
does, and okta instances serve those events as their System Log
(GET /okta/api/v1/logs: since, until, filter on eventType, limit, Link
rel="next" paging), for jml events pull and okta: event sources;
--latency delays every call. Stops cleanly on Ctrl-C or SIGTERM.`,
		Example: `  jml sandbox --addr 127.0.0.1:8787 --seed events/
  curl -s http://127.0.0.1:8787/_world | jq .okta.users`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.IO, o.Color, o.Config = g.io, g.color, g.config
			if runF != nil {
				return runF(o)
			}
			return sandboxRun(o)
		},
	}
	cmd.Flags().StringVar(&o.Addr, "addr", "127.0.0.1:8787", "loopback address to listen on (port 0 picks a free one)")
	cmd.Flags().StringVar(&o.World, "world", "", "world file seeding the apps and injecting faults")
	cmd.Flags().StringSliceVar(&o.Seed, "seed", nil, "events to seed the world from (files, directories)")
	cmd.Flags().DurationVar(&o.Latency, "latency", 0, "delay every vendor call by this much")
	cmd.Flags().StringVar(&o.ReadyFile, "ready-file", "", "write the URL to this file (or FIFO) once listening")
	completeFlag(cmd, "seed", eventFiles)
	completeFlag(cmd, "world", yamlFiles)
	return cmd
}

func sandboxRun(o *SandboxOptions) (err error) {
	o.ReadyFile = o.IO.Path(o.ReadyFile)
	// A script waiting on the ready file must not wait forever for a sandbox
	// that could not start: the file then says why.
	ready := false
	defer func() { failReady(o.ReadyFile, "the sandbox", ready, err) }()
	host, _, err := net.SplitHostPort(o.Addr)
	if err != nil {
		return usageError{fmt.Errorf("--addr %q: %v", o.Addr, err)}
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return usageError{fmt.Errorf("--addr %q: the sandbox has no real authentication and only listens on loopback (127.0.0.1, ::1, localhost)", o.Addr)}
	}
	proj, spec, err := loadForReplay(loadOptions{IO: o.IO, Color: o.Color, Config: o.Config, World: o.World})
	if err != nil {
		return err
	}
	w, err := replay.NewWorld(proj.Graph.Config, spec, clock.Real{})
	if err != nil {
		return err
	}
	var logs []map[string]any
	if len(o.Seed) > 0 {
		s, err := event.Open(o.Seed, event.Options{WorkDir: o.IO.WorkDir})
		if err != nil {
			return err
		}
		for {
			ev, err := s.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				s.Close()
				return err
			}
			replay.Seed(w, ev)
			logs = append(logs, ev.Raw)
		}
		s.Close()
	}
	insts := replay.Instances(proj.Graph.Config)
	srv := sandbox.New(insts, w, sandbox.Options{Latency: o.Latency, Logs: logs})
	ln, err := net.Listen("tcp", o.Addr)
	if err != nil {
		return err
	}
	url := "http://" + ln.Addr().String()
	var names []string
	for _, in := range insts {
		names = append(names, in.Name)
	}
	fmt.Fprintf(o.IO.Out, "jml sandbox listening on %s (instances: %s)\n", url, strings.Join(names, ", "))
	// Email instances speak SMTP, each on a port of its own; jml apply
	// --sandbox asks GET /_smtp/INSTANCE for it. Started before the ready
	// file is written, so that a waiting apply finds it.
	mail, err := srv.StartSMTP(host)
	if err != nil {
		ln.Close()
		return err
	}
	defer mail.Close()
	for _, name := range mail.Names() {
		fmt.Fprintf(o.IO.Out, "jml sandbox: %s speaks SMTP on %s\n", name, mail.URLs()[name])
	}
	if o.ReadyFile != "" {
		ready = true
		if err := os.WriteFile(o.ReadyFile, []byte(url+"\n"), 0o644); err != nil {
			ln.Close()
			return err
		}
	}
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	fmt.Fprintln(o.IO.Out, "jml sandbox stopping")
	return hs.Shutdown(shut)
}

// failReady writes why a server command (sandbox, serve, history serve)
// failed before it was listening to its --ready-file, if it has one: a
// script waiting on the file must not wait forever for a server that could
// not start.
func failReady(path, what string, ready bool, err error) {
	if err == nil || ready || path == "" {
		return
	}
	msg := err.Error()
	if _, ok := err.(exitError); ok {
		msg = what + " could not start (see its standard error)"
	}
	_ = os.WriteFile(path, []byte("error: "+msg+"\n"), 0o644)
}
