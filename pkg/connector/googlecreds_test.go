package connector_test

import (
	"net/url"
	"testing"

	"github.com/jml-dev/jml/pkg/effect"
)

// The Directory API's answers, in the shapes of its discovery document
// (Asps, Tokens, MobileDevices).
const (
	gASPsJSON = `{"kind":"admin#directory#aspList","etag":"\"a\"","items":[
		{"kind":"admin#directory#asp","etag":"\"a1\"","codeId":123456,"name":"Thunderbird","creationTime":"1704067200000","lastTimeUsed":"1706745600000","userKey":"103456789012345678901"},
		{"kind":"admin#directory#asp","codeId":654321,"name":"iPhone Mail","creationTime":"1704153600000","userKey":"103456789012345678901"}]}`
	gTokensJSON = `{"kind":"admin#directory#tokenList","etag":"\"t\"","items":[
		{"kind":"admin#directory#token","clientId":"1234.apps.googleusercontent.com","displayText":"Acme CRM","anonymous":false,"nativeApp":false,
		 "scopes":["https://www.googleapis.com/auth/calendar","https://www.googleapis.com/auth/drive.readonly"],"userKey":"103456789012345678901"}]}`
	gDevicesPath = "/admin/directory/v1/customer/my_customer/devices/mobile"
)

func gDevice(resource, serial, owner string) string {
	return `{"kind":"admin#directory#mobiledevice","resourceId":"` + resource + `","deviceId":"` + serial + `","email":["` + owner + `"],
		"model":"Pixel 7","os":"Android 14","status":"APPROVED","type":"ANDROID","serialNumber":"` + serial + `"}`
}

