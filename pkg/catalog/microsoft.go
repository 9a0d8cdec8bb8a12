package catalog

// graphV1 is the description the microsoft actions are verified against.
var graphV1 = &Description{ID: "graph-v1.0", Format: "csdl",
	Title: "Microsoft Graph v1.0 $metadata (CSDL, microsoftgraph/msgraph-metadata)"}

const graphDocs = "https://learn.microsoft.com/en-us/graph/api/"

func graphUserID() Field {
	return reqIn("userId", String, "Microsoft Entra user object ID or userPrincipalName.")
}

func microsoft() Connector {
	return Connector{
		Type:           "microsoft",
		Vendor:         "Microsoft Graph",
		Description:    "Microsoft Graph v1.0: Entra ID users, licenses, group memberships and Outlook mail.",
		Auth:           []string{"oauth2", "bearer"},
		DefaultRate:    10,
		DefaultBaseURL: "https://graph.microsoft.com",
		Account: &Account{Read: "getUser", Key: "userId", ByLogin: true,
			Signals: []Signal{boolSignal("accountEnabled", true, "accountEnabled false")}},
		Error: &ErrorShape{
			// Graph's error.code is a string ("Request_ResourceNotFound"),
			// not the status (learn.microsoft.com/graph/errors).
			Body: `{"error": {"code": "{code}", "message": "{message}", "innerError": {"request-id": "sandbox", "client-request-id": "sandbox"}}}`,
			Codes: map[string]string{"400": "Request_BadRequest", "401": "InvalidAuthenticationToken", "403": "Authorization_RequestDenied",
				"404": "Request_ResourceNotFound", "409": "Request_MultipleObjectsWithSameKeyValue", "429": "TooManyRequests",
				"503": "serviceNotAvailable", "504": "timeout", "5xx": "generalException", "*": "Request_BadRequest"},
		},
		Verified: graphV1,
		Actions: []Action{
			{
				Name:        "getUser",
				Scopes:      []string{"User.Read.All"},
				Description: "Fetch a Microsoft Entra ID user.",
				Effect:      Read,
				Idempotent:  true,
				Inputs:      []Field{graphUserID()},
				Outputs: []Field{
					out("id", String, "User object ID."),
					out("userPrincipalName", String, "User principal name (sign-in name)."),
					out("accountEnabled", Boolean, "Whether the account can sign in."),
					out("displayName", String, "Display name."),
					out("mail", String, "Primary SMTP address."),
					out("licenseAssignmentStates", List, "The user's licences, one per SKU assigned directly and per SKU and group assigning it.",
						out("skuId", String, "SKU ID (GUID) of the licence."),
						out("assignedByGroup", String, "Object ID of the group that assigns it; null when assigned directly."),
						out("state", String, "Active, ActiveWithSolutions, Error or Disabled.")),
				},
				Call: Call{Protocol: "http", Method: "GET",
					Path: "/v1.0/users/{userId}?$select=id,userPrincipalName,accountEnabled,displayName,mail,licenseAssignmentStates",
					Docs: graphDocs + "user-get"},
			},
			{
				Name:        "disableUser",
				Scopes:      []string{"User.EnableDisableAccount.All", "User.Read.All"},
				Deprovision: true,
				Subject:     "userId",
				Description: "Block sign-in by setting accountEnabled to false.",
				Effect:      Write,
				Idempotent:  true,
				Inputs:      []Field{graphUserID()},
				Call:        Call{Protocol: "http", Method: "PATCH", Path: "/v1.0/users/{userId}", Docs: graphDocs + "user-update"},
			},
			{
				Name:        "enableUser",
				Scopes:      []string{"User.EnableDisableAccount.All", "User.Read.All"},
				Description: "Allow sign-in by setting accountEnabled to true (the twin of disableUser).",
				Effect:      Write,
				Idempotent:  true,
				Inputs:      []Field{graphUserID()},
				Call:        Call{Protocol: "http", Method: "PATCH", Path: "/v1.0/users/{userId}", Docs: graphDocs + "user-update"},
			},
			{
				Name:         "revokeSignInSessions",
				EndsSessions: true,
				Scopes:       []string{"User.RevokeSessions.All"},
				Deprovision:  true,
				Subject:      "userId",
				Description:  "Invalidate the user's refresh tokens and session cookies.",
				Effect:       Write,
				Idempotent:   true,
				Inputs:       []Field{graphUserID()},
				Call: Call{Protocol: "http", Method: "POST", Path: "/v1.0/users/{userId}/revokeSignInSessions",
					Docs: graphDocs + "user-revokesigninsessions"},
			},
			{
				Name:         "removeLicenses",
				Scopes:       []string{"LicenseAssignment.ReadWrite.All", "User.Read.All"},
				Deprovision:  true,
				RemovesGrant: true,
				Subject:      "userId",
				Description: "Remove directly assigned licenses from the user; all of them when skuIds is omitted. " +
					"Licenses the user inherits from a group stay (Graph refuses to remove them from the user) and are reported.",
				Effect:     Write,
				Idempotent: true,
				Inputs: []Field{
					graphUserID(),
					optIn("skuIds", List, "SKU IDs (GUIDs) of the licenses to remove; default all directly assigned licenses."),
				},
				Outputs: []Field{
					out("removed", List, "SKU IDs of the directly assigned licenses removed, sorted."),
					out("inherited", List, "Licenses (of those asked for) the user keeps through group-based licensing, one per SKU and group: "+
						"remove the user from the group, or the license from the group, to take them away.",
						out("skuId", String, "SKU ID of the inherited license."),
						out("groupId", String, "Object ID of the group that assigns it (licenseAssignmentState.assignedByGroup).")),
				},
				Call: Call{
					Protocol: "http", Method: "POST", Path: "/v1.0/users/{userId}/assignLicense", Docs: graphDocs + "user-assignlicense",
					Lookups: []LookupCall{{
						Method: "GET",
						Path:   "/v1.0/users/{userId}?$select=licenseAssignmentStates",
						Yields: []string{"skuIds"},
						Docs:   graphDocs + "resources/licenseassignmentstate",
					}},
				},
			},
			{
				Name:        "assignLicense",
				Scopes:      []string{"LicenseAssignment.ReadWrite.All"},
				Description: "Assign a license (SKU) to the user.",
				Effect:      Write,
				Idempotent:  true,
				Inputs: []Field{
					graphUserID(),
					reqIn("skuId", String, "SKU ID (GUID) of the license to assign."),
					optIn("disabledPlans", List, "Service plan IDs (GUIDs) to disable within the license."),
				},
				Call: Call{Protocol: "http", Method: "POST", Path: "/v1.0/users/{userId}/assignLicense", Docs: graphDocs + "user-assignlicense"},
			},
			{
				Name:        "listSubscribedSkus",
				Scopes:      []string{"LicenseAssignment.Read.All"},
				Description: "List the licences (SKUs) the organisation has acquired, with their units and service plans.",
				Effect:      Read,
				Idempotent:  true,
				Outputs: []Field{
					out("skus", List, "The organisation's subscribed SKUs, in Graph's order.",
						out("id", String, "Subscribed SKU ID (tenant ID and SKU ID)."),
						out("skuId", String, "SKU ID (GUID): the skuId of assignLicense and removeLicenses."),
						out("skuPartNumber", String, "SKU part number, e.g. ENTERPRISEPACK (Office 365 E3)."),
						out("appliesTo", String, "User or Company."),
						out("capabilityStatus", String, "Enabled, Warning, Suspended, Deleted or LockedOut."),
						out("consumedUnits", Number, "Licences assigned."),
						out("prepaidUnits", Object, "Licences bought, by state.",
							out("enabled", Number, "Active licences."),
							out("suspended", Number, "Suspended licences."),
							out("warning", Number, "Licences in warning."),
							out("lockedOut", Number, "Locked-out licences.")),
						out("servicePlans", List, "The service plans of the SKU.",
							out("servicePlanId", String, "Service plan ID (GUID): a disabledPlans entry."),
							out("servicePlanName", String, "Service plan name."),
							out("provisioningStatus", String, "Provisioning status."),
							out("appliesTo", String, "User or Company."))),
				},
				Call: Call{Protocol: "http", Method: "GET", Path: "/v1.0/subscribedSkus", Docs: graphDocs + "subscribedsku-list"},
			},
			{
				Name:        "sendMail",
				Scopes:      []string{"Mail.Send"},
				Notifies:    true,
				Description: "Send an email from the user's mailbox (saved to its Sent Items).",
				Effect:      Write,
				Idempotent:  false,
				// Graph answers 202 Accepted with no message id and takes no
				// idempotency key.
				Repeat: "a second message: Graph's sendMail takes no idempotency key and answers 202 Accepted without a message id",
				Inputs: []Field{
					reqIn("userId", String, "The sender: object ID or userPrincipalName of the mailbox the message is sent from."),
					reqIn("to", String, "Recipient address; separate several addresses with commas."),
					reqIn("subject", String, "Subject line."),
					reqIn("body", String, "Message body."),
					optIn("cc", String, "Carbon-copy address; separate several addresses with commas."),
					optIn("bcc", String, "Blind-carbon-copy address, not shown to the other recipients; separate several addresses with commas."),
					optIn("contentType", String, "Text (default) or HTML: how the body is read."),
				},
				Call: Call{Protocol: "http", Method: "POST", Path: "/v1.0/users/{userId}/sendMail", Docs: graphDocs + "user-sendmail"},
			},
			{
				Name:        "addToGroup",
				Scopes:      []string{"GroupMember.ReadWrite.All"},
				Description: "Add the user to a security or Microsoft 365 group (no-op if already a member).",
				Effect:      Write,
				Idempotent:  true,
				Inputs: []Field{
					reqIn("groupId", String, "Group object ID."),
					graphUserID(),
				},
				Call: Call{Protocol: "http", Method: "POST", Path: "/v1.0/groups/{groupId}/members/$ref", Docs: graphDocs + "group-post-members"},
			},
			{
				Name:         "removeFromGroup",
				Scopes:       []string{"GroupMember.ReadWrite.All"},
				Deprovision:  true,
				RemovesGrant: true,
				Subject:      "userId",
				Description:  "Remove the user from a group (no-op if not a member).",
				Effect:       Write,
				Idempotent:   true,
				Inputs: []Field{
					reqIn("groupId", String, "Group object ID."),
					reqIn("userId", String, "User object ID of the member to remove."),
				},
				Call: Call{Protocol: "http", Method: "DELETE", Path: "/v1.0/groups/{groupId}/members/{userId}/$ref", Docs: graphDocs + "group-delete-members"},
			},
		},
	}
}
