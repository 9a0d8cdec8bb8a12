package sandbox

import (
	"net/http"
	"strings"

	"github.com/jml-dev/jml/pkg/effect"
	"github.com/jml-dev/jml/pkg/world"
)

// googleLicensingRoutes registers the Enterprise License Manager API's
// licenseAssignments.listForProduct, get and delete, in the shapes of the
// discovery document (LicenseAssignmentList, LicenseAssignment, Empty),
// over the world's licence assignments. The world's one customer is
// world.GoogleCustomerID: another answers 403, as Google does for a
// customer the caller may not administer.
func googleLicensingRoutes(in *Instance, mux *http.ServeMux) {
	const products = "/apps/licensing/v1/product/{productId}"
	mux.HandleFunc("GET "+products+"/users", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		switch c := q.Get("customerId"); {
		case c == "":
			in.Error(w, &effect.Error{Status: 400, Code: "invalid_input", Message: "Required parameter: customerId"})
			return
		case c != world.GoogleCustomerID:
			in.Error(w, &effect.Error{Status: 403, Code: "forbidden", Message: "Not Authorized to access the customer " + c})
			return
		}
		// The request is one product of listUserLicenses: it takes that
		// action's injected faults.
		if err := in.World().Inject(r.Context(), in.Name, "listUserLicenses", map[string]any{"productId": r.PathValue("productId"), "customerId": q.Get("customerId")}); err != nil {
			in.Error(w, effect.AsError(err))
			return
		}
		// Google's default page is 100 assignments, its largest 1,000.
		size, start, ok := googlePage(in, w, q, 100, 1000)
		if !ok {
			return
		}
		var all []any
		for _, a := range googleAssignments(in) {
			if a["productId"] == r.PathValue("productId") {
				all = append(all, a)
			}
		}
		in.JSON(w, http.StatusOK, googlePageOf(map[string]any{"kind": "licensing#licenseAssignmentList", "etag": `"jml"`}, "items", all, start, size))
	})
	const one = products + "/sku/{skuId}/user/{userId}"
	mux.HandleFunc("GET "+one, func(w http.ResponseWriter, r *http.Request) {
		for _, a := range googleAssignments(in) {
			if a["productId"] == r.PathValue("productId") && a["skuId"] == r.PathValue("skuId") && strings.EqualFold(a["userId"].(string), r.PathValue("userId")) {
				in.JSON(w, http.StatusOK, a)
				return
			}
		}
		in.Error(w, &effect.Error{Status: 404, Code: "not_found", Message: "Resource Not Found: licence " + r.PathValue("productId") + "/" + r.PathValue("skuId") + " of " + r.PathValue("userId")})
	})
	mux.HandleFunc("DELETE "+one, func(w http.ResponseWriter, r *http.Request) {
		in2 := map[string]any{"userKey": r.PathValue("userId"), "productId": r.PathValue("productId"), "skuId": r.PathValue("skuId")}
		if _, err := in.Do(r.Context(), "unassignLicense", in2, ""); err != nil {
			in.Error(w, err)
			return
		}
		in.JSON(w, http.StatusOK, map[string]any{})
	})
}

// googleAssignments are the world's licence assignments as Google's
// LicenseAssignment resources, user by user in the world's order.
func googleAssignments(in *Instance) []map[string]any {
	var out []map[string]any
	users, _ := in.World().InstanceState(in.Name)["users"].([]any)
	for _, u := range users {
		um, _ := u.(map[string]any)
		email, _ := um["primaryEmail"].(string)
		ls, _ := um["licenses"].([]any)
		for _, l := range ls {
			lm, _ := l.(map[string]any)
			p, _ := lm["productId"].(string)
			s, _ := lm["skuId"].(string)
			out = append(out, map[string]any{"kind": "licensing#licenseAssignment", "etags": `"jml"`,
				"selfLink": "https://licensing.googleapis.com/apps/licensing/v1/product/" + p + "/sku/" + s + "/user/" + email,
				"userId":   email, "productId": p, "skuId": s, "skuName": lm["skuName"], "productName": lm["productName"]})
		}
	}
	return out
}
