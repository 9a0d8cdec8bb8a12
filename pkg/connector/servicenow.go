package connector

import (
	"context"

	"github.com/jml-dev/jml/pkg/effect"
)

// servicenowClient is a placeholder until the servicenow connector is written.
type servicenowClient struct{ in *Instance }

func newServiceNow(in *Instance) Client { return &servicenowClient{in: in} }

// Do performs one action.
func (c *servicenowClient) Do(ctx context.Context, req effect.Request) (map[string]any, error) {
	return nil, Unsupported(c.in.Type, req.Action)
}
