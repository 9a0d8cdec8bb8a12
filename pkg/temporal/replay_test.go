package temporal

import (
	"testing"

	"github.com/jml-dev/jml/pkg/project"
)

// TestReplayRecordedHistories replays histories recorded on a real
// Temporal server (e2e/temporal's harness: one leaver of the quickstart,
// whose flows testdata/replay holds as they were) against today's
// workflow code: the flow's workflow with its helper as a child
// workflow, that child workflow, and a flow's workflow recorded before
// helpers were child workflows (no jml.helper-children marker: its helper
// ran inside it). An error is a non-determinism: the code no longer makes
// the decisions the history recorded.
func TestReplayRecordedHistories(t *testing.T) {
	proj, ds := project.Load(project.Options{Dir: "testdata/replay", WorkDir: "testdata/replay"})
	if ds.HasErrors() {
		t.Fatal(ds)
	}
	for _, h := range []string{"leaver.history.json", "leaver-ticket.history.json", "leaver-inline.history.json"} {
		t.Run(h, func(t *testing.T) {
			if err := Replay(proj.Graph, "testdata/replay/"+h); err != nil {
				t.Errorf("replaying %s: %v", h, err)
			}
		})
	}
}
