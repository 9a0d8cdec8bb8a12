package connector

import (
	"context"

	"github.com/jml-dev/jml/pkg/effect"
)

// microsoftClient is a placeholder until the microsoft connector is written.
type microsoftClient struct{ in *Instance }

func newMicrosoft(in *Instance) Client { return &microsoftClient{in: in} }

// Do performs one action.
func (c *microsoftClient) Do(ctx context.Context, req effect.Request) (map[string]any, error) {
	return nil, Unsupported(c.in.Type, req.Action)
}
