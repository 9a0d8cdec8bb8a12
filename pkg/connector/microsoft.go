package connector

import (
	"context"
	"net/url"
	"sort"
	"strings"

	"github.com/jml-dev/jml/pkg/effect"
)

// graphDirectoryObjects is the prefix of the @odata.id of a member
// reference (group-post-members).
const graphDirectoryObjects = "https://graph.microsoft.com/v1.0/directoryObjects/"

// msUserFields are the user properties getUser selects.
const msUserFields = "id,userPrincipalName,accountEnabled,displayName,mail,licenseAssignmentStates"

// microsoftClient calls Microsoft Graph v1.0.
type microsoftClient struct{ in *Instance }

func newMicrosoft(in *Instance) Client { return &microsoftClient{in: in} }

// Do performs one action.
func (c *microsoftClient) Do(ctx context.Context, req effect.Request) (map[string]any, error) {
	if req.Action == "listSubscribedSkus" {
		return c.listSubscribedSkus(ctx)
	}
	keys, err := Require(req.Input, "userId")
	if err != nil {
		return nil, err
	}
	userID := keys[0]
	user := "/v1.0/users/" + Seg(userID)
	switch req.Action {
	case "getUser":
		u, err := c.getUser(ctx, userID, msUserFields)
		if err != nil {
			return nil, err
		}
		b, _ := u["accountEnabled"].(bool)
		states, _ := u["licenseAssignmentStates"].([]any)
		lic := make([]any, 0, len(states))
		for _, s := range states {
			m, _ := s.(map[string]any)
			var group any
			if g := String(m, "assignedByGroup"); g != "" {
				group = g
			}
			lic = append(lic, map[string]any{"skuId": String(m, "skuId"), "assignedByGroup": group, "state": String(m, "state")})
		}
		return map[string]any{"id": String(u, "id"), "userPrincipalName": String(u, "userPrincipalName"),
			"accountEnabled": b, "displayName": String(u, "displayName"), "mail": String(u, "mail"),
			"licenseAssignmentStates": lic}, nil
	case "disableUser", "enableUser":
		enabled := req.Action == "enableUser"
		return c.empty(c.in.Call(ctx, "PATCH", user, nil, map[string]any{"accountEnabled": enabled}, nil))
	case "sendMail":
		return c.sendMail(ctx, user, req.Input)
	case "revokeSignInSessions":
		return c.empty(c.in.Call(ctx, "POST", user+"/revokeSignInSessions", nil, nil, nil))
	case "assignLicense":
		ks, err := Require(req.Input, "skuId")
		if err != nil {
			return nil, err
		}
		disabled, err := msStrings(req.Input, "disabledPlans")
		if err != nil {
			return nil, err
		}
		body := map[string]any{
			"addLicenses":    []any{map[string]any{"skuId": ks[0], "disabledPlans": disabled}},
			"removeLicenses": []any{},
		}
		return c.empty(c.in.Call(ctx, "POST", user+"/assignLicense", nil, body, nil))
	case "removeLicenses":
		return c.removeLicenses(ctx, userID, req.Input)
	case "addToGroup", "removeFromGroup":
		ks, err := Require(req.Input, "groupId")
		if err != nil {
			return nil, err
		}
		if req.Action == "addToGroup" {
			return c.addToGroup(ctx, ks[0], userID)
		}
		return c.removeFromGroup(ctx, ks[0], userID)
	}
	return nil, Unsupported(c.in.Type, req.Action)
}

func (c *microsoftClient) empty(_ *Response, err error) (map[string]any, error) {
	if err != nil {
		return nil, err
	}
	return map[string]any{}, nil
}

// getUser reads a user's properties (user-get with $select).
func (c *microsoftClient) getUser(ctx context.Context, userID, fields string) (map[string]any, error) {
	resp, err := c.in.Call(ctx, "GET", "/v1.0/users/"+Seg(userID), url.Values{"$select": {fields}}, nil, nil)
	if err != nil {
		return nil, err
	}
	return resp.Object()
}

// objectID returns the object id of a user given by id or by
// userPrincipalName: member references name directory objects by id.
func (c *microsoftClient) objectID(ctx context.Context, userID string) (string, bool, error) {
	if !strings.Contains(userID, "@") {
		return userID, false, nil
	}
	u, err := c.getUser(ctx, userID, "id")
	if err != nil {
		return "", false, err
	}
	if id := String(u, "id"); id != "" {
		return id, true, nil
	}
	return "", false, &effect.Error{Code: "bad_response", Message: "Graph returned a user without an id"}
}

