package connector

import (
	"context"

	"github.com/jml-dev/jml/pkg/effect"
)

// httpClient is a placeholder until the http connector is written.
type httpClient struct{ in *Instance }

func newHTTP(in *Instance) Client { return &httpClient{in: in} }

// Do performs one action.
func (c *httpClient) Do(ctx context.Context, req effect.Request) (map[string]any, error) {
	return nil, Unsupported(c.in.Type, req.Action)
}
