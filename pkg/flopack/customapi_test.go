package flopack

import (
	"encoding/json"
	"strings"
	"testing"
)

// customAPIPack is a helper flow (input userId) whose Custom API Action
// of module sends method to path (connected to userId when path is ""),
// with query and body, and a Continue If reading its Status Code unless
// unread. A body connectedBody is connected to the helper's input
// payload.
func customAPIPack(module, method, path string, query, headers, body any, unread bool) *Pack {
	req := &Card{ID: "r", Name: "Custom API Action", Module: module, Method: "hTTPRequest", Config: "conn",
		Inputs: []*Field{{ID: "rt", Key: "requestType", Value: method},
			{ID: "url", Group: "Request", Key: "Relative URL", Value: path},
			{ID: "q", Group: "Request", Key: "Query", Value: query},
			{ID: "h", Group: "Request", Key: "Headers", Value: headers},
			{ID: "b", Group: "Request", Key: "Body", Value: body}},
		Outputs: []*Field{{ID: "sc", Key: "Status Code"}, {ID: "hd", Key: "Headers"}, {ID: "bd", Key: "Body"}},
		Pins:    []Pin{{Output: "sc", Card: "k", Input: "l"}}}
	start := &Card{ID: "s", Name: "Helper Flow", Module: "control", Method: "callable", Kernel: true,
		Outputs: []*Field{{ID: "su", Key: "userId", Custom: true, Type: "string"}, {ID: "sp", Key: "payload", Custom: true, Type: "string"}}}
	if body == connectedBody {
		req.Inputs[4].Value = nil
		start.Pins = append(start.Pins, Pin{Output: "sp", Card: "r", Input: "b"})
	}
	if unread {
		req.Pins = nil
	}
	if path == "" {
		start.Pins = append(start.Pins, Pin{Output: "su", Card: "r", Input: "url"})
	}
	check := &Card{ID: "k", Name: "Continue If", Module: "control", Method: "continueIf", Kernel: true,
		Inputs: []*Field{{ID: "l", Key: "left-operand", Type: "number"}, {ID: "o", Key: "operator", Value: "=="},
			{ID: "rr", Key: "right-operand", Type: "number", Value: json.Number("200")}}}
	return &Pack{Connections: []*Connection{{ID: "conn", Name: "Org", Module: module}},
		Flows: []*Flow{{ID: "f", Name: "Call", Cards: []*Card{start, req, check},
			Edges: []Edge{{ID: "e1", From: "s", To: "r"}, {ID: "e2", From: "r", To: "k"}}}}}
}

const connectedBody = "(connected)"

