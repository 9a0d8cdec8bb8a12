package world

import (
	"sort"
	"strings"
)

type ghMember struct {
	org, username, role, state string
}

// gitHubModel is a set of GitHub organizations and their members. Users
// seeded from events are members of every organization (the world cannot
// know which org a flow asks about) until removed from one.
type gitHubModel struct {
	members map[string]map[string]*ghMember // lower(org) → lower(username) → membership
	seeded  map[string]string               // lower(username) → username
	removed map[string]map[string]bool      // lower(org) → lower(username) of seeded users removed
}

func newGitHub() *gitHubModel {
	return &gitHubModel{members: map[string]map[string]*ghMember{}, seeded: map[string]string{}, removed: map[string]map[string]bool{}}
}

func (m *gitHubModel) clone() model {
	c := newGitHub()
	for org, ms := range m.members {
		c.members[org] = make(map[string]*ghMember, len(ms))
		for k, v := range ms {
			cp := *v
			c.members[org][k] = &cp
		}
	}
	for k, v := range m.seeded {
		c.seeded[k] = v
	}
	for org, rs := range m.removed {
		c.removed[org] = make(map[string]bool, len(rs))
		for k := range rs {
			c.removed[org][k] = true
		}
	}
	return c
}

func (m *gitHubModel) put(mem *ghMember) {
	org := lower(mem.org)
	if m.members[org] == nil {
		m.members[org] = map[string]*ghMember{}
	}
	m.members[org][lower(mem.username)] = mem
}

// seed makes the user (its username is its email's local part) a member
// of every organization.
func (m *gitHubModel) seed(u User) {
	email := userEmail(u)
	if email == "" {
		return
	}
	name := localPart(email)
	if _, ok := m.seeded[lower(name)]; !ok {
		m.seeded[lower(name)] = name
	}
}

func (m *gitHubModel) load(o obj) {
	for _, mo := range o.list("members") {
		mo.allow("a github member", "org", "username", "role", "state")
		mem := &ghMember{org: mo.reqStr("org"), username: mo.reqStr("username"), role: mo.str("role"), state: mo.str("state")}
		if mem.org == "" || mem.username == "" {
			continue
		}
		if mem.role == "" {
			mem.role = "member"
		}
		if mem.state == "" {
			mem.state = "active"
		}
		if mem.role != "admin" && mem.role != "member" {
			mo.errf("role", "invalid-value", "role must be admin or member, not %q", mem.role)
		}
		if mem.state != "active" && mem.state != "pending" {
			mo.errf("state", "invalid-value", "state must be active or pending, not %q", mem.state)
		}
		m.put(mem)
	}
}

// membership returns the user's membership of org, materialising the one a
// seeded user has.
func (m *gitHubModel) membership(org, username string) *ghMember {
	o, u := lower(org), lower(username)
	if mem := m.members[o][u]; mem != nil {
		return mem
	}
	if name, ok := m.seeded[u]; ok && !m.removed[o][u] {
		mem := &ghMember{org: strings.TrimSpace(org), username: name, role: "member", state: "active"}
		m.put(mem)
		return mem
	}
	return nil
}

func (m *gitHubModel) do(c *call) (map[string]any, error) {
	org, username := c.str("org"), c.str("username")
	mem := m.membership(org, username)
	switch c.action {
	case "getOrgMembership":
		if mem == nil {
			return nil, notFound("Not Found: %s is not a member of the %s organization", username, org)
		}
		return map[string]any{"state": mem.state, "role": mem.role, "organization": mem.org, "user": mem.username}, nil
	case "removeOrgMember":
		// GitHub answers 204 whether or not the user was a member.
		o, u := lower(org), lower(username)
		delete(m.members[o], u)
		if _, ok := m.seeded[u]; ok {
			if m.removed[o] == nil {
				m.removed[o] = map[string]bool{}
			}
			m.removed[o][u] = true
		}
		return map[string]any{}, nil
	}
	return nil, notImplemented("github", c.action)
}

func (m *gitHubModel) state() map[string]any {
	var members []*ghMember
	for _, ms := range m.members {
		for _, mem := range ms {
			members = append(members, mem)
		}
	}
	sort.Slice(members, func(i, j int) bool {
		if a, b := lower(members[i].org), lower(members[j].org); a != b {
			return a < b
		}
		return lower(members[i].username) < lower(members[j].username)
	})
	out := make([]any, len(members))
	for i, mem := range members {
		// login is GitHub's name for the username (the REST API's user.login);
		// username is kept for the world files that use it.
		out[i] = map[string]any{"org": mem.org, "login": mem.username, "username": mem.username, "role": mem.role, "state": mem.state}
	}
	seeded := make([]string, 0, len(m.seeded))
	for _, k := range sortedKeys(m.seeded) {
		seeded = append(seeded, m.seeded[k])
	}
	removed := map[string]any{}
	for _, org := range sortedKeys(m.removed) {
		removed[org] = strList(sortedKeys(m.removed[org]))
	}
	return map[string]any{"members": out, "seededUsers": strList(seeded), "removed": removed}
}
