package connector_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jml-dev/jml/pkg/effect"
)

const (
	msJaneID   = "87d349ed-44d7-43e1-9a83-5f2406dee5bd"
	msJaneUser = "/v1.0/users/jane.doe@acme.com"
	msJaneJSON = `{"@odata.context":"https://graph.microsoft.com/v1.0/$metadata#users(id,userPrincipalName,accountEnabled,displayName,mail)/$entity",
		"id":"87d349ed-44d7-43e1-9a83-5f2406dee5bd","userPrincipalName":"jane.doe@acme.com","accountEnabled":true,"displayName":"Jane Doe","mail":"jane.doe@acme.com"}`
	msIDJSON  = `{"@odata.context":"https://graph.microsoft.com/v1.0/$metadata#users(id)/$entity","id":"87d349ed-44d7-43e1-9a83-5f2406dee5bd"}`
	msMembers = "/v1.0/groups/02bd9fd6-8f93-4758-87c3-1fb73740a315/members/"
	msGroup   = "/v1.0/groups/02bd9fd6-8f93-4758-87c3-1fb73740a315"
	msRefBody = `{"@odata.id":"https://graph.microsoft.com/v1.0/directoryObjects/87d349ed-44d7-43e1-9a83-5f2406dee5bd"}`
	msE3      = "6fd2c87f-b296-42f0-b197-1e91e994b900"
	msEMS     = "efccb6f7-5641-4e0e-bd10-b4976e1bf68e"
	msM365    = "1e8b4c2a-3f4d-4e5a-9b6c-7d8e9f0a1b2c"
	msSales   = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
	// msStates are two direct assignments, one listed twice (as Graph
	// may, once per assignment source).
	msStates = `{"@odata.context":"https://graph.microsoft.com/v1.0/$metadata#users(licenseAssignmentStates)/$entity","licenseAssignmentStates":[
		{"assignedByGroup":null,"disabledPlans":[],"state":"Active","error":"None","skuId":"efccb6f7-5641-4e0e-bd10-b4976e1bf68e"},
		{"assignedByGroup":null,"disabledPlans":[],"state":"Active","error":"None","skuId":"6fd2c87f-b296-42f0-b197-1e91e994b900"},
		{"assignedByGroup":null,"disabledPlans":[],"state":"Active","error":"None","skuId":"6fd2c87f-b296-42f0-b197-1e91e994b900"}]}`
	// msInheritedStates: E3 direct and through M365; EMS through M365
	// and Sales only.
	msInheritedStates = `{"licenseAssignmentStates":[
		{"assignedByGroup":"1e8b4c2a-3f4d-4e5a-9b6c-7d8e9f0a1b2c","disabledPlans":[],"state":"Active","error":"None","skuId":"efccb6f7-5641-4e0e-bd10-b4976e1bf68e"},
		{"assignedByGroup":"0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d","disabledPlans":[],"state":"Error","error":"CountViolation","skuId":"efccb6f7-5641-4e0e-bd10-b4976e1bf68e"},
		{"assignedByGroup":"1e8b4c2a-3f4d-4e5a-9b6c-7d8e9f0a1b2c","disabledPlans":[],"state":"Active","error":"None","skuId":"6fd2c87f-b296-42f0-b197-1e91e994b900"},
		{"assignedByGroup":null,"disabledPlans":[],"state":"Active","error":"None","skuId":"6fd2c87f-b296-42f0-b197-1e91e994b900"}]}`
	msUserResp = `{"@odata.context":"https://graph.microsoft.com/v1.0/$metadata#users/$entity","id":"87d349ed-44d7-43e1-9a83-5f2406dee5bd","displayName":"Jane Doe"}`
)

func msErr(code, msg string) string {
	return `{"error":{"code":"` + code + `","message":"` + msg + `","innerError":{"date":"2024-01-01T09:00:00","request-id":"r","client-request-id":"c"}}}`
}

var msNotFound = msErr("Request_ResourceNotFound", "Resource 'x' does not exist or one of its queried reference-property objects are not present.")

