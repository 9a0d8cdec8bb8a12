package sandbox

import "net/http"

// googleRoutes registers the google API (placeholder until written).
func googleRoutes(in *Instance, mux *http.ServeMux) {}
