package catalog

import (
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"
)

// spec is one row of the minimum catalogue contract. Inputs are
// space-separated names; a trailing "?" marks an optional input.
type spec struct {
	typ, action string
	effect      Effect
	idempotent  bool
	inputs      string
	outputs     string
}

const (
	r = Read
	w = Write
)

var contract = []spec{
	{"okta", "getUser", r, true, "userId", "id status profile"},
	{"okta", "getManager", r, true, "userId", "id profile"},
	{"okta", "listUserGroups", r, true, "userId", "groups"},
	{"okta", "addUserToGroup", w, true, "userId groupId", ""},
	{"okta", "removeUserFromGroup", w, true, "userId groupId", ""},
	{"okta", "clearUserSessions", w, true, "userId oauthTokens? forgetDevices?", ""},
	{"okta", "deactivateUser", w, true, "userId sendEmail?", ""},
	{"okta", "suspendUser", w, true, "userId", ""},
	{"okta", "unsuspendUser", w, true, "userId", ""},
	{"okta", "updateUserProfile", w, true, "userId profile", ""},
	{"okta", "listUsers", r, true, "search? filter?", "users"},

	{"slack", "lookupUserByEmail", r, true, "email", "id email active"},
	{"slack", "deactivateUser", w, true, "email", ""},
	{"slack", "reactivateUser", w, true, "email", ""},
	{"slack", "postMessage", w, false, "channel text", "ts"},
	{"slack", "createUser", w, false, "email userName displayName", "id"},
	{"slack", "inviteToChannel", w, true, "channel email", ""},

	{"google", "getUser", r, true, "userKey", "primaryEmail suspended"},
	{"google", "suspendUser", w, true, "userKey", ""},
	{"google", "unsuspendUser", w, true, "userKey", ""},
	{"google", "signOutUser", w, true, "userKey", ""},
	{"google", "transferDrive", w, true, "fromUser toUser", "transferId"},
	{"google", "transferCalendar", w, true, "fromUser toUser", "transferId"},
	{"google", "addToGroup", w, true, "groupKey userKey", ""},
	{"google", "removeFromGroup", w, true, "groupKey userKey", ""},
	{"google", "listASPs", r, true, "userKey", "asps"},
	{"google", "deleteASP", w, true, "userKey codeId", ""},
	{"google", "listTokens", r, true, "userKey", "tokens"},
	{"google", "deleteToken", w, true, "userKey clientId", ""},
	{"google", "listMobileDevices", r, true, "email customerId?", "mobileDevices"},
	{"google", "deleteMobileDevice", w, true, "resourceId customerId?", ""},
	{"google", "sendGmail", w, false, "userKey? to subject body cc? contentType?", "id threadId"},
	{"google", "addDelegate", w, true, "userKey delegateEmail", ""},
	{"google", "removeDelegate", w, true, "userKey delegateEmail", ""},
	{"google", "setAutoForwarding", w, true, "userKey emailAddress disposition?", ""},
	{"google", "setVacation", w, true, "userKey subject message contentType? start? end? restrictToDomain? restrictToContacts?", ""},

	{"microsoft", "getUser", r, true, "userId", "id userPrincipalName accountEnabled"},
	{"microsoft", "disableUser", w, true, "userId", ""},
	{"microsoft", "revokeSignInSessions", w, true, "userId", ""},
	{"microsoft", "removeLicenses", w, true, "userId skuIds?", ""},
	{"microsoft", "addToGroup", w, true, "groupId userId", ""},
	{"microsoft", "removeFromGroup", w, true, "groupId userId", ""},
	{"microsoft", "assignLicense", w, true, "userId skuId", ""},
	{"microsoft", "enableUser", w, true, "userId", ""},
	{"microsoft", "listSubscribedSkus", r, true, "", "skus"},
	{"microsoft", "sendMail", w, false, "userId to subject body cc? contentType?", ""},

	{"servicenow", "getRecord", r, true, "table sysId", "sys_id number fields"},
	{"servicenow", "createRecord", w, false, "table fields", "sys_id number"},
	{"servicenow", "updateRecord", w, true, "table sysId fields", ""},

	{"salesforce", "freezeUser", w, true, "username", ""},
	{"salesforce", "deactivateUser", w, true, "username", ""},
	{"salesforce", "getUser", r, true, "username", "id isActive frozen"},

	{"github", "getOrgMembership", r, true, "org username", "state role"},
	{"github", "removeOrgMember", w, true, "org username", ""},

	{"jira", "createIssue", w, false, "project issueType summary description?", "key"},

	{"http", "request", w, false, "method path query? headers? body? expect?", "status headers body"},

	{"activedirectory", "getUser", r, true, "sAMAccountName", "dn disabled groups"},
	{"activedirectory", "disableAccount", w, true, "sAMAccountName", ""},
	{"activedirectory", "enableAccount", w, true, "sAMAccountName", ""},
	{"activedirectory", "addToGroup", w, true, "sAMAccountName groupDN", ""},
	{"activedirectory", "removeFromGroup", w, true, "sAMAccountName groupDN", ""},
	{"activedirectory", "moveToOU", w, true, "sAMAccountName ou", ""},

	{"email", "send", w, false, "to subject body cc?", ""},

	{"table", "searchRows", r, true, "table where? orderBy? direction? limit? offset?", "rows count"},
	{"table", "getRow", r, true, "table rowId", "row"},
	{"table", "createRow", w, false, "table row", "id"},
	{"table", "updateRow", w, true, "table rowId row", ""},
	{"table", "deleteRow", w, true, "table rowId", "deleted"},
	{"table", "clearTable", w, true, "table", "cleared"},
}

