package world

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"testing"
)

// TestSeedMemoChangesNothing replays random events into two worlds, one
// that remembers the users it has seeded everywhere and one that seeds
// every time, with calls in between that change what seeding looks at
// (Okta logins, Slack accounts created and deactivated, statuses): their
// states must stay equal.
func TestSeedMemoChangesNothing(t *testing.T) {
	types := []string{"user.session.start", "user.session.start", "user.authentication.sso", "user.lifecycle.create",
		"user.lifecycle.deactivate", "user.lifecycle.suspend", "user.lifecycle.unsuspend", "user.lifecycle.activate", "group.user_membership.add"}
	for seed := uint64(0); seed < 20; seed++ {
		r := rand.New(rand.NewPCG(seed, 7))
		memo, plain := New(allInstances(), nil), New(allInstances(), nil)
		plain.noSeedMemo = true
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
				}[r.IntN(6)]
				a, errA := do(memo, call[0].(string), call[1].(map[string]any))
				b, errB := do(plain, call[0].(string), call[1].(map[string]any))
				if fmt.Sprint(a, errA) != fmt.Sprint(b, errB) {
					t.Fatalf("seed %d step %d: %s answered %v %v and %v %v", seed, step, call[0], a, errA, b, errB)
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
			memo.SeedEvent(users, typ, target)
			plain.SeedEvent(users, typ, target)
			if step%10 != 0 && step != 399 {
				continue
			}
			a, _ := json.Marshal(memo.State())
			b, _ := json.Marshal(plain.State())
			if string(a) != string(b) {
				t.Fatalf("seed %d step %d: after %s of %v the worlds differ:\n%s\n%s", seed, step, typ, users, a, b)
			}
		}
		if len(memo.seeded) == 0 {
			t.Errorf("seed %d: nobody remembered: the test proves nothing", seed)
		}
	}
}
