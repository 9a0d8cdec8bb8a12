package verify

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jml-dev/jml/pkg/catalog"
	"github.com/jml-dev/jml/pkg/effect"
	"github.com/jml-dev/jml/pkg/event"
)

func TestClassify(t *testing.T) {
	notFound := effect.HTTPError(404, "users_not_found")
	tests := []struct {
		name string
		typ  string
		out  map[string]any
		err  error
		want Cell
	}{
		{"okta active", "okta", map[string]any{"status": "ACTIVE"}, nil, Cell{State: Active, Detail: "ACTIVE"}},
		{"okta staged is not deactivated", "okta", map[string]any{"status": "STAGED"}, nil, Cell{State: Active, Detail: "STAGED"}},
		{"okta locked out is still a user", "okta", map[string]any{"status": "LOCKED_OUT"}, nil, Cell{State: Active, Detail: "LOCKED_OUT"}},
		{"okta deprovisioned", "okta", map[string]any{"status": "DEPROVISIONED"}, nil, Cell{State: Disabled, Detail: "DEPROVISIONED"}},
		{"okta suspended", "okta", map[string]any{"status": "SUSPENDED"}, nil, Cell{State: Disabled, Detail: "SUSPENDED"}},
		{"okta no status", "okta", map[string]any{}, nil, Cell{State: Error, Detail: "okta.getUser answered no status"}},
		{"okta absent", "okta", nil, effect.HTTPError(404, "Not found"), Cell{State: Absent}},
		{"slack active", "slack", map[string]any{"active": true}, nil, Cell{State: Active}},
		{"slack deactivated", "slack", map[string]any{"active": false}, nil, Cell{State: Disabled, Detail: "deactivated"}},
		{"slack absent", "slack", nil, notFound, Cell{State: Absent}},
		{"google active", "google", map[string]any{"suspended": false}, nil, Cell{State: Active}},
		{"google suspended", "google", map[string]any{"suspended": true}, nil, Cell{State: Disabled, Detail: "suspended"}},
		{"google no field", "google", map[string]any{"primaryEmail": "a@b"}, nil, Cell{State: Error, Detail: "the answer has no boolean suspended"}},
		{"microsoft enabled", "microsoft", map[string]any{"accountEnabled": true}, nil, Cell{State: Active}},
		{"microsoft disabled", "microsoft", map[string]any{"accountEnabled": false}, nil, Cell{State: Disabled, Detail: "accountEnabled false"}},
		{"salesforce active", "salesforce", map[string]any{"isActive": true, "frozen": false}, nil, Cell{State: Active}},
		{"salesforce frozen", "salesforce", map[string]any{"isActive": true, "frozen": true}, nil, Cell{State: Disabled, Detail: "frozen"}},
		{"salesforce inactive", "salesforce", map[string]any{"isActive": false, "frozen": false}, nil, Cell{State: Disabled, Detail: "inactive"}},
		{"salesforce both", "salesforce", map[string]any{"isActive": false, "frozen": true}, nil, Cell{State: Disabled, Detail: "inactive, frozen"}},
		{"salesforce nothing", "salesforce", map[string]any{"id": "005"}, nil, Cell{State: Error, Detail: "salesforce.getUser answered neither isActive nor frozen"}},
		{"github member", "github", map[string]any{"state": "active", "role": "admin"}, nil, Cell{State: Active, Detail: "admin"}},
		{"github pending invitation", "github", map[string]any{"state": "pending", "role": "member"}, nil, Cell{State: Active, Detail: "pending invitation"}},
		{"github not a member", "github", nil, effect.HTTPError(404, "Not Found"), Cell{State: Absent}},
		{"ad enabled", "activedirectory", map[string]any{"disabled": false}, nil, Cell{State: Active}},
		{"ad disabled", "activedirectory", map[string]any{"disabled": true}, nil, Cell{State: Disabled, Detail: "disabled"}},
		{"ad no such object", "activedirectory", nil, &effect.Error{Status: 404, Code: "not_found", Message: "no such object"}, Cell{State: Absent}},
		{"server error", "slack", nil, effect.HTTPError(500, "internal_error"), Cell{State: Error, Detail: "internal_error (status 500)"}},
		{"unauthorized", "google", nil, effect.HTTPError(401, "Invalid Credentials"), Cell{State: Error, Detail: "Invalid Credentials (status 401)"}},
		{"plain error", "microsoft", nil, errors.New("dial tcp: connection refused"), Cell{State: Error, Detail: "dial tcp: connection refused"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Classify(tt.typ, tt.out, tt.err); got != tt.want {
				t.Errorf("Classify(%s) = %+v, want %+v", tt.typ, got, tt.want)
			}
		})
	}
}