// protocols is the protocol every action of a connector type must use.
var protocols = map[string]string{
	"okta": "http", "slack": "http", "google": "http", "microsoft": "http",
	"servicenow": "http", "salesforce": "http", "github": "http", "jira": "http",
	"http": "http", "activedirectory": "ldap", "email": "smtp", "table": "sql",
}

// fieldTypes fixes the type of fields named in the contract, wherever they
// appear (inputs and outputs, any connector) unless typedIn narrows them.
var fieldTypes = map[string]Type{
	"userId": String, "groupId": String, "email": String, "channel": String,
	"text": String, "userName": String, "displayName": String, "userKey": String,
	"groupKey": String, "fromUser": String, "toUser": String, "skuId": String,
	"table": String, "sysId": String, "username": String, "org": String,
	"project": String, "issueType": String, "summary": String, "description": String,
	"method": String, "path": String, "sAMAccountName": String, "groupDN": String,
	"ou": String, "to": String, "subject": String, "cc": String, "search": String,
	"filter": String, "id": String, "ts": String, "transferId": String,
	"primaryEmail": String, "userPrincipalName": String, "sys_id": String,
	"number": String, "state": String, "role": String, "key": String, "dn": String,

	"oauthTokens": Boolean, "forgetDevices": Boolean, "sendEmail": Boolean,
	"active": Boolean, "suspended": Boolean, "accountEnabled": Boolean,
	"isActive": Boolean, "frozen": Boolean, "disabled": Boolean,

	"profile": Object, "fields": Object, "headers": Object, "query": Object,
	"skuIds": List, "groups": List, "users": List,
}

// typedIn holds contract types that only apply within one connector type.
var typedIn = map[string]map[string]Type{
	"http":  {"status": Number, "body": Any},
	"okta":  {"status": String},
	"email": {"body": String},
}

func mustLookup(t *testing.T, typ string) *Connector {
	t.Helper()
	c, ok := Lookup(typ)
	if !ok {
		t.Fatalf("Lookup(%q): connector type missing", typ)
	}
	return c
}

func TestContract(t *testing.T) {
	for _, s := range contract {
		t.Run(s.typ+"."+s.action, func(t *testing.T) {
			c := mustLookup(t, s.typ)
			a, ok := c.Action(s.action)
			if !ok {
				t.Fatalf("action %s.%s missing", s.typ, s.action)
			}
			if a.Effect != s.effect {
				t.Errorf("Effect = %q, want %q", a.Effect, s.effect)
			}
			if a.Idempotent != s.idempotent {
				t.Errorf("Idempotent = %v, want %v", a.Idempotent, s.idempotent)
			}
			for _, in := range strings.Fields(s.inputs) {
				name, optional := strings.CutSuffix(in, "?")
				f, ok := a.Input(name)
				if !ok {
					t.Errorf("input %q missing", name)
					continue
				}
				if f.Required == optional {
					t.Errorf("input %q: Required = %v, want %v", name, f.Required, !optional)
				}
			}
			for _, name := range strings.Fields(s.outputs) {
				if _, ok := a.Output(name); !ok {
					t.Errorf("output %q missing", name)
				}
			}
			if want := protocols[s.typ]; a.Call.Protocol != want {
				t.Errorf("Call.Protocol = %q, want %q", a.Call.Protocol, want)
			}
		})
	}
}

