package connector

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/url"
	"strconv"
	"strings"

	"github.com/jml-dev/jml/pkg/effect"
)

// googleCredentialActions are the Directory API actions on a user's
// application-specific passwords, OAuth tokens and mobile devices.
var googleCredentialActions = map[string]bool{
	"listASPs": true, "deleteASP": true, "listTokens": true, "deleteToken": true,
	"listMobileDevices": true, "deleteMobileDevice": true,
}

// googleMaxPages bounds listMobileDevices' paging (100 devices a page):
// a server that keeps answering a nextPageToken cannot keep jml reading.
const googleMaxPages = 1000

// credentials performs one of googleCredentialActions. A delete of an
// ASP, token or device that is gone fails with Google's 404, as the
// catalogue's Repeat says.
func (c *googleClient) credentials(ctx context.Context, req effect.Request) (map[string]any, error) {
	switch req.Action {
	case "listMobileDevices", "deleteMobileDevice":
		customer := String(req.Input, "customerId")
		if customer == "" {
			customer = "my_customer"
		}
		devices := "/admin/directory/v1/customer/" + Seg(customer) + "/devices/mobile"
		if req.Action == "deleteMobileDevice" {
			keys, err := Require(req.Input, "resourceId")
			if err != nil {
				return nil, err
			}
			if _, err := c.in.Call(ctx, "DELETE", devices+"/"+Seg(keys[0]), nil, nil, nil); err != nil {
				return nil, err
			}
			return map[string]any{}, nil
		}
		keys, err := Require(req.Input, "email")
		if err != nil {
			return nil, err
		}
		return c.listMobileDevices(ctx, devices, keys[0])
	}
	keys, err := Require(req.Input, "userKey")
	if err != nil {
		return nil, err
	}
	user := googleUsers + Seg(keys[0])
	switch req.Action {
	case "listASPs", "listTokens":
		res, out := "/asps", "asps"
		if req.Action == "listTokens" {
			res, out = "/tokens", "tokens"
		}
		// asps.list and tokens.list answer every item at once: Google's
		// Asps and Tokens have no nextPageToken.
		resp, err := c.in.Call(ctx, "GET", user+res, nil, nil, nil)
		if err != nil {
			return nil, err
		}
		list, err := resp.Object()
		if err != nil {
			return nil, err
		}
		items, _ := list["items"].([]any)
		var fields func(map[string]any) map[string]any = googleASP
		if req.Action == "listTokens" {
			fields = googleToken
		}
		return map[string]any{out: googleItems(items, fields)}, nil
	case "deleteASP":
		id, err := googleCodeID(req.Input["codeId"])
		if err != nil {
			return nil, err
		}
		if _, err := c.in.Call(ctx, "DELETE", user+"/asps/"+id, nil, nil, nil); err != nil {
			return nil, err
		}
		return map[string]any{}, nil
	case "deleteToken":
		keys, err := Require(req.Input, "clientId")
		if err != nil {
			return nil, err
		}
		if _, err := c.in.Call(ctx, "DELETE", user+"/tokens/"+Seg(keys[0]), nil, nil, nil); err != nil {
			return nil, err
		}
		return map[string]any{}, nil
	}
	return nil, Unsupported(c.in.Type, req.Action)
}

// listMobileDevices reads every page of mobiledevices.list for the
// owner's address (the Directory API's search syntax, email:ADDRESS) and
// keeps the devices whose email list holds the address: the search is
// Google's, the answer is the owner's devices only.
func (c *googleClient) listMobileDevices(ctx context.Context, devices, email string) (map[string]any, error) {
	all := []any{}
	err := googleEachPage(ctx, c.in, "mobiledevices.list", devices, url.Values{"query": {"email:" + email}}, "mobiledevices", func(it map[string]any) {
		if d := googleMobileDevice(it); googleOwns(d, email) {
			all = append(all, d)
		}
	})
	if err != nil {
		return nil, err
	}
	return map[string]any{"mobileDevices": all}, nil
}

