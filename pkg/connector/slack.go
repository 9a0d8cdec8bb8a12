package connector

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/jml-dev/jml/pkg/effect"
)

// slackClient calls Slack's SCIM v2 API (/scim/v2, user provisioning) and
// its Web API (/api/METHOD, messages and channels).
//
// Both go out with the instance's credential (auth): a user token of an org
// admin with the admin scope (SCIM) and chat:write, users:read,
// users:read.email, channels:write and groups:write (Web API) — unless
// webAPIAuth gives the Web API a credential of its own (a bot token), so
// that messages come from the bot and the admin token needs only SCIM. The Web API
// is served by https://slack.com; the SCIM API by https://api.slack.com. The
// webAPIURL setting overrides the Web API root (default: https://slack.com
// when baseURL is the default https://api.slack.com, else baseURL, so that
// a proxy serves both); against `jml sandbox` it is ignored.
type slackClient struct {
	in  *Instance
	web *Instance
	err error
}

func newSlack(in *Instance) Client {
	c := &slackClient{in: in, web: in}
	if in.Sandbox {
		// `jml sandbox` serves both APIs under the instance's URL; the
		// sandbox token must never reach another host.
		return c
	}
	root := in.Settings["webAPIURL"]
	if root == "" && in.BaseURL != nil && strings.EqualFold(in.BaseURL.Host, "api.slack.com") {
		root = "https://slack.com"
	}
	if root != "" {
		u, err := url.Parse(root)
		if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
			c.err = &effect.Error{Status: 400, Code: "invalid_input", Message: fmt.Sprintf("connector %q: webAPIURL %q is not an http(s) URL", in.Name, root)}
			return c
		}
		web := *in
		web.BaseURL = u
		c.web = &web
	}
	if in.WebAPIAuth != nil {
		web := *c.web
		web.Auth = in.WebAPIAuth
		c.web = &web
	}
	return c
}

// Do performs one action.
func (c *slackClient) Do(ctx context.Context, req effect.Request) (map[string]any, error) {
	if c.err != nil {
		return nil, c.err
	}
	in := req.Input
	switch req.Action {
	case "lookupUserByEmail":
		v, err := Require(in, "email")
		if err != nil {
			return nil, err
		}
		u, err := c.lookupByEmail(ctx, v[0])
		if err != nil {
			return nil, err
		}
		prof := oktaObject(u["profile"])
		deleted, _ := u["deleted"].(bool)
		realName, _ := u["real_name"].(string)
		if realName == "" {
			realName, _ = prof["real_name"].(string)
		}
		return map[string]any{"id": u["id"], "email": prof["email"], "active": !deleted, "name": u["name"], "realName": realName}, nil
	case "deactivateUser", "reactivateUser":
		v, err := Require(in, "email")
		if err != nil {
			return nil, err
		}
		id, err := c.scimID(ctx, v[0])
		if err != nil {
			return nil, err
		}
		p := "/scim/v2/Users/" + Seg(id)
		if req.Action == "deactivateUser" {
			// SCIM DELETE deactivates: the account can be reactivated.
			_, err = c.in.Call(ctx, http.MethodDelete, p, nil, nil, nil)
		} else {
			_, err = c.in.Call(ctx, http.MethodPatch, p, nil, map[string]any{
				"schemas":    []any{"urn:ietf:params:scim:api:messages:2.0:PatchOp"},
				"Operations": []any{map[string]any{"op": "replace", "path": "active", "value": true}},
			}, nil)
		}
		return oktaDone(err)
	case "createUser":
		v, err := Require(in, "email", "userName", "displayName")
		if err != nil {
			return nil, err
		}
		r, err := c.in.Call(ctx, http.MethodPost, "/scim/v2/Users", nil, map[string]any{
			"schemas":     []any{"urn:ietf:params:scim:schemas:core:2.0:User"},
			"userName":    v[1],
			"displayName": v[2],
			"emails":      []any{map[string]any{"value": v[0], "primary": true}},
		}, nil)
		if err != nil {
			return nil, err
		}
		o, err := r.Object()
		if err != nil {
			return nil, err
		}
		return map[string]any{"id": o["id"]}, nil
	case "postMessage":
		v, err := Require(in, "channel", "text")
		if err != nil {
			return nil, err
		}
		body := map[string]any{"channel": v[0], "text": v[1]}
		if ts := String(in, "threadTs"); ts != "" {
			body["thread_ts"] = ts
		}
		o, _, err := c.call(ctx, "chat.postMessage", nil, body)
		if err != nil {
			return nil, err
		}
		return map[string]any{"ts": o["ts"], "channel": o["channel"]}, nil
	case "inviteToChannel":
		v, err := Require(in, "channel", "email")
		if err != nil {
			return nil, err
		}
		u, err := c.lookupByEmail(ctx, v[1])
		if err != nil {
			return nil, err
		}
		id, _ := u["id"].(string)
		_, code, err := c.call(ctx, "conversations.invite", nil, map[string]any{"channel": v[0], "users": id})
		if code == "already_in_channel" {
			err = nil // the catalogue's no-op
		}
		return oktaDone(err)
	}
	return nil, Unsupported(c.in.Type, req.Action)
}

