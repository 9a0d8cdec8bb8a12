package connector

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"github.com/jml-dev/jml/pkg/catalog"
	"github.com/jml-dev/jml/pkg/effect"
)

const (
	licensingDefaultURL = "https://licensing.googleapis.com"
	licensingProducts   = "/apps/licensing/v1/product/"
)

// licensing performs listUserLicenses and unassignLicense over Google's
// Enterprise License Manager API, whose root is the licensingURL setting
// (googleAPI). It lists a product's assignments, not a user's: a user's
// licences are read product by product.
func (c *googleClient) licensing(ctx context.Context, req effect.Request) (map[string]any, error) {
	api, err := googleAPI(c.in, "licensingURL", licensingDefaultURL)
	if err != nil {
		return nil, err
	}
	if req.Action == "unassignLicense" {
		keys, err := Require(req.Input, "userKey", "productId", "skuId")
		if err != nil {
			return nil, err
		}
		path := licensingProducts + Seg(keys[1]) + "/sku/" + Seg(keys[2]) + "/user/" + Seg(keys[0])
		if _, err := api.Call(ctx, "DELETE", path, nil, nil, nil); err != nil {
			return nil, err
		}
		return map[string]any{}, nil
	}
	keys, err := Require(req.Input, "userKey")
	if err != nil {
		return nil, err
	}
	// Google's userId for licences is the primary email; users.get
	// answers it, and the customer the user belongs to.
	u, err := c.getUser(ctx, keys[0])
	if err != nil {
		return nil, err
	}
	email, customer := String(u, "primaryEmail"), String(req.Input, "customerId")
	if customer == "" {
		customer = String(u, "customerId")
	}
	if email == "" || customer == "" {
		return nil, &effect.Error{Status: 502, Code: "bad_response", Message: fmt.Sprintf("users.get of %s answered no primaryEmail or customerId", keys[0])}
	}
	var products []string
	if p := String(req.Input, "productId"); p != "" {
		products = []string{p}
	} else {
		for _, p := range catalog.GoogleLicenseProducts() {
			products = append(products, p.ID)
		}
	}
	licences, unavailable := []any{}, []any{}
	var first error
	for _, p := range products {
		items, err := c.productLicences(ctx, api, p, customer, email)
		if e := effect.AsError(err); e != nil && (e.Status == 400 || e.Status == 403 || e.Status == 404) {
			// A product the customer has no subscription to.
			if first == nil {
				first = err
			}
			unavailable = append(unavailable, p)
			continue
		}
		if err != nil {
			return nil, err
		}
		licences = append(licences, items...)
	}
	if len(unavailable) == len(products) {
		// Every product refused: a missing scope or a wrong customer,
		// never read as "no licence".
		return nil, first
	}
	return map[string]any{"licenses": licences, "unavailableProducts": unavailable}, nil
}

// productLicences reads every page of licenseAssignments.listForProduct
// and keeps the assignments of the user with that primary email.
func (c *googleClient) productLicences(ctx context.Context, api *Instance, product, customer, email string) ([]any, error) {
	out := []any{}
	query := url.Values{"customerId": {customer}, "maxResults": {"1000"}}
	err := googleEachPage(ctx, api, "licenseAssignments.listForProduct", licensingProducts+Seg(product)+"/users", query, "items", func(a map[string]any) {
		if strings.EqualFold(strings.TrimSpace(String(a, "userId")), email) {
			out = append(out, map[string]any{"productId": String(a, "productId"), "productName": String(a, "productName"),
				"skuId": String(a, "skuId"), "skuName": String(a, "skuName"), "userId": String(a, "userId")})
		}
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
