package connector

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"

	"github.com/jml-dev/jml/pkg/effect"
)

// oktaClient calls the Okta Management API (/api/v1 under the org URL).
type oktaClient struct{ in *Instance }

func newOkta(in *Instance) Client { return &oktaClient{in: in} }

// oktaPageSize is the largest page Okta's list endpoints return.
const oktaPageSize = 200

// oktaMaxPages bounds how many Link rel="next" pages one action follows, so that
// a server that keeps answering with a next link cannot loop jml forever.
const oktaMaxPages = 1000

// Do performs one action.
func (c *oktaClient) Do(ctx context.Context, req effect.Request) (map[string]any, error) {
	in := req.Input
	if req.Action == "listUsers" {
		return c.listUsers(ctx, in)
	}
	switch req.Action {
	case "getUser", "getManager", "listUserGroups", "addUserToGroup", "removeUserFromGroup",
		"clearUserSessions", "deactivateUser", "deleteUser", "suspendUser", "unsuspendUser", "updateUserProfile":
	default:
		return nil, Unsupported(c.in.Type, req.Action)
	}
	v, err := Require(in, "userId")
	if err != nil {
		return nil, err
	}
	user := v[0]
	userPath := "/api/v1/users/" + Seg(user)
	switch req.Action {
	case "getUser":
		return c.getUser(ctx, userPath)
	case "getManager":
		// The linked-objects endpoint takes a user ID only (a login there
		// is "not found").
		id, err := c.userID(ctx, user)
		if err != nil {
			return nil, err
		}
		return c.getManager(ctx, user, "/api/v1/users/"+Seg(id))
	case "listUserGroups":
		items, err := c.pages(ctx, userPath+"/groups", nil, 0)
		if err != nil {
			return nil, err
		}
		groups := make([]any, 0, len(items))
		for _, it := range items {
			g, _ := it.(map[string]any)
			groups = append(groups, map[string]any{"id": g["id"], "type": g["type"], "profile": oktaObject(g["profile"])})
		}
		return map[string]any{"groups": groups}, nil
	case "addUserToGroup", "removeUserFromGroup":
		g, err := Require(in, "groupId")
		if err != nil {
			return nil, err
		}
		// The group-membership endpoints take a user ID only.
		id, err := c.userID(ctx, user)
		if err != nil {
			return nil, err
		}
		method := http.MethodPut
		if req.Action == "removeUserFromGroup" {
			method = http.MethodDelete
		}
		_, err = c.in.Call(ctx, method, "/api/v1/groups/"+Seg(g[0])+"/users/"+Seg(id), nil, nil, nil)
		return oktaDone(err)
	case "clearUserSessions":
		// DELETE /users/{userId}/sessions takes a user ID only.
		id, err := c.userID(ctx, user)
		if err != nil {
			return nil, err
		}
		// Both flags are always sent: Okta's own default for
		// forgetDevices differs between Classic and Identity Engine orgs,
		// and what a leaver revokes must not depend on the org. The
		// catalogue's defaults: oauthTokens false, forgetDevices true.
		q := url.Values{}
		for _, k := range []string{"oauthTokens", "forgetDevices"} {
			b, ok := Bool(in, k)
			if !ok {
				b = k == "forgetDevices"
			}
			q.Set(k, strconv.FormatBool(b))
		}
		_, err = c.in.Call(ctx, http.MethodDelete, "/api/v1/users/"+Seg(id)+"/sessions", q, nil, nil)
		return oktaDone(err)
	case "deactivateUser", "deleteUser":
		q := url.Values{}
		if b, ok := Bool(in, "sendEmail"); ok {
			q.Set("sendEmail", strconv.FormatBool(b))
		}
		method, path := http.MethodPost, userPath+"/lifecycle/deactivate"
		if req.Action == "deleteUser" {
			// DELETE /users/{id}: deactivates a user that is not
			// DEPROVISIONED, deletes one that is (204 both times).
			method, path = http.MethodDelete, userPath
		}
		_, err := c.in.Call(ctx, method, path, q, nil, nil)
		return oktaDone(err)
	case "suspendUser":
		_, err := c.in.Call(ctx, http.MethodPost, userPath+"/lifecycle/suspend", nil, nil, nil)
		return oktaDone(err)
	case "unsuspendUser":
		_, err := c.in.Call(ctx, http.MethodPost, userPath+"/lifecycle/unsuspend", nil, nil, nil)
		return oktaDone(err)
	}
	// updateUserProfile: POST is Okta's partial update (PUT replaces the
	// whole profile).
	profile, ok := in["profile"].(map[string]any)
	if !ok {
		return nil, &effect.Error{Status: 400, Code: "invalid_input", Message: `input "profile" is required and must be an object`}
	}
	r, err := c.in.Call(ctx, http.MethodPost, userPath, nil, map[string]any{"profile": profile}, nil)
	if err != nil {
		return nil, err
	}
	o, err := r.Object()
	if err != nil {
		return nil, err
	}
	return oktaUserOut(o), nil
}

