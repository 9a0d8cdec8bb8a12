package world

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/jml-dev/jml/pkg/diag"
)

// janeCreds is a google world file whose Jane holds two ASPs, two tokens,
// two mobile devices and three licences (one of a product the catalogue
// does not know), and Bob one device.
var janeCreds = map[string]any{"google": map[string]any{"users": []any{
	map[string]any{"primaryEmail": "jane.doe@acme.com", "id": "103456789012345678901",
		"asps": []any{
			map[string]any{"codeId": 123456, "name": "Thunderbird", "creationTime": "1704067200000", "lastTimeUsed": "1706745600000"},
			map[string]any{"codeId": 654321, "name": "iPhone Mail"},
		},
		"tokens": []any{
			map[string]any{"clientId": "1234.apps.googleusercontent.com", "displayText": "Acme CRM", "scopes": []any{"https://www.googleapis.com/auth/calendar"}},
			map[string]any{"clientId": "5678.apps.googleusercontent.com", "displayText": "Notes", "nativeApp": true},
		},
		"mobileDevices": []any{
			map[string]any{"resourceId": "AFiQxQ1", "deviceId": "SER1", "model": "Pixel 7", "os": "Android 14", "type": "ANDROID"},
			map[string]any{"resourceId": "AFiQxQ2", "deviceId": "SER2", "model": "iPhone 15", "os": "iOS 17.2", "type": "IOS_SYNC", "status": "BLOCKED"},
		},
		"licenses": []any{
			map[string]any{"productId": "Google-Vault", "skuId": "Google-Vault"},
			map[string]any{"productId": "Google-Apps", "skuId": "1010020020", "skuName": "Google Workspace Enterprise Plus"},
			map[string]any{"productId": "999999", "skuId": "9999990001"},
		}},
	map[string]any{"primaryEmail": "bob@acme.com", "aliases": []any{"robert@acme.com"},
		"mobileDevices": []any{map[string]any{"resourceId": "AFiQxQ9", "deviceId": "SER9"}}},
}}}

// janeCredentials describes the google instance by janeCreds.
func janeCredentials(t *testing.T, w *World, _ map[string]any) {
	t.Helper()
	spec, ds := Decode(janeCreds, diagAt)
	if len(ds) > 0 {
		t.Fatal(ds)
	}
	if err := w.Apply(spec); err != nil {
		t.Fatal(err)
	}
}

// TestGoogleCredentials holds the model of ASPs, tokens and mobile
// devices to the Directory API's answers: the lists in the world file's
// order, a delete takes one away, a second delete and an unknown id are
// 404, as Google answers, and an unknown user is 404 too.
func TestGoogleCredentials(t *testing.T) {
	jane := func(kv ...any) map[string]any {
		m := map[string]any{"userKey": "jane.doe@acme.com"}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i].(string)] = kv[i+1]
		}
		return m
	}
	tests := []struct {
		name   string
		before []string // actions before, each with the inputs below
		action string
		in     map[string]any
		status int    // 0: success
		out    string // the JSON of the outputs, on success
		state  string // a substring of the JSON of the users, on success
	}{
		{name: "list ASPs", action: "listASPs", in: jane(),
			out: `{"asps":[{"codeId":123456,"creationTime":"1704067200000","lastTimeUsed":"1706745600000","name":"Thunderbird","userKey":"103456789012345678901"},` +
				`{"codeId":654321,"creationTime":"","lastTimeUsed":"","name":"iPhone Mail","userKey":"103456789012345678901"}]}`},
		{name: "list ASPs by alias of a user without", action: "listASPs", in: map[string]any{"userKey": "robert@acme.com"}, out: `{"asps":[]}`},
		{name: "list ASPs of an unknown user", action: "listASPs", in: map[string]any{"userKey": "ghost@acme.com"}, status: 404},
		{name: "delete an ASP", action: "deleteASP", in: jane("codeId", int64(123456)), out: `{}`,
			state: `"asps":[{"codeId":654321,"name":"iPhone Mail"}]`},
		{name: "delete an ASP by its digits as text", action: "deleteASP", in: jane("codeId", "654321"), out: `{}`,
			state: `"asps":[{"codeId":123456,"name":"Thunderbird"}]`},
		{name: "delete an ASP by a code id that is no integer", action: "deleteASP", in: jane("codeId", "SER1"), status: 404},
		{name: "delete an ASP twice", before: []string{"deleteASP"}, action: "deleteASP", in: jane("codeId", int64(123456)), status: 404},
		{name: "delete an unknown ASP", action: "deleteASP", in: jane("codeId", int64(42)), status: 404},
		{name: "delete an ASP of an unknown user", action: "deleteASP", in: map[string]any{"userKey": "ghost@acme.com", "codeId": int64(123456)}, status: 404},
		{name: "list tokens", action: "listTokens", in: jane(),
			out: `{"tokens":[{"anonymous":false,"clientId":"1234.apps.googleusercontent.com","displayText":"Acme CRM","nativeApp":false,"scopes":["https://www.googleapis.com/auth/calendar"],"userKey":"103456789012345678901"},` +
				`{"anonymous":false,"clientId":"5678.apps.googleusercontent.com","displayText":"Notes","nativeApp":true,"scopes":[],"userKey":"103456789012345678901"}]}`},
		{name: "delete a token", action: "deleteToken", in: jane("clientId", "1234.apps.googleusercontent.com"), out: `{}`,
			state: `"tokens":[{"clientId":"5678.apps.googleusercontent.com","displayText":"Notes"}]`},
		{name: "delete a token twice", before: []string{"deleteToken"}, action: "deleteToken", in: jane("clientId", "1234.apps.googleusercontent.com"), status: 404},
		{name: "list mobile devices", action: "listMobileDevices", in: map[string]any{"email": "Jane.Doe@acme.com"},
			out: `{"mobileDevices":[{"deviceId":"SER1","email":["jane.doe@acme.com"],"model":"Pixel 7","os":"Android 14","resourceId":"AFiQxQ1","status":"APPROVED","type":"ANDROID"},` +
				`{"deviceId":"SER2","email":["jane.doe@acme.com"],"model":"iPhone 15","os":"iOS 17.2","resourceId":"AFiQxQ2","status":"BLOCKED","type":"IOS_SYNC"}]}`},
		{name: "list mobile devices of an address nobody has", action: "listMobileDevices", in: map[string]any{"email": "ghost@acme.com"}, out: `{"mobileDevices":[]}`},
		{name: "delete a mobile device", action: "deleteMobileDevice", in: map[string]any{"resourceId": "AFiQxQ2"}, out: `{}`,
			state: `"mobileDevices":[{"deviceId":"SER1","model":"Pixel 7","resourceId":"AFiQxQ1"}]`},
		{name: "delete another user's device", action: "deleteMobileDevice", in: map[string]any{"resourceId": "AFiQxQ9"}, out: `{}`,
			state: `"primaryEmail":"bob@acme.com","signOuts":0,"suspended":false}`},
		{name: "delete a mobile device twice", before: []string{"deleteMobileDevice"}, action: "deleteMobileDevice", in: map[string]any{"resourceId": "AFiQxQ2"}, status: 404},
		// Okta's template passes the deviceId (the serial number): Google
		// knows no device by it.
		{name: "delete a mobile device by its serial number", action: "deleteMobileDevice", in: map[string]any{"resourceId": "SER1"}, status: 404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, _ := seeded(t)
			janeCredentials(t, w, nil)
			for _, a := range tt.before {
				mustDo(t, w, "google."+a, tt.in)
			}
			out, err := do(w, "google."+tt.action, tt.in)
			if tt.status != 0 {
				if err == nil || err.Status != tt.status || !strings.Contains(err.Message, "Resource Not Found") {
					t.Fatalf("got %v, want status %d, Resource Not Found", err, tt.status)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if b, _ := json.Marshal(out); string(b) != tt.out {
				t.Errorf("outputs %s\nwant    %s", b, tt.out)
			}
			b, _ := json.Marshal(w.State()["google"].(map[string]any)["users"])
			if !strings.Contains(string(b), tt.state) {
				t.Errorf("users %s lack %s", b, tt.state)
			}
		})
	}
}