func TestFieldTypes(t *testing.T) {
	for _, c := range All() {
		for _, a := range c.Actions {
			check := func(kind string, fs []Field) {
				for _, f := range fs {
					want, ok := typedIn[c.Type][f.Name]
					if !ok {
						want, ok = fieldTypes[f.Name]
					}
					if ok && f.Type != want {
						t.Errorf("%s.%s %s %q: type %q, want %q", c.Type, a.Name, kind, f.Name, f.Type, want)
					}
				}
			}
			check("input", a.Inputs)
			check("output", a.Outputs)
		}
	}
}

// checkFields checks that every field, at any depth, is well formed.
func checkFields(t *testing.T, where string, fs []Field, output bool) {
	t.Helper()
	seen := map[string]bool{}
	for _, f := range fs {
		at := where + "." + f.Name
		switch {
		case f.Name == "":
			t.Errorf("%s: field with empty name", where)
		case seen[f.Name]:
			t.Errorf("%s: duplicate field", at)
		}
		seen[f.Name] = true
		if !f.Type.Valid() {
			t.Errorf("%s: invalid type %q", at, f.Type)
		}
		if strings.TrimSpace(f.Description) == "" {
			t.Errorf("%s: empty description", at)
		}
		if output && f.Required {
			t.Errorf("%s: output marked required", at)
		}
		if len(f.Fields) > 0 && f.Type != Object && f.Type != List {
			t.Errorf("%s: sub-fields on a %s field", at, f.Type)
		}
		checkFields(t, at, f.Fields, true)
	}
}

func TestActionsWellFormed(t *testing.T) {
	for _, c := range All() {
		if strings.TrimSpace(c.Description) == "" {
			t.Errorf("%s: empty connector description", c.Type)
		}
		if len(c.Auth) == 0 {
			t.Errorf("%s: no auth types", c.Type)
		}
		if len(c.Actions) == 0 {
			t.Errorf("%s: no actions", c.Type)
		}
		for _, a := range c.Actions {
			id := c.Type + "." + a.Name
			if strings.TrimSpace(a.Description) == "" {
				t.Errorf("%s: empty description", id)
			}
			if a.Effect != Read && a.Effect != Write {
				t.Errorf("%s: invalid effect %q", id, a.Effect)
			}
			if a.Effect == Read && !a.Idempotent {
				t.Errorf("%s: read action not idempotent", id)
			}
			checkFields(t, id+" input", a.Inputs, false)
			checkFields(t, id+" output", a.Outputs, true)

			call := a.Call
			switch call.Protocol {
			case "http":
				if call.Method == "" {
					t.Errorf("%s: http call without method", id)
				}
				if !strings.HasPrefix(call.Path, "/") {
					t.Errorf("%s: http path %q does not start with /", id, call.Path)
				}
			case "ldap":
				switch call.Method {
				case "search", "modify", "modifyDN":
				default:
					t.Errorf("%s: invalid LDAP operation %q", id, call.Method)
				}
				if call.Path == "" {
					t.Errorf("%s: ldap call without filter or DN", id)
				}
			case "smtp":
				if call.Method != "" || call.Path != "" {
					t.Errorf("%s: smtp call with method or path", id)
				}
			case "sql":
				switch call.Method {
				case "SELECT", "INSERT", "UPDATE", "DELETE":
				default:
					t.Errorf("%s: invalid SQL statement %q", id, call.Method)
				}
				if call.Path != "table_rows" {
					t.Errorf("%s: sql call on %q, want table_rows", id, call.Path)
				}
			default:
				t.Errorf("%s: invalid protocol %q", id, call.Protocol)
			}
			if call.Docs != "" && !strings.HasPrefix(call.Docs, "https://") {
				t.Errorf("%s: docs URL %q is not https", id, call.Docs)
			}

			// Every placeholder names an input or a lookup yield.
			known := map[string]bool{}
			for _, f := range a.Inputs {
				known[f.Name] = true
			}
			for i, l := range call.Lookups {
				if l.Method == "" || l.Path == "" || len(l.Yields) == 0 {
					t.Errorf("%s: lookup %d needs method, path and yields", id, i)
				}
				if call.Protocol == "http" && !strings.HasPrefix(l.Path, "/") {
					t.Errorf("%s: lookup path %q does not start with /", id, l.Path)
				}
				for _, p := range Placeholders(l.Path) {
					if !known[p] {
						t.Errorf("%s: lookup %d placeholder {%s} is not an input or earlier yield", id, i, p)
					}
				}
				for _, y := range l.Yields {
					known[y] = true
				}
			}
			for _, p := range Placeholders(call.Path) {
				if !known[p] {
					t.Errorf("%s: path placeholder {%s} is not an input or lookup yield", id, p)
				}
			}
			if p := Placeholders(call.Method); len(p) > 0 {
				for _, name := range p {
					if _, ok := a.Input(name); !ok {
						t.Errorf("%s: method placeholder {%s} is not an input", id, name)
					}
				}
			}
			if len(a.ReadMethods) > 0 {
				if _, ok := a.Input("method"); !ok {
					t.Errorf("%s: ReadMethods without a method input", id)
				}
			}
		}
	}
}