func (c *oktaClient) getUser(ctx context.Context, userPath string) (map[string]any, error) {
	r, err := c.in.Call(ctx, http.MethodGet, userPath, nil, nil, nil)
	if err != nil {
		return nil, err
	}
	o, err := r.Object()
	if err != nil {
		return nil, err
	}
	return oktaUserOut(o), nil
}

// getManager reads the user's `manager` linked object, whose self link
// names the manager, then fetches the manager.
func (c *oktaClient) getManager(ctx context.Context, user, userPath string) (map[string]any, error) {
	r, err := c.in.Call(ctx, http.MethodGet, userPath+"/linkedObjects/manager", nil, nil, nil)
	if err != nil {
		return nil, err
	}
	v, err := r.JSON()
	if err != nil {
		return nil, err
	}
	links, _ := v.([]any)
	if len(links) == 0 {
		return nil, effect.HTTPError(http.StatusNotFound, fmt.Sprintf("Not found: user %s has no manager", user))
	}
	href := ""
	if l, ok := links[0].(map[string]any); ok {
		if ls, ok := l["_links"].(map[string]any); ok {
			if self, ok := ls["self"].(map[string]any); ok {
				href, _ = self["href"].(string)
			}
		}
	}
	u, err := url.Parse(href)
	id := ""
	if err == nil {
		id = path.Base(u.Path)
	}
	if id == "" || id == "." || id == "/" {
		return nil, &effect.Error{Status: r.Status, Code: "bad_response", Message: "the manager link of user " + user + " names no user"}
	}
	return c.getUser(ctx, "/api/v1/users/"+Seg(id))
}

// userID returns the Okta ID of a user named by ID, login or short name:
// endpoints other than /users/{id} accept an ID only.
func (c *oktaClient) userID(ctx context.Context, user string) (string, error) {
	if oktaID(user) {
		return user, nil
	}
	out, err := c.getUser(ctx, "/api/v1/users/"+Seg(user))
	if err != nil {
		return "", err
	}
	id, _ := out["id"].(string)
	if id == "" {
		return "", &effect.Error{Code: "bad_response", Message: "the user " + user + " has no id"}
	}
	return id, nil
}

// oktaID reports whether s looks like an Okta user ID (00u followed by
// letters and digits) rather than a login.
func oktaID(s string) bool {
	if !strings.HasPrefix(s, "00u") {
		return false
	}
	for _, r := range s {
		if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return false
		}
	}
	return true
}

func (c *oktaClient) listUsers(ctx context.Context, in map[string]any) (map[string]any, error) {
	q := url.Values{}
	for _, k := range []string{"search", "filter"} {
		if s := strings.TrimSpace(String(in, k)); s != "" {
			q.Set(k, s)
		}
	}
	limit, ok := oktaInt(in["limit"])
	if !ok || limit < 0 {
		limit = 0
	}
	size := oktaPageSize
	if limit > 0 && limit < size {
		size = limit
	}
	q.Set("limit", strconv.Itoa(size))
	items, err := c.pages(ctx, "/api/v1/users", q, limit)
	if err != nil {
		return nil, err
	}
	users := make([]any, 0, len(items))
	for _, it := range items {
		o, _ := it.(map[string]any)
		users = append(users, oktaUserOut(o))
	}
	return map[string]any{"users": users}, nil
}

