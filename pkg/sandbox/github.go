package sandbox

import "net/http"

// gitHubRoutes registers the github API (placeholder until written).
func gitHubRoutes(in *Instance, mux *http.ServeMux) {}
