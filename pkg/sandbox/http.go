package sandbox

import "net/http"

// httpRoutes registers the http API (placeholder until written).
func httpRoutes(in *Instance, mux *http.ServeMux) {}
