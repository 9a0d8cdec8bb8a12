package world

import (
	"net/http"
	"strings"

	"github.com/jml-dev/jml/pkg/catalog"
	"github.com/jml-dev/jml/pkg/effect"
)

// GoogleCustomerID is the customer ID of the simulated Google Workspace
// account: what users.get answers as a user's customerId, and the one
// customer the licence assignments are listed for.
const GoogleCustomerID = "C03jm1sbx"

// googleLicence is one licence assignment: a SKU of a product, assigned
// to a user.
type googleLicence struct {
	productID, productName, skuID, skuName string
}

// loadLicences reads a world file user's licenses.
func loadLicences(x userObj) {
	for _, l := range x.o.list("licenses") {
		l.allow("a licence", "productId", "skuId", "productName", "skuName")
		p, s := l.reqStr("productId"), l.reqStr("skuId")
		if p == "" || s == "" {
			continue
		}
		if x.u.licence(p, s) >= 0 {
			l.errf("skuId", "duplicate", "licence %s/%s is listed twice", p, s)
			continue
		}
		name := l.str("productName")
		if name == "" {
			name = googleProductName(p)
		}
		sku := l.str("skuName")
		if sku == "" {
			sku = s
		}
		x.u.licences = append(x.u.licences, googleLicence{productID: p, productName: name, skuID: s, skuName: sku})
	}
}

// googleProductName is the catalogue's name of a product, else its ID.
func googleProductName(id string) string {
	for _, p := range catalog.GoogleLicenseProducts() {
		if p.ID == id {
			return p.Name
		}
	}
	return id
}

// licence is the index of the user's assignment of a SKU, or -1.
func (u *googleUser) licence(product, sku string) int {
	for i, l := range u.licences {
		if l.productID == product && l.skuID == sku {
			return i
		}
	}
	return -1
}

// licences performs listUserLicenses and unassignLicense as the google
// connector does over the Enterprise License Manager API: the products
// read are the one given or the catalogue's, in its order (a licence of
// another product is not listed, as with Google); a customerId other
// than the account's is refused (403) for every product, which fails
// the list; unassigning a licence the user does not hold answers 404.
func (m *googleModel) licences(c *call) (map[string]any, error) {
	u, err := m.user(c.str("userKey"))
	if err != nil {
		return nil, err
	}
	switch c.action {
	case "listUserLicenses":
		if id := c.str("customerId"); id != "" && id != GoogleCustomerID {
			return nil, effect.HTTPError(http.StatusForbidden, "Not Authorized to access the customer "+id)
		}
		products := []string{c.str("productId")}
		if products[0] == "" {
			products = products[:0]
			for _, p := range catalog.GoogleLicenseProducts() {
				products = append(products, p.ID)
			}
		}
		out := []any{}
		for _, p := range products {
			for _, l := range u.licences {
				if l.productID == p {
					out = append(out, map[string]any{"productId": l.productID, "productName": l.productName, "skuId": l.skuID, "skuName": l.skuName, "userId": u.primaryEmail})
				}
			}
		}
		return map[string]any{"licenses": out, "unavailableProducts": []any{}}, nil
	case "unassignLicense":
		// Google's userId for licences is the primary email only.
		if !strings.EqualFold(c.str("userKey"), u.primaryEmail) {
			return nil, googleNotFound("userId " + c.str("userKey"))
		}
		i := u.licence(c.str("productId"), c.str("skuId"))
		if i < 0 {
			return nil, googleNotFound("licence " + c.str("productId") + "/" + c.str("skuId") + " of " + u.primaryEmail)
		}
		u.licences = append(u.licences[:i:i], u.licences[i+1:]...)
		return map[string]any{}, nil
	}
	return nil, notImplemented("google", c.action)
}

// licenceState is the user's licences in its state (absent when none).
func (u *googleUser) licenceState(st map[string]any) {
	if len(u.licences) == 0 {
		return
	}
	l := make([]any, 0, len(u.licences))
	for _, a := range u.licences {
		l = append(l, map[string]any{"productId": a.productID, "productName": a.productName, "skuId": a.skuID, "skuName": a.skuName})
	}
	st["licenses"] = l
}
