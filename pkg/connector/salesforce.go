package connector

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"github.com/jml-dev/jml/pkg/effect"
)

// salesforceAPI is the REST API version path the salesforce connector
// calls.
const salesforceAPI = "/services/data/v62.0"

// salesforceClient calls the Salesforce REST API: SOQL queries to find a
// User and its UserLogin, and sObject updates.
type salesforceClient struct{ in *Instance }

func newSalesforce(in *Instance) Client { return &salesforceClient{in: in} }

// Do performs one action.
func (c *salesforceClient) Do(ctx context.Context, req effect.Request) (map[string]any, error) {
	keys, err := Require(req.Input, "username")
	if err != nil {
		return nil, err
	}
	switch req.Action {
	case "getUser", "freezeUser", "unfreezeUser", "deactivateUser":
	default:
		return nil, Unsupported(c.in.Type, req.Action)
	}
	user, err := c.user(ctx, keys[0])
	if err != nil {
		return nil, err
	}
	id := String(user, "Id")
	if req.Action == "deactivateUser" {
		_, err := c.in.Call(ctx, "PATCH", salesforceAPI+"/sobjects/User/"+Seg(id), nil, map[string]any{"IsActive": false}, nil)
		if err != nil {
			return nil, err
		}
		return map[string]any{}, nil
	}
	login, err := c.userLogin(ctx, id)
	if err != nil {
		return nil, err
	}
	switch req.Action {
	case "getUser":
		active, _ := user["IsActive"].(bool)
		frozen, _ := login["IsFrozen"].(bool)
		return map[string]any{"id": id, "isActive": active, "frozen": frozen}, nil
	default:
		body := map[string]any{"IsFrozen": req.Action == "freezeUser"}
		if _, err := c.in.Call(ctx, "PATCH", salesforceAPI+"/sobjects/UserLogin/"+Seg(String(login, "Id")), nil, body, nil); err != nil {
			return nil, err
		}
		return map[string]any{}, nil
	}
}

// soqlQuote returns s as a SOQL string literal, quoted and escaped.
func soqlQuote(s string) string {
	var b strings.Builder
	b.WriteByte('\'')
	for _, r := range s {
		switch r {
		case '\\':
			b.WriteString(`\\`)
		case '\'':
			b.WriteString(`\'`)
		case '"':
			b.WriteString(`\"`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case '\b':
			b.WriteString(`\b`)
		case '\f':
			b.WriteString(`\f`)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('\'')
	return b.String()
}

// query runs a SOQL query and returns its records (the first page: the
// queries here select one record by a unique key).
func (c *salesforceClient) query(ctx context.Context, soql string) ([]map[string]any, error) {
	resp, err := c.in.Call(ctx, "GET", salesforceAPI+"/query", url.Values{"q": {soql}}, nil, nil)
	if err != nil {
		return nil, err
	}
	res, err := resp.Object()
	if err != nil {
		return nil, err
	}
	recs, _ := res["records"].([]any)
	out := make([]map[string]any, 0, len(recs))
	for _, r := range recs {
		if m, ok := r.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out, nil
}

// user finds the User with that username; none is a 404.
func (c *salesforceClient) user(ctx context.Context, username string) (map[string]any, error) {
	recs, err := c.query(ctx, "SELECT Id, IsActive FROM User WHERE Username = "+soqlQuote(username))
	if err != nil {
		return nil, err
	}
	if len(recs) == 0 || String(recs[0], "Id") == "" {
		return nil, effect.HTTPError(404, fmt.Sprintf("NOT_FOUND: no Salesforce user has the username %s", username))
	}
	return recs[0], nil
}

// userLogin finds the UserLogin of a user; none is a 404.
func (c *salesforceClient) userLogin(ctx context.Context, userID string) (map[string]any, error) {
	recs, err := c.query(ctx, "SELECT Id, IsFrozen FROM UserLogin WHERE UserId = "+soqlQuote(userID))
	if err != nil {
		return nil, err
	}
	if len(recs) == 0 || String(recs[0], "Id") == "" {
		return nil, effect.HTTPError(404, fmt.Sprintf("NOT_FOUND: user %s has no UserLogin record", userID))
	}
	return recs[0], nil
}