func TestActionsSortedAndUnique(t *testing.T) {
	for _, c := range All() {
		names := make([]string, len(c.Actions))
		for i, a := range c.Actions {
			names[i] = a.Name
		}
		if !sort.StringsAreSorted(names) {
			t.Errorf("%s: actions not sorted: %v", c.Type, names)
		}
		for i := 1; i < len(names); i++ {
			if names[i] == names[i-1] {
				t.Errorf("%s: duplicate action %q", c.Type, names[i])
			}
		}
		if got := c.ActionNames(); strings.Join(got, ",") != strings.Join(names, ",") {
			t.Errorf("%s: ActionNames() = %v, want %v", c.Type, got, names)
		}
	}
}

func TestTypesAndAll(t *testing.T) {
	types := Types()
	if !sort.StringsAreSorted(types) {
		t.Errorf("Types() not sorted: %v", types)
	}
	for i := 1; i < len(types); i++ {
		if types[i] == types[i-1] {
			t.Errorf("duplicate type %q", types[i])
		}
	}
	for typ := range protocols {
		if _, ok := Lookup(typ); !ok {
			t.Errorf("type %q missing", typ)
		}
	}
	all := All()
	if len(all) != len(types) {
		t.Fatalf("len(All()) = %d, want %d", len(all), len(types))
	}
	for i, c := range all {
		if c.Type != types[i] {
			t.Errorf("All()[%d].Type = %q, want %q", i, c.Type, types[i])
		}
	}
	if _, ok := Lookup("nosuch"); ok {
		t.Error(`Lookup("nosuch") succeeded`)
	}
	c := mustLookup(t, "okta")
	if _, ok := c.Action("nosuch"); ok {
		t.Error(`Action("nosuch") succeeded`)
	}
	a, _ := c.Action("getUser")
	if _, ok := a.Input("nosuch"); ok {
		t.Error(`Input("nosuch") succeeded`)
	}
	if _, ok := a.Output("nosuch"); ok {
		t.Error(`Output("nosuch") succeeded`)
	}
}

func TestEffectFor(t *testing.T) {
	req, ok := mustLookup(t, "http").Action("request")
	if !ok {
		t.Fatal("http.request missing")
	}
	for method, want := range map[string]Effect{
		"GET": Read, "HEAD": Read, "get": Read, " head ": Read,
		"POST": Write, "PUT": Write, "PATCH": Write, "DELETE": Write, "": Write,
	} {
		if got := req.EffectFor(method); got != want {
			t.Errorf("http.request EffectFor(%q) = %q, want %q", method, got, want)
		}
	}
	get, _ := mustLookup(t, "okta").Action("getUser")
	deact, _ := mustLookup(t, "okta").Action("deactivateUser")
	for _, m := range []string{"", "GET", "POST"} {
		if got := get.EffectFor(m); got != Read {
			t.Errorf("okta.getUser EffectFor(%q) = %q, want read", m, got)
		}
		if got := deact.EffectFor(m); got != Write {
			t.Errorf("okta.deactivateUser EffectFor(%q) = %q, want write", m, got)
		}
	}
}

