package catalog

import "slices"

// googleDirectory and googleDataTransfer are the descriptions the google
// actions are verified against: Google's discovery documents of the Admin
// SDK Directory and Data Transfer APIs (transferDrive's lookups are
// Directory API users.get calls, checked against the former).
var (
	googleDirectory = &Description{ID: "google-directory", Format: "discovery",
		Title: "Google Admin SDK Directory API directory_v1 rev 20230131 (discovery document, googleapis/google-api-nodejs-client)"}
	googleDataTransfer = &Description{ID: "google-datatransfer", Format: "discovery",
		Title: "Google Admin SDK Data Transfer API datatransfer_v1 rev 20221205 and Directory API directory_v1 rev 20230131 (discovery documents, googleapis/google-api-nodejs-client)"}
)

const googleDirectoryDocs = "https://developers.google.com/admin-sdk/directory/reference/rest/v1/"

// googleScope is the prefix of Google's OAuth scopes.
const googleScope = "https://www.googleapis.com/auth/"

func googleUserKey(desc string) Field { return reqIn("userKey", String, desc) }

const googleUserKeyDesc = "Primary email address, alias email address, or unique user ID."

func google() Connector {
	return Connector{
		Type:           "google",
		Vendor:         "Google",
		Description:    "Google Workspace: Admin SDK Directory API users, groups, application-specific passwords, OAuth tokens and mobile devices, Data Transfer API, Enterprise License Manager API licences, Gmail API mailbox settings and mail.",
		Auth:           []string{"serviceAccount", "oauth2"},
		DefaultRate:    10,
		RequestsScopes: true,
		DefaultBaseURL: "https://admin.googleapis.com",
		Account: &Account{Read: "getUser", Key: "userKey", ByLogin: true,
			Signals: []Signal{boolSignal("suspended", false, "suspended")}},
		Error:    &ErrorShape{Body: `{"error": {"code": "{status}", "message": "{message}"}}`},
		Verified: googleDirectory,
		Actions: append([]Action{
			{
				Name:        "getUser",
				Scopes:      []string{googleScope + "admin.directory.user.readonly"},
				Description: "Fetch a Google Workspace user.",
				Effect:      Read,
				Idempotent:  true,
				Inputs:      []Field{googleUserKey(googleUserKeyDesc)},
				Outputs: []Field{
					out("id", String, "Unique Google user ID."),
					out("primaryEmail", String, "User's primary email address."),
					out("suspended", Boolean, "Whether the user is suspended."),
					out("orgUnitPath", String, "Organizational unit path, e.g. /Sales."),
					out("isAdmin", Boolean, "Whether the user is a super administrator."),
					out("name", Object, "User's name.",
						out("givenName", String, "Given name."),
						out("familyName", String, "Family name."),
						out("fullName", String, "Full name."),
					),
				},
				Call: Call{Protocol: "http", Method: "GET", Path: "/admin/directory/v1/users/{userKey}", Docs: googleDirectoryDocs + "users/get"},
			},
			{
				Name:        "suspendUser",
				Scopes:      []string{googleScope + "admin.directory.user"},
				Deprovision: true,
				Subject:     "userKey",
				Description: "Suspend the user (users.update with suspended=true).",
				Effect:      Write,
				Idempotent:  true,
				Inputs:      []Field{googleUserKey(googleUserKeyDesc)},
				Call:        Call{Protocol: "http", Method: "PUT", Path: "/admin/directory/v1/users/{userKey}", Docs: googleDirectoryDocs + "users/update"},
			},
			{
				Name:        "unsuspendUser",
				Scopes:      []string{googleScope + "admin.directory.user"},
				Description: "Lift the user's suspension (users.update with suspended=false).",
				Effect:      Write,
				Idempotent:  true,
				Inputs:      []Field{googleUserKey(googleUserKeyDesc)},
				Call:        Call{Protocol: "http", Method: "PUT", Path: "/admin/directory/v1/users/{userKey}", Docs: googleDirectoryDocs + "users/update"},
			},
			{
				Name:         "signOutUser",
				EndsSessions: true,
				Scopes:       []string{googleScope + "admin.directory.user.security"},
				Deprovision:  true,
				Subject:      "userKey",
				Description:  "Sign the user out of all web and device sessions and reset sign-in cookies.",
				Effect:       Write,
				Idempotent:   true,
				Inputs:       []Field{googleUserKey(googleUserKeyDesc)},
				Call:         Call{Protocol: "http", Method: "POST", Path: "/admin/directory/v1/users/{userKey}/signOut", Docs: googleDirectoryDocs + "users/signOut"},
			},
			{
				Name:        "transferDrive",
				Scopes:      []string{googleScope + "admin.datatransfer", googleScope + "admin.directory.user.readonly"},
				Deprovision: true,
				Subject:     "fromUser",
				Description: "Transfer ownership of the user's Google Drive files to another user.",
				Effect:      Write,
				Idempotent:  true,
				Repeat:      "a second transfer request, which finds no file of fromUser left to move",
				Verified:    googleDataTransfer,
				Inputs: []Field{
					reqIn("fromUser", String, "Current owner: primary email or unique user ID."),
					reqIn("toUser", String, "New owner: primary email or unique user ID."),
					optIn("privacyLevels", List, "Files to transfer: SHARED, PRIVATE or both (default both)."),
				},
				Outputs: googleTransferOutputs(),
				Call:    googleTransferCall(),
			},
			{
				Name:        "transferCalendar",
				Scopes:      []string{googleScope + "admin.datatransfer", googleScope + "admin.directory.user.readonly"},
				Deprovision: true,
				Subject:     "fromUser",
				Description: "Transfer the user's future Calendar events to another user, releasing their booked resources.",
				Effect:      Write,
				Idempotent:  true,
				Repeat:      "a second transfer request, which finds no future event of fromUser left to move",
				Verified:    googleDataTransfer,
				Inputs: []Field{
					reqIn("fromUser", String, "Current owner: primary email or unique user ID."),
					reqIn("toUser", String, "New owner: primary email or unique user ID."),
				},
				Outputs: googleTransferOutputs(),
				Call:    googleTransferCall(),
			},
			{
				Name:        "addToGroup",
				Scopes:      []string{googleScope + "admin.directory.group.member"},
				Description: "Add the user to a Google group (no-op if already a member).",
				Effect:      Write,
				Idempotent:  true,
				Inputs: []Field{
					reqIn("groupKey", String, "Group email address, alias, or unique group ID."),
					googleUserKey("Email address or unique ID of the user to add."),
				},
				Call: Call{Protocol: "http", Method: "POST", Path: "/admin/directory/v1/groups/{groupKey}/members", Docs: googleDirectoryDocs + "members/insert"},
			},
			{
				Name: "removeFromGroup",
				// members.delete, and on a 404 a users.get to tell "not a
				// member" from "no such user".
				Scopes:       []string{googleScope + "admin.directory.group.member", googleScope + "admin.directory.user.readonly"},
				Deprovision:  true,
				RemovesGrant: true,
				Subject:      "userKey",
				Description:  "Remove the user from a Google group (no-op if not a member).",
				Effect:       Write,
				Idempotent:   true,
				Inputs: []Field{
					reqIn("groupKey", String, "Group email address, alias, or unique group ID."),
					googleUserKey("Email address, alias, or unique ID of the member to remove."),
				},
				Call: Call{Protocol: "http", Method: "DELETE", Path: "/admin/directory/v1/groups/{groupKey}/members/{userKey}", Docs: googleDirectoryDocs + "members/delete"},
			},
		}, slices.Concat(googleCredentialActions(), googleLicenseActions(), gmailActions())...),
	}
}

// googleTransferCall is the Data Transfer API's transfers.insert, with the
// lookups it needs (both users' ids, the application's id): what
// transferDrive and transferCalendar call, with another application.
func googleTransferCall() Call {
	return Call{
		Protocol: "http", Method: "POST", Path: "/admin/datatransfer/v1/transfers",
		Docs: "https://developers.google.com/workspace/admin/data-transfer/reference/rest/v1/transfers/insert",
		Lookups: []LookupCall{
			{Method: "GET", Path: "/admin/directory/v1/users/{fromUser}", Yields: []string{"oldOwnerUserId"}, Docs: googleDirectoryDocs + "users/get"},
			{Method: "GET", Path: "/admin/directory/v1/users/{toUser}", Yields: []string{"newOwnerUserId"}, Docs: googleDirectoryDocs + "users/get"},
			{Method: "GET", Path: "/admin/datatransfer/v1/applications", Yields: []string{"applicationId"}},
		},
	}
}

// googleTransferOutputs are a data transfer's outputs.
func googleTransferOutputs() []Field {
	return []Field{
		out("transferId", String, "ID of the data transfer request."),
		out("status", String, "Overall transfer status, e.g. inProgress or completed."),
	}
}
