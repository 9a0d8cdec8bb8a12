package world

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/jml-dev/jml/pkg/catalog"
	"github.com/jml-dev/jml/pkg/clock"
	"github.com/jml-dev/jml/pkg/diag"
	"github.com/jml-dev/jml/pkg/effect"
	"github.com/jml-dev/jml/pkg/table"
)

// instanceOf names the test instance of each connector type.
var instanceOf = map[string]string{
	"activedirectory": "ad",
	"email":           "mail",
	"github":          "gh",
	"google":          "google",
	"http":            "hr",
	"jira":            "jira",
	"microsoft":       "ms",
	"okta":            "okta",
	"salesforce":      "sf",
	"servicenow":      "itsm",
	"slack":           "slack",
	"table":           "state",
}

// testTables are the tables of the test instance of type table.
var testTables = table.Schema{"Members": {Name: "Members", Columns: []table.Column{{Name: "User ID", Type: "string"}, {Name: "Days", Type: "number"}}}}

func allInstances() []Instance {
	var out []Instance
	for _, typ := range catalog.Types() {
		in := Instance{Name: instanceOf[typ], Type: typ}
		if typ == "table" {
			in.Tables = testTables
		}
		out = append(out, in)
	}
	return out
}

var (
	jane = User{ID: "00u1jane0001", Login: "jane.doe@acme.com", DisplayName: "Jane Doe",
		Profile: map[string]any{"department": "Sales", "managerId": "00u1boss0009"}}
	boss = User{ID: "00u1boss0009", Login: "boss@acme.com", DisplayName: "Big Boss"}
	bob  = User{ID: "00u1bob00002", Login: "bob@acme.com", DisplayName: "Bob Smith"}
)

var epoch = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

// seeded returns a world of every connector type, seeded from an event
// naming jane, her manager and bob, on a virtual clock.
func seeded(t *testing.T) (*World, *clock.Virtual) {
	t.Helper()
	clk := clock.NewVirtual(epoch)
	w := New(allInstances(), clk)
	w.SeedEvent([]User{jane, boss, bob}, "user.session.start", "")
	return w, clk
}

// do calls INSTANCE.ACTION with input.
func do(w *World, name string, in map[string]any) (map[string]any, *effect.Error) {
	return doReq(w, effect.Request{Input: in}, name)
}

func doReq(w *World, req effect.Request, name string) (map[string]any, *effect.Error) {
	inst, action, _ := strings.Cut(name, ".")
	req.Instance, req.Action = inst, action
	if req.Attempt == 0 {
		req.Attempt = 1
	}
	out, err := w.Do(context.Background(), req)
	if err == nil {
		return out, nil
	}
	var e *effect.Error
	if !errors.As(err, &e) {
		panic(fmt.Sprintf("%s: error %T is not an *effect.Error", name, err))
	}
	return out, e
}

func mustDo(t *testing.T, w *World, name string, in map[string]any) map[string]any {
	t.Helper()
	out, err := do(w, name, in)
	if err != nil {
		t.Fatalf("%s(%v): %v", name, in, err)
	}
	return out
}

// samples are the inputs the catalogue test passes, per type and input name.
var samples = map[string]map[string]any{
	"okta": {"userId": "00u1jane0001", "groupId": "00g1vpn00001", "profile": map[string]any{"title": "Rep"}, "oauthTokens": true,
		"forgetDevices": true, "sendEmail": false, "search": `profile.department eq "Sales"`, "filter": `status eq "ACTIVE"`, "limit": 10},
	"slack": {"email": "jane.doe@acme.com", "channel": "#it-ops", "text": "hello", "threadTs": "1700000000.000001",
		"userName": "new.hire", "displayName": "New Hire"},
	"google": {"userKey": "jane.doe@acme.com", "groupKey": "vpn@acme.com", "fromUser": "jane.doe@acme.com", "toUser": "bob@acme.com",
		"privacyLevels": []any{"SHARED", "PRIVATE"}, "delegateEmail": "bob@acme.com", "emailAddress": "boss@acme.com",
		"to": "boss@acme.com", "cc": "bob@acme.com", "subject": "Jane Doe has left", "body": "Jane's mail now goes to you.",
		"message": "Jane Doe is no longer with the company.", "start": "2024-01-01T00:00:00Z",
		"codeId": int64(123456), "clientId": "1234.apps.googleusercontent.com", "email": "jane.doe@acme.com", "resourceId": "AFiQxQ1",
		"productId": "Google-Apps", "skuId": "1010020020"},
	"microsoft": {"userId": "jane.doe@acme.com", "skuIds": []any{"sku-e3"}, "skuId": "sku-e3", "groupId": "grp-vpn", "disabledPlans": []any{},
		"to": "boss@acme.com", "subject": "Welcome", "body": "Hello"},
	"servicenow":      {"table": "sc_task", "sysId": "set by prepare", "fields": map[string]any{"short_description": "Offboard Jane"}},
	"salesforce":      {"username": "jane.doe@acme.com"},
	"github":          {"org": "acme", "username": "jane.doe"},
	"jira":            {"project": "IT", "issueType": "Task", "summary": "Offboard Jane", "description": "Leaver", "fields": map[string]any{"labels": []any{"jml"}}},
	"http":            {"method": "POST", "path": "/api/users", "query": map[string]any{"a": "b"}, "headers": map[string]any{"X-Trace": "1"}, "body": map[string]any{"x": 1}, "expect": []any{200}},
	"activedirectory": {"sAMAccountName": "jane.doe", "groupDN": "CN=VPN,OU=Groups,DC=acme,DC=com", "ou": "OU=Leavers,DC=acme,DC=com"},
	"email":           {"to": "it@acme.com", "subject": "Leaver", "body": "Jane left.", "cc": "hr@acme.com", "from": "jml@acme.com"},
	"table": {"table": "Members", "rowId": "set by prepare", "row": map[string]any{"User ID": "00u1jane0001", "Days": 30},
		"where": map[string]any{"Days": map[string]any{"gte": 1}}, "orderBy": "Days", "direction": "desc", "limit": 10, "offset": 0},
}