func TestCopiesAreIndependent(t *testing.T) {
	c := mustLookup(t, "okta")
	c.Type = "changed"
	c.Auth[0] = "changed"
	a, _ := c.Action("listUserGroups")
	a.Name = "changed"
	a.Outputs[0].Fields[0].Name = "changed"
	c.Actions = nil

	h := mustLookup(t, "http")
	r, _ := h.Action("request")
	r.ReadMethods[0] = "POST"
	g := mustLookup(t, "slack")
	d, _ := g.Action("deactivateUser")
	d.Call.Lookups[0].Yields[0] = "changed"

	fresh := mustLookup(t, "okta")
	if fresh.Type != "okta" || fresh.Auth[0] == "changed" {
		t.Error("modifying a Lookup result changed the catalogue")
	}
	fa, ok := fresh.Action("listUserGroups")
	if !ok || fa.Outputs[0].Fields[0].Name != "id" {
		t.Error("modifying nested fields of a Lookup result changed the catalogue")
	}
	fr, _ := mustLookup(t, "http").Action("request")
	if fr.EffectFor("GET") != Read {
		t.Error("modifying ReadMethods of a Lookup result changed the catalogue")
	}
	fd, _ := mustLookup(t, "slack").Action("deactivateUser")
	if fd.Call.Lookups[0].Yields[0] != "id" {
		t.Error("modifying lookup yields of a Lookup result changed the catalogue")
	}
}

func TestPlaceholders(t *testing.T) {
	for tmpl, want := range map[string]string{
		"":              "",
		"/api/v1/users": "",
		"/api/v1/groups/{groupId}/users/{userId}": "groupId,userId",
		"/a/{x}?q={y}&r={x}":                      "x,y",
		"/v1.0/groups/{groupId}/members/$ref":     "groupId",
		"{}{unterminated":                         "",
		"(sAMAccountName={sAMAccountName})":       "sAMAccountName",
	} {
		if got := strings.Join(Placeholders(tmpl), ","); got != want {
			t.Errorf("Placeholders(%q) = %q, want %q", tmpl, got, want)
		}
	}
}

func TestJSON(t *testing.T) {
	b, err := json.Marshal(All())
	if err != nil {
		t.Fatal(err)
	}
	var back []*Connector
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if len(back) != len(Types()) {
		t.Fatalf("round trip: %d connectors, want %d", len(back), len(Types()))
	}
	// Actions without inputs or outputs render as [], not null.
	if strings.Contains(string(b), `"inputs":null`) || strings.Contains(string(b), `"outputs":null`) {
		t.Error("JSON contains null inputs or outputs")
	}
	if !strings.Contains(string(b), `"readMethods":["GET","HEAD"]`) {
		t.Error("JSON lacks http.request readMethods")
	}
}

func TestDeprovisionMarks(t *testing.T) {
	for _, tt := range []struct {
		typ, action string
		want        bool
	}{
		{"okta", "deactivateUser", true},
		{"okta", "clearUserSessions", true},
		{"okta", "getUser", false},
		{"okta", "addUserToGroup", false},
		{"slack", "deactivateUser", true},
		{"slack", "postMessage", false},
		{"google", "suspendUser", true},
		{"microsoft", "disableUser", true},
		{"salesforce", "freezeUser", true},
		{"github", "removeOrgMember", true},
		{"servicenow", "createRecord", false},
	} {
		c, _ := Lookup(tt.typ)
		a, ok := c.Action(tt.action)
		if !ok {
			t.Fatalf("%s.%s missing", tt.typ, tt.action)
		}
		if a.Deprovision != tt.want {
			t.Errorf("%s.%s Deprovision = %v, want %v", tt.typ, tt.action, a.Deprovision, tt.want)
		}
	}
	// A deprovisioning action names its subject, a required input of it;
	// no other action has one.
	for _, c := range All() {
		for _, a := range c.Actions {
			if a.Deprovision != (a.Subject != "") {
				t.Errorf("%s.%s: Deprovision %v but Subject %q: a deprovisioning action names its subject, no other does", c.Type, a.Name, a.Deprovision, a.Subject)
				continue
			}
			if a.EndsSessions && !a.Deprovision {
				t.Errorf("%s.%s ends sessions but does not deprovision", c.Type, a.Name)
			}
			if f, ok := a.Input(a.Subject); a.Deprovision && (!ok || !f.Required) {
				t.Errorf("%s.%s: subject %q is not a required input", c.Type, a.Name, a.Subject)
			}
		}
	}
}

