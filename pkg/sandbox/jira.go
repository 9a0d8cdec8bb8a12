package sandbox

import "net/http"

// jiraRoutes registers the jira API (placeholder until written).
func jiraRoutes(in *Instance, mux *http.ServeMux) {}