// prepare sets up what an action needs beyond the seeded users and may
// adjust its input.
var prepare = map[string]func(t *testing.T, w *World, in map[string]any){
	"okta.unsuspendUser": func(t *testing.T, w *World, in map[string]any) {
		w.SeedEvent([]User{jane}, "user.lifecycle.suspend", jane.ID)
	},
	"slack.createUser": func(t *testing.T, w *World, in map[string]any) { in["email"] = "new.hire@acme.com" },
	// Jane holds the ASP, token and device the deletes take away.
	"google.deleteASP":          janeCredentials,
	"google.deleteToken":        janeCredentials,
	"google.deleteMobileDevice": janeCredentials,
	"google.unassignLicense":    janeCredentials,
	"servicenow.getRecord": func(t *testing.T, w *World, in map[string]any) {
		in["sysId"] = mustDo(t, w, "itsm.createRecord", map[string]any{"table": "sc_task", "fields": map[string]any{}})["sys_id"]
	},
	"table.getRow": func(t *testing.T, w *World, in map[string]any) {
		in["rowId"] = mustDo(t, w, "state.createRow", map[string]any{"table": "Members", "row": map[string]any{}})["id"]
	},
	"table.updateRow": func(t *testing.T, w *World, in map[string]any) {
		in["rowId"] = mustDo(t, w, "state.createRow", map[string]any{"table": "Members", "row": map[string]any{}})["id"]
	},
	"servicenow.updateRecord": func(t *testing.T, w *World, in map[string]any) {
		in["sysId"] = mustDo(t, w, "itsm.createRecord", map[string]any{"table": "sc_task", "fields": map[string]any{}})["sys_id"]
	},
}

// described returns a world of every connector type described by
// testdata/acme.yaml: a closed world holding the users of seeded.
func described(t *testing.T) (*World, *clock.Virtual) {
	t.Helper()
	spec, ds := LoadFile("testdata/acme.yaml", "testdata/acme.yaml")
	if len(ds) > 0 {
		t.Fatal(ds)
	}
	clk := clock.NewVirtual(epoch)
	w := New(allInstances(), clk)
	if err := w.Apply(spec); err != nil {
		t.Fatal(err)
	}
	return w, clk
}

// TestEveryCatalogueAction calls every action of the catalogue on a world
// seeded from events and on one described by a world file: each must
// succeed and answer every output the catalogue declares.
func TestEveryCatalogueAction(t *testing.T) {
	worlds := []struct {
		name string
		make func(t *testing.T) (*World, *clock.Virtual)
	}{{"seeded", seeded}, {"described", described}}
	for _, wd := range worlds {
		for _, c := range catalog.All() {
			for _, a := range c.Actions {
				name := c.Type + "." + a.Name
				t.Run(wd.name+"/"+name, func(t *testing.T) {
					w, _ := wd.make(t)
					in := map[string]any{}
					for _, f := range a.Inputs {
						if v, ok := samples[c.Type][f.Name]; ok {
							in[f.Name] = v
						} else if f.Required {
							t.Fatalf("no sample for required input %q", f.Name)
						}
					}
					if p := prepare[name]; p != nil {
						p(t, w, in)
					}
					out, err := do(w, instanceOf[c.Type]+"."+a.Name, in)
					if err != nil {
						t.Fatalf("error: %v (code %s)", err, err.Code)
					}
					for _, o := range a.Outputs {
						if _, ok := out[o.Name]; !ok {
							t.Errorf("output %q missing from %v", o.Name, out)
						}
					}
				})
			}
		}
	}
}

func TestUnknownActionAndInstance(t *testing.T) {
	w, _ := seeded(t)
	tests := []struct {
		name, call string
		status     int
		code       string
	}{
		{"action the type does not have", "okta.frobnicate", 501, "not_implemented"},
		{"instance jml.yaml does not define", "nowhere.getUser", 0, "unknown_instance"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := do(w, tt.call, map[string]any{"userId": "x"})
			if err == nil || err.Status != tt.status || err.Code != tt.code || err.Retryable {
				t.Fatalf("got %#v, want status %d code %s, not retryable", err, tt.status, tt.code)
			}
		})
	}
}

func TestUnknownUserIs404(t *testing.T) {
	tests := []struct {
		call string
		in   map[string]any
		msg  string
	}{
		{"okta.getUser", map[string]any{"userId": "nobody@acme.com"}, "Not found: Resource not found: nobody@acme.com (User)"},
		{"okta.deactivateUser", map[string]any{"userId": "00u0nobody"}, "(User)"},
		{"slack.lookupUserByEmail", map[string]any{"email": "nobody@acme.com"}, "users_not_found"},
		{"slack.deactivateUser", map[string]any{"email": "nobody@acme.com"}, "users_not_found"},
		{"google.suspendUser", map[string]any{"userKey": "nobody@acme.com"}, "Resource Not Found: userKey"},
		{"google.transferDrive", map[string]any{"fromUser": "jane.doe@acme.com", "toUser": "nobody@acme.com"}, "Resource Not Found"},
		{"ms.disableUser", map[string]any{"userId": "nobody@acme.com"}, "does not exist"},
		{"sf.freezeUser", map[string]any{"username": "nobody@acme.com"}, "NOT_FOUND"},
		{"gh.getOrgMembership", map[string]any{"org": "acme", "username": "nobody"}, "Not Found"},
		{"ad.disableAccount", map[string]any{"sAMAccountName": "nobody"}, "no user"},
		{"itsm.getRecord", map[string]any{"table": "incident", "sysId": "0123456789abcdef0123456789abcdef"}, "No Record found"},
		{"itsm.updateRecord", map[string]any{"table": "incident", "sysId": "0123456789abcdef0123456789abcdef", "fields": map[string]any{}}, "No Record found"},
	}
	for _, tt := range tests {
		t.Run(tt.call, func(t *testing.T) {
			w, _ := seeded(t)
			_, err := do(w, tt.call, tt.in)
			if err == nil || err.Status != 404 || err.Code != "not_found" || err.Retryable {
				t.Fatalf("got %#v, want a non-retryable 404", err)
			}
			if !strings.Contains(err.Message, tt.msg) {
				t.Errorf("message %q does not contain %q", err.Message, tt.msg)
			}
		})
	}
}

