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
	return cmd
}

func workerRun(o *WorkerOptions) error {
	io := o.IO
	proj, _, err := loadForReplay(loadOptions{IO: io, Color: o.Color, Config: o.Config})
	if err != nil {
		return err
	}
	secrets := &effect.Redactor{}
	// The temporal: section first (the worker's own configuration), then
	// the connectors'; one registry of secrets for both.
	conn, queue, err := temporalConn(io, proj, temporalFlags{o.Temporal, o.Namespace, o.TaskQueue}, secrets)
	if err != nil {
		return err
	}
	set, err := connector.New(proj.Config, connector.Options{SandboxURL: o.Sandbox, Getenv: io.Getenv, BaseDir: proj.Root, Scopes: proj.Graph.Scopes(), Redactor: secrets})
	if err != nil {
		return err
	}
	log := serviceLog(io, o.LogFormat, secrets)
	c, err := temporal.Dial(conn, log)
	if err != nil {
		return err
	}
	defer c.Close()
	w := temporal.NewWorker(c, queue, temporal.NewFlows(proj.Graph, set))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := w.Start(); err != nil {
		return fmt.Errorf("starting the worker: %w", err)
	}
	log.Info("worker started", "temporal", conn.HostPort, "namespace", conn.Namespace, "taskQueue", queue, "tls", conn.TLS != nil || conn.APIKey != "", "flows", temporal.Digest(proj.Graph))
	<-ctx.Done()
	w.Stop()
	return nil
}