// repeatVerdicts is the idempotency audit of every action that is not
// idempotent: deduplicated by jml's idempotency key, or may repeat on
// retry. A new non-idempotent action must be added here, on purpose.
var repeatVerdicts = map[string]string{
	"servicenow.createRecord": "dedupe",
	"jira.createIssue":        "dedupe",
	"table.createRow":         "dedupe",
	"slack.postMessage":       "may repeat",
	"slack.createUser":        "may repeat",
	"http.request":            "may repeat",
	"email.send":              "may repeat",
	"microsoft.sendMail":      "may repeat",
	"google.sendGmail":        "may repeat",
	"okta.deleteUser":         "may repeat",
}

func TestIdempotencyVerdicts(t *testing.T) {
	seen := map[string]bool{}
	for _, c := range All() {
		for i := range c.Actions {
			a := &c.Actions[i]
			id := c.Type + "." + a.Name
			write := a.Effect == Write || len(a.ReadMethods) > 0
			if a.OnRetry != a.Verdict() {
				t.Errorf("%s: OnRetry = %q, Verdict() = %q", id, a.OnRetry, a.Verdict())
			}
			switch {
			case !write:
				if a.Dedupe != "" || a.Repeat != "" || a.MayRepeat() {
					t.Errorf("%s: a read with a dedupe or repeat verdict", id)
				}
			case a.Idempotent:
				if a.Dedupe != "" || a.MayRepeat() {
					t.Errorf("%s: idempotent, yet Dedupe = %q, MayRepeat = %v", id, a.Dedupe, a.MayRepeat())
				}
			default:
				seen[id] = true
				want := repeatVerdicts[id]
				switch {
				case a.Dedupe != "" && a.Repeat != "":
					t.Errorf("%s: both deduplicated and may repeat", id)
				case a.Dedupe != "":
					if want != "dedupe" || a.MayRepeat() {
						t.Errorf("%s: deduplicated (%s), audit says %q", id, a.Dedupe, want)
					}
				case a.Repeat != "":
					if want != "may repeat" || !a.MayRepeat() {
						t.Errorf("%s: may repeat on retry, audit says %q", id, want)
					}
				default:
					t.Errorf("%s: a write that is not idempotent needs a Dedupe mechanism or a Repeat (may repeat on retry)", id)
				}
			}
		}
	}
	for id := range repeatVerdicts {
		if !seen[id] {
			t.Errorf("%s: in the audit but not a non-idempotent write of the catalogue", id)
		}
	}
}

func TestVendor(t *testing.T) {
	for _, typ := range Types() {
		if got := Vendor(typ); (got == "") != (typ == "http") {
			t.Errorf("Vendor(%q) = %q", typ, got)
		}
	}
	if Vendor("nope") != "" {
		t.Error("Vendor of an unknown type is not empty")
	}
}

// TestScopes: every action of the OAuth vendors (a type with one scoped
// action) names the scopes (or, for microsoft, the Graph permissions) it
// needs; ScopesFor leaves out a scope another covers.
func TestScopes(t *testing.T) {
	scoped := 0
	for _, c := range All() {
		var with, without []string
		for _, a := range c.Actions {
			if len(a.Scopes) == 0 {
				without = append(without, a.Name)
			} else {
				with = append(with, a.Name)
			}
		}
		if len(with) > 0 {
			scoped++
			if len(without) > 0 {
				t.Errorf("%s: %v have scopes but %v have none", c.Type, with, without)
			}
		}
	}
	if scoped != 3 {
		t.Errorf("%d connector types have scopes, want 3 (google, okta, microsoft)", scoped)
	}
	const g = "https://www.googleapis.com/auth/"
	cases := []struct {
		typ     string
		actions []string
		want    []string
	}{
		{"google", []string{"getUser"}, []string{g + "admin.directory.user.readonly"}},
		{"google", []string{"getUser", "suspendUser", "signOutUser"}, []string{g + "admin.directory.user", g + "admin.directory.user.security"}},
		{"okta", []string{"getUser", "addUserToGroup"}, []string{"okta.groups.manage", "okta.users.read"}},
		{"okta", []string{"getUser", "deactivateUser", "nope"}, []string{"okta.users.manage"}},
		{"microsoft", []string{"getUser", "removeLicenses"}, []string{"LicenseAssignment.ReadWrite.All", "User.Read.All"}},
		{"slack", []string{"deactivateUser"}, nil},
	}
	for _, c := range cases {
		if got := ScopesFor(c.typ, c.actions); strings.Join(got, " ") != strings.Join(c.want, " ") {
			t.Errorf("ScopesFor(%s, %v) = %v, want %v", c.typ, c.actions, got, c.want)
		}
	}
	for _, c := range []struct {
		granted, need string
		want          bool
	}{
		{g + "admin.directory.user", g + "admin.directory.user.readonly", true},
		{g + "admin.directory.user", g + "admin.directory.user.security", false},
		{"okta.users.manage", "okta.users.read", true},
		{"okta.users.read", "okta.users.manage", false},
		{"okta.groups.manage", "okta.users.read", false},
		{"User.ReadWrite.All", "User.Read.All", true},
	} {
		if got := Covers(c.granted, c.need); got != c.want {
			t.Errorf("Covers(%s, %s) = %v", c.granted, c.need, got)
		}
	}
}

