package catalog

import "slices"

// googleLicensing is the description the licence actions of the google
// type are verified against: Google's discovery document of the
// Enterprise License Manager API, with the Directory API's users.get
// (listUserLicenses looks the user up first).
var googleLicensing = &Description{ID: "google-licensing", Format: "discovery",
	Title: "Google Enterprise License Manager API licensing_v1 rev 20220502 and Directory API directory_v1 rev 20230131 (discovery documents, googleapis/google-api-nodejs-client)"}

const googleLicensingDocs = "https://developers.google.com/workspace/admin/licensing/reference/rest/v1/"

// GoogleLicenseProduct is a product of Google's Enterprise License
// Manager API: its licences are SKUs of the product.
type GoogleLicenseProduct struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// googleLicenseProducts are the product IDs of Google's "Google Product
// and SKU IDs" page (developers.google.com/workspace/admin/licensing/v1/
// how-tos/products), as read on 2026-12-05 with GAM's list of the same
// page's products (GAM wiki, Licenses): what listUserLicenses reads when
// its productId input is not given. A product Google adds later is not
// read until it is added here or passed as productId.
var googleLicenseProducts = []GoogleLicenseProduct{
	{"Google-Apps", "Google Workspace"},
	{"101031", "Google Workspace for Education"},
	{"101037", "Google Workspace for Education"},
	{"101034", "Google Workspace Archived User"},
	{"101043", "Google Workspace Additional Storage"},
	{"101047", "Gemini"},
	{"101068", "Gemini Business"},
	{"101033", "Google Voice"},
	{"101036", "Google Meet Global Dialing"},
	{"101001", "Cloud Identity"},
	{"101005", "Cloud Identity Premium"},
	{"101035", "Cloud Search"},
	{"101038", "AppSheet"},
	{"101039", "Assured Controls"},
	{"101040", "Chrome Enterprise"},
	{"101049", "Education Endpoint Management"},
	{"101050", "Colab"},
	{"Google-Vault", "Google Vault"},
	{"Google-Drive-storage", "Google Drive Storage"},
	{"Google-Chrome-Device-Management", "Google Chrome Device Management"},
}

// GoogleLicenseProducts returns the products listUserLicenses reads by
// default, in the order it reads them.
func GoogleLicenseProducts() []GoogleLicenseProduct { return slices.Clone(googleLicenseProducts) }

// googleLicenseActions are the Enterprise License Manager API actions of
// the google type, served by licensing.googleapis.com: a suspended
// user keeps the licences assigned to them (and the customer pays for
// them), so a leaver lists them and unassigns each.
func googleLicenseActions() []Action {
	return []Action{
		{
			Name:   "listUserLicenses",
			Scopes: []string{googleScope + "apps.licensing", googleScope + "admin.directory.user.readonly"},
			Description: "List the licences assigned to a user: users.get for the user's primary email and customer ID, then " +
				"licenseAssignments.listForProduct of each product, every page, keeping the user's assignments.",
			Effect:     Read,
			Idempotent: true,
			Verified:   googleLicensing,
			Inputs: []Field{
				googleUserKey(googleUserKeyDesc),
				optIn("customerId", String, "Customer ID the licences are listed for, e.g. C01234567 (default: the user's customerId, as users.get answers it)."),
				optIn("productId", String, "The one product to read (default: every product of Google's Product and SKU IDs page, in turn; docs/connectors.md lists them)."),
			},
			Outputs: []Field{
				out("licenses", List, "The user's licence assignments, product by product in the order read, in Google's order within a product (empty when there is none).",
					out("productId", String, "Product ID, e.g. Google-Apps, what unassignLicense takes."),
					out("productName", String, "Display name of the product."),
					out("skuId", String, "SKU ID, e.g. 1010020020, what unassignLicense takes."),
					out("skuName", String, "Display name of the SKU, e.g. Google Workspace Enterprise Plus."),
					out("userId", String, "The user's primary email address."),
				),
				out("unavailableProducts", List, "Product IDs Google would not list for the customer (400, 403 or 404: a product the customer has no subscription to): read as holding none of the user's licences. When every product is refused the action fails instead."),
			},
			Call: Call{Protocol: "http", Method: "GET", Path: "/apps/licensing/v1/product/{productId}/users?customerId={customerId}&maxResults=1000",
				Docs: googleLicensingDocs + "licenseAssignments/listForProduct",
				Lookups: []LookupCall{
					{Method: "GET", Path: "/admin/directory/v1/users/{userKey}", Yields: []string{"customerId", "userId"}, Docs: googleDirectoryDocs + "users/get"},
				},
			},
		},
		{
			Name:         "unassignLicense",
			Scopes:       []string{googleScope + "apps.licensing"},
			Deprovision:  true,
			RemovesGrant: true,
			Subject:      "userKey",
			Description:  "Unassign one of the user's licences (licenseAssignments.delete): the user loses the product's services and the licence is free for another user.",
			Effect:       Write,
			Idempotent:   true,
			Repeat:       "Google answers 404 (the user no longer holds the licence): nothing changes, but the retry fails",
			Verified:     googleLicensing,
			Inputs: []Field{
				reqIn("userKey", String, "The user's primary email address (Google's userId for licences: not an alias or the unique ID)."),
				reqIn("productId", String, "Product ID of the licence (listUserLicenses' productId)."),
				reqIn("skuId", String, "SKU ID of the licence (listUserLicenses' skuId)."),
			},
			Call: Call{Protocol: "http", Method: "DELETE", Path: "/apps/licensing/v1/product/{productId}/sku/{skuId}/user/{userKey}",
				Docs: googleLicensingDocs + "licenseAssignments/delete"},
		},
	}
}
