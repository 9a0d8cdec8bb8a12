package world

import (
	"fmt"
	"strings"
)

// gmailActions are the google actions the Gmail model answers.
var gmailActions = map[string]bool{"sendGmail": true, "addDelegate": true, "removeDelegate": true, "setAutoForwarding": true, "setVacation": true}

// mailbox is the Gmail settings of one user of a google instance.
type mailbox struct {
	delegates  []string // lower-cased primary emails, sorted
	forwarding []string // registered (accepted) forwarding addresses, sorted
	// autoForward is the auto-forwarding address ("" when off) and what
	// becomes of a forwarded message.
	autoForward, disposition string
	vacation                 *vacation
}

type vacation struct {
	subject, message, start, end string
	html, domain, contacts       bool
}

// gmailModel is the Gmail API side of a google instance: mailboxes'
// delegates, forwarding and auto-reply, and the messages sent (their text
// kept in the world's spool, as Slack's messages are).
type gmailModel struct {
	mailboxes map[string]*mailbox // lower(primaryEmail) → settings
	sent      []blob
	sentSeq   int
	ids       map[string]bool // message ids taken
	sp        *spool
}

func newGmail(sp *spool) *gmailModel {
	return &gmailModel{mailboxes: map[string]*mailbox{}, ids: map[string]bool{}, sp: sp}
}

func (g *gmailModel) clone() *gmailModel {
	c := &gmailModel{mailboxes: make(map[string]*mailbox, len(g.mailboxes)), sent: append([]blob(nil), g.sent...),
		sentSeq: g.sentSeq, ids: make(map[string]bool, len(g.ids)), sp: g.sp}
	for k, mb := range g.mailboxes {
		cp := *mb
		cp.delegates, cp.forwarding = cloneStrings(mb.delegates), cloneStrings(mb.forwarding)
		if mb.vacation != nil {
			v := *mb.vacation
			cp.vacation = &v
		}
		c.mailboxes[k] = &cp
	}
	for k := range g.ids {
		c.ids[k] = true
	}
	return c
}

func (g *gmailModel) box(u *googleUser) *mailbox {
	k := lower(u.primaryEmail)
	if mb := g.mailboxes[k]; mb != nil {
		return mb
	}
	mb := &mailbox{}
	g.mailboxes[k] = mb
	return mb
}

// messageID returns the id of a new message: derived from the idempotency
// key of the call that sends it, or the next of a counter without one.
func (g *gmailModel) messageID(key string) string {
	taken := func(id string) bool { return g.ids[id] }
	if key != "" {
		return newID("gmail message", key, func(h idHash) string { return "18" + h.chars(14, "0123456789abcdef") }, taken)
	}
	for {
		g.sentSeq++
		if id := fmt.Sprintf("18%014x", g.sentSeq); !taken(id) {
			return id
		}
	}
}

// domainOf returns the domain of an address, lower-cased.
func domainOf(addr string) string {
	_, d, _ := strings.Cut(lower(addr), "@")
	return d
}

