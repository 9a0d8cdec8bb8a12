package sandbox_test

import (
	"testing"

	"github.com/jml-dev/jml/pkg/effect"
)

func TestGitHubRoundTrip(t *testing.T) {
	for wname, mk := range worlds {
		t.Run(wname, func(t *testing.T) {
			p := newPair(t, mk)
			tests := []effect.Request{
				{Action: "getOrgMembership", Input: map[string]any{"org": "ACME", "username": "bob"}},
				{Action: "getOrgMembership", Input: map[string]any{"org": "acme", "username": "no body"}},
				{Action: "removeOrgMember", Input: map[string]any{"org": "acme", "username": "bob"}},
				{Action: "removeOrgMember", Input: map[string]any{"org": "acme", "username": "bob"}},
				{Action: "getOrgMembership", Input: map[string]any{"org": "acme", "username": "bob"}},
				{Action: "removeOrgMember", Input: map[string]any{"org": "other/org", "username": "jane.doe"}},
			}
			for _, req := range tests {
				req.Instance = "gh"
				p.both(t, req)
			}
			p.sameState(t)
		})
	}
}

// TestGitHubStateLogin: the world state shows members as {org, login, …}.
func TestGitHubStateLogin(t *testing.T) {
	p := newPair(t, worlds["described"])
	members := p.remote.State()["gh"].(map[string]any)["members"].([]any)
	if len(members) == 0 || members[0].(map[string]any)["login"] == nil {
		t.Fatalf("members: %v", members)
	}
}
