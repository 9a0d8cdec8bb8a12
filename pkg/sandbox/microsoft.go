package sandbox

import "net/http"

// microsoftRoutes registers the microsoft API (placeholder until written).
func microsoftRoutes(in *Instance, mux *http.ServeMux) {}
