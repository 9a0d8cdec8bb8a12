package world

import (
	"testing"
)

// event is one SeedEvent call.
type event struct {
	users  []User
	typ    string
	target string
}

func TestSeedEvent(t *testing.T) {
	type want struct {
		call   string
		in     map[string]any
		status int    // expected error status, 0 for success
		key    string // output key to compare, when status is 0
		value  any
	}
	oktaJane := map[string]any{"userId": jane.ID}
	slackJane := map[string]any{"email": jane.Login}
	described := map[string]any{
		"okta": map[string]any{
			"users":  []any{map[string]any{"id": jane.ID, "login": jane.Login, "status": "SUSPENDED", "groups": []any{"00g1vpn00001"}}},
			"groups": []any{map[string]any{"id": "00g1vpn00001", "profile": map[string]any{"name": "vpn-users"}}},
		},
		"slack": map[string]any{"users": []any{map[string]any{"id": "U01JANE", "email": jane.Login, "active": false}}},
	}
	tests := []struct {
		name   string
		world  map[string]any // applied before the events
		events []event
		wants  []want
	}{
		{
			name:   "a named user exists and is active everywhere",
			events: []event{{users: []User{jane}, typ: "user.session.start"}},
			wants: []want{
				{call: "okta.getUser", in: oktaJane, key: "status", value: "ACTIVE"},
				{call: "slack.lookupUserByEmail", in: slackJane, key: "id", value: "UAOVM4LQZUZ"},
				{call: "slack.lookupUserByEmail", in: slackJane, key: "active", value: true},
				{call: "google.getUser", in: map[string]any{"userKey": jane.Login}, key: "suspended", value: false},
				{call: "ms.getUser", in: map[string]any{"userId": jane.Login}, key: "id", value: jane.ID},
				{call: "ms.getUser", in: map[string]any{"userId": jane.ID}, key: "userPrincipalName", value: jane.Login},
				{call: "sf.getUser", in: map[string]any{"username": jane.Login}, key: "isActive", value: true},
				{call: "ad.getUser", in: map[string]any{"sAMAccountName": "jane.doe"}, key: "dn", value: "CN=Jane Doe,OU=Users,DC=acme,DC=com"},
				{call: "gh.getOrgMembership", in: map[string]any{"org": "acme", "username": "jane.doe"}, key: "role", value: "member"},
				{call: "gh.getOrgMembership", in: map[string]any{"org": "other-org", "username": "JANE.DOE"}, key: "state", value: "active"},
				{call: "okta.getUser", in: map[string]any{"userId": bob.ID}, status: 404},
			},
		},
		{
			name:   "deactivate leaves the Okta user DEPROVISIONED and the apps active",
			events: []event{{users: []User{jane}, typ: "user.lifecycle.deactivate", target: jane.ID}},
			wants: []want{
				{call: "okta.getUser", in: oktaJane, key: "status", value: "DEPROVISIONED"},
				{call: "okta.clearUserSessions", in: oktaJane},
				{call: "slack.lookupUserByEmail", in: slackJane, key: "active", value: true},
			},
		},
		{
			name: "lifecycle statuses follow the events",
			events: []event{
				{users: []User{jane}, typ: "user.lifecycle.suspend", target: jane.ID},
				{users: []User{jane}, typ: "user.lifecycle.unsuspend", target: jane.Login},
			},
			wants: []want{{call: "okta.getUser", in: oktaJane, key: "status", value: "ACTIVE"}},
		},
		{
			name:   "suspend",
			events: []event{{users: []User{jane}, typ: "user.lifecycle.suspend"}},
			wants:  []want{{call: "okta.getUser", in: oktaJane, key: "status", value: "SUSPENDED"}},
		},
		{
			name: "the target of a create is STAGED in Okta, absent where flows create accounts (Slack), also after later events, and provisioned by Okta elsewhere",
			events: []event{
				{users: []User{boss, jane}, typ: "user.lifecycle.create", target: jane.ID},
				{users: []User{jane}, typ: "user.lifecycle.activate", target: jane.ID},
			},
			wants: []want{
				{call: "okta.getUser", in: oktaJane, key: "status", value: "ACTIVE"},
				{call: "slack.lookupUserByEmail", in: slackJane, status: 404},
				{call: "google.getUser", in: map[string]any{"userKey": jane.Login}, key: "suspended", value: false},
				{call: "ad.getUser", in: map[string]any{"sAMAccountName": "jane.doe"}, key: "disabled", value: false},
				{call: "gh.getOrgMembership", in: map[string]any{"org": "acme", "username": "jane.doe"}, key: "state", value: "active"},
				{call: "slack.lookupUserByEmail", in: map[string]any{"email": boss.Login}, key: "active", value: true},
			},
		},
		{
			name: "a joiner's user is seeded everywhere once an event ends its access, for the leaver",
			events: []event{
				{users: []User{jane}, typ: "user.lifecycle.create", target: jane.ID},
				{users: []User{jane}, typ: "user.lifecycle.activate", target: jane.ID},
				{users: []User{jane}, typ: "user.lifecycle.deactivate", target: jane.ID},
			},
			wants: []want{
				{call: "okta.getUser", in: oktaJane, key: "status", value: "DEPROVISIONED"},
				{call: "slack.lookupUserByEmail", in: slackJane, key: "active", value: true},
				{call: "google.getUser", in: map[string]any{"userKey": jane.Login}, key: "suspended", value: false},
			},
		},
		{
			name:   "create alone",
			events: []event{{users: []User{jane}, typ: "user.lifecycle.create", target: jane.ID}},
			wants: []want{
				{call: "okta.getUser", in: oktaJane, key: "status", value: "STAGED"},
				{call: "slack.lookupUserByEmail", in: slackJane, status: 404},
				{call: "ms.getUser", in: map[string]any{"userId": jane.ID}, key: "accountEnabled", value: true},
			},
		},
		{
			name:   "a described instance is not seeded, but its Okta lifecycle follows the event",
			world:  described,
			events: []event{{users: []User{jane, bob}, typ: "user.lifecycle.deactivate", target: jane.ID}},
			wants: []want{
				{call: "okta.getUser", in: oktaJane, key: "status", value: "DEPROVISIONED"},
				{call: "okta.getUser", in: map[string]any{"userId": bob.ID}, status: 404},
				{call: "slack.lookupUserByEmail", in: slackJane, key: "id", value: "U01JANE"},
				{call: "slack.lookupUserByEmail", in: slackJane, key: "active", value: false},
				{call: "slack.lookupUserByEmail", in: map[string]any{"email": bob.Login}, status: 404},
				{call: "google.getUser", in: map[string]any{"userKey": bob.Login}, key: "primaryEmail", value: bob.Login},
			},
		},
		{
			name:   "a described user without a lifecycle event keeps its status",
			world:  described,
			events: []event{{users: []User{jane}, typ: "user.session.start"}},
			wants:  []want{{call: "okta.getUser", in: oktaJane, key: "status", value: "SUSPENDED"}},
		},
		{
			name:  "closed world: an unknown group of a described instance is a 404",
			world: described,
			wants: []want{
				{call: "okta.addUserToGroup", in: map[string]any{"userId": jane.ID, "groupId": "00g1nope0001"}, status: 404},
				{call: "okta.removeUserFromGroup", in: map[string]any{"userId": jane.ID, "groupId": "00g1vpn00001"}},
			},
		},
		{
			name:   "open world: groups of a seeded instance come into being on first use",
			events: []event{{users: []User{jane}, typ: "user.session.start"}},
			wants: []want{
				{call: "okta.addUserToGroup", in: map[string]any{"userId": jane.ID, "groupId": "00g1new00001"}},
				{call: "google.addToGroup", in: map[string]any{"userKey": jane.Login, "groupKey": "all@acme.com"}},
				{call: "ms.removeFromGroup", in: map[string]any{"userId": jane.ID, "groupId": "grp-1"}},
				{call: "ad.addToGroup", in: map[string]any{"sAMAccountName": "jane.doe", "groupDN": "CN=X,DC=acme,DC=com"}},
			},
		},
		{
			name: "seeding never overwrites an existing user",
			events: []event{
				{users: []User{jane}, typ: "user.session.start"},
				{users: []User{{ID: jane.ID, Login: jane.Login, DisplayName: "Janet Other", Profile: map[string]any{"department": "Finance"}}}, typ: "user.account.update_profile"},
			},
			wants: []want{
				{call: "slack.lookupUserByEmail", in: slackJane, key: "realName", value: "Jane Doe"},
				{call: "slack.lookupUserByEmail", in: slackJane, key: "id", value: "UAOVM4LQZUZ"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := New(allInstances(), nil)
			if tt.world != nil {
				spec, ds := Decode(tt.world, diagAt)
				if ds.HasErrors() {
					t.Fatal(ds)
				}
				if err := w.Apply(spec); err != nil {
					t.Fatal(err)
				}
			}
			for _, e := range tt.events {
				w.SeedEvent(e.users, e.typ, e.target)
			}
			for i, wt := range tt.wants {
				out, err := do(w, wt.call, wt.in)
				if wt.status != 0 {
					if err == nil || err.Status != wt.status {
						t.Errorf("%d %s: got %v %v, want status %d", i, wt.call, out, err, wt.status)
					}
					continue
				}
				if err != nil {
					t.Errorf("%d %s: %v", i, wt.call, err)
					continue
				}
				if wt.key != "" && out[wt.key] != wt.value {
					t.Errorf("%d %s: %s = %v, want %v", i, wt.call, wt.key, out[wt.key], wt.value)
				}
			}
		})
	}
}

func TestSeedingKeepsWorldChanges(t *testing.T) {
	w := New(allInstances(), nil)
	w.SeedEvent([]User{jane}, "user.session.start", "")
	mustDo(t, w, "okta.updateUserProfile", map[string]any{"userId": jane.ID, "profile": map[string]any{"department": "Engineering"}})
	mustDo(t, w, "slack.deactivateUser", map[string]any{"email": jane.Login})
	w.SeedEvent([]User{jane}, "user.session.start", "")
	if got := mustDo(t, w, "okta.getUser", map[string]any{"userId": jane.ID})["profile"].(map[string]any)["department"]; got != "Engineering" {
		t.Errorf("department %v", got)
	}
	if got := mustDo(t, w, "slack.lookupUserByEmail", map[string]any{"email": jane.Login})["active"]; got != false {
		t.Errorf("active %v", got)
	}
}
