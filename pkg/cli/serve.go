package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/jml-dev/jml/pkg/clock"
	"github.com/jml-dev/jml/pkg/compile"
	"github.com/jml-dev/jml/pkg/connector"
	"github.com/jml-dev/jml/pkg/effect"
	"github.com/jml-dev/jml/pkg/engine"
	"github.com/jml-dev/jml/pkg/event"
	"github.com/jml-dev/jml/pkg/history"
	"github.com/jml-dev/jml/pkg/plan"
	"github.com/jml-dev/jml/pkg/replay"
	"github.com/jml-dev/jml/pkg/serve"
	"github.com/jml-dev/jml/pkg/temporal"
	"github.com/jml-dev/jml/pkg/webui"
)

// ServeOptions are the inputs of `jml serve`.
type ServeOptions struct {
	IO             *IOStreams
	Color          string
	Config         string
	Addr           string
	Sandbox        string
	History        string
	ReadyFile      string
	LogFormat      string
	TLSCert        string
	TLSKey         string
	InsecureListen bool
	DrainTimeout   time.Duration
	// Temporal, when set, starts workflows for the delivered events
	// instead of running them here (temporalFromConfig: jml.yaml's host).
	Temporal  string
	Namespace string
	TaskQueue string
}

func newServeCmd(g *globals, runF func(*ServeOptions) error) *cobra.Command {
	o := &ServeOptions{}
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Receive Okta Event Hook deliveries and apply their flows",
		Long: `Serve is an Okta Event Hook endpoint (POST /hooks/okta, or serve.path of
jml.yaml). GET with X-Okta-Verification-Challenge answers Okta's one-time
verification. Every request must carry the event hook's secret in the
Authorization header (serve.authHeader), the value of serve.authSecret
({env: NAME} or {file: PATH}); it is compared in constant time before the
body is read (401 otherwise). A delivery larger than serve.maxBodyBytes
(default 1 MiB) gets 413, a malformed one 400.

Each event is stored in a queue in the history store (once per uuid:
redeliveries are dropped) and acknowledged at once; workers then apply the
queued events exactly as jml apply does (journal, retries, converge by run
id). Events still queued when serve stops — or dies — are applied, or
resumed, when it starts again.

schedule: flows fire on their cron, each firing recorded as jml apply --at
records it, so none is fired twice; a firing missed while serve was down is
caught up once, the latest per flow (docs/serve.md). http: flows are served
at their paths (the same secret; the flow's return: is the JSON answer).

guardrails.maxDeprovisionsPerHour (default: maxDeprovisionsPerApply) holds
an event that would take the distinct people deprovisioned in the last hour
above it; jml serve queue lists the queue, jml serve approve releases held
events.

--temporal [HOST:PORT] (or temporal.hostPort of jml.yaml, with its tls and
apiKey): each queued event starts its flows as Temporal workflows for jml
worker to run (jml/<uuid>/<flow>, as jml apply --temporal starts them)
instead of running them here; workflows Temporal already has for the
event count as started. schedule: and http: flows still run here.

GET /healthz, /readyz and /metrics (Prometheus) are served beside the hook,
and under /ui/ the read-only web view of the history (as jml history serve
serves it), whose token is the event hook's secret: open /ui/?token=SECRET
once (without a leading "Bearer "), or send Authorization: Bearer SECRET.
A non-loopback --addr needs --tls-cert and --tls-key (or --insecure-listen,
behind a TLS-terminating proxy): the secret travels in every request.
SIGINT or SIGTERM stops taking deliveries and lets the runs in flight end
(--drain-timeout, then they stop between cards and stay queued).`,
		Example: `  JML_HOOK_SECRET=… jml serve --addr 127.0.0.1:8080
  jml serve --addr 0.0.0.0:8443 --tls-cert cert.pem --tls-key key.pem --log-format json
  jml serve --temporal temporal.internal:7233 --namespace iam
  jml serve queue --status held
  jml serve approve --all`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.IO, o.Color, o.Config = g.io, g.color, g.config
			if err := checkLogFormat(o.LogFormat); err != nil {
				return err
			}
			o.Sandbox = sandboxURL(g.io, o.Sandbox)
			if runF != nil {
				return runF(o)
			}
			return serveRun(o)
		},
	}
	cmd.Flags().StringVar(&o.Addr, "addr", "127.0.0.1:8080", "address to listen on (port 0 picks a free one)")
	cmd.Flags().StringVar(&o.Sandbox, "sandbox", "", "point every connector at this jml sandbox URL (default $JML_SANDBOX_URL)")
	cmd.Flags().StringVar(&o.History, "history", "", "history store URL (default: history: in jml.yaml, else sqlite://.jml/history.db)")
	cmd.Flags().StringVar(&o.ReadyFile, "ready-file", "", "write the URL to this file (or FIFO) once listening")
	cmd.Flags().StringVar(&o.LogFormat, "log-format", "text", "log format on standard error: text or json")
	cmd.Flags().StringVar(&o.TLSCert, "tls-cert", "", "TLS certificate file (PEM)")
	cmd.Flags().StringVar(&o.TLSKey, "tls-key", "", "TLS key file (PEM)")
	cmd.Flags().BoolVar(&o.InsecureListen, "insecure-listen", false, "allow a non-loopback --addr without TLS (behind a TLS-terminating proxy only)")
	cmd.Flags().DurationVar(&o.DrainTimeout, "drain-timeout", 30*time.Second, "on SIGINT/SIGTERM, how long the runs in flight may take to end")
	addTemporalFlags(cmd, &o.Temporal, &o.Namespace, &o.TaskQueue, "start Temporal workflows for the delivered events instead of running them here, at HOST:PORT or temporal.hostPort of jml.yaml")
	cmd.AddCommand(newServeQueueCmd(g, nil), newServeApproveCmd(g, nil))
	return cmd
}

