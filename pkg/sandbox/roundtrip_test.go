package sandbox_test

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"net/url"
	"reflect"
	"testing"
	"time"

	"github.com/jml-dev/jml/pkg/catalog"
	"github.com/jml-dev/jml/pkg/clock"
	"github.com/jml-dev/jml/pkg/connector"
	"github.com/jml-dev/jml/pkg/effect"
	"github.com/jml-dev/jml/pkg/sandbox"
	"github.com/jml-dev/jml/pkg/table"
	"github.com/jml-dev/jml/pkg/world"
)

// The round-trip tests hold the real connectors and the sandbox to the
// in-process world: an action performed by a connector against `jml
// sandbox` must answer exactly what the world answers in-process (outputs,
// or error status and code), and leave the sandbox's world in exactly the
// state the in-process one is left in.

// instanceOf names the test instance of each connector type the sandbox
// serves (over HTTP, and email over SMTP), as ../world/testdata/acme.yaml
// does.
var instanceOf = map[string]string{
	"github": "gh", "google": "google", "http": "hr", "jira": "jira", "microsoft": "ms",
	"okta": "okta", "salesforce": "sf", "servicenow": "itsm", "slack": "slack",
	"email": "mail", "table": "state",
}

// settings are the jml.yaml settings of each test instance.
var settings = map[string]map[string]string{
	// http_test.go's absolute URL: an entry without a port would allow
	// only the base URL's.
	"hr": {"allowedHosts": "127.0.0.1:1"},
}

var epoch = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

func instances() []world.Instance {
	var out []world.Instance
	for _, typ := range catalog.Types() {
		if name, ok := instanceOf[typ]; ok {
			in := world.Instance{Name: name, Type: typ}
			if typ == "table" { // as ../world/testdata/acme.yaml's rows need
				in.Tables = table.Schema{"Members": {Name: "Members", Columns: []table.Column{{Name: "User ID", Type: "string"}, {Name: "Days", Type: "number"}}}}
			}
			out = append(out, in)
		}
	}
	return out
}

var (
	jane = world.User{ID: "00u1jane0001", Login: "jane.doe@acme.com", DisplayName: "Jane Doe",
		Profile: map[string]any{"department": "Sales", "managerId": "00u1boss0009"}}
	boss = world.User{ID: "00u1boss0009", Login: "boss@acme.com", DisplayName: "Big Boss"}
	bob  = world.User{ID: "00u1bob00002", Login: "bob@acme.com", DisplayName: "Bob Smith"}
)

// worlds makes a world: seeded from an event naming jane, her manager and
// bob, or described by ../world/testdata/acme.yaml.
var worlds = map[string]func(t *testing.T) *world.World{
	"seeded": func(t *testing.T) *world.World {
		w := world.New(instances(), clock.NewVirtual(epoch))
		w.SeedEvent([]world.User{jane, boss, bob}, "user.session.start", "")
		return w
	},
	"described": func(t *testing.T) *world.World {
		spec, ds := world.LoadFile("../world/testdata/acme.yaml", "acme.yaml")
		if len(ds) > 0 {
			t.Fatal(ds)
		}
		w := world.New(instances(), clock.NewVirtual(epoch))
		// acme.yaml also describes ad, which the sandbox does not serve.
		delete(spec.Instances, "ad")
		if err := w.Apply(spec); err != nil {
			t.Fatal(err)
		}
		return w
	},
}

// pair is one world served in-process and a twin served by the sandbox,
// with a client per instance pointing at it.
type pair struct {
	local, remote *world.World
	clients       map[string]connector.Client
	// renamed maps an id the sandbox's world gave to the one the
	// in-process world gave for the same call (see wireKey).
	renamed map[string]string
}

