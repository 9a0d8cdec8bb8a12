package connector

import (
	"context"

	"github.com/jml-dev/jml/pkg/effect"
)

// jiraClient is a placeholder until the jira connector is written.
type jiraClient struct{ in *Instance }

func newJira(in *Instance) Client { return &jiraClient{in: in} }

// Do performs one action.
func (c *jiraClient) Do(ctx context.Context, req effect.Request) (map[string]any, error) {
	return nil, Unsupported(c.in.Type, req.Action)
}