func serveRun(o *ServeOptions) (err error) {
	io := o.IO
	o.ReadyFile = io.Path(o.ReadyFile)
	ready := false
	defer func() { failReady(o.ReadyFile, "jml serve", ready, err) }()
	host, _, err := net.SplitHostPort(o.Addr)
	if err != nil {
		return usageError{fmt.Errorf("--addr %q: %v", o.Addr, err)}
	}
	tls := o.TLSCert != "" || o.TLSKey != ""
	if tls && (o.TLSCert == "" || o.TLSKey == "") {
		return usageError{fmt.Errorf("--tls-cert and --tls-key go together")}
	}
	if ip := net.ParseIP(host); !tls && !o.InsecureListen && host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return usageError{fmt.Errorf("--addr %q is not loopback: every request carries the event hook's secret, so serve it with --tls-cert and --tls-key (or, behind a proxy that terminates TLS, --insecure-listen)", o.Addr)}
	}
	proj, _, err := loadForReplay(loadOptions{IO: io, Color: o.Color, Config: o.Config})
	if err != nil {
		return err
	}
	cfg := proj.Config.Serve
	if cfg.AuthSecret == nil {
		return fmt.Errorf("jml.yaml has no serve.authSecret: jml serve needs the event hook's secret ({env: NAME} or {file: PATH}) to check every delivery")
	}
	// One registry of secrets for everything serve writes: the hook's
	// secret first (serve's own configuration is checked before the
	// connectors'), then the connectors'.
	secrets := &effect.Redactor{}
	secret, err := connector.Secret(cfg.AuthSecret, "serve.authSecret", io.Getenv, proj.Root, secrets)
	if err != nil {
		return err
	}
	var conn temporal.Connection
	var queue string
	if o.Temporal != "" {
		if conn, queue, err = temporalConn(io, proj, temporalFlags{o.Temporal, o.Namespace, o.TaskQueue}, secrets); err != nil {
			return err
		}
	}
	set, err := connector.New(proj.Config, connector.Options{SandboxURL: o.Sandbox, Getenv: io.Getenv, BaseDir: proj.Root, Scopes: proj.Graph.Scopes(), Redactor: secrets})
	if err != nil {
		return err
	}
	log := serviceLog(io, o.LogFormat, secrets)
	// --temporal: the delivered events start workflows for jml worker;
	// schedule: and http: flows still run here.
	var start func(context.Context, *event.Event) (string, error)
	if o.Temporal != "" {
		c, err := temporal.Dial(conn, log)
		if err != nil {
			return err
		}
		defer c.Close()
		start = (&temporal.Starter{Client: c, TaskQueue: queue, Graph: proj.Graph}).Start
		log.Info("delivered events start Temporal workflows", "temporal", conn.HostPort, "namespace", conn.Namespace, "taskQueue", queue)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// serve is an apply that lasts: it holds the apply lock while it runs,
	// so that no jml apply or resume takes its running runs for
	// interrupted ones.
	store, lock, err := openLocked(ctx, io, o.History, proj)
	if err != nil {
		return err
	}
	defer store.Close()
	defer lock.Release()
	closeTables, err := useTables(ctx, set, store, proj)
	if err != nil {
		return err
	}
	defer closeTables()
	runCtx, cancelRuns := lock.Context(context.Background())
	defer cancelRuns()

	metrics := serve.NewMetrics(store)
	digest, files := plan.Digest(proj.Sources)
	rec := history.NewRecorder(store, metrics.Observer(), nil, digest)
	rec.Redactor = secrets
	eng := replay.Engine(replay.Setup{Graph: proj.Graph, Effector: rec.Effector(metrics.Effector(set)), Clock: clock.Real{}, Observer: rec, Mode: engine.ModeApply})
	srv, err := serve.New(serve.Options{RunContext: runCtx, Store: store, Graph: proj.Graph, Engine: eng, Recorder: rec, Digest: digest, Files: files,
		Log: log, Path: cfg.Path.Value, AuthHeader: cfg.AuthHeader.Value, AuthSecret: secret, MaxBodyBytes: int64(cfg.MaxBodyBytes),
		Workers: cfg.Workers, MaxPerHour: proj.Graph.MaxDeprovisionsPerHour(), Metrics: metrics, Start: start})
	if err != nil {
		return err
	}

	handler, err := withUI(srv, store, proj.Graph, secret, secrets)
	if err != nil {
		return err
	}

	ln, err := net.Listen("tcp", o.Addr)
	if err != nil {
		return err
	}
	scheme := "http"
	if tls {
		scheme = "https"
	}
	url := scheme + "://" + ln.Addr().String()
	log.Info("jml serve listening", "url", url, "hook", srv.Path(), "flows", len(proj.Graph.Names), "history", store.Where, "ui", url+compile.UIPath+"/")
	hs := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	served := make(chan error, 1)
	go func() {
		if tls {
			served <- hs.ServeTLS(ln, io.Path(o.TLSCert), io.Path(o.TLSKey))
		} else {
			served <- hs.Serve(ln)
		}
	}()
	workers := make(chan struct{})
	go func() {
		// The queue's workers, and the schedule: flows on their cron.
		var wg sync.WaitGroup
		wg.Add(2)
		go func() { defer wg.Done(); srv.Run(ctx, runCtx) }()
		go func() { defer wg.Done(); srv.Schedules(ctx, runCtx) }()
		wg.Wait()
		close(workers)
	}()
	if o.ReadyFile != "" {
		ready = true
		if err := os.WriteFile(o.ReadyFile, []byte(url+"\n"), 0o644); err != nil {
			return err
		}
	}
	select {
	case <-ctx.Done():
	case err := <-served:
		stop()
		<-workers
		return err
	case <-lock.Lost():
		stop()
	case err := <-srv.Fatal():
		log.Error("stopping: the history failed; the events left queued are taken up at the next start", "error", err.Error())
		stop()
	}
	log.Info("stopping: no new deliveries; waiting for the runs in flight", "drainTimeout", o.DrainTimeout.String())
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	hs.Shutdown(sctx)
	cancel()
	select {
	case <-workers:
	case <-time.After(o.DrainTimeout):
		log.Warn("drain timeout: the runs in flight stop between cards and stay queued")
		cancelRuns()
		<-workers
	}
	if err := lock.Err(); err != nil {
		return err
	}
	if err := rec.Err(); err != nil {
		return err
	}
	log.Info("jml serve stopped")
	return nil
}

