package world

import (
	"fmt"
	"strings"
)

type slackUser struct {
	id, email, userName, displayName string
	active                           bool
}

type slackMessage struct {
	channel, text, ts, threadTS string
}

// slackModel is a Slack workspace: users (SCIM), channel memberships and
// posted messages.
type slackModel struct {
	// tsSeq is the fallback counter of messages posted without an
	// idempotency key (see ids.go).
	tsSeq    int
	users    map[string]*slackUser
	byEmail  map[string]string // lower(email) → id
	byName   map[string]string // lower(userName) → id
	channels map[string][]string
	// messages are the messages posted, in order, in sp (spool.go);
	// tss holds their ts, which a new ts must not take.
	messages []blob
	tss      idSet
	sp       *spool
}

func newSlack(sp *spool) *slackModel {
	return &slackModel{users: map[string]*slackUser{}, byEmail: map[string]string{}, byName: map[string]string{}, channels: map[string][]string{},
		tss: newIDSet(kindTS), sp: sp}
}

func (m *slackModel) clone() model {
	c := &slackModel{tsSeq: m.tsSeq, users: make(map[string]*slackUser, len(m.users)), byEmail: make(map[string]string, len(m.byEmail)),
		byName: make(map[string]string, len(m.byName)), channels: make(map[string][]string, len(m.channels)),
		tss: m.tss.clone(), sp: m.sp}
	for id, u := range m.users {
		cp := *u
		c.users[id] = &cp
	}
	for k, v := range m.byEmail {
		c.byEmail[k] = v
	}
	for k, v := range m.byName {
		c.byName[k] = v
	}
	for k, v := range m.channels {
		c.channels[k] = cloneStrings(v)
	}
	c.messages = append([]blob(nil), m.messages...)
	return c
}

// userID returns the id of a new user: "U" and ten characters derived from
// the email, so that a user has the same id whichever event seeded or call
// created them.
func (m *slackModel) userID(email string) string {
	return newID("slack user", lower(email), func(h idHash) string { return "U" + h.chars(10, base36) }, func(id string) bool { return m.users[id] != nil })
}

// slackFirstTS is the ts of the first message posted without an idempotency
// key; the seconds of a ts derived from one are in [slackFirstTS,
// slackFirstTS+1e8).
const slackFirstTS = 1700000000

// newTS returns the ts of a new message: derived from the idempotency key of
// the call that posts it, or the next of a counter without one.
func (m *slackModel) newTS(key string) string {
	taken := func(ts string) bool {
		return m.tss.has(ts)
	}
	if key != "" {
		return newID("slack ts", key, func(h idHash) string {
			return fmt.Sprintf("%d.%06d", h.number(slackFirstTS, slackFirstTS+1e8), h.number2(0, 1e6))
		}, taken)
	}
	for {
		m.tsSeq++
		if ts := fmt.Sprintf("%d.%06d", slackFirstTS, m.tsSeq); !taken(ts) {
			return ts
		}
	}
}

func (m *slackModel) add(u *slackUser) {
	m.users[u.id] = u
	m.byEmail[lower(u.email)] = u.id
	if _, taken := m.byName[lower(u.userName)]; !taken {
		m.byName[lower(u.userName)] = u.id
	}
}

func (m *slackModel) byMail(email string) *slackUser {
	if id, ok := m.byEmail[lower(email)]; ok {
		return m.users[id]
	}
	return nil
}

func (m *slackModel) seed(u User) {
	email := userEmail(u)
	if !strings.Contains(email, "@") || m.byMail(email) != nil {
		return
	}
	m.add(&slackUser{id: m.userID(email), email: email, userName: localPart(email), displayName: userDisplayName(u), active: true})
}

