package temporal

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"go.temporal.io/server/temporaltest"
)

// hookSecret is the event hook's secret of TestServeTemporal.
const hookSecret = "Bearer e2e-hook-secret"

// startServe starts jml serve with args and returns its URL once it
// listens (its --ready-file is a FIFO the test blocks reading; if serve
// exits first the FIFO gets its error instead).
func startServe(t *testing.T, jml, dir string, args ...string) (*process, string) {
	t.Helper()
	ready := filepath.Join(t.TempDir(), "ready")
	if err := syscall.Mkfifo(ready, 0o600); err != nil {
		t.Fatal(err)
	}
	p := start(t, jml, dir, "serve --temporal", append([]string{"serve", "--addr", "127.0.0.1:0", "--ready-file", ready}, args...)...)
	go func() {
		<-p.done
		if f, err := os.OpenFile(ready, os.O_RDWR, 0); err == nil {
			fmt.Fprintf(f, "error: jml serve exited: %v\n", p.err)
			f.Close()
		}
	}()
	data, err := os.ReadFile(ready)
	if err != nil {
		t.Fatal(err)
	}
	line := strings.TrimSpace(string(data))
	if !strings.HasPrefix(line, "http://127.0.0.1:") {
		t.Fatalf("jml serve: %s\n%s", line, p.out)
	}
	return p, line
}

// deliver posts the NDJSON events of file as one event hook delivery and
// returns serve's answer.
func deliver(t *testing.T, url, file string) string {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var evs []json.RawMessage
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		evs = append(evs, json.RawMessage(line))
	}
	body, _ := json.Marshal(map[string]any{"eventType": "com.okta.event_hook", "eventTypeVersion": "1.0", "data": map[string]any{"events": evs}})
	req, _ := http.NewRequest(http.MethodPost, url+"/hooks/okta", strings.NewReader(string(body)))
	req.Header.Set("Authorization", hookSecret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("delivery: %s %s", resp.Status, b)
	}
	return strings.TrimSpace(string(b))
}

// TestServeTemporal: jml serve --temporal against a real Temporal server
// and one jml worker. A delivery of leaver events is acknowledged, each
// event starts its workflow jml/<uuid>/leaver, the worker runs them (each
// user deprovisioned once in /_world), and the queue records the
// workflows. The same events delivered again start nothing.
func TestServeTemporal(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a Temporal server")
	}
	const n = 5
	jml := jmlBinary(t)
	requireCommand(t, jml, []string{"serve"}, "--temporal", "--namespace", "--task-queue")

	dir := quickstart(t)
	cfg := filepath.Join(dir, "jml.yaml")
	data, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cfg, append(data, "serve: {authSecret: {env: JML_E2E_HOOK_SECRET}}\n"...), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("JML_E2E_HOOK_SECRET", hookSecret) // inherited by serve
	events := filepath.Join(dir, "events/leavers.ndjson")
	uuids := leaverEvents(t, events, n)
	url := startSandbox(t, jml, dir, "events")

	ts := temporaltest.NewServer(temporaltest.WithT(t))
	hostPort, ns := ts.GetFrontendHostPort(), ts.GetDefaultNamespace()
	c := ts.GetDefaultClient()
	flags := []string{"--temporal", hostPort, "--namespace", ns, "--task-queue", taskQueue, "--sandbox", url}
	worker := start(t, jml, dir, "worker", append([]string{"worker"}, flags...)...)
	serve, hook := startServe(t, jml, dir, flags...)

	if got := deliver(t, hook, events); got != fmt.Sprintf(`{"duplicates":0,"queued":%d}`, n) {
		t.Fatalf("delivery: %s", got)
	}
	ctx := context.Background()
	// Every workflow has started once the sandbox saw every ticket.
	waitPerformed(ctx, t, url, "itsm.createRecord", n)
	runIDs := map[string]string{}
	for _, u := range uuids {
		id := "jml/" + u + "/leaver"
		run := c.GetWorkflow(ctx, id, "")
		if err := run.Get(ctx, nil); err != nil {
			t.Fatalf("workflow %s: %v", id, err)
		}
		runIDs[id] = run.GetRunID()
	}
	checkOnce(t, getWorld(t, url), n)

	if got := deliver(t, hook, events); got != fmt.Sprintf(`{"duplicates":%d,"queued":0}`, n) {
		t.Fatalf("redelivery: %s", got)
	}
	// SIGTERM: serve stops taking deliveries and lets the starts in flight
	// end (marking their events done) before it exits.
	if err := serve.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	<-serve.done
	if serve.err != nil {
		t.Fatalf("jml serve: %v\n%s", serve.err, serve.out)
	}
	var queue []struct{ UUID, Status, Detail string }
	if err := json.Unmarshal([]byte(run(t, jml, dir, "serve", "queue", "--format", "json")), &queue); err != nil {
		t.Fatal(err)
	}
	if len(queue) != n {
		t.Fatalf("queue: %+v", queue)
	}
	for _, it := range queue {
		id := "jml/" + it.UUID + "/leaver"
		if want := "workflow " + id + " (run " + runIDs[id] + ")"; it.Status != "done" || it.Detail != want {
			t.Errorf("queue item %s: %s %q, want done %q", it.UUID, it.Status, it.Detail, want)
		}
	}
	checkOnce(t, getWorld(t, url), n)
	worker.kill(t)
}
