package world

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/jml-dev/jml/pkg/diag"
)

// TestGoogleLicences holds the model of licence assignments to what the
// google connector makes of the Enterprise License Manager API: the
// catalogue's products in its order (a product it does not know is not
// read), one product when productId is given, another customer refused,
// an unassignment takes one away and a second one is 404.
func TestGoogleLicences(t *testing.T) {
	jane := func(kv ...any) map[string]any {
		m := map[string]any{"userKey": "jane.doe@acme.com"}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i].(string)] = kv[i+1]
		}
		return m
	}
	const apps = `{"productId":"Google-Apps","productName":"Google Workspace","skuId":"1010020020","skuName":"Google Workspace Enterprise Plus","userId":"jane.doe@acme.com"}`
	const vault = `{"productId":"Google-Vault","productName":"Google Vault","skuId":"Google-Vault","skuName":"Google-Vault","userId":"jane.doe@acme.com"}`
	tests := []struct {
		name   string
		before []string
		action string
		in     map[string]any
		status int
		out    string
		state  string
	}{
		{name: "list in the catalogue's product order", action: "listUserLicenses", in: jane(),
			out: `{"licenses":[` + apps + `,` + vault + `],"unavailableProducts":[]}`},
		{name: "list by alias", action: "listUserLicenses", in: map[string]any{"userKey": "robert@acme.com"}, out: `{"licenses":[],"unavailableProducts":[]}`},
		{name: "list one product", action: "listUserLicenses", in: jane("productId", "Google-Vault"), out: `{"licenses":[` + vault + `],"unavailableProducts":[]}`},
		{name: "list a product the catalogue does not know, by its id", action: "listUserLicenses", in: jane("productId", "999999"),
			out: `{"licenses":[{"productId":"999999","productName":"999999","skuId":"9999990001","skuName":"9999990001","userId":"jane.doe@acme.com"}],"unavailableProducts":[]}`},
		{name: "list for the account's customer", action: "listUserLicenses", in: jane("customerId", GoogleCustomerID, "productId", "Google-Vault"),
			out: `{"licenses":[` + vault + `],"unavailableProducts":[]}`},
		{name: "list for another customer", action: "listUserLicenses", in: jane("customerId", "C0other00"), status: 403},
		{name: "list of an unknown user", action: "listUserLicenses", in: map[string]any{"userKey": "ghost@acme.com"}, status: 404},
		{name: "unassign", action: "unassignLicense", in: jane("productId", "Google-Apps", "skuId", "1010020020"), out: `{}`,
			state: `"licenses":[{"productId":"Google-Vault","productName":"Google Vault","skuId":"Google-Vault","skuName":"Google-Vault"},{"productId":"999999"`},
		{name: "unassign twice", before: []string{"unassignLicense"}, action: "unassignLicense", in: jane("productId", "Google-Apps", "skuId", "1010020020"), status: 404},
		{name: "unassign a SKU not held", action: "unassignLicense", in: jane("productId", "Google-Apps", "skuId", "1010020025"), status: 404},
		{name: "unassign by the unique ID, not the primary email", action: "unassignLicense",
			in: map[string]any{"userKey": "103456789012345678901", "productId": "Google-Apps", "skuId": "1010020020"}, status: 404},
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
				if err == nil || err.Status != tt.status {
					t.Fatalf("got %v, want status %d", err, tt.status)
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

// TestGoogleLicenceFile: a licence needs productId and skuId, once each.
func TestGoogleLicenceFile(t *testing.T) {
	for _, tc := range []struct {
		licenses []any
		want     string
	}{
		{[]any{map[string]any{"skuId": "1"}}, "productId"},
		{[]any{map[string]any{"productId": "Google-Apps", "skuId": "1"}, map[string]any{"productId": "Google-Apps", "skuId": "1"}}, "listed twice"},
		{[]any{map[string]any{"productId": "Google-Apps", "skuId": "1", "seats": 2}}, "seats"},
	} {
		spec, ds := Decode(map[string]any{"google": map[string]any{"users": []any{
			map[string]any{"primaryEmail": "jane.doe@acme.com", "licenses": tc.licenses}}}}, diag.Range{})
		err := ds.Err()
		if err == nil {
			w, _ := seeded(t)
			err = w.Apply(spec)
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("licenses %v: error %v, want one naming %q", tc.licenses, err, tc.want)
		}
	}
}
