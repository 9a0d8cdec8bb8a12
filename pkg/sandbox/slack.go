package sandbox

import "net/http"

// slackRoutes registers the slack API (placeholder until written).
func slackRoutes(in *Instance, mux *http.ServeMux) {}
