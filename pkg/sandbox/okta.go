package sandbox

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/jml-dev/jml/pkg/effect"
)

// oktaMaxPage is the largest page GET /api/v1/users serves, as in Okta.
const oktaMaxPage = 200

// oktaRoutes registers the Okta Management API paths the okta connector
// calls, each translated to its catalogue action so that world faults
// apply.
func oktaRoutes(in *Instance, mux *http.ServeMux) {
	o := &oktaAPI{in: in}
	in.Gate(o.dpopGate)
	mux.HandleFunc("POST /oauth2/v1/token", o.token)
	mux.HandleFunc("GET /api/v1/users", o.listUsers)
	mux.HandleFunc("GET /api/v1/logs", o.logs)
	mux.HandleFunc("GET /api/v1/users/{id}", func(w http.ResponseWriter, r *http.Request) {
		out, ok := o.do(w, r, "getUser", map[string]any{"userId": r.PathValue("id")})
		if ok {
			in.JSON(w, http.StatusOK, o.user(r, out))
		}
	})
	mux.HandleFunc("POST /api/v1/users/{id}", func(w http.ResponseWriter, r *http.Request) {
		body, ok := in.ReadJSON(w, r)
		if !ok {
			return
		}
		input := map[string]any{"userId": r.PathValue("id")}
		if p, present := body["profile"]; present {
			input["profile"] = p
		}
		if out, ok := o.do(w, r, "updateUserProfile", input); ok {
			in.JSON(w, http.StatusOK, o.user(r, out))
		}
	})
	mux.HandleFunc("GET /api/v1/users/{id}/groups", func(w http.ResponseWriter, r *http.Request) {
		out, ok := o.do(w, r, "listUserGroups", map[string]any{"userId": r.PathValue("id")})
		if !ok {
			return
		}
		groups, _ := out["groups"].([]any)
		list := make([]any, 0, len(groups))
		for _, g := range groups {
			gm, _ := g.(map[string]any)
			id, _ := gm["id"].(string)
			list = append(list, map[string]any{
				"id": id, "type": gm["type"], "objectClass": []any{"okta:user_group"}, "profile": gm["profile"],
				"_links": map[string]any{"self": map[string]any{"href": o.url(r, "/api/v1/groups/"+url.PathEscape(id))}},
			})
		}
		in.JSON(w, http.StatusOK, list)
	})
	mux.HandleFunc("GET /api/v1/users/{id}/linkedObjects/{rel}", func(w http.ResponseWriter, r *http.Request) {
		if r.PathValue("rel") != "manager" {
			in.Error(w, &effect.Error{Status: 404, Code: "not_found", Message: "Not found: Resource not found: " + r.PathValue("rel") + " (LinkedObject)"})
			return
		}
		out, err := in.Do(r.Context(), "getManager", map[string]any{"userId": r.PathValue("id")}, "")
		if err != nil {
			// Okta answers an empty list for a user without a manager.
			if err.Status == http.StatusNotFound && strings.Contains(err.Message, "has no manager") {
				in.JSON(w, http.StatusOK, []any{})
				return
			}
			in.Error(w, err)
			return
		}
		id, _ := out["id"].(string)
		in.JSON(w, http.StatusOK, []any{map[string]any{"_links": map[string]any{
			"self": map[string]any{"href": o.url(r, "/api/v1/users/"+url.PathEscape(id))}}}})
	})
	membership := func(action string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			if _, ok := o.do(w, r, action, map[string]any{"groupId": r.PathValue("gid"), "userId": r.PathValue("uid")}); ok {
				w.WriteHeader(http.StatusNoContent)
			}
		}
	}
	mux.HandleFunc("PUT /api/v1/groups/{gid}/users/{uid}", membership("addUserToGroup"))
	mux.HandleFunc("DELETE /api/v1/groups/{gid}/users/{uid}", membership("removeUserFromGroup"))
	mux.HandleFunc("DELETE /api/v1/users/{id}/sessions", func(w http.ResponseWriter, r *http.Request) {
		input := map[string]any{"userId": r.PathValue("id")}
		if !o.bools(w, r, input, "oauthTokens", "forgetDevices") {
			return
		}
		if _, ok := o.do(w, r, "clearUserSessions", input); ok {
			w.WriteHeader(http.StatusNoContent)
		}
	})
	lifecycle := func(action string, flags ...string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			input := map[string]any{"userId": r.PathValue("id")}
			if !o.bools(w, r, input, flags...) {
				return
			}
			if _, ok := o.do(w, r, action, input); ok {
				in.JSON(w, http.StatusOK, map[string]any{})
			}
		}
	}
	mux.HandleFunc("POST /api/v1/users/{id}/lifecycle/deactivate", lifecycle("deactivateUser", "sendEmail"))
	mux.HandleFunc("POST /api/v1/users/{id}/lifecycle/suspend", lifecycle("suspendUser"))
	mux.HandleFunc("DELETE /api/v1/users/{id}", func(w http.ResponseWriter, r *http.Request) {
		input := map[string]any{"userId": r.PathValue("id")}
		if !o.bools(w, r, input, "sendEmail") {
			return
		}
		if _, ok := o.do(w, r, "deleteUser", input); ok {
			w.WriteHeader(http.StatusNoContent)
		}
	})
	mux.HandleFunc("POST /api/v1/users/{id}/lifecycle/unsuspend", lifecycle("unsuspendUser"))
}

