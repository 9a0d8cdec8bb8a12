package world

import (
	"fmt"
	"strings"
)

type googleUser struct {
	id, primaryEmail      string
	suspended, isAdmin    bool
	orgUnitPath           string
	givenName, familyName string
	aliases               []string
	driveFiles, signOuts  int
	calendarEvents        int             // future events in the primary calendar
	creds                 *googleCreds    // ASPs, tokens and mobile devices (googlecreds.go); nil for none
	licences              []googleLicence // (googlelicensing.go)
}

type googleGroup struct {
	email, name string
	members     []string // lower-cased primary emails, sorted
}

type googleTransfer struct {
	id, from, to string
	files        int
	calendar     bool // a Calendar transfer: files counts events
}

// googleModel is a Google Workspace domain: users (suspension, sign-outs,
// Drive ownership as a file count), groups and Drive transfers.
type googleModel struct {
	// transferSeq is the fallback counter of transfers made without an
	// idempotency key (see ids.go).
	transferSeq int
	users       map[string]*googleUser // lower(primaryEmail) → user
	keys        map[string]string      // lower(alias) and id → lower(primaryEmail)
	groups      map[string]*googleGroup
	transfers   []googleTransfer
	mail        *gmailModel // mailboxes and sent messages (gmail.go)
}

func newGoogle(sp *spool) *googleModel {
	return &googleModel{users: map[string]*googleUser{}, keys: map[string]string{}, groups: map[string]*googleGroup{}, mail: newGmail(sp)}
}

func (m *googleModel) clone() model {
	c := &googleModel{transferSeq: m.transferSeq, mail: m.mail.clone(), users: make(map[string]*googleUser, len(m.users)), keys: make(map[string]string, len(m.keys)), groups: make(map[string]*googleGroup, len(m.groups))}
	for k, u := range m.users {
		cp := *u
		cp.aliases = cloneStrings(u.aliases)
		cp.creds = u.creds.clone()
		cp.licences = append([]googleLicence(nil), u.licences...)
		c.users[k] = &cp
	}
	for k, v := range m.keys {
		c.keys[k] = v
	}
	for k, g := range m.groups {
		cp := *g
		cp.members = cloneStrings(g.members)
		c.groups[k] = &cp
	}
	c.transfers = append([]googleTransfer(nil), m.transfers...)
	return c
}

// userID returns the id of a new user: "1" and twenty digits derived from
// the primary email, so that a user has the same id whichever event seeded
// them.
func (m *googleModel) userID(email string) string {
	return newID("google user", lower(email), func(h idHash) string { return "1" + h.chars(20, digits) }, func(id string) bool {
		_, taken := m.keys[id]
		return taken
	})
}

// transferID returns the id of a new Drive transfer: derived from the
// idempotency key of the call that makes it, or the next of a counter
// without one.
func (m *googleModel) transferID(key string) string {
	taken := func(id string) bool {
		for _, t := range m.transfers {
			if t.id == id {
				return true
			}
		}
		return false
	}
	if key != "" {
		return newID("google transfer", key, func(h idHash) string { return "AKrEtIZ" + h.chars(12, base62) }, taken)
	}
	for {
		m.transferSeq++
		if id := fmt.Sprintf("AKrEtIZ%08d", m.transferSeq); !taken(id) {
			return id
		}
	}
}

// find looks a user up by primary email, alias or id.
func (m *googleModel) find(key string) *googleUser {
	k := lower(key)
	if u := m.users[k]; u != nil {
		return u
	}
	if p, ok := m.keys[k]; ok {
		return m.users[p]
	}
	return nil
}

func (m *googleModel) add(u *googleUser) {
	p := lower(u.primaryEmail)
	m.users[p] = u
	m.keys[lower(u.id)] = p
	for _, a := range u.aliases {
		m.keys[lower(a)] = p
	}
}

func (m *googleModel) seed(u User) {
	email := userEmail(u)
	if !strings.Contains(email, "@") || m.find(email) != nil {
		return
	}
	first, last := names(userDisplayName(u), email)
	m.add(&googleUser{id: m.userID(email), primaryEmail: email, orgUnitPath: "/", givenName: first, familyName: last})
}

func (m *googleModel) load(o obj) {
	var boxes []userObj // read once every user is (a delegate is one)
	for _, uo := range o.list("users") {
		uo.allow("a google user", "primaryEmail", "id", "suspended", "aliases", "orgUnitPath", "isAdmin", "name", "driveFiles", "calendarEvents", "delegates",
			"asps", "tokens", "mobileDevices", "licenses")
		u := &googleUser{id: uo.str("id"), primaryEmail: uo.reqStr("primaryEmail"), suspended: uo.boolean("suspended", false),
			aliases: uo.strs("aliases"), orgUnitPath: uo.str("orgUnitPath"), isAdmin: uo.boolean("isAdmin", false), driveFiles: uo.integer("driveFiles", 0), calendarEvents: uo.integer("calendarEvents", 0)}
		if u.primaryEmail == "" {
			continue
		}
		if u.id == "" {
			u.id = m.userID(u.primaryEmail)
		}
		if u.orgUnitPath == "" {
			u.orgUnitPath = "/"
		}
		name := uo.object("name")
		u.givenName, u.familyName = strOf(name, "givenName"), strOf(name, "familyName")
		if u.givenName == "" && u.familyName == "" {
			u.givenName, u.familyName = names("", u.primaryEmail)
		}
		if m.find(u.primaryEmail) != nil {
			uo.errf("", "duplicate", "user %s is listed twice", u.primaryEmail)
		}
		m.add(u)
		boxes = append(boxes, userObj{uo, u})
	}
	for _, x := range boxes {
		m.loadCreds(x)
		loadLicences(x)
	}
	m.loadMailboxes(boxes)
	for _, g := range o.list("groups") {
		g.allow("a google group", "email", "name", "members")
		grp := &googleGroup{email: g.reqStr("email"), name: g.str("name")}
		if grp.email == "" {
			continue
		}
		for _, mem := range g.strs("members") {
			u := m.find(mem)
			if u == nil {
				g.errf("members", "unknown-user", "group %s lists %s, who is not among the users", grp.email, mem)
				continue
			}
			grp.members, _ = addSorted(grp.members, lower(u.primaryEmail), false)
		}
		m.groups[lower(grp.email)] = grp
	}
}

