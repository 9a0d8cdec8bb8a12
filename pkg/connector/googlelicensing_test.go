package connector_test

import (
	"net/url"
	"testing"

	"github.com/jml-dev/jml/pkg/catalog"
	"github.com/jml-dev/jml/pkg/effect"
)

// The Enterprise License Manager API's answers, in the shapes of its
// discovery document (LicenseAssignmentList, LicenseAssignment).
const (
	gJaneCustomerJSON = `{"kind":"admin#directory#user","id":"103456789012345678901","primaryEmail":"jane.doe@acme.com","customerId":"C03az79cb"}`
	gLic403           = `{"error":{"code":403,"message":"Not Authorized to access the application ID","errors":[{"message":"Not Authorized to access the application ID","domain":"global","reason":"forbidden"}]}}`
)

func gAssignment(user, product, sku, skuName string) string {
	return `{"kind":"licensing#licenseAssignment","etags":"\"e\"","selfLink":"https://licensing.googleapis.com/apps/licensing/v1/product/` + product + `/sku/` + sku + `/user/` + user + `",` +
		`"userId":"` + user + `","productId":"` + product + `","skuId":"` + sku + `","skuName":"` + skuName + `","productName":"Google Workspace"}`
}

func TestGoogleLicensingClient(t *testing.T) {
	lic := func(product, sku, skuName string) map[string]any {
		return map[string]any{"productId": product, "productName": "Google Workspace", "skuId": sku, "skuName": skuName, "userId": "jane.doe@acme.com"}
	}
	page := func(customer, token string) url.Values {
		q := url.Values{"customerId": {customer}, "maxResults": {"1000"}}
		if token != "" {
			q.Set("pageToken", token)
		}
		return q
	}
	getJane := gmsExchange{method: "GET", path: gUsers + "jane.doe", resp: gJaneCustomerJSON}
	products := catalog.GoogleLicenseProducts()

	// Every product read: Google-Apps holds Jane's licence, the others
	// are refused (no subscription).
	every := []gmsExchange{getJane}
	var refused []any
	for i, p := range products {
		x := gmsExchange{method: "GET", path: "/apps/licensing/v1/product/" + url.PathEscape(p.ID) + "/users", query: page("C03az79cb", "")}
		if i == 0 {
			x.resp = `{"kind":"licensing#licenseAssignmentList","items":[` + gAssignment("jane.doe@acme.com", p.ID, "1010020020", "Google Workspace Enterprise Plus") + `]}`
		} else {
			x.status, x.resp = 403, gLic403
			refused = append(refused, p.ID)
		}
		every = append(every, x)
	}
	allRefused := []gmsExchange{getJane}
	for _, p := range products {
		allRefused = append(allRefused, gmsExchange{method: "GET", path: "/apps/licensing/v1/product/" + url.PathEscape(p.ID) + "/users", query: page("C03az79cb", ""), status: 403, resp: gLic403})
	}

	runGMSClientCases(t, "google", []gmsClientCase{
		{name: "every product", action: "listUserLicenses", input: map[string]any{"userKey": "jane.doe"}, calls: every,
			want: map[string]any{"licenses": []any{lic("Google-Apps", "1010020020", "Google Workspace Enterprise Plus")}, "unavailableProducts": refused}},
		{name: "every product refused", action: "listUserLicenses", input: map[string]any{"userKey": "jane.doe"}, calls: allRefused,
			err: &effect.Error{Status: 403, Code: "forbidden"}, errMsg: "Not Authorized"},
		{name: "one product, every page, the user's only", action: "listUserLicenses",
			input: map[string]any{"userKey": "jane.doe", "productId": "Google-Apps", "customerId": "C0given00"},
			calls: []gmsExchange{getJane,
				{method: "GET", path: "/apps/licensing/v1/product/Google-Apps/users", query: page("C0given00", ""),
					resp: `{"kind":"licensing#licenseAssignmentList","items":[` + gAssignment("bob@acme.com", "Google-Apps", "1010020020", "Plus") + `,` +
						gAssignment("Jane.Doe@acme.com", "Google-Apps", "1010020025", "Business Plus") + `],"nextPageToken":"p2"}`},
				{method: "GET", path: "/apps/licensing/v1/product/Google-Apps/users", query: page("C0given00", "p2"),
					resp: `{"kind":"licensing#licenseAssignmentList","items":[` + gAssignment("jane.doe@acme.com", "Google-Apps", "1010020020", "Plus") + `]}`},
			},
			want: map[string]any{"licenses": []any{
				map[string]any{"productId": "Google-Apps", "productName": "Google Workspace", "skuId": "1010020025", "skuName": "Business Plus", "userId": "Jane.Doe@acme.com"},
				lic("Google-Apps", "1010020020", "Plus")}, "unavailableProducts": []any{}}},
		{name: "another error fails the list", action: "listUserLicenses", input: map[string]any{"userKey": "jane.doe", "productId": "Google-Apps"},
			calls: []gmsExchange{getJane, {method: "GET", path: "/apps/licensing/v1/product/Google-Apps/users", query: page("C03az79cb", ""), status: 500, resp: `{"error":{"code":500,"message":"Backend Error"}}`}},
			err:   &effect.Error{Status: 500, Code: "server_error", Retryable: true}},
		{name: "unknown user", action: "listUserLicenses", input: map[string]any{"userKey": "jane.doe"},
			calls: []gmsExchange{{method: "GET", path: gUsers + "jane.doe", status: 404, resp: g404}},
			err:   &effect.Error{Status: 404, Code: "not_found"}, errMsg: "userKey"},
		{name: "unassign", action: "unassignLicense", input: map[string]any{"userKey": "jane.doe@acme.com", "productId": "Google-Apps", "skuId": "1010020020"},
			calls: []gmsExchange{{method: "DELETE", path: "/apps/licensing/v1/product/Google-Apps/sku/1010020020/user/jane.doe@acme.com", resp: `{}`}},
			want:  map[string]any{}},
		{name: "unassign a licence not held", action: "unassignLicense", input: map[string]any{"userKey": "jane.doe@acme.com", "productId": "Google-Apps", "skuId": "1010020020"},
			calls: []gmsExchange{{method: "DELETE", path: "/apps/licensing/v1/product/Google-Apps/sku/1010020020/user/jane.doe@acme.com", status: 404, resp: `{"error":{"code":404,"message":"User does not have a license for specified sku and product"}}`}},
			err:   &effect.Error{Status: 404, Code: "not_found"}},
		{name: "unassign without a SKU", action: "unassignLicense", input: map[string]any{"userKey": "jane.doe@acme.com", "productId": "Google-Apps"},
			err: &effect.Error{Status: 400, Code: "invalid_input"}, errMsg: "skuId"},
	})
}
