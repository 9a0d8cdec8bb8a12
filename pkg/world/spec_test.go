package world

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jml-dev/jml/pkg/diag"
	"github.com/jml-dev/jml/pkg/source"
)

// diagAt is where Decode reports, in tests.
var diagAt = diag.Range{File: "t.yaml", Start: diag.Pos{Line: 3, Column: 1}}

// specExample is the world file of SPEC §6.
const specExample = `apiVersion: jml/v1
kind: World
okta:
  users:
    - {id: 00u1jane0001, login: jane.doe@acme.com, status: ACTIVE,
       profile: {department: Sales, managerId: 00u1boss0009}, groups: [00g1vpn00001]}
  groups:
    - {id: 00g1vpn00001, profile: {name: vpn-users}}
slack:
  users: [{id: U01JANE, email: jane.doe@acme.com, active: true}]
faults:
  - {action: slack.deactivateUser, status: 429, times: 2, retryAfter: 1s}
  - {action: google.suspendUser, status: 404}
  - {action: itsm.createRecord, latency: 200ms}
`

var specInstances = []Instance{{Name: "okta", Type: "okta"}, {Name: "slack", Type: "slack"}, {Name: "google", Type: "google"}, {Name: "itsm", Type: "servicenow"}}

func lines(ds diag.Diagnostics) string {
	var out []string
	for _, d := range ds {
		out = append(out, d.Error())
	}
	return strings.Join(out, "\n")
}

func TestLoadSpecExample(t *testing.T) {
	f, ds := source.Parse("world.yaml", []byte(specExample))
	if ds.HasErrors() {
		t.Fatal(lines(ds))
	}
	s, ds := Load(f)
	if len(ds) > 0 {
		t.Fatalf("diagnostics on the SPEC example:\n%s", lines(ds))
	}
	want := []Fault{
		{Action: "slack.deactivateUser", Status: 429, Times: 2, RetryAfter: time.Second},
		{Action: "google.suspendUser", Status: 404},
		{Action: "itsm.createRecord", Latency: 200 * time.Millisecond},
	}
	if len(s.Faults) != len(want) {
		t.Fatalf("faults %+v", s.Faults)
	}
	for i, f := range s.Faults {
		f.at = diag.Range{}
		if f != want[i] {
			t.Errorf("fault %d: %+v, want %+v", i, f, want[i])
		}
	}
	w := New(specInstances, nil)
	if err := w.Apply(s); err != nil {
		t.Fatalf("Apply:\n%v", err)
	}
	for _, name := range []string{"okta", "slack"} {
		if !w.Described(name) {
			t.Errorf("%s is not described", name)
		}
	}
	if w.Described("google") {
		t.Errorf("google is described")
	}
	out := mustDo(t, w, "okta.listUserGroups", map[string]any{"userId": "jane.doe@acme.com"})
	if g := out["groups"].([]any); len(g) != 1 || g[0].(map[string]any)["profile"].(map[string]any)["name"] != "vpn-users" {
		t.Errorf("groups %v", out)
	}
}

