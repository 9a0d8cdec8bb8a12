package sandbox

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/jml-dev/jml/pkg/effect"
)

const graphMetadata = "https://graph.microsoft.com/v1.0/$metadata"

// microsoftRoutes registers the Microsoft Graph v1.0 routes of an Entra ID
// instance: users, their licenses and sessions, and group member references.
func microsoftRoutes(in *Instance, mux *http.ServeMux) {
	mux.HandleFunc("GET /v1.0/users/{userId}", func(w http.ResponseWriter, r *http.Request) {
		out, err := in.Do(r.Context(), "getUser", map[string]any{"userId": r.PathValue("userId")}, "")
		if err != nil {
			in.Error(w, err)
			return
		}
		// licenseAssignmentStates is returned only on $select, in
		// Graph's shape.
		states, _ := out["licenseAssignmentStates"].([]any)
		delete(out, "licenseAssignmentStates")
		if sel := r.URL.Query().Get("$select"); sel != "" {
			picked := map[string]any{}
			for _, f := range strings.Split(sel, ",") {
				if strings.TrimSpace(f) == "licenseAssignmentStates" {
					picked["licenseAssignmentStates"] = msAssignments(states)
				}
				if v, ok := out[strings.TrimSpace(f)]; ok {
					picked[strings.TrimSpace(f)] = v
				}
			}
			out = picked
			out["@odata.context"] = graphMetadata + "#users(" + sel + ")/$entity"
		} else {
			out["@odata.context"] = graphMetadata + "#users/$entity"
		}
		in.JSON(w, http.StatusOK, out)
	})
	mux.HandleFunc("PATCH /v1.0/users/{userId}", func(w http.ResponseWriter, r *http.Request) {
		body, ok := in.ReadJSON(w, r)
		if !ok {
			return
		}
		enabled, isBool := body["accountEnabled"].(bool)
		if len(body) != 1 || !isBool {
			in.Error(w, &effect.Error{Status: 400, Code: "invalid_input",
				Message: "Invalid request: the sandbox updates only accountEnabled"})
			return
		}
		action := "disableUser"
		if enabled {
			action = "enableUser"
		}
		if _, err := in.Do(r.Context(), action, map[string]any{"userId": r.PathValue("userId")}, ""); err != nil {
			in.Error(w, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("POST /v1.0/users/{userId}/sendMail", func(w http.ResponseWriter, r *http.Request) {
		body, ok := in.ReadJSON(w, r)
		if !ok {
			return
		}
		// The $metadata spells the parameters Message and SaveToSentItems,
		// the reference page message and saveToSentItems: both are taken.
		msg, _ := msParam(body, "Message").(map[string]any)
		if msg == nil {
			in.Error(w, &effect.Error{Status: 400, Code: "invalid_input", Message: "Invalid request: Message is required"})
			return
		}
		b, _ := msg["body"].(map[string]any)
		input := map[string]any{"userId": r.PathValue("userId"), "to": msAddresses(msg["toRecipients"]),
			"subject": msg["subject"], "body": b["content"], "contentType": b["contentType"]}
		if cc := msAddresses(msg["ccRecipients"]); cc != "" {
			input["cc"] = cc
		}
		if bcc := msAddresses(msg["bccRecipients"]); bcc != "" {
			input["bcc"] = bcc
		}
		if _, err := in.Do(r.Context(), "sendMail", input, ""); err != nil {
			in.Error(w, err)
			return
		}
		w.WriteHeader(http.StatusAccepted)
	})
	mux.HandleFunc("GET /v1.0/subscribedSkus", func(w http.ResponseWriter, r *http.Request) {
		out, err := in.Do(r.Context(), "listSubscribedSkus", map[string]any{}, "")
		if err != nil {
			in.Error(w, err)
			return
		}
		in.JSON(w, http.StatusOK, map[string]any{"@odata.context": graphMetadata + "#subscribedSkus", "value": out["skus"]})
	})
	mux.HandleFunc("POST /v1.0/users/{userId}/revokeSignInSessions", func(w http.ResponseWriter, r *http.Request) {
		if _, err := in.Do(r.Context(), "revokeSignInSessions", map[string]any{"userId": r.PathValue("userId")}, ""); err != nil {
			in.Error(w, err)
			return
		}
		in.JSON(w, http.StatusOK, map[string]any{"@odata.context": graphMetadata + "#Edm.Boolean", "value": true})
	})
	mux.HandleFunc("GET /v1.0/users/{userId}/licenseDetails", func(w http.ResponseWriter, r *http.Request) {
		key := r.PathValue("userId")
		u := msUser(in, key)
		if u == nil {
			in.Error(w, msNotFound(key))
			return
		}
		licenses, _ := u["licenses"].([]any)
		value := make([]any, 0, len(licenses))
		for _, l := range licenses {
			value = append(value, map[string]any{"id": fmt.Sprintf("%v-%v", u["id"], l), "skuId": l, "skuPartNumber": l, "servicePlans": []any{}})
		}
		in.JSON(w, http.StatusOK, map[string]any{"@odata.context": graphMetadata + "#users('" + key + "')/licenseDetails", "value": value})
	})
	mux.HandleFunc("POST /v1.0/users/{userId}/assignLicense", func(w http.ResponseWriter, r *http.Request) {
		key := r.PathValue("userId")
		body, ok := in.ReadJSON(w, r)
		if !ok {
			return
		}
		add, okA := body["addLicenses"].([]any)
		remove, okR := body["removeLicenses"].([]any)
		if !okA || !okR {
			in.Error(w, &effect.Error{Status: 400, Code: "invalid_input", Message: "Invalid request: addLicenses and removeLicenses are required"})
			return
		}
		if u := msUser(in, key); u != nil {
			held, _ := u["licenses"].([]any)
			for _, s := range remove {
				if !msHas(held, s) && msInherits(in, u, s) {
					in.Error(w, &effect.Error{Status: 400, Code: "invalid_input",
						Message: "User license is inherited from a group membership and it cannot be removed directly from the user."})
					return
				}
				if !msHas(held, s) {
					in.Error(w, &effect.Error{Status: 400, Code: "invalid_input", Message: fmt.Sprintf("User does not have a corresponding license %v.", s)})
					return
				}
			}
		}
		for _, a := range add {
			lic, _ := a.(map[string]any)
			input := map[string]any{"userId": key, "skuId": lic["skuId"]}
			if d, ok := lic["disabledPlans"]; ok {
				input["disabledPlans"] = d
			}
			if _, err := in.Do(r.Context(), "assignLicense", input, ""); err != nil {
				in.Error(w, err)
				return
			}
		}
		if len(remove) > 0 || len(add) == 0 {
			if _, err := in.Do(r.Context(), "removeLicenses", map[string]any{"userId": key, "skuIds": remove}, ""); err != nil {
				in.Error(w, err)
				return
			}
		}
		u := msUser(in, key)
		if u == nil {
			in.Error(w, msNotFound(key))
			return
		}
		in.JSON(w, http.StatusOK, map[string]any{"@odata.context": graphMetadata + "#users/$entity", "id": u["id"],
			"displayName": u["displayName"], "userPrincipalName": u["userPrincipalName"], "mail": u["mail"]})
	})
	mux.HandleFunc("GET /v1.0/groups/{groupId}", func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("groupId")
		st := in.World().InstanceState(in.Name)
		groups, _ := st["groups"].([]any)
		for _, g := range groups {
			if m, _ := g.(map[string]any); m["id"] == id {
				in.JSON(w, http.StatusOK, map[string]any{"@odata.context": graphMetadata + "#groups/$entity", "id": m["id"], "displayName": m["displayName"]})
				return
			}
		}
		in.Error(w, msNotFound(id))
	})
	mux.HandleFunc("POST /v1.0/groups/{groupId}/members/$ref", func(w http.ResponseWriter, r *http.Request) {
		group := r.PathValue("groupId")
		body, ok := in.ReadJSON(w, r)
		if !ok {
			return
		}
		ref, _ := body["@odata.id"].(string)
		if ref == "" {
			in.Error(w, &effect.Error{Status: 400, Code: "invalid_input", Message: "Invalid request: @odata.id is required"})
			return
		}
		key := ref[strings.LastIndex(ref, "/")+1:]
		was := msIsMember(in, group, key)
		if _, err := in.Do(r.Context(), "addToGroup", map[string]any{"groupId": group, "userId": msUPN(in, key)}, ""); err != nil {
			in.Error(w, err)
			return
		}
		// The world's add is a no-op for a member; Graph answers 400.
		if was {
			in.Error(w, &effect.Error{Status: 400, Code: "invalid_input",
				Message: "One or more added object references already exist for the following modified properties: 'members'."})
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("DELETE /v1.0/groups/{groupId}/members/{userId}/$ref", func(w http.ResponseWriter, r *http.Request) {
		group, key := r.PathValue("groupId"), r.PathValue("userId")
		was := msIsMember(in, group, key)
		if _, err := in.Do(r.Context(), "removeFromGroup", map[string]any{"groupId": group, "userId": msUPN(in, key)}, ""); err != nil {
			in.Error(w, err)
			return
		}
		// The world's remove is a no-op for a non-member; Graph answers 404.
		if !was {
			in.Error(w, msNotFound(key))
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
}

func msNotFound(id string) *effect.Error {
	return &effect.Error{Status: 404, Code: "not_found",
		Message: fmt.Sprintf("Resource '%s' does not exist or one of its queried reference-property objects are not present.", id)}
}

// msUser finds a user of the instance's state by object id or
// userPrincipalName, as the world's model does.
func msUser(in *Instance, key string) map[string]any {
	u, _ := in.World().FindUser(in.Name, "key", key)
	return u
}

// msUPN returns the userPrincipalName of a user given by id (so that a
// world fault naming the user's login matches), or the key itself.
func msUPN(in *Instance, key string) string {
	if u := msUser(in, key); u != nil {
		if s, _ := u["userPrincipalName"].(string); s != "" {
			return s
		}
	}
	return key
}

func msIsMember(in *Instance, group, key string) bool {
	u := msUser(in, key)
	if u == nil {
		return false
	}
	groups, _ := u["groups"].([]any)
	for _, g := range groups {
		if g == strings.TrimSpace(group) {
			return true
		}
	}
	return false
}

// msAssignments are the world's licenseAssignmentStates of a user (getUser's
// output) in Graph's shape.
func msAssignments(states []any) []any {
	out := []any{}
	for _, st := range states {
		m, _ := st.(map[string]any)
		out = append(out, map[string]any{"skuId": m["skuId"], "assignedByGroup": m["assignedByGroup"], "disabledPlans": []any{},
			"state": m["state"], "error": nil})
	}
	return out
}

// msParam is an action parameter of a request body by name, in any case.
func msParam(body map[string]any, name string) any {
	for k, v := range body {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	return nil
}

// msAddresses are the addresses of Graph recipients
// ([{emailAddress: {address}}]), comma-separated.
func msAddresses(v any) string {
	l, _ := v.([]any)
	var out []string
	for _, r := range l {
		m, _ := r.(map[string]any)
		e, _ := m["emailAddress"].(map[string]any)
		if a, _ := e["address"].(string); a != "" {
			out = append(out, a)
		}
	}
	return strings.Join(out, ", ")
}

// msGroupsOf returns the state of the groups a user is a member of.
func msGroupsOf(in *Instance, u map[string]any) []map[string]any {
	st := in.World().InstanceState(in.Name)
	groups, _ := st["groups"].([]any)
	member, _ := u["groups"].([]any)
	var out []map[string]any
	for _, g := range groups {
		if m, _ := g.(map[string]any); msHas(member, m["id"]) {
			out = append(out, m)
		}
	}
	return out
}

// msInherits reports whether a user holds a SKU through a group.
func msInherits(in *Instance, u map[string]any, sku any) bool {
	for _, g := range msGroupsOf(in, u) {
		if lic, _ := g["licenses"].([]any); msHas(lic, sku) {
			return true
		}
	}
	return false
}

func msHas(l []any, v any) bool {
	s, _ := v.(string)
	for _, x := range l {
		if xs, _ := x.(string); strings.EqualFold(xs, s) {
			return true
		}
	}
	return false
}
