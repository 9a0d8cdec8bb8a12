package temporal

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/server/temporaltest"
)

// retryFlow retries Slack through two 429s (the sandbox's Retry-After,
// 1s, is longer than the backoff), and gives up on Google at once: its
// Retry-After, an hour, is more than the card's maxInterval.
const retryFlow = `apiVersion: jml/v1
kind: Flow
name: retrying
trigger: {event: user.lifecycle.deactivate}
steps:
  - action: slack.deactivateUser
    with: {email: "${{ user.alternateId }}"}
    retry: {attempts: 3, interval: 100ms, backoff: 2, maxInterval: 2s}
  - action: google.suspendUser
    with: {userKey: "${{ user.alternateId }}"}
    retry: {attempts: 3, interval: 100ms, maxInterval: 2s}
    onError: continue
`

const retryWorld = `apiVersion: jml/v1
kind: World
faults:
  - {action: slack.deactivateUser, status: 429, times: 2, retryAfter: 1s}
  - {action: google.suspendUser, status: 429, retryAfter: 1h}
`

// TestRetryOnServer: on a real server, a card's retry is Temporal's retry
// of one activity: one ActivityTaskScheduled per card call, the last
// attempt's number in ActivityTaskStarted, the waits the vendor's
// Retry-After (the server takes the activity's NextRetryDelay, under the
// policy's MaximumInterval), and a Retry-After too long fails the card
// at once with jml's message.
func TestRetryOnServer(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a Temporal server")
	}
	jml := jmlBinary(t)
	requireCommand(t, jml, []string{"worker"}, "--temporal", "--namespace", "--task-queue", "--sandbox")
	dir := quickstart(t)
	if err := os.Remove(filepath.Join(dir, "flows/leaver.yaml")); err != nil {
		t.Fatal(err)
	}
	for f, src := range map[string]string{"flows/retrying.yaml": retryFlow, "world.yaml": retryWorld} {
		if err := os.WriteFile(filepath.Join(dir, f), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	uuids := leaverEvents(t, filepath.Join(dir, "events/one.ndjson"), 1)
	url := startSandboxWith(t, jml, dir, []string{"--world", "world.yaml"}, "events")

	ts := temporaltest.NewServer(temporaltest.WithT(t))
	flags := []string{"--temporal", ts.GetFrontendHostPort(), "--namespace", ts.GetDefaultNamespace(), "--task-queue", taskQueue}
	start(t, jml, dir, "worker", append([]string{"worker", "--sandbox", url}, flags...)...)
	run(t, jml, dir, append([]string{"apply", "--auto-approve", "events/one.ndjson"}, flags...)...)

	ctx := context.Background()
	c := ts.GetDefaultClient()
	id := "jml/" + uuids[0] + "/retrying"
	wr := c.GetWorkflow(ctx, id, "")
	var r struct {
		Status string
		Cards  []struct {
			Action   string
			Status   string
			Attempts int
			Duration time.Duration
			Error    *struct {
				Message  string
				Attempts int
			}
		}
	}
	if err := wr.Get(ctx, &r); err != nil {
		t.Fatalf("workflow %s: %v", id, err)
	}
	if r.Status != "success" || len(r.Cards) != 2 {
		b, _ := json.Marshal(r)
		t.Fatalf("run %s", b)
	}
	slack, google := r.Cards[0], r.Cards[1]
	if slack.Status != "success" || slack.Attempts != 3 || slack.Duration < 2*time.Second {
		t.Errorf("slack card: %s after %d attempts in %s, want success after 3, 2s of Retry-After", slack.Status, slack.Attempts, slack.Duration)
	}
	want := "rate limited: Slack asked to wait 1h0m0s, more than retry.maxInterval 2s"
	if google.Status != "failed" || google.Attempts != 1 || google.Error == nil || !strings.HasPrefix(google.Error.Message, strings.Replace(want, "Slack", "Google", 1)) {
		t.Errorf("google card: %+v, want failed after 1 attempt: %q", google, want)
	}

	var scheduled []string
	var attempts []int32
	calls := map[int64]bool{}
	it := c.GetWorkflowHistory(ctx, id, wr.GetRunID(), false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			t.Fatal(err)
		}
		// The card calls (jml.Call), not the history's activities
		// (jml.RunID, jml.RunStarted, jml.RunFinished).
		if a := ev.GetActivityTaskScheduledEventAttributes(); a != nil && a.GetActivityType().GetName() == "jml.Call" {
			calls[ev.GetEventId()] = true
			scheduled = append(scheduled, a.GetActivityType().GetName())
			if p := a.GetRetryPolicy(); len(scheduled) == 1 && p.GetMaximumAttempts() != 3 {
				t.Errorf("slack's activity has retry policy %v, want 3 attempts", p)
			}
		}
		if a := ev.GetActivityTaskStartedEventAttributes(); a != nil && calls[a.GetScheduledEventId()] {
			attempts = append(attempts, a.GetAttempt())
		}
	}
	if len(scheduled) != 2 || len(attempts) != 2 || attempts[0] != 3 || attempts[1] != 1 {
		t.Errorf("activities %v with last attempts %v, want one per card call: 3 attempts, then 1", scheduled, attempts)
	}
}
