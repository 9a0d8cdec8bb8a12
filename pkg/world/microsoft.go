package world

import (
	"sort"
	"strings"
	"time"
)

type msUser struct {
	id, upn, displayName, mail string
	enabled                    bool
	licenses                   []string
	groups                     []string
	revocations                int
	// revokedAt is when sessions were last revoked (the world's clock).
	revokedAt string
}

type msGroup struct {
	id, displayName string
	// licenses are the SKUs the group assigns to its members
	// (group-based licensing): a member holds them through the group, and
	// Graph refuses to remove them from the user (assignLicense answers
	// 400 "User license is inherited from a group membership and it
	// cannot be removed directly from the user.").
	licenses []string
}

// msSku is a licence the organisation has acquired (a subscribedSku).
type msSku struct {
	skuID, partNumber string
	// units are the licences bought (prepaidUnits.enabled).
	units int
}

// msMail is a message sent with sendMail, kept as the sender's Sent Items.
type msMail struct {
	from, to, cc, subject, body, contentType, bcc string
}

// microsoftModel is a Microsoft Entra ID tenant: users (sign-in, sessions,
// licences), groups, the organisation's licences (subscribedSkus) and the
// mail sent.
type microsoftModel struct {
	users  map[string]*msUser
	byUPN  map[string]string // lower(upn) → id
	groups map[string]*msGroup
	// skus are the organisation's licences, in the world file's order;
	// when the world file lists none, the SKUs its users and groups hold.
	skus []msSku
	// sent holds the messages sent, in order, in sp (spool.go).
	sent []blob
	sp   *spool
}

func newMicrosoft(sp *spool) *microsoftModel {
	return &microsoftModel{users: map[string]*msUser{}, byUPN: map[string]string{}, groups: map[string]*msGroup{}, sp: sp}
}

func (m *microsoftModel) clone() model {
	c := &microsoftModel{users: make(map[string]*msUser, len(m.users)), byUPN: make(map[string]string, len(m.byUPN)), groups: make(map[string]*msGroup, len(m.groups)),
		skus: append([]msSku(nil), m.skus...), sent: append([]blob(nil), m.sent...), sp: m.sp}
	for id, u := range m.users {
		cp := *u
		cp.licenses, cp.groups = cloneStrings(u.licenses), cloneStrings(u.groups)
		c.users[id] = &cp
	}
	for k, v := range m.byUPN {
		c.byUPN[k] = v
	}
	for id, g := range m.groups {
		cp := *g
		cp.licenses = cloneStrings(g.licenses)
		c.groups[id] = &cp
	}
	return c
}

// userID returns the object id of a new user, a GUID (version 4 in shape)
// derived from the user principal name, so that a user has the same id
// whichever event seeded them.
func (m *microsoftModel) userID(upn string) string {
	return newID("microsoft user", lower(upn), func(h idHash) string {
		x := h.hex(32)
		return x[:8] + "-" + x[8:12] + "-4" + x[13:16] + "-8" + x[17:20] + "-" + x[20:32]
	}, func(id string) bool { return m.users[id] != nil || m.groups[id] != nil })
}

func (m *microsoftModel) find(key string) *msUser {
	key = strings.TrimSpace(key)
	if u := m.users[key]; u != nil {
		return u
	}
	if id, ok := m.byUPN[lower(key)]; ok {
		return m.users[id]
	}
	return nil
}

func (m *microsoftModel) add(u *msUser) {
	m.users[u.id] = u
	m.byUPN[lower(u.upn)] = u.id
}

func (m *microsoftModel) seed(u User) {
	email := userEmail(u)
	if !strings.Contains(email, "@") || m.find(email) != nil || (u.ID != "" && m.users[u.ID] != nil) {
		return
	}
	id := u.ID
	if id == "" {
		id = m.userID(email)
	}
	m.add(&msUser{id: id, upn: email, mail: email, displayName: userDisplayName(u), enabled: true})
}

