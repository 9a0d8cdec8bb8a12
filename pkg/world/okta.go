package world

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// oktaStatuses are the user lifecycle statuses.
var oktaStatuses = []string{"STAGED", "PROVISIONED", "ACTIVE", "RECOVERY", "LOCKED_OUT", "PASSWORD_EXPIRED", "SUSPENDED", "DEPROVISIONED"}

type oktaUser struct {
	id      string
	status  string
	profile map[string]any
	// groups holds the ids of the user's groups, sorted.
	groups   []string
	sessions int
	// lastLogin is the last sign-in (RFC 3339), "" if never.
	lastLogin string
}

type oktaGroup struct {
	id, typ string
	profile map[string]any
}

// oktaModel is an Okta org: users with profiles, statuses, sessions and
// group memberships; groups.
type oktaModel struct {
	// seq is the fallback counter of users and groups with nothing to
	// derive an id from (see ids.go).
	seq     int
	users   map[string]*oktaUser
	byLogin map[string]string // lower(login) → id
	// byShort indexes the users by the short name of their login (the part
	// before the @), case-folded: find's last resort. Without it, seeding
	// each new user whose login is not an email scanned (and sorted) every
	// user — quadratic in the users of an event log.
	byShort map[string][]string // foldKey(localPart(login)) → ids
	groups  map[string]*oktaGroup
	// deleted holds the ids of the users deleteUser deleted: gone, and
	// never seeded again from an event that names them.
	deleted map[string]bool
}

func newOkta() *oktaModel {
	return &oktaModel{users: map[string]*oktaUser{}, byLogin: map[string]string{}, byShort: map[string][]string{}, groups: map[string]*oktaGroup{}, deleted: map[string]bool{}}
}

func (m *oktaModel) clone() model {
	c := &oktaModel{seq: m.seq, users: make(map[string]*oktaUser, len(m.users)), byLogin: make(map[string]string, len(m.byLogin)),
		byShort: make(map[string][]string, len(m.byShort)), groups: make(map[string]*oktaGroup, len(m.groups)), deleted: maps.Clone(m.deleted)}
	for k, ids := range m.byShort {
		c.byShort[k] = slices.Clone(ids)
	}
	for id, u := range m.users {
		cp := *u
		cp.profile = copyMap(u.profile)
		cp.groups = cloneStrings(u.groups)
		c.users[id] = &cp
	}
	for k, v := range m.byLogin {
		c.byLogin[k] = v
	}
	for id, g := range m.groups {
		cp := *g
		cp.profile = copyMap(g.profile)
		c.groups[id] = &cp
	}
	return c
}

// newID returns the id of a new user (prefix 00u) or group (00g): the
// prefix and seventeen characters derived from its login or name, so that
// it has the same id whichever event seeded it; from a counter when it has
// neither.
func (m *oktaModel) newID(prefix, name string) string {
	taken := func(id string) bool { return m.users[id] != nil || m.groups[id] != nil || m.deleted[id] }
	if name != "" {
		return newID("okta "+prefix, lower(name), func(h idHash) string { return prefix + h.chars(17, base62) }, taken)
	}
	for {
		m.seq++
		if id := fmt.Sprintf("%s%017d", prefix, m.seq); !taken(id) {
			return id
		}
	}
}

func (u *oktaUser) login() string { return strOf(u.profile, "login") }

// find looks a user up as Okta's /users/{id} does: by id, by login
// (case-insensitively), then by an unambiguous login short name.
func (m *oktaModel) find(key string) *oktaUser {
	key = strings.TrimSpace(key)
	if u := m.users[key]; u != nil {
		return u
	}
	if id, ok := m.byLogin[lower(key)]; ok {
		return m.users[id]
	}
	if strings.Contains(key, "@") || key == "" {
		return nil
	}
	// The one user whose login's short name is key, ignoring case.
	if ids := m.byShort[foldKey(key)]; len(ids) == 1 {
		return m.users[ids[0]]
	}
	return nil
}

func (m *oktaModel) add(u *oktaUser) {
	if old := m.users[u.id]; old != nil {
		m.unindexShort(old)
	}
	m.users[u.id] = u
	if l := u.login(); l != "" {
		m.byLogin[lower(l)] = u.id
	}
	m.indexShort(u)
}