func TestLoadErrors(t *testing.T) {
	const head = "apiVersion: jml/v1\nkind: World\n"
	tests := []struct {
		name, src string
		want      []string // diagnostics, each as file:line:col: severity: message [code], in order
	}{
		{"missing kind", "apiVersion: jml/v1\nokta: {}\n",
			[]string{`w.yaml:1:1: error: missing required key "kind" in the document [missing-key]`}},
		{"wrong kind", "apiVersion: jml/v1\nkind: Flow\n",
			[]string{`w.yaml:2:7: error: "Flow" is not a valid value for "kind"; expected World [invalid-value]`}},
		{"unknown key in a fault", head + "faults:\n  - {action: slack.deactivateUser, statuss: 429}\n",
			[]string{`w.yaml:4:36: error: unknown key "statuss" in item 0 of faults; did you mean "status"? [unknown-key]`}},
		{"unknown key of an instance", head + "okta:\n  user: []\n",
			[]string{`w.yaml:4:3: error: unknown key "user" in "okta"; did you mean "users"? [unknown-key]`}},
		{"bad instance name", head + "Okta: {}\n",
			[]string{`w.yaml:3:1: error: "Okta" is not a valid name here: it must match ^([a-z0-9][a-z0-9-]*|apiVersion)$ [invalid-name]`}},
		{"wrong type", head + "faults:\n  - action: okta.getUser\n    status: often\n",
			[]string{`w.yaml:5:13: error: "status" must be an integer, not a string [wrong-type]`}},
		{"instance not a mapping", head + "okta: [a]\n",
			[]string{`w.yaml:3:7: error: "okta" must be a mapping, not a list [wrong-type]`}},
		{"status out of range", head + "faults:\n  - {action: okta.getUser, status: 200}\n",
			[]string{`w.yaml:4:36: error: "status" must be at least 400, not 200 [invalid-value]`}},
		{"bad duration", head + "faults:\n  - action: slack.deactivateUser\n    status: 429\n    retryAfter: soon\n",
			[]string{`w.yaml:6:17: error: "soon" is not a valid duration for retryAfter: write e.g. 500ms, 1s or 1m30s [invalid-value]`}},
		{"negative duration", head + "faults:\n  - {action: okta.getUser, latency: -1s}\n",
			[]string{`w.yaml:4:37: error: "-1s" is not a valid duration for latency: write e.g. 500ms, 1s or 1m30s [invalid-value]`}},
		{"bad fault action", head + "faults:\n  - {action: okta, status: 500}\n",
			[]string{`w.yaml:4:14: error: "okta" is not valid for "action": it must match ^[a-z0-9][a-z0-9-]*\.(\*|[A-Za-z][A-Za-z0-9]*)$ [invalid-value]`}},
		{"fault that does nothing", head + "faults:\n  - {action: okta.getUser, times: 2}\n",
			[]string{`w.yaml:4:5: error: a fault needs status, latency or timeout: this one would do nothing [invalid-value]`}},
		{"google ASP code id as a string", head + "google:\n  users:\n    - primaryEmail: jane@acme.com\n      asps: [{codeId: \"12\"}]\n",
			[]string{`w.yaml:6:23: error: "codeId" must be an integer, not a string [wrong-type]`}},
		{"google mobile device key misspelt", head + "google:\n  users:\n    - primaryEmail: jane@acme.com\n      mobileDevices: [{resourceID: r1}]\n",
			[]string{`w.yaml:6:24: error: unknown key "resourceID" in item 0 of mobileDevices; did you mean "resourceId"? [unknown-key]`}},
		{"several errors at once", head + "faults:\n  - {action: okta.getUser, latency: fast}\n  - {action: okta.getUser, status: 503, retryAfter: later}\n",
			[]string{
				`w.yaml:4:37: error: "fast" is not a valid duration for latency: write e.g. 500ms, 1s or 1m30s [invalid-value]`,
				`w.yaml:5:53: error: "later" is not a valid duration for retryAfter: write e.g. 500ms, 1s or 1m30s [invalid-value]`,
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, ds := source.Parse("w.yaml", []byte(tt.src))
			if ds.HasErrors() {
				t.Fatal(lines(ds))
			}
			s, ds := Load(f)
			if s != nil {
				t.Errorf("Load returned a spec despite errors")
			}
			ds, _ = ds.Normalize(0)
			if got, want := lines(ds), strings.Join(tt.want, "\n"); got != want {
				t.Errorf("got\n%s\nwant\n%s", got, want)
			}
		})
	}
}

func TestApplyErrors(t *testing.T) {
	const head = "apiVersion: jml/v1\nkind: World\n"
	tests := []struct {
		name, src string
		want      []string
	}{
		{"unknown instance with a suggestion", head + "slak:\n  users: []\n",
			[]string{`w.yaml:3:1: error: the world describes instance "slak", which jml.yaml does not define; did you mean "slack"? [unknown-instance]`}},
		{"unknown instance", head + "zendesk: {}\n",
			[]string{`w.yaml:3:1: error: the world describes instance "zendesk", which jml.yaml does not define (its connectors are google, itsm, okta, slack) [unknown-instance]`}},
		{"key of another type", head + "okta:\n  records: []\n",
			[]string{`w.yaml:4:3: error: unknown key "records" in instance "okta" (type okta); it takes users, groups [unknown-key]`}},
		{"unknown key of a user", head + "okta:\n  users:\n    - {id: 00u1, stauts: ACTIVE}\n",
			[]string{`w.yaml:5:18: error: unknown key "stauts" in an okta user; did you mean "status"? [unknown-key]`}},
		{"slack user without email", head + "slack:\n  users:\n    - {id: U1}\n",
			[]string{`w.yaml:5:7: error: missing required key "email" [missing-key]`}},
		{"duplicate user", head + "slack:\n  users:\n    - {email: a@acme.com}\n    - {email: A@acme.com}\n",
			[]string{`w.yaml:6:7: error: user A@acme.com is listed twice [duplicate]`}},
		{"fault on an unknown instance", head + "faults:\n  - {action: slck.deactivateUser, status: 500}\n",
			[]string{`w.yaml:4:5: error: fault on slck.deactivateUser: the world describes instance "slck", which jml.yaml does not define; did you mean "slack"? [unknown-instance]`}},
		{"fault on an unknown action", head + "faults:\n  - {action: slack.deactivateUsr, status: 500}\n",
			[]string{`w.yaml:4:5: error: fault on slack.deactivateUsr: a slack connector has no action "deactivateUsr"; did you mean "deactivateUser"? [unknown-action]`}},
		{"bad table name", head + "itsm:\n  records:\n    - {table: Bad Table, fields: {a: b}}\n",
			[]string{`w.yaml:5:15: error: "Bad Table" is not a ServiceNow table name [invalid-value]`}},
		{"schema-valid but wrong for the type", head + "slack:\n  users:\n    - {email: a@acme.com, primaryEmail: x}\n",
			[]string{`w.yaml:5:27: error: unknown key "primaryEmail" in a slack user; it takes id, email, userName, displayName, active [unknown-key]`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, ds := source.Parse("w.yaml", []byte(tt.src))
			if ds.HasErrors() {
				t.Fatal(lines(ds))
			}
			s, ds := Load(f)
			if ds.HasErrors() {
				t.Fatalf("Load:\n%s", lines(ds))
			}
			ds, _ = s.Check(specInstances).Normalize(0)
			if got, want := lines(ds), strings.Join(tt.want, "\n"); got != want {
				t.Errorf("got\n%s\nwant\n%s", got, want)
			}
		})
	}
}

