package catalog

// Description is a vendor's published, machine-readable API description
// that the contract test (pkg/contract, issue #13) checks an action's
// calls against: every request the connector sends (method, path, path
// and query parameters, headers, body) and every answer the sandbox gives
// for the same operation.
type Description struct {
	// ID names the trimmed description file (testdata/vendor-specs/SOURCES.md).
	ID string `json:"id"`
	// Title is the vendor's title and version of the description.
	Title string `json:"title"`
	// Format is "openapi" (2 or 3), "csdl" (OData $metadata) or
	// "discovery" (a Google API discovery document).
	Format string `json:"format"`
}

// contractOf returns what an action is verified against: its own
// Verified or Unverified, else its type's, else that nothing is recorded.
func contractOf(c *Connector, a *Action) (*Description, string) {
	d, why := a.Verified, a.Unverified
	if d == nil && why == "" {
		d, why = c.Verified, c.Unverified
	}
	if d != nil {
		cp := *d
		return &cp, ""
	}
	if why == "" {
		why = "no contract is recorded for this action"
	}
	return nil, why
}