func TestCustomAPIAction(t *testing.T) {
	tests := []struct {
		name                 string
		module, method, path string
		query, headers, body any
		unread               bool     // no card reads its outputs
		want                 []string // in the flow, jml.yaml or the decisions
		not                  []string
	}{
		{name: "okta GET with a literal path and query", module: "okta", method: "GET", path: "/api/v1/groups",
			query: map[string]any{"q": "Eng"}, body: map[string]any{},
			want: []string{"  - id: customAPIAction\n    action: okta-api.request\n    with:\n      method: GET\n      path: /api/v1/groups\n      query: {q: Eng}\n",
				"continueIf: steps.customAPIAction.output.status == 200",
				"  okta-api:\n    type: http\n    # baseURL: https://YOUR-ORG.okta.com\n    # auth: {type: ssws, token: {env: OKTA_API_TOKEN}}\n",
				`the Custom API Action cards of connection "Org" run on the http instance "okta-api"`},
			not: []string{"jml:todo", "not counted", "guardrail"}},
		{name: "okta POST to a connected path is a write the guardrail does not count", module: "okta", method: "POST",
			body: map[string]any{"type": "HELP_DESK_ADMIN"},
			want: []string{"      method: POST\n      path: ${{ inputs.userId }}\n      body: {type: HELP_DESK_ADMIN}\n",
				"Custom API Action (okta.hTTPRequest): POST through http.request is a write that no catalogue action describes: the deprovisioning guardrail (guardrails.maxDeprovisionsPerApply) does not count"},
			not: []string{"jml:todo"}},
		{name: "a connected body is sent as JSON", module: "okta", method: "POST", path: "/api/v1/groups", body: connectedBody,
			want: []string{"      method: POST\n      path: /api/v1/groups\n      headers: {Content-Type: application/json}\n      body: ${{ inputs.payload }}\n",
				"Okta's connector sends it as JSON, so the import sets the header Content-Type: application/json"}},
		{name: "a connected body with the card's Content-Type", module: "okta", method: "POST", path: "/api/v1/groups", body: connectedBody,
			headers: map[string]any{"content-type": "application/json; charset=utf-8", "Accept": "application/json"},
			want:    []string{"      headers: {Accept: application/json, content-type: application/json; charset=utf-8}\n      body: ${{ inputs.payload }}\n"},
			not:     []string{"Content-Type: application/json", "Okta's connector sends it as JSON"}},
		{name: "okta suspend is the catalogue's suspendUser", module: "okta", method: "POST", path: "/api/v1/users/00u1/lifecycle/suspend", unread: true,
			want: []string{"  - id: customAPIAction\n    action: okta.suspendUser\n    with:\n      userId: 00u1\n",
				"is the call of okta.suspendUser, a deprovisioning action of the catalogue"},
			not: []string{"okta-api", "jml:todo"}},
		{name: "okta DELETE of a user is the catalogue's deleteUser", module: "okta", method: "DELETE", path: "/api/v1/users/00u1", unread: true,
			want: []string{"    action: okta.deleteUser\n    with:\n      userId: 00u1\n"}},
		{name: "okta suspend whose Status Code is read stays http.request", module: "okta", method: "POST", path: "/api/v1/users/00u1/lifecycle/suspend",
			want: []string{"action: okta-api.request", "continueIf: steps.customAPIAction.output.status == 200", "does not count"},
			not:  []string{"jml:todo", "okta.suspendUser"}},
		{name: "okta deactivate with a body stays http.request", module: "okta", method: "POST", path: "/api/v1/users/00u1/lifecycle/deactivate",
			body: map[string]any{"x": "y"}, unread: true,
			want: []string{"action: okta-api.request", "does not count"}},
		{name: "okta GET(Streaming) is a todo", module: "okta", method: "GET(Streaming)", path: "/api/v1/users",
			want: []string{"jml:todo Custom API Action (okta.hTTPRequest): request type GET(Streaming): only GET, HEAD, POST, PUT, PATCH and DELETE are imported",
				"jml:todo Continue If (control.continueIf): input \"left-operand\" comes from Custom API Action"}},
		{name: "servicenow GET", module: "servicenow", method: "GET", path: "/api/now/table/sc_task",
			want: []string{"action: servicenow-api.request",
				"  servicenow-api:\n    type: http\n    # baseURL: https://YOUR-INSTANCE.service-now.com\n    # auth: {type: basic, username: {env: SN_USER}, password: {env: SN_PASSWORD}}\n"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files, rep := Import(customAPIPack(tt.module, tt.method, tt.path, tt.query, tt.headers, tt.body, tt.unread))
			var b strings.Builder
			for _, f := range files {
				b.Write(f.Data)
			}
			b.WriteString(strings.Join(rep.Decisions, "\n"))
			out := b.String()
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("want\n%s\nin:\n%s", w, out)
				}
			}
			for _, w := range tt.not {
				if strings.Contains(out, w) {
					t.Errorf("do not want %q in:\n%s", w, out)
				}
			}
		})
	}
}

func TestMatchPath(t *testing.T) {
	tests := []struct {
		tmpl, path string
		want       map[string]string
	}{
		{"/api/v1/users/{userId}/lifecycle/suspend", "/api/v1/users/00u1/lifecycle/suspend", map[string]string{"userId": "00u1"}},
		{"/api/v1/users/{userId}/lifecycle/suspend", "api/v1/users/00u1/lifecycle/suspend/", map[string]string{"userId": "00u1"}},
		{"/api/v1/users/{userId}/lifecycle/suspend", "/api/v1/users//lifecycle/suspend", nil},
		{"/api/v1/users/{userId}", "/api/v1/users/00u1/roles", nil},
		{"/api/v1/groups/{groupId}/users/{userId}", "/api/v1/groups/00g1/users/00u1", map[string]string{"groupId": "00g1", "userId": "00u1"}},
	}
	for _, tt := range tests {
		got, ok := matchPath(tt.tmpl, tt.path)
		if ok != (tt.want != nil) || len(got) != len(tt.want) {
			t.Errorf("matchPath(%q, %q) = %v, %v; want %v", tt.tmpl, tt.path, got, ok, tt.want)
			continue
		}
		for k, v := range tt.want {
			if got[k] != v {
				t.Errorf("matchPath(%q, %q)[%s] = %q, want %q", tt.tmpl, tt.path, k, got[k], v)
			}
		}
	}
}