// wireKey says, for the actions whose ids the world derives from the call's
// idempotency key (world/ids.go), which key the sandbox's world gets: what
// the vendor's protocol carries. ServiceNow's correlation_id carries the key
// unless the flow sets a correlation_id of its own, which the sandbox then
// takes as the key; Slack's chat.postMessage, Google's Data Transfer API and
// Gmail's messages.send carry nothing the key could be read back from, so the sandbox's world
// answers as to a call without a key, from its counter. (Jira's issue
// property, the Message-ID and the Idempotency-Key header carry the key
// itself.) Where the keys differ, the round trip holds the sandbox to
// exactly what the in-process world answers the same call with the wire's
// key, and the two worlds to the same state once those ids are renamed.
var wireKey = map[string]func(req effect.Request) string{
	"slack.postMessage":       func(effect.Request) string { return "" },
	"google.transferDrive":    func(effect.Request) string { return "" },
	"google.transferCalendar": func(effect.Request) string { return "" },
	"google.sendGmail":        func(effect.Request) string { return "" },
	"itsm.createRecord": func(req effect.Request) string {
		fields, _ := req.Input["fields"].(map[string]any)
		if cid, ok := fields["correlation_id"].(string); ok {
			return cid
		}
		return req.IdempotencyKey
	},
}

