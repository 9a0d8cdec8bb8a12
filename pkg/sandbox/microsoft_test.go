package sandbox_test

import (
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/jml-dev/jml/pkg/sandbox"
	"github.com/jml-dev/jml/pkg/world"
)

// TestMicrosoftRoundTripEdges holds the microsoft connector and the
// sandbox to the in-process world beyond the happy path.
func TestMicrosoftRoundTripEdges(t *testing.T) {
	jane := func(extra map[string]any) map[string]any {
		in := map[string]any{"userId": "jane.doe@acme.com"}
		for k, v := range extra {
			in[k] = v
		}
		return in
	}
	runGMSCases(t, "ms", []gmsCase{
		{name: "unknown user", world: "described", steps: []gmsStep{
			{"getUser", map[string]any{"userId": "nobody@acme.com"}, 404},
			{"disableUser", map[string]any{"userId": "00u1jane0001/revokeSignInSessions"}, 404},
			{"addToGroup", map[string]any{"userId": "00u1jane0001", "groupId": "grp-vpn/members/$ref?x=1"}, 404},
			{"getUser", map[string]any{"userId": "00000000-dead-beef-0000-000000000000"}, 404},
			{"disableUser", map[string]any{"userId": "nobody@acme.com"}, 404},
			{"revokeSignInSessions", map[string]any{"userId": "nobody@acme.com"}, 404},
			{"removeLicenses", map[string]any{"userId": "nobody@acme.com"}, 404},
			{"assignLicense", map[string]any{"userId": "nobody@acme.com", "skuId": "sku-e5"}, 404},
			{"addToGroup", map[string]any{"userId": "nobody@acme.com", "groupId": "grp-vpn"}, 404},
			{"removeFromGroup", map[string]any{"userId": "nobody@acme.com", "groupId": "grp-vpn"}, 404},
			{"removeFromGroup", map[string]any{"userId": "no-such-id", "groupId": "grp-vpn"}, 404},
		}},
		{name: "unknown group in a closed world", world: "described", steps: []gmsStep{
			{"addToGroup", jane(map[string]any{"groupId": "grp-none"}), 404},
			{"removeFromGroup", jane(map[string]any{"groupId": "grp-none"}), 404},
		}},
		{name: "unknown group in an open world", world: "seeded", steps: []gmsStep{
			{"removeFromGroup", jane(map[string]any{"groupId": "grp-new"}), 0},
			{"addToGroup", jane(map[string]any{"groupId": "grp-new"}), 0},
		}},
		{name: "idempotent group changes by id", world: "described", steps: []gmsStep{
			{"addToGroup", map[string]any{"userId": "00u1jane0001", "groupId": "grp-vpn"}, 0},
			{"removeFromGroup", map[string]any{"userId": "00u1jane0001", "groupId": "grp-vpn"}, 0},
			{"removeFromGroup", map[string]any{"userId": "00u1jane0001", "groupId": "grp-vpn"}, 0},
			{"addToGroup", map[string]any{"userId": "bob@acme.com", "groupId": "grp-vpn"}, 0},
		}},
		{name: "inherited licenses", world: "described", steps: []gmsStep{
			// acme.yaml: jane holds sku-e3 directly and through
			// grp-m365, sku-ems through grp-m365 only.
			{"removeLicenses", jane(map[string]any{"skuIds": []any{"SKU-EMS"}}), 0},
			{"removeLicenses", jane(map[string]any{"skuIds": []any{"sku-e3", "sku-ems"}}), 0},
			{"removeLicenses", jane(nil), 0},
			{"removeFromGroup", jane(map[string]any{"groupId": "grp-m365"}), 0},
			{"removeLicenses", jane(nil), 0},
		}},
		{name: "licenses", world: "described", steps: []gmsStep{
			{"assignLicense", jane(map[string]any{"skuId": "sku-e5", "disabledPlans": []any{"plan-1"}}), 0},
			{"assignLicense", jane(map[string]any{"skuId": "SKU-E5"}), 0},
			{"removeLicenses", jane(map[string]any{"skuIds": []any{"sku-visio", "SKU-E3"}}), 0},
			{"removeLicenses", jane(map[string]any{"skuIds": []any{}}), 0},
			{"removeLicenses", jane(nil), 0},
			{"removeLicenses", jane(nil), 0},
			{"removeLicenses", jane(map[string]any{"skuIds": "sku-e3"}), 400},
		}},
		{name: "enable and mail", world: "described", steps: []gmsStep{
			// bob is disabled in acme.yaml.
			{"enableUser", map[string]any{"userId": "bob@acme.com"}, 0},
			{"enableUser", map[string]any{"userId": "bob@acme.com"}, 0},
			{"enableUser", map[string]any{"userId": "nobody@acme.com"}, 404},
			{"getUser", map[string]any{"userId": "bob@acme.com"}, 0},
			{"listSubscribedSkus", map[string]any{}, 0},
			{"sendMail", jane(map[string]any{"to": "bob@acme.com, boss@acme.com", "subject": "Hi", "body": "Hello"}), 0},
			{"sendMail", jane(map[string]any{"to": "bob@acme.com", "cc": "boss@acme.com", "subject": "Hi", "body": "<b>Hello</b>", "contentType": "HTML"}), 0},
			{"sendMail", jane(map[string]any{"to": "bob@acme.com", "bcc": "audit@acme.com", "subject": "Hi", "body": "Hello"}), 0},
			{"sendMail", map[string]any{"userId": "nobody@acme.com", "to": "bob@acme.com", "subject": "Hi", "body": "Hello"}, 404},
			{"sendMail", jane(map[string]any{"to": "not-an-address", "subject": "Hi", "body": "Hello"}), 400},
		}},
		{name: "injected faults", world: "seeded", faults: []world.Fault{
			{Action: "ms.disableUser", Status: 429, Times: 1},
			{Action: "ms.removeLicenses", Status: 503},
			{Action: "ms.*", User: "bob@acme.com", Status: 500, Times: 1},
		}, steps: []gmsStep{
			{"disableUser", jane(nil), 429},
			{"disableUser", jane(nil), 0},
			{"removeLicenses", jane(nil), 503},
			{"revokeSignInSessions", map[string]any{"userId": "bob@acme.com"}, 500},
			{"revokeSignInSessions", map[string]any{"userId": "bob@acme.com"}, 0},
		}},
	})
}

