package connector

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/jml-dev/jml/pkg/effect"
)

// googleDriveApplicationID and googleCalendarApplicationID are the Data
// Transfer API ids of "Drive and Docs" and "Calendar" (Google's transfer
// parameters page), used when applications.list does not name them.
const (
	googleDriveApplicationID    = "55656082996"
	googleCalendarApplicationID = "435070579839"
)

const (
	googleUsers     = "/admin/directory/v1/users/"
	googleGroups    = "/admin/directory/v1/groups/"
	googleTransfers = "/admin/datatransfer/v1/transfers"
	googleApps      = "/admin/datatransfer/v1/applications"
)

// googleClient calls the Admin SDK Directory API and the Data Transfer
// API of a Google Workspace domain.
type googleClient struct {
	in *Instance

	mu   sync.Mutex
	apps map[string]string // application ids by name fragment, once looked up

	gmail *gmailAPI // the Gmail API (gmail.go)
}

func newGoogle(in *Instance) Client { return &googleClient{in: in, gmail: newGmailAPI(in)} }

// Do performs one action.
func (c *googleClient) Do(ctx context.Context, req effect.Request) (map[string]any, error) {
	if gmailActions[req.Action] {
		return c.gmail.do(ctx, req)
	}
	if googleCredentialActions[req.Action] {
		return c.credentials(ctx, req)
	}
	if req.Action == "listUserLicenses" || req.Action == "unassignLicense" {
		return c.licensing(ctx, req)
	}
	switch req.Action {
	case "transferDrive":
		levels, err := googlePrivacyLevels(req.Input)
		if err != nil {
			return nil, err
		}
		return c.transfer(ctx, req.Input, "drive", googleDriveApplicationID, "PRIVACY_LEVEL", levels)
	case "transferCalendar":
		// RELEASE_RESOURCES=TRUE releases the rooms and resources booked
		// for the user's future events, as the Admin console does.
		return c.transfer(ctx, req.Input, "calendar", googleCalendarApplicationID, "RELEASE_RESOURCES", []any{"TRUE"})
	case "addToGroup", "removeFromGroup":
		keys, err := Require(req.Input, "groupKey", "userKey")
		if err != nil {
			return nil, err
		}
		if req.Action == "addToGroup" {
			return c.addToGroup(ctx, keys[0], keys[1])
		}
		return c.removeFromGroup(ctx, keys[0], keys[1])
	}
	keys, err := Require(req.Input, "userKey")
	if err != nil {
		return nil, err
	}
	user := googleUsers + Seg(keys[0])
	switch req.Action {
	case "getUser":
		u, err := c.getUser(ctx, keys[0])
		if err != nil {
			return nil, err
		}
		return googleUserOutput(u), nil
	case "suspendUser", "unsuspendUser":
		// users.update has patch semantics: only the fields sent change.
		_, err := c.in.Call(ctx, "PUT", user, nil, map[string]any{"suspended": req.Action == "suspendUser"}, nil)
		if err != nil {
			return nil, err
		}
		return map[string]any{}, nil
	case "signOutUser":
		if _, err := c.in.Call(ctx, "POST", user+"/signOut", nil, nil, nil); err != nil {
			return nil, err
		}
		return map[string]any{}, nil
	}
	return nil, Unsupported(c.in.Type, req.Action)
}

// getUser returns the user resource (users.get).
func (c *googleClient) getUser(ctx context.Context, key string) (map[string]any, error) {
	resp, err := c.in.Call(ctx, "GET", googleUsers+Seg(key), nil, nil, nil)
	if err != nil {
		return nil, err
	}
	return resp.Object()
}

// googleUserOutput maps a user resource to getUser's outputs.
func googleUserOutput(u map[string]any) map[string]any {
	name, _ := u["name"].(map[string]any)
	b := func(k string) bool { v, _ := u[k].(bool); return v }
	return map[string]any{
		"id": String(u, "id"), "primaryEmail": String(u, "primaryEmail"), "suspended": b("suspended"),
		"orgUnitPath": String(u, "orgUnitPath"), "isAdmin": b("isAdmin"),
		"name": map[string]any{"givenName": String(name, "givenName"), "familyName": String(name, "familyName"), "fullName": String(name, "fullName")},
	}
}