func newPair(t *testing.T, make func(t *testing.T) *world.World) *pair {
	t.Helper()
	p := &pair{local: make(t), remote: make(t), clients: map[string]connector.Client{}, renamed: map[string]string{}}
	sb := sandbox.New(instances(), p.remote, sandbox.Options{})
	srv := httptest.NewServer(sb)
	t.Cleanup(srv.Close)
	sm, err := sb.StartSMTP("127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sm.Close() })
	for _, in := range instances() {
		u, _ := url.Parse(srv.URL + "/" + in.Name)
		c, err := connector.NewClient(&connector.Instance{Name: in.Name, Type: in.Type, BaseURL: u,
			Auth: connector.Bearer{Token: "jml-sandbox"}, HTTP: srv.Client(), Timeout: 10 * time.Second,
			Settings: settings[in.Name], Sandbox: true})
		if err != nil {
			t.Fatal(err)
		}
		p.clients[in.Name] = c
	}
	return p
}

// both performs req in-process and through the connector and the sandbox,
// and fails the test unless they answer the same.
func (p *pair) both(t *testing.T, req effect.Request) (map[string]any, *effect.Error) {
	t.Helper()
	if req.Attempt == 0 {
		req.Attempt = 1
	}
	ctx := context.Background()
	var onWire *world.World
	wire := req
	if f, ok := wireKey[req.Name()]; ok {
		if wire.IdempotencyKey = f(req); wire.IdempotencyKey != req.IdempotencyKey {
			onWire = p.local.Clone()
		}
	}
	want, werr := p.local.Do(ctx, req)
	got, gerr := p.clients[req.Instance].Do(ctx, req)
	we, ge := effect.AsError(werr), effect.AsError(gerr)
	switch {
	case we == nil && ge != nil:
		t.Fatalf("%s: in-process %v, via sandbox error %v (code %s)", req.Name(), jsonOf(want), ge, ge.Code)
	case we != nil && ge == nil:
		t.Fatalf("%s: in-process error %v (code %s), via sandbox %v", req.Name(), we, we.Code, jsonOf(got))
	case we != nil:
		if we.Status != ge.Status || we.Code != ge.Code || we.Retryable != ge.Retryable {
			t.Fatalf("%s: in-process error %v (status %d, code %s, retryable %v), via sandbox %v (status %d, code %s, retryable %v)",
				req.Name(), we, we.Status, we.Code, we.Retryable, ge, ge.Status, ge.Code, ge.Retryable)
		}
		return nil, we
	}
	if onWire != nil {
		plain, err := onWire.Do(ctx, wire)
		if err != nil {
			t.Fatalf("%s with the key %q: %v", req.Name(), wire.IdempotencyKey, err)
		}
		if !reflect.DeepEqual(jsonOf(plain), jsonOf(got)) {
			t.Fatalf("%s: via sandbox %s, want what the world answers with the key %q the protocol carries, %s",
				req.Name(), mustJSON(got), wire.IdempotencyKey, mustJSON(plain))
		}
		for k, v := range got {
			if from, ok := v.(string); ok && want[k] != v {
				p.renamed[from], _ = want[k].(string)
			}
		}
		got = rename(jsonOf(got), p.renamed).(map[string]any)
	}
	if !reflect.DeepEqual(jsonOf(want), jsonOf(got)) {
		t.Fatalf("%s outputs differ:\nin-process:  %s\nvia sandbox: %s", req.Name(), mustJSON(want), mustJSON(got))
	}
	return want, nil
}

// rename replaces every string of v that renamed maps.
func rename(v any, renamed map[string]string) any {
	switch x := v.(type) {
	case string:
		if to, ok := renamed[x]; ok {
			return to
		}
	case map[string]any:
		for k, e := range x {
			x[k] = rename(e, renamed)
		}
	case []any:
		for i, e := range x {
			x[i] = rename(e, renamed)
		}
	}
	return v
}

// sameState fails the test unless the two worlds hold the same state.
func (p *pair) sameState(t *testing.T) {
	t.Helper()
	a, b := p.local.State(), p.remote.State()
	for name := range a {
		if !reflect.DeepEqual(jsonOf(a[name]), rename(jsonOf(b[name]), p.renamed)) {
			t.Errorf("state of %s differs:\nin-process:  %s\nvia sandbox: %s", name, mustJSON(a[name]), mustJSON(b[name]))
		}
	}
}

func jsonOf(v any) any {
	var out any
	_ = json.Unmarshal([]byte(mustJSON(v)), &out)
	return out
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// samples are the inputs of the every-action test, per type and input name
// (as in the world's own catalogue test).
var samples = map[string]map[string]any{
	"okta": {"userId": "00u1jane0001", "groupId": "00g1vpn00001", "profile": map[string]any{"title": "Rep"}, "oauthTokens": true,
		"forgetDevices": true, "sendEmail": false, "search": `profile.department eq "Sales"`, "filter": `status eq "ACTIVE"`, "limit": 10},
	"slack": {"email": "jane.doe@acme.com", "channel": "#it-ops", "text": "hello", "threadTs": "1699999999.000001",
		"userName": "new.hire", "displayName": "New Hire"},
	"google": {"userKey": "jane.doe@acme.com", "groupKey": "vpn@acme.com", "fromUser": "jane.doe@acme.com", "toUser": "bob@acme.com",
		"privacyLevels": []any{"SHARED", "PRIVATE"}, "delegateEmail": "bob@acme.com", "emailAddress": "boss@acme.com",
		"to": "boss@acme.com", "cc": "bob@acme.com", "bcc": "audit@acme.com", "subject": "Jane Doe has left", "body": "Jane's mail now goes to you.",
		"message": "Jane Doe is no longer with the company.", "start": "2024-01-01T00:00:00Z",
		"codeId": int64(123456), "clientId": "1234.apps.googleusercontent.com", "email": "jane.doe@acme.com", "resourceId": "AFiQxQ1",
		"productId": "Google-Apps", "skuId": "1010020020"},
	"microsoft": {"userId": "jane.doe@acme.com", "skuIds": []any{"sku-e3"}, "skuId": "sku-e3", "groupId": "grp-vpn", "disabledPlans": []any{},
		"to": "boss@acme.com", "cc": "bob@acme.com", "bcc": "audit@acme.com", "subject": "Welcome", "body": "<p>Hello</p>", "contentType": "HTML"},
	"servicenow": {"table": "sc_task", "sysId": "set by prepare", "fields": map[string]any{"short_description": "Offboard Jane"}},
	"salesforce": {"username": "jane.doe@acme.com"},
	"github":     {"org": "acme", "username": "jane.doe"},
	"jira":       {"project": "IT", "issueType": "Task", "summary": "Offboard Jane", "description": "Leaver", "fields": map[string]any{"labels": []any{"jml"}}},
	"email":      {"to": "jane.doe@acme.com", "cc": "boss@acme.com", "subject": "Welcome", "body": "Hello Jane,\nwelcome aboard.", "from": "it@acme.com"},
	"http":       {"method": "POST", "path": "/api/users", "query": map[string]any{"a": "b"}, "headers": map[string]any{"X-Trace": "1"}, "body": map[string]any{"x": 1}, "expect": []any{200}},
	"table": {"table": "Members", "rowId": "set by prepare", "row": map[string]any{"User ID": "00u1jane0001", "Days": "30"},
		"where": map[string]any{"Days": map[string]any{"gte": 1}}, "orderBy": "Days", "direction": "desc", "limit": 10, "offset": 0},
}

// prepare sets up what an action needs beyond the seeded users, on both
// worlds of the pair, and may adjust its input.
var prepare = map[string]func(t *testing.T, p *pair, in map[string]any){
	"okta.unsuspendUser": func(t *testing.T, p *pair, in map[string]any) {
		p.local.SeedEvent([]world.User{jane}, "user.lifecycle.suspend", jane.ID)
		p.remote.SeedEvent([]world.User{jane}, "user.lifecycle.suspend", jane.ID)
	},
	"slack.createUser":          func(t *testing.T, p *pair, in map[string]any) { in["email"] = "new.hire@acme.com" },
	"google.listASPs":           googleCredentials,
	"google.deleteASP":          googleCredentials,
	"google.listTokens":         googleCredentials,
	"google.deleteToken":        googleCredentials,
	"google.listMobileDevices":  googleCredentials,
	"google.deleteMobileDevice": googleCredentials,
	"google.listUserLicenses":   googleCredentials,
	"google.unassignLicense":    googleCredentials,
	"servicenow.getRecord": func(t *testing.T, p *pair, in map[string]any) {
		out, _ := p.both(t, effect.Request{Instance: "itsm", Action: "createRecord", Input: map[string]any{"table": "sc_task", "fields": map[string]any{}}})
		in["sysId"] = out["sys_id"]
	},
	"table.getRow": func(t *testing.T, p *pair, in map[string]any) {
		out, _ := p.both(t, effect.Request{Instance: "state", Action: "createRow", Input: map[string]any{"table": "Members", "row": map[string]any{"Days": 3}}, IdempotencyKey: "k"})
		in["rowId"] = out["id"]
	},
	"table.updateRow": func(t *testing.T, p *pair, in map[string]any) {
		out, _ := p.both(t, effect.Request{Instance: "state", Action: "createRow", Input: map[string]any{"table": "Members", "row": map[string]any{"Days": 3}}, IdempotencyKey: "k"})
		in["rowId"] = out["id"]
	},
	"servicenow.updateRecord": func(t *testing.T, p *pair, in map[string]any) {
		out, _ := p.both(t, effect.Request{Instance: "itsm", Action: "createRecord", Input: map[string]any{"table": "sc_task", "fields": map[string]any{}}})
		in["sysId"] = out["sys_id"]
	},
}

// TestEveryActionRoundTrip performs every action of every connector type
// the sandbox serves through its connector against the sandbox, and
// in-process.
func TestEveryActionRoundTrip(t *testing.T) {
	for _, wname := range []string{"seeded", "described"} {
		for _, c := range catalog.All() {
			name, ok := instanceOf[c.Type]
			if !ok {
				continue
			}
			for _, a := range c.Actions {
				t.Run(wname+"/"+c.Type+"."+a.Name, func(t *testing.T) {
					p := newPair(t, worlds[wname])
					in := map[string]any{}
					for _, f := range a.Inputs {
						if v, ok := samples[c.Type][f.Name]; ok {
							in[f.Name] = v
						}
					}
					if f := prepare[c.Type+"."+a.Name]; f != nil {
						f(t, p, in)
					}
					if _, err := p.both(t, effect.Request{Instance: name, Action: a.Name, Input: in, IdempotencyKey: "evt-1/leaver/" + a.Name}); err != nil {
						t.Fatalf("error: %v (code %s)", err, err.Code)
					}
					p.sameState(t)
				})
			}
		}
	}
}