// remove deletes a user for good.
func (m *oktaModel) remove(u *oktaUser) {
	m.unindexShort(u)
	if l := u.login(); l != "" && m.byLogin[lower(l)] == u.id {
		delete(m.byLogin, lower(l))
	}
	delete(m.users, u.id)
	if m.deleted == nil {
		m.deleted = map[string]bool{}
	}
	m.deleted[u.id] = true
}

// indexShort and unindexShort keep byShort in step with a user's login.
func (m *oktaModel) indexShort(u *oktaUser) {
	k := foldKey(localPart(u.login()))
	if !slices.Contains(m.byShort[k], u.id) {
		m.byShort[k] = append(m.byShort[k], u.id)
	}
}

func (m *oktaModel) unindexShort(u *oktaUser) {
	k := foldKey(localPart(u.login()))
	ids := slices.DeleteFunc(m.byShort[k], func(id string) bool { return id == u.id })
	if len(ids) == 0 {
		delete(m.byShort, k)
	} else {
		m.byShort[k] = ids
	}
}

// foldKey maps s to a key that two strings share exactly when
// strings.EqualFold says they are equal: each character becomes the
// smallest of its case-folding orbit (k, K and the Kelvin sign all become
// K).
func foldKey(s string) string {
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii {
		return strings.ToUpper(s)
	}
	var b strings.Builder
	for _, r := range s {
		lo := r
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			lo = min(lo, f)
		}
		b.WriteRune(lo)
	}
	return b.String()
}

func (m *oktaModel) setStatus(u *oktaUser, status string) {
	u.status = status
	if status == "DEPROVISIONED" {
		u.sessions = 0
	}
}

func (m *oktaModel) seed(u User) { m.seedStatus(u, "ACTIVE") }

// seedStatus adds an event's user with a status unless it exists.
func (m *oktaModel) seedStatus(u User, status string) {
	email := userEmail(u)
	if (u.ID != "" && (m.users[u.ID] != nil || m.deleted[u.ID])) || (email != "" && m.find(email) != nil) {
		return
	}
	first, last := names(userDisplayName(u), email)
	profile := map[string]any{"login": email, "email": email, "firstName": first, "lastName": last}
	if u.DisplayName != "" {
		profile["displayName"] = u.DisplayName
	}
	for k, v := range u.Profile {
		profile[k] = normalize(v)
	}
	id := u.ID
	if id == "" {
		id = m.newID("00u", email)
	}
	sessions := 1
	if status != "ACTIVE" {
		sessions = 0
	}
	m.add(&oktaUser{id: id, status: status, profile: profile, sessions: sessions})
}

func (m *oktaModel) load(o obj) {
	for _, g := range o.list("groups") {
		g.allow("an okta group", "id", "profile", "name", "type")
		grp := &oktaGroup{id: g.str("id"), typ: g.str("type"), profile: g.object("profile")}
		if grp.id == "" {
			name := g.str("name")
			if name == "" {
				name = strOf(grp.profile, "name")
			}
			grp.id = m.newID("00g", name)
		}
		if grp.typ == "" {
			grp.typ = "OKTA_GROUP"
		}
		if grp.profile == nil {
			grp.profile = map[string]any{}
		}
		if n := g.str("name"); n != "" {
			grp.profile["name"] = n
		}
		if _, ok := grp.profile["name"]; !ok {
			grp.profile["name"] = grp.id
		}
		if m.groups[grp.id] != nil {
			g.errf("id", "duplicate", "group %q is listed twice", grp.id)
		}
		m.groups[grp.id] = grp
	}
	for _, uo := range o.list("users") {
		uo.allow("an okta user", "id", "login", "email", "status", "profile", "groups", "sessions", "lastLogin")
		u := &oktaUser{id: uo.str("id"), status: uo.str("status"), profile: uo.object("profile"), sessions: uo.integer("sessions", 1), lastLogin: uo.str("lastLogin")}
		if u.profile == nil {
			u.profile = map[string]any{}
		}
		if l := uo.str("login"); l != "" {
			u.profile["login"] = l
		}
		if e := uo.str("email"); e != "" {
			u.profile["email"] = e
		}
		if _, ok := u.profile["email"]; !ok && strings.Contains(u.login(), "@") {
			u.profile["email"] = u.login()
		}
		if u.id == "" && u.login() == "" {
			uo.errf("", "missing-key", "an okta user needs an id or a login")
			continue
		}
		if u.id == "" {
			u.id = m.newID("00u", u.login())
		}
		if u.status == "" {
			u.status = "ACTIVE"
		} else if indexOf(oktaStatuses, u.status, false) < 0 {
			uo.errf("status", "invalid-value", "%q is not an Okta user status; expected one of %s", u.status, strings.Join(oktaStatuses, ", "))
		}
		if _, ok := u.profile["firstName"]; !ok {
			first, last := names(strOf(u.profile, "displayName"), u.login())
			u.profile["firstName"], u.profile["lastName"] = first, last
		}
		for _, gid := range uo.strs("groups") {
			// A membership in a group the file does not list brings the
			// group into being: the file says it exists.
			if m.groups[gid] == nil {
				m.groups[gid] = &oktaGroup{id: gid, typ: "OKTA_GROUP", profile: map[string]any{"name": gid}}
			}
			u.groups, _ = addSorted(u.groups, gid, false)
		}
		if m.users[u.id] != nil || (u.login() != "" && m.byLogin[lower(u.login())] != "") {
			uo.errf("", "duplicate", "user %q is listed twice", u.id)
		}
		m.add(u)
	}
}