// TestTypeFacts fails when a connector type lacks a fact another package
// needs of it, or declares one that does not fit its actions: a type that
// deprovisions people holds accounts, so jml verify must be able to read
// one (Account); the read is a read action of the type, keyed by one of its
// inputs, its signals outputs of it of the right type; a key not derived
// from the login says which profile attribute to use; a type whose actions
// have scopes says whether jml requests them; an HTTP vendor has a default
// rate limit.
func TestTypeFacts(t *testing.T) {
	for _, c := range All() {
		deprovisions, scoped, http := false, false, false
		for _, a := range c.Actions {
			deprovisions = deprovisions || a.Deprovision
			scoped = scoped || len(a.Scopes) > 0
			http = http || a.Call.Protocol == "http"
		}
		if c.Verified == nil && c.Unverified == "" {
			t.Errorf("%s: the type names no API description to verify its actions against, nor why it has none", c.Type)
		}
		if c.RequestsScopes && !scoped {
			t.Errorf("%s requests scopes but no action has any", c.Type)
		}
		if http && c.Type != "http" && c.DefaultRate <= 0 {
			t.Errorf("%s: an HTTP vendor without a default rate limit (DefaultRate)", c.Type)
		}
		acc := c.Account
		if deprovisions && acc == nil {
			t.Errorf("%s has deprovisioning actions but no account read (Account): jml verify could not check its leavers", c.Type)
		}
		if acc == nil {
			continue
		}
		read, ok := c.Action(acc.Read)
		if !ok || read.Effect != Read {
			t.Errorf("%s: account read %q is not a read action of the type", c.Type, acc.Read)
			continue
		}
		for _, in := range append([]string{acc.Key}, acc.Settings...) {
			if f, ok := read.Input(in); !ok || !f.Required {
				t.Errorf("%s.%s: account input %q is not a required input", c.Type, acc.Read, in)
			}
		}
		if !acc.ByLogin && (acc.IDAttribute == "" || acc.KeyWords == "") {
			t.Errorf("%s: a key not by login needs the profile attribute and words a message suggests", c.Type)
		}
		if len(acc.Signals) == 0 {
			t.Errorf("%s: the account read has no signals: what active means is not said", c.Type)
		}
		for _, sg := range acc.Signals {
			f, ok := read.Output(sg.Field)
			want := String
			if sg.ActiveWhen != nil {
				want = Boolean
			}
			if !ok || f.Type != want {
				t.Errorf("%s.%s: signal %s is not a %s output", c.Type, acc.Read, sg.Field, want)
			}
			if want == String && len(acc.Signals) > 1 {
				t.Errorf("%s: a string signal decides alone", c.Type)
			}
			for _, d := range sg.Active {
				for _, p := range Placeholders(d) {
					if _, ok := read.Output(p); !ok {
						t.Errorf("%s.%s: signal %s says {%s}, not an output", c.Type, acc.Read, sg.Field, p)
					}
				}
			}
		}
	}
}