func (m *microsoftModel) load(o obj) {
	for _, so := range o.list("skus") {
		so.allow("a microsoft sku", "skuId", "skuPartNumber", "units")
		sku := msSku{skuID: so.reqStr("skuId"), partNumber: so.str("skuPartNumber"), units: so.integer("units", 0)}
		if sku.skuID == "" {
			continue
		}
		if sku.partNumber == "" {
			sku.partNumber = sku.skuID
		}
		if m.sku(sku.skuID) != nil {
			so.errf("", "duplicate", "sku %s is listed twice", sku.skuID)
		}
		m.skus = append(m.skus, sku)
	}
	for _, g := range o.list("groups") {
		g.allow("a microsoft group", "id", "displayName", "licenses")
		grp := &msGroup{id: g.reqStr("id"), displayName: g.str("displayName")}
		if grp.id == "" {
			continue
		}
		for _, sku := range g.strs("licenses") {
			grp.licenses, _ = addSorted(grp.licenses, sku, true)
		}
		if grp.displayName == "" {
			grp.displayName = grp.id
		}
		m.groups[grp.id] = grp
	}
	for _, uo := range o.list("users") {
		uo.allow("a microsoft user", "id", "userPrincipalName", "accountEnabled", "displayName", "mail", "licenses", "groups")
		u := &msUser{id: uo.str("id"), upn: uo.reqStr("userPrincipalName"), enabled: uo.boolean("accountEnabled", true),
			displayName: uo.str("displayName"), mail: uo.str("mail")}
		if u.upn == "" {
			continue
		}
		if u.id == "" {
			u.id = m.userID(u.upn)
		}
		if u.mail == "" {
			u.mail = u.upn
		}
		if u.displayName == "" {
			u.displayName = fullName(names("", u.upn))
		}
		for _, sku := range uo.strs("licenses") {
			u.licenses, _ = addSorted(u.licenses, sku, true)
		}
		for _, gid := range uo.strs("groups") {
			if m.groups[gid] == nil {
				m.groups[gid] = &msGroup{id: gid, displayName: gid}
			}
			u.groups, _ = addSorted(u.groups, gid, false)
		}
		if m.find(u.id) != nil || m.find(u.upn) != nil {
			uo.errf("", "duplicate", "user %s is listed twice", u.upn)
		}
		m.add(u)
	}
}

func graphNotFound(id string) error {
	return notFound("Resource '%s' does not exist or one of its queried reference-property objects are not present.", id)
}

func (m *microsoftModel) group(c *call) (*msGroup, error) {
	id := strings.TrimSpace(c.str("groupId"))
	if g := m.groups[id]; g != nil {
		return g, nil
	}
	if !c.open {
		return nil, graphNotFound(id)
	}
	g := &msGroup{id: id, displayName: id}
	m.groups[id] = g
	return g, nil
}

// sku finds a licence of the organisation by SKU id.
func (m *microsoftModel) sku(id string) *msSku {
	for i := range m.skus {
		if strings.EqualFold(m.skus[i].skuID, id) {
			return &m.skus[i]
		}
	}
	return nil
}

func (m *microsoftModel) do(c *call) (map[string]any, error) {
	if c.action == "listSubscribedSkus" {
		return map[string]any{"skus": m.subscribedSkus()}, nil
	}
	key := c.str("userId")
	u := m.find(key)
	if u == nil {
		return nil, graphNotFound(key)
	}
	switch c.action {
	case "getUser":
		return map[string]any{"id": u.id, "userPrincipalName": u.upn, "accountEnabled": u.enabled, "displayName": u.displayName, "mail": u.mail,
			"licenseAssignmentStates": m.assignments(u)}, nil
	case "disableUser", "enableUser":
		u.enabled = c.action == "enableUser"
		return map[string]any{}, nil
	case "sendMail":
		return m.sendMail(u, c)
	case "revokeSignInSessions":
		u.revocations++
		u.revokedAt = c.now.UTC().Format(time.RFC3339)
		return map[string]any{}, nil
	case "removeLicenses":
		return m.removeLicenses(u, c)
	case "assignLicense":
		// Graph refuses a SKU the organisation has not acquired; a world
		// that lists no skus takes any.
		if sku := c.str("skuId"); len(m.skus) > 0 && m.sku(sku) == nil {
			return nil, badRequest("License %s does not correspond to a valid company License.", sku)
		}
		u.licenses, _ = addSorted(u.licenses, c.str("skuId"), true)
		return map[string]any{}, nil
	case "addToGroup", "removeFromGroup":
		g, err := m.group(c)
		if err != nil {
			return nil, err
		}
		if c.action == "addToGroup" {
			u.groups, _ = addSorted(u.groups, g.id, false)
		} else {
			u.groups, _ = removeFrom(u.groups, g.id, false)
		}
		return map[string]any{}, nil
	}
	return nil, notImplemented("microsoft", c.action)
}