func oktaUserNotFound(key string) error {
	return notFound("Not found: Resource not found: %s (User)", key)
}

func (m *oktaModel) user(c *call) (*oktaUser, error) {
	key := c.str("userId")
	u := m.find(key)
	if u == nil {
		return nil, oktaUserNotFound(key)
	}
	return u, nil
}

// group returns a group, creating it in an open world.
func (m *oktaModel) group(c *call) (*oktaGroup, error) {
	id := strings.TrimSpace(c.str("groupId"))
	if g := m.groups[id]; g != nil {
		return g, nil
	}
	if !c.open {
		return nil, notFound("Not found: Resource not found: %s (UserGroup)", id)
	}
	g := &oktaGroup{id: id, typ: "OKTA_GROUP", profile: map[string]any{"name": id}}
	m.groups[id] = g
	return g, nil
}

func (u *oktaUser) out() map[string]any {
	var last any
	if u.lastLogin != "" {
		last = u.lastLogin
	}
	return map[string]any{"id": u.id, "status": u.status, "profile": copyMap(u.profile), "lastLogin": last}
}

func (g *oktaGroup) out() map[string]any {
	return map[string]any{"id": g.id, "type": g.typ, "profile": copyMap(g.profile)}
}

func (m *oktaModel) do(c *call) (map[string]any, error) {
	if c.action == "listUsers" {
		return m.listUsers(c)
	}
	u, err := m.user(c)
	if err != nil {
		return nil, err
	}
	switch c.action {
	case "getUser":
		return u.out(), nil
	case "getManager":
		mid := strOf(u.profile, "managerId")
		if mid == "" {
			return nil, notFound("Not found: user %s has no manager", u.id)
		}
		c.need(mid)
		mgr := m.find(mid)
		if mgr == nil {
			return nil, oktaUserNotFound(mid)
		}
		return mgr.out(), nil
	case "listUserGroups":
		groups := make([]any, 0, len(u.groups))
		for _, gid := range u.groups {
			if g := m.groups[gid]; g != nil {
				groups = append(groups, g.out())
			}
		}
		return map[string]any{"groups": groups}, nil
	case "addUserToGroup":
		g, err := m.group(c)
		if err != nil {
			return nil, err
		}
		u.groups, _ = addSorted(u.groups, g.id, false)
		return map[string]any{}, nil
	case "removeUserFromGroup":
		g, err := m.group(c)
		if err != nil {
			return nil, err
		}
		u.groups, _ = removeFrom(u.groups, g.id, false)
		return map[string]any{}, nil
	case "clearUserSessions":
		// Okta clears the sessions of a deprovisioned user too.
		u.sessions = 0
		return map[string]any{}, nil
	case "deactivateUser":
		m.setStatus(u, "DEPROVISIONED")
		return map[string]any{}, nil
	case "deleteUser":
		// Okta deletes a DEPROVISIONED user; any other it deactivates.
		if u.status != "DEPROVISIONED" {
			m.setStatus(u, "DEPROVISIONED")
			return map[string]any{}, nil
		}
		m.remove(u)
		return map[string]any{}, nil
	case "suspendUser":
		if u.status != "ACTIVE" {
			return nil, badRequest("Api validation failed: Cannot suspend a user that is not active (user %s is %s)", u.id, u.status)
		}
		m.setStatus(u, "SUSPENDED")
		return map[string]any{}, nil
	case "unsuspendUser":
		if u.status != "SUSPENDED" {
			return nil, badRequest("Api validation failed: Cannot unsuspend a user that is not suspended (user %s is %s)", u.id, u.status)
		}
		m.setStatus(u, "ACTIVE")
		return map[string]any{}, nil
	case "updateUserProfile":
		// A new login takes the user out from under the old one (and its
		// short name), where a user waiting in the roster may be kept out
		// by it: that user comes in first.
		c.need(u.login())
		upd, _ := c.in["profile"].(map[string]any)
		if l, ok := upd["login"].(string); ok && !strings.EqualFold(l, u.login()) {
			if other, taken := m.byLogin[lower(l)]; taken && other != u.id {
				return nil, badRequest("Api validation failed: login: An object with this field already exists in the current organization")
			}
			delete(m.byLogin, lower(u.login()))
			m.byLogin[lower(l)] = u.id
		}
		m.unindexShort(u)
		for k, v := range upd {
			u.profile[k] = deepCopy(v)
		}
		m.indexShort(u)
		return u.out(), nil
	}
	return nil, notImplemented("okta", c.action)
}

