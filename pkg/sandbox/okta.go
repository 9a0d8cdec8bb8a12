package sandbox

import "net/http"

// oktaRoutes registers the okta API (placeholder until written).
func oktaRoutes(in *Instance, mux *http.ServeMux) {}