// googleEachPage reads every page of a Google list method (method names
// it in errors), following nextPageToken up to googleMaxPages, and calls
// each with every object of the page's list key.
func googleEachPage(ctx context.Context, api *Instance, method, path string, query url.Values, key string, each func(map[string]any)) error {
	for page := 0; ; page++ {
		if page == googleMaxPages {
			return &effect.Error{Status: 502, Code: "bad_response", Message: fmt.Sprintf("%s answered more than %d pages", method, googleMaxPages)}
		}
		resp, err := api.Call(ctx, "GET", path, query, nil, nil)
		if err != nil {
			return err
		}
		list, err := resp.Object()
		if err != nil {
			return err
		}
		items, _ := list[key].([]any)
		for _, it := range items {
			if m, ok := it.(map[string]any); ok {
				each(m)
			}
		}
		next := String(list, "nextPageToken")
		if next == "" {
			return nil
		}
		query.Set("pageToken", next)
	}
}

// googleOwns reports whether a device's email list holds the address.
func googleOwns(d map[string]any, email string) bool {
	l, _ := d["email"].([]any)
	for _, e := range l {
		if s, _ := e.(string); strings.EqualFold(strings.TrimSpace(s), strings.TrimSpace(email)) {
			return true
		}
	}
	return false
}

// googleItems maps each object of a list with fields, skipping others.
func googleItems(items []any, fields func(map[string]any) map[string]any) []any {
	out := make([]any, 0, len(items))
	for _, it := range items {
		if m, ok := it.(map[string]any); ok {
			out = append(out, fields(m))
		}
	}
	return out
}

// googleASP maps an Asp resource to listASPs' item fields.
func googleASP(a map[string]any) map[string]any {
	// Response.JSON has made Google's integer an int64 already.
	return map[string]any{"codeId": a["codeId"], "name": String(a, "name"), "creationTime": String(a, "creationTime"),
		"lastTimeUsed": String(a, "lastTimeUsed"), "userKey": String(a, "userKey")}
}

// googleToken maps a Token resource to listTokens' item fields.
func googleToken(tk map[string]any) map[string]any {
	scopes, _ := tk["scopes"].([]any)
	if scopes == nil {
		scopes = []any{}
	}
	b := func(k string) bool { v, _ := tk[k].(bool); return v }
	return map[string]any{"clientId": String(tk, "clientId"), "displayText": String(tk, "displayText"), "scopes": scopes,
		"anonymous": b("anonymous"), "nativeApp": b("nativeApp"), "userKey": String(tk, "userKey")}
}

// googleMobileDevice maps a MobileDevice resource to listMobileDevices'
// item fields.
func googleMobileDevice(d map[string]any) map[string]any {
	email, _ := d["email"].([]any)
	if email == nil {
		email = []any{}
	}
	return map[string]any{"resourceId": String(d, "resourceId"), "deviceId": String(d, "deviceId"), "email": email,
		"model": String(d, "model"), "os": String(d, "os"), "status": String(d, "status"), "type": String(d, "type")}
}

// googleCodeID renders deleteASP's codeId, Google's int32, as a path
// segment; a string of digits is taken too (a value read from a record).
func googleCodeID(v any) (string, error) {
	bad := func() error {
		return &effect.Error{Status: 400, Code: "invalid_input", Message: fmt.Sprintf(`input "codeId" must be an ASP's integer code ID, not %v`, v)}
	}
	var n int64
	switch x := v.(type) {
	case nil:
		return "", &effect.Error{Status: 400, Code: "invalid_input", Message: `input "codeId" is required`}
	case int64:
		n = x
	case int:
		n = int64(x)
	case float64:
		if x != math.Trunc(x) || math.IsInf(x, 0) {
			return "", bad()
		}
		n = int64(x)
	case json.Number:
		i, err := x.Int64()
		if err != nil {
			return "", bad()
		}
		n = i
	case string:
		i, err := strconv.ParseInt(strings.TrimSpace(x), 10, 64)
		if err != nil {
			return "", bad()
		}
		n = i
	default:
		return "", bad()
	}
	if n < math.MinInt32 || n > math.MaxInt32 {
		return "", bad()
	}
	return strconv.FormatInt(n, 10), nil
}
