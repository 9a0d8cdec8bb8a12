package sandbox_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/jml-dev/jml/pkg/sandbox"
	"github.com/jml-dev/jml/pkg/world"
)

// TestSalesforceRoundTripEdges holds the salesforce connector and the
// sandbox to the in-process world beyond the happy path, including
// usernames that need SOQL escaping.
func TestSalesforceRoundTripEdges(t *testing.T) {
	user := func(name string) map[string]any { return map[string]any{"username": name} }
	runGMSCases(t, "sf", []gmsCase{
		{name: "unknown user", world: "described", steps: []gmsStep{
			{"getUser", user("nobody@acme.com"), 404},
			{"freezeUser", user("nobody@acme.com"), 404},
			{"unfreezeUser", user("nobody@acme.com"), 404},
			{"deactivateUser", user("nobody@acme.com"), 404},
			{"getUser", user(`o'brien\' OR Username != '@acme.com`), 404},
			{"getUser", user("tab\there\"@acme.com"), 404},
			{"getUser", user(""), 400},
		}},
		{name: "states", world: "described", steps: []gmsStep{
			{"getUser", user("BOB@acme.com"), 0},
			{"unfreezeUser", user("bob@acme.com"), 0},
			{"freezeUser", user("jane.doe@acme.com"), 0},
			{"freezeUser", user("jane.doe@acme.com"), 0},
			{"getUser", user("jane.doe@acme.com"), 0},
			{"deactivateUser", user("jane.doe@acme.com"), 0},
			{"deactivateUser", user("jane.doe@acme.com"), 0},
			{"getUser", user("jane.doe@acme.com"), 0},
		}},
		{name: "injected faults", world: "seeded", faults: []world.Fault{
			{Action: "sf.freezeUser", Status: 429, Times: 1},
			{Action: "sf.deactivateUser", Status: 503},
			{Action: "sf.*", User: "bob@acme.com", Status: 500, Times: 1},
		}, steps: []gmsStep{
			{"freezeUser", user("jane.doe@acme.com"), 429},
			{"freezeUser", user("jane.doe@acme.com"), 0},
			{"deactivateUser", user("jane.doe@acme.com"), 503},
			{"getUser", user("bob@acme.com"), 500},
			{"getUser", user("bob@acme.com"), 0},
		}},
	})
}

// TestSalesforceSandboxMalformedQuery checks that the sandbox answers a
// SOQL query it does not model as Salesforce does a bad one.
func TestSalesforceSandboxMalformedQuery(t *testing.T) {
	srv := httptest.NewServer(sandbox.New(instances(), worlds["seeded"](t), sandbox.Options{}))
	defer srv.Close()
	for _, q := range []string{
		"SELECT Name FROM Account",
		"SELECT Id, IsActive FROM User WHERE Username = 'x' OR Username != 'y'",
		`SELECT Id, IsActive FROM User WHERE Username = 'bad\qescape'`,
	} {
		req, _ := http.NewRequest("GET", srv.URL+"/sf/services/data/v62.0/query?"+url.Values{"q": {q}}.Encode(), nil)
		req.Header.Set("Authorization", "Bearer jml-sandbox")
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var body []map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		if resp.StatusCode != 400 || len(body) != 1 || body[0]["errorCode"] != "MALFORMED_QUERY" {
			t.Errorf("%s: status %d, body %v", q, resp.StatusCode, body)
		}
	}
}