func TestBadInputIs400(t *testing.T) {
	tests := []struct {
		name, call string
		in         map[string]any
		msg        string
	}{
		{"missing required input", "okta.getUser", map[string]any{}, `missing required input "userId"`},
		{"empty required string", "slack.deactivateUser", map[string]any{"email": " "}, `"email" must not be empty`},
		{"wrong type", "okta.getUser", map[string]any{"userId": 42}, `"userId" must be a string, not a number`},
		{"object expected", "itsm.createRecord", map[string]any{"table": "incident", "fields": "x"}, `"fields" must be an object`},
		{"bad table", "itsm.createRecord", map[string]any{"table": "Inc Ident", "fields": map[string]any{}}, "Invalid table"},
		{"bad search", "okta.listUsers", map[string]any{"search": `profile.department eq`}, "Invalid search criteria"},
		{"bad address", "mail.send", map[string]any{"to": "not-an-address", "subject": "s", "body": "b"}, "Bad recipient address"},
		{"bad method", "hr.request", map[string]any{"method": "FETCH", "path": "/x"}, "unsupported HTTP method"},
		{"suspend a suspended user", "okta.suspendUser", map[string]any{"userId": "00u1boss0009"}, "not active"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, _ := seeded(t)
			w.SeedEvent(nil, "user.lifecycle.suspend", boss.ID)
			_, err := do(w, tt.call, tt.in)
			if err == nil || err.Status != 400 || err.Code != "invalid_input" || err.Retryable {
				t.Fatalf("got %#v, want a non-retryable 400", err)
			}
			if !strings.Contains(err.Message, tt.msg) {
				t.Errorf("message %q does not contain %q", err.Message, tt.msg)
			}
		})
	}
}

