package connector

import (
	"context"

	"github.com/jml-dev/jml/pkg/effect"
)

// githubClient is a placeholder until the github connector is written.
type githubClient struct{ in *Instance }

func newGitHub(in *Instance) Client { return &githubClient{in: in} }

// Do performs one action.
func (c *githubClient) Do(ctx context.Context, req effect.Request) (map[string]any, error) {
	return nil, Unsupported(c.in.Type, req.Action)
}
