package catalog

func email() Connector {
	return Connector{
		Type:        "email",
		Vendor:      "the SMTP server",
		Description: "Email over SMTP (with STARTTLS or implicit TLS).",
		Auth:        []string{"smtp", "none"},
		Unverified:  "SMTP: there is no published API description to check against",
		Actions: []Action{
			{
				Name:        "send",
				Notifies:    true,
				Description: "Send an email message: plain text, or HTML (with a plain-text alternative) when the body starts with a tag.",
				Effect:      Write,
				Idempotent:  false,
				// SMTP has no deduplication: a server that took the message
				// delivers it again.
				Repeat: "a second delivery; both copies carry Message-ID <KEY@jml> from the idempotency key, so mail clients that fold duplicates show one",
				Inputs: []Field{
					reqIn("to", String, "Recipient address; separate several addresses with commas."),
					reqIn("subject", String, "Subject line."),
					reqIn("body", String, "Plain-text message body."),
					optIn("cc", String, "Carbon-copy address; separate several addresses with commas."),
					optIn("from", String, "Sender address (default: the connection's from address)."),
				},
				Outputs: []Field{
					out("messageId", String, "Message-ID header of the sent message."),
				},
				Call: Call{Protocol: "smtp", Docs: "https://www.rfc-editor.org/rfc/rfc5321"},
			},
		},
	}
}