func TestIdempotentWrites(t *testing.T) {
	tests := []struct {
		call  string
		in    map[string]any
		check func(t *testing.T, w *World)
	}{
		{"okta.deactivateUser", map[string]any{"userId": "jane.doe@acme.com"}, func(t *testing.T, w *World) {
			if got := mustDo(t, w, "okta.getUser", map[string]any{"userId": jane.ID})["status"]; got != "DEPROVISIONED" {
				t.Errorf("status %v", got)
			}
		}},
		{"okta.clearUserSessions", map[string]any{"userId": jane.ID}, nil},
		{"okta.addUserToGroup", map[string]any{"userId": jane.ID, "groupId": "00g1"}, func(t *testing.T, w *World) {
			if got := mustDo(t, w, "okta.listUserGroups", map[string]any{"userId": jane.ID})["groups"].([]any); len(got) != 1 {
				t.Errorf("groups %v", got)
			}
		}},
		{"slack.deactivateUser", map[string]any{"email": "Jane.Doe@ACME.com"}, func(t *testing.T, w *World) {
			if got := mustDo(t, w, "slack.lookupUserByEmail", map[string]any{"email": "jane.doe@acme.com"})["active"]; got != false {
				t.Errorf("active %v", got)
			}
		}},
		{"google.suspendUser", map[string]any{"userKey": "jane.doe@acme.com"}, nil},
		{"ms.disableUser", map[string]any{"userId": jane.ID}, nil},
		{"ms.removeLicenses", map[string]any{"userId": jane.ID}, nil},
		{"sf.deactivateUser", map[string]any{"username": "jane.doe@acme.com"}, nil},
		{"gh.removeOrgMember", map[string]any{"org": "acme", "username": "jane.doe"}, func(t *testing.T, w *World) {
			if _, err := do(w, "gh.getOrgMembership", map[string]any{"org": "acme", "username": "jane.doe"}); err == nil || err.Status != 404 {
				t.Errorf("membership after removal: %v", err)
			}
		}},
		{"ad.disableAccount", map[string]any{"sAMAccountName": "jane.doe"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.call, func(t *testing.T) {
			w, _ := seeded(t)
			mustDo(t, w, tt.call, tt.in)
			mustDo(t, w, tt.call, tt.in)
			if tt.check != nil {
				tt.check(t, w)
			}
		})
	}
}

func TestServiceNowRecords(t *testing.T) {
	w, clk := seeded(t)
	req := effect.Request{Input: map[string]any{"table": "sc_task", "fields": map[string]any{"short_description": "Offboard"}}}
	first, err := doReq(w, req, "itsm.createRecord")
	if err != nil {
		t.Fatal(err)
	}
	req.IdempotencyKey = "evt-1/leaver/ticket"
	second, err := doReq(w, req, "itsm.createRecord")
	if err != nil {
		t.Fatal(err)
	}
	inc := mustDo(t, w, "itsm.createRecord", map[string]any{"table": "incident", "fields": map[string]any{}})
	other := mustDo(t, w, "itsm.createRecord", map[string]any{"table": "u_offboarding", "fields": map[string]any{}})
	for _, tt := range []struct {
		name string
		got  any
		want string
	}{
		// Without an idempotency key, a counter; with one, derived from it.
		{"first number", first["number"], "SCTASK0010001"},
		{"second number", second["number"], "SCTASK6917746"},
		{"incident number", inc["number"], "INC0010001"},
		{"other table number", other["number"], "REC0010001"},
	} {
		if tt.got != tt.want {
			t.Errorf("%s: got %v, want %s", tt.name, tt.got, tt.want)
		}
	}
	if first["sys_id"] == second["sys_id"] {
		t.Errorf("two creates gave the same sys_id %v", first["sys_id"])
	}
	for _, id := range []any{first["sys_id"], second["sys_id"]} {
		s, _ := id.(string)
		if len(s) != 32 || strings.Trim(s, "0123456789abcdef") != "" {
			t.Errorf("sys_id %q is not 32 lower-case hex digits", s)
		}
	}
	if n := len(w.Records("itsm", "sc_task", nil)); n != 2 {
		t.Errorf("sc_task holds %d records, want 2", n)
	}
	got := w.Records("itsm", "sc_task", map[string]string{"correlation_id": "evt-1/leaver/ticket"})
	if len(got) != 1 || got[0]["number"] != "SCTASK6917746" {
		t.Errorf("lookup by correlation_id: %v", got)
	}

	clk.Sleep(context.Background(), time.Hour)
	mustDo(t, w, "itsm.updateRecord", map[string]any{"table": "sc_task", "sysId": first["sys_id"], "fields": map[string]any{"state": "3", "sys_id": "forged"}})
	rec := mustDo(t, w, "itsm.getRecord", map[string]any{"table": "sc_task", "sysId": first["sys_id"]})
	fields := rec["fields"].(map[string]any)
	if fields["state"] != "3" || fields["short_description"] != "Offboard" || fields["sys_id"] != first["sys_id"] {
		t.Errorf("fields after update: %v", fields)
	}
	if fields["sys_created_on"] != "2024-01-01 00:00:00" || fields["sys_updated_on"] != "2024-01-01 01:00:00" {
		t.Errorf("timestamps: %v / %v", fields["sys_created_on"], fields["sys_updated_on"])
	}
	if _, err := do(w, "itsm.getRecord", map[string]any{"table": "incident", "sysId": first["sys_id"]}); err == nil || err.Status != 404 {
		t.Errorf("record looked up in the wrong table: %v", err)
	}
}

// TestDeterministicIDs covers calls without an idempotency key (do sends
// none), which fall back to counters; ids_test.go covers keyed calls.
func TestDeterministicIDs(t *testing.T) {
	w, _ := seeded(t)
	tests := []struct {
		call string
		in   map[string]any
		key  string
		want []string
	}{
		{"slack.postMessage", map[string]any{"channel": "#a", "text": "x"}, "ts", []string{"1700000000.000001", "1700000000.000002"}},
		{"jira.createIssue", map[string]any{"project": "it", "issueType": "Task", "summary": "s"}, "key", []string{"IT-1", "IT-2"}},
		{"gh.getOrgMembership", map[string]any{"org": "any-org", "username": "bob"}, "state", []string{"active", "active"}},
	}
	for _, tt := range tests {
		t.Run(tt.call, func(t *testing.T) {
			for i, want := range tt.want {
				if got := mustDo(t, w, tt.call, tt.in)[tt.key]; got != want {
					t.Errorf("call %d: %s = %v, want %s", i+1, tt.key, got, want)
				}
			}
		})
	}
	if got := mustDo(t, w, "jira.createIssue", map[string]any{"project": "HR", "issueType": "Task", "summary": "s"})["key"]; got != "HR-1" {
		t.Errorf("jira numbers per project: got %v", got)
	}
	if _, err := do(w, "slack.createUser", map[string]any{"email": "JANE.DOE@acme.com", "userName": "jd", "displayName": "J"}); err == nil || err.Status != 409 {
		t.Errorf("createUser of an existing email: %v, want 409", err)
	}
	// A user's id derives from the email, however many users came before.
	if got := mustDo(t, w, "slack.createUser", map[string]any{"email": "new@acme.com", "userName": "new", "displayName": "New"})["id"]; got != "UFDHS9FOL3U" {
		t.Errorf("createUser id %v, want UFDHS9FOL3U", got)
	}
}

func TestOktaModel(t *testing.T) {
	w, _ := seeded(t)
	tests := []struct {
		name, call string
		in         map[string]any
		check      func(t *testing.T, out map[string]any, err *effect.Error)
	}{
		{"get by login is case-insensitive", "okta.getUser", map[string]any{"userId": "JANE.DOE@acme.com"}, func(t *testing.T, out map[string]any, err *effect.Error) {
			if err != nil || out["id"] != jane.ID {
				t.Errorf("%v %v", out, err)
			}
		}},
		{"get by login short name", "okta.getUser", map[string]any{"userId": "jane.doe"}, func(t *testing.T, out map[string]any, err *effect.Error) {
			if err != nil || out["id"] != jane.ID {
				t.Errorf("%v %v", out, err)
			}
		}},
		{"seeded profile", "okta.getUser", map[string]any{"userId": jane.ID}, func(t *testing.T, out map[string]any, err *effect.Error) {
			p := out["profile"].(map[string]any)
			if p["login"] != "jane.doe@acme.com" || p["email"] != "jane.doe@acme.com" || p["firstName"] != "Jane" || p["lastName"] != "Doe" || p["department"] != "Sales" {
				t.Errorf("profile %v", p)
			}
		}},
		{"manager", "okta.getManager", map[string]any{"userId": jane.ID}, func(t *testing.T, out map[string]any, err *effect.Error) {
			if err != nil || out["id"] != boss.ID {
				t.Errorf("%v %v", out, err)
			}
		}},
		{"no manager", "okta.getManager", map[string]any{"userId": bob.ID}, func(t *testing.T, out map[string]any, err *effect.Error) {
			if err == nil || err.Status != 404 {
				t.Errorf("%v %v", out, err)
			}
		}},
		{"filter by department", "okta.listUsers", map[string]any{"search": `profile.department eq "sales"`}, func(t *testing.T, out map[string]any, err *effect.Error) {
			if us := out["users"].([]any); len(us) != 1 || us[0].(map[string]any)["id"] != jane.ID {
				t.Errorf("%v %v", out, err)
			}
		}},
		{"filter with or", "okta.listUsers", map[string]any{"filter": `profile.login eq "bob@acme.com" or profile.login sw "boss"`}, func(t *testing.T, out map[string]any, err *effect.Error) {
			us := out["users"].([]any)
			if len(us) != 2 || us[0].(map[string]any)["id"] != bob.ID || us[1].(map[string]any)["id"] != boss.ID {
				t.Errorf("%v %v", out, err)
			}
		}},
		{"list all sorted by id with a limit", "okta.listUsers", map[string]any{"limit": 2}, func(t *testing.T, out map[string]any, err *effect.Error) {
			us := out["users"].([]any)
			if len(us) != 2 || us[0].(map[string]any)["id"] != bob.ID || us[1].(map[string]any)["id"] != boss.ID {
				t.Errorf("%v %v", out, err)
			}
		}},
		{"update merges the profile", "okta.updateUserProfile", map[string]any{"userId": jane.ID, "profile": map[string]any{"department": "Engineering"}}, func(t *testing.T, out map[string]any, err *effect.Error) {
			p := out["profile"].(map[string]any)
			if p["department"] != "Engineering" || p["firstName"] != "Jane" {
				t.Errorf("%v %v", out, err)
			}
		}},
		{"login taken", "okta.updateUserProfile", map[string]any{"userId": jane.ID, "profile": map[string]any{"login": "BOB@acme.com"}}, func(t *testing.T, out map[string]any, err *effect.Error) {
			if err == nil || err.Status != 400 {
				t.Errorf("%v %v", out, err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := do(w.Clone(), tt.call, tt.in)
			tt.check(t, out, err)
		})
	}
}

func TestOktaLifecycle(t *testing.T) {
	w, _ := seeded(t)
	steps := []struct {
		call   string
		status int // 0: success
		want   string
	}{
		{"okta.suspendUser", 0, "SUSPENDED"},
		{"okta.suspendUser", 400, "SUSPENDED"},
		{"okta.unsuspendUser", 0, "ACTIVE"},
		{"okta.unsuspendUser", 400, "ACTIVE"},
		{"okta.deactivateUser", 0, "DEPROVISIONED"},
		{"okta.clearUserSessions", 0, "DEPROVISIONED"},
		{"okta.deactivateUser", 0, "DEPROVISIONED"},
		{"okta.suspendUser", 400, "DEPROVISIONED"},
	}
	for i, s := range steps {
		_, err := do(w, s.call, map[string]any{"userId": jane.ID})
		if (s.status == 0) != (err == nil) || (err != nil && err.Status != s.status) {
			t.Fatalf("step %d %s: got %v, want status %d", i+1, s.call, err, s.status)
		}
		if got := mustDo(t, w, "okta.getUser", map[string]any{"userId": jane.ID})["status"]; got != s.want {
			t.Fatalf("step %d %s: status %v, want %s", i+1, s.call, got, s.want)
		}
	}
}

// TestOktaDeleteUser: Okta's DELETE /users/{id} deactivates a user that
// is not DEPROVISIONED and deletes one that is; a deleted user is gone
// (404 by id and by login) and an event naming them again does not bring
// them back, in an eager world as in a lazy one.
func TestOktaDeleteUser(t *testing.T) {
	for _, eager := range []bool{false, true} {
		t.Run(fmt.Sprintf("eager=%v", eager), func(t *testing.T) {
			w, _ := seeded(t)
			if eager {
				w.SeedEagerly()
			}
			before := w.Clone()
			in := map[string]any{"userId": bob.ID}
			mustDo(t, w, "okta.deleteUser", in)
			if got := mustDo(t, w, "okta.getUser", in)["status"]; got != "DEPROVISIONED" {
				t.Fatalf("first delete of an active user: status %v, want DEPROVISIONED", got)
			}
			mustDo(t, w, "okta.deleteUser", map[string]any{"userId": bob.ID, "sendEmail": true})
			for _, key := range []string{bob.ID, bob.Login, "bob"} {
				if _, err := do(w, "okta.getUser", map[string]any{"userId": key}); err == nil || err.Status != 404 {
					t.Errorf("getUser %s after the second delete: %v, want 404", key, err)
				}
			}
			if _, err := do(w, "okta.deleteUser", in); err == nil || err.Status != 404 {
				t.Errorf("a third delete: %v, want 404", err)
			}
			w.SeedEvent([]User{bob}, "user.session.start", bob.ID)
			if _, err := do(w, "okta.getUser", in); err == nil || err.Status != 404 {
				t.Errorf("an event naming the deleted user brought them back: %v", err)
			}
			if us := mustDo(t, w, "okta.listUsers", map[string]any{"search": `status eq "DEPROVISIONED"`})["users"].([]any); len(us) != 0 {
				t.Errorf("listUsers finds a deleted user: %v", us)
			}
			if got := mustDo(t, before, "okta.getUser", in)["status"]; got != "ACTIVE" {
				t.Errorf("a clone taken before the deletes: status %v, want ACTIVE", got)
			}
		})
	}
}

func TestOutputsAreCopies(t *testing.T) {
	w, _ := seeded(t)
	out := mustDo(t, w, "okta.getUser", map[string]any{"userId": jane.ID})
	out["profile"].(map[string]any)["department"] = "Hacked"
	in := map[string]any{"table": "incident", "fields": map[string]any{"a": "1"}}
	rec := mustDo(t, w, "itsm.createRecord", in)
	in["fields"].(map[string]any)["a"] = "changed"
	if got := mustDo(t, w, "okta.getUser", map[string]any{"userId": jane.ID})["profile"].(map[string]any)["department"]; got != "Sales" {
		t.Errorf("an output aliases the state: department %v", got)
	}
	if got := mustDo(t, w, "itsm.getRecord", map[string]any{"table": "incident", "sysId": rec["sys_id"]})["fields"].(map[string]any)["a"]; got != "1" {
		t.Errorf("an input aliases the state: a = %v", got)
	}
}

func TestHTTPResponses(t *testing.T) {
	w := New([]Instance{{Name: "hr", Type: "http"}}, nil)
	spec, ds := Decode(map[string]any{"hr": map[string]any{"responses": []any{
		map[string]any{"method": "GET", "path": "/employees/*", "body": map[string]any{"id": "e1"}, "headers": map[string]any{"x-total": "1"}},
		map[string]any{"method": "DELETE", "path": "/employees/*", "status": 409, "body": map[string]any{"message": "employee is locked"}},
		map[string]any{"path": "/busy", "status": 503, "headers": map[string]any{"Retry-After": "7"}},
	}}}, diagAt)
	if ds.HasErrors() {
		t.Fatal(ds)
	}
	if err := w.Apply(spec); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		in      map[string]any
		status  int
		errCode string
		check   func(t *testing.T, out map[string]any, err *effect.Error)
	}{
		{"canned body", map[string]any{"method": "get", "path": "employees/42"}, 200, "", func(t *testing.T, out map[string]any, err *effect.Error) {
			if out["body"].(map[string]any)["id"] != "e1" || out["headers"].(map[string]any)["X-Total"] != "1" {
				t.Errorf("%v", out)
			}
		}},
		{"default answer", map[string]any{"method": "POST", "path": "/other"}, 200, "", func(t *testing.T, out map[string]any, err *effect.Error) {
			if b, ok := out["body"].(map[string]any); !ok || len(b) != 0 {
				t.Errorf("%v", out)
			}
		}},
		{"canned failure", map[string]any{"method": "DELETE", "path": "/employees/42"}, 409, "conflict", func(t *testing.T, out map[string]any, err *effect.Error) {
			if err.Message != "employee is locked" {
				t.Errorf("%v", err.Message)
			}
		}},
		{"failure expected", map[string]any{"method": "DELETE", "path": "/employees/42", "expect": []any{409}}, 409, "", nil},
		{"retry-after", map[string]any{"method": "GET", "path": "/busy"}, 503, "server_error", func(t *testing.T, out map[string]any, err *effect.Error) {
			if !err.Retryable || err.RetryAfter != 7*time.Second {
				t.Errorf("%#v", err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := do(w, "hr.request", tt.in)
			switch {
			case tt.errCode != "" && (err == nil || err.Status != tt.status || err.Code != tt.errCode):
				t.Fatalf("got %v %v, want error %d %s", out, err, tt.status, tt.errCode)
			case tt.errCode == "" && (err != nil || out["status"] != int64(tt.status)):
				t.Fatalf("got %v %v, want status %d", out, err, tt.status)
			}
			if tt.check != nil {
				tt.check(t, out, err)
			}
		})
	}
}

func TestOtherModels(t *testing.T) {
	tests := []struct {
		name  string
		calls []string // INSTANCE.ACTION applied in order with the sample inputs
		check func(t *testing.T, w *World)
	}{
		{"google transfer moves drive files", nil, func(t *testing.T, w *World) {
			spec, _ := Decode(map[string]any{"google": map[string]any{"users": []any{
				map[string]any{"primaryEmail": "jane.doe@acme.com", "driveFiles": 12},
				map[string]any{"primaryEmail": "bob@acme.com", "aliases": []any{"robert@acme.com"}},
				map[string]any{"primaryEmail": "gone@acme.com", "suspended": true},
			}}}, diagAt)
			if err := w.Apply(spec); err != nil {
				t.Fatal(err)
			}
			out := mustDo(t, w, "google.transferDrive", map[string]any{"fromUser": "jane.doe@acme.com", "toUser": "robert@acme.com"})
			if out["transferId"] == "" || out["status"] != "completed" {
				t.Errorf("%v", out)
			}
			users := w.State()["google"].(map[string]any)["users"].([]any)
			if users[0].(map[string]any)["driveFiles"] != int64(12) || users[2].(map[string]any)["driveFiles"] != int64(0) {
				t.Errorf("%v", users)
			}
			if _, err := do(w, "google.transferDrive", map[string]any{"fromUser": "bob@acme.com", "toUser": "gone@acme.com"}); err == nil || err.Status != 400 {
				t.Errorf("transfer to a suspended user: %v", err)
			}
		}},
		{"google transfer moves calendar events", nil, func(t *testing.T, w *World) {
			spec, _ := Decode(map[string]any{"google": map[string]any{"users": []any{
				map[string]any{"primaryEmail": "jane.doe@acme.com", "calendarEvents": 5, "driveFiles": 3},
				map[string]any{"primaryEmail": "bob@acme.com"},
			}}}, diagAt)
			if err := w.Apply(spec); err != nil {
				t.Fatal(err)
			}
			out := mustDo(t, w, "google.transferCalendar", map[string]any{"fromUser": "jane.doe@acme.com", "toUser": "bob@acme.com"})
			if out["transferId"] == "" || out["status"] != "completed" {
				t.Errorf("%v", out)
			}
			st := w.State()["google"].(map[string]any)
			users := st["users"].([]any)
			bob, jane := users[0].(map[string]any), users[1].(map[string]any)
			if bob["calendarEvents"] != int64(5) || jane["calendarEvents"] != nil || jane["driveFiles"] != int64(3) {
				t.Errorf("%v", users)
			}
			if tr := st["transfers"].([]any); len(tr) != 1 || tr[0].(map[string]any)["events"] != int64(5) {
				t.Errorf("transfers %v", tr)
			}
			if _, err := do(w, "google.transferCalendar", map[string]any{"fromUser": "jane.doe@acme.com", "toUser": "nobody@acme.com"}); err == nil || err.Status != 404 {
				t.Errorf("transfer to an unknown user: %v", err)
			}
		}},
		{"microsoft licences", []string{"ms.assignLicense"}, func(t *testing.T, w *World) {
			mustDo(t, w, "ms.assignLicense", map[string]any{"userId": jane.ID, "skuId": "sku-e5"})
			mustDo(t, w, "ms.removeLicenses", map[string]any{"userId": jane.ID, "skuIds": []any{"SKU-E3"}})
			u := w.State()["ms"].(map[string]any)["users"].([]any)[2].(map[string]any)
			if u["id"] != jane.ID || fmt.Sprint(u["licenses"]) != "[sku-e5]" {
				t.Errorf("%v", u)
			}
			mustDo(t, w, "ms.removeLicenses", map[string]any{"userId": jane.ID})
			u = w.State()["ms"].(map[string]any)["users"].([]any)[2].(map[string]any)
			if len(u["licenses"].([]any)) != 0 {
				t.Errorf("%v", u)
			}
		}},
		{"microsoft enable, skus and mail", []string{"ms.enableUser", "ms.listSubscribedSkus", "ms.sendMail"}, func(t *testing.T, _ *World) {
			w, _ := described(t)
			// bob is disabled in testdata/acme.yaml; enabling twice is one state.
			for range 2 {
				mustDo(t, w, "ms.enableUser", map[string]any{"userId": "bob@acme.com"})
			}
			if out := mustDo(t, w, "ms.getUser", map[string]any{"userId": "bob@acme.com"}); out["accountEnabled"] != true {
				t.Errorf("bob after enableUser: %v", out)
			}
			if _, err := do(w, "ms.enableUser", map[string]any{"userId": "nobody@acme.com"}); err == nil || err.Status != 404 {
				t.Errorf("enabling an unknown user: %v", err)
			}
			// jane: sku-e3 directly and through grp-m365, sku-ems through it.
			want := []any{
				map[string]any{"skuId": "sku-e3", "assignedByGroup": nil, "state": "Active"},
				map[string]any{"skuId": "sku-e3", "assignedByGroup": "grp-m365", "state": "Active"},
				map[string]any{"skuId": "sku-ems", "assignedByGroup": "grp-m365", "state": "Active"},
			}
			if out := mustDo(t, w, "ms.getUser", map[string]any{"userId": "jane.doe@acme.com"}); !reflect.DeepEqual(out["licenseAssignmentStates"], want) {
				t.Errorf("jane's licenseAssignmentStates: %v, want %v", out["licenseAssignmentStates"], want)
			}
			// No skus listed: the SKUs held, jane consuming one of each.
			skus := mustDo(t, w, "ms.listSubscribedSkus", map[string]any{})["skus"].([]any)
			if len(skus) != 2 || skus[0].(map[string]any)["skuId"] != "sku-e3" || skus[1].(map[string]any)["consumedUnits"] != int64(1) {
				t.Errorf("skus held: %v", skus)
			}
			if _, ok := w.State()["ms"].(map[string]any)["skus"]; ok {
				t.Errorf("a world listing no skus shows some")
			}
			mustDo(t, w, "ms.sendMail", map[string]any{"userId": "jane.doe@acme.com", "to": "boss@acme.com, bob@acme.com", "bcc": "audit@acme.com", "subject": "Hi", "body": "<p>Hello</p>", "contentType": "html"})
			mustDo(t, w, "ms.sendMail", map[string]any{"userId": "jane.doe@acme.com", "to": "boss@acme.com", "subject": "Hi", "body": "Hello"})
			msgs := w.State()["ms"].(map[string]any)["messages"].([]any)
			first := map[string]any{"from": "jane.doe@acme.com", "to": "boss@acme.com, bob@acme.com", "bcc": "audit@acme.com", "subject": "Hi", "body": "<p>Hello</p>", "contentType": "HTML"}
			if len(msgs) != 2 || !reflect.DeepEqual(msgs[0], first) || msgs[1].(map[string]any)["contentType"] != "Text" {
				t.Errorf("sent mail (not idempotent: two messages): %v", msgs)
			}
			for _, bad := range []map[string]any{
				{"userId": "nobody@acme.com", "to": "boss@acme.com", "subject": "Hi", "body": "x"},
				{"userId": "jane.doe@acme.com", "to": "not an address", "subject": "Hi", "body": "x"},
				{"userId": "jane.doe@acme.com", "to": "boss@acme.com", "cc": "boss", "subject": "Hi", "body": "x"},
				{"userId": "jane.doe@acme.com", "to": "boss@acme.com", "bcc": "audit", "subject": "Hi", "body": "x"},
			} {
				if _, err := do(w, "ms.sendMail", bad); err == nil || (err.Status != 400 && err.Status != 404) {
					t.Errorf("sendMail(%v): %v", bad, err)
				}
			}
			// A world listing skus: assignLicense refuses another one.
			spec, ds := Decode(map[string]any{"ms": map[string]any{
				"users": []any{map[string]any{"userPrincipalName": "ann@acme.com", "licenses": []any{"sku-e3"}}},
				"skus":  []any{map[string]any{"skuId": "sku-e3", "skuPartNumber": "ENTERPRISEPACK", "units": 25}},
			}}, diag.Range{})
			if len(ds) > 0 {
				t.Fatal(ds)
			}
			w2 := New([]Instance{{Name: "ms", Type: "microsoft"}}, clock.NewVirtual(epoch))
			if err := w2.Apply(spec); err != nil {
				t.Fatal(err)
			}
			sku := mustDo(t, w2, "ms.listSubscribedSkus", map[string]any{})["skus"].([]any)[0].(map[string]any)
			if sku["skuPartNumber"] != "ENTERPRISEPACK" || sku["consumedUnits"] != int64(1) || sku["prepaidUnits"].(map[string]any)["enabled"] != int64(25) {
				t.Errorf("listed sku: %v", sku)
			}
			if _, err := do(w2, "ms.assignLicense", map[string]any{"userId": "ann@acme.com", "skuId": "sku-visio"}); err == nil || err.Status != 400 {
				t.Errorf("assigning a SKU the organisation lacks: %v", err)
			}
		}},
		{"microsoft inherited licences", nil, func(t *testing.T, _ *World) {
			// testdata/acme.yaml: jane holds sku-e3 directly and through
			// grp-m365, and sku-ems through grp-m365 only.
			w, _ := described(t)
			inh := func(sku string) map[string]any { return map[string]any{"skuId": sku, "groupId": "grp-m365"} }
			out := mustDo(t, w, "ms.removeLicenses", map[string]any{"userId": "jane.doe@acme.com", "skuIds": []any{"SKU-EMS", "sku-visio"}})
			if want := map[string]any{"removed": []any{}, "inherited": []any{inh("sku-ems")}}; !reflect.DeepEqual(out, want) {
				t.Errorf("removing an inherited SKU: %v, want %v", out, want)
			}
			out = mustDo(t, w, "ms.removeLicenses", map[string]any{"userId": "jane.doe@acme.com"})
			if want := map[string]any{"removed": []any{"sku-e3"}, "inherited": []any{inh("sku-e3"), inh("sku-ems")}}; !reflect.DeepEqual(out, want) {
				t.Errorf("removing all: %v, want %v", out, want)
			}
			st := w.State()["ms"].(map[string]any)
			if u := st["users"].([]any)[0].(map[string]any); u["id"] != "00u1jane0001" || len(u["licenses"].([]any)) != 0 {
				t.Errorf("jane keeps direct licences: %v", u)
			}
			if g := st["groups"].([]any)[0].(map[string]any); g["id"] != "grp-m365" || fmt.Sprint(g["licenses"]) != "[sku-e3 sku-ems]" {
				t.Errorf("the group's licences: %v", g)
			}
			// Out of the group, nothing is inherited any more.
			mustDo(t, w, "ms.removeFromGroup", map[string]any{"userId": "jane.doe@acme.com", "groupId": "grp-m365"})
			out = mustDo(t, w, "ms.removeLicenses", map[string]any{"userId": "jane.doe@acme.com"})
			if want := map[string]any{"removed": []any{}, "inherited": []any{}}; !reflect.DeepEqual(out, want) {
				t.Errorf("after leaving the group: %v, want %v", out, want)
			}
		}},
		{"active directory move and groups", []string{"ad.addToGroup", "ad.moveToOU", "ad.disableAccount"}, func(t *testing.T, w *World) {
			out := mustDo(t, w, "ad.getUser", map[string]any{"sAMAccountName": "JANE.DOE"})
			if out["dn"] != "CN=Jane Doe,OU=Leavers,DC=acme,DC=com" || out["disabled"] != true || out["userAccountControl"] != int64(514) ||
				fmt.Sprint(out["groups"]) != "[CN=VPN,OU=Groups,DC=acme,DC=com]" {
				t.Errorf("%v", out)
			}
		}},
		{"salesforce freeze and deactivate", []string{"sf.freezeUser", "sf.deactivateUser"}, func(t *testing.T, w *World) {
			out := mustDo(t, w, "sf.getUser", map[string]any{"username": "JANE.DOE@acme.com"})
			if out["frozen"] != true || out["isActive"] != false || len(out["id"].(string)) != 15 {
				t.Errorf("%v", out)
			}
		}},
		{"email outbox", []string{"mail.send", "mail.send"}, func(t *testing.T, w *World) {
			box := w.State()["mail"].(map[string]any)["outbox"].([]any)
			if len(box) != 2 || box[1].(map[string]any)["messageId"] != "<000002.jml@world.invalid>" {
				t.Errorf("%v", box)
			}
		}},
		{"slack channel invite", []string{"slack.inviteToChannel", "slack.inviteToChannel"}, func(t *testing.T, w *World) {
			ch := w.State()["slack"].(map[string]any)["channels"].(map[string]any)["#it-ops"].([]any)
			if len(ch) != 1 {
				t.Errorf("%v", ch)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, _ := seeded(t)
			for _, c := range tt.calls {
				inst, action, _ := strings.Cut(c, ".")
				typ := ""
				for ty, name := range instanceOf {
					if name == inst {
						typ = ty
					}
				}
				a, _ := catalogAction(typ, action)
				in := map[string]any{}
				for _, f := range a.Inputs {
					if v, ok := samples[typ][f.Name]; ok {
						in[f.Name] = v
					}
				}
				mustDo(t, w, c, in)
			}
			tt.check(t, w)
		})
	}
}

func TestConcurrentUse(t *testing.T) {
	w, _ := seeded(t)
	done := make(chan struct{})
	for i := 0; i < 8; i++ {
		go func() {
			defer func() { done <- struct{}{} }()
			for j := 0; j < 50; j++ {
				do(w, "itsm.createRecord", map[string]any{"table": "incident", "fields": map[string]any{}})
				do(w, "okta.getUser", map[string]any{"userId": jane.ID})
				w.State()
				w.Clone()
			}
		}()
	}
	for i := 0; i < 8; i++ {
		<-done
	}
	if n := len(w.Records("itsm", "incident", nil)); n != 400 {
		t.Errorf("%d records, want 400", n)
	}
}

// TestInstanceState: one instance's state is exactly its entry in State,
// after writes; an instance the world does not have has none.
func TestInstanceState(t *testing.T) {
	w, _ := seeded(t)
	mustDo(t, w, "google.suspendUser", map[string]any{"userKey": samples["google"]["userKey"]})
	// Each instance's state is read before State: the users seeded but
	// not yet taken in by an instance (lazy seeding) are in it all the same.
	got := map[string]map[string]any{}
	for _, in := range w.Instances() {
		got[in.Name] = w.InstanceState(in.Name)
	}
	all := w.State()
	if len(all) == 0 {
		t.Fatal("the seeded world has no instances")
	}
	for name, want := range all {
		if got := got[name]; !reflect.DeepEqual(got, want) {
			t.Errorf("InstanceState(%q) = %v\nwant State()[%q] = %v", name, got, name, want)
		}
	}
	if got := w.InstanceState("nowhere"); got != nil {
		t.Errorf("InstanceState of an unknown instance = %v, want nil", got)
	}
}

// scanRecords is Records by a scan of every record: what the index must
// answer.
func scanRecords(w *World, instance, table string, where map[string]string) []map[string]any {
	var out []map[string]any
	for _, r := range w.Records(instance, table, nil) {
		fields := r["fields"].(map[string]any)
		match := true
		for k, v := range where {
			match = match && fields[k] != nil && fmt.Sprint(fields[k]) == v
		}
		if match {
			out = append(out, r)
		}
	}
	return out
}

// TestRecordsIndex: a query by a field answers as a scan does, before and
// after the writes that move records between values (an update changing
// the field, a create, a record whose field is a number), and a clone
// answers by its own records.
func TestRecordsIndex(t *testing.T) {
	w, _ := seeded(t)
	create := func(corr any, table string) string {
		out := mustDo(t, w, "itsm.createRecord", map[string]any{"table": table, "fields": map[string]any{"correlation_id": corr, "n": 7}})
		return out["sys_id"].(string)
	}
	a := create("k1", "sc_task")
	create("k1", "sc_task")
	create("k1", "incident")
	create("k2", "sc_task")
	queries := []map[string]string{
		{"correlation_id": "k1"}, {"correlation_id": "k2"}, {"correlation_id": "k3"},
		{"correlation_id": "k1", "n": "7"}, {"n": "7"}, {"sys_id": a}, {"correlation_id": "k1", "n": "8"},
	}
	check := func(stage string, w *World) {
		t.Helper()
		for _, table := range []string{"sc_task", "incident"} {
			for _, q := range queries {
				got, want := w.Records("itsm", table, q), scanRecords(w, "itsm", table, q)
				if !reflect.DeepEqual(got, want) {
					t.Errorf("%s: Records(%s, %v) = %v\nwant %v", stage, table, q, got, want)
				}
			}
		}
	}
	check("first queries", w)
	mustDo(t, w, "itsm.updateRecord", map[string]any{"table": "sc_task", "sysId": a, "fields": map[string]any{"correlation_id": "k3", "n": 8}})
	create("k2", "sc_task")
	check("after an update and a create", w)
	if got := w.Records("itsm", "sc_task", map[string]string{"correlation_id": "k3"}); len(got) != 1 || got[0]["sys_id"] != a {
		t.Errorf("the updated record is not found by its new correlation_id: %v", got)
	}
	c := w.Clone()
	create("k3", "sc_task")
	check("original after a create", w)
	check("clone", c)
	if n := len(c.Records("itsm", "sc_task", map[string]string{"correlation_id": "k3"})); n != 1 {
		t.Errorf("the clone sees %d records of k3, want 1 (the create after cloning is not its)", n)
	}
}

// TestFindUser: each model's lookup finds what a scan of InstanceState's
// users finds, for users the roster has not yet given the instance (lazy
// seeding) and by generated ids no roster key covers.
func TestFindUser(t *testing.T) {
	for _, tc := range []struct {
		instance, by, key, field, want string
	}{
		{"google", "key", "JANE.DOE@acme.com ", "primaryEmail", "jane.doe@acme.com"},
		{"slack", "email", "bob@acme.com", "email", "bob@acme.com"},
		{"ms", "key", "Jane.Doe@acme.com", "userPrincipalName", "jane.doe@acme.com"},
	} {
		t.Run(tc.instance, func(t *testing.T) {
			w, _ := seeded(t)
			u, indexed := w.FindUser(tc.instance, tc.by, tc.key)
			if !indexed || u == nil || u[tc.field] != tc.want {
				t.Fatalf("FindUser(%s, %s, %q) = %v, %v; want the user with %s %s", tc.instance, tc.by, tc.key, u, indexed, tc.field, tc.want)
			}
			// By its id, in a fresh world where nothing pulled the user yet.
			fresh, _ := seeded(t)
			idBy := map[string]string{"slack": "id"}[tc.instance]
			if idBy == "" {
				idBy = "key"
			}
			byID, _ := fresh.FindUser(tc.instance, idBy, u["id"].(string))
			if !reflect.DeepEqual(byID, u) {
				t.Errorf("by id %v: %v, want %v", u["id"], byID, u)
			}
			var scanned map[string]any
			for _, x := range w.InstanceState(tc.instance)["users"].([]any) {
				if m := x.(map[string]any); m["id"] == u["id"] {
					scanned = m
				}
			}
			if !reflect.DeepEqual(scanned, u) {
				t.Errorf("FindUser = %v, InstanceState lists %v", u, scanned)
			}
			if u, indexed := w.FindUser(tc.instance, tc.by, "nobody@acme.com"); !indexed || u != nil {
				t.Errorf("an unknown user: %v, %v; want nil, true", u, indexed)
			}
		})
	}
	w, _ := seeded(t)
	if _, indexed := w.FindUser("slack", "userName", "bob"); indexed {
		t.Error("Slack userNames may repeat: FindUser must leave them to a scan")
	}
}