// withUI adds the web view of the history (pkg/webui) under /ui/ to
// serve's handler. Its token is the event hook's secret (without a
// leading "Bearer "), whatever the address: serve is the process exposed
// to the network, often through a proxy on the same host, where a
// loopback address would say nothing about who can reach it.
func withUI(srv *serve.Server, store *history.Store, g *compile.Graph, secret string, secrets *effect.Redactor) (http.Handler, error) {
	if p := srv.Path(); p == compile.UIPath || strings.HasPrefix(p, compile.UIPath+"/") {
		return nil, fmt.Errorf("serve.path %s is under %s/, where jml serve serves the web view of the history: choose another path", p, compile.UIPath)
	}
	token := strings.TrimPrefix(secret, "Bearer ")
	if token == "" {
		return nil, errors.New("serve.authSecret is empty")
	}
	ui, err := webui.New(store, webui.Options{Graph: g, Base: compile.UIPath, Token: token, Redactor: secrets})
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("/", srv.Handler())
	mux.Handle(compile.UIPath+"/", ui)
	mux.Handle(compile.UIPath, ui)
	return mux, nil
}

// ServeQueueOptions are the inputs of `jml serve queue`.
type ServeQueueOptions struct {
	IO      *IOStreams
	Color   string
	Config  string
	History string
	Status  string
	Format  string
}

