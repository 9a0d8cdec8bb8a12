package world

import (
	"strings"
)

type sfUser struct {
	id, username, email string
	isActive, frozen    bool
}

// salesforceModel is a Salesforce org: users, their active flag and their
// login's frozen flag.
type salesforceModel struct {
	users map[string]*sfUser // lower(username) → user
	ids   map[string]bool
}

func newSalesforce() *salesforceModel {
	return &salesforceModel{users: map[string]*sfUser{}, ids: map[string]bool{}}
}

func (m *salesforceModel) clone() model {
	c := &salesforceModel{users: make(map[string]*sfUser, len(m.users)), ids: make(map[string]bool, len(m.ids))}
	for k, u := range m.users {
		cp := *u
		c.users[k] = &cp
	}
	for k := range m.ids {
		c.ids[k] = true
	}
	return c
}

// userID returns a 15-character User record id (key prefix 005) derived
// from the username, so that a user has the same id whichever event seeded
// them.
func (m *salesforceModel) userID(username string) string {
	id := newID("salesforce user", lower(username), func(h idHash) string { return "005" + h.chars(12, base62) }, func(id string) bool { return m.ids[id] })
	m.ids[id] = true
	return id
}

func (m *salesforceModel) seed(u User) {
	email := userEmail(u)
	if !strings.Contains(email, "@") || m.users[lower(email)] != nil {
		return
	}
	m.users[lower(email)] = &sfUser{id: m.userID(email), username: email, email: email, isActive: true}
}

func (m *salesforceModel) load(o obj) {
	for _, uo := range o.list("users") {
		uo.allow("a salesforce user", "username", "id", "email", "isActive", "frozen")
		u := &sfUser{id: uo.str("id"), username: uo.reqStr("username"), email: uo.str("email"), isActive: uo.boolean("isActive", true), frozen: uo.boolean("frozen", false)}
		if u.username == "" {
			continue
		}
		if u.email == "" {
			u.email = u.username
		}
		if m.users[lower(u.username)] != nil {
			uo.errf("", "duplicate", "user %s is listed twice", u.username)
		}
		if u.id != "" {
			m.ids[u.id] = true
		}
		m.users[lower(u.username)] = u
	}
	// Ids left out are given after every listed one is known.
	for _, k := range sortedKeys(m.users) {
		if m.users[k].id == "" {
			m.users[k].id = m.userID(m.users[k].username)
		}
	}
}

func (m *salesforceModel) do(c *call) (map[string]any, error) {
	name := c.str("username")
	u := m.users[lower(name)]
	if u == nil {
		return nil, notFound("NOT_FOUND: no Salesforce user has the username %s", name)
	}
	switch c.action {
	case "getUser":
		return map[string]any{"id": u.id, "isActive": u.isActive, "frozen": u.frozen}, nil
	case "freezeUser":
		u.frozen = true
		return map[string]any{}, nil
	case "unfreezeUser":
		u.frozen = false
		return map[string]any{}, nil
	case "deactivateUser":
		u.isActive = false
		return map[string]any{}, nil
	}
	return nil, notImplemented("salesforce", c.action)
}

func (m *salesforceModel) state() map[string]any {
	users := make([]any, 0, len(m.users))
	for _, k := range sortedKeys(m.users) {
		u := m.users[k]
		users = append(users, map[string]any{"id": u.id, "username": u.username, "email": u.email, "isActive": u.isActive, "frozen": u.frozen})
	}
	return map[string]any{"users": users}
}
