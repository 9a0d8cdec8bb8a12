package connector

import (
	"context"

	"github.com/jml-dev/jml/pkg/effect"
)

// salesforceClient is a placeholder until the salesforce connector is written.
type salesforceClient struct{ in *Instance }

func newSalesforce(in *Instance) Client { return &salesforceClient{in: in} }

// Do performs one action.
func (c *salesforceClient) Do(ctx context.Context, req effect.Request) (map[string]any, error) {
	return nil, Unsupported(c.in.Type, req.Action)
}
