package world

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"testing"
)

// TestSeedMemoChangesNothing replays random events into four worlds —
// remembering the users it has seeded everywhere or seeding every time,
// each seeding every instance at once (eager) or through the roster
// (lazy, roster.go) — with calls in between that change what seeding looks
// at (Okta logins, Slack accounts created and deactivated, statuses): the
// calls' answers and the worlds' states must stay equal. States are
// compared only now and then (State pulls every user in), or only at the
// end, so that the lazy worlds keep users waiting for long stretches.
func TestSeedMemoChangesNothing(t *testing.T) {
	types := []string{"user.session.start", "user.session.start", "user.authentication.sso", "user.lifecycle.create",
		"user.lifecycle.deactivate", "user.lifecycle.suspend", "user.lifecycle.unsuspend", "user.lifecycle.activate", "group.user_membership.add"}
	for seed := uint64(0); seed < 60; seed++ {
		r := rand.New(rand.NewPCG(seed, 7))
		memo, plain := New(allInstances(), nil), New(allInstances(), nil)
		plain.noSeedMemo = true
		eager, eagerPlain := New(allInstances(), nil), New(allInstances(), nil)
		eager.eager, eagerPlain.eager, eagerPlain.noSeedMemo = true, true, true
		worlds := []*World{eager, eagerPlain, memo, plain}
		names := []string{"eager", "eager without memory", "lazy", "lazy without memory"}
		every := 10
		if seed%2 == 1 {
			every = 1000 // only at the end
		}
		pool := make([]User, 40)
		for i := range pool {
			login := fmt.Sprintf("user%d@acme.com", i)
			switch i % 8 {
			case 1:
				login = fmt.Sprintf("user%d", i) // not an email
			case 2:
				login = fmt.Sprintf("User%d@ACME.com", i-1) // another user's email, another case
			}
			id := fmt.Sprintf("00u%05d", i)
			if i%5 == 4 {
				id = "" // no id: never remembered
			}
			pool[i] = User{ID: id, Login: login, DisplayName: fmt.Sprintf("User %d", i)}
		}
		for step := 0; step < 400; step++ {
			if r.IntN(6) == 0 {
				u := pool[r.IntN(len(pool))]
				call := [][2]any{
					{"okta.updateUserProfile", map[string]any{"userId": u.ID, "profile": map[string]any{"login": fmt.Sprintf("renamed%d@acme.com", step)}}},
					{"okta.deactivateUser", map[string]any{"userId": u.ID}},
					{"slack.createUser", map[string]any{"email": u.Login, "userName": fmt.Sprintf("n%d", step), "displayName": "N"}},
					{"slack.deactivateUser", map[string]any{"email": u.Login}},
					{"gh.removeOrgMember", map[string]any{"org": "acme", "username": u.Login}},
					{"ad.moveToOU", map[string]any{"sAMAccountName": u.Login, "ou": "OU=Gone,DC=acme,DC=com"}},
					// Lookups, by short name too, and a listing.
					{"okta.getUser", map[string]any{"userId": localPart(u.Login)}},
					{"okta.getManager", map[string]any{"userId": u.Login}},
					{"okta.updateUserProfile", map[string]any{"userId": u.Login, "profile": map[string]any{"managerId": pool[r.IntN(len(pool))].Login}}},
					{"okta.listUsers", map[string]any{"search": `profile.login sw "user"`}},
					{"slack.lookupUserByEmail", map[string]any{"email": u.Login}},
					{"google.getUser", map[string]any{"userKey": u.Login}},
					{"ms.getUser", map[string]any{"userId": u.ID}},
					{"sf.getUser", map[string]any{"username": u.Login}},
					{"ad.getUser", map[string]any{"sAMAccountName": localPart(u.Login)}},
					{"gh.getOrgMembership", map[string]any{"org": "acme", "username": localPart(u.Login)}},
				}[r.IntN(16)]
				a, errA := do(eager, call[0].(string), call[1].(map[string]any))

				for i, w := range worlds[1:] {
					b, errB := do(w, call[0].(string), call[1].(map[string]any))
					if fmt.Sprint(a, errA) != fmt.Sprint(b, errB) {
						t.Fatalf("seed %d step %d: %s answered %v %v eager and %v %v %s", seed, step, call[0], a, errA, b, errB, names[i+1])
					}
				}
				continue
			}
			var users []User
			for n := r.IntN(3) + 1; n > 0; n-- {
				users = append(users, pool[r.IntN(len(pool))])
			}
			typ := types[r.IntN(len(types))]
			target := ""
			if r.IntN(2) == 0 {
				target = users[0].ID
			}
			for _, w := range worlds {
				w.SeedEvent(users, typ, target)
			}

			if step%every != 0 && step != 399 {
				continue
			}
			a, _ := json.Marshal(eager.State())
			for i, w := range worlds[1:] {
				if b, _ := json.Marshal(w.State()); string(a) != string(b) {
					t.Fatalf("seed %d step %d: after %s of %v the worlds differ, eager and %s:\n%s\n%s", seed, step, typ, users, names[i+1], a, b)
				}
			}
		}
		if len(memo.roster.entries) == 0 || len(eager.roster.entries) != 0 {
			t.Errorf("seed %d: %d users in the lazy roster, %d in the eager one", seed, len(memo.roster.entries), len(eager.roster.entries))
		}
		if len(memo.seeded) == 0 {
			t.Errorf("seed %d: nobody remembered: the test proves nothing", seed)
		}
	}
}
