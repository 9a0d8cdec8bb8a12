package sandbox

import (
	"net/http"
	"strings"

	"github.com/jml-dev/jml/pkg/effect"
	"github.com/jml-dev/jml/pkg/world"
)

// googleDriveApp and googleCalendarApp are the Data Transfer API ids of
// "Drive and Docs" and "Calendar".
const (
	googleDriveApp    = "55656082996"
	googleCalendarApp = "435070579839"
)

// googleRoutes registers the Admin SDK Directory API (users, group
// members), the Data Transfer API and the Gmail API (gmail.go) of a
// Google Workspace instance.
func googleRoutes(in *Instance, mux *http.ServeMux) {
	mux.HandleFunc("GET /admin/directory/v1/users/{userKey}", func(w http.ResponseWriter, r *http.Request) {
		out, err := in.Do(r.Context(), "getUser", map[string]any{"userKey": r.PathValue("userKey")}, "")
		if err != nil {
			in.Error(w, err)
			return
		}
		out["kind"] = "admin#directory#user"
		out["customerId"] = world.GoogleCustomerID
		in.JSON(w, http.StatusOK, out)
	})
	update := func(w http.ResponseWriter, r *http.Request) {
		key := r.PathValue("userKey")
		body, ok := in.ReadJSON(w, r)
		if !ok {
			return
		}
		for k := range body {
			if k != "suspended" {
				in.Error(w, &effect.Error{Status: 400, Code: "invalid_input", Message: "Invalid Input: the sandbox updates only suspended, not " + k})
				return
			}
		}
		if s, given := body["suspended"]; given {
			b, isBool := s.(bool)
			if !isBool {
				in.Error(w, &effect.Error{Status: 400, Code: "invalid_input", Message: "Invalid Input: suspended must be a boolean"})
				return
			}
			action := "unsuspendUser"
			if b {
				action = "suspendUser"
			}
			if _, err := in.Do(r.Context(), action, map[string]any{"userKey": key}, ""); err != nil {
				in.Error(w, err)
				return
			}
		}
		u := googleUser(in, key)
		if u == nil {
			in.Error(w, &effect.Error{Status: 404, Code: "not_found", Message: "Resource Not Found: userKey"})
			return
		}
		in.JSON(w, http.StatusOK, googleUserResource(u))
	}
	mux.HandleFunc("PUT /admin/directory/v1/users/{userKey}", update)
	mux.HandleFunc("PATCH /admin/directory/v1/users/{userKey}", update)
	mux.HandleFunc("POST /admin/directory/v1/users/{userKey}/signOut", func(w http.ResponseWriter, r *http.Request) {
		if _, err := in.Do(r.Context(), "signOutUser", map[string]any{"userKey": r.PathValue("userKey")}, ""); err != nil {
			in.Error(w, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("POST /admin/directory/v1/groups/{groupKey}/members", func(w http.ResponseWriter, r *http.Request) {
		group := r.PathValue("groupKey")
		body, ok := in.ReadJSON(w, r)
		if !ok {
			return
		}
		key, _ := body["email"].(string)
		if key == "" {
			key, _ = body["id"].(string)
		}
		if key == "" {
			in.Error(w, &effect.Error{Status: 400, Code: "invalid_input", Message: "Missing required field: memberKey"})
			return
		}
		was := googleIsMember(in, group, key)
		if _, err := in.Do(r.Context(), "addToGroup", map[string]any{"groupKey": group, "userKey": key}, ""); err != nil {
			in.Error(w, err)
			return
		}
		// The world's add is a no-op for a member; Google answers 409.
		if was {
			in.Error(w, &effect.Error{Status: 409, Code: "conflict", Message: "Member already exists."})
			return
		}
		u := googleUser(in, key)
		in.JSON(w, http.StatusOK, map[string]any{"kind": "admin#directory#member", "id": u["id"], "email": u["primaryEmail"],
			"role": "MEMBER", "type": "USER", "status": "ACTIVE"})
	})
	mux.HandleFunc("DELETE /admin/directory/v1/groups/{groupKey}/members/{memberKey}", func(w http.ResponseWriter, r *http.Request) {
		group, key := r.PathValue("groupKey"), r.PathValue("memberKey")
		was := googleIsMember(in, group, key)
		if _, err := in.Do(r.Context(), "removeFromGroup", map[string]any{"groupKey": group, "userKey": key}, ""); err != nil {
			in.Error(w, err)
			return
		}
		// The world's remove is a no-op for a non-member; Google answers 404.
		if !was {
			in.Error(w, &effect.Error{Status: 404, Code: "not_found", Message: "Resource Not Found: memberKey"})
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("GET /admin/datatransfer/v1/applications", func(w http.ResponseWriter, r *http.Request) {
		in.JSON(w, http.StatusOK, map[string]any{"kind": "admin#datatransfer#applicationsList", "applications": []any{
			map[string]any{"kind": "admin#datatransfer#ApplicationResource", "id": googleCalendarApp, "name": "Calendar",
				"transferParams": []any{map[string]any{"key": "RELEASE_RESOURCES", "value": []any{"TRUE"}}}},
			map[string]any{"kind": "admin#datatransfer#ApplicationResource", "id": googleDriveApp, "name": "Drive and Docs",
				"transferParams": []any{map[string]any{"key": "PRIVACY_LEVEL", "value": []any{"PRIVATE", "SHARED"}}}},
		}})
	})
	mux.HandleFunc("POST /admin/datatransfer/v1/transfers", func(w http.ResponseWriter, r *http.Request) {
		body, ok := in.ReadJSON(w, r)
		if !ok {
			return
		}
		from, _ := body["oldOwnerUserId"].(string)
		to, _ := body["newOwnerUserId"].(string)
		apps, _ := body["applicationDataTransfers"].([]any)
		if from == "" || to == "" || len(apps) != 1 {
			in.Error(w, &effect.Error{Status: 400, Code: "invalid_input",
				Message: "Invalid Input: oldOwnerUserId, newOwnerUserId and one applicationDataTransfers entry are required"})
			return
		}
		app, _ := apps[0].(map[string]any)
		action := ""
		switch id, _ := app["applicationId"].(string); id {
		case googleDriveApp:
			action = "transferDrive"
		case googleCalendarApp:
			action = "transferCalendar"
		default:
			in.Error(w, &effect.Error{Status: 400, Code: "invalid_input", Message: "Invalid Input: the sandbox transfers only Drive (application " + googleDriveApp + ") and Calendar (application " + googleCalendarApp + ")"})
			return
		}
		input := map[string]any{"fromUser": googleEmailOf(in, from), "toUser": googleEmailOf(in, to)}
		params, _ := app["applicationTransferParams"].([]any)
		for _, p := range params {
			if pm, _ := p.(map[string]any); pm["key"] == "PRIVACY_LEVEL" && action == "transferDrive" {
				input["privacyLevels"] = pm["value"]
			}
		}
		out, err := in.Do(r.Context(), action, input, "")
		if err != nil {
			in.Error(w, err)
			return
		}
		app["applicationTransferStatus"] = out["status"]
		in.JSON(w, http.StatusOK, map[string]any{"kind": "admin#datatransfer#DataTransfer", "id": out["transferId"],
			"oldOwnerUserId": from, "newOwnerUserId": to, "applicationDataTransfers": []any{app},
			"overallTransferStatusCode": out["status"]})
	})
	googleCredentialRoutes(in, mux)
	googleLicensingRoutes(in, mux)
	gmailRoutes(in, mux)
}

// googleUser finds a user of the instance's state by primary email, alias
// or id, as the Directory API does (the world model's own lookup).
func googleUser(in *Instance, key string) map[string]any {
	u, _ := in.World().FindUser(in.Name, "key", key)
	return u
}

// googleEmailOf returns the primary email of the user with that key, or
// the key itself when there is none (the world then answers 404).
func googleEmailOf(in *Instance, key string) string {
	if u := googleUser(in, key); u != nil {
		if s, _ := u["primaryEmail"].(string); s != "" {
			return s
		}
	}
	return key
}

// googleIsMember reports whether the user is a member of the group.
func googleIsMember(in *Instance, group, key string) bool {
	u := googleUser(in, key)
	if u == nil {
		return false
	}
	email, _ := u["primaryEmail"].(string)
	st := in.World().InstanceState(in.Name)
	groups, _ := st["groups"].([]any)
	for _, g := range groups {
		m, _ := g.(map[string]any)
		if s, _ := m["email"].(string); !strings.EqualFold(s, strings.TrimSpace(group)) {
			continue
		}
		members, _ := m["members"].([]any)
		for _, x := range members {
			if s, _ := x.(string); strings.EqualFold(s, email) {
				return true
			}
		}
	}
	return false
}

// googleUserResource renders a state user as a Directory API user.
func googleUserResource(u map[string]any) map[string]any {
	name, _ := u["name"].(map[string]any)
	given, _ := name["givenName"].(string)
	family, _ := name["familyName"].(string)
	return map[string]any{"kind": "admin#directory#user", "id": u["id"], "primaryEmail": u["primaryEmail"],
		"suspended": u["suspended"], "isAdmin": u["isAdmin"], "orgUnitPath": u["orgUnitPath"], "aliases": u["aliases"],
		"name": map[string]any{"givenName": given, "familyName": family, "fullName": strings.TrimSpace(given + " " + family)}}
}