// TestMicrosoftLicenseAssignmentStates holds the sandbox to Graph on
// group-based licensing: licenseAssignmentStates on $select, one per
// direct SKU (assignedByGroup null) and per SKU and group; assignLicense
// refuses to remove an inherited licence with Graph's message.
func TestMicrosoftLicenseAssignmentStates(t *testing.T) {
	ts := httptest.NewServer(sandbox.New(instances(), worlds["described"](t), sandbox.Options{}))
	t.Cleanup(ts.Close)
	srv := ts.URL
	status, body := do(t, "GET", srv+"/ms/v1.0/users/jane.doe@acme.com?$select=licenseAssignmentStates", "Bearer x", "")
	var got struct {
		States []map[string]any `json:"licenseAssignmentStates"`
	}
	if err := json.Unmarshal([]byte(body), &got); status != 200 || err != nil {
		t.Fatalf("%d %s %v", status, body, err)
	}
	var seen []string
	for _, s := range got.States {
		seen = append(seen, fmt.Sprintf("%v/%v/%v", s["skuId"], s["assignedByGroup"], s["state"]))
	}
	if want := "[sku-e3/<nil>/Active sku-e3/grp-m365/Active sku-ems/grp-m365/Active]"; fmt.Sprint(seen) != want {
		t.Errorf("licenseAssignmentStates %v, want %s", seen, want)
	}
	if _, ok := got.States[0]["assignedByGroup"]; !ok {
		t.Errorf("a direct assignment must carry assignedByGroup: null: %s", body)
	}
	for _, tc := range []struct {
		sku, msg string
	}{
		{"sku-ems", "User license is inherited from a group membership and it cannot be removed directly from the user."},
		{"sku-visio", "User does not have a corresponding license"},
	} {
		status, body = do(t, "POST", srv+"/ms/v1.0/users/jane.doe@acme.com/assignLicense", "Bearer x",
			`{"addLicenses":[],"removeLicenses":["`+tc.sku+`"]}`)
		if status != 400 || !strings.Contains(body, tc.msg) {
			t.Errorf("removing %s: %d %s, want 400 %q", tc.sku, status, body, tc.msg)
		}
	}
	// Held both ways, the direct assignment goes.
	if status, body = do(t, "POST", srv+"/ms/v1.0/users/jane.doe@acme.com/assignLicense", "Bearer x",
		`{"addLicenses":[],"removeLicenses":["sku-e3"]}`); status != 200 {
		t.Errorf("removing the direct sku-e3: %d %s", status, body)
	}
}