func TestLoadFile(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name, content, want string
	}{
		{"valid", "apiVersion: jml/v1\nkind: World\nfaults:\n  - {action: okta.*, timeout: true}\n", ""},
		{"faults only, no instances", "apiVersion: jml/v1\nkind: World\n", ""},
		{"yaml error", "apiVersion: jml/v1\nkind: [World\n", "yaml-syntax"},
		{"missing file", "", "read-error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := filepath.Join(dir, strings.ReplaceAll(tt.name, " ", "-")+".yaml")
			if tt.content != "" {
				if err := os.WriteFile(p, []byte(tt.content), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			s, ds := LoadFile(p, "worlds/w.yaml")
			if tt.want == "" {
				if len(ds) > 0 || s == nil {
					t.Fatalf("%v\n%s", s, lines(ds))
				}
				return
			}
			if s != nil || len(ds) == 0 || ds[0].Code != tt.want || ds[0].Range.File != "worlds/w.yaml" {
				t.Fatalf("got %v\n%s\nwant %s", s, lines(ds), tt.want)
			}
		})
	}
}

func TestDecodeNodeInline(t *testing.T) {
	src := `apiVersion: jml/v1
kind: Test
name: t
world:
  okta:
    users: [{id: 00u1, login: a@acme.com}]
  faults:
    - {action: okta.getUser, status: 503, times: 1}
`
	f, ds := source.Parse("test.yaml", []byte(src))
	if ds.HasErrors() {
		t.Fatal(lines(ds))
	}
	s, ds := DecodeNode(f, source.Get(f.Root, "world"))
	if len(ds) > 0 {
		t.Fatal(lines(ds))
	}
	if len(s.Faults) != 1 || s.Faults[0].at.String() != "test.yaml:8:7" {
		t.Fatalf("faults %+v", s.Faults)
	}

	bad := strings.Replace(src, "status: 503", "status: 503, tmes: 1", 1)
	f, _ = source.Parse("test.yaml", []byte(bad))
	_, ds = DecodeNode(f, source.Get(f.Root, "world"))
	if got, want := lines(ds), `test.yaml:8:43: error: unknown key "tmes" in item 0 of faults; did you mean "times"? [unknown-key]`; got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}

	bad = strings.Replace(src, "login: a@acme.com", "login: a@acme.com, statsu: X", 1)
	f, _ = source.Parse("test.yaml", []byte(bad))
	s, ds = DecodeNode(f, source.Get(f.Root, "world"))
	if ds.HasErrors() {
		t.Fatal(lines(ds))
	}
	ds = s.Check([]Instance{{Name: "okta", Type: "okta"}})
	if got, want := lines(ds), `test.yaml:6:43: error: unknown key "statsu" in an okta user; did you mean "status"? [unknown-key]`; got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

