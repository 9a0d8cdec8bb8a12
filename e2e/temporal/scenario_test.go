package temporal

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/server/temporaltest"
)

// leavers is the scenario's number of leaver events (one user each).
const leavers = 200

// taskQueue is the task queue the scenario's workers serve.
const taskQueue = "jml-e2e"

// checkOnce checks the world after n leaver runs of the quickstart's
// leaver flow: every user deprovisioned, and exactly one ServiceNow task
// and one #it-offboarding message per user, none twice.
func checkOnce(t *testing.T, w worldState, n int) { checkRuns(t, w, n, nil) }

// checkRuns is checkOnce, but a user in mayRepeat may have two
// #it-offboarding messages: their notification's try was lost with the
// killed worker and tried again, and slack.postMessage is a write that
// repeats on retry (docs/apply.md, "Idempotency: what a retry repeats") —
// the lost try may have reached the sandbox before the worker died. Every
// other count stays exact: tickets are found again by their correlation
// id, and the deprovisioning writes are idempotent.
func checkRuns(t *testing.T, w worldState, n int, mayRepeat map[string]bool) {
	t.Helper()
	tickets := map[string]int{}
	for _, r := range w.items("itsm", "records", func(m map[string]any) bool { return true }) {
		d, _ := field(r, "fields.short_description").(string)
		tickets[strings.TrimPrefix(d, "Offboard ")]++
	}
	messages := map[string]int{}
	for _, m := range w.items("slack", "messages", func(m map[string]any) bool { return m["channel"] == "#it-offboarding" }) {
		text, _ := m["text"].(string)
		login, _, _ := strings.Cut(strings.TrimPrefix(text, "Deprovisioned "), ":")
		messages[login]++
	}
	inactive := len(w.items("slack", "users", func(m map[string]any) bool { return m["active"] == false }))
	suspended := len(w.items("google", "users", func(m map[string]any) bool { return m["suspended"] == true }))
	if inactive != n || suspended != n {
		t.Errorf("deprovisioned: %d Slack users inactive, %d Google users suspended, want %d each", inactive, suspended, n)
	}
	for what, counts := range map[string]map[string]int{"ServiceNow tasks": tickets, "#it-offboarding messages": messages} {
		var twice []string
		for login, c := range counts {
			if c == 2 && what != "ServiceNow tasks" && mayRepeat[login] {
				t.Logf("%s: two %s (its try was lost with the killed worker)", login, what)
				continue
			}
			if c != 1 {
				twice = append(twice, fmt.Sprintf("%s×%d", login, c))
			}
		}
		sort.Strings(twice)
		if len(counts) != n || len(twice) > 0 {
			t.Errorf("%s: %d users have one, want %d; more than one: %v", what, len(counts), n, twice)
		}
	}
}

// TestLocalApply is the reference the Temporal scenario is held to: the
// same 200 leaver events applied locally (jml apply --sandbox) leave the
// world the scenario checks for. It also proves the harness (the built
// binary, the in-process sandbox, the counts) on its own.
func TestLocalApply(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the jml binary and runs 200 leavers")
	}
	jml := jmlBinary(t)
	dir := quickstart(t)
	leaverEvents(t, filepath.Join(dir, "events/leavers.ndjson"), leavers)
	url := startSandbox(t, jml, dir, "events")
	out := run(t, jml, dir, "apply", "--sandbox", url, "--auto-approve", "--allow-mass-deprovision", "events/leavers.ndjson")
	if want := fmt.Sprintf("Apply: %d events, %d runs (%d success).", leavers, leavers, leavers); !strings.Contains(out, want) {
		t.Fatalf("apply did not report %q:\n%s", want, out)
	}
	checkOnce(t, getWorld(t, url), leavers)
}

