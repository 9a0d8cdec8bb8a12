package temporal

import (
	"fmt"
	"os"

	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"

	"github.com/jml-dev/jml/pkg/compile"
)

// readHistory reads a workflow history written as JSON (client.
// GetWorkflowHistory's events with protojson, or `temporal workflow show
// --output json`) and checks that it is a history of g's flows: the digest
// its workflow was started with (FlowInput.Digest, in the first event) must
// be g's. A workflow refuses another digest as its first decision, and the
// SDK would report that only as a history it cannot match; this says
// which flows recorded it instead.
func readHistory(g *compile.Graph, file string) (*historypb.History, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	h, err := client.HistoryFromJSON(f, client.HistoryJSONOptions{})
	if err != nil {
		return nil, fmt.Errorf("%s: not a workflow history: %w", file, err)
	}
	events := h.GetEvents()
	if len(events) == 0 {
		return nil, fmt.Errorf("%s: a workflow history with no event", file)
	}
	attrs := events[0].GetWorkflowExecutionStartedEventAttributes()
	if attrs == nil {
		return nil, fmt.Errorf("%s: not a workflow's history from its start (its first event is %s)", file, events[0].GetEventType())
	}
	// Every jml workflow's input carries the digest of the flows it was
	// started for (FlowInput's, and a helper workflow's).
	var in struct{ Digest string }
	if err := converter.GetDefaultDataConverter().FromPayloads(attrs.GetInput(), &in); err != nil {
		return nil, fmt.Errorf("%s: the input of the %s workflow: %w", file, attrs.GetWorkflowType().GetName(), err)
	}
	if in.Digest == "" {
		return nil, fmt.Errorf("%s: the input of the %s workflow names no digest of flows: not a jml workflow", file, attrs.GetWorkflowType().GetName())
	}
	if want := Digest(g); in.Digest != want {
		return nil, fmt.Errorf("%s: %s: the workflow was started for flows %s, these are flows %s: a history replays only against the flows that recorded it (record it again after changing them)", file, ErrDigest, in.Digest, want)
	}
	return h, nil
}
