package catalog

// slackWeb is the description the Web API actions are verified against.
var slackWeb = &Description{ID: "slack-web", Format: "openapi",
	Title: "Slack Web API 1.7.0 (OpenAPI 2, slackapi/slack-api-specs)"}

// slackSCIMUnverified is why the SCIM actions are not verified.
const slackSCIMUnverified = "Slack publishes no machine-readable description of its SCIM API"

const (
	slackSCIMDocs = "https://docs.slack.dev/reference/scim-api/scim-api-2"
	slackMethods  = "https://docs.slack.dev/reference/methods/"
)

func slackEmail(desc string) Field { return reqIn("email", String, desc) }

// slackSCIMLookup resolves the SCIM user id (the Slack user ID) from an email.
func slackSCIMLookup() LookupCall {
	return LookupCall{
		Method: "GET",
		Path:   `/scim/v2/Users?filter=email eq "{email}"&startIndex=1&count=1`,
		Yields: []string{"id"},
		Docs:   slackSCIMDocs,
	}
}

func slack() Connector {
	return Connector{
		Type:           "slack",
		Vendor:         "Slack",
		Description:    "Slack: SCIM v2 user provisioning plus Web API messaging and channel membership.",
		Auth:           []string{"bearer", "oauth2"},
		DefaultRate:    1,
		DefaultBaseURL: "https://api.slack.com",
		Account: &Account{Read: "lookupUserByEmail", Key: "email", ByLogin: true,
			Signals: []Signal{boolSignal("active", true, "deactivated")}},
		Error: &ErrorShape{
			// Slack's SCIM API answers {"Errors": {"description", "code"}}, not
			// RFC 7644's schemas/detail/status: what Slack's own SDKs parse
			// (java-slack-sdk SCIM2ApiErrorResponse.Errors{description, code};
			// python-slack-sdk SCIMApiError reads body["Errors"]).
			Body: `{"Errors": {"description": "{message}", "code": "{status}"}}`,
		},
		Verified: slackWeb,
		Actions: []Action{
			{
				Name:        "lookupUserByEmail",
				Description: "Find a Slack user by email address (users.lookupByEmail).",
				Effect:      Read,
				Idempotent:  true,
				Inputs:      []Field{slackEmail("Email address of the user to find.")},
				Outputs: []Field{
					out("id", String, "Slack user ID, e.g. W012A3CDE."),
					out("email", String, "Email address on the user's profile."),
					out("active", Boolean, "False when the account is deactivated (deleted)."),
					out("name", String, "Slack username (handle)."),
					out("realName", String, "User's full name."),
				},
				Call: Call{Protocol: "http", Method: "GET", Path: "/api/users.lookupByEmail?email={email}",
					Docs: slackMethods + "users.lookupByEmail"},
			},
			{
				Name:        "deactivateUser",
				Unverified:  slackSCIMUnverified,
				Deprovision: true,
				Subject:     "email",
				Description: "Deactivate the Slack account with this email (SCIM DELETE, reversible).",
				Effect:      Write,
				Idempotent:  true,
				Inputs:      []Field{slackEmail("Email address of the user to deactivate.")},
				Call: Call{Protocol: "http", Method: "DELETE", Path: "/scim/v2/Users/{id}", Docs: slackSCIMDocs,
					Lookups: []LookupCall{slackSCIMLookup()}},
			},
			{
				Name:        "reactivateUser",
				Unverified:  slackSCIMUnverified,
				Description: "Reactivate a deactivated Slack account (SCIM PATCH active=true).",
				Effect:      Write,
				Idempotent:  true,
				Inputs:      []Field{slackEmail("Email address of the user to reactivate.")},
				Call: Call{Protocol: "http", Method: "PATCH", Path: "/scim/v2/Users/{id}", Docs: slackSCIMDocs,
					Lookups: []LookupCall{slackSCIMLookup()}},
			},
			{
				Name:        "postMessage",
				Notifies:    true,
				Description: "Post a message to a channel, private group or DM (chat.postMessage).",
				Effect:      Write,
				Idempotent:  false,
				// chat.postMessage documents no client key to deduplicate on
				// (client_msg_id is not among its arguments), and looking the
				// message up first would need conversations.history, its
				// history scopes and a channel id, under Slack's tightest rate
				// limit: a timeout after the post, then a retry, posts twice.
				Repeat: "a second, identical message (chat.postMessage has no key Slack deduplicates on)",
				Inputs: []Field{
					reqIn("channel", String, "Channel ID or name, e.g. C1234567890 or #it-ops."),
					reqIn("text", String, "Message text (mrkdwn)."),
					optIn("threadTs", String, "Timestamp of a parent message to reply in its thread."),
				},
				Outputs: []Field{
					out("ts", String, "Timestamp ID of the posted message."),
					out("channel", String, "ID of the channel the message was posted to."),
				},
				Call: Call{Protocol: "http", Method: "POST", Path: "/api/chat.postMessage", Docs: slackMethods + "chat.postMessage"},
			},
			{
				Name:        "createUser",
				Unverified:  slackSCIMUnverified,
				Description: "Provision a new Slack user (SCIM POST).",
				Effect:      Write,
				Idempotent:  false,
				Repeat:      "no second account: Slack answers 409 (email or username taken), so the retry fails although the first try worked",
				Inputs: []Field{
					slackEmail("Primary email address of the new user."),
					reqIn("userName", String, "Slack username (handle) of the new user."),
					reqIn("displayName", String, "Display name of the new user."),
				},
				Outputs: []Field{out("id", String, "Slack user ID of the created user.")},
				Call:    Call{Protocol: "http", Method: "POST", Path: "/scim/v2/Users", Docs: slackSCIMDocs},
			},
			{
				Name:        "inviteToChannel",
				Description: "Add the user with this email to a channel (no-op if already in it).",
				Effect:      Write,
				Idempotent:  true,
				Inputs: []Field{
					reqIn("channel", String, "ID of the public or private channel."),
					slackEmail("Email address of the user to add."),
				},
				Call: Call{Protocol: "http", Method: "POST", Path: "/api/conversations.invite", Docs: slackMethods + "conversations.invite",
					Lookups: []LookupCall{{
						Method: "GET",
						Path:   "/api/users.lookupByEmail?email={email}",
						Yields: []string{"userId"},
						Docs:   slackMethods + "users.lookupByEmail",
					}}},
			},
		},
	}
}