func (m *oktaModel) listUsers(c *call) (map[string]any, error) {
	search, filter := strings.TrimSpace(c.str("search")), strings.TrimSpace(c.str("filter"))
	var conds []oktaExpr
	for _, e := range []struct{ name, src string }{{"search", search}, {"filter", filter}} {
		if e.src == "" {
			continue
		}
		x, err := parseOktaExpr(e.src)
		if err != nil {
			return nil, badRequest("Invalid %s criteria: %v", e.name, err)
		}
		conds = append(conds, x)
	}
	limit, hasLimit := asInt(c.in["limit"])
	users := []any{}
	for _, id := range sortedKeys(m.users) {
		u := m.users[id]
		// Okta lists every user but the deprovisioned ones unless a
		// search or filter asks otherwise.
		if len(conds) == 0 && u.status == "DEPROVISIONED" {
			continue
		}
		ok := true
		for _, x := range conds {
			ok = ok && x.match(u)
		}
		if !ok {
			continue
		}
		if hasLimit && limit > 0 && len(users) >= limit {
			break
		}
		users = append(users, u.out())
	}
	return map[string]any{"users": users}, nil
}

func (m *oktaModel) state() map[string]any {
	users := make([]any, 0, len(m.users))
	for _, id := range sortedKeys(m.users) {
		u := m.users[id]
		o := u.out()
		o["groups"] = strList(u.groups)
		o["sessions"] = int64(u.sessions)
		o["login"] = u.login()
		users = append(users, o)
	}
	groups := make([]any, 0, len(m.groups))
	for _, id := range sortedKeys(m.groups) {
		groups = append(groups, m.groups[id].out())
	}
	return map[string]any{"users": users, "groups": groups}
}

// oktaExpr is a parsed search or filter expression: clauses joined by
// "or", each a conjunction of comparisons.
type oktaExpr [][]oktaCmp

type oktaCmp struct {
	attr, op, value string
}

func (x oktaExpr) match(u *oktaUser) bool {
	for _, and := range x {
		ok := true
		for _, c := range and {
			ok = ok && c.match(u)
		}
		if ok {
			return true
		}
	}
	return false
}

func (c oktaCmp) match(u *oktaUser) bool {
	var v any
	present := true
	switch {
	case c.attr == "id":
		v = u.id
	case c.attr == "status":
		v = u.status
	case c.attr == "lastLogin":
		v, present = u.lastLogin, u.lastLogin != ""
	case strings.HasPrefix(c.attr, "profile."):
		v, present = u.profile[strings.TrimPrefix(c.attr, "profile.")]
	default:
		present = false
	}
	s := ""
	if present && v != nil {
		s = fmt.Sprint(v)
	}
	switch c.op {
	case "pr":
		return present && v != nil && s != ""
	case "eq":
		return present && strings.EqualFold(s, c.value)
	case "ne":
		return !strings.EqualFold(s, c.value)
	case "sw":
		return present && strings.HasPrefix(lower(s), lower(c.value))
	case "co":
		return present && strings.Contains(lower(s), lower(c.value))
	case "gt", "ge", "lt", "le":
		cmp := strings.Compare(s, c.value)
		return present && map[string]bool{"gt": cmp > 0, "ge": cmp >= 0, "lt": cmp < 0, "le": cmp <= 0}[c.op]
	}
	return false
}

