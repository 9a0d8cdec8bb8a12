package sandbox_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"regexp"
	"testing"

	"github.com/jml-dev/jml/pkg/effect"
	"github.com/jml-dev/jml/pkg/sandbox"
	"github.com/jml-dev/jml/pkg/source"
	"github.com/jml-dev/jml/pkg/world"
)

// osStep is one action of an okta or slack edge case and the status it
// must fail with (0: it must succeed), in-process and via the sandbox
// alike.
type osStep struct {
	action string
	input  map[string]any
	status int
}

// osCase is a sequence of steps on a fresh pair of worlds, with faults
// given as Go values or as world-file YAML.
type osCase struct {
	name   string
	world  string
	faults []world.Fault
	yaml   string
	steps  []osStep
}

// runOSCases runs each case on a fresh pair and compares the worlds'
// states afterwards.
func runOSCases(t *testing.T, instance string, cases []osCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := newPair(t, worlds[tc.world])
			for _, w := range []*world.World{p.local, p.remote} {
				w.AddFaults(tc.faults...)
				if tc.yaml != "" {
					f, ds := source.Parse("faults.yaml", []byte(tc.yaml))
					if ds.HasErrors() {
						t.Fatal(ds)
					}
					spec, ds := world.Load(f)
					if ds.HasErrors() {
						t.Fatal(ds)
					}
					if err := w.Apply(spec); err != nil {
						t.Fatal(err)
					}
				}
			}
			for i, s := range tc.steps {
				_, err := p.both(t, effect.Request{Instance: instance, Action: s.action, Input: s.input})
				switch {
				case s.status == 0 && err != nil:
					t.Fatalf("step %d %s: %v", i, s.action, err)
				case s.status != 0 && (err == nil || err.Status != s.status):
					t.Fatalf("step %d %s: got %v, want status %d", i, s.action, err, s.status)
				}
			}
			p.sameState(t)
		})
	}
}

// TestOktaRoundTripEdges holds the okta connector and the sandbox to the
// in-process world beyond the happy path.
func TestOktaRoundTripEdges(t *testing.T) {
	jane := map[string]any{"userId": "00u1jane0001"}
	runOSCases(t, "okta", []osCase{
		{name: "unknown user", world: "described", steps: []osStep{
			// acme.yaml fails every okta call naming nobody@acme.com.
			{"getUser", map[string]any{"userId": "nobody@acme.com"}, 500},
			{"getUser", map[string]any{"userId": "ghost@acme.com"}, 404},
			{"getManager", map[string]any{"userId": "ghost@acme.com"}, 404},
			{"listUserGroups", map[string]any{"userId": "00ughost"}, 404},
			{"addUserToGroup", map[string]any{"userId": "ghost@acme.com", "groupId": "00g1vpn00001"}, 404},
			{"removeUserFromGroup", map[string]any{"userId": "00ughost", "groupId": "00g1vpn00001"}, 404},
			{"clearUserSessions", map[string]any{"userId": "ghost@acme.com"}, 404},
			{"deactivateUser", map[string]any{"userId": "ghost@acme.com"}, 404},
			{"suspendUser", map[string]any{"userId": "ghost"}, 404},
			{"updateUserProfile", map[string]any{"userId": "ghost@acme.com", "profile": map[string]any{"title": "x"}}, 404},
		}},
		{name: "manager missing", world: "described", steps: []osStep{
			{"getManager", map[string]any{"userId": "bob@acme.com"}, 404},
			{"getManager", map[string]any{"userId": "jane.doe@acme.com"}, 0},
			{"getManager", map[string]any{"userId": "jane.doe"}, 0},
		}},
		{name: "logins and short names", world: "seeded", steps: []osStep{
			{"addUserToGroup", map[string]any{"userId": "jane.doe@acme.com", "groupId": "00g1new"}, 0},
			{"clearUserSessions", map[string]any{"userId": "bob", "oauthTokens": true}, 0},
			{"removeUserFromGroup", map[string]any{"userId": "JANE.DOE@acme.com", "groupId": "00g1new"}, 0},
			{"listUserGroups", map[string]any{"userId": "jane.doe"}, 0},
		}},
		{name: "lifecycle refusals", world: "seeded", steps: []osStep{
			{"unsuspendUser", jane, 400},
			{"suspendUser", jane, 0},
			{"suspendUser", jane, 400},
			{"unsuspendUser", jane, 0},
			{"deactivateUser", map[string]any{"userId": "00u1jane0001", "sendEmail": true}, 0},
			{"deactivateUser", jane, 0},
			{"clearUserSessions", jane, 0},
		}},
		{name: "unknown group in a closed world", world: "described", steps: []osStep{
			{"addUserToGroup", map[string]any{"userId": "00u1jane0001", "groupId": "00gnope"}, 404},
		}},
		{name: "profile updates", world: "described", steps: []osStep{
			{"updateUserProfile", map[string]any{"userId": "00u1jane0001", "profile": map[string]any{"login": "bob@acme.com"}}, 400},
			{"updateUserProfile", map[string]any{"userId": "00u1jane0001", "profile": map[string]any{"login": "j.doe@acme.com", "costCenter": 42}}, 0},
			{"getUser", map[string]any{"userId": "j.doe@acme.com"}, 0},
			{"updateUserProfile", map[string]any{"userId": "00u1jane0001"}, 400},
		}},
		{name: "list users", world: "described", steps: []osStep{
			{"listUsers", map[string]any{}, 0},
			{"listUsers", map[string]any{"limit": 1}, 0},
			{"listUsers", map[string]any{"limit": 2.0}, 0},
			{"listUsers", map[string]any{"search": `profile.login sw "b"`}, 0},
			{"listUsers", map[string]any{"filter": `status eq "DEPROVISIONED"`}, 0},
			{"listUsers", map[string]any{"search": `profile.login zz "b"`}, 400},
		}},
		{name: "injected faults", world: "seeded", faults: []world.Fault{
			{Action: "okta.suspendUser", Status: 429, Times: 1, RetryAfter: 2e9},
			{Action: "okta.listUsers", Status: 503, Times: 1},
			{Action: "okta.*", User: "bob@acme.com", Status: 500, Times: 1},
		}, steps: []osStep{
			{"suspendUser", jane, 429},
			{"suspendUser", jane, 0},
			{"listUsers", map[string]any{}, 503},
			{"listUsers", map[string]any{}, 0},
			{"getUser", map[string]any{"userId": "bob@acme.com"}, 500},
			{"getUser", map[string]any{"userId": "bob@acme.com"}, 0},
		}},
		{name: "faults from a world file", world: "described", yaml: `apiVersion: jml/v1
kind: World
faults:
  - {action: okta.deactivateUser, status: 403, times: 1, message: "You do not have permission"}
  - {action: okta.getManager, status: 404, times: 1}
`, steps: []osStep{
			{"deactivateUser", jane, 403},
			{"deactivateUser", jane, 0},
			{"getManager", jane, 404},
			{"getManager", jane, 0},
		}},
	})
}