func (m *slackModel) load(o obj) {
	for _, uo := range o.list("users") {
		uo.allow("a slack user", "id", "email", "userName", "displayName", "active")
		u := &slackUser{id: uo.str("id"), email: uo.reqStr("email"), userName: uo.str("userName"), displayName: uo.str("displayName"), active: uo.boolean("active", true)}
		if u.email == "" {
			continue
		}
		if u.id == "" {
			u.id = m.userID(u.email)
		}
		if u.userName == "" {
			u.userName = localPart(u.email)
		}
		if u.displayName == "" {
			u.displayName = fullName(names("", u.email))
		}
		if m.users[u.id] != nil || m.byMail(u.email) != nil {
			uo.errf("", "duplicate", "user %s is listed twice", u.email)
		}
		m.add(u)
	}
}

func slackNotFound(email string) error {
	return notFound("users_not_found: no Slack user has the email %s", email)
}

func (m *slackModel) do(c *call) (map[string]any, error) {
	switch c.action {
	case "postMessage":
		// Posting to any channel succeeds; ts derives from the call's
		// idempotency key, so that plans are stable.
		msg := slackMessage{channel: c.str("channel"), text: c.str("text"), ts: m.newTS(c.key()), threadTS: c.str("threadTs")}
		m.messages = append(m.messages, m.sp.put(encodeStrings(msg.channel, msg.text, msg.ts, msg.threadTS)))
		m.tss.add(msg.ts)
		return map[string]any{"ts": msg.ts, "channel": msg.channel}, nil
	case "createUser":
		email := strings.TrimSpace(c.str("email"))
		if !strings.Contains(email, "@") {
			return nil, badRequest("invalid_email: %q is not an email address", email)
		}
		if m.byMail(email) != nil {
			return nil, conflict("email_taken: a Slack user with the email %s already exists", email)
		}
		if _, taken := m.byName[lower(c.str("userName"))]; taken {
			return nil, conflict("username_taken: the username %s is taken", c.str("userName"))
		}
		u := &slackUser{id: m.userID(email), email: email, userName: c.str("userName"), displayName: c.str("displayName"), active: true}
		m.add(u)
		return map[string]any{"id": u.id}, nil
	}
	email := c.str("email")
	u := m.byMail(email)
	if u == nil {
		return nil, slackNotFound(email)
	}
	switch c.action {
	case "lookupUserByEmail":
		return map[string]any{"id": u.id, "email": u.email, "active": u.active, "name": u.userName, "realName": u.displayName}, nil
	case "deactivateUser":
		u.active = false
		return map[string]any{}, nil
	case "reactivateUser":
		u.active = true
		return map[string]any{}, nil
	case "inviteToChannel":
		ch := c.str("channel")
		m.channels[ch], _ = addSorted(m.channels[ch], u.id, false)
		return map[string]any{}, nil
	}
	return nil, notImplemented("slack", c.action)
}

func (u *slackUser) state() map[string]any {
	return map[string]any{"id": u.id, "email": u.email, "userName": u.userName, "displayName": u.displayName, "active": u.active}
}

// findUser finds a user by id or email, the keys the model indexes one to
// one (userNames may repeat: no index).
func (m *slackModel) findUser(by, key string) (map[string]any, bool) {
	var u *slackUser
	switch by {
	case "id":
		u = m.users[key]
	case "email":
		u = m.byMail(key)
	default:
		return nil, false
	}
	if u == nil {
		return nil, true
	}
	return u.state(), true
}

func (m *slackModel) state() map[string]any {
	users := make([]any, 0, len(m.users))
	for _, id := range sortedKeys(m.users) {
		users = append(users, m.users[id].state())
	}
	channels := make(map[string]any, len(m.channels))
	for ch, members := range m.channels {
		channels[ch] = strList(members)
	}
	messages := make([]any, 0, len(m.messages))
	for _, at := range m.messages {
		var msg slackMessage
		decodeStrings(m.sp.get(at), &msg.channel, &msg.text, &msg.ts, &msg.threadTS)
		o := map[string]any{"channel": msg.channel, "text": msg.text, "ts": msg.ts}
		if msg.threadTS != "" {
			o["threadTs"] = msg.threadTS
		}
		messages = append(messages, o)
	}
	return map[string]any{"users": users, "channels": channels, "messages": messages}
}
