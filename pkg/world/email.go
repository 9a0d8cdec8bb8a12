package world

import (
	"fmt"
	"strings"
)

type emailMessage struct {
	id, from, to, cc, subject, body, date string
}

// emailModel is an SMTP relay: an outbox of the messages sent.
type emailModel struct {
	// outbox holds the messages sent, in order, in sp (spool.go); ids
	// their Message-IDs, which a new one must not take.
	outbox []blob
	ids    idSet
	sp     *spool
}

func newEmail(sp *spool) *emailModel { return &emailModel{ids: newIDSet(kindMessageID), sp: sp} }

func (m *emailModel) clone() model {
	return &emailModel{outbox: append([]blob(nil), m.outbox...), ids: m.ids.clone(), sp: m.sp}
}

func (m *emailModel) seed(User)  {}
func (m *emailModel) load(o obj) {}

// addresses checks a comma-separated address list as an SMTP server would.
func addresses(field, list string) error {
	for _, a := range strings.Split(list, ",") {
		a = strings.TrimSpace(a)
		if i := strings.LastIndexByte(a, '<'); i >= 0 && strings.HasSuffix(a, ">") {
			a = a[i+1 : len(a)-1]
		}
		at := strings.IndexByte(a, '@')
		if at <= 0 || at == len(a)-1 || strings.ContainsAny(a, " \t") {
			return badRequest("501 5.1.3 Bad recipient address syntax in %s: %q", field, a)
		}
	}
	return nil
}

// messageID returns the Message-ID of a new message: derived from the
// idempotency key of the call that sends it, or its place in the outbox
// without one.
func (m *emailModel) messageID(key string) string {
	taken := func(id string) bool {
		return m.ids.has(id)
	}
	if key != "" {
		return newID("email message", key, func(h idHash) string { return "<" + h.hex(16) + ".jml@world.invalid>" }, taken)
	}
	for n := len(m.outbox) + 1; ; n++ {
		if id := fmt.Sprintf("<%06d.jml@world.invalid>", n); !taken(id) {
			return id
		}
	}
}

func (m *emailModel) do(c *call) (map[string]any, error) {
	if c.action != "send" {
		return nil, notImplemented("email", c.action)
	}
	if err := addresses("to", c.str("to")); err != nil {
		return nil, err
	}
	if cc := c.str("cc"); cc != "" {
		if err := addresses("cc", cc); err != nil {
			return nil, err
		}
	}
	msg := emailMessage{id: m.messageID(c.key()), from: c.str("from"), to: c.str("to"), cc: c.str("cc"),
		subject: c.str("subject"), body: c.str("body"), date: c.now.UTC().Format("Mon, 02 Jan 2006 15:04:05 -0700")}
	m.outbox = append(m.outbox, m.sp.put(encodeStrings(msg.id, msg.from, msg.to, msg.cc, msg.subject, msg.body, msg.date)))
	m.ids.add(msg.id)
	return map[string]any{"messageId": msg.id}, nil
}

func (m *emailModel) state() map[string]any {
	out := make([]any, len(m.outbox))
	for i, at := range m.outbox {
		var msg emailMessage
		decodeStrings(m.sp.get(at), &msg.id, &msg.from, &msg.to, &msg.cc, &msg.subject, &msg.body, &msg.date)
		o := map[string]any{"messageId": msg.id, "to": msg.to, "subject": msg.subject, "body": msg.body, "date": msg.date}
		if msg.cc != "" {
			o["cc"] = msg.cc
		}
		if msg.from != "" {
			o["from"] = msg.from
		}
		out[i] = o
	}
	return map[string]any{"outbox": out}
}
