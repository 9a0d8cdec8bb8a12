package connector_test

import (
	"strconv"
	"testing"
	"time"

	"github.com/jml-dev/jml/pkg/effect"
)

func TestGitHubClient(t *testing.T) {
	gh := map[string]string{"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"}
	membership := map[string]any{"url": "https://api.github.com/orgs/acme/memberships/jane", "state": "active", "role": "admin",
		"organization_url": "https://api.github.com/orgs/acme", "organization": map[string]any{"login": "acme", "id": 1}, "user": map[string]any{"login": "Jane", "id": 2}}
	reset := strconv.FormatInt(time.Now().Add(time.Hour).Unix(), 10)
	runRV(t, "github", []rvCase{
		{name: "getOrgMembership",
			req:   effect.Request{Action: "getOrgMembership", Input: map[string]any{"org": "acme", "username": "jane"}},
			calls: []rvCall{{method: "GET", path: "/orgs/acme/memberships/jane", header: gh, resp: membership}},
			want:  map[string]any{"state": "active", "role": "admin", "organization": "acme", "user": "Jane"}},
		{name: "removeOrgMember",
			req:   effect.Request{Action: "removeOrgMember", Input: map[string]any{"org": "acme", "username": "jane"}},
			calls: []rvCall{{method: "DELETE", path: "/orgs/acme/members/jane", header: gh, status: 204}},
			want:  map[string]any{}},
		{name: "escaping",
			req:   effect.Request{Action: "removeOrgMember", Input: map[string]any{"org": "a/b", "username": "x?y z"}},
			calls: []rvCall{{method: "DELETE", path: "/orgs/a%2Fb/members/x%3Fy%20z", status: 204}},
			want:  map[string]any{}},
		{name: "404",
			req:   effect.Request{Action: "getOrgMembership", Input: map[string]any{"org": "acme", "username": "nobody"}},
			calls: []rvCall{{method: "GET", path: "/orgs/acme/memberships/nobody", status: 404, resp: map[string]any{"message": "Not Found", "documentation_url": "https://docs.github.com"}}},
			err:   &effect.Error{Status: 404, Code: "not_found"}, msg: "Not Found"},
		{name: "404 on remove stays an error",
			req:   effect.Request{Action: "removeOrgMember", Input: map[string]any{"org": "hidden", "username": "jane"}},
			calls: []rvCall{{method: "DELETE", path: "/orgs/hidden/members/jane", status: 404, resp: map[string]any{"message": "Not Found"}}},
			err:   &effect.Error{Status: 404, Code: "not_found"}},
		{name: "secondary rate limit: 429 with Retry-After",
			req:   effect.Request{Action: "getOrgMembership", Input: map[string]any{"org": "acme", "username": "jane"}},
			calls: []rvCall{{method: "GET", path: "/orgs/acme/memberships/jane", status: 429, respHeader: map[string]string{"Retry-After": "60"}, resp: map[string]any{"message": "You have exceeded a secondary rate limit"}}},
			err:   &effect.Error{Status: 429, Code: "rate_limited", Retryable: true, RetryAfter: time.Minute}, msg: "secondary rate limit"},
		{name: "500",
			req:   effect.Request{Action: "removeOrgMember", Input: map[string]any{"org": "acme", "username": "jane"}},
			calls: []rvCall{{method: "DELETE", path: "/orgs/acme/members/jane", status: 502, resp: "Bad gateway"}},
			err:   &effect.Error{Status: 502, Code: "server_error", Retryable: true}},
		{name: "missing org",
			req: effect.Request{Action: "getOrgMembership", Input: map[string]any{"username": "jane"}},
			err: &effect.Error{Status: 400, Code: "invalid_input"}, msg: "org"},
	})
	// The primary rate limit is a 403 with x-ratelimit-remaining: 0.
	f := newRVFake(t, rvCall{method: "GET", path: "/orgs/acme/memberships/jane", status: 403,
		respHeader: map[string]string{"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": reset}, resp: map[string]any{"message": "API rate limit exceeded"}})
	_, err := f.client(t, "github", nil).Do(t.Context(), effect.Request{Action: "getOrgMembership", Input: map[string]any{"org": "acme", "username": "jane"}})
	if e := effect.AsError(err); e == nil || e.Code != "rate_limited" || !e.Retryable || e.Status != 403 || e.RetryAfter < 59*time.Minute {
		t.Fatalf("primary rate limit: %#v", e)
	}
}

func TestGitHubClientTimeout(t *testing.T) {
	rvTimeout(t, "github", effect.Request{Action: "getOrgMembership", Input: map[string]any{"org": "acme", "username": "jane"}})
}
