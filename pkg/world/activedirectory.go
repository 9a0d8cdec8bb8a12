package world

import (
	"strings"
)

// adDefaultOU is the OU of users seeded from events.
const adDefaultOU = "OU=Users,DC=acme,DC=com"

// userAccountControl flags.
const (
	adNormalAccount  = 0x200
	adAccountDisable = 0x2
)

type adUser struct {
	sam, dn, ou, mail, displayName string
	disabled                       bool
	groups                         []string // group DNs, sorted
}

type adGroup struct {
	dn, name string
}

// activeDirectoryModel is an Active Directory domain: user accounts, their
// OU and their group memberships.
type activeDirectoryModel struct {
	users  map[string]*adUser  // lower(sAMAccountName) → user
	groups map[string]*adGroup // lower(dn) → group
}

func newActiveDirectory() *activeDirectoryModel {
	return &activeDirectoryModel{users: map[string]*adUser{}, groups: map[string]*adGroup{}}
}

func (m *activeDirectoryModel) clone() model {
	c := newActiveDirectory()
	for k, u := range m.users {
		cp := *u
		cp.groups = cloneStrings(u.groups)
		c.users[k] = &cp
	}
	for k, g := range m.groups {
		cp := *g
		c.groups[k] = &cp
	}
	return c
}

// escapeRDN escapes the special characters of an RDN value (RFC 4514).
func escapeRDN(s string) string {
	var b strings.Builder
	for i, r := range s {
		if strings.ContainsRune(`,+"\<>;=`, r) || (i == 0 && (r == '#' || r == ' ')) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// rdn returns the first RDN of a DN (CN=Jane Doe), honouring escapes.
func rdn(dn string) string {
	for i := 0; i < len(dn); i++ {
		switch dn[i] {
		case '\\':
			i++
		case ',':
			return dn[:i]
		}
	}
	return dn
}

func (m *activeDirectoryModel) seed(u User) {
	email := userEmail(u)
	if !strings.Contains(email, "@") {
		return
	}
	sam := localPart(email)
	if m.users[lower(sam)] != nil {
		return
	}
	name := userDisplayName(u)
	m.users[lower(sam)] = &adUser{sam: sam, dn: "CN=" + escapeRDN(name) + "," + adDefaultOU, ou: adDefaultOU, mail: email, displayName: name}
}

func (m *activeDirectoryModel) load(o obj) {
	for _, g := range o.list("groups") {
		g.allow("an activedirectory group", "dn", "name")
		grp := &adGroup{dn: g.reqStr("dn"), name: g.str("name")}
		if grp.dn == "" {
			continue
		}
		if grp.name == "" {
			grp.name = strings.TrimPrefix(rdn(grp.dn), "CN=")
		}
		m.groups[lower(grp.dn)] = grp
	}
	for _, uo := range o.list("users") {
		uo.allow("an activedirectory user", "sAMAccountName", "dn", "ou", "disabled", "groups", "mail", "displayName")
		u := &adUser{sam: uo.reqStr("sAMAccountName"), dn: uo.str("dn"), ou: uo.str("ou"), disabled: uo.boolean("disabled", false),
			mail: uo.str("mail"), displayName: uo.str("displayName")}
		if u.sam == "" {
			continue
		}
		if u.displayName == "" {
			u.displayName = fullName(names("", u.sam))
		}
		switch {
		case u.dn == "" && u.ou == "":
			u.ou = adDefaultOU
			u.dn = "CN=" + escapeRDN(u.displayName) + "," + u.ou
		case u.dn == "":
			u.dn = "CN=" + escapeRDN(u.displayName) + "," + u.ou
		case u.ou == "":
			u.ou = strings.TrimPrefix(strings.TrimPrefix(u.dn, rdn(u.dn)), ",")
		}
		for _, gdn := range uo.strs("groups") {
			if m.groups[lower(gdn)] == nil {
				m.groups[lower(gdn)] = &adGroup{dn: gdn, name: strings.TrimPrefix(rdn(gdn), "CN=")}
			}
			u.groups, _ = addSorted(u.groups, m.groups[lower(gdn)].dn, true)
		}
		if m.users[lower(u.sam)] != nil {
			uo.errf("", "duplicate", "user %s is listed twice", u.sam)
		}
		m.users[lower(u.sam)] = u
	}
}

// group returns a group; in an open world groups come into being on first
// reference.
func (m *activeDirectoryModel) group(c *call) (*adGroup, error) {
	dn := strings.TrimSpace(c.str("groupDN"))
	if g := m.groups[lower(dn)]; g != nil {
		return g, nil
	}
	if !c.open {
		return nil, notFound("LDAP Result Code 32 \"No Such Object\": no group %s", dn)
	}
	g := &adGroup{dn: dn, name: strings.TrimPrefix(rdn(dn), "CN=")}
	m.groups[lower(dn)] = g
	return g, nil
}

func (m *activeDirectoryModel) do(c *call) (map[string]any, error) {
	sam := strings.TrimSpace(c.str("sAMAccountName"))
	u := m.users[lower(sam)]
	if u == nil {
		return nil, notFound("LDAP search found no user with sAMAccountName %s", sam)
	}
	switch c.action {
	case "getUser":
		uac := adNormalAccount
		if u.disabled {
			uac |= adAccountDisable
		}
		return map[string]any{"dn": u.dn, "disabled": u.disabled, "groups": strList(u.groups), "userAccountControl": int64(uac),
			"mail": u.mail, "displayName": u.displayName}, nil
	case "disableAccount":
		u.disabled = true
		return map[string]any{}, nil
	case "enableAccount":
		u.disabled = false
		return map[string]any{}, nil
	case "addToGroup", "removeFromGroup":
		g, err := m.group(c)
		if err != nil {
			return nil, err
		}
		if c.action == "addToGroup" {
			u.groups, _ = addSorted(u.groups, g.dn, true)
		} else {
			u.groups, _ = removeFrom(u.groups, g.dn, true)
		}
		return map[string]any{}, nil
	case "moveToOU":
		ou := strings.TrimSpace(c.str("ou"))
		if !strings.Contains(strings.ToUpper(ou), "DC=") {
			return nil, badRequest("LDAP Result Code 34 \"Invalid DN Syntax\": %q is not the DN of an OU", ou)
		}
		u.ou = ou
		u.dn = rdn(u.dn) + "," + ou
		return map[string]any{}, nil
	}
	return nil, notImplemented("activedirectory", c.action)
}

func (m *activeDirectoryModel) state() map[string]any {
	users := make([]any, 0, len(m.users))
	for _, k := range sortedKeys(m.users) {
		u := m.users[k]
		users = append(users, map[string]any{"sAMAccountName": u.sam, "dn": u.dn, "ou": u.ou, "disabled": u.disabled, "groups": strList(u.groups),
			"mail": u.mail, "displayName": u.displayName})
	}
	groups := make([]any, 0, len(m.groups))
	for _, k := range sortedKeys(m.groups) {
		g := m.groups[k]
		groups = append(groups, map[string]any{"dn": g.dn, "name": g.name})
	}
	return map[string]any{"users": users, "groups": groups}
}