// TestOktaRetryAfterRoundTrip: an injected 429's wait reaches the
// connector's error, through X-Rate-Limit-Reset as Okta sends it.
func TestOktaRetryAfterRoundTrip(t *testing.T) {
	p := newPair(t, worlds["seeded"])
	f := world.Fault{Action: "okta.getUser", Status: 429, Times: 1, RetryAfter: 3e9}
	p.local.AddFaults(f)
	p.remote.AddFaults(f)
	_, err := p.clients["okta"].Do(t.Context(), effect.Request{Instance: "okta", Action: "getUser", Input: map[string]any{"userId": "00u1jane0001"}, Attempt: 1})
	e := effect.AsError(err)
	// X-Rate-Limit-Reset is a whole epoch second, rounded up: 3 to 4s on.
	if e == nil || e.Status != 429 || !e.Retryable || e.RetryAfter <= 2e9 || e.RetryAfter > 4e9 {
		t.Fatalf("got %#v, want a retryable 429 with a wait of about 3s", e)
	}
}

// TestOktaSandboxPages: GET /api/v1/users pages with limit and after, and
// links the next page until the last.
func TestOktaSandboxPages(t *testing.T) {
	srv := httptest.NewServer(sandbox.New(instances(), worlds["described"](t), sandbox.Options{}))
	t.Cleanup(srv.Close)
	next := regexp.MustCompile(`<([^>]+)>; rel="next"`)
	var ids []string
	link, pages := srv.URL+"/okta/api/v1/users?limit=1", 0
	for link != "" {
		pages++
		req, _ := http.NewRequest("GET", link, nil)
		req.Header.Set("Authorization", "SSWS x")
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var users []map[string]any
		if err := json.NewDecoder(resp.Body).Decode(&users); err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		for _, u := range users {
			ids = append(ids, u["id"].(string))
		}
		link = ""
		for _, l := range resp.Header.Values("Link") {
			if m := next.FindStringSubmatch(l); m != nil {
				link = m[1]
			}
		}
	}
	want := []string{"00u1bob00002", "00u1boss0009", "00u1jane0001"}
	if pages != 3 || len(ids) != 3 || ids[0] != want[0] || ids[1] != want[1] || ids[2] != want[2] {
		t.Fatalf("%d pages of %v, want 3 pages of %v", pages, ids, want)
	}
}