// fake answers reads from a table keyed by "instance.action input", and
// records the requests.
type fake struct {
	mu       sync.Mutex
	answers  map[string]answer
	requests []effect.Request
	inFlight atomic.Int32
	maxIn    atomic.Int32
}

type answer struct {
	out  map[string]any
	err  error
	errs []error // failures before out, one per try
}

func key(req effect.Request) string {
	return fmt.Sprintf("%s.%s %v", req.Instance, req.Action, req.Input)
}

func (f *fake) Do(ctx context.Context, req effect.Request) (map[string]any, error) {
	n := f.inFlight.Add(1)
	defer f.inFlight.Add(-1)
	for {
		m := f.maxIn.Load()
		if n <= m || f.maxIn.CompareAndSwap(m, n) {
			break
		}
	}
	// Let the other readers run, so that too many in flight would show.
	for range 10 {
		runtime.Gosched()
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests = append(f.requests, req)
	k := key(req)
	a, ok := f.answers[k]
	if !ok {
		return nil, effect.HTTPError(404, "no such user: "+k)
	}
	if len(a.errs) > 0 {
		err := a.errs[0]
		a.errs = a.errs[1:]
		f.answers[k] = a
		return nil, err
	}
	return a.out, a.err
}

var instances = []Instance{
	{Name: "okta", Type: "okta"},
	{Name: "slack", Type: "slack"},
	{Name: "google", Type: "google"},
	{Name: "ms", Type: "microsoft"},
	{Name: "sf", Type: "salesforce"},
	{Name: "gh", Type: "github", Settings: map[string]string{"org": "acme"}, AccountIDFrom: "user.profile.githubUsername"},
	{Name: "ad", Type: "activedirectory", AccountIDFrom: "user.profile.samAccountName"},
}

func TestBuild(t *testing.T) {
	jane := "jane@acme.com"
	profile := map[string]any{"login": jane, "githubUsername": "jd-octo", "samAccountName": "jdoe"}
	all := func(okta string, slack, suspended, enabled, frozen bool) map[string]answer {
		return map[string]answer{
			"okta.getUser map[userId:" + jane + "]":              {out: map[string]any{"id": "00ujane", "status": okta, "profile": profile}},
			"okta.getUser map[userId:00ujane]":                   {out: map[string]any{"id": "00ujane", "status": okta, "profile": profile}},
			"slack.lookupUserByEmail map[email:" + jane + "]":    {out: map[string]any{"active": slack}},
			"google.getUser map[userKey:" + jane + "]":           {out: map[string]any{"suspended": suspended}},
			"ms.getUser map[userId:" + jane + "]":                {out: map[string]any{"accountEnabled": enabled}},
			"sf.getUser map[username:" + jane + "]":              {out: map[string]any{"isActive": true, "frozen": frozen}},
			"gh.getOrgMembership map[org:acme username:jd-octo]": {out: map[string]any{"state": "active", "role": "member"}},
			"ad.getUser map[sAMAccountName:jdoe]":                {out: map[string]any{"disabled": frozen}},
			// What a guess from the login would find: verify never asks.
			"gh.getOrgMembership map[org:acme username:jane]": {err: effect.HTTPError(404, "Not Found")},
			"ad.getUser map[sAMAccountName:jane]":             {err: effect.HTTPError(404, "no such object")},
		}
	}
	states := func(m *Matrix) [][]string {
		var out [][]string
		for _, r := range m.Rows {
			var row []string
			if r.Okta != nil {
				row = append(row, string(r.Okta.State))
			}
			for _, c := range r.Cells {
				s := string(c.State)
				if c.Orphan {
					s += "!"
				}
				if c.State == NotChecked {
					s += " (" + c.Detail + ")"
				}
				row = append(row, s)
			}
			out = append(out, row)
		}
		return out
	}
	tests := []struct {
		name      string
		answers   map[string]answer
		instances []Instance
		users     []User
		want      [][]string
		orphans   int
		errors    int
		unchecked int
		leaver    bool
	}{
		{
			name:    "leaver still active everywhere",
			answers: all("DEPROVISIONED", true, false, true, false),
			users:   []User{{Login: jane}},
			want:    [][]string{{"disabled", "active!", "active!", "active!", "active!", "active!", "active!"}},
			orphans: 6, leaver: true,
		},
		{
			name:    "leaver gone everywhere",
			answers: all("DEPROVISIONED", false, true, false, true),
			users:   []User{{Login: jane}},
			want:    [][]string{{"disabled", "disabled", "disabled", "disabled", "disabled", "active!", "disabled"}},
			orphans: 1, leaver: true,
		},
		{
			name:    "an active user is no orphan",
			answers: all("ACTIVE", true, false, true, false),
			users:   []User{{Login: jane}},
			want:    [][]string{{"active", "active", "active", "active", "active", "active", "active"}},
		},
		{
			name:    "an Okta id is resolved to the login",
			answers: all("SUSPENDED", false, true, false, true),
			users:   []User{{ID: "00ujane"}},
			want:    [][]string{{"disabled", "disabled", "disabled", "disabled", "disabled", "active!", "disabled"}},
			orphans: 1, leaver: true,
		},
		{
			name:    "absent from Okta is a leaver; absent elsewhere is gone",
			answers: map[string]answer{"slack.lookupUserByEmail map[email:" + jane + "]": {out: map[string]any{"active": true}}},
			users:   []User{{Login: jane}},
			want: [][]string{{"absent", "active!", "absent", "absent", "absent",
				"notChecked (the user is not in okta: no user.profile.githubUsername to look the account up by)",
				"notChecked (the user is not in okta: no user.profile.samAccountName to look the account up by)"}},
			orphans: 1, unchecked: 2, leaver: true,
		},
		{
			name:    "an unknown Okta id cannot be looked up elsewhere",
			answers: map[string]answer{},
			users:   []User{{ID: "00unobody"}},
			want: [][]string{{"absent", "error", "error", "error", "error",
				"notChecked (the user is not in okta: no user.profile.githubUsername to look the account up by)",
				"notChecked (the user is not in okta: no user.profile.samAccountName to look the account up by)"}},
			errors: 4, unchecked: 2, leaver: true,
		},
		{
			name: "errors are counted, retryable ones retried",
			answers: func() map[string]answer {
				a := all("DEPROVISIONED", false, true, false, true)
				a["slack.lookupUserByEmail map[email:"+jane+"]"] = answer{err: effect.HTTPError(403, "missing_scope")}
				a["google.getUser map[userKey:"+jane+"]"] = answer{errs: []error{effect.HTTPError(503, "busy")}, out: map[string]any{"suspended": true}}
				delete(a, "gh.getOrgMembership map[org:acme username:jd-octo]")
				return a
			}(),
			users:  []User{{Login: jane}},
			want:   [][]string{{"disabled", "error", "disabled", "disabled", "disabled", "absent", "disabled"}},
			errors: 1, leaver: true,
		},
		{
			name:      "github without org is not checked",
			answers:   all("DEPROVISIONED", false, true, false, true),
			instances: []Instance{{Name: "okta", Type: "okta"}, {Name: "gh", Type: "github", AccountIDFrom: "user.profile.githubUsername"}},
			users:     []User{{Login: jane}},
			want:      [][]string{{"disabled", "notChecked (no org: in jml.yaml for this github instance)"}},
			unchecked: 1, leaver: true,
		},
		{
			name:      "without accountIdFrom, github and activedirectory are not checked, never guessed absent",
			answers:   all("DEPROVISIONED", false, true, false, true),
			instances: []Instance{{Name: "okta", Type: "okta"}, {Name: "gh", Type: "github", Settings: map[string]string{"org": "acme"}}, {Name: "ad", Type: "activedirectory"}, {Name: "slack", Type: "slack"}},
			users:     []User{{Login: jane}},
			want: [][]string{{"disabled",
				"notChecked (no accountIdFrom: set accountIdFrom: user.profile.githubUsername on the instance (a GitHub username cannot be derived from the login))",
				"notChecked (no accountIdFrom: set accountIdFrom: user.profile.samAccountName on the instance (a sAMAccountName cannot be derived from the login))",
				"disabled"}},
			unchecked: 2, leaver: true,
		},
		{
			name: "a profile without the attribute is not checked",
			answers: func() map[string]answer {
				a := all("DEPROVISIONED", false, true, false, true)
				a["okta.getUser map[userId:"+jane+"]"] = answer{out: map[string]any{"id": "00ujane", "status": "DEPROVISIONED", "profile": map[string]any{"login": jane, "githubUsername": " "}}}
				return a
			}(),
			users: []User{{Login: jane}},
			want: [][]string{{"disabled", "disabled", "disabled", "disabled", "disabled",
				"notChecked (the user's Okta profile has no user.profile.githubUsername)",
				"notChecked (the user's Okta profile has no user.profile.samAccountName)"}},
			unchecked: 2, leaver: true,
		},
		{
			name: "an Okta that cannot be read leaves accountIdFrom apps not checked",
			answers: func() map[string]answer {
				a := all("DEPROVISIONED", false, true, false, true)
				a["okta.getUser map[userId:"+jane+"]"] = answer{err: effect.HTTPError(403, "forbidden")}
				return a
			}(),
			users: []User{{Login: jane, Deactivated: true}},
			want: [][]string{{"error", "disabled", "disabled", "disabled", "disabled",
				"notChecked (okta could not be read: no user.profile.githubUsername to look the account up by)",
				"notChecked (okta could not be read: no user.profile.samAccountName to look the account up by)"}},
			errors: 1, unchecked: 2, leaver: true,
		},
		{
			name:      "accountIdFrom replaces the login of an email-keyed app",
			answers:   map[string]answer{"okta.getUser map[userId:" + jane + "]": {out: map[string]any{"status": "SUSPENDED", "profile": map[string]any{"login": jane, "sfUser": "jane@acme.com.prod"}}}, "sf.getUser map[username:jane@acme.com.prod]": {out: map[string]any{"isActive": true}}},
			instances: []Instance{{Name: "okta", Type: "okta"}, {Name: "sf", Type: "salesforce", AccountIDFrom: "user.profile.sfUser"}},
			users:     []User{{Login: jane}},
			want:      [][]string{{"disabled", "active!"}},
			orphans:   1, leaver: true,
		},
		{
			name:      "without an Okta instance there is no profile to read",
			answers:   all("", true, false, true, false),
			instances: []Instance{{Name: "gh", Type: "github", Settings: map[string]string{"org": "acme"}, AccountIDFrom: "user.profile.githubUsername"}},
			users:     []User{{Login: jane, Deactivated: true}},
			want:      [][]string{{"notChecked (jml.yaml has no okta instance: no user.profile.githubUsername to look the account up by)"}},
			unchecked: 1, leaver: true,
		},
		{
			name:      "without Okta, a deactivation event makes the leaver",
			answers:   all("", true, false, true, false),
			instances: []Instance{{Name: "slack", Type: "slack"}},
			users:     []User{{Login: jane, Deactivated: true}},
			want:      [][]string{{"active!"}},
			orphans:   1, leaver: true,
		},
		{
			name:      "without Okta, a named user is not a leaver",
			answers:   all("", true, false, true, false),
			instances: []Instance{{Name: "slack", Type: "slack"}},
			users:     []User{{Login: jane}},
			want:      [][]string{{"active"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ins := tt.instances
			if ins == nil {
				ins = instances
			}
			f := &fake{answers: tt.answers}
			m := Build(context.Background(), Options{Instances: ins, Effector: f, Wait: func(context.Context, time.Duration) error { return nil }}, tt.users)
			if got := states(m); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("states = %v, want %v", got, tt.want)
			}
			if m.Orphans != tt.orphans || m.Errors != tt.errors || m.NotChecked != tt.unchecked {
				t.Errorf("orphans %d errors %d not checked %d, want %d, %d and %d", m.Orphans, m.Errors, m.NotChecked, tt.orphans, tt.errors, tt.unchecked)
			}
			if m.Rows[0].Leaver != tt.leaver {
				t.Errorf("leaver = %v, want %v", m.Rows[0].Leaver, tt.leaver)
			}
			for _, r := range f.requests {
				if want, _ := ReadAction(r.Type); r.Action != want {
					t.Errorf("called %s on a %s instance: verify only reads", r.Name(), r.Type)
				}
				if k := key(r); k == "gh.getOrgMembership map[org:acme username:jane]" || k == "ad.getUser map[sAMAccountName:jane]" {
					t.Errorf("asked %s: a guess from the login", k)
				}
			}
		})
	}
}

// TestAccountTypes: the apps verify reads are the catalogue's types with a
// deprovision action, okta aside (the types jml validate accepts
// accountIdFrom on); the catalogue's own test checks each Account.
func TestAccountTypes(t *testing.T) {
	for _, con := range catalog.All() {
		deprovisions := false
		for _, a := range con.Actions {
			deprovisions = deprovisions || a.Deprovision
		}
		_, reads := ReadAction(con.Type)
		if con.Type != "okta" && reads != deprovisions {
			t.Errorf("%s: verify reads it %v, the catalogue deprovisions it %v", con.Type, reads, deprovisions)
		}
	}
	for typ, want := range map[string]bool{"slack": true, "google": true, "microsoft": true, "salesforce": true, "github": false, "activedirectory": false} {
		if KeyedByLogin(typ) != want {
			t.Errorf("KeyedByLogin(%s) = %v", typ, !want)
		}
	}
}

func TestBuildOrderAndBound(t *testing.T) {
	answers := map[string]answer{}
	var users []User
	for i := range 20 {
		login := fmt.Sprintf("user%02d@acme.com", i)
		users = append(users, User{Login: login})
		answers["okta.getUser map[userId:"+login+"]"] = answer{out: map[string]any{"id": fmt.Sprintf("00u%02d", i), "status": "DEPROVISIONED"}}
		answers["slack.lookupUserByEmail map[email:"+login+"]"] = answer{out: map[string]any{"active": i%2 == 0}}
	}
	f := &fake{answers: answers}
	m := Build(context.Background(), Options{Instances: instances[:3], Effector: f, Parallelism: 3}, users)
	for i, r := range m.Rows {
		if r.User != users[i].Login || r.ID != fmt.Sprintf("00u%02d", i) {
			t.Errorf("row %d is %s (%s), want %s", i, r.User, r.ID, users[i].Login)
		}
	}
	if m.Orphans != 10 {
		t.Errorf("orphans = %d, want 10", m.Orphans)
	}
	if got := f.maxIn.Load(); got > 3 {
		t.Errorf("%d reads in flight, want at most 3", got)
	}
	if len(m.Apps) != 2 || m.Apps[0].Name != "slack" || m.Apps[1].Name != "google" || m.Okta != "okta" {
		t.Errorf("columns = %q %+v", m.Okta, m.Apps)
	}
}

func TestFromEvents(t *testing.T) {
	ev := func(typ, id, login string) *event.Event {
		return &event.Event{EventType: typ, Raw: map[string]any{"target": []any{
			map[string]any{"type": "AppInstance", "id": "0oa1"},
			map[string]any{"type": "User", "id": id, "alternateId": login},
			map[string]any{"type": "User", "id": "00usecond", "alternateId": "second@acme.com"},
		}}}
	}
	got := FromEvents([]*event.Event{
		ev("user.lifecycle.deactivate", "00ujane", "jane@acme.com"),
		ev("user.lifecycle.create", "00ujoe", "joe@acme.com"),
		ev("user.lifecycle.deactivate", "00ujane", "JANE@acme.com"),
		ev("user.lifecycle.deactivate", "00uann", "ann@acme.com"),
		{EventType: "user.lifecycle.deactivate", Raw: map[string]any{}},
	})
	want := []User{{ID: "00ujane", Login: "jane@acme.com", Deactivated: true}, {ID: "00uann", Login: "ann@acme.com", Deactivated: true}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("FromEvents = %+v, want %+v", got, want)
	}
}

func TestParseUser(t *testing.T) {
	if u := ParseUser(" jane@acme.com "); u != (User{Login: "jane@acme.com"}) {
		t.Errorf("ParseUser(login) = %+v", u)
	}
	if u := ParseUser("00u1abc"); u != (User{ID: "00u1abc"}) {
		t.Errorf("ParseUser(id) = %+v", u)
	}
}

// TestRetryAfterCapped: verify waits by the engine's rule, as apply does:
// the backoff between tries, a vendor's Retry-After within
// engine.DefaultMaxRetryAfter, and a longer one fails the read at once,
// naming the vendor's wait, instead of hanging verify for a day.
func TestRetryAfterCapped(t *testing.T) {
	const jane = "jane@acme.com"
	busy := func(d time.Duration) error {
		e := effect.HTTPError(429, "too many requests")
		e.RetryAfter = d
		return e
	}
	tests := []struct {
		name  string
		errs  []error
		waits []time.Duration
		want  string
	}{
		{name: "backoff", errs: []error{effect.HTTPError(503, "busy"), effect.HTTPError(503, "busy")}, waits: []time.Duration{time.Second, 2 * time.Second}, want: "active!"},
		{name: "a Retry-After within the cap is waited for", errs: []error{busy(30 * time.Second)}, waits: []time.Duration{30 * time.Second}, want: "active!"},
		{name: "a day is not waited for", errs: []error{busy(24 * time.Hour)}, want: "error (rate limited: Slack asked to wait 24h0m0s, more than retry.maxInterval (default) 1m0s (status 429))"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fake{answers: map[string]answer{"slack.lookupUserByEmail map[email:" + jane + "]": {errs: tt.errs, out: map[string]any{"active": true}}}}
			var waits []time.Duration
			wait := func(_ context.Context, d time.Duration) error { waits = append(waits, d); return nil }
			m := Build(context.Background(), Options{Instances: []Instance{{Name: "slack", Type: "slack"}}, Effector: f, Wait: wait}, []User{{Login: jane, Deactivated: true}})
			c := m.Rows[0].Cells[0]
			got := string(c.State)
			if c.Orphan {
				got += "!"
			}
			if c.State == Error {
				got += " (" + c.Detail + ")"
			}
			if got != tt.want {
				t.Errorf("state %q, want %q", got, tt.want)
			}
			if !reflect.DeepEqual(waits, tt.waits) {
				t.Errorf("waits %v, want %v", waits, tt.waits)
			}
		})
	}
}
