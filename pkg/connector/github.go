package connector

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/jml-dev/jml/pkg/effect"
)

// gitHubClient performs github actions with the GitHub REST API.
type gitHubClient struct{ in *Instance }

func newGitHub(in *Instance) Client { return &gitHubClient{in: in} }

// gitHubHeaders pin the media type and the REST API version.
var gitHubHeaders = map[string]string{"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"}

// Do performs one action.
func (c *gitHubClient) Do(ctx context.Context, req effect.Request) (map[string]any, error) {
	switch req.Action {
	case "getOrgMembership", "removeOrgMember":
	default:
		return nil, Unsupported(c.in.Type, req.Action)
	}
	v, err := Require(req.Input, "org", "username")
	if err != nil {
		return nil, err
	}
	org, user := Seg(strings.TrimSpace(v[0])), Seg(strings.TrimSpace(v[1]))
	if req.Action == "removeOrgMember" {
		// 204 whether or not the user was a member. A 404 is not "already
		// gone": GitHub answers it for an organization the token cannot
		// see, so it stays an error.
		if _, err := c.call(ctx, "DELETE", "/orgs/"+org+"/members/"+user); err != nil {
			return nil, err
		}
		return map[string]any{}, nil
	}
	resp, err := c.call(ctx, "GET", "/orgs/"+org+"/memberships/"+user)
	if err != nil {
		return nil, err
	}
	o, err := resp.Object()
	if err != nil {
		return nil, err
	}
	out := map[string]any{"state": String(o, "state"), "role": String(o, "role")}
	if m, ok := o["organization"].(map[string]any); ok {
		out["organization"] = String(m, "login")
	}
	if m, ok := o["user"].(map[string]any); ok {
		out["user"] = String(m, "login")
	}
	return out, nil
}

// call makes one call; GitHub's primary rate limit (a 403 or 429 with
// x-ratelimit-remaining: 0) is a retryable rate_limited error that waits
// until x-ratelimit-reset.
func (c *gitHubClient) call(ctx context.Context, method, path string) (*Response, error) {
	resp, err := c.in.Call(ctx, method, path, nil, nil, gitHubHeaders)
	var e *effect.Error
	if err != nil && resp != nil && errors.As(err, &e) && (resp.Status == http.StatusForbidden || resp.Status == http.StatusTooManyRequests) &&
		resp.Header.Get("X-Ratelimit-Remaining") == "0" {
		e.Code, e.Retryable = "rate_limited", true
		if reset, perr := strconv.ParseInt(resp.Header.Get("X-Ratelimit-Reset"), 10, 64); perr == nil && e.RetryAfter == 0 {
			e.RetryAfter = max(time.Unix(reset, 0).Sub(c.in.Limiter.now()), 0)
		}
	}
	return resp, err
}