// msStrings reads an optional list-of-strings input ([] when absent).
func msStrings(in map[string]any, key string) ([]any, error) {
	v, ok := in[key]
	if !ok || v == nil {
		return []any{}, nil
	}
	l, ok := v.([]any)
	if !ok {
		return nil, &effect.Error{Status: 400, Code: "invalid_input", Message: "input \"" + key + "\" must be a list"}
	}
	for _, e := range l {
		if _, ok := e.(string); !ok {
			return nil, &effect.Error{Status: 400, Code: "invalid_input", Message: "input \"" + key + "\" must be a list of strings"}
		}
	}
	return l, nil
}

// removeLicenses removes the given SKUs (all when none are given) that
// are assigned to the user directly, and reports those the user holds
// through a group. Graph refuses to remove a licence the user does not
// hold, and one inherited from a group ("User license is inherited from a
// group membership and it cannot be removed directly from the user."), so
// the user's licenseAssignmentStates are read first: an assignment whose
// assignedByGroup is null is direct, any other names the group. A SKU
// held both ways loses its direct assignment and is reported as
// inherited. The action is idempotent.
func (c *microsoftClient) removeLicenses(ctx context.Context, userID string, in map[string]any) (map[string]any, error) {
	want, err := msStrings(in, "skuIds")
	if err != nil {
		return nil, err
	}
	all := in["skuIds"] == nil
	u, err := c.getUser(ctx, userID, "licenseAssignmentStates")
	if err != nil {
		return nil, err
	}
	wanted := func(sku string) bool {
		if all {
			return true
		}
		for _, w := range want {
			if strings.EqualFold(w.(string), sku) {
				return true
			}
		}
		return false
	}
	states, _ := u["licenseAssignmentStates"].([]any)
	direct := map[string]string{} // lower(skuId) → skuId as given, or as Graph spells it
	type inheritance struct{ sku, group string }
	seen := map[inheritance]bool{}
	var inherited []inheritance
	for _, s := range states {
		m, _ := s.(map[string]any)
		sku := String(m, "skuId")
		if sku == "" || !wanted(sku) {
			continue
		}
		if group := String(m, "assignedByGroup"); group != "" {
			if k := (inheritance{strings.ToLower(sku), group}); !seen[k] {
				seen[k] = true
				inherited = append(inherited, inheritance{sku, group})
			}
			continue
		}
		direct[strings.ToLower(sku)] = sku
	}
	remove := []string{}
	if all {
		for _, sku := range direct {
			remove = append(remove, sku)
		}
	} else {
		// The flow's spelling, once per SKU.
		for _, w := range want {
			k := strings.ToLower(w.(string))
			if _, ok := direct[k]; ok {
				remove = append(remove, w.(string))
				delete(direct, k)
			}
		}
	}
	sort.Strings(remove)
	body := make([]any, len(remove))
	for i, s := range remove {
		body[i] = s
	}
	// Always sent, even empty, so that the call is made (and fails) as the
	// action's one write.
	req := map[string]any{"addLicenses": []any{}, "removeLicenses": body}
	if _, err := c.in.Call(ctx, "POST", "/v1.0/users/"+Seg(userID)+"/assignLicense", nil, req, nil); err != nil {
		return nil, err
	}
	sort.Slice(inherited, func(i, j int) bool {
		a, b := inherited[i], inherited[j]
		if la, lb := strings.ToLower(a.sku), strings.ToLower(b.sku); la != lb {
			return la < lb
		}
		return a.group < b.group
	})
	inh := make([]any, len(inherited))
	for i, x := range inherited {
		inh[i] = map[string]any{"skuId": x.sku, "groupId": x.group}
	}
	return map[string]any{"removed": body, "inherited": inh}, nil
}

// addToGroup adds a member reference; Graph's 400 "One or more added
// object references already exist" is the idempotent success.
func (c *microsoftClient) addToGroup(ctx context.Context, groupID, userID string) (map[string]any, error) {
	id, _, err := c.objectID(ctx, userID)
	if err != nil {
		return nil, err
	}
	body := map[string]any{"@odata.id": graphDirectoryObjects + Seg(id)}
	_, err = c.in.Call(ctx, "POST", "/v1.0/groups/"+Seg(groupID)+"/members/$ref", nil, body, nil)
	if e := effect.AsError(err); e != nil && !(e.Status == 400 && strings.Contains(e.Message, "already exist")) {
		return nil, err
	}
	return map[string]any{}, nil
}