func TestGoogleCredentialClient(t *testing.T) {
	jane := map[string]any{"userKey": "jane.doe@acme.com"}
	with := func(k string, v any) map[string]any { return map[string]any{"userKey": "jane.doe@acme.com", k: v} }
	byEmail := url.Values{"query": {"email:jane.doe@acme.com"}}
	device := func(resource, serial string) map[string]any {
		return map[string]any{"resourceId": resource, "deviceId": serial, "email": []any{"jane.doe@acme.com"},
			"model": "Pixel 7", "os": "Android 14", "status": "APPROVED", "type": "ANDROID"}
	}
	runGMSClientCases(t, "google", []gmsClientCase{
		{name: "listASPs", action: "listASPs", input: jane,
			calls: []gmsExchange{{method: "GET", path: gUsers + "jane.doe@acme.com/asps", resp: gASPsJSON}},
			want: map[string]any{"asps": []any{
				map[string]any{"codeId": 123456, "name": "Thunderbird", "creationTime": "1704067200000", "lastTimeUsed": "1706745600000", "userKey": "103456789012345678901"},
				map[string]any{"codeId": 654321, "name": "iPhone Mail", "creationTime": "1704153600000", "lastTimeUsed": "", "userKey": "103456789012345678901"},
			}}},
		{name: "listASPs none", action: "listASPs", input: jane,
			calls: []gmsExchange{{method: "GET", path: gUsers + "jane.doe@acme.com/asps", resp: `{"kind":"admin#directory#aspList","etag":"\"a\""}`}},
			want:  map[string]any{"asps": []any{}}},
		{name: "listASPs unknown user", action: "listASPs", input: jane,
			calls: []gmsExchange{{method: "GET", path: gUsers + "jane.doe@acme.com/asps", status: 404, resp: g404}},
			err:   &effect.Error{Status: 404, Code: "not_found"}, errMsg: "userKey"},
		{name: "deleteASP", action: "deleteASP", input: with("codeId", int64(123456)),
			calls: []gmsExchange{{method: "DELETE", path: gUsers + "jane.doe@acme.com/asps/123456", status: 204}},
			want:  map[string]any{}},
		{name: "deleteASP float code id", action: "deleteASP", input: with("codeId", float64(2147483647)),
			calls: []gmsExchange{{method: "DELETE", path: gUsers + "jane.doe@acme.com/asps/2147483647", status: 204}},
			want:  map[string]any{}},
		{name: "deleteASP string code id", action: "deleteASP", input: with("codeId", "123456"),
			calls: []gmsExchange{{method: "DELETE", path: gUsers + "jane.doe@acme.com/asps/123456", status: 204}},
			want:  map[string]any{}},
		{name: "deleteASP not an integer", action: "deleteASP", input: with("codeId", 1.5),
			err: &effect.Error{Status: 400, Code: "invalid_input"}, errMsg: "codeId"},
		{name: "deleteASP over int32", action: "deleteASP", input: with("codeId", int64(1)<<31),
			err: &effect.Error{Status: 400, Code: "invalid_input"}, errMsg: "codeId"},
		{name: "deleteASP missing code id", action: "deleteASP", input: jane,
			err: &effect.Error{Status: 400, Code: "invalid_input"}, errMsg: "codeId"},
		{name: "deleteASP gone", action: "deleteASP", input: with("codeId", int64(123456)),
			calls: []gmsExchange{{method: "DELETE", path: gUsers + "jane.doe@acme.com/asps/123456", status: 404, resp: gErr(404, "Resource Not Found: codeId")}},
			err:   &effect.Error{Status: 404, Code: "not_found"}, errMsg: "codeId"},
		{name: "listTokens", action: "listTokens", input: jane,
			calls: []gmsExchange{{method: "GET", path: gUsers + "jane.doe@acme.com/tokens", resp: gTokensJSON}},
			want: map[string]any{"tokens": []any{map[string]any{"clientId": "1234.apps.googleusercontent.com", "displayText": "Acme CRM",
				"anonymous": false, "nativeApp": false, "userKey": "103456789012345678901",
				"scopes": []any{"https://www.googleapis.com/auth/calendar", "https://www.googleapis.com/auth/drive.readonly"}}}}},
		{name: "listTokens none", action: "listTokens", input: jane,
			calls: []gmsExchange{{method: "GET", path: gUsers + "jane.doe@acme.com/tokens", resp: `{"kind":"admin#directory#tokenList"}`}},
			want:  map[string]any{"tokens": []any{}}},
		{name: "deleteToken", action: "deleteToken", input: with("clientId", "1234.apps.googleusercontent.com"),
			calls: []gmsExchange{{method: "DELETE", path: gUsers + "jane.doe@acme.com/tokens/1234.apps.googleusercontent.com", status: 204}},
			want:  map[string]any{}},
		{name: "deleteToken escapes the client id", action: "deleteToken", input: with("clientId", "a/b?c"),
			calls: []gmsExchange{{method: "DELETE", path: gUsers + "jane.doe@acme.com/tokens/a%2Fb%3Fc", status: 204}},
			want:  map[string]any{}},
		{name: "deleteToken gone", action: "deleteToken", input: with("clientId", "1234.apps.googleusercontent.com"),
			calls: []gmsExchange{{method: "DELETE", path: gUsers + "jane.doe@acme.com/tokens/1234.apps.googleusercontent.com", status: 404, resp: gErr(404, "Resource Not Found: clientId")}},
			err:   &effect.Error{Status: 404, Code: "not_found"}},
		{name: "deleteToken missing client id", action: "deleteToken", input: jane,
			err: &effect.Error{Status: 400, Code: "invalid_input"}, errMsg: "clientId"},
		{name: "listMobileDevices pages", action: "listMobileDevices", input: map[string]any{"email": "jane.doe@acme.com"},
			calls: []gmsExchange{
				{method: "GET", path: gDevicesPath, query: byEmail,
					resp: `{"kind":"admin#directory#mobiledevices","mobiledevices":[` + gDevice("AFiQxQ1", "SER1", "jane.doe@acme.com") + `],"nextPageToken":"p2"}`},
				{method: "GET", path: gDevicesPath, query: url.Values{"query": {"email:jane.doe@acme.com"}, "pageToken": {"p2"}},
					resp: `{"kind":"admin#directory#mobiledevices","mobiledevices":[` + gDevice("AFiQxQ2", "SER2", "Jane.Doe@acme.com") + `,` +
						gDevice("AFiQxQ3", "SER3", "jane.doe@acme.com.au") + `]}`},
			},
			// The search matched another owner's device too: it is not Jane's.
			want: map[string]any{"mobileDevices": []any{device("AFiQxQ1", "SER1"),
				map[string]any{"resourceId": "AFiQxQ2", "deviceId": "SER2", "email": []any{"Jane.Doe@acme.com"},
					"model": "Pixel 7", "os": "Android 14", "status": "APPROVED", "type": "ANDROID"}}}},
		{name: "listMobileDevices none", action: "listMobileDevices", input: map[string]any{"email": "jane.doe@acme.com", "customerId": "C01abcd"},
			calls: []gmsExchange{{method: "GET", path: "/admin/directory/v1/customer/C01abcd/devices/mobile", query: byEmail,
				resp: `{"kind":"admin#directory#mobiledevices"}`}},
			want: map[string]any{"mobileDevices": []any{}}},
		{name: "listMobileDevices missing email", action: "listMobileDevices", input: map[string]any{},
			err: &effect.Error{Status: 400, Code: "invalid_input"}, errMsg: "email"},
		{name: "deleteMobileDevice", action: "deleteMobileDevice", input: map[string]any{"resourceId": "AFiQxQ1"},
			calls: []gmsExchange{{method: "DELETE", path: gDevicesPath + "/AFiQxQ1", status: 204}},
			want:  map[string]any{}},
		{name: "deleteMobileDevice by serial number", action: "deleteMobileDevice", input: map[string]any{"resourceId": "SER1"},
			calls: []gmsExchange{{method: "DELETE", path: gDevicesPath + "/SER1", status: 404, resp: gErr(404, "Resource Not Found: resourceId")}},
			err:   &effect.Error{Status: 404, Code: "not_found"}, errMsg: "resourceId"},
	})
}
