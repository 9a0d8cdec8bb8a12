package flopack

import (
	"strings"
	"testing"
)

func TestGmailCards(t *testing.T) {
	const (
		offboard = "../../testdata/flopacks/offboard_google_workspace_users.flopack"
		abandon  = "../../testdata/flopacks/close_abandoned_accounts.flopack"
	)
	// The Gmail cards of the offboarding template other than Send Email
	// are inside If Error cards (read at import); the goldens and
	// testdata/script/import_flopack_google_offboarding.txtar hold them.
	dropInput := func(c *Card, key string) {
		for i, f := range c.Inputs {
			if f.Key == key {
				c.Inputs = append(c.Inputs[:i], c.Inputs[i+1:]...)
				return
			}
		}
	}
	tests := []struct {
		name, pack, method string
		edit               func(c *Card)
		want, not          string
	}{
		{"Send Email with an HTML body", offboard, "sendEmail2", func(c *Card) {},
			"action: google.sendGmail\n    with:\n      # Okta sent this as the account of its Gmail connection", "      userKey:"},
		{"Send Email as text", abandon, "sendEmail2", func(c *Card) {},
			"action: google.sendGmail", "contentType"},
		{"Send Email with a BCC", abandon, "sendEmail2", func(c *Card) { setInput(c, "BCC", []any{"audit@acme.com", "hr@acme.com"}) },
			"      bcc: audit@acme.com,hr@acme.com\n", "todo Send Email"},
		{"Send Email's Body is HTML? other than Yes or No", offboard, "sendEmail2", func(c *Card) { setInput(c, "bodyIsHtml", "Maybe") },
			"Body is HTML? Maybe is not imported (Yes or No)", ""},
		{"Send Email without To", offboard, "sendEmail2", func(c *Card) {
			dropInput(c, "To")
			c.Inputs = append(c.Inputs, &Field{ID: "to-literal", Group: "Email", Key: "To", Value: []any{}})
		}, "no To address", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := withCard(t, tt.pack, "gmail", tt.method, tt.edit)
			if !strings.Contains(out, tt.want) {
				t.Errorf("import lacks %q:\n%s", tt.want, out)
			}
			if tt.not != "" {
				i := strings.Index(out, "action: google.sendGmail")
				if i >= 0 && strings.Contains(out[i:min(len(out), i+600)], tt.not) {
					t.Errorf("the sendGmail step has %q:\n%s", tt.not, out[i:min(len(out), i+600)])
				}
			}
		})
	}
}