// gmail performs a Gmail action of the google model m.
func (m *googleModel) gmail(c *call) (map[string]any, error) {
	g := m.mail
	if c.action == "sendGmail" {
		from := c.str("userKey")
		if from != "" && !strings.EqualFold(from, "me") {
			u, err := m.user(from)
			if err != nil {
				return nil, err
			}
			from = u.primaryEmail
		} else {
			from = "me"
		}
		id := g.messageID(c.key())
		g.ids[id] = true
		g.sent = append(g.sent, g.sp.put(encodeStrings(id, from, c.str("to"), c.str("cc"), c.str("subject"), c.str("body"), c.str("bcc"))))
		return map[string]any{"id": id, "threadId": id}, nil
	}
	u, err := m.user(c.str("userKey"))
	if err != nil {
		return nil, err
	}
	switch c.action {
	case "addDelegate", "removeDelegate":
		key := c.str("delegateEmail")
		if c.action == "removeDelegate" {
			if mb := g.mailboxes[lower(u.primaryEmail)]; mb != nil {
				mb.delegates, _ = removeFrom(mb.delegates, lower(key), false)
			}
			return map[string]any{}, nil
		}
		// Gmail: the delegate must be a user of the same organization,
		// and not the delegator.
		d := m.find(key)
		if d == nil {
			return nil, badRequest("Invalid delegate: %s is not a user of the domain", key)
		}
		if d == u {
			return nil, badRequest("Invalid delegate: a user cannot be their own delegate")
		}
		mb := g.box(u)
		mb.delegates, _ = addSorted(mb.delegates, lower(d.primaryEmail), false)
		return map[string]any{}, nil
	case "setAutoForwarding":
		addr := c.str("emailAddress")
		// Gmail needs no verification of an address of the domain; one
		// elsewhere stays pending until its owner confirms, and
		// auto-forwarding refuses an unverified address.
		if domainOf(addr) != domainOf(u.primaryEmail) {
			return nil, badRequest("Unverified forwarding address: %s must confirm the forwarding request first", addr)
		}
		mb := g.box(u)
		mb.forwarding, _ = addSorted(mb.forwarding, lower(addr), false)
		mb.autoForward, mb.disposition = lower(addr), c.str("disposition")
		if mb.disposition == "" {
			mb.disposition = "leaveInInbox"
		}
		return map[string]any{}, nil
	case "setVacation":
		b := func(k string) bool { v, _ := c.in[k].(bool); return v }
		g.box(u).vacation = &vacation{subject: c.str("subject"), message: c.str("message"), start: c.str("start"), end: c.str("end"),
			html: strings.EqualFold(c.str("contentType"), "html"), domain: b("restrictToDomain"), contacts: b("restrictToContacts")}
		return map[string]any{}, nil
	}
	return nil, notImplemented("google", c.action)
}

// userObj is a google user of a world file and the user it made.
type userObj struct {
	o obj
	u *googleUser
}

// loadMailboxes reads the users' Gmail delegates from a world file: each
// must be a user of the domain, as Gmail wants.
func (m *googleModel) loadMailboxes(users []userObj) {
	for _, x := range users {
		for _, d := range x.o.strs("delegates") {
			du := m.find(d)
			if du == nil {
				x.o.errf("delegates", "unknown-user", "user %s lists delegate %s, who is not among the users", x.u.primaryEmail, d)
				continue
			}
			mb := m.mail.box(x.u)
			mb.delegates, _ = addSorted(mb.delegates, lower(du.primaryEmail), false)
		}
	}
}

// gmailState renders the mailboxes with settings and the messages sent.
func (g *gmailModel) state(st map[string]any) {
	boxes := make([]any, 0, len(g.mailboxes))
	for _, k := range sortedKeys(g.mailboxes) {
		mb := g.mailboxes[k]
		o := map[string]any{"user": k, "delegates": strList(mb.delegates), "forwardingAddresses": strList(mb.forwarding)}
		if mb.autoForward != "" {
			o["autoForwarding"] = map[string]any{"enabled": true, "emailAddress": mb.autoForward, "disposition": mb.disposition}
		}
		if v := mb.vacation; v != nil {
			o["vacation"] = map[string]any{"enableAutoReply": true, "subject": v.subject, "message": v.message, "html": v.html,
				"start": v.start, "end": v.end, "restrictToDomain": v.domain, "restrictToContacts": v.contacts}
		}
		boxes = append(boxes, o)
	}
	messages := make([]any, 0, len(g.sent))
	for _, at := range g.sent {
		var id, from, to, cc, subject, body, bcc string
		decodeStrings(g.sp.get(at), &id, &from, &to, &cc, &subject, &body, &bcc)
		msg := map[string]any{"id": id, "threadId": id, "from": from, "to": to, "cc": cc, "subject": subject, "body": body}
		if bcc != "" {
			msg["bcc"] = bcc
		}
		messages = append(messages, msg)
	}
	st["mailboxes"], st["messages"] = boxes, messages
}
