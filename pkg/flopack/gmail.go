package flopack

import (
	"fmt"

	"gopkg.in/yaml.v3"
)

// Okta's Gmail cards run on jml's google connector: the same Workspace
// tenant and service account (domain-wide delegation), the Gmail API.
var gmailActions = map[string]appAction{
	"gmail.sendEmail2": {typ: "google", action: "sendGmail", special: gmailSend,
		output: func(k string) string {
			switch k {
			case "Message ID":
				return "id"
			case "Thread ID":
				return "threadId"
			}
			return ""
		}},
	"gmail.addDelegate":    {typ: "google", action: "addDelegate", inputs: map[string]string{"Delegator.Email": "userKey", "Delegate.Email": "delegateEmail"}},
	"gmail.deleteDelegate": {typ: "google", action: "removeDelegate", inputs: map[string]string{"Delegator.email": "userKey", "Delegate.email": "delegateEmail"}},
	// Okta's Forward Emails "creates a forwarding address" and answers
	// Forwarding Email, Enabled and Disposition — Gmail's AutoForwarding
	// resource: it registers the address and turns auto-forwarding on, as
	// setAutoForwarding does.
	"gmail.forwardEmails": {typ: "google", action: "setAutoForwarding", special: gmailForward,
		inputs: map[string]string{"Forward From.Email": "userKey", "Forward To.Email": "emailAddress"}},
	"gmail.setAutoReply": {typ: "google", action: "setVacation", special: gmailAutoReply,
		inputs: map[string]string{"Auto Reply.Email": "userKey", "Auto Reply.Restrict to Domain": "restrictToDomain",
			"Auto Reply.Restrict to Contacts": "restrictToContacts", "Auto Reply.Start Time": "start", "Auto Reply.End Time": "end",
			"Auto Reply.Response Subject": "subject"}},
}

func init() {
	for k, v := range gmailActions {
		appActions[k] = v
	}
}

// gmailSend is Gmail's Send Email: google.sendGmail as the account Okta's
// connection signed in with, which the export does not name — the
// instance's subject, when userKey is left out —, To and CC (lists)
// joined with commas, Body is HTML? as contentType.
func gmailSend(t *ftr, c *Card, with *yaml.Node) string {
	for _, f := range c.Inputs {
		switch {
		case f.Group == "Email" && (f.Key == "To" || f.Key == "CC" || f.Key == "BCC"):
			v, ok, why := mailAddresses(t, c, f)
			if why != "" {
				return why
			}
			if !ok && f.Key == "To" {
				return "no To address"
			}
			if ok {
				set(with, map[string]string{"To": "to", "CC": "cc", "BCC": "bcc"}[f.Key], v)
			}
		case f.Group == "Email" && (f.Key == "Subject" || f.Key == "Body"):
			v, why := t.value(c, f, "")
			if why != "" {
				return why
			}
			set(with, map[string]string{"Subject": "subject", "Body": "body"}[f.Key], v)
		case f.Group == "parameters" && f.Key == "bodyIsHtml":
			switch f.Value {
			case "Yes":
				set(with, "contentType", str("HTML"))
			case "No", "", nil:
			default:
				return fmt.Sprintf("Body is HTML? %v is not imported (Yes or No)", f.Value)
			}
		case f.Group != "parameters" && (isPinned(t, c, f) || !emptyLiteral(f.Value)):
			return fmt.Sprintf("input %q has no google.sendGmail equivalent", f.Key)
		}
	}
	with.HeadComment = "Okta sent this as the account of its Gmail connection, which the export does not name:\nwithout userKey, jml sends as the google instance's subject; set userKey to send from another mailbox."
	t.im.decide("%s: Send Email becomes google.sendGmail from the google instance's subject (Okta's Gmail connection sends as its signed-in account, which the export does not name); To and CC are joined with commas", cardLabel(c))
	return ""
}

// gmailForward: Forward Emails leaves the forwarded mail in the inbox
// (jml's default disposition), as Gmail does when forwarding is set up.
func gmailForward(t *ftr, c *Card, with *yaml.Node) string {
	t.im.decide("%s: Forward Emails becomes google.setAutoForwarding: the address is registered (Okta's card) and auto-forwarding turned on, keeping the mail in the inbox (disposition leaveInInbox)", cardLabel(c))
	return ""
}

// gmailAutoReply: Set Auto Reply takes a plain-text and an HTML body;
// google.setVacation takes one message. The HTML one is kept when both
// come from the same value (Okta's templates pass one text to both);
// different bodies are not imported.
func gmailAutoReply(t *ftr, c *Card, with *yaml.Node) string {
	var plain, html *yaml.Node
	for _, f := range c.Inputs {
		if f.Group != "Auto Reply" || (f.Key != "Response Body Plain Text" && f.Key != "Response Body HTML") {
			continue
		}
		if !isPinned(t, c, f) && emptyLiteral(f.Value) {
			continue
		}
		v, why := t.value(c, f, "")
		if why != "" {
			return why
		}
		if f.Key == "Response Body HTML" {
			html = v
		} else {
			plain = v
		}
	}
	switch {
	case plain != nil && html != nil && plain.Value != html.Value:
		return "a plain-text and a different HTML body: google.setVacation takes one message"
	case html != nil:
		if plain != nil {
			t.im.decide("%s: Set Auto Reply's plain-text and HTML bodies are the same value: google.setVacation sends it as HTML", cardLabel(c))
		}
		set(with, "message", html)
		set(with, "contentType", str("HTML"))
	case plain != nil:
		set(with, "message", plain)
	default:
		return "no response body"
	}
	return ""
}