// oktaAPI holds the helpers of the Okta routes.
type oktaAPI struct {
	in     *Instance
	tokens oktaTokens
}

// do runs an action, writing the error in Okta's shape when it fails.
func (o *oktaAPI) do(w http.ResponseWriter, r *http.Request, action string, input map[string]any) (map[string]any, bool) {
	out, err := o.in.Do(r.Context(), action, input, "")
	if err != nil {
		o.in.Error(w, err)
		return nil, false
	}
	return out, true
}

// bools copies boolean query parameters into the input; a parameter that is
// not a boolean is a 400.
func (o *oktaAPI) bools(w http.ResponseWriter, r *http.Request, input map[string]any, names ...string) bool {
	q := r.URL.Query()
	for _, n := range names {
		if !q.Has(n) {
			continue
		}
		b, err := strconv.ParseBool(q.Get(n))
		if err != nil {
			o.in.Error(w, &effect.Error{Status: 400, Code: "invalid_input", Message: "Api validation failed: " + n + ": not a boolean"})
			return false
		}
		input[n] = b
	}
	return true
}

// url is the absolute URL of an API path of this instance, for links.
func (o *oktaAPI) url(r *http.Request, p string) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host + "/" + url.PathEscape(o.in.Name) + p
}

// user renders a world user ({id, status, profile}) as an Okta user object.
func (o *oktaAPI) user(r *http.Request, u map[string]any) map[string]any {
	id, _ := u["id"].(string)
	return map[string]any{
		"id": id, "status": u["status"], "profile": u["profile"], "lastLogin": u["lastLogin"],
		"credentials": map[string]any{"provider": map[string]any{"type": "OKTA", "name": "OKTA"}},
		"_links":      map[string]any{"self": map[string]any{"href": o.url(r, "/api/v1/users/"+url.PathEscape(id))}},
	}
}

// listUsers serves GET /api/v1/users with Okta's cursor pagination: limit
// (at most 200) and after (the id of the last user of the previous page),
// with a Link rel="next" header while users remain.
func (o *oktaAPI) listUsers(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit := oktaMaxPage
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			o.in.Error(w, &effect.Error{Status: 400, Code: "invalid_input", Message: "Api validation failed: limit: must be a positive number"})
			return
		}
		limit = min(n, oktaMaxPage)
	}
	input := map[string]any{}
	for _, k := range []string{"search", "filter"} {
		if s := q.Get(k); s != "" {
			input[k] = s
		}
	}
	out, ok := o.do(w, r, "listUsers", input)
	if !ok {
		return
	}
	users, _ := out["users"].([]any)
	start := 0
	if after := q.Get("after"); after != "" {
		// The world lists users in id order: the page starts after the
		// cursor's id.
		start = len(users)
		for i, u := range users {
			if id, _ := u.(map[string]any)["id"].(string); id > after {
				start = i
				break
			}
		}
	}
	end := min(start+limit, len(users))
	page := make([]any, 0, end-start)
	for _, u := range users[start:end] {
		page = append(page, o.user(r, u.(map[string]any)))
	}
	self := url.Values{}
	for k, v := range q {
		self[k] = v
	}
	links := []string{"<" + o.url(r, "/api/v1/users?"+self.Encode()) + `>; rel="self"`}
	if end < len(users) {
		next := url.Values{}
		for k, v := range input {
			next.Set(k, v.(string))
		}
		next.Set("limit", strconv.Itoa(limit))
		next.Set("after", page[len(page)-1].(map[string]any)["id"].(string))
		links = append(links, "<"+o.url(r, "/api/v1/users?"+next.Encode())+`>; rel="next"`)
	}
	for _, l := range links {
		w.Header().Add("Link", l)
	}
	o.in.JSON(w, http.StatusOK, page)
}
