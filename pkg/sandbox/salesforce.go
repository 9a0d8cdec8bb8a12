package sandbox

import (
	"net/http"
	"regexp"
	"strings"

	"github.com/jml-dev/jml/pkg/effect"
)

// The SOQL queries the salesforce connector sends: the sandbox answers
// these shapes only.
var (
	sfUserQuery  = regexp.MustCompile(`(?is)^\s*SELECT\s+Id\s*,\s*IsActive\s+FROM\s+User\s+WHERE\s+Username\s*=\s*'((?:[^'\\]|\\.)*)'\s*$`)
	sfLoginQuery = regexp.MustCompile(`(?is)^\s*SELECT\s+Id\s*,\s*IsFrozen\s+FROM\s+UserLogin\s+WHERE\s+UserId\s*=\s*'((?:[^'\\]|\\.)*)'\s*$`)
)

// salesforceRoutes registers the Salesforce REST API routes of an org:
// SOQL queries on User and UserLogin, and updates of both sObjects.
func salesforceRoutes(in *Instance, mux *http.ServeMux) {
	mux.HandleFunc("GET /services/data/{version}/query", func(w http.ResponseWriter, r *http.Request) {
		base := "/services/data/" + r.PathValue("version") + "/sobjects/"
		q := r.URL.Query().Get("q")
		if m := sfUserQuery.FindStringSubmatch(q); m != nil {
			name, ok := sfUnquote(m[1])
			if !ok {
				in.Error(w, sfMalformed(q))
				return
			}
			out, err := in.Do(r.Context(), "getUser", map[string]any{"username": name}, "")
			if err != nil && err.Status != http.StatusNotFound {
				in.Error(w, err)
				return
			}
			var recs []any
			if err == nil {
				id, _ := out["id"].(string)
				recs = append(recs, map[string]any{"attributes": map[string]any{"type": "User", "url": base + "User/" + id},
					"Id": out["id"], "IsActive": out["isActive"]})
			}
			sfRecords(in, w, recs)
			return
		}
		if m := sfLoginQuery.FindStringSubmatch(q); m != nil {
			id, ok := sfUnquote(m[1])
			if !ok {
				in.Error(w, sfMalformed(q))
				return
			}
			var recs []any
			if u := sfUserByID(in, id); u != nil {
				lid := sfLoginID(id)
				recs = append(recs, map[string]any{"attributes": map[string]any{"type": "UserLogin", "url": base + "UserLogin/" + lid},
					"Id": lid, "IsFrozen": u["frozen"]})
			}
			sfRecords(in, w, recs)
			return
		}
		in.Error(w, sfMalformed(q))
	})
	mux.HandleFunc("PATCH /services/data/{version}/sobjects/User/{id}", func(w http.ResponseWriter, r *http.Request) {
		body, ok := in.ReadJSON(w, r)
		if !ok {
			return
		}
		if active, isBool := body["IsActive"].(bool); len(body) != 1 || !isBool || active {
			in.Error(w, &effect.Error{Status: 400, Code: "invalid_field", Message: "the sandbox updates only IsActive to false on User"})
			return
		}
		sfUpdate(in, w, r, sfUserByID(in, r.PathValue("id")), "deactivateUser")
	})
	mux.HandleFunc("PATCH /services/data/{version}/sobjects/UserLogin/{id}", func(w http.ResponseWriter, r *http.Request) {
		body, ok := in.ReadJSON(w, r)
		if !ok {
			return
		}
		frozen, isBool := body["IsFrozen"].(bool)
		if len(body) != 1 || !isBool {
			in.Error(w, &effect.Error{Status: 400, Code: "invalid_field", Message: "the sandbox updates only IsFrozen on UserLogin"})
			return
		}
		action := "unfreezeUser"
		if frozen {
			action = "freezeUser"
		}
		sfUpdate(in, w, r, sfUserByLoginID(in, r.PathValue("id")), action)
	})
}

// sfUpdate performs a write action on a user found by record id and
// answers 204, as an sObject update does.
func sfUpdate(in *Instance, w http.ResponseWriter, r *http.Request, u map[string]any, action string) {
	if u == nil {
		in.Error(w, &effect.Error{Status: 404, Code: "not_found", Message: "The requested resource does not exist"})
		return
	}
	if _, err := in.Do(r.Context(), action, map[string]any{"username": u["username"]}, ""); err != nil {
		in.Error(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func sfRecords(in *Instance, w http.ResponseWriter, recs []any) {
	if recs == nil {
		recs = []any{}
	}
	in.JSON(w, http.StatusOK, map[string]any{"totalSize": len(recs), "done": true, "records": recs})
}

func sfMalformed(q string) *effect.Error {
	return &effect.Error{Status: 400, Code: "malformed_query", Message: "the sandbox does not answer this query: " + q}
}

// sfUnquote undoes SOQL string-literal escapes.
func sfUnquote(s string) (string, bool) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' {
			b.WriteByte(s[i])
			continue
		}
		i++
		if i == len(s) {
			return "", false
		}
		switch s[i] {
		case 'n', 'N':
			b.WriteByte('\n')
		case 'r', 'R':
			b.WriteByte('\r')
		case 't', 'T':
			b.WriteByte('\t')
		case 'b', 'B':
			b.WriteByte('\b')
		case 'f', 'F':
			b.WriteByte('\f')
		case '"', '\'', '\\':
			b.WriteByte(s[i])
		default:
			return "", false
		}
	}
	return b.String(), true
}

// sfLoginID is the id the sandbox gives a user's UserLogin record: the
// UserLogin key prefix 060 in place of the User prefix.
func sfLoginID(userID string) string {
	if len(userID) > 3 {
		return "060" + userID[3:]
	}
	return "060" + userID
}

func sfUsers(in *Instance) []any {
	st := in.World().InstanceState(in.Name)
	users, _ := st["users"].([]any)
	return users
}

func sfUserByID(in *Instance, id string) map[string]any {
	for _, u := range sfUsers(in) {
		if m, _ := u.(map[string]any); m["id"] == id {
			return m
		}
	}
	return nil
}

func sfUserByLoginID(in *Instance, id string) map[string]any {
	for _, u := range sfUsers(in) {
		m, _ := u.(map[string]any)
		if uid, _ := m["id"].(string); sfLoginID(uid) == id {
			return m
		}
	}
	return nil
}