// pages GETs a list and follows its Link rel="next" headers until there is
// no next page or max items (0: no limit) are read.
func (c *oktaClient) pages(ctx context.Context, p string, q url.Values, max int) ([]any, error) {
	var out []any
	for n := 0; ; n++ {
		if n == oktaMaxPages {
			return nil, &effect.Error{Code: "bad_response", Message: fmt.Sprintf("GET %s: more than %d pages", p, oktaMaxPages)}
		}
		r, err := c.in.Call(ctx, http.MethodGet, p, q, nil, nil)
		if err != nil {
			return nil, err
		}
		v, err := r.JSON()
		if err != nil {
			return nil, err
		}
		items, ok := v.([]any)
		if !ok && v != nil {
			return nil, &effect.Error{Status: r.Status, Code: "bad_response", Message: "the response is not a JSON array"}
		}
		out = append(out, items...)
		if max > 0 && len(out) >= max {
			return out[:max], nil
		}
		next := NextLink(r.Header)
		if next == "" || len(items) == 0 {
			return out, nil
		}
		p, q, err = relativeLink(c.in, next)
		if err != nil {
			return nil, err
		}
	}
}

// relativeLink turns a next link into a path and query under the
// instance's base URL. A link to another origin (scheme, host, port) or
// outside the base path is refused: the credentials never go elsewhere,
// and a next link pointing elsewhere is not the vendor's paging.
func relativeLink(in *Instance, link string) (string, url.Values, error) {
	u, err := url.Parse(link)
	if err != nil {
		return "", nil, &effect.Error{Code: "bad_response", Message: "a Link header is not a URL: " + err.Error()}
	}
	if u.IsAbs() || u.Host != "" {
		if !sameOrigin(u, in.BaseURL) {
			return "", nil, &effect.Error{Code: "bad_response", Message: fmt.Sprintf("refused a Link rel=\"next\" to another origin (%s), outside %s", redactURL(url.URL{Scheme: u.Scheme, Host: u.Host}), redactURL(url.URL{Scheme: in.BaseURL.Scheme, Host: in.BaseURL.Host}))}
		}
	} else if u.Opaque != "" {
		return "", nil, &effect.Error{Code: "bad_response", Message: "a Link header is not an http URL"}
	}
	p := u.EscapedPath()
	if base := strings.TrimRight(in.BaseURL.EscapedPath(), "/"); base != "" {
		if !strings.HasPrefix(p, base+"/") {
			return "", nil, &effect.Error{Code: "bad_response", Message: "a Link header points outside " + redactURL(*in.BaseURL)}
		}
		p = strings.TrimPrefix(p, base)
	}
	return p, u.Query(), nil
}

// oktaUserOut maps an Okta user object to the catalogue's outputs.
func oktaUserOut(o map[string]any) map[string]any {
	return map[string]any{"id": o["id"], "status": o["status"], "profile": oktaObject(o["profile"]), "lastLogin": o["lastLogin"]}
}

// oktaObject returns v as an object, {} when it is not one.
func oktaObject(v any) map[string]any {
	if m, ok := v.(map[string]any); ok {
		return m
	}
	return map[string]any{}
}

// oktaDone is the empty output of a write that answered with no body of use.
func oktaDone(err error) (map[string]any, error) {
	if err != nil {
		return nil, err
	}
	return map[string]any{}, nil
}

// oktaInt reads a whole-number input as the world does (int, int64, a
// whole float64, a numeric string).
func oktaInt(v any) (int, bool) {
	switch x := v.(type) {
	case int:
		return x, true
	case int32:
		return int(x), true
	case int64:
		return int(x), true
	case float64:
		if x == math.Trunc(x) && !math.IsInf(x, 0) {
			return int(x), true
		}
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return int(i), true
		}
	case string:
		if i, err := strconv.Atoi(x); err == nil {
			return i, true
		}
	}
	return 0, false
}
