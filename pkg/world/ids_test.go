package world

import (
	"regexp"
	"testing"

	"github.com/jml-dev/jml/pkg/effect"
)

// creates are the calls that make something with an id of its own, the
// output naming it and the id's shape.
var creates = []struct {
	name   string
	in     map[string]any
	output string
	shape  *regexp.Regexp
}{
	{"itsm.createRecord", map[string]any{"table": "sc_task", "fields": map[string]any{"short_description": "Offboard"}}, "number", regexp.MustCompile(`^SCTASK\d{7}$`)},
	{"itsm.createRecord", map[string]any{"table": "incident", "fields": map[string]any{}}, "sys_id", regexp.MustCompile(`^[0-9a-f]{32}$`)},
	{"jira.createIssue", map[string]any{"project": "IT", "issueType": "Task", "summary": "s"}, "key", regexp.MustCompile(`^IT-\d+$`)},
	{"jira.createIssue", map[string]any{"project": "IT", "issueType": "Task", "summary": "s"}, "id", regexp.MustCompile(`^\d+$`)},
	{"slack.postMessage", map[string]any{"channel": "#it", "text": "hi"}, "ts", regexp.MustCompile(`^1[78]\d{8}\.\d{6}$`)},
	{"google.transferDrive", map[string]any{"fromUser": jane.Login, "toUser": bob.Login}, "transferId", regexp.MustCompile(`^AKrEtIZ[0-9A-Za-z]{12}$`)},
	{"google.transferCalendar", map[string]any{"fromUser": jane.Login, "toUser": bob.Login}, "transferId", regexp.MustCompile(`^AKrEtIZ[0-9A-Za-z]{12}$`)},
	{"mail.send", map[string]any{"to": "a@acme.com", "subject": "s", "body": "b"}, "messageId", regexp.MustCompile(`^<[0-9a-f]{16}\.jml@world\.invalid>$`)},
}

// TestIDsPerCall holds the rule of ids.go: an id a call invents depends on
// the call's idempotency key — (event uuid, flow, card path) — and on
// nothing that happened before, so adding or removing another event's
// calls never renumbers this one's.
func TestIDsPerCall(t *testing.T) {
	const key = "jml-john-leaver-steps[3]"
	for _, c := range creates {
		t.Run(c.name+"/"+c.output, func(t *testing.T) {
			call := func(w *World, key string) string {
				t.Helper()
				out, err := doReq(w, effect.Request{Input: copyMap(c.in), IdempotencyKey: key}, c.name)
				if err != nil {
					t.Fatalf("%s: %v", c.name, err)
				}
				s, _ := out[c.output].(string)
				return s
			}
			alone, _ := seeded(t)
			want := call(alone, key)
			if !c.shape.MatchString(want) {
				t.Errorf("%s %q does not have the vendor's shape %s", c.output, want, c.shape)
			}

			// Other events' calls first, keyed and not: the id is the same.
			busy, _ := seeded(t)
			for i, other := range []string{"jml-jane-leaver-steps[3]", "", "jml-bob-mover-steps[0]", ""} {
				if got := call(busy, other); got == want {
					t.Fatalf("call %d (key %q) took the id %s of another key", i, other, got)
				}
			}
			if got := call(busy, key); got != want {
				t.Errorf("after other calls: %s = %s, want %s as alone", c.output, got, want)
			}

			// The same key again (a retried non-idempotent create) makes a
			// second thing: the next candidate of the key, every time.
			again := call(busy, key)
			if again == want || !c.shape.MatchString(again) {
				t.Errorf("the same key twice: %s then %s", want, again)
			}
			if alone2 := call(alone, key); alone2 != again {
				t.Errorf("the second id of a key is %s here, %s there", alone2, again)
			}
		})
	}
}

// TestUserIDsPerUser: a user's generated id derives from their email or
// login, so the order in which events name users does not matter.
func TestUserIDsPerUser(t *testing.T) {
	ids := func(users ...User) map[string]any {
		w := New(allInstances(), nil)
		for _, u := range users {
			w.SeedEvent([]User{u}, "user.session.start", "")
		}
		out := map[string]any{}
		for _, call := range []struct{ name, in, out string }{
			{"slack.lookupUserByEmail", "email", "id"}, {"google.getUser", "userKey", "id"}, {"sf.getUser", "username", "id"},
			{"okta.getUser", "userId", "id"},
		} {
			out[call.name] = mustDo(t, w, call.name, map[string]any{call.in: "jane.doe@acme.com"})[call.out]
		}
		return out
	}
	noID := User{Login: jane.Login, DisplayName: jane.DisplayName}
	first, later := ids(noID), ids(User{Login: "zed@acme.com"}, boss, noID)
	for name, id := range first {
		if later[name] != id {
			t.Errorf("%s: Jane's id is %v when seeded first, %v after others", name, id, later[name])
		}
	}
	w := New(allInstances(), nil)
	w.SeedEvent([]User{jane}, "user.session.start", "")
	if _, err := do(w, "slack.createUser", map[string]any{"email": "new.hire@acme.com", "userName": "nh", "displayName": "N"}); err != nil {
		t.Fatal(err)
	}
	created := mustDo(t, w, "slack.lookupUserByEmail", map[string]any{"email": "new.hire@acme.com"})["id"]
	w2 := New(allInstances(), nil)
	w2.SeedEvent([]User{{Login: "new.hire@acme.com"}}, "user.session.start", "")
	if seeded := mustDo(t, w2, "slack.lookupUserByEmail", map[string]any{"email": "new.hire@acme.com"})["id"]; seeded != created {
		t.Errorf("a created user's id %v differs from the same user's seeded id %v", created, seeded)
	}
	if ms := mustDo(t, w, "ms.getUser", map[string]any{"userId": "jane.doe@acme.com"})["id"]; ms != jane.ID {
		t.Errorf("a seeded Microsoft user keeps the event's id: %v", ms)
	}
}

// TestIDCollisions: a derived id that is taken gives way to the key's next
// candidate, and a counter skips ids that keyed calls took.
func TestIDCollisions(t *testing.T) {
	m := newServiceNow(&spool{})
	first := m.newNumber("sc_task", "k")
	m.taken.add(first)
	second := m.newNumber("sc_task", "k")
	if second == first || m.newNumber("sc_task", "k") != second {
		t.Errorf("after %s is taken, key k gives %s, not a stable second candidate", first, second)
	}
	m.taken.add("SCTASK0010001")
	if got := m.newNumber("sc_task", ""); got != "SCTASK0010002" {
		t.Errorf("the counter gave %s, want SCTASK0010002 past a taken number", got)
	}
}