// TestMicrosoftMailAndSkus holds the sandbox's sendMail and subscribedSkus
// routes to Graph's shapes: 202 with no body; the action's parameters
// taken as the $metadata spells them and as the reference page does; a
// body without a message refused; the SKUs as an OData collection.
func TestMicrosoftMailAndSkus(t *testing.T) {
	w := worlds["described"](t)
	ts := httptest.NewServer(sandbox.New(instances(), w, sandbox.Options{}))
	t.Cleanup(ts.Close)
	srv := ts.URL + "/ms/v1.0"
	for _, body := range []string{
		`{"Message":{"subject":"Hi","body":{"contentType":"Text","content":"Hello"},"toRecipients":[{"emailAddress":{"address":"bob@acme.com"}}]},"SaveToSentItems":true}`,
		`{"message":{"subject":"Hi","body":{"contentType":"HTML","content":"<b>Hello</b>"},"toRecipients":[{"emailAddress":{"address":"bob@acme.com"}},{"emailAddress":{"address":"boss@acme.com"}}]}}`,
	} {
		if status, resp := do(t, "POST", srv+"/users/jane.doe@acme.com/sendMail", "Bearer x", body); status != 202 || resp != "" {
			t.Errorf("sendMail %s: %d %q, want 202 and no body", body, status, resp)
		}
	}
	msgs, _ := w.State()["ms"].(map[string]any)["messages"].([]any)
	if len(msgs) != 2 || msgs[1].(map[string]any)["to"] != "bob@acme.com, boss@acme.com" || msgs[1].(map[string]any)["contentType"] != "HTML" {
		t.Errorf("messages %v", msgs)
	}
	if status, resp := do(t, "POST", srv+"/users/jane.doe@acme.com/sendMail", "Bearer x", `{"SaveToSentItems":true}`); status != 400 || !strings.Contains(resp, "Message is required") {
		t.Errorf("sendMail without a message: %d %s", status, resp)
	}
	if status, resp := do(t, "PATCH", srv+"/users/bob@acme.com", "Bearer x", `{"accountEnabled":true,"displayName":"Bob"}`); status != 400 {
		t.Errorf("PATCH of another property: %d %s", status, resp)
	}
	status, resp := do(t, "GET", srv+"/subscribedSkus", "Bearer x", "")
	var got struct {
		Context string           `json:"@odata.context"`
		Value   []map[string]any `json:"value"`
	}
	if err := json.Unmarshal([]byte(resp), &got); status != 200 || err != nil {
		t.Fatalf("%d %s %v", status, resp, err)
	}
	if got.Context != "https://graph.microsoft.com/v1.0/$metadata#subscribedSkus" || len(got.Value) != 2 ||
		got.Value[0]["skuPartNumber"] != "sku-e3" || got.Value[0]["consumedUnits"] != float64(1) {
		t.Errorf("subscribedSkus %s", resp)
	}
}
