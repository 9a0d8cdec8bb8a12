package temporal

import (
	"context"
	"errors"
	"strings"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"github.com/jml-dev/jml/pkg/compile"
	"github.com/jml-dev/jml/pkg/event"
)

// alreadyStarted reports a start refused because a workflow with the id
// was already started (or ran): a redelivered event. The SDK reports it
// only to a client that asks (WorkflowExecutionErrorWhenAlreadyStarted);
// otherwise it returns that run without an error.
func alreadyStarted(err error) (runID string, ok bool) {
	var as *serviceerror.WorkflowExecutionAlreadyStarted
	if !errors.As(err, &as) {
		return "", false
	}
	return as.RunId, true
}

// Starter starts the workflows of the events jml serve --temporal
// receives.
type Starter struct {
	Client    client.Client
	TaskQueue string
	Graph     *compile.Graph
}

// Start starts the workflows of ev (Start) and says what it started, for
// the queue's outcome: "leaver jml/<uuid>/leaver (run …)", or "no flow
// takes it". A workflow Temporal already had for the event and flow (the
// event delivered again) counts as started: it is that run.
func (s *Starter) Start(ctx context.Context, ev *event.Event) (string, error) {
	runs, err := Start(ctx, s.Client, s.TaskQueue, s.Graph, ev)
	if err != nil {
		return "", err
	}
	if len(runs) == 0 {
		return "no flow takes it", nil
	}
	var parts []string
	for _, r := range runs {
		parts = append(parts, "workflow "+r.GetID()+" (run "+r.GetRunID()+")")
	}
	return strings.Join(parts, ", "), nil
}