// removeFromGroup deletes a member reference. Graph answers 404 for a
// missing group, a missing user and a user who is not a member; only the
// last is the idempotent success, so a 404 is followed by lookups of the
// group and the user.
func (c *microsoftClient) removeFromGroup(ctx context.Context, groupID, userID string) (map[string]any, error) {
	id, known, err := c.objectID(ctx, userID)
	if err != nil {
		return nil, err
	}
	group := "/v1.0/groups/" + Seg(groupID)
	_, err = c.in.Call(ctx, "DELETE", group+"/members/"+Seg(id)+"/$ref", nil, nil, nil)
	e := effect.AsError(err)
	if e == nil {
		return map[string]any{}, nil
	}
	if e.Status != 404 {
		return nil, err
	}
	if _, gerr := c.in.Call(ctx, "GET", group, url.Values{"$select": {"id"}}, nil, nil); gerr != nil {
		return nil, gerr
	}
	if !known {
		if _, uerr := c.getUser(ctx, id, "id"); uerr != nil {
			return nil, uerr
		}
	}
	return map[string]any{}, nil
}

// listSubscribedSkus reads the organisation's licences (subscribedsku-list:
// one page, no @odata.nextLink).
func (c *microsoftClient) listSubscribedSkus(ctx context.Context) (map[string]any, error) {
	resp, err := c.in.Call(ctx, "GET", "/v1.0/subscribedSkus", nil, nil, nil)
	if err != nil {
		return nil, err
	}
	body, err := resp.Object()
	if err != nil {
		return nil, err
	}
	value, _ := body["value"].([]any)
	skus := make([]any, 0, len(value))
	for _, v := range value {
		m, _ := v.(map[string]any)
		units, _ := m["prepaidUnits"].(map[string]any)
		prepaid := map[string]any{}
		for _, k := range []string{"enabled", "suspended", "warning", "lockedOut"} {
			prepaid[k] = msNumber(units[k])
		}
		in, _ := m["servicePlans"].([]any)
		plans := make([]any, 0, len(in))
		for _, p := range in {
			pm, _ := p.(map[string]any)
			plans = append(plans, map[string]any{"servicePlanId": String(pm, "servicePlanId"), "servicePlanName": String(pm, "servicePlanName"),
				"provisioningStatus": String(pm, "provisioningStatus"), "appliesTo": String(pm, "appliesTo")})
		}
		skus = append(skus, map[string]any{"id": String(m, "id"), "skuId": String(m, "skuId"), "skuPartNumber": String(m, "skuPartNumber"),
			"appliesTo": String(m, "appliesTo"), "capabilityStatus": String(m, "capabilityStatus"),
			"consumedUnits": msNumber(m["consumedUnits"]), "prepaidUnits": prepaid, "servicePlans": plans})
	}
	return map[string]any{"skus": skus}, nil
}

// msNumber is a count of Graph's answer (an Edm.Int32; 0 when absent).
func msNumber(v any) any {
	if v == nil {
		return int64(0)
	}
	return v
}

// sendMail sends a message from the user's mailbox (user-sendmail). The
// action's parameters are spelled as the v1.0 $metadata declares them
// (Message, SaveToSentItems), which the contract test holds it to; the
// reference page's examples write message and saveToSentItems, and
// microsoftgraph/microsoft-graph-docs issue 10518 reports the parameters
// case-sensitive as Message and SaveToSentItems. Graph answers 202
// Accepted with no body.
func (c *microsoftClient) sendMail(ctx context.Context, user string, in map[string]any) (map[string]any, error) {
	ks, err := Require(in, "to", "subject", "body")
	if err != nil {
		return nil, err
	}
	contentType := "Text"
	if ct, _ := in["contentType"].(string); ct != "" {
		switch {
		case strings.EqualFold(ct, "text"):
		case strings.EqualFold(ct, "html"):
			contentType = "HTML"
		default:
			return nil, &effect.Error{Status: 400, Code: "invalid_input", Message: "input \"contentType\" must be Text or HTML, not " + ct}
		}
	}
	msg := map[string]any{
		"subject":      ks[1],
		"body":         map[string]any{"contentType": contentType, "content": ks[2]},
		"toRecipients": msRecipients(ks[0]),
	}
	if cc, _ := in["cc"].(string); strings.TrimSpace(cc) != "" {
		msg["ccRecipients"] = msRecipients(cc)
	}
	if bcc, _ := in["bcc"].(string); strings.TrimSpace(bcc) != "" {
		msg["bccRecipients"] = msRecipients(bcc)
	}
	return c.empty(c.in.Call(ctx, "POST", user+"/sendMail", nil, map[string]any{"Message": msg, "SaveToSentItems": true}, nil))
}

// msRecipients turns a comma-separated address list into Graph recipients.
func msRecipients(list string) []any {
	out := []any{}
	for _, a := range strings.Split(list, ",") {
		if a = strings.TrimSpace(a); a != "" {
			out = append(out, map[string]any{"emailAddress": map[string]any{"address": a}})
		}
	}
	return out
}
