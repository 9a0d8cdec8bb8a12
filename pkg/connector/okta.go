package connector

import (
	"context"

	"github.com/jml-dev/jml/pkg/effect"
)

// oktaClient is a placeholder until the okta connector is written.
type oktaClient struct{ in *Instance }

func newOkta(in *Instance) Client { return &oktaClient{in: in} }

// Do performs one action.
func (c *oktaClient) Do(ctx context.Context, req effect.Request) (map[string]any, error) {
	return nil, Unsupported(c.in.Type, req.Action)
}
