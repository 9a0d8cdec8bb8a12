package cli

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/jml-dev/jml/pkg/connector"
	"github.com/jml-dev/jml/pkg/effect"
	"github.com/jml-dev/jml/pkg/history"
	"github.com/jml-dev/jml/pkg/plan"
	"github.com/jml-dev/jml/pkg/project"
	"github.com/jml-dev/jml/pkg/temporal"
)

// WorkerOptions are the inputs of `jml worker`.
type WorkerOptions struct {
	IO        *IOStreams
	Color     string
	Config    string
	Temporal  string
	Namespace string
	TaskQueue string
	Sandbox   string
	LogFormat string
	History   string
}

func newWorkerCmd(g *globals, runF func(*WorkerOptions) error) *cobra.Command {
	o := &WorkerOptions{}
	cmd := &cobra.Command{
		Use:   "worker",
		Short: "Run the project's flows as Temporal workflows",
		Long: `Worker connects to a Temporal frontend (--temporal HOST:PORT, or
temporal.hostPort of jml.yaml, whose tls and apiKey it uses) and serves
the project's flows on a task queue: each workflow runs one flow for one
event, each action call is an activity calling the connectors of jml.yaml,
retried by Temporal as the card's retry says. jml apply --temporal starts
the workflows. A worker refuses a
workflow started for other flows than its own (docs/temporal.md).
Each run is recorded in the history store (history: in jml.yaml, or
--history URL) as jml apply records it: jml history lists and shows it
with its workflow's id, and jml resume continues a halted or failed one
locally. A worker that cannot write the history stops (exit 1).
SIGINT or SIGTERM stops polling.`,
		Example: `  jml worker --temporal 127.0.0.1:7233
  jml worker --temporal temporal.internal:7233 --namespace iam --task-queue jml`,
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
			return workerRun(o)
		},
	}
	addTemporalFlags(cmd, &o.Temporal, &o.Namespace, &o.TaskQueue, "Temporal frontend HOST:PORT (default: temporal.hostPort in jml.yaml)")
	cmd.Flags().StringVar(&o.Sandbox, "sandbox", "", "point every connector at this jml sandbox URL (default $JML_SANDBOX_URL)")
	cmd.Flags().StringVar(&o.LogFormat, "log-format", "text", "log format on standard error: text or json")
	cmd.Flags().StringVar(&o.History, "history", "", "history store URL (sqlite://PATH or postgres://…; default: history: in jml.yaml)")
	return cmd
}

func workerRun(o *WorkerOptions) error {
	io := o.IO
	proj, _, err := loadForReplay(loadOptions{IO: io, Color: o.Color, Config: o.Config})
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ws, err := newWorkerSetup(ctx, o, proj)
	if err != nil {
		return err
	}
	defer ws.store.Close()
	defer ws.closeTables()
	log := serviceLog(io, o.LogFormat, ws.secrets)
	c, err := temporal.Dial(ws.conn, log)
	if err != nil {
		return err
	}
	defer c.Close()
	w := temporal.NewWorker(c, ws.queue, ws.flows)
	if err := w.Start(); err != nil {
		return fmt.Errorf("starting the worker: %w", err)
	}
	log.Info("worker started", "temporal", ws.conn.HostPort, "namespace", ws.conn.Namespace, "taskQueue", ws.queue, "tls", ws.conn.TLS != nil || ws.conn.APIKey != "", "flows", temporal.Digest(proj.Graph), "history", ws.store.Where)
	select {
	case <-ctx.Done():
		w.Stop()
		return nil
	case err := <-ws.failed:
		// As apply: nothing is called that is not journaled. The run
		// whose write failed halts (code history); the worker stops,
		// for one that can write to take its workflows over.
		w.Stop()
		log.Error("the worker stopped: it cannot write the history", "error", err)
		return fmt.Errorf("%v: the worker stopped; its workflows go on when a worker that can write the history polls", err)
	}
}

// workerSetup is what a worker serves: the flows, calling the connectors
// of jml.yaml, recording their runs in the history store.
type workerSetup struct {
	flows *temporal.Flows
	store *history.Store
	// closeTables closes the databases table instances name (useTables).
	closeTables func()
	// secrets is the registry of every secret the connectors read.
	secrets *effect.Redactor
	// failed receives the first error writing the history.
	failed chan error
	// conn and queue: where the worker polls (flags over jml.yaml's
	// temporal: section).
	conn  temporal.Connection
	queue string
}

// newWorkerSetup makes the connectors and opens the history store
// (openHistory: --history, else jml.yaml's). The runs are recorded as
// apply records them, in the same store; a worker takes no apply lock:
// several write one history at once (Temporal runs each event's flow
// once), each call's journal entry numbered by the store.
func newWorkerSetup(ctx context.Context, o *WorkerOptions, proj *project.Project) (*workerSetup, error) {
	io := o.IO
	secrets := &effect.Redactor{}
	// The temporal: section first (the worker's own configuration), then
	// the connectors'; one registry of secrets for both.
	conn, queue, err := temporalConn(io, proj, temporalFlags{o.Temporal, o.Namespace, o.TaskQueue}, secrets)
	if err != nil {
		return nil, err
	}
	set, err := connector.New(proj.Config, connector.Options{SandboxURL: o.Sandbox, Getenv: io.Getenv, BaseDir: proj.Root, Scopes: proj.Graph.Scopes(), Redactor: secrets})
	if err != nil {
		return nil, err
	}
	store, err := openHistory(ctx, io, o.History, proj)
	if err != nil {
		return nil, err
	}
	closeTables, err := useTables(ctx, set, store, proj)
	if err != nil {
		store.Close()
		return nil, err
	}
	digest, _ := plan.Digest(proj.Sources)
	rec := history.NewRecorder(store, nil, nil, digest)
	rec.Redactor = secrets
	failed := make(chan error, 1)
	rec.OnFail = func(err error) { failed <- err }
	return &workerSetup{flows: temporal.NewFlows(proj.Graph, set).WithHistory(rec), store: store, closeTables: closeTables, secrets: secrets, failed: failed, conn: conn, queue: queue}, nil
}
