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
// The lazy world with memory also leaves out a joiner's repeated roster
// entries (World.repeats); the one without keeps them all.
func TestSeedMemoChangesNothing(t *testing.T) {
	types := []string{"user.session.start", "user.session.start", "user.authentication.sso", "user.lifecycle.create",
		"user.lifecycle.deactivate", "user.lifecycle.suspend", "user.lifecycle.unsuspend", "user.lifecycle.activate", "group.user_membership.add"}
	repeated := 0
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
		if plain.repeated != 0 || eager.repeated != 0 {
			t.Errorf("seed %d: repeats left out without the memory (%d) or eagerly (%d)", seed, plain.repeated, eager.repeated)
		}
		repeated += memo.repeated
	}
	if repeated == 0 {
		t.Error("no joiner's repeated entry left out: the test proves nothing of it")
	}
}

// TestRepeatedJoinerEntry: a joiner's entry repeated (the same user created
// again) is left out only where its seed could change nothing. Each case
// seeds the events, with calls in between, into an eager and a lazy world
// and compares every answer, the entries left out, and the states.
func TestRepeatedJoinerEntry(t *testing.T) {
	a := User{ID: "00uA", Login: "a@acme.com", DisplayName: "A"}
	b := User{ID: "00uB", Login: "A@ACME.com", DisplayName: "B"} // a's email, another case
	c := User{ID: "00uC", Login: "c@acme.com", DisplayName: "C"}
	seed := func(u User, typ string) []any { return []any{u, typ} }
	call := func(name string, in map[string]any) []any { return []any{name, in} }
	for _, tc := range []struct {
		name     string
		steps    [][]any
		repeated int
	}{
		{"created twice, never pulled: left out", [][]any{
			seed(c, "user.lifecycle.create"), seed(c, "user.lifecycle.create"),
			call("okta.getUser", map[string]any{"userId": c.ID}),
		}, 1},
		{"created twice, pulled in between: left out", [][]any{
			seed(c, "user.lifecycle.create"),
			call("okta.getUser", map[string]any{"userId": c.ID}),
			call("google.getUser", map[string]any{"userKey": c.Login}),
			seed(c, "user.lifecycle.create"), seed(c, "user.lifecycle.create"),
			call("slack.lookupUserByEmail", map[string]any{"email": c.Login}),
		}, 2},
		{"created, then named by another event: kept", [][]any{
			seed(c, "user.lifecycle.create"), seed(c, "user.session.start"),
			call("okta.getUser", map[string]any{"userId": c.ID}),
		}, 0},
		{"Okta found them by another's email, which a call took away: kept", [][]any{
			seed(a, "user.session.start"),
			seed(b, "user.lifecycle.create"),
			call("okta.getUser", map[string]any{"userId": b.Login}),
			call("okta.updateUserProfile", map[string]any{"userId": a.ID, "profile": map[string]any{"login": "renamed@acme.com", "email": "renamed@acme.com"}}),
			seed(b, "user.lifecycle.create"),
			call("okta.getUser", map[string]any{"userId": b.ID}),
		}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			eager, lazy := New(allInstances(), nil), New(allInstances(), nil)
			eager.eager = true
			for i, s := range tc.steps {
				if u, ok := s[0].(User); ok {
					eager.SeedEvent([]User{u}, s[1].(string), u.ID)
					lazy.SeedEvent([]User{u}, s[1].(string), u.ID)
					continue
				}
				x, errX := do(eager, s[0].(string), s[1].(map[string]any))
				y, errY := do(lazy, s[0].(string), s[1].(map[string]any))
				if fmt.Sprint(x, errX) != fmt.Sprint(y, errY) {
					t.Fatalf("step %d: %s answered %v %v eager, %v %v lazy", i, s[0], x, errX, y, errY)
				}
			}
			if lazy.repeated != tc.repeated {
				t.Errorf("%d entries left out, want %d", lazy.repeated, tc.repeated)
			}
			x, _ := json.Marshal(eager.State())
			y, _ := json.Marshal(lazy.State())
			if string(x) != string(y) {
				t.Errorf("the worlds differ, eager and lazy:\n%s\n%s", x, y)
			}
		})
	}
}