// lookupByEmail returns the Web API user object of users.lookupByEmail.
func (c *slackClient) lookupByEmail(ctx context.Context, email string) (map[string]any, error) {
	o, _, err := c.call(ctx, "users.lookupByEmail", url.Values{"email": {email}}, nil)
	if err != nil {
		return nil, err
	}
	u, ok := o["user"].(map[string]any)
	if !ok {
		return nil, &effect.Error{Status: http.StatusOK, Code: "bad_response", Message: "users.lookupByEmail answered no user"}
	}
	return u, nil
}

// scimID finds the SCIM id (the Slack user ID) of the user with an email.
func (c *slackClient) scimID(ctx context.Context, email string) (string, error) {
	q := url.Values{
		"filter":     {`email eq "` + scimQuote(email) + `"`},
		"startIndex": {"1"},
		"count":      {"1"},
	}
	r, err := c.in.Call(ctx, http.MethodGet, "/scim/v2/Users", q, nil, nil)
	if err != nil {
		return "", err
	}
	o, err := r.Object()
	if err != nil {
		return "", err
	}
	res, _ := o["Resources"].([]any)
	if len(res) == 0 {
		return "", effect.HTTPError(http.StatusNotFound, "users_not_found: no Slack user has the email "+email)
	}
	u, _ := res[0].(map[string]any)
	id, _ := u["id"].(string)
	if id == "" {
		return "", &effect.Error{Status: r.Status, Code: "bad_response", Message: "the SCIM user of " + email + " has no id"}
	}
	return id, nil
}

// scimQuote escapes a value for a double-quoted SCIM filter string
// (RFC 7644 §3.4.2.2: JSON string rules).
func scimQuote(s string) string {
	return strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s)
}

// call invokes a Web API method: GET with query when body is nil, else a
// JSON POST. Slack answers HTTP 200 with ok:false on failure; that becomes
// an *effect.Error with the status slackStatus gives the code, which is
// returned too.
func (c *slackClient) call(ctx context.Context, method string, query url.Values, body map[string]any) (map[string]any, string, error) {
	verb := http.MethodGet
	var b any
	if body != nil {
		verb, b = http.MethodPost, body
	}
	r, err := c.web.Call(ctx, verb, "/api/"+method, query, b, nil)
	if err != nil {
		// A rate limit comes as HTTP 429 with {"ok": false, "error":
		// "ratelimited"}: the same message as an ok:false, and the
		// status, retryability and Retry-After of the HTTP error.
		if e := effect.AsError(err); e != nil && r != nil {
			if o := slackBody(r); o["ok"] == false {
				code, msg := slackMessage(o)
				e.Message = method + ": " + msg
				return nil, code, e
			}
		}
		code := ""
		if r != nil {
			code, _ = slackBody(r)["error"].(string)
		}
		return nil, code, err
	}
	o, err := r.Object()
	if err != nil {
		return nil, "", err
	}
	if ok, _ := o["ok"].(bool); ok {
		return o, "", nil
	}
	code, msg := slackMessage(o)
	e := effect.HTTPError(slackStatus(code), method+": "+msg)
	e.RetryAfter = retryAfter(r.Header, c.in.Limiter.now())
	return nil, code, e
}

// slackMessage is the error code of an ok:false answer and the message
// shown for it: the code, and Slack's first response_metadata message.
func slackMessage(o map[string]any) (code, msg string) {
	code, _ = o["error"].(string)
	if code == "" {
		code = "unknown_error"
	}
	msg = code
	if md, ok := o["response_metadata"].(map[string]any); ok {
		if ms, ok := md["messages"].([]any); ok && len(ms) > 0 {
			if s, ok := ms[0].(string); ok && s != "" {
				s = strings.TrimPrefix(s, "[ERROR] ")
				msg = s
				if !strings.HasPrefix(s, code) {
					msg = code + ": " + s
				}
			}
		}
	}
	return code, msg
}

// slackBody decodes an error answer's body, {} when it is not an object.
func slackBody(r *Response) map[string]any {
	o, err := r.Object()
	if err != nil {
		return map[string]any{}
	}
	return o
}

// slackStatus is the HTTP status jml reports for a Web API error code:
// Slack itself answers 200 for all of them but ratelimited.
func slackStatus(code string) int {
	switch {
	case strings.HasSuffix(code, "_not_found"):
		return http.StatusNotFound
	case code == "ratelimited" || code == "rate_limited":
		return http.StatusTooManyRequests
	}
	switch code {
	case "not_authed", "invalid_auth", "account_inactive", "token_revoked", "token_expired", "no_permission_token":
		return http.StatusUnauthorized
	case "missing_scope", "not_allowed_token_type", "restricted_action", "access_denied", "ekm_access_denied",
		"no_permission", "team_access_not_granted", "org_login_required", "cant_invite", "cant_invite_self":
		return http.StatusForbidden
	case "internal_error", "fatal_error":
		return http.StatusInternalServerError
	case "service_unavailable", "request_timeout":
		return http.StatusServiceUnavailable
	}
	return http.StatusBadRequest
}
