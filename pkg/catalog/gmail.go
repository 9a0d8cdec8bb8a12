package catalog

// googleGmail is the description the Gmail actions of the google type are
// verified against: Google's discovery document of the Gmail API.
var googleGmail = &Description{ID: "google-gmail", Format: "discovery",
	Title: "Gmail API gmail_v1 rev 20230206 (discovery document, googleapis/google-api-nodejs-client)"}

const gmailDocs = "https://developers.google.com/gmail/api/reference/rest/v1/"

// gmailUserKey is the mailbox an action reads or changes: Gmail's userId,
// which with domain-wide delegation is also the user the token acts as.
func gmailUserKey(desc string) Field { return reqIn("userKey", String, desc) }

const gmailMailboxDesc = "Primary email address of the mailbox (the user the service account acts as)."

// gmailActions are the Gmail API actions of the google type: the same
// Workspace tenant and service account (domain-wide delegation, the
// mailbox's user as the token's subject), served by gmail.googleapis.com.
func gmailActions() []Action {
	return []Action{
		{
			Name:        "sendGmail",
			Scopes:      []string{googleScope + "gmail.send"},
			Notifies:    true,
			Description: "Send an email from a Gmail mailbox (users.messages.send with an RFC 2822 message).",
			Effect:      Write,
			Idempotent:  false,
			Repeat:      "a second message: users.messages.send takes no idempotency key",
			Verified:    googleGmail,
			Inputs: []Field{
				optIn("userKey", String, "Sending mailbox's primary email address (default: the service account's subject, the user jml acts as)."),
				reqIn("to", String, "Recipient address; separate several addresses with commas."),
				reqIn("subject", String, "Subject line."),
				reqIn("body", String, "Message body."),
				optIn("cc", String, "Carbon-copy address; separate several addresses with commas."),
				optIn("bcc", String, "Blind-carbon-copy address, not shown to the other recipients (a Bcc header, which Gmail takes out of the message it delivers); separate several addresses with commas."),
				optIn("contentType", String, "Text (default) or HTML: how the body is read."),
			},
			Outputs: []Field{
				out("id", String, "Gmail message ID."),
				out("threadId", String, "ID of the thread the message is in."),
			},
			Call: Call{Protocol: "http", Method: "POST", Path: "/gmail/v1/users/{userKey}/messages/send", Docs: gmailDocs + "users.messages/send"},
		},
		{
			Name:        "addDelegate",
			Scopes:      []string{googleScope + "gmail.settings.sharing"},
			Description: "Give another user of the domain delegate access to the mailbox (no-op if already a delegate).",
			Effect:      Write,
			Idempotent:  true,
			Verified:    googleGmail,
			Inputs: []Field{
				gmailUserKey("Primary email address of the delegator's mailbox."),
				reqIn("delegateEmail", String, "Primary email address of the delegate, a user of the same domain."),
			},
			Call: Call{Protocol: "http", Method: "POST", Path: "/gmail/v1/users/{userKey}/settings/delegates", Docs: gmailDocs + "users.settings.delegates/create"},
		},
		{
			Name:         "removeDelegate",
			Scopes:       []string{googleScope + "gmail.settings.sharing"},
			Deprovision:  true,
			RemovesGrant: true,
			Subject:      "delegateEmail",
			Description:  "Take a delegate's access to the mailbox away (no-op if not a delegate).",
			Effect:       Write,
			Idempotent:   true,
			Verified:     googleGmail,
			Inputs: []Field{
				gmailUserKey("Primary email address of the delegator's mailbox."),
				reqIn("delegateEmail", String, "Primary email address of the delegate (not an alias)."),
			},
			Call: Call{Protocol: "http", Method: "DELETE", Path: "/gmail/v1/users/{userKey}/settings/delegates/{delegateEmail}", Docs: gmailDocs + "users.settings.delegates/delete"},
		},
		{
			Name:        "setAutoForwarding",
			Scopes:      []string{googleScope + "gmail.settings.sharing"},
			Description: "Forward the mailbox's new mail to an address: registers it as a forwarding address, then turns auto-forwarding on.",
			Effect:      Write,
			Idempotent:  true,
			Verified:    googleGmail,
			Inputs: []Field{
				gmailUserKey(gmailMailboxDesc),
				reqIn("emailAddress", String, "Address to forward to (of the same domain, or verified)."),
				optIn("disposition", String, "What becomes of a forwarded message in the mailbox: leaveInInbox (default), archive, trash or markRead."),
			},
			Call: Call{
				Protocol: "http", Method: "PUT", Path: "/gmail/v1/users/{userKey}/settings/autoForwarding", Docs: gmailDocs + "users.settings/updateAutoForwarding",
				// forwardingAddresses.create first, which registers the
				// address auto-forwarding may name (Google answers 409 for
				// an address already registered, taken as done).
				Lookups: []LookupCall{{Method: "POST", Path: "/gmail/v1/users/{userKey}/settings/forwardingAddresses",
					Yields: []string{"forwardingEmail"}, Docs: gmailDocs + "users.settings.forwardingAddresses/create"}},
			},
		},
		{
			Name:        "setVacation",
			Scopes:      []string{googleScope + "gmail.settings.basic"},
			Description: "Turn the mailbox's auto-reply (vacation responder) on with a subject and message.",
			Effect:      Write,
			Idempotent:  true,
			Verified:    googleGmail,
			Inputs: []Field{
				gmailUserKey(gmailMailboxDesc),
				reqIn("subject", String, "Subject of the auto-reply."),
				reqIn("message", String, "Body of the auto-reply."),
				optIn("contentType", String, "Text (default) or HTML: how the message is read."),
				optIn("start", String, "When the auto-reply starts (RFC 3339; default: now)."),
				optIn("end", String, "When the auto-reply ends (RFC 3339; default: never)."),
				optIn("restrictToDomain", Boolean, "Reply only to senders of the domain."),
				optIn("restrictToContacts", Boolean, "Reply only to the user's contacts."),
			},
			Call: Call{Protocol: "http", Method: "PUT", Path: "/gmail/v1/users/{userKey}/settings/vacation", Docs: gmailDocs + "users.settings/updateVacation"},
		},
	}
}
