package sandbox

import "net/http"

// salesforceRoutes registers the salesforce API (placeholder until written).
func salesforceRoutes(in *Instance, mux *http.ServeMux) {}