func TestDecodePlainValues(t *testing.T) {
	tests := []struct {
		name string
		v    map[string]any
		want string
	}{
		{"valid without header", map[string]any{"okta": map[string]any{}, "faults": []any{map[string]any{"action": "okta.*", "status": 500}}}, ""},
		{"wrong type names the path", map[string]any{"faults": []any{map[string]any{"action": "okta.*", "times": "x", "status": 500}}},
			`t.yaml:3:1: error: faults[0].times: "times" must be an integer, not a string [wrong-type]`},
		{"wrong kind", map[string]any{"kind": "Flow"}, `t.yaml:3:1: error: kind: kind of a world file must be World [invalid-value]`},
		{"instance must be a mapping", map[string]any{"okta": "x"}, `t.yaml:3:1: error: okta: instance "okta" must be a mapping, not a string [wrong-type]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, ds := Decode(tt.v, diagAt)
			if got := lines(ds); got != tt.want {
				t.Errorf("got\n%s\nwant\n%s", got, tt.want)
			}
			if (s == nil) != (tt.want != "") {
				t.Errorf("spec %v", s)
			}
		})
	}
	s, _ := Decode(map[string]any{"okta": map[string]any{"users": []any{map[string]any{"id": 5}}}}, diagAt)
	ds := s.Check([]Instance{{Name: "okta", Type: "okta"}})
	if got, want := lines(ds), `t.yaml:3:1: error: okta.users[0].id: "id" must be a string, not a number [wrong-type]`; !strings.Contains(got, want) {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

// TestDescribedWorld reads back what testdata/acme.yaml describes.
func TestDescribedWorld(t *testing.T) {
	w, _ := described(t)
	tests := []struct {
		call string
		in   map[string]any
		key  string
		want any
	}{
		{"okta.getUser", map[string]any{"userId": "boss@acme.com"}, "status", "ACTIVE"},
		{"okta.getManager", map[string]any{"userId": "jane.doe@acme.com"}, "id", "00u1boss0009"},
		{"slack.lookupUserByEmail", map[string]any{"email": "bob@acme.com"}, "active", false},
		{"slack.lookupUserByEmail", map[string]any{"email": "jane.doe@acme.com"}, "name", "jane"},
		{"google.getUser", map[string]any{"userKey": "robert@acme.com"}, "primaryEmail", "bob@acme.com"},
		{"google.getUser", map[string]any{"userKey": "jane.doe@acme.com"}, "orgUnitPath", "/Sales"},
		{"ms.getUser", map[string]any{"userId": "bob@acme.com"}, "accountEnabled", false},
		{"ms.getUser", map[string]any{"userId": "bob@acme.com"}, "id", "9cb882e3-74be-4b7a-897a-8494a411ad73"},
		{"itsm.createRecord", map[string]any{"table": "sc_task", "fields": map[string]any{}}, "number", "SCTASK0010042"},
		{"itsm.getRecord", map[string]any{"table": "incident", "sysId": "0123456789abcdef0123456789abcdef"}, "number", "INC0010001"},
		{"sf.getUser", map[string]any{"username": "jane.doe@acme.com"}, "id", "0055g00000AbCdE"},
		{"sf.getUser", map[string]any{"username": "bob@acme.com"}, "frozen", true},
		{"gh.getOrgMembership", map[string]any{"org": "ACME", "username": "bob"}, "state", "pending"},
		{"gh.getOrgMembership", map[string]any{"org": "acme", "username": "jane.doe"}, "role", "admin"},
		{"jira.createIssue", map[string]any{"project": "IT", "issueType": "Task", "summary": "s"}, "key", "IT-8"},
		{"hr.request", map[string]any{"method": "GET", "path": "/employees/e1"}, "status", int64(200)},
		{"ad.getUser", map[string]any{"sAMAccountName": "bob"}, "disabled", true},
		{"ad.getUser", map[string]any{"sAMAccountName": "jane.doe"}, "dn", "CN=Jane Doe,OU=Users,DC=acme,DC=com"},
	}
	for _, tt := range tests {
		t.Run(tt.call+"/"+tt.key, func(t *testing.T) {
			out := mustDo(t, w.Clone(), tt.call, tt.in)
			if out[tt.key] != tt.want {
				t.Errorf("%s = %v, want %v", tt.key, out[tt.key], tt.want)
			}
		})
	}
	if _, err := do(w, "gh.getOrgMembership", map[string]any{"org": "other", "username": "jane.doe"}); err == nil || err.Status != 404 {
		t.Errorf("a described GitHub is a closed world: %v", err)
	}
	if _, err := do(w, "okta.getUser", map[string]any{"userId": "nobody@acme.com"}); err == nil || err.Status != 500 {
		t.Errorf("the file's user-filtered fault did not apply: %v", err)
	}
	got := w.Instances()
	if len(got) != len(instanceOf) || got[0].Name != "ad" || got[0].Type != "activedirectory" {
		t.Errorf("Instances() = %v", got)
	}
}

func TestApplyReturnsAnErrorList(t *testing.T) {
	src := "apiVersion: jml/v1\nkind: World\nslak: {}\nslack:\n  users: [{email: a@acme.com}]\n"
	f, _ := source.Parse("w.yaml", []byte(src))
	s, ds := Load(f)
	if len(ds) > 0 {
		t.Fatal(lines(ds))
	}
	w := New(specInstances, nil)
	err := w.Apply(s)
	var el diag.ErrorList
	if !errors.As(err, &el) || len(el) != 1 || el[0].Range.String() != "w.yaml:3:1" || el[0].Code != "unknown-instance" {
		t.Fatalf("got %#v", err)
	}
	if !w.Described("slack") {
		t.Errorf("the valid part of the spec was not applied")
	}
	if err := w.Apply(nil); err != nil {
		t.Errorf("Apply(nil) = %v", err)
	}
}
