package sandbox

import "net/http"

// serviceNowRoutes registers the servicenow API (placeholder until written).
func serviceNowRoutes(in *Instance, mux *http.ServeMux) {}