// removeLicenses removes the given SKUs (all when none are given) that
// are assigned to the user directly, and reports those the user holds
// through a group, which stay: Graph refuses to remove them.
func (m *microsoftModel) removeLicenses(u *msUser, c *call) (map[string]any, error) {
	var want []string
	skus, given := c.in["skuIds"].([]any)
	for _, s := range skus {
		sku, ok := s.(string)
		if !ok {
			return nil, badRequest("skuIds must be a list of SKU ids (GUIDs)")
		}
		want = append(want, sku)
	}
	if !given {
		want = cloneStrings(u.licenses)
	}
	removed := []string{}
	for _, sku := range want {
		var ok bool
		if u.licenses, ok = removeFrom(u.licenses, sku, true); ok {
			removed, _ = addSorted(removed, sku, true)
		}
	}
	var inherited []msInherited
	for _, gid := range u.groups {
		g := m.groups[gid]
		if g == nil {
			continue
		}
		for _, sku := range g.licenses {
			if !given || indexOf(want, sku, true) >= 0 {
				inherited = append(inherited, msInherited{sku: sku, group: gid})
			}
		}
	}
	// Sorted as the connector sorts them (the round-trip test holds the
	// two to the same output).
	sort.Slice(inherited, func(i, j int) bool {
		a, b := inherited[i], inherited[j]
		if lower(a.sku) != lower(b.sku) {
			return lower(a.sku) < lower(b.sku)
		}
		return a.group < b.group
	})
	inh := make([]any, 0, len(inherited))
	for _, x := range inherited {
		inh = append(inh, map[string]any{"skuId": x.sku, "groupId": x.group})
	}
	return map[string]any{"removed": strList(removed), "inherited": inh}, nil
}

// assignments are a user's licenseAssignmentStates: one per directly
// assigned SKU (assignedByGroup null), then one per SKU and group
// assigning it, in the groups' order.
func (m *microsoftModel) assignments(u *msUser) []any {
	out := []any{}
	for _, sku := range u.licenses {
		out = append(out, map[string]any{"skuId": sku, "assignedByGroup": nil, "state": "Active"})
	}
	for _, gid := range u.groups {
		if g := m.groups[gid]; g != nil {
			for _, sku := range g.licenses {
				out = append(out, map[string]any{"skuId": sku, "assignedByGroup": gid, "state": "Active"})
			}
		}
	}
	return out
}

// subscribedSkus are the organisation's licences with the units its users
// consume (a user holding a SKU directly and through a group consumes one).
func (m *microsoftModel) subscribedSkus() []any {
	skus := m.skus
	if len(skus) == 0 {
		var ids []string
		for _, id := range sortedKeys(m.users) {
			for _, s := range m.users[id].licenses {
				ids, _ = addSorted(ids, s, true)
			}
		}
		for _, id := range sortedKeys(m.groups) {
			for _, s := range m.groups[id].licenses {
				ids, _ = addSorted(ids, s, true)
			}
		}
		for _, id := range ids {
			skus = append(skus, msSku{skuID: id, partNumber: id})
		}
	}
	out := make([]any, 0, len(skus))
	for _, s := range skus {
		consumed := 0
		for _, id := range sortedKeys(m.users) {
			u := m.users[id]
			held := indexOf(u.licenses, s.skuID, true) >= 0
			for _, gid := range u.groups {
				if g := m.groups[gid]; g != nil && indexOf(g.licenses, s.skuID, true) >= 0 {
					held = true
				}
			}
			if held {
				consumed++
			}
		}
		out = append(out, map[string]any{"id": msTenant + "_" + s.skuID, "skuId": s.skuID, "skuPartNumber": s.partNumber,
			"appliesTo": "User", "capabilityStatus": "Enabled", "consumedUnits": int64(consumed),
			"prepaidUnits": map[string]any{"enabled": int64(s.units), "suspended": int64(0), "warning": int64(0), "lockedOut": int64(0)},
			"servicePlans": []any{}})
	}
	return out
}