// TestLeaversTwoWorkers is issue #18's scenario against a real Temporal
// server: 200 leaver events started as workflows (jml apply --temporal),
// served by two jml worker processes against jml sandbox; one worker is
// killed (SIGKILL) a quarter of the way in; every run completes exactly
// once (one ServiceNow task and one Slack message per user in /_world),
// and a redelivered event starts no second workflow.
func TestLeaversTwoWorkers(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a Temporal server and runs 200 leavers")
	}
	jml := jmlBinary(t)
	requireCommand(t, jml, []string{"worker"}, "--temporal", "--namespace", "--task-queue", "--sandbox")
	requireCommand(t, jml, []string{"apply"}, "--temporal", "--namespace", "--task-queue")

	dir := quickstart(t)
	uuids := leaverEvents(t, filepath.Join(dir, "events/leavers.ndjson"), leavers)
	url := startSandbox(t, jml, dir, "events")

	ts := temporaltest.NewServer(temporaltest.WithT(t))
	hostPort, ns := ts.GetFrontendHostPort(), ts.GetDefaultNamespace()
	c := ts.GetDefaultClient()
	temporalFlags := []string{"--temporal", hostPort, "--namespace", ns, "--task-queue", taskQueue}

	worker := func(name string) *process {
		return start(t, jml, dir, name, append([]string{"worker", "--sandbox", url}, temporalFlags...)...)
	}
	a, b := worker("worker A"), worker("worker B")

	// apply --temporal starts the workflows; whether it then waits for
	// them or not, the test waits on the workflows themselves.
	apply := start(t, jml, dir, "apply --temporal", append([]string{"apply", "--auto-approve", "--allow-mass-deprovision", "events/leavers.ndjson"}, temporalFlags...)...)

	ctx := context.Background()
	// A quarter of the tickets are open: kill worker A mid-way, whatever
	// it holds (activities, cached workflows) then is lost with it.
	waitPerformed(ctx, t, url, "itsm.createRecord", leavers/4)
	a.kill(t)

	runIDs := map[string]string{}
	identities := map[string]int{}
	// The users whose notification (slack.postMessage) had a try lost
	// with the killed worker: it timed out (the engine tried again with a
	// new activity) or the activity ran more than once (Temporal retried
	// it).
	lostNotification := map[string]bool{}
	for i, u := range uuids {
		id := "jml/" + u + "/leaver"
		login := fmt.Sprintf("user%03d@acme.com", i+1)
		calls := map[int64]string{} // scheduled event id → INSTANCE.ACTION
		run := c.GetWorkflow(ctx, id, "")
		// The workflow's result is the run, as jml history records it:
		// each must have succeeded, not only completed (a card lost with
		// the killed worker must not halt its run).
		var result struct {
			Status string `json:"status"`
			Error  any    `json:"error"`
		}
		if err := run.Get(ctx, &result); err != nil {
			t.Fatalf("workflow %s: %v", id, err)
		}
		if result.Status != "success" {
			t.Errorf("workflow %s: run %s (%v), want success", id, result.Status, result.Error)
		}
		runIDs[id] = run.GetRunID()
		it := c.GetWorkflowHistory(ctx, id, run.GetRunID(), false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
		for it.HasNext() {
			ev, err := it.Next()
			if err != nil {
				t.Fatalf("history of %s: %v", id, err)
			}
			if a := ev.GetActivityTaskStartedEventAttributes(); a != nil {
				identities[a.GetIdentity()]++
				if a.GetAttempt() > 1 && calls[a.GetScheduledEventId()] == "slack.postMessage" {
					lostNotification[login] = true
				}
			}
			if a := ev.GetActivityTaskTimedOutEventAttributes(); a != nil && calls[a.GetScheduledEventId()] == "slack.postMessage" {
				lostNotification[login] = true
			}
			// The card's timeout: is the activity's start-to-close
			// timeout, what bounds the wait for a lost activity.
			if a := ev.GetActivityTaskScheduledEventAttributes(); a != nil && a.GetActivityType().GetName() == "jml.Call" {
				if a.GetStartToCloseTimeout().AsDuration().String() != callTimeout {
					t.Fatalf("%s: activity %s has start-to-close timeout %s, want the card's %s", id, a.GetActivityId(), a.GetStartToCloseTimeout().AsDuration(), callTimeout)
				}
				calls[ev.GetEventId()] = callName(t, a.GetInput())
			}
		}
	}
	if <-apply.done; apply.err != nil {
		t.Fatalf("jml apply --temporal: %v\n%s", apply.err, apply.out)
	}
	// Both workers ran activities: A was killed with work done, not idle.
	if len(identities) < 2 {
		t.Errorf("activities were started by %v, want both workers", identities)
	}
	checkRuns(t, getWorld(t, url), leavers, lostNotification)

	// A redelivered event (the first one again) starts no second workflow:
	// the workflow id jml/<uuid>/<flow> is taken.
	redelivered := filepath.Join(dir, "events/redelivered.ndjson")
	leaverEvents(t, redelivered, 1)
	run(t, jml, dir, append([]string{"apply", "--auto-approve", "events/redelivered.ndjson"}, temporalFlags...)...)
	id := "jml/" + uuids[0] + "/leaver"
	desc, err := c.DescribeWorkflowExecution(ctx, id, "")
	if err != nil {
		t.Fatal(err)
	}
	if got := desc.GetWorkflowExecutionInfo().GetExecution().GetRunId(); got != runIDs[id] {
		t.Errorf("after the redelivery %s's latest run is %s, want the first one, %s", id, got, runIDs[id])
	}
	checkRuns(t, getWorld(t, url), leavers, lostNotification)
	b.kill(t)
}

// callName is the INSTANCE.ACTION of a jml.Call activity's input (the
// effect.Request, as JSON).
func callName(t *testing.T, in *commonpb.Payloads) string {
	t.Helper()
	var req struct{ Instance, Action string }
	if len(in.GetPayloads()) == 0 || json.Unmarshal(in.GetPayloads()[0].GetData(), &req) != nil || req.Action == "" {
		t.Fatalf("an activity's input is not a jml call: %v", in)
	}
	return req.Instance + "." + req.Action
}
