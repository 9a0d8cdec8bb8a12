package connector

import (
	"context"

	"github.com/jml-dev/jml/pkg/effect"
)

// slackClient is a placeholder until the slack connector is written.
type slackClient struct{ in *Instance }

func newSlack(in *Instance) Client { return &slackClient{in: in} }

// Do performs one action.
func (c *slackClient) Do(ctx context.Context, req effect.Request) (map[string]any, error) {
	return nil, Unsupported(c.in.Type, req.Action)
}