// TestErrorBody: each vendor's error body is valid JSON and its
// placeholders are filled, the vendor's code chosen by status.
func TestErrorBody(t *testing.T) {
	for _, c := range All() {
		if c.Error != nil && !json.Valid([]byte(c.Error.Body)) {
			t.Errorf("%s: error body is not JSON: %s", c.Type, c.Error.Body)
		}
	}
	for _, tt := range []struct {
		typ    string
		status int
		want   string
	}{
		{"okta", 404, `{"errorCauses":[],"errorCode":"E0000007","errorId":"sandbox","errorLink":"E0000007","errorSummary":"gone"}`},
		{"okta", 500, `{"errorCauses":[],"errorCode":"E0000009","errorId":"sandbox","errorLink":"E0000009","errorSummary":"gone"}`},
		{"microsoft", 502, `{"error":{"code":"generalException","innerError":{"client-request-id":"sandbox","request-id":"sandbox"},"message":"gone"}}`},
		{"microsoft", 418, `{"error":{"code":"Request_BadRequest","innerError":{"client-request-id":"sandbox","request-id":"sandbox"},"message":"gone"}}`},
		{"google", 404, `{"error":{"code":404,"message":"gone"}}`},
		{"slack", 404, `{"Errors":{"code":404,"description":"gone"}}`},
		{"salesforce", 404, `[{"errorCode":"NOT_FOUND","message":"gone"}]`},
		{"servicenow", 404, `{"error":{"detail":"not_found","message":"gone"},"status":"failure"}`},
		{"jira", 404, `{"errorMessages":["gone"],"errors":{}}`},
		{"github", 404, `{"message":"gone"}`},
	} {
		b, _ := json.Marshal(ErrorBody(tt.typ, tt.status, "not_found", "gone"))
		if string(b) != tt.want {
			t.Errorf("ErrorBody(%s, %d) = %s, want %s", tt.typ, tt.status, b, tt.want)
		}
	}
}

// typeRow is a connector type's row of docs/connectors.md's table of
// per-type facts.
func typeRow(c *Connector) string {
	base := "per instance"
	if c.DefaultBaseURL != "" {
		base = c.DefaultBaseURL
	}
	rate := "none"
	if c.DefaultRate > 0 {
		rate = fmt.Sprintf("%g/s", c.DefaultRate)
	}
	scopes := "—"
	for _, a := range c.Actions {
		if len(a.Scopes) > 0 {
			scopes = "app registration's permissions"
			if c.RequestsScopes {
				scopes = "requested per instance"
			}
		}
	}
	account, active := "none", "—"
	if a := c.Account; a != nil {
		account = fmt.Sprintf("`%s` by `%s`", a.Read, a.Key)
		if a.ByLogin {
			account += " (the login)"
		} else {
			account += " (accountIdFrom: user.profile." + a.IDAttribute + ")"
		}
		for _, s := range a.Settings {
			account += ", `" + s + "` from jml.yaml"
		}
		var parts []string
		for _, s := range a.Signals {
			switch {
			case s.ActiveWhen != nil:
				parts = append(parts, fmt.Sprintf("`%s` %v", s.Field, *s.ActiveWhen))
			case s.Active != nil:
				vals := make([]string, 0, len(s.Active))
				for v := range s.Active {
					vals = append(vals, v)
				}
				sort.Strings(vals)
				parts = append(parts, fmt.Sprintf("`%s` %s", s.Field, strings.Join(vals, " or ")))
			default:
				parts = append(parts, fmt.Sprintf("`%s` not %s", s.Field, strings.Join(s.DisabledValues, " or ")))
			}
		}
		active = strings.Join(parts, " and ")
	}
	body := genericError.Body
	if c.Error != nil {
		body = c.Error.Body
	}
	return fmt.Sprintf("| %s | %s | %s | %s | %s | %s | `%s` |", c.Type, base, rate, scopes, account, active, body)
}

// TestDocsListTypeFacts holds docs/connectors.md's table of per-type
// facts to the catalogue (JML_PRINT_ROWS=1 prints the rows).
func TestDocsListTypeFacts(t *testing.T) {
	b, err := os.ReadFile("../../docs/connectors.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range All() {
		row := typeRow(c)
		if os.Getenv("JML_PRINT_ROWS") != "" {
			fmt.Println(row)
		}
		if !strings.Contains(string(b), row+"\n") {
			t.Errorf("docs/connectors.md lacks the row %s", row)
		}
	}
}
