package sandbox

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/jml-dev/jml/pkg/effect"
)

// googleCredentialRoutes registers the Directory API's asps, tokens and
// mobiledevices methods: a user's application-specific passwords and
// OAuth tokens, and the account's mobile devices, in the shapes of the
// discovery document (Asps, Tokens, MobileDevices; empty int64 strings
// left out, as Google leaves out what it does not know).
func googleCredentialRoutes(in *Instance, mux *http.ServeMux) {
	const users = "/admin/directory/v1/users/{userKey}"
	mux.HandleFunc("GET "+users+"/asps", func(w http.ResponseWriter, r *http.Request) {
		out, err := in.Do(r.Context(), "listASPs", map[string]any{"userKey": r.PathValue("userKey")}, "")
		if err != nil {
			in.Error(w, err)
			return
		}
		items := googleKinds(out["asps"], "admin#directory#asp")
		for _, it := range items {
			a := it.(map[string]any)
			for _, k := range []string{"creationTime", "lastTimeUsed"} {
				if a[k] == "" {
					delete(a, k)
				}
			}
		}
		in.JSON(w, http.StatusOK, map[string]any{"kind": "admin#directory#aspList", "items": items})
	})
	mux.HandleFunc("DELETE "+users+"/asps/{codeId}", func(w http.ResponseWriter, r *http.Request) {
		// codeId is an int32 path parameter.
		id, err := strconv.ParseInt(r.PathValue("codeId"), 10, 32)
		if err != nil {
			in.Error(w, &effect.Error{Status: 400, Code: "invalid_input", Message: "Invalid value at 'code_id' (TYPE_INT32), \"" + r.PathValue("codeId") + "\""})
			return
		}
		if _, err := in.Do(r.Context(), "deleteASP", map[string]any{"userKey": r.PathValue("userKey"), "codeId": id}, ""); err != nil {
			in.Error(w, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("GET "+users+"/tokens", func(w http.ResponseWriter, r *http.Request) {
		out, err := in.Do(r.Context(), "listTokens", map[string]any{"userKey": r.PathValue("userKey")}, "")
		if err != nil {
			in.Error(w, err)
			return
		}
		in.JSON(w, http.StatusOK, map[string]any{"kind": "admin#directory#tokenList", "items": googleKinds(out["tokens"], "admin#directory#token")})
	})
	mux.HandleFunc("DELETE "+users+"/tokens/{clientId}", func(w http.ResponseWriter, r *http.Request) {
		if _, err := in.Do(r.Context(), "deleteToken", map[string]any{"userKey": r.PathValue("userKey"), "clientId": r.PathValue("clientId")}, ""); err != nil {
			in.Error(w, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	const devices = "/admin/directory/v1/customer/{customerId}/devices/mobile"
	mux.HandleFunc("GET "+devices, func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		email, ok := strings.CutPrefix(strings.TrimSpace(q.Get("query")), "email:")
		if !ok || email == "" || strings.ContainsAny(email, " \t") {
			in.Error(w, &effect.Error{Status: 400, Code: "invalid_input", Message: "Invalid Input: the sandbox searches mobile devices only by email:ADDRESS, not " + strconv.Quote(q.Get("query"))})
			return
		}
		size, start, ok := googlePage(in, w, q, 100, 100)
		if !ok {
			return
		}
		out, err := in.Do(r.Context(), "listMobileDevices", map[string]any{"email": email, "customerId": r.PathValue("customerId")}, "")
		if err != nil {
			in.Error(w, err)
			return
		}
		all := googleKinds(out["mobileDevices"], "admin#directory#mobiledevice")
		in.JSON(w, http.StatusOK, googlePageOf(map[string]any{"kind": "admin#directory#mobiledevices"}, "mobiledevices", all, start, size))
	})
	mux.HandleFunc("DELETE "+devices+"/{resourceId}", func(w http.ResponseWriter, r *http.Request) {
		if _, err := in.Do(r.Context(), "deleteMobileDevice", map[string]any{"resourceId": r.PathValue("resourceId"), "customerId": r.PathValue("customerId")}, ""); err != nil {
			in.Error(w, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
}

// googlePage reads a Google list request's maxResults (1 to max, default
// def) and pageToken (the sandbox's: the index of the page's first item);
// on a bad one it writes Google's 400 and returns false.
func googlePage(in *Instance, w http.ResponseWriter, q url.Values, def, max int) (size, start int, ok bool) {
	size = def
	if s := q.Get("maxResults"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > max {
			in.Error(w, &effect.Error{Status: 400, Code: "invalid_input", Message: fmt.Sprintf("Invalid Input: maxResults must be 1 to %d", max)})
			return 0, 0, false
		}
		size = n
	}
	if s := q.Get("pageToken"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			in.Error(w, &effect.Error{Status: 400, Code: "invalid_input", Message: "Invalid Input: pageToken"})
			return 0, 0, false
		}
		start = n
	}
	return size, start, true
}

// googlePageOf puts the page of all from start, size items, in resp under
// key (left out when the page is empty, as Google does), with the next
// page's token when there is one.
func googlePageOf(resp map[string]any, key string, all []any, start, size int) map[string]any {
	if start < len(all) {
		end := min(start+size, len(all))
		resp[key] = all[start:end]
		if end < len(all) {
			resp["nextPageToken"] = strconv.Itoa(end)
		}
	}
	return resp
}

// googleKinds returns the objects of a list, each with the resource's
// kind.
func googleKinds(v any, kind string) []any {
	l, _ := v.([]any)
	out := make([]any, 0, len(l))
	for _, x := range l {
		if m, ok := x.(map[string]any); ok {
			m["kind"] = kind
			out = append(out, m)
		}
	}
	return out
}
