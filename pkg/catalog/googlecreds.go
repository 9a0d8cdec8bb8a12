package catalog

// googleCustomer is the customerId input of the mobile device actions:
// Google's my_customer alias names the administrator's own account.
func googleCustomer() Field {
	return optIn("customerId", String, "Google Workspace customer ID (default my_customer, the administrator's own account).")
}

// googleCredentialActions are the Directory API actions that take a
// leaver's remaining credentials away: application-specific passwords
// (ASPs), OAuth tokens granted to third-party applications, and mobile
// devices synced with the account. Suspending a user leaves all three
// valid; a leaver lists them and deletes each.
//
// A second delete of the same ASP, token or device finds it gone, and
// Google answers 404: the actions are idempotent in effect, but the retry
// fails (Repeat), so a wrong id is never taken for done.
func googleCredentialActions() []Action {
	return []Action{
		{
			Name:        "listASPs",
			Scopes:      []string{googleScope + "admin.directory.user.security"},
			Description: "List the user's application-specific passwords (asps.list).",
			Effect:      Read,
			Idempotent:  true,
			Inputs:      []Field{googleUserKey(googleUserKeyDesc)},
			Outputs: []Field{
				out("asps", List, "The user's ASPs, in Google's order (empty when there is none).",
					out("codeId", Number, "Unique ID of the ASP (an int32), what deleteASP takes."),
					out("name", String, "Name of the application the user gave when creating the ASP."),
					out("creationTime", String, "When the ASP was created: Unix time in milliseconds, as a string (Google's int64)."),
					out("lastTimeUsed", String, "When the ASP was last used: Unix time in milliseconds, as a string (Google's int64)."),
					out("userKey", String, "Unique ID of the user who issued the ASP."),
				),
			},
			Call: Call{Protocol: "http", Method: "GET", Path: "/admin/directory/v1/users/{userKey}/asps", Docs: googleDirectoryDocs + "asps/list"},
		},
		{
			Name:         "deleteASP",
			Scopes:       []string{googleScope + "admin.directory.user.security"},
			Deprovision:  true,
			RemovesGrant: true,
			Subject:      "userKey",
			Description:  "Delete one of the user's application-specific passwords (asps.delete).",
			Effect:       Write,
			Idempotent:   true,
			Repeat:       "Google answers 404 (the ASP is gone): nothing changes, but the retry fails",
			Inputs: []Field{
				googleUserKey(googleUserKeyDesc),
				// Any: Google's int32, as listASPs answers it, or its
				// digits as text, as Okta Workflows' ASP card passes it.
				reqIn("codeId", Any, "Unique ID of the ASP (listASPs' codeId): an integer, or its digits as text."),
			},
			Call: Call{Protocol: "http", Method: "DELETE", Path: "/admin/directory/v1/users/{userKey}/asps/{codeId}", Docs: googleDirectoryDocs + "asps/delete"},
		},
		{
			Name:        "listTokens",
			Scopes:      []string{googleScope + "admin.directory.user.security"},
			Description: "List the OAuth tokens the user has granted to third-party applications (tokens.list).",
			Effect:      Read,
			Idempotent:  true,
			Inputs:      []Field{googleUserKey(googleUserKeyDesc)},
			Outputs: []Field{
				out("tokens", List, "The user's tokens, one per application, in Google's order (empty when there is none).",
					out("clientId", String, "Client ID of the application the token is issued to, what deleteToken takes."),
					out("displayText", String, "Displayable name of the application."),
					out("scopes", List, "Authorization scopes the application is granted."),
					out("anonymous", Boolean, "Whether the application has an anonymous client ID (is not registered with Google)."),
					out("nativeApp", Boolean, "Whether the application is installed on a desktop or mobile device."),
					out("userKey", String, "Unique ID of the user who issued the token."),
				),
			},
			Call: Call{Protocol: "http", Method: "GET", Path: "/admin/directory/v1/users/{userKey}/tokens", Docs: googleDirectoryDocs + "tokens/list"},
		},
		{
			Name:         "deleteToken",
			Scopes:       []string{googleScope + "admin.directory.user.security"},
			Deprovision:  true,
			RemovesGrant: true,
			Subject:      "userKey",
			Description:  "Delete all the OAuth tokens the user has granted to one application (tokens.delete).",
			Effect:       Write,
			Idempotent:   true,
			Repeat:       "Google answers 404 (the application holds no token of the user): nothing changes, but the retry fails",
			Inputs: []Field{
				googleUserKey(googleUserKeyDesc),
				reqIn("clientId", String, "Client ID of the application (listTokens' clientId)."),
			},
			Call: Call{Protocol: "http", Method: "DELETE", Path: "/admin/directory/v1/users/{userKey}/tokens/{clientId}", Docs: googleDirectoryDocs + "tokens/delete"},
		},
		{
			Name:        "listMobileDevices",
			Scopes:      []string{googleScope + "admin.directory.device.mobile.readonly"},
			Description: "List the user-owned mobile devices of the account whose owner has this email address (mobiledevices.list with query email:ADDRESS, every page).",
			Effect:      Read,
			Idempotent:  true,
			Inputs: []Field{
				reqIn("email", String, "Email address of the devices' owner."),
				googleCustomer(),
			},
			Outputs: []Field{
				out("mobileDevices", List, "The owner's devices, in Google's order (empty when there is none).",
					out("resourceId", String, "Unique ID the API identifies the device by, what deleteMobileDevice takes."),
					out("deviceId", String, "The device's serial number (for Android and iOS, a software-generated ID): not what deleteMobileDevice takes."),
					out("email", List, "The owner's email addresses."),
					out("model", String, "Model name, e.g. Pixel 7."),
					out("os", String, "Operating system, e.g. Android 14."),
					out("status", String, "Status, e.g. APPROVED."),
					out("type", String, "Type, e.g. ANDROID or IOS_SYNC."),
				),
			},
			Call: Call{Protocol: "http", Method: "GET", Path: "/admin/directory/v1/customer/{customerId}/devices/mobile?query=email:{email}",
				Docs: googleDirectoryDocs + "mobiledevices/list"},
		},
		{
			Name:   "deleteMobileDevice",
			Scopes: []string{googleScope + "admin.directory.device.mobile"},
			// Not Deprovision: a deprovisioning action names the person
			// it takes access from (its Subject), which the guardrail
			// counts, and the call names a device only.
			Description: "Remove a mobile device from the account (mobiledevices.delete): it no longer syncs the owner's data.",
			Effect:      Write,
			Idempotent:  true,
			Repeat:      "Google answers 404 (the device is gone): nothing changes, but the retry fails",
			Inputs: []Field{
				reqIn("resourceId", String, "Unique ID of the device (listMobileDevices' resourceId, not its deviceId)."),
				googleCustomer(),
			},
			Call: Call{Protocol: "http", Method: "DELETE", Path: "/admin/directory/v1/customer/{customerId}/devices/mobile/{resourceId}",
				Docs: googleDirectoryDocs + "mobiledevices/delete"},
		},
	}
}