// msTenant is the simulated tenant's id, the first half of a
// subscribedSku's id.
const msTenant = "00000000-0000-4000-8000-00000000a11e"

// sendMail sends a message from the user's mailbox. Graph refuses a
// recipient that is not an address (ErrorInvalidRecipients); the
// addresses are checked as the email connector's relay checks them.
func (m *microsoftModel) sendMail(u *msUser, c *call) (map[string]any, error) {
	for _, f := range []string{"to", "cc", "bcc"} {
		if v := c.str(f); v != "" || f == "to" {
			if err := addresses(f, v); err != nil {
				return nil, badRequest("ErrorInvalidRecipients: At least one recipient is not valid. (%s: %q)", f, v)
			}
		}
	}
	ct := "Text"
	if strings.EqualFold(c.str("contentType"), "html") {
		ct = "HTML"
	}
	msg := msMail{from: u.mail, to: c.str("to"), cc: c.str("cc"), subject: c.str("subject"), body: c.str("body"), contentType: ct, bcc: c.str("bcc")}
	m.sent = append(m.sent, m.sp.put(encodeStrings(msg.from, msg.to, msg.cc, msg.subject, msg.body, msg.contentType, msg.bcc)))
	return map[string]any{}, nil
}

// msInherited is a licence a user holds through a group (a
// licenseAssignmentState whose assignedByGroup is the group's id).
type msInherited struct{ sku, group string }

func (u *msUser) state() map[string]any {
	st := map[string]any{"id": u.id, "userPrincipalName": u.upn, "accountEnabled": u.enabled, "displayName": u.displayName,
		"mail": u.mail, "licenses": strList(u.licenses), "groups": strList(u.groups), "revokedSessions": int64(u.revocations)}
	if u.revokedAt != "" {
		st["sessionsRevokedAt"] = u.revokedAt
	}
	return st
}

// findUser finds a user by "key": object id or userPrincipalName, as find
// (and Graph's /users/{id | userPrincipalName}) does.
func (m *microsoftModel) findUser(by, key string) (map[string]any, bool) {
	if by != "key" {
		return nil, false
	}
	if u := m.find(key); u != nil {
		return u.state(), true
	}
	return nil, true
}

func (m *microsoftModel) state() map[string]any {
	users := make([]any, 0, len(m.users))
	for _, id := range sortedKeys(m.users) {
		users = append(users, m.users[id].state())
	}
	groups := make([]any, 0, len(m.groups))
	for _, id := range sortedKeys(m.groups) {
		g := m.groups[id]
		groups = append(groups, map[string]any{"id": g.id, "displayName": g.displayName})
		if len(g.licenses) > 0 {
			groups[len(groups)-1].(map[string]any)["licenses"] = strList(g.licenses)
		}
	}
	// skus and messages appear once there are any: a world without them
	// reads as it did before they were modelled.
	st := map[string]any{"users": users, "groups": groups}
	if len(m.skus) > 0 {
		st["skus"] = m.subscribedSkus()
	}
	if len(m.sent) == 0 {
		return st
	}
	messages := make([]any, 0, len(m.sent))
	for _, at := range m.sent {
		var msg msMail
		decodeStrings(m.sp.get(at), &msg.from, &msg.to, &msg.cc, &msg.subject, &msg.body, &msg.contentType, &msg.bcc)
		o := map[string]any{"from": msg.from, "to": msg.to, "subject": msg.subject, "body": msg.body, "contentType": msg.contentType}
		if msg.cc != "" {
			o["cc"] = msg.cc
		}
		if msg.bcc != "" {
			o["bcc"] = msg.bcc
		}
		messages = append(messages, o)
	}
	st["messages"] = messages
	return st
}