func googleNotFound(what string) error {
	return notFound("Resource Not Found: %s", what)
}

func (m *googleModel) user(key string) (*googleUser, error) {
	if u := m.find(key); u != nil {
		return u, nil
	}
	return nil, googleNotFound("userKey " + key)
}

// group returns a group; in an open world groups are created on first
// reference.
func (m *googleModel) group(c *call) (*googleGroup, error) {
	key := strings.TrimSpace(c.str("groupKey"))
	if g := m.groups[lower(key)]; g != nil {
		return g, nil
	}
	if !c.open {
		return nil, googleNotFound("groupKey " + key)
	}
	g := &googleGroup{email: key, name: key}
	m.groups[lower(key)] = g
	return g, nil
}

func (m *googleModel) do(c *call) (map[string]any, error) {
	if gmailActions[c.action] {
		return m.gmail(c)
	}
	if googleCredentialActions[c.action] {
		return m.credentials(c)
	}
	if c.action == "listUserLicenses" || c.action == "unassignLicense" {
		return m.licences(c)
	}
	if c.action == "transferDrive" || c.action == "transferCalendar" {
		from, err := m.user(c.str("fromUser"))
		if err != nil {
			return nil, err
		}
		to, err := m.user(c.str("toUser"))
		if err != nil {
			return nil, err
		}
		if from == to {
			return nil, badRequest("Invalid request: the old and the new owner are the same user")
		}
		if to.suspended {
			return nil, badRequest("Invalid request: the new owner %s is suspended", to.primaryEmail)
		}
		t := googleTransfer{id: m.transferID(c.key()), from: from.primaryEmail, to: to.primaryEmail, files: from.driveFiles}
		if c.action == "transferCalendar" {
			t.calendar, t.files = true, from.calendarEvents
			to.calendarEvents += from.calendarEvents
			from.calendarEvents = 0
		} else {
			to.driveFiles += from.driveFiles
			from.driveFiles = 0
		}
		m.transfers = append(m.transfers, t)
		return map[string]any{"transferId": t.id, "status": "completed"}, nil
	}
	u, err := m.user(c.str("userKey"))
	if err != nil {
		return nil, err
	}
	switch c.action {
	case "getUser":
		return map[string]any{"id": u.id, "primaryEmail": u.primaryEmail, "suspended": u.suspended, "orgUnitPath": u.orgUnitPath, "isAdmin": u.isAdmin,
			"name": map[string]any{"givenName": u.givenName, "familyName": u.familyName, "fullName": fullName(u.givenName, u.familyName)}}, nil
	case "suspendUser":
		u.suspended = true
		return map[string]any{}, nil
	case "unsuspendUser":
		u.suspended = false
		return map[string]any{}, nil
	case "signOutUser":
		u.signOuts++
		return map[string]any{}, nil
	case "addToGroup", "removeFromGroup":
		g, err := m.group(c)
		if err != nil {
			return nil, err
		}
		if c.action == "addToGroup" {
			g.members, _ = addSorted(g.members, lower(u.primaryEmail), false)
		} else {
			g.members, _ = removeFrom(g.members, lower(u.primaryEmail), false)
		}
		return map[string]any{}, nil
	}
	return nil, notImplemented("google", c.action)
}

func (u *googleUser) state() map[string]any {
	st := map[string]any{"id": u.id, "primaryEmail": u.primaryEmail, "suspended": u.suspended, "isAdmin": u.isAdmin,
		"orgUnitPath": u.orgUnitPath, "name": map[string]any{"givenName": u.givenName, "familyName": u.familyName},
		"aliases": strList(u.aliases), "driveFiles": int64(u.driveFiles), "signOuts": int64(u.signOuts)}
	if u.calendarEvents != 0 {
		st["calendarEvents"] = int64(u.calendarEvents)
	}
	u.creds.state(st)
	u.licenceState(st)
	return st
}

// findUser finds a user by "key": primary email, alias or id, as find
// (and the Directory API's userKey) does.
func (m *googleModel) findUser(by, key string) (map[string]any, bool) {
	if by != "key" {
		return nil, false
	}
	if u := m.find(key); u != nil {
		return u.state(), true
	}
	return nil, true
}

func (m *googleModel) state() map[string]any {
	users := make([]any, 0, len(m.users))
	for _, k := range sortedKeys(m.users) {
		users = append(users, m.users[k].state())
	}
	groups := make([]any, 0, len(m.groups))
	for _, k := range sortedKeys(m.groups) {
		g := m.groups[k]
		groups = append(groups, map[string]any{"email": g.email, "name": g.name, "members": strList(g.members)})
	}
	transfers := make([]any, 0, len(m.transfers))
	for _, t := range m.transfers {
		tr := map[string]any{"transferId": t.id, "fromUser": t.from, "toUser": t.to, "files": int64(t.files)}
		if t.calendar {
			delete(tr, "files")
			tr["events"] = int64(t.files)
		}
		transfers = append(transfers, tr)
	}
	st := map[string]any{"users": users, "groups": groups, "transfers": transfers}
	m.mail.state(st)
	return st
}