func newServeQueueCmd(g *globals, runF func(*ServeQueueOptions) error) *cobra.Command {
	o := &ServeQueueOptions{}
	cmd := &cobra.Command{
		Use:   "queue",
		Short: "List the events jml serve received (queued, held, done)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.IO, o.Color, o.Config = g.io, g.color, g.config
			if err := checkFormat(o.Format, "text", "json"); err != nil {
				return err
			}
			switch o.Status {
			case "", history.QueueQueued, history.QueueHeld, history.QueueDone:
			default:
				return usageError{fmt.Errorf("--status must be queued, held or done, not %q", o.Status)}
			}
			if runF != nil {
				return runF(o)
			}
			return serveQueueRun(o)
		},
	}
	cmd.Flags().StringVar(&o.History, "history", "", "history store URL (default: history: in jml.yaml, else sqlite://.jml/history.db)")
	cmd.Flags().StringVar(&o.Status, "status", "", "only events of this status: queued, held or done")
	cmd.Flags().StringVar(&o.Format, "format", "text", "output format: text or json")
	return cmd
}

func serveQueueRun(o *ServeQueueOptions) error {
	proj, _, err := loadForReplay(loadOptions{IO: o.IO, Color: o.Color, Config: o.Config})
	if err != nil {
		return err
	}
	ctx := context.Background()
	store, err := openHistory(ctx, o.IO, o.History, proj)
	if err != nil {
		return err
	}
	defer store.Close()
	items, err := store.Queue(ctx, history.QueueFilter{Status: o.Status})
	if err != nil {
		return err
	}
	if o.Format == "json" {
		if items == nil {
			items = []*history.QueueItem{}
		}
		e := json.NewEncoder(o.IO.Out)
		e.SetIndent("", "  ")
		return e.Encode(items)
	}
	if len(items) == 0 {
		fmt.Fprintln(o.IO.Out, "The queue is empty.")
		return nil
	}
	tw := tabwriter.NewWriter(o.IO.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "UUID\tTYPE\tUSER\tSTATUS\tRECEIVED\tDETAIL")
	for _, it := range items {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", it.UUID, it.EventType, it.UserKey, it.Status, it.ReceivedAt.UTC().Format(time.RFC3339), it.Detail)
	}
	return tw.Flush()
}

// ServeApproveOptions are the inputs of `jml serve approve`.
type ServeApproveOptions struct {
	IO      *IOStreams
	Color   string
	Config  string
	History string
	UUIDs   []string
	All     bool
}

func newServeApproveCmd(g *globals, runF func(*ServeApproveOptions) error) *cobra.Command {
	o := &ServeApproveOptions{}
	cmd := &cobra.Command{
		Use:   "approve UUID... | approve --all",
		Short: "Release events the hourly guardrail held",
		Long: `Approve releases events held by guardrails.maxDeprovisionsPerHour: they are
queued again, marked approved, and a running jml serve applies them (within
seconds) without counting them against the limit.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.IO, o.Color, o.Config, o.UUIDs = g.io, g.color, g.config, args
			if (len(args) == 0) == !o.All {
				return usageError{errors.New("give the UUIDs of held events, or --all")}
			}
			if runF != nil {
				return runF(o)
			}
			return serveApproveRun(o)
		},
	}
	cmd.Flags().StringVar(&o.History, "history", "", "history store URL (default: history: in jml.yaml, else sqlite://.jml/history.db)")
	cmd.Flags().BoolVar(&o.All, "all", false, "release every held event")
	return cmd
}

func serveApproveRun(o *ServeApproveOptions) error {
	proj, _, err := loadForReplay(loadOptions{IO: o.IO, Color: o.Color, Config: o.Config})
	if err != nil {
		return err
	}
	ctx := context.Background()
	store, err := openHistory(ctx, o.IO, o.History, proj)
	if err != nil {
		return err
	}
	defer store.Close()
	got, err := store.Approve(ctx, o.UUIDs, o.All, time.Now())
	if err != nil {
		return err
	}
	fmt.Fprintf(o.IO.Out, "Approved %d held events; jml serve applies them next.\n", len(got))
	return nil
}
