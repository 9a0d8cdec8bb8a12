package temporal

import (
	"bufio"
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/server/temporaltest"
	"google.golang.org/protobuf/encoding/protojson"
)

// record turns TestRecordHistories on (or JML_RECORD_HISTORIES=1).
var record = flag.Bool("record", false, "record the workflow histories of pkg/temporal/testdata/recorded into pkg/temporal/testdata/histories")

// Where the recorded project and its histories live, in the root module:
// pkg/temporal's TestReplayServerHistories replays every history
// against that project's flows.
var (
	recordedProject = filepath.Join(repoRoot, "pkg/temporal/testdata/recorded")
	historiesDir    = filepath.Join(repoRoot, "pkg/temporal/testdata/histories")
)

// TestRecordHistories records the workflow histories pkg/temporal replays
// to prove that the workflow code still decides as it did: the recorded
// project's events (one leaver event firing each of its flows: a retry
// after a 429, a helper call, a forEach, a halt) are started with jml
// apply --temporal and run by a jml worker against jml sandbox with the
// project's world (its faults), on a real server; each workflow's history
// is written as JSON (client.GetWorkflowHistory, protojson: what `temporal
// workflow show --output json` prints) to histories/FLOW.json, and each of
// its child workflows' to FLOW.PATH.json, replacing the files there. Run after a change to the workflow code or to the
// recorded flows:
//
//	cd e2e/temporal && go test -count=1 -run TestRecordHistories . -args -record
func TestRecordHistories(t *testing.T) {
	if !*record && os.Getenv("JML_RECORD_HISTORIES") == "" {
		t.Skip("records pkg/temporal/testdata/histories: run with -args -record (or JML_RECORD_HISTORIES=1)")
	}
	jml := jmlBinary(t)
	dir := t.TempDir()
	copyTree(t, recordedProject, dir)
	url := startSandboxWith(t, jml, dir, []string{"--world", "world.yaml"}, "events.ndjson")

	ts := temporaltest.NewServer(temporaltest.WithT(t))
	c := ts.GetDefaultClient()
	temporalFlags := []string{"--temporal", ts.GetFrontendHostPort(), "--namespace", ts.GetDefaultNamespace(), "--task-queue", taskQueue}
	start(t, jml, dir, "worker", append([]string{"worker", "--sandbox", url}, temporalFlags...)...)
	out := run(t, jml, dir, append([]string{"apply", "--auto-approve", "events.ndjson"}, temporalFlags...)...)

	// apply prints "started jml/<uuid>/<flow> (run <id>)" for each workflow.
	var ids []string
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "started "); ok {
			id, _, _ := strings.Cut(rest, " ")
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		t.Fatalf("jml apply --temporal started no workflow:\n%s", out)
	}

	ctx := context.Background()
	histories := map[string][]byte{}
	runs := map[string]recordedRun{}
	for _, id := range ids {
		wf := c.GetWorkflow(ctx, id, "")
		var result recordedRun
		if err := wf.Get(ctx, &result); err != nil {
			t.Fatalf("workflow %s: %v", id, err)
		}
		flow := id[strings.LastIndex(id, "/")+1:]
		runs[flow] = result
		// The workflow's history, then those of its child workflows (a
		// helper call run as one), theirs, and so on: a child's file is
		// named by its id under the event's (jml/<uuid>/FLOW/PATH →
		// FLOW.PATH.json).
		prefix := id[:len(id)-len(flow)]
		queue := []string{id}
		runIDs := map[string]string{id: wf.GetRunID()}
		for len(queue) > 0 {
			wid := queue[0]
			queue = queue[1:]
			var h historypb.History
			it := c.GetWorkflowHistory(ctx, wid, runIDs[wid], false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
			for it.HasNext() {
				ev, err := it.Next()
				if err != nil {
					t.Fatalf("history of %s: %v", wid, err)
				}
				h.Events = append(h.Events, ev)
				if a := ev.GetChildWorkflowExecutionStartedEventAttributes(); a != nil {
					child := a.GetWorkflowExecution()
					runIDs[child.GetWorkflowId()] = child.GetRunId()
					queue = append(queue, child.GetWorkflowId())
				}
			}
			data, err := protojson.MarshalOptions{Multiline: true, Indent: "  "}.Marshal(&h)
			if err != nil {
				t.Fatal(err)
			}
			name := strings.ReplaceAll(strings.TrimPrefix(wid, prefix), "/", ".")
			histories[name] = append(data, '\n')
			t.Logf("%s: %d events", wid, len(h.Events))
		}
		t.Logf("%s: run %s", id, result.Status)
	}
	// Each history shows what it is kept for, whatever the workflow
	// makes of it (a timer and a second activity, or one activity
	// retried): the runs, as jml records them, say what happened.
	if got := runs["retry-429"].attempts("slack"); got != 2 {
		t.Errorf("retry-429: the Slack card made %d tries, want 2 (a 429, then success): did the world's fault apply?", got)
	}
	for flow, want := range map[string]string{"retry-429": "success", "helper-call": "success", "for-each": "success", "halt": "halted"} {
		if got := runs[flow].Status; got != want {
			t.Errorf("%s: run %s (%v), want %s", flow, got, runs[flow].Error, want)
		}
	}

	old, err := filepath.Glob(filepath.Join(historiesDir, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range old {
		if err := os.Remove(f); err != nil {
			t.Fatal(err)
		}
	}
	for flow, data := range histories {
		if err := os.WriteFile(filepath.Join(historiesDir, flow+".json"), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// recordedRun is what the recorder reads of a workflow's result, the run
// as jml history records it.
type recordedRun struct {
	Status string      `json:"status"`
	Error  any         `json:"error"`
	Cards  []cardTrace `json:"cards"`
}

type cardTrace struct {
	ID       string      `json:"id"`
	Attempts int         `json:"attempts"`
	Children []cardTrace `json:"children"`
}

// attempts is the number of tries of the card with id, 0 if none ran.
func (r recordedRun) attempts(id string) int {
	var find func(cs []cardTrace) int
	find = func(cs []cardTrace) int {
		for _, c := range cs {
			if c.ID == id {
				return c.Attempts
			}
			if n := find(c.Children); n > 0 {
				return n
			}
		}
		return 0
	}
	return find(r.Cards)
}

// copyTree copies the regular files under src into dst.
func copyTree(t testing.TB, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}
