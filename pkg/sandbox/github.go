package sandbox

import (
	"net/http"
	"net/url"
)

// gitHubRoutes registers the GitHub REST API's organization membership
// endpoints.
func gitHubRoutes(in *Instance, mux *http.ServeMux) {
	mux.HandleFunc("GET /orgs/{org}/memberships/{username}", func(w http.ResponseWriter, r *http.Request) {
		out, err := in.Do(r.Context(), "getOrgMembership", map[string]any{"org": r.PathValue("org"), "username": r.PathValue("username")}, "")
		if err != nil {
			in.Error(w, err)
			return
		}
		login, _ := out["organization"].(string)
		name, _ := out["user"].(string)
		in.JSON(w, http.StatusOK, map[string]any{
			"url":              "/orgs/" + url.PathEscape(login) + "/memberships/" + url.PathEscape(name),
			"state":            out["state"],
			"role":             out["role"],
			"organization_url": "/orgs/" + url.PathEscape(login),
			"organization":     map[string]any{"login": login},
			"user":             map[string]any{"login": name},
		})
	})
	mux.HandleFunc("DELETE /orgs/{org}/members/{username}", func(w http.ResponseWriter, r *http.Request) {
		if _, err := in.Do(r.Context(), "removeOrgMember", map[string]any{"org": r.PathValue("org"), "username": r.PathValue("username")}, ""); err != nil {
			in.Error(w, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
}