// addToGroup inserts a member; Google's 409 "Member already exists" is
// the idempotent success the action promises.
func (c *googleClient) addToGroup(ctx context.Context, group, user string) (map[string]any, error) {
	member := map[string]any{"role": "MEMBER"}
	if strings.Contains(user, "@") {
		member["email"] = user
	} else {
		member["id"] = user
	}
	_, err := c.in.Call(ctx, "POST", googleGroups+Seg(group)+"/members", nil, member, nil)
	if e := effect.AsError(err); e != nil && !(e.Status == 409 && strings.Contains(strings.ToLower(e.Message), "member already exists")) {
		return nil, err
	}
	return map[string]any{}, nil
}

// removeFromGroup deletes a member. Google answers 404 "Resource Not
// Found: memberKey" both for a user who is not a member (an idempotent
// success) and for one who does not exist (an error): a users.get tells
// them apart.
func (c *googleClient) removeFromGroup(ctx context.Context, group, user string) (map[string]any, error) {
	_, err := c.in.Call(ctx, "DELETE", googleGroups+Seg(group)+"/members/"+Seg(user), nil, nil, nil)
	if e := effect.AsError(err); e != nil {
		if e.Status != 404 || !strings.Contains(e.Message, "memberKey") {
			return nil, err
		}
		if _, err := c.getUser(ctx, user); err != nil {
			return nil, err
		}
	}
	return map[string]any{}, nil
}

// googlePrivacyLevels reads the privacyLevels input (default both).
func googlePrivacyLevels(in map[string]any) ([]any, error) {
	v, ok := in["privacyLevels"]
	if !ok || v == nil {
		return []any{"PRIVATE", "SHARED"}, nil
	}
	l, ok := v.([]any)
	if !ok {
		return nil, &effect.Error{Status: 400, Code: "invalid_input", Message: `input "privacyLevels" must be a list`}
	}
	out := make([]any, 0, len(l))
	for _, e := range l {
		s, ok := e.(string)
		if !ok || (s != "PRIVATE" && s != "SHARED") {
			return nil, &effect.Error{Status: 400, Code: "invalid_input", Message: fmt.Sprintf(`input "privacyLevels": %v is not PRIVATE or SHARED`, e)}
		}
		out = append(out, s)
	}
	if len(out) == 0 {
		return []any{"PRIVATE", "SHARED"}, nil
	}
	return out, nil
}

// transfer resolves both users' numeric ids and the id of the application
// whose name contains name, then inserts a data transfer of that
// application's data with the one transfer parameter key=value
// (transferDrive and transferCalendar).
func (c *googleClient) transfer(ctx context.Context, in map[string]any, name, fallback, key string, value []any) (map[string]any, error) {
	keys, err := Require(in, "fromUser", "toUser")
	if err != nil {
		return nil, err
	}
	from, err := c.getUser(ctx, keys[0])
	if err != nil {
		return nil, err
	}
	to, err := c.getUser(ctx, keys[1])
	if err != nil {
		return nil, err
	}
	app, err := c.application(ctx, name, fallback)
	if err != nil {
		return nil, err
	}
	body := map[string]any{
		"oldOwnerUserId": String(from, "id"),
		"newOwnerUserId": String(to, "id"),
		"applicationDataTransfers": []any{map[string]any{
			"applicationId":             app,
			"applicationTransferParams": []any{map[string]any{"key": key, "value": value}},
		}},
	}
	resp, err := c.in.Call(ctx, "POST", googleTransfers, nil, body, nil)
	if err != nil {
		return nil, err
	}
	t, err := resp.Object()
	if err != nil {
		return nil, err
	}
	return map[string]any{"transferId": String(t, "id"), "status": String(t, "overallTransferStatusCode")}, nil
}

// application returns the id of the application whose name contains
// name (lower case) from applications.list, or fallback when none does;
// the list is read once for the client's life.
func (c *googleClient) application(ctx context.Context, name, fallback string) (string, error) {
	c.mu.Lock()
	apps := c.apps
	c.mu.Unlock()
	if apps == nil {
		resp, err := c.in.Call(ctx, "GET", googleApps, nil, nil, nil)
		if err != nil {
			return "", err
		}
		list, err := resp.Object()
		if err != nil {
			return "", err
		}
		apps = map[string]string{}
		all, _ := list["applications"].([]any)
		for _, a := range all {
			m, _ := a.(map[string]any)
			for _, n := range []string{"drive", "calendar"} {
				if _, seen := apps[n]; !seen && strings.Contains(strings.ToLower(String(m, "name")), n) && String(m, "id") != "" {
					apps[n] = String(m, "id")
				}
			}
		}
		c.mu.Lock()
		c.apps = apps
		c.mu.Unlock()
	}
	if id := apps[name]; id != "" {
		return id, nil
	}
	return fallback, nil
}