// parseOktaExpr parses the subset of Okta's SCIM-like expressions the world
// supports: ATTR OP "VALUE" (ops eq, ne, sw, co, gt, ge, lt, le) or ATTR pr,
// on id, status, lastLogin and profile.NAME, joined by and / or (and binds tighter;
// no parentheses).
func parseOktaExpr(src string) (oktaExpr, error) {
	toks, err := oktaTokens(src)
	if err != nil {
		return nil, err
	}
	var x oktaExpr
	var and []oktaCmp
	for i := 0; i < len(toks); {
		if len(toks)-i < 2 {
			return nil, fmt.Errorf("incomplete expression %q", src)
		}
		attr, op := toks[i].text, strings.ToLower(toks[i+1].text)
		if toks[i].quoted || !(attr == "id" || attr == "status" || attr == "lastLogin" || strings.HasPrefix(attr, "profile.")) {
			if oktaUnmodelled[attr] {
				return nil, fmt.Errorf("attribute %q is Okta's, but the simulated world does not model it (it searches id, status, lastLogin and profile.*)", attr)
			}
			return nil, fmt.Errorf("unsupported attribute %q", attr)
		}
		cmp := oktaCmp{attr: attr, op: op}
		switch op {
		case "pr":
			i += 2
		case "eq", "ne", "sw", "co", "gt", "ge", "lt", "le":
			if len(toks)-i < 3 {
				return nil, fmt.Errorf("%s %s needs a value", attr, op)
			}
			cmp.value = toks[i+2].text
			i += 3
		default:
			return nil, fmt.Errorf("unsupported operator %q", toks[i+1].text)
		}
		and = append(and, cmp)
		if i == len(toks) {
			break
		}
		switch strings.ToLower(toks[i].text) {
		case "and":
		case "or":
			x = append(x, and)
			and = nil
		default:
			return nil, fmt.Errorf("expected and / or, found %q", toks[i].text)
		}
		i++
		if i == len(toks) {
			return nil, fmt.Errorf("expression %q ends with an operator", src)
		}
	}
	x = append(x, and)
	return x, nil
}

// oktaUnmodelled are the attributes of Okta's user object a search may
// name (Okta's User schema) that the simulated world keeps no value of: a
// search on one is refused as the world's limit, not as a wrong search.
var oktaUnmodelled = map[string]bool{
	"created": true, "activated": true, "statusChanged": true, "lastUpdated": true,
	"passwordChanged": true, "type.id": true, "transitioningToStatus": true,
}

type oktaToken struct {
	text   string
	quoted bool
}

func oktaTokens(src string) ([]oktaToken, error) {
	var toks []oktaToken
	for i := 0; i < len(src); {
		switch ch := src[i]; {
		case ch == ' ' || ch == '\t' || ch == '\n':
			i++
		case ch == '(' || ch == ')':
			return nil, fmt.Errorf("parentheses are not supported by the simulated world")
		case ch == '"':
			var b strings.Builder
			j := i + 1
			for ; j < len(src) && src[j] != '"'; j++ {
				if src[j] == '\\' && j+1 < len(src) {
					j++
				}
				b.WriteByte(src[j])
			}
			if j >= len(src) {
				return nil, fmt.Errorf("unterminated string in %q", src)
			}
			toks = append(toks, oktaToken{text: b.String(), quoted: true})
			i = j + 1
		default:
			j := i
			for j < len(src) && src[j] != ' ' && src[j] != '\t' && src[j] != '\n' && src[j] != '"' {
				j++
			}
			toks = append(toks, oktaToken{text: src[i:j]})
			i = j
		}
	}
	if len(toks) == 0 {
		return nil, fmt.Errorf("empty expression")
	}
	return toks, nil
}