func TestMicrosoftClient(t *testing.T) {
	sel := func(f string) url.Values { return url.Values{"$select": {f}} }
	allFields := sel("id,userPrincipalName,accountEnabled,displayName,mail,licenseAssignmentStates")
	lasSel := sel("licenseAssignmentStates")
	jane := map[string]any{"userId": "jane.doe@acme.com"}
	with := func(in map[string]any, extra map[string]any) map[string]any {
		out := map[string]any{}
		for k, v := range in {
			out[k] = v
		}
		for k, v := range extra {
			out[k] = v
		}
		return out
	}
	group := map[string]any{"groupId": "02bd9fd6-8f93-4758-87c3-1fb73740a315"}
	byID := map[string]any{"userId": msJaneID}
	runGMSClientCases(t, "microsoft", []gmsClientCase{
		{name: "getUser", action: "getUser", input: jane,
			calls: []gmsExchange{{method: "GET", path: msJaneUser, query: allFields, resp: msJaneJSON}},
			want: map[string]any{"id": msJaneID, "userPrincipalName": "jane.doe@acme.com", "accountEnabled": true,
				"displayName": "Jane Doe", "mail": "jane.doe@acme.com", "licenseAssignmentStates": []any{}}},
		{name: "getUser with licences", action: "getUser", input: jane,
			calls: []gmsExchange{{method: "GET", path: msJaneUser, query: allFields,
				resp: `{"id":"87d349ed-44d7-43e1-9a83-5f2406dee5bd","userPrincipalName":"jane.doe@acme.com","accountEnabled":true,"displayName":"Jane Doe","mail":null,` +
					strings.TrimPrefix(msInheritedStates, "{")}},
			want: map[string]any{"id": msJaneID, "userPrincipalName": "jane.doe@acme.com", "accountEnabled": true,
				"displayName": "Jane Doe", "mail": "", "licenseAssignmentStates": []any{
					map[string]any{"skuId": msEMS, "assignedByGroup": msM365, "state": "Active"},
					map[string]any{"skuId": msEMS, "assignedByGroup": msSales, "state": "Error"},
					map[string]any{"skuId": msE3, "assignedByGroup": msM365, "state": "Active"},
					map[string]any{"skuId": msE3, "assignedByGroup": nil, "state": "Active"},
				}}},
		{name: "getUser without mail", action: "getUser", input: jane,
			calls: []gmsExchange{{method: "GET", path: msJaneUser, query: allFields,
				resp: `{"id":"87d349ed-44d7-43e1-9a83-5f2406dee5bd","userPrincipalName":"jane.doe@acme.com","accountEnabled":false,"displayName":"Jane Doe","mail":null}`}},
			want: map[string]any{"id": msJaneID, "userPrincipalName": "jane.doe@acme.com", "accountEnabled": false,
				"displayName": "Jane Doe", "mail": "", "licenseAssignmentStates": []any{}}},
		{name: "getUser missing input", action: "getUser", input: map[string]any{"userId": ""},
			err: &effect.Error{Status: 400, Code: "invalid_input"}, errMsg: "userId"},
		{name: "getUser 404", action: "getUser", input: jane,
			calls: []gmsExchange{{method: "GET", path: msJaneUser, query: allFields, status: 404, resp: msNotFound}},
			err:   &effect.Error{Status: 404, Code: "not_found"}, errMsg: "does not exist"},
		{name: "getUser 429", action: "getUser", input: jane,
			calls: []gmsExchange{{method: "GET", path: msJaneUser, query: allFields, status: 429,
				header: http.Header{"Retry-After": {"12"}}, resp: msErr("TooManyRequests", "Too many requests.")}},
			err: &effect.Error{Status: 429, Code: "rate_limited", Retryable: true, RetryAfter: 12 * time.Second}},
		{name: "getUser 503", action: "getUser", input: jane,
			calls: []gmsExchange{{method: "GET", path: msJaneUser, query: allFields, status: 503, resp: msErr("serviceNotAvailable", "Service unavailable")}},
			err:   &effect.Error{Status: 503, Code: "server_error", Retryable: true}, errMsg: "Service unavailable"},
		{name: "disableUser", action: "disableUser", input: jane,
			calls: []gmsExchange{{method: "PATCH", path: msJaneUser, body: `{"accountEnabled":false}`, status: 204}},
			want:  map[string]any{}},
		{name: "enableUser", action: "enableUser", input: jane,
			calls: []gmsExchange{{method: "PATCH", path: msJaneUser, body: `{"accountEnabled":true}`, status: 204}},
			want:  map[string]any{}},
		{name: "enableUser 404", action: "enableUser", input: jane,
			calls: []gmsExchange{{method: "PATCH", path: msJaneUser, body: `{"accountEnabled":true}`, status: 404, resp: msNotFound}},
			err:   &effect.Error{Status: 404, Code: "not_found"}, errMsg: "does not exist"},
		// subscribedsku-list's example answer, one SKU.
		{name: "listSubscribedSkus", action: "listSubscribedSkus", input: map[string]any{},
			calls: []gmsExchange{{method: "GET", path: "/v1.0/subscribedSkus", resp: `{"@odata.context":"https://graph.microsoft.com/v1.0/$metadata#subscribedSkus","value":[
				{"capabilityStatus":"Enabled","consumedUnits":14,"id":"48a80680-7326-48cd-9935-b556b81d3a4e_c7df2760-2c81-4ef7-b578-5b5392b571df",
				"prepaidUnits":{"enabled":25,"suspended":0,"warning":0},"servicePlans":[{"servicePlanId":"8c098270-9dd4-4350-9b30-ba4703f3b36b",
				"servicePlanName":"ADALLOM_S_O365","provisioningStatus":"Success","appliesTo":"User"}],
				"skuId":"c7df2760-2c81-4ef7-b578-5b5392b571df","skuPartNumber":"ENTERPRISEPREMIUM","appliesTo":"User"}]}`}},
			want: map[string]any{"skus": []any{map[string]any{"id": "48a80680-7326-48cd-9935-b556b81d3a4e_c7df2760-2c81-4ef7-b578-5b5392b571df",
				"skuId": "c7df2760-2c81-4ef7-b578-5b5392b571df", "skuPartNumber": "ENTERPRISEPREMIUM", "appliesTo": "User",
				"capabilityStatus": "Enabled", "consumedUnits": int64(14),
				"prepaidUnits": map[string]any{"enabled": int64(25), "suspended": int64(0), "warning": int64(0), "lockedOut": int64(0)},
				"servicePlans": []any{map[string]any{"servicePlanId": "8c098270-9dd4-4350-9b30-ba4703f3b36b", "servicePlanName": "ADALLOM_S_O365",
					"provisioningStatus": "Success", "appliesTo": "User"}}}}}},
		{name: "sendMail", action: "sendMail",
			input: with(jane, map[string]any{"to": "boss@acme.com, bob@acme.com", "cc": "it@acme.com", "bcc": "audit@acme.com, hr@acme.com", "subject": "Welcome", "body": "<p>Hi</p>", "contentType": "html"}),
			calls: []gmsExchange{{method: "POST", path: msJaneUser + "/sendMail", status: 202,
				body: `{"Message":{"subject":"Welcome","body":{"contentType":"HTML","content":"<p>Hi</p>"},` +
					`"toRecipients":[{"emailAddress":{"address":"boss@acme.com"}},{"emailAddress":{"address":"bob@acme.com"}}],` +
					`"ccRecipients":[{"emailAddress":{"address":"it@acme.com"}}],` +
					`"bccRecipients":[{"emailAddress":{"address":"audit@acme.com"}},{"emailAddress":{"address":"hr@acme.com"}}]},"SaveToSentItems":true}`}},
			want: map[string]any{}},
		{name: "sendMail plain text", action: "sendMail", input: with(jane, map[string]any{"to": "boss@acme.com", "subject": "Hi", "body": "Hello"}),
			calls: []gmsExchange{{method: "POST", path: msJaneUser + "/sendMail", status: 202,
				body: `{"Message":{"subject":"Hi","body":{"contentType":"Text","content":"Hello"},"toRecipients":[{"emailAddress":{"address":"boss@acme.com"}}]},"SaveToSentItems":true}`}},
			want: map[string]any{}},
		{name: "sendMail bad content type", action: "sendMail", input: with(jane, map[string]any{"to": "boss@acme.com", "subject": "Hi", "body": "Hello", "contentType": "markdown"}),
			err: &effect.Error{Status: 400, Code: "invalid_input"}, errMsg: "contentType"},
		{name: "sendMail missing to", action: "sendMail", input: with(jane, map[string]any{"subject": "Hi", "body": "Hello"}),
			err: &effect.Error{Status: 400, Code: "invalid_input"}, errMsg: "to"},
		{name: "revokeSignInSessions", action: "revokeSignInSessions", input: jane,
			calls: []gmsExchange{{method: "POST", path: msJaneUser + "/revokeSignInSessions",
				resp: `{"@odata.context":"https://graph.microsoft.com/v1.0/$metadata#Edm.Boolean","value":true}`}},
			want: map[string]any{}},
		{name: "assignLicense", action: "assignLicense", input: with(jane, map[string]any{"skuId": msE3}),
			calls: []gmsExchange{{method: "POST", path: msJaneUser + "/assignLicense",
				body: `{"addLicenses":[{"skuId":"` + msE3 + `","disabledPlans":[]}],"removeLicenses":[]}`, resp: msUserResp}},
			want: map[string]any{}},
		{name: "assignLicense with disabled plans", action: "assignLicense",
			input: with(jane, map[string]any{"skuId": msE3, "disabledPlans": []any{"113feb6c-3fe4-4440-bddc-54d774bf0318"}}),
			calls: []gmsExchange{{method: "POST", path: msJaneUser + "/assignLicense",
				body: `{"addLicenses":[{"skuId":"` + msE3 + `","disabledPlans":["113feb6c-3fe4-4440-bddc-54d774bf0318"]}],"removeLicenses":[]}`, resp: msUserResp}},
			want: map[string]any{}},
		{name: "assignLicense missing sku", action: "assignLicense", input: jane,
			err: &effect.Error{Status: 400, Code: "invalid_input"}, errMsg: "skuId"},
		{name: "removeLicenses all", action: "removeLicenses", input: jane,
			calls: []gmsExchange{
				{method: "GET", path: msJaneUser, query: lasSel, resp: msStates},
				{method: "POST", path: msJaneUser + "/assignLicense", body: `{"addLicenses":[],"removeLicenses":["` + msE3 + `","` + msEMS + `"]}`, resp: msUserResp},
			},
			want: map[string]any{"removed": []any{msE3, msEMS}, "inherited": []any{}}},
		{name: "removeLicenses held ones only", action: "removeLicenses",
			input: with(jane, map[string]any{"skuIds": []any{"c7df2760-2c81-4ef7-b578-5b5392b571df", msEMS}}),
			calls: []gmsExchange{
				{method: "GET", path: msJaneUser, query: lasSel, resp: msStates},
				{method: "POST", path: msJaneUser + "/assignLicense", body: `{"addLicenses":[],"removeLicenses":["` + msEMS + `"]}`, resp: msUserResp},
			},
			want: map[string]any{"removed": []any{msEMS}, "inherited": []any{}}},
		{name: "removeLicenses none held", action: "removeLicenses", input: jane,
			calls: []gmsExchange{
				{method: "GET", path: msJaneUser, query: lasSel, resp: `{"licenseAssignmentStates":[]}`},
				{method: "POST", path: msJaneUser + "/assignLicense", body: `{"addLicenses":[],"removeLicenses":[]}`, resp: msUserResp},
			},
			want: map[string]any{"removed": []any{}, "inherited": []any{}}},
		// Graph answers assignLicense 400 "User license is inherited from
		// a group membership and it cannot be removed directly from the
		// user." for an inherited SKU: only direct ones are sent.
		// Sorted by SKU, then group id.
		{name: "removeLicenses leaves inherited ones", action: "removeLicenses", input: jane,
			calls: []gmsExchange{
				{method: "GET", path: msJaneUser, query: lasSel, resp: msInheritedStates},
				{method: "POST", path: msJaneUser + "/assignLicense", body: `{"addLicenses":[],"removeLicenses":["` + msE3 + `"]}`, resp: msUserResp},
			},
			want: map[string]any{"removed": []any{msE3}, "inherited": []any{
				map[string]any{"skuId": msE3, "groupId": msM365},
				map[string]any{"skuId": msEMS, "groupId": msSales},
				map[string]any{"skuId": msEMS, "groupId": msM365},
			}}},
		{name: "removeLicenses only inherited asked for", action: "removeLicenses",
			input: with(jane, map[string]any{"skuIds": []any{strings.ToUpper(msEMS)}}),
			calls: []gmsExchange{
				{method: "GET", path: msJaneUser, query: lasSel, resp: msInheritedStates},
				{method: "POST", path: msJaneUser + "/assignLicense", body: `{"addLicenses":[],"removeLicenses":[]}`, resp: msUserResp},
			},
			want: map[string]any{"removed": []any{}, "inherited": []any{
				map[string]any{"skuId": msEMS, "groupId": msSales},
				map[string]any{"skuId": msEMS, "groupId": msM365},
			}}},
		{name: "removeLicenses unknown user", action: "removeLicenses", input: jane,
			calls: []gmsExchange{{method: "GET", path: msJaneUser, query: lasSel, status: 404, resp: msNotFound}},
			err:   &effect.Error{Status: 404, Code: "not_found"}},
		{name: "removeLicenses refused", action: "removeLicenses", input: jane,
			calls: []gmsExchange{
				{method: "GET", path: msJaneUser, query: lasSel, resp: msStates},
				{method: "POST", path: msJaneUser + "/assignLicense", body: `{"addLicenses":[],"removeLicenses":["` + msE3 + `","` + msEMS + `"]}`,
					status: 400, resp: msErr("Request_BadRequest", "User license is inherited from a group membership and it cannot be removed directly from the user.")},
			},
			err: &effect.Error{Status: 400, Code: "invalid_input"}, errMsg: "inherited from a group membership"},
		{name: "addToGroup by userPrincipalName", action: "addToGroup", input: with(jane, group),
			calls: []gmsExchange{
				{method: "GET", path: msJaneUser, query: sel("id"), resp: msIDJSON},
				{method: "POST", path: msMembers + "$ref", body: msRefBody, status: 204},
			},
			want: map[string]any{}},
		{name: "addToGroup by id, already a member", action: "addToGroup", input: with(byID, group),
			calls: []gmsExchange{{method: "POST", path: msMembers + "$ref", body: msRefBody, status: 400,
				resp: msErr("Request_BadRequest", "One or more added object references already exist for the following modified properties: 'members'.")}},
			want: map[string]any{}},
		{name: "addToGroup other bad request", action: "addToGroup", input: with(byID, group),
			calls: []gmsExchange{{method: "POST", path: msMembers + "$ref", body: msRefBody, status: 400,
				resp: msErr("Request_BadRequest", "Invalid object identifier.")}},
			err: &effect.Error{Status: 400, Code: "invalid_input"}, errMsg: "Invalid object identifier"},
		{name: "removeFromGroup", action: "removeFromGroup", input: with(byID, group),
			calls: []gmsExchange{{method: "DELETE", path: msMembers + msJaneID + "/$ref", status: 204}},
			want:  map[string]any{}},
		{name: "removeFromGroup not a member", action: "removeFromGroup", input: with(jane, group),
			calls: []gmsExchange{
				{method: "GET", path: msJaneUser, query: sel("id"), resp: msIDJSON},
				{method: "DELETE", path: msMembers + msJaneID + "/$ref", status: 404, resp: msNotFound},
				{method: "GET", path: msGroup, query: sel("id"), resp: `{"id":"02bd9fd6-8f93-4758-87c3-1fb73740a315"}`},
			},
			want: map[string]any{}},
		{name: "removeFromGroup by id, not a member", action: "removeFromGroup", input: with(byID, group),
			calls: []gmsExchange{
				{method: "DELETE", path: msMembers + msJaneID + "/$ref", status: 404, resp: msNotFound},
				{method: "GET", path: msGroup, query: sel("id"), resp: `{"id":"02bd9fd6-8f93-4758-87c3-1fb73740a315"}`},
				{method: "GET", path: "/v1.0/users/" + msJaneID, query: sel("id"), resp: msIDJSON},
			},
			want: map[string]any{}},
		{name: "removeFromGroup unknown group", action: "removeFromGroup", input: with(byID, group),
			calls: []gmsExchange{
				{method: "DELETE", path: msMembers + msJaneID + "/$ref", status: 404, resp: msNotFound},
				{method: "GET", path: msGroup, query: sel("id"), status: 404, resp: msNotFound},
			},
			err: &effect.Error{Status: 404, Code: "not_found"}},
		{name: "removeFromGroup unknown user", action: "removeFromGroup", input: with(jane, group),
			calls: []gmsExchange{{method: "GET", path: msJaneUser, query: sel("id"), status: 404, resp: msNotFound}},
			err:   &effect.Error{Status: 404, Code: "not_found"}},
	})
}

func TestMicrosoftClientTimeout(t *testing.T) {
	testGMSTimeout(t, "microsoft", "disableUser", map[string]any{"userId": "jane.doe@acme.com"})
}
