package connector

import (
	"context"

	"github.com/jml-dev/jml/pkg/effect"
)

// googleClient is a placeholder until the google connector is written.
type googleClient struct{ in *Instance }

func newGoogle(in *Instance) Client { return &googleClient{in: in} }

// Do performs one action.
func (c *googleClient) Do(ctx context.Context, req effect.Request) (map[string]any, error) {
	return nil, Unsupported(c.in.Type, req.Action)
}
