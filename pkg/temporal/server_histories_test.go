package temporal

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"go.temporal.io/sdk/worker"

	"github.com/jml-dev/jml/pkg/compile"
	"github.com/jml-dev/jml/pkg/project"
)

// The project whose workflows were recorded from a real Temporal server,
// and the histories (e2e/temporal's TestRecordHistories writes them;
// docs/temporal.md, "End-to-end tests", says how to record them again).
const (
	recordedDir  = "testdata/recorded"
	historiesDir = "testdata/histories"
)

// loadRecorded compiles the recorded project, as jml worker would; with
// change, one of its flow files is rewritten first (in a copy).
func loadRecorded(t *testing.T, change func(file string, src []byte) []byte) *compile.Graph {
	t.Helper()
	dir := recordedDir
	if change != nil {
		dir = t.TempDir()
		err := filepath.WalkDir(recordedDir, func(path string, d os.DirEntry, err error) error {
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(recordedDir, path)
			if d.IsDir() {
				return os.MkdirAll(filepath.Join(dir, rel), 0o755)
			}
			src, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			return os.WriteFile(filepath.Join(dir, rel), change(filepath.ToSlash(rel), src), 0o644)
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	p, ds := project.Load(project.Options{Dir: dir, WorkDir: dir})
	if ds.HasErrors() || p.Graph == nil {
		t.Fatalf("loading %s: %v", dir, ds)
	}
	return p.Graph
}

func recordedHistories(t *testing.T) map[string]string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(historiesDir, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, f := range files {
		out[strings.TrimSuffix(filepath.Base(f), ".json")] = f
	}
	return out
}

// TestReplayServerHistories replays every workflow history recorded
// from a real Temporal server against the flows that recorded it: the
// workflow code must make the very decisions (activities, timers,
// coroutines, result) it made then. A failure here means a change to the
// workflow code would break the workflows in flight: make the change
// replay-safe, or record the histories again if breaking them is meant.
func TestReplayServerHistories(t *testing.T) {
	g := loadRecorded(t, nil)
	histories := recordedHistories(t)
	// Every flow an event starts has its history: a flow added to the
	// recorded project without recording again is caught here.
	var missing []string
	for _, name := range g.Names {
		if !g.Flows[name].IsHelper() && histories[name] == "" {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 || len(histories) == 0 {
		t.Fatalf("no recorded history for %v in %s (histories: %v)", missing, historiesDir, histories)
	}
	names := make([]string, 0, len(histories))
	for name := range histories {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			if err := Replay(g, histories[name]); err != nil {
				t.Errorf("replaying %s: %v", histories[name], err)
			}
		})
	}
}

// TestReplayChangedFlowFails: a recorded history replayed against a
// changed flow fails, clearly. With the worker's own check the changed
// flows have another digest and the workflow refuses the history (the
// error names both digests); without it (the digest forced to the old
// one) the SDK finds that the workflow no longer makes the recorded
// decisions and says it is non-deterministic.
func TestReplayChangedFlowFails(t *testing.T) {
	history := filepath.Join(historiesDir, "for-each.json")
	if _, err := os.Stat(history); err != nil {
		t.Fatal(err)
	}
	recorded := loadRecorded(t, nil)
	// One more channel: a fourth activity the history never scheduled.
	changed := loadRecorded(t, func(file string, src []byte) []byte {
		if file != "flows/for-each.yaml" {
			return src
		}
		return []byte(strings.Replace(string(src), "'gamma']", "'gamma', 'delta']", 1))
	})
	if Digest(changed) == Digest(recorded) {
		t.Fatal("the changed flow has the recorded flows' digest")
	}

	t.Run("digest", func(t *testing.T) {
		err := Replay(changed, history)
		if err == nil {
			t.Fatal("a changed flow replayed the recorded history")
		}
		for _, want := range []string{ErrDigest, Digest(changed), Digest(recorded)} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %q does not say %q", err, want)
			}
		}
	})

	t.Run("non-determinism", func(t *testing.T) {
		h, err := readHistory(recorded, history)
		if err != nil {
			t.Fatal(err)
		}
		f := NewFlows(changed, nil)
		f.digest = Digest(recorded)
		r := worker.NewWorkflowReplayer()
		f.Register(replayRegistry{r})
		err = r.ReplayWorkflowHistory(nil, h)
		if err == nil {
			t.Fatal("a changed flow replayed the recorded history")
		}
		// TMPRL1100 is the SDK's code of a non-determinism error (the
		// message varies with where the histories part).
		if !strings.Contains(strings.ToLower(err.Error()), "nondetermin") && !strings.Contains(err.Error(), "[TMPRL1100]") {
			t.Errorf("error %q does not say the workflow is non-deterministic", err)
		}
	})
}

// TestReplayBadHistoryFile: a file that is not a jml workflow's history is
// an error that names the file and says what is wrong, never a panic.
func TestReplayBadHistoryFile(t *testing.T) {
	g := loadRecorded(t, nil)
	tests := []struct{ name, content, want string }{
		{"not JSON", "events: []", "not a workflow history"},
		{"no event", `{"events": []}`, "no event"},
		{"not from the start", `{"events": [{"eventId": "1", "eventType": "EVENT_TYPE_WORKFLOW_TASK_SCHEDULED",
  "workflowTaskScheduledEventAttributes": {}}]}`, "not a workflow's history from its start"},
		{"another workflow", `{"events": [{"eventId": "1", "eventType": "EVENT_TYPE_WORKFLOW_EXECUTION_STARTED",
  "workflowExecutionStartedEventAttributes": {"workflowType": {"name": "greet"}}}]}`, "the input of the greet workflow names no digest of flows"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "h.json")
			if err := os.WriteFile(file, []byte(tt.content), 0o644); err != nil {
				t.Fatal(err)
			}
			err := Replay(g, file)
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), file) {
				t.Errorf("Replay(%s) = %v, want an error naming the file and saying %q", tt.name, err, tt.want)
			}
		})
	}
	if err := Replay(g, filepath.Join(t.TempDir(), "none.json")); err == nil {
		t.Error("Replay of a missing file succeeded")
	}
}
