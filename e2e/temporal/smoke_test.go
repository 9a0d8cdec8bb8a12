package temporal

import (
	"context"
	"strings"
	"testing"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
	"go.temporal.io/server/temporaltest"
)

// shout is the smoke test's activity: real I/O would live here.
func shout(_ context.Context, s string) (string, error) { return strings.ToUpper(s) + "!", nil }

// greet is the smoke test's workflow: one activity call.
func greet(ctx workflow.Context, name string) (string, error) {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: activityTimeout})
	var out string
	err := workflow.ExecuteActivity(ctx, shout, "hello "+name).Get(ctx, &out)
	return out, err
}

// TestSmoke proves the harness: a real server in-process, a worker, one
// workflow with one activity, its result read back.
func TestSmoke(t *testing.T) {
	ts := temporaltest.NewServer(temporaltest.WithT(t))
	ts.NewWorker("smoke", func(r worker.Registry) {
		r.RegisterWorkflow(greet)
		r.RegisterActivity(shout)
	})
	c := ts.GetDefaultClient()
	ctx := context.Background()
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "smoke-1", TaskQueue: "smoke"}, greet, "jml")
	if err != nil {
		t.Fatal(err)
	}
	var got string
	if err := run.Get(ctx, &got); err != nil {
		t.Fatal(err)
	}
	if got != "HELLO JML!" {
		t.Fatalf("workflow result = %q, want %q", got, "HELLO JML!")
	}
}