// TestGoogleCredentialsClone: a clone does not share the credentials,
// so a dry run's deletes leave the world as it was.
func TestGoogleCredentialsClone(t *testing.T) {
	w, _ := seeded(t)
	janeCredentials(t, w, nil)
	c := w.Clone()
	mustDo(t, c, "google.deleteASP", map[string]any{"userKey": "jane.doe@acme.com", "codeId": int64(123456)})
	mustDo(t, c, "google.deleteToken", map[string]any{"userKey": "jane.doe@acme.com", "clientId": "5678.apps.googleusercontent.com"})
	mustDo(t, c, "google.deleteMobileDevice", map[string]any{"resourceId": "AFiQxQ1"})
	for _, tc := range []struct {
		w    *World
		want int
	}{{w, 2}, {c, 1}} {
		jane := tc.w.State()["google"].(map[string]any)["users"].([]any)[1].(map[string]any)
		for _, k := range []string{"asps", "tokens", "mobileDevices"} {
			if l, _ := jane[k].([]any); len(l) != tc.want {
				t.Errorf("%s: %v, want %d", k, jane[k], tc.want)
			}
		}
	}
}

// TestGoogleCredentialsWorldFile: the world file's mistakes are told at
// their place.
func TestGoogleCredentialsWorldFile(t *testing.T) {
	user := func(k string, v any) map[string]any {
		return map[string]any{"google": map[string]any{"users": []any{map[string]any{"primaryEmail": "jane.doe@acme.com", k: v}}}}
	}
	tests := []struct {
		name string
		v    map[string]any
		want string
	}{
		{"ASP without a codeId", user("asps", []any{map[string]any{"name": "x"}}), "codeId"},
		{"ASP codeId over int32", user("asps", []any{map[string]any{"codeId": int64(1) << 31}}), "32-bit"},
		{"unknown key of an ASP", user("asps", []any{map[string]any{"codeId": 1, "nmae": "x"}}), `did you mean "name"`},
		{"token without a clientId", user("tokens", []any{map[string]any{"displayText": "x"}}), "clientId"},
		{"device without a resourceId", user("mobileDevices", []any{map[string]any{"deviceId": "x"}}), "resourceId"},
		{"device twice", user("mobileDevices", []any{map[string]any{"resourceId": "A"}, map[string]any{"resourceId": "A"}}), "listed twice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec, ds := Decode(tt.v, diag.Range{})
			err := ds.Err()
			if err == nil {
				w, _ := seeded(t)
				err = w.Apply(spec)
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want an error saying %s", err, tt.want)
			}
		})
	}
}
