package world

import (
	"fmt"
	"strings"
)

// googleCredentialActions are the google actions on a user's
// application-specific passwords, OAuth tokens and mobile devices.
var googleCredentialActions = map[string]bool{
	"listASPs": true, "deleteASP": true, "listTokens": true, "deleteToken": true,
	"listMobileDevices": true, "deleteMobileDevice": true,
}

// googleCreds are the credentials a Google user holds besides the
// password: what a leaver lists and deletes once the user is suspended.
type googleCreds struct {
	asps    []googleASP
	tokens  []googleToken
	devices []googleDevice
}

type googleASP struct {
	codeID                   int64
	name                     string
	creationTime, lastUsedAt string // Unix milliseconds, as Google's int64 strings
}

type googleToken struct {
	clientID, displayText string
	scopes                []string
	anonymous, nativeApp  bool
}

type googleDevice struct {
	resourceID, deviceID       string
	model, os, status, devType string
}

func (c *googleCreds) clone() *googleCreds {
	if c == nil {
		return nil
	}
	cp := &googleCreds{asps: append([]googleASP(nil), c.asps...), devices: append([]googleDevice(nil), c.devices...)}
	for _, t := range c.tokens {
		t.scopes = cloneStrings(t.scopes)
		cp.tokens = append(cp.tokens, t)
	}
	return cp
}

// loadCreds reads a world file user's asps, tokens and mobileDevices.
func (m *googleModel) loadCreds(x userObj) {
	c := &googleCreds{}
	x.u.creds = c // device() sees the devices read so far
	for _, a := range x.o.list("asps") {
		a.allow("an ASP", "codeId", "name", "creationTime", "lastTimeUsed")
		id := a.integer("codeId", 0)
		if id <= 0 || id > 1<<31-1 {
			a.errf("codeId", "invalid-value", "an ASP needs a codeId, a positive 32-bit integer, as Google's")
			continue
		}
		c.asps = append(c.asps, googleASP{codeID: int64(id), name: a.str("name"), creationTime: a.str("creationTime"), lastUsedAt: a.str("lastTimeUsed")})
	}
	for _, t := range x.o.list("tokens") {
		t.allow("a token", "clientId", "displayText", "scopes", "anonymous", "nativeApp")
		id := t.reqStr("clientId")
		if id == "" {
			continue
		}
		c.tokens = append(c.tokens, googleToken{clientID: id, displayText: t.str("displayText"), scopes: t.strs("scopes"),
			anonymous: t.boolean("anonymous", false), nativeApp: t.boolean("nativeApp", false)})
	}
	for _, d := range x.o.list("mobileDevices") {
		d.allow("a mobile device", "resourceId", "deviceId", "model", "os", "status", "type")
		id := d.reqStr("resourceId")
		if id == "" {
			continue
		}
		if u, _ := m.device(id); u != nil {
			d.errf("resourceId", "duplicate", "mobile device %s is listed twice", id)
			continue
		}
		status := d.str("status")
		if status == "" {
			status = "APPROVED"
		}
		c.devices = append(c.devices, googleDevice{resourceID: id, deviceID: d.str("deviceId"), model: d.str("model"), os: d.str("os"),
			status: status, devType: d.str("type")})
	}
	if len(c.asps)+len(c.tokens)+len(c.devices) == 0 {
		x.u.creds = nil
	}
}

// device finds a mobile device by its resourceId, and its owner.
func (m *googleModel) device(resourceID string) (*googleUser, int) {
	for _, k := range sortedKeys(m.users) {
		u := m.users[k]
		if u.creds == nil {
			continue
		}
		for i, d := range u.creds.devices {
			if d.resourceID == resourceID {
				return u, i
			}
		}
	}
	return nil, -1
}

// credentials performs one of googleCredentialActions, answering as the
// Directory API does: 404 for an unknown user, ASP, token or device (a
// second delete included), an empty list for a user who has none.
func (m *googleModel) credentials(c *call) (map[string]any, error) {
	switch c.action {
	case "listMobileDevices":
		// mobiledevices.list searches by the owner's address: an address
		// no device has answers no device, not an error.
		devices := []any{}
		email := c.str("email")
		if u := m.find(email); u != nil && strings.Contains(email, "@") && u.creds != nil {
			for _, d := range u.creds.devices {
				devices = append(devices, map[string]any{"resourceId": d.resourceID, "deviceId": d.deviceID, "email": []any{u.primaryEmail},
					"model": d.model, "os": d.os, "status": d.status, "type": d.devType})
			}
		}
		return map[string]any{"mobileDevices": devices}, nil
	case "deleteMobileDevice":
		id := c.str("resourceId")
		u, i := m.device(id)
		if u == nil {
			return nil, googleNotFound("resourceId " + id)
		}
		u.creds.devices = append(u.creds.devices[:i:i], u.creds.devices[i+1:]...)
		return map[string]any{}, nil
	}
	u, err := m.user(c.str("userKey"))
	if err != nil {
		return nil, err
	}
	if u.creds == nil {
		u.creds = &googleCreds{}
	}
	cr := u.creds
	switch c.action {
	case "listASPs":
		asps := make([]any, 0, len(cr.asps))
		for _, a := range cr.asps {
			asps = append(asps, map[string]any{"codeId": a.codeID, "name": a.name, "creationTime": a.creationTime, "lastTimeUsed": a.lastUsedAt, "userKey": u.id})
		}
		return map[string]any{"asps": asps}, nil
	case "deleteASP":
		id, ok := asInt(c.in["codeId"])
		for i, a := range cr.asps {
			if ok && a.codeID == int64(id) {
				cr.asps = append(cr.asps[:i:i], cr.asps[i+1:]...)
				return map[string]any{}, nil
			}
		}
		return nil, googleNotFound(fmt.Sprintf("codeId %v", c.in["codeId"]))
	case "listTokens":
		tokens := make([]any, 0, len(cr.tokens))
		for _, t := range cr.tokens {
			tokens = append(tokens, map[string]any{"clientId": t.clientID, "displayText": t.displayText, "scopes": strList(t.scopes),
				"anonymous": t.anonymous, "nativeApp": t.nativeApp, "userKey": u.id})
		}
		return map[string]any{"tokens": tokens}, nil
	case "deleteToken":
		id := c.str("clientId")
		for i, t := range cr.tokens {
			if t.clientID == id {
				cr.tokens = append(cr.tokens[:i:i], cr.tokens[i+1:]...)
				return map[string]any{}, nil
			}
		}
		return nil, googleNotFound("clientId " + id)
	}
	return nil, notImplemented("google", c.action)
}

// state adds the user's credentials to its state, each list only when
// the user holds one, so that the state of a user without any is as it
// was before the model had them.
func (c *googleCreds) state(st map[string]any) {
	if c == nil {
		return
	}
	if len(c.asps) > 0 {
		l := make([]any, 0, len(c.asps))
		for _, a := range c.asps {
			l = append(l, map[string]any{"codeId": a.codeID, "name": a.name})
		}
		st["asps"] = l
	}
	if len(c.tokens) > 0 {
		l := make([]any, 0, len(c.tokens))
		for _, t := range c.tokens {
			l = append(l, map[string]any{"clientId": t.clientID, "displayText": t.displayText})
		}
		st["tokens"] = l
	}
	if len(c.devices) > 0 {
		l := make([]any, 0, len(c.devices))
		for _, d := range c.devices {
			l = append(l, map[string]any{"resourceId": d.resourceID, "deviceId": d.deviceID, "model": d.model})
		}
		st["mobileDevices"] = l
	}
}
