package catalog

// oktaManagement is the description the okta actions are verified against.
var oktaManagement = &Description{ID: "okta-management", Format: "openapi",
	Title: "Okta Admin Management API 2026.06.3 (OpenAPI 3.0.3, okta/okta-management-openapi-spec)"}

const (
	oktaUsersDocs     = "https://developer.okta.com/docs/reference/api/users/"
	oktaGroupsDocs    = "https://developer.okta.com/docs/reference/api/groups/"
	oktaLifecycleDocs = "https://developer.okta.com/docs/api/openapi/okta-management/management/tags/userlifecycle/other/"
)

func oktaUserID() Field {
	return reqIn("userId", String, "Okta user ID, login, or unambiguous login shortname.")
}

func oktaProfile(desc string) Field {
	return out("profile", Object, desc,
		out("login", String, "Unique login, usually an email address."),
		out("email", String, "Primary email address."),
		out("firstName", String, "Given name."),
		out("lastName", String, "Family name."),
		out("displayName", String, "Name suitable for display."),
		out("department", String, "Department."),
		out("title", String, "Job title."),
		out("managerId", String, "Manager identifier as stored in the profile."),
	)
}

func oktaUserOutputs(what string) []Field {
	return []Field{
		out("id", String, "Okta user ID of the "+what+"."),
		out("status", String, "Lifecycle status: STAGED, PROVISIONED, ACTIVE, RECOVERY, LOCKED_OUT, PASSWORD_EXPIRED, SUSPENDED or DEPROVISIONED."),
		oktaProfile("Profile attributes of the " + what + "."),
		out("lastLogin", String, "When the "+what+" last signed in (RFC 3339), or null if never."),
	}
}

