package temporal

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/server/temporaltest"
)

// TestHelperChildWorkflows: on a real server, the quickstart leaver's
// helper call (open-offboarding-ticket, card steps[3]) runs as a child
// workflow jml.RunHelper with id jml/<uuid>/leaver/steps[3], whose own
// history holds the ticket's activity; the flow's workflow completes with
// the helper's cards and write in its run, and the world is as after a
// local apply.
func TestHelperChildWorkflows(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a Temporal server")
	}
	const n = 3
	jml := jmlBinary(t)
	requireCommand(t, jml, []string{"worker"}, "--temporal", "--namespace", "--task-queue", "--sandbox")

	dir := quickstart(t)
	uuids := leaverEvents(t, filepath.Join(dir, "events/leavers.ndjson"), n)
	url := startSandbox(t, jml, dir, "events")

	ts := temporaltest.NewServer(temporaltest.WithT(t))
	c := ts.GetDefaultClient()
	flags := []string{"--temporal", ts.GetFrontendHostPort(), "--namespace", ts.GetDefaultNamespace(), "--task-queue", taskQueue + "-child"}
	start(t, jml, dir, "worker", append([]string{"worker", "--sandbox", url}, flags...)...)
	run(t, jml, dir, append([]string{"apply", "--auto-approve", "events/leavers.ndjson"}, flags...)...)

	ctx := context.Background()
	for _, u := range uuids {
		id := "jml/" + u + "/leaver"
		var r struct {
			Status  string `json:"status"`
			Changes []struct {
				Action string   `json:"action"`
				Via    []string `json:"via"`
				Path   string   `json:"path"`
			} `json:"changes"`
		}
		if err := c.GetWorkflow(ctx, id, "").Get(ctx, &r); err != nil {
			t.Fatalf("workflow %s: %v", id, err)
		}
		var helperWrite bool
		for _, ch := range r.Changes {
			helperWrite = helperWrite || (ch.Action == "itsm.createRecord" && strings.Join(ch.Via, ">") == "open-offboarding-ticket" &&
				ch.Path == "steps[3]/open-offboarding-ticket/steps[0]")
		}
		if r.Status != "success" || !helperWrite {
			t.Errorf("%s: status %s, changes %+v: want success and the helper's createRecord", id, r.Status, r.Changes)
		}

		child := id + "/steps[3]"
		var started, completed int
		for _, ev := range history(ctx, t, c, id) {
			if a := ev.GetStartChildWorkflowExecutionInitiatedEventAttributes(); a != nil {
				started++
				if a.GetWorkflowId() != child || a.GetWorkflowType().GetName() != "jml.RunHelper" {
					t.Errorf("%s started child workflow %s of type %s, want %s of type jml.RunHelper", id, a.GetWorkflowId(), a.GetWorkflowType().GetName(), child)
				}
			}
			if ev.GetChildWorkflowExecutionCompletedEventAttributes() != nil {
				completed++
			}
			// jml.Call only: the history's jml.RunFinished carries the whole run.
			if a := ev.GetActivityTaskScheduledEventAttributes(); a != nil && a.GetActivityType().GetName() == "jml.Call" && strings.Contains(payloads(a.GetInput()), "createRecord") {
				t.Errorf("%s ran the helper's createRecord in its own history", id)
			}
		}
		if started != 1 || completed != 1 {
			t.Errorf("%s: %d child workflows started, %d completed, want 1", id, started, completed)
		}
		var activities int
		for _, ev := range history(ctx, t, c, child) {
			// jml.Call only: the history's jml.RunFinished carries the whole run.
			if a := ev.GetActivityTaskScheduledEventAttributes(); a != nil && a.GetActivityType().GetName() == "jml.Call" && strings.Contains(payloads(a.GetInput()), "createRecord") {
				activities++
			}
		}
		if activities != 1 {
			t.Errorf("child workflow %s scheduled %d createRecord activities, want 1", child, activities)
		}
	}
	checkOnce(t, getWorld(t, url), n)
}

// history is the event history of workflow id's latest run.
func history(ctx context.Context, t *testing.T, c client.Client, id string) []*historypb.HistoryEvent {
	t.Helper()
	var evs []*historypb.HistoryEvent
	it := c.GetWorkflowHistory(ctx, id, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			t.Fatalf("history of %s: %v", id, err)
		}
		evs = append(evs, ev)
	}
	return evs
}

// payloads is the data of an event's payloads (JSON, for the default
// converter), joined.
func payloads(p *commonpb.Payloads) string {
	var b strings.Builder
	for _, x := range p.GetPayloads() {
		b.Write(x.GetData())
	}
	return b.String()
}