func okta() Connector {
	return Connector{
		Type:           "okta",
		Vendor:         "Okta",
		Description:    "Okta Management API: users, group memberships, sessions and user lifecycle.",
		Auth:           []string{"ssws", "oauth2", "bearer"},
		DefaultRate:    10,
		RequestsScopes: true,
		Account: &Account{Read: "getUser", Key: "userId", ByLogin: true,
			// Okta's lifecycle: STAGED, PROVISIONED, ACTIVE, RECOVERY,
			// PASSWORD_EXPIRED and LOCKED_OUT users still exist as people
			// who can (or soon can) sign in; only DEPROVISIONED and
			// SUSPENDED end access.
			Signals: []Signal{{Field: "status", DisabledValues: []string{"DEPROVISIONED", "SUSPENDED"}}}},
		Error: &ErrorShape{
			Body:  `{"errorCode": "{code}", "errorSummary": "{message}", "errorLink": "{code}", "errorId": "sandbox", "errorCauses": []}`,
			Codes: map[string]string{"400": "E0000001", "401": "E0000011", "403": "E0000006", "404": "E0000007", "429": "E0000047", "*": "E0000009"},
		},
		Verified: oktaManagement,
		Actions: []Action{
			{
				Name:        "getUser",
				Scopes:      []string{"okta.users.read"},
				Description: "Fetch an Okta user by ID or login.",
				Effect:      Read,
				Idempotent:  true,
				Inputs:      []Field{oktaUserID()},
				Outputs:     oktaUserOutputs("user"),
				Call:        Call{Protocol: "http", Method: "GET", Path: "/api/v1/users/{userId}", Docs: oktaUsersDocs},
			},
			{
				Name:        "getManager",
				Scopes:      []string{"okta.users.read"},
				Description: "Fetch the user's manager through the `manager` linked-object relationship.",
				Effect:      Read,
				Idempotent:  true,
				Inputs:      []Field{oktaUserID()},
				Outputs: []Field{
					out("id", String, "Okta user ID of the manager."),
					oktaProfile("Profile attributes of the manager."),
				},
				Call: Call{
					Protocol: "http", Method: "GET", Path: "/api/v1/users/{managerId}", Docs: oktaUsersDocs,
					Lookups: []LookupCall{{
						Method: "GET",
						Path:   "/api/v1/users/{userId}/linkedObjects/manager",
						Yields: []string{"managerId"},
						Docs:   "https://developer.okta.com/docs/api/openapi/okta-management/management/tags/userlinkedobject",
					}},
				},
			},
			{
				Name:        "listUserGroups",
				Scopes:      []string{"okta.users.read"},
				Description: "List the groups the user is a member of.",
				Effect:      Read,
				Idempotent:  true,
				Inputs:      []Field{oktaUserID()},
				Outputs: []Field{
					out("groups", List, "Groups the user belongs to.",
						out("id", String, "Okta group ID."),
						out("type", String, "Group type: OKTA_GROUP, APP_GROUP or BUILT_IN."),
						out("profile", Object, "Group profile.",
							out("name", String, "Group name."),
							out("description", String, "Group description."),
						),
					),
				},
				Call: Call{Protocol: "http", Method: "GET", Path: "/api/v1/users/{userId}/groups",
					Docs: "https://developer.okta.com/docs/api/openapi/okta-management/management/tags/userresources/other/listusergroups"},
			},
			{
				Name:        "addUserToGroup",
				Scopes:      []string{"okta.groups.manage", "okta.users.read"}, // a login is resolved first
				Description: "Add the user to an Okta group (no-op if already a member).",
				Effect:      Write,
				Idempotent:  true,
				Inputs: []Field{
					oktaUserID(),
					reqIn("groupId", String, "Okta group ID (OKTA_GROUP type)."),
				},
				Call: Call{Protocol: "http", Method: "PUT", Path: "/api/v1/groups/{groupId}/users/{userId}", Docs: oktaGroupsDocs},
			},
			{
				Name:         "removeUserFromGroup",
				Scopes:       []string{"okta.groups.manage", "okta.users.read"}, // a login is resolved first
				Deprovision:  true,
				RemovesGrant: true,
				Subject:      "userId",
				Description:  "Remove the user from an Okta group (no-op if not a member).",
				Effect:       Write,
				Idempotent:   true,
				Inputs: []Field{
					oktaUserID(),
					reqIn("groupId", String, "Okta group ID (OKTA_GROUP type)."),
				},
				Call: Call{Protocol: "http", Method: "DELETE", Path: "/api/v1/groups/{groupId}/users/{userId}", Docs: oktaGroupsDocs},
			},
			{
				Name:         "clearUserSessions",
				EndsSessions: true,
				Scopes:       []string{"okta.users.manage"},
				Deprovision:  true,
				Subject:      "userId",
				Description:  "Revoke all of the user's Okta sessions, optionally with OAuth tokens and remembered devices.",
				Effect:       Write,
				Idempotent:   true,
				Inputs: []Field{
					oktaUserID(),
					optIn("oauthTokens", Boolean, "Also revoke OpenID Connect and OAuth refresh and access tokens issued to the user (default false; always sent)."),
					optIn("forgetDevices", Boolean, "Also forget the user's remembered devices and factors (default true, as on Identity Engine orgs; always sent, so Classic orgs behave the same)."),
				},
				Call: Call{Protocol: "http", Method: "DELETE",
					Path: "/api/v1/users/{userId}/sessions?oauthTokens={oauthTokens}&forgetDevices={forgetDevices}",
					Docs: oktaUsersDocs},
			},
			{
				Name:        "deactivateUser",
				Scopes:      []string{"okta.users.manage"},
				Deprovision: true,
				Subject:     "userId",
				Description: "Deactivate (deprovision) the user; destructive, unassigns all apps.",
				Effect:      Write,
				Idempotent:  true,
				Inputs: []Field{
					oktaUserID(),
					optIn("sendEmail", Boolean, "Send a deactivation email to the admin."),
				},
				Call: Call{Protocol: "http", Method: "POST",
					Path: "/api/v1/users/{userId}/lifecycle/deactivate?sendEmail={sendEmail}",
					Docs: oktaLifecycleDocs + "deactivateuser"},
			},
			{
				Name:        "deleteUser",
				Scopes:      []string{"okta.users.manage"},
				Deprovision: true,
				Subject:     "userId",
				Description: "Delete the user permanently. Okta deletes only a DEPROVISIONED user: on any other, the call deactivates the user, and a second call deletes. Cannot be undone.",
				Effect:      Write,
				Idempotent:  false,
				Repeat:      "a second call deletes a user the first only deactivated; a call on a deleted user answers 404",
				Inputs: []Field{
					oktaUserID(),
					optIn("sendEmail", Boolean, "Send a deactivation email to the admin when the call deactivates the user (default false)."),
				},
				Call: Call{Protocol: "http", Method: "DELETE",
					Path: "/api/v1/users/{userId}?sendEmail={sendEmail}",
					Docs: oktaUsersDocs},
			},
			{
				Name:        "suspendUser",
				Scopes:      []string{"okta.users.manage"},
				Deprovision: true,
				Subject:     "userId",
				Description: "Suspend an active user; group and app assignments are kept.",
				Effect:      Write,
				Idempotent:  true,
				Repeat:      "Okta answers 400 (the user is no longer ACTIVE): nothing changes, but the retry fails",
				Inputs:      []Field{oktaUserID()},
				Call:        Call{Protocol: "http", Method: "POST", Path: "/api/v1/users/{userId}/lifecycle/suspend", Docs: oktaUsersDocs},
			},
			{
				Name:        "unsuspendUser",
				Scopes:      []string{"okta.users.manage"},
				Description: "Return a suspended user to ACTIVE.",
				Effect:      Write,
				Idempotent:  true,
				Repeat:      "Okta answers 400 (the user is no longer SUSPENDED): nothing changes, but the retry fails",
				Inputs:      []Field{oktaUserID()},
				Call: Call{Protocol: "http", Method: "POST", Path: "/api/v1/users/{userId}/lifecycle/unsuspend",
					Docs: oktaLifecycleDocs + "unsuspenduser"},
			},
			{
				Name:        "updateUserProfile",
				Scopes:      []string{"okta.users.manage"},
				Description: "Partially update the user's profile; attributes not given keep their value.",
				Effect:      Write,
				Idempotent:  true,
				Inputs: []Field{
					oktaUserID(),
					reqIn("profile", Object, "Profile attributes to set, e.g. {department: Sales, title: Manager}."),
				},
				Outputs: oktaUserOutputs("updated user"),
				Call:    Call{Protocol: "http", Method: "POST", Path: "/api/v1/users/{userId}", Docs: oktaUsersDocs},
			},
			{
				Name:        "listUsers",
				Scopes:      []string{"okta.users.read"},
				Description: "List users, optionally narrowed by a search or filter expression.",
				Effect:      Read,
				Idempotent:  true,
				Inputs: []Field{
					optIn("search", String, `Okta search expression, e.g. profile.department eq "Engineering".`),
					optIn("filter", String, `Okta filter expression, e.g. status eq "ACTIVE".`),
					optIn("limit", Number, "Maximum number of users to return."),
				},
				Outputs: []Field{
					out("users", List, "Matching users.",
						out("id", String, "Okta user ID."),
						out("status", String, "Lifecycle status."),
						oktaProfile("Profile attributes."),
					),
				},
				Call: Call{Protocol: "http", Method: "GET", Path: "/api/v1/users?search={search}&filter={filter}&limit={limit}", Docs: oktaUsersDocs},
			},
		},
	}
}
