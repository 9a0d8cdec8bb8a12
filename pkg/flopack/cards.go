package flopack

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/jml-dev/jml/pkg/catalog"
)

// appAction is how an Okta Workflows app card becomes a jml action.
type appAction struct {
	typ, action string
	inputs      map[string]string // Okta input ("Group.key" or "key") → jml input
	special     func(t *ftr, c *Card, with *yaml.Node) string
	output      func(key string) string // Okta output key → jml output path
	list        string                  // the output a streaming card's forEach walks ("users" when empty)
}

func userOutput(k string) string {
	if f, ok := userField[k]; ok {
		return f
	}
	if isIdent(k) { // Read User lists the profile attributes by their names
		return "profile." + k
	}
	return "profile." + ident(k, "value")
}

func camelOutput(k string) string { return ident(k, "value") }

var appActions = map[string]appAction{
	"okta.readUser":    {typ: "okta", action: "getUser", inputs: map[string]string{"ID or Login": "userId", "User.ID or Login": "userId"}, output: userOutput},
	"okta.suspendUser": {typ: "okta", action: "suspendUser", inputs: map[string]string{"User.id": "userId", "User.ID": "userId"}},
	// Okta's Update User with POST semantics updates the profile
	// attributes it is given (POST /api/v1/users/{id}), as
	// okta.updateUserProfile does.
	"okta.updateUser":     {typ: "okta", action: "updateUserProfile", inputs: map[string]string{"User.id": "userId", "User.ID": "userId"}, special: updateUser, output: userOutput},
	"okta.unsuspendUser":  {typ: "okta", action: "unsuspendUser", inputs: map[string]string{"User.id": "userId", "User.ID": "userId"}},
	"okta.deactivateUser": {typ: "okta", action: "deactivateUser", inputs: map[string]string{"User.id": "userId", "User.ID": "userId", "Send Email?": "sendEmail"}},
	// Okta's Delete User card makes the same call as okta.deleteUser
	// (DELETE /api/v1/users/{id}: deactivates, or deletes a DEPROVISIONED user).
	"okta.deleteUser":          {typ: "okta", action: "deleteUser", inputs: map[string]string{"User.id": "userId", "User.ID": "userId", "User.Send Email?": "sendEmail", "Send Email?": "sendEmail"}},
	"okta.clearUserSessions":   {typ: "okta", action: "clearUserSessions", inputs: map[string]string{"User.ID": "userId", "User.Revoke oauthTokens?": "oauthTokens"}},
	"okta.removeUserFromGroup": {typ: "okta", action: "removeUserFromGroup", inputs: map[string]string{"User.id": "userId", "Group.id": "groupId"}},
	"okta.addUserToGroup":      {typ: "okta", action: "addUserToGroup", inputs: map[string]string{"User.id": "userId", "Group.id": "groupId"}},
	// The newer Add User to Group card: the same PUT /groups/{id}/users/{id}.
	// Its Status output (the HTTP status) is not imported.
	"okta.addNewUserToGroup":   {typ: "okta", action: "addUserToGroup", inputs: map[string]string{"User.id": "userId", "Group.id": "groupId"}},
	"okta.listUsersWithFilter": {typ: "okta", action: "listUsers", special: listUsersBy("filter"), output: func(k string) string { return "users" }},
	"okta.listUsersWithSearch": {typ: "okta", action: "listUsers", special: listUsersBy("search"), output: func(k string) string { return "users" }},
	"okta.getUsersGroups":      {typ: "okta", action: "listUserGroups", list: "groups", special: userGroups, inputs: map[string]string{"User.ID": "userId"}, output: func(k string) string { return "groups" }},
	"slack.sendMessageToChannel2": {typ: "slack", action: "postMessage", inputs: map[string]string{"Message.Text": "text", "channel": "channel"}, special: slackMessage,
		output: func(k string) string {
			if k == "Timestamp" {
				return "ts"
			}
			return ident(k, "value")
		}},
	"office365admin.readUser":           {typ: "microsoft", action: "getUser", inputs: map[string]string{"User.ID or Email": "userId"}, output: msUserOutput},
	"office365admin.enableUserAccount":  {typ: "microsoft", action: "enableUser", inputs: map[string]string{"User.id": "userId"}, output: msNoOutput},
	"office365admin.disableUserAccount": {typ: "microsoft", action: "disableUser", inputs: map[string]string{"User.id": "userId"}, output: msNoOutput},
	"office365admin.getLicenses":        {typ: "microsoft", action: "listSubscribedSkus", output: msLicenses},
	"office365admin.assignLicenseToUser": {typ: "microsoft", action: "assignLicense", output: msNoOutput,
		inputs: map[string]string{"User.id": "userId", "License.skuId": "skuId", "License.disabledPlans": "disabledPlans"}},
	"office365admin.removeLicenseFromUser": {typ: "microsoft", action: "removeLicenses", output: msNoOutput, special: removeLicense,
		inputs: map[string]string{"User.id": "userId"}},
	"office365mail.sendEmail2":       {typ: "microsoft", action: "sendMail", output: msNoOutput, special: sendEmail},
	"googledirectory.readUser":       {typ: "google", action: "getUser", inputs: map[string]string{"Read By.User ID": "userKey"}, output: googleOutput},
	"googledirectory.deactivateUser": {typ: "google", action: "suspendUser", inputs: map[string]string{"User.ID": "userKey"}},
	// Google Drive's and Google Calendar's transfer requests move the
	// user's Drive files and future events, as google.transferDrive and
	// google.transferCalendar do.
	"googledrive.createTransferRequest":    {typ: "google", action: "transferDrive", inputs: googleTransferInputs, output: googleTransferOutput},
	"googlecalendar.createTransferRequest": {typ: "google", action: "transferCalendar", inputs: googleTransferInputs, output: googleTransferOutput},
	// A leaver's remaining Google credentials: the Read All cards' lists
	// (their items' fields read by googleField) and the deletes, whose
	// Status Code output is not imported. Read All User Devices' "Device
	// ID" is Google's deviceId, the serial number, not the resourceId
	// Delete User Device takes (see docs/import.md).
	"googledirectory.readAllUserASPs": {typ: "google", action: "listASPs", inputs: map[string]string{"Read By.User ID": "userKey"},
		output: googleList("ASPs", "asps")},
	"googledirectory.deleteUserASP": {typ: "google", action: "deleteASP", output: msNoOutput,
		inputs: map[string]string{"User.User ID": "userKey", "ASP.Code ID": "codeId"}},
	"googledirectory.readAllUserAccessTokens": {typ: "google", action: "listTokens", inputs: map[string]string{"Read By.User ID": "userKey"},
		output: googleList("Access Tokens", "tokens")},
	"googledirectory.deleteUserAccessTokens": {typ: "google", action: "deleteToken", output: msNoOutput,
		inputs: map[string]string{"User.User ID": "userKey", "Access Token.Client ID": "clientId"}},
	"googledirectory.readAllUserDevices": {typ: "google", action: "listMobileDevices", inputs: map[string]string{"Read By.Email": "email"},
		output: googleList("Mobile Devices", "mobileDevices")},
	"googledirectory.deleteUserDevice": {typ: "google", action: "deleteMobileDevice", output: msNoOutput,
		inputs: map[string]string{"User Device.Resource ID": "resourceId"}},
	// A leaver's Google licences: Read User Licenses' list (its items'
	// productId and skuId are google.listUserLicenses' fields of the same
	// names) and Unassign License from User, whose Product input is one
	// licence, {productId, skuId}; its Results output is not imported.
	"googledirectory.readAllUserLicenses": {typ: "google", action: "listUserLicenses", inputs: map[string]string{"User.ID": "userKey"},
		output: googleList("Licenses", "licenses")},
	"googledirectory.unassignLicenseFromUser": {typ: "google", action: "unassignLicense", output: msNoOutput, special: unassignLicense,
		inputs: map[string]string{"User.id": "userKey"}},
}

// googleList is the output of a Google Read All card: its one list, key,
// is the action's output out.
func googleList(key, out string) func(string) string {
	return func(k string) string {
		if k == key {
			return out
		}
		return ""
	}
}

// Office 365 cards run on jml's microsoft connector (Microsoft Graph).
// Their outputs jml's actions do not return are not imported: a card
// reading one is a todo.
var (
	// Read User's outputs that are getUser's (of Graph's user resource).
	msUserOutput = func(k string) string {
		switch k {
		case "id", "accountEnabled", "licenseAssignmentStates", "displayName", "userPrincipalName", "mail":
			return k
		}
		return ""
	}
	msNoOutput = func(string) string { return "" }
	// Get Licenses' one output, the list of the organisation's SKUs
	// (its items' fields read by skuField).
	msLicenses = func(k string) string {
		if k == "Licenses" {
			return "skus"
		}
		return ""
	}
)

func googleOutput(k string) string {
	switch k {
	case "Id":
		return "id"
	case "Primary Email":
		return "primaryEmail"
	case "Is Admin?":
		return "isAdmin"
	case "Suspended?", "Suspended":
		return "suspended"
	case "Org Unit Path":
		return "orgUnitPath"
	}
	return ident(k, "value")
}

// listUsersBy: Okta's List Users with Filter / with Search take the
// attributes to match as inputs; jml's okta.listUsers takes Okta's filter
// or search expression (param), built from the literal inputs.
func listUsersBy(param string) func(t *ftr, c *Card, with *yaml.Node) string {
	return func(t *ftr, c *Card, with *yaml.Node) string {
		// clauses are CEL expressions of text: a literal input's clause
		// quoted, a connected one's built at run time (searchClause).
		var clauses []string
		quoted, custom, first200 := false, false, false
		var stream *yaml.Node // the helper call of Stream Matching Records
		// The result set decides how the Limit is read, wherever the
		// card lists it among its inputs.
		for _, f := range c.Inputs {
			switch {
			case f.Key != "resultSet":
			case f.Value == "Stream Matching Records":
				var why string
				if stream, why = t.streamCall(c, "Stream Matching Records"); why != "" {
					return why
				}
			case f.Value == "First 200 Matching Records" || f.Value == "First 200 Records":
				first200 = true
			}
		}
		for _, f := range c.Inputs {
			switch {
			case f.Key == "resultSet":
				switch {
				case f.Value == "All Matching Records" || stream != nil:
				case first200:
					// okta.listUsers reads pages until limit users.
					set(with, "limit", plain("200", "!!int"))
					t.im.decide("List Users' result set First 200 Matching Records is okta.listUsers with limit: 200 (the first 200 users Okta lists, across pages)")
				default:
					return fmt.Sprintf("result set %v: only \"All Matching Records\", \"First 200 Matching Records\" and \"Stream Matching Records\" are imported", f.Value)
				}
			case f.Group == "Search Criteria" && f.Key == "Limit" && first200:
				if isPinned(t, c, f) || !emptyLiteral(f.Value) {
					return "a Limit with the result set First 200 Matching Records is not imported"
				}
			case f.Group == "Streaming" && stream != nil:
				// in the call's state
			case f.Group == "Search Criteria" && f.Key == "Limit":
				v, why := t.value(c, f, "")
				if why != "" {
					return why
				}
				set(with, "limit", v)
			case f.Group == "Inputs":
				if isPinned(t, c, f) {
					e, why := t.expr(c, f, "")
					if why != "" {
						return why
					}
					if f.Key == "Custom Search Criteria" {
						// A search expression the flow builds itself, as
						// Okta passes it.
						clauses = append(clauses, "string("+e+")")
						custom = true
					} else {
						clauses = append(clauses, searchClause(f.Key, e))
						quoted = true
					}
					continue
				}
				s, ok := f.Value.(string)
				switch {
				case !ok || s == "":
				case f.Key == "Custom Search Criteria":
					clauses = append(clauses, strconv.Quote(s))
				default:
					clauses = append(clauses, strconv.Quote(fmt.Sprintf("%s eq %s", f.Key, strconv.Quote(s))))
				}
			case f.Group != "parameters" && (isPinned(t, c, f) || !emptyLiteral(f.Value)):
				return fmt.Sprintf("input %q has no okta.listUsers equivalent", f.Key)
			}
		}
		if len(clauses) == 0 {
			return "no " + param
		}
		if custom && len(clauses) == 1 {
			return `its one search criterion is a connected Custom Search Criteria: empty, it would list every user`
		}
		if custom {
			t.im.decide("List Users with Search with a connected Custom Search Criteria passes the text the flow builds as it is (as Okta passes it), after the other criteria and \" and \": an empty one leaves a search ending in \"and\", which is refused (the simulated world answers 400, Invalid search criteria), never one of every user; alone, it stays a todo")
		}
		if quoted {
			t.im.decide("List Users with Search with a connected input builds its search at run time: the value quoted as a JSON string (\\ and \" escaped), as in SCIM filters, which Okta's search follows; an empty value searches for the empty text (matching no one) rather than being left out, so an empty input never widens the search to every user")
		}
		if quoted || custom { // a connected input
			set(with, param, str("${{ "+strings.Join(clauses, ` + " and " + `)+" }}"))
		} else {
			lit := make([]string, len(clauses))
			for i, cl := range clauses {
				lit[i], _ = strconv.Unquote(cl)
			}
			set(with, param, str(strings.Join(lit, " and ")))
		}
		if stream != nil {
			t.stream = stream
			t.im.decide("Stream Matching Records becomes okta.listUsers then forEach over its users calling the streaming flow with record: item and state: the Streaming inputs")
		}
		return ""
	}
}

// searchClause is the CEL text of the search clause `KEY eq "VALUE"`
// for a value read at run time (expression e): the value quoted as a JSON
// string, its backslashes and double quotes escaped, so that no value can
// end the string and add a clause of its own.
func searchClause(key, e string) string {
	return fmt.Sprintf(`%s + string(%s).replace("\\", "\\\\").replace("\"", "\\\"") + "\""`, strconv.Quote(key+` eq "`), e)
}

// updateUser builds the profile: of Okta's Update User from its Profile
// inputs, each one given (a literal that is not empty, or connected) an
// attribute to update. Only the partial update (updateSemantics POST) is
// imported: PUT replaces the whole profile, which okta.updateUserProfile
// does not.
func updateUser(t *ftr, c *Card, with *yaml.Node) string {
	profile := mapping()
	for _, f := range c.Inputs {
		switch {
		case f.Group == "User" && strings.EqualFold(f.Key, "id"):
		case f.Key == "updateSemantics":
			if isPinned(t, c, f) || f.Value != "POST" {
				return fmt.Sprintf("updateSemantics %v: only POST (update the attributes given) is imported; PUT replaces the whole profile", f.Value)
			}
		case f.Group == "Profile":
			if !isPinned(t, c, f) && emptyLiteral(f.Value) {
				continue
			}
			v, why := t.value(c, f, "")
			if why != "" {
				return why
			}
			set(profile, f.Key, v)
		case f.Group != "parameters" && (isPinned(t, c, f) || !emptyLiteral(f.Value)):
			return fmt.Sprintf("input %q has no okta.updateUserProfile equivalent", f.Key)
		}
	}
	if len(profile.Content) == 0 {
		return "no profile attribute to update"
	}
	set(with, "profile", profile)
	t.im.decide("Update User with updateSemantics POST becomes okta.updateUserProfile: the Profile inputs given (a literal not empty, or connected) are the attributes updated, the others keep their value")
	return ""
}

// streamCall is the call: of the flow an app card streams its records to
// (Okta's Streaming group: the Flow, and the other inputs passed to every
// call as its State), with record: the item of a forEach over them.
func (t *ftr) streamCall(c *Card, what string) (*yaml.Node, string) {
	target, why := t.flowRef(t.input(c, "Flow"))
	if why != "" {
		return nil, what + ": the streaming flow " + why
	}
	state := flowMap()
	for _, f := range c.Inputs {
		if f.Group != "Streaming" || f.Key == "Flow" {
			continue
		}
		v, why := t.value(c, f, "")
		if why != "" {
			return nil, why
		}
		set(state, f.Key, v)
	}
	with := mapping("record", str("${{ item }}"))
	if len(state.Content) > 0 || t.im.takes(t.input(c, "Flow"), "state", nil) {
		set(with, "state", state)
	}
	return mapping("call", target, "with", with), ""
}

// userGroups is Okta's Get User's Groups streaming its records
// (resultSet Stream Records) to a flow: okta.listUserGroups, then a
// forEach over its groups calling that flow. jml's listUserGroups returns
// every group; a List Criteria Limit below a million (which no user's
// groups reach) would return fewer, and stays a todo.
func userGroups(t *ftr, c *Card, with *yaml.Node) string {
	var stream *yaml.Node
	for _, f := range c.Inputs {
		switch {
		case f.Key == "resultSet":
			if f.Value != "Stream Records" || isPinned(t, c, f) {
				return fmt.Sprintf("result set %v: only \"Stream Records\" is imported", f.Value)
			}
			var why string
			if stream, why = t.streamCall(c, "Stream Records"); why != "" {
				return why
			}
		case f.Group == "List Criteria" && f.Key == "Limit":
			n, ok := f.Value.(json.Number)
			if k, err := n.Int64(); isPinned(t, c, f) || !ok || err != nil || k < 1000000 {
				return fmt.Sprintf("Limit %v: okta.listUserGroups returns every group; only a literal Limit of a million or more is imported", f.Value)
			}
		case f.Group == "Streaming" || f.Group == "User" && f.Key == "ID":
		case f.Group != "parameters" && (isPinned(t, c, f) || !emptyLiteral(f.Value)):
			return fmt.Sprintf("input %q has no okta.listUserGroups equivalent", f.Key)
		}
	}
	if stream == nil {
		return "result set: only \"Stream Records\" is imported"
	}
	t.stream = stream
	t.im.decide("Get User's Groups streaming its records becomes okta.listUserGroups then forEach over its groups calling the streaming flow with record: item and state: the Streaming inputs; its Limit of a million or more is dropped (listUserGroups returns every group)")
	return ""
}

// card translates one card into steps (none for a card that only
// computes a value later cards read).
func (t *ftr) card(c *Card) []*yaml.Node {
	var n *yaml.Node
	var why string
	if c.Kernel {
		n, why = t.kernel(c)
	} else {
		n, why = t.app(c)
	}
	if why != "" {
		return []*yaml.Node{t.todo(c, why)}
	}
	t.rep.Translated++
	if n == nil {
		t.pending = append(t.pending, "Okta: "+cardLabel(c)+" (folded into the expressions below)")
		return nil
	}
	t.policy(c, n)
	if n.HeadComment == "" {
		n.HeadComment = "Okta: " + cardLabel(c)
	}
	out := append([]*yaml.Node{n}, t.after...)
	t.after = nil
	return out
}

func (t *ftr) policy(c *Card, n *yaml.Node) {
	if c.Kernel && c.Module == "control" && c.Method == "tryCatch" {
		return // its handler flow is the catch:
	}
	switch c.OnError {
	case "", "finish":
	case "ignore", "continue":
		if c.Kernel && c.Module == "control" && c.Method == "spawn" {
			return // ignoredCall put the call in a try:
		}
		set(n, "onError", str("continue"))
	case "retry":
		r := mapping("attempts", plain("3", "!!int"))
		if a, ok := c.Policy["attempts"].(json.Number); ok {
			r = mapping("attempts", plain(a.String(), "!!int"))
		}
		r.Style = yaml.FlowStyle
		set(n, "retry", r)
		t.im.decide("%s: Okta's retry error policy becomes retry: {attempts: N} with jml's default interval", cardLabel(c))
	default:
		n.FootComment = fmt.Sprintf("Okta error policy %q of %s (an error-handling flow) not imported: a failure stops the flow", c.OnError, cardLabel(c))
		t.im.decide("%s: error policy %q (a handler flow inside the card) not imported; a failure stops the flow, as in jml's default", cardLabel(c), c.OnError)
	}
}

// ignoredCall is a Call Flow card (its call: node n, of step id) whose
// error policy ignores a failure: the call in a try: with catch:
// [{continueIf: true}], which catches a failure of the call and of any
// card inside the helper (the engine's call passes a card failure inside
// the helper up as a failure an enclosing try catches; a call's onError:
// continue sees only the call's own). Each output the card gives is a var declared null under
// vars: and assigned from the call's output inside the try, so a later
// card reads null where the call failed, as Okta's ignored card gives no
// value:
//
//	steps:
//	  - try:
//	      - {id: ID, call: HELPER}
//	      - assign: {VAR: steps.ID.output.KEY}
//	    catch:
//	      - continueIf: true
func (t *ftr) ignoredCall(c *Card, id string, n *yaml.Node) *yaml.Node {
	body := seq(n)
	if len(c.Outputs) > 0 {
		a := mapping()
		for _, o := range c.Outputs {
			out := ident(o.Key, "value")
			v := unique(ident(id+" "+o.Key, "value"), t.stepIDs)
			t.im.flowVar(t.f, v)
			set(a, v, str("steps."+id+".output."+out))
			t.outExpr[c.ID+"/"+o.ID] = "vars." + v
		}
		body.Content = append(body.Content, mapping("assign", a))
	}
	t.im.decide("Call Flow whose error policy ignores a failure becomes its call in a try: with catch: [{continueIf: true}] (a failure inside the helper is ignored too, which onError: continue on the call would not catch); its outputs are vars declared null, assigned after the call")
	return mapping("try", body, "catch", seq(mapping("continueIf", plain("true", "!!bool"))))
}

// returns reports whether jml's action of am has output path out (its
// first field, by the catalogue): an Okta output mapped to a field the
// action does not return (Read User's Created: okta.getUser returns id,
// status, profile, lastLogin) is not imported, and a card reading it is
// a todo.
func returns(am appAction, out string) bool {
	conn, ok := catalog.Lookup(am.typ)
	if !ok {
		return false
	}
	a, ok := conn.Action(am.action)
	if !ok {
		return false
	}
	first, _, _ := strings.Cut(out, ".")
	first, _, _ = strings.Cut(first, "[")
	for _, f := range a.Outputs {
		if f.Name == first {
			return true
		}
	}
	return false
}

func (t *ftr) app(c *Card) (*yaml.Node, string) {
	t.stream = nil
	if c.Module == "stash" {
		return t.stash(c)
	}
	if c.Method == "hTTPRequest" && customAPIModules[c.Module] {
		return t.customAPI(c)
	}
	key := c.Module + "." + c.Method
	am, ok := appActions[key]
	if !ok {
		if connectorFor[c.Module] == "" {
			return nil, "jml has no connector for " + c.Module
		}
		return nil, "jml's " + connectorFor[c.Module] + " connector has no action for it"
	}
	inst := t.im.instanceFor(c)
	id := t.stepID(c)
	with := mapping()
	if am.special != nil {
		if why := am.special(t, c, with); why != "" {
			return nil, why
		}
	}
	for _, f := range c.Inputs {
		name, ok := am.inputs[f.Group+"."+f.Key]
		if !ok {
			name, ok = am.inputs[f.Key]
		}
		if !ok {
			continue
		}
		v, why := t.value(c, f, "")
		if why != "" {
			return nil, why
		}
		if f.Value == "" && !isPinned(t, c, f) {
			continue
		}
		set(with, name, v)
	}
	if am.special == nil {
		for _, f := range c.Inputs {
			_, a := am.inputs[f.Group+"."+f.Key]
			_, b := am.inputs[f.Key]
			if !a && !b && f.Group != "parameters" && (isPinned(t, c, f) || !emptyLiteral(f.Value)) {
				return nil, fmt.Sprintf("input %q has no %s.%s equivalent", f.Key, am.typ, am.action)
			}
		}
	}
	for _, o := range c.Outputs {
		if am.output == nil {
			continue
		}
		if out := am.output(o.Key); out != "" && returns(am, out) {
			t.outExpr[c.ID+"/"+o.ID] = "steps." + id + ".output." + out
		}
	}
	n := mapping("id", id, "action", inst+"."+am.action)
	if len(with.Content) > 0 {
		set(n, "with", with)
	}
	if t.stream != nil {
		list := am.list
		if list == "" {
			list = "users"
		}
		each := mapping("forEach", "steps."+id+".output."+list, "as", "item")
		set(each, "do", seq(t.stream))
		each.HeadComment = "Okta: the records " + cardLabel(c) + " streams to a flow"
		t.after = append(t.after, each)
		t.stream = nil
		for _, o := range c.Outputs {
			if o.Key == "Records Streamed" {
				t.outExpr[c.ID+"/"+o.ID] = "size(steps." + id + ".output." + list + ")"
			}
		}
	}
	return n, ""
}

func isPinned(t *ftr, c *Card, f *Field) bool { _, ok := t.in[c.ID][f.ID]; return ok }

var operators = map[string]string{"==": "==", "!=": "!=", ">=": ">=", "<=": "<=", ">": ">", "<": "<"}

// cond is the CEL condition of an If/Else or Continue If card (and of the
// True/False Compare and Assign If cards, whose inputs are the same).
func (t *ftr) cond(c *Card) (string, string) {
	return t.condOf(c, t.input(c, "left-operand"), t.input(c, "operator"), t.input(c, "right-operand"))
}

// condOf is the CEL condition of operands l and r (r may be nil) and
// operator op, inputs of card c (an If/ElseIf has a set for each branch).
func (t *ftr) condOf(c *Card, l, op, r *Field) (string, string) {
	if l == nil || op == nil {
		return "", "no operands"
	}
	if isPinned(t, c, op) {
		return "", "a connected operator is not imported (only a literal)"
	}
	ops, _ := op.Value.(string)
	le, why := t.expr(c, l, "")
	if why != "" {
		return "", why
	}
	var re string
	if r != nil && operators[ops] != "" { // (not) empty reads le alone
		if re, why = t.expr(c, r, ""); why != "" {
			return "", why
		}
	}
	if l.Type == "Date" && r != nil && r.Type == "Date" && operators[ops] != "" {
		// Okta compares two dates as instants; jml's dates (lastLogin,
		// run.startedAt) may be RFC 3339 text, which compares as text.
		if le, why = t.dateExpr(c, l); why != "" {
			return "", why
		}
		if re, why = t.dateExpr(c, r); why != "" {
			return "", why
		}
	}
	le, re = t.loose(c, le, ops, re, r)
	return compare(le, ops, re, r != nil)
}

// loose adjusts operands le and re (of right operand r, an input of c) to
// Okta's loose typing.
func (t *ftr) loose(c *Card, le, ops, re string, r *Field) (string, string) {
	if r != nil && !isPinned(t, c, r) {
		if n, ok := numericText(r.Value); ok {
			// Okta's loose typing compares a number with a text that
			// reads as one ("0", the usual right operand of a Length or a
			// count) as numbers; CEL compares neither int with string nor
			// int with double. An ordering compares them as doubles, an
			// equality as text (3.0 prints "3").
			switch operators[ops] {
			case "<", "<=", ">", ">=":
				le, re = "double("+le+")", "double("+n+")"
			case "==", "!=":
				le, re = "string("+le+")", strconv.Quote(n)
			}
		}
	}
	return le, re
}

// numericText is a literal text operand that reads as a number, as it
// reads.
func numericText(v any) (string, bool) {
	s, ok := v.(string)
	if !ok || s == "" || strings.TrimSpace(s) != s {
		return "", false
	}
	if _, err := strconv.ParseFloat(s, 64); err != nil || strings.ContainsAny(s, "xXpPeE_") || strings.EqualFold(s, "NaN") || strings.Contains(strings.ToLower(s), "inf") {
		return "", false
	}
	return s, true
}

// compare is the CEL of Okta's comparison operator ops between le and
// re (hasRight: the card has a right operand): the comparisons, and (not)
// empty, which read le alone.
func compare(le, ops, re string, hasRight bool) (string, string) {
	switch ops {
	case "is empty": // dyn: a value typed string is never null to CEL's checker
		return fmt.Sprintf("dyn(%s) == null || size(%s) == 0", le, le), ""
	case "is not empty":
		return fmt.Sprintf("dyn(%s) != null && size(%s) > 0", le, le), ""
	}
	cop, ok := operators[ops]
	if !ok || !hasRight {
		return "", fmt.Sprintf("operator %q is not imported", ops)
	}
	return le + " " + cop + " " + re, ""
}

// customInputs are the inputs a user added to a card (Assign, Return,
// Call Flow, For Each): every input but the card's own.
func customInputs(c *Card, own ...string) []*Field {
	var out []*Field
next:
	for _, f := range c.Inputs {
		if f.Group == "context" {
			continue
		}
		for _, o := range own {
			if f.Key == o {
				continue next
			}
		}
		out = append(out, f)
	}
	return out
}

var placeholder = regexp.MustCompile(`\{\{\{([^}]*)\}\}\}`)

func (t *ftr) kernel(c *Card) (*yaml.Node, string) {
	switch c.Module + "." + c.Method {
	case "control.tryCatch":
		return t.tryCatch(c)
	case "json.parse":
		return t.parseBody(c)
	case "list.shift":
		// Get First Item: the list's first item, null for an empty list
		// (lodash's head, as Okta's card gives). Its other outputs (the
		// rest of the list) are not imported: a card reading them is a
		// todo.
		le, why := t.inputExpr(c, "list")
		if why != "" {
			return nil, why
		}
		for _, o := range c.Outputs {
			if o.Key == "item" {
				t.outExpr[c.ID+"/"+o.ID] = fmt.Sprintf("(size(%s) > 0 ? dyn(%s[0]) : null)", le, le)
			}
		}
		t.im.decide("Get First Item is the list's first item, null for an empty list (size(L) > 0 ? dyn(L[0]) : null)")
		return nil, ""
	case "object.get":
		return t.objectGet(c)
	case "control.returnRaw":
		return t.returnRaw(c)
	case "control.if":
		cond, why := t.cond(c)
		if why != "" {
			return nil, why
		}
		n := mapping("if", cond)
		var thenB, elseB string
		for _, b := range sortedKeys(c.Branches) {
			if v, _ := c.Branches[b].(bool); v {
				thenB = b
			} else {
				elseB = b
			}
		}
		thenS, _ := t.sequence(thenB)
		if len(thenS.Content) == 0 {
			thenS.Content = append(thenS.Content, mapping("continueIf", plain("true", "!!bool")))
		}
		set(n, "then", thenS)
		if elseB != "" {
			if elseS, _ := t.sequence(elseB); len(elseS.Content) > 0 {
				set(n, "else", elseS)
			}
		}
		return n, ""
	case "control.branch":
		return t.branch(c)
	case "list.findBy":
		return t.find(c)
	case "object.expand":
		return nil, t.expand(c)
	case "control.throw":
		// Return Error: the flow stops as failed, with its message (its
		// status code is dropped).
		msg := t.input(c, "message")
		if msg == nil {
			return mapping("halt", str("error")), ""
		}
		v, why := t.value(c, msg, "")
		if why != "" {
			return nil, why
		}
		return mapping("halt", v), ""
	case "control.continueIf":
		cond, why := t.cond(c)
		if why != "" {
			return nil, why
		}
		return mapping("continueIf", cond), ""
	case "control.let":
		a := mapping()
		for _, f := range customInputs(c) {
			e, why := t.expr(c, f, "")
			if why != "" {
				return nil, why
			}
			set(a, ident(f.Key, "value"), str(e))
		}
		for _, o := range c.Outputs {
			t.outExpr[c.ID+"/"+o.ID] = "vars." + ident(o.Key, "value")
		}
		return mapping("assign", a), ""
	case "control.return":
		if t.mapped != nil {
			for _, f := range customInputs(c) {
				e, why := t.expr(c, f, "")
				if why != "" {
					return nil, why
				}
				t.mapped[f.Key] = e
			}
			return nil, ""
		}
		if t.returnVars != nil {
			// An If/ElseIf branch's Return: its values are the card's
			// outputs, assigned to the vars they read.
			a := mapping()
			for _, f := range customInputs(c) {
				e, why := t.expr(c, f, "")
				if why != "" {
					return nil, why
				}
				v, ok := t.returnVars[f.Key]
				if !ok {
					return nil, fmt.Sprintf("returns %q, which is not an output of the If/ElseIf card", f.Key)
				}
				set(a, v, str(e))
			}
			if len(a.Content) == 0 {
				return nil, ""
			}
			return mapping("assign", a), ""
		}
		if len(customInputs(c)) > 0 && !t.answers() {
			return nil, "returns values from a flow no one calls (jml's return: ends a helper, or answers an http: flow)"
		}
		r := mapping()
		for _, f := range customInputs(c) {
			v, why := t.value(c, f, "")
			if why != "" {
				return nil, why
			}
			name := ident(f.Key, "value")
			set(r, name, v)
			t.declareOutput(name)
		}
		return mapping("return", r), ""
	case "control.spawn":
		flo := t.input(c, "flo")
		target, why := t.flowRef(flo)
		if why != "" {
			return nil, why
		}
		id := t.stepID(c)
		with, why := t.callWith(c, flo, "", "flo")
		if why != "" {
			return nil, why
		}
		n := mapping("id", id, "call", target)
		if len(with.Content) > 0 {
			set(n, "with", with)
		}
		if c.OnError == "ignore" || c.OnError == "continue" {
			return t.ignoredCall(c, id, n), ""
		}
		for _, o := range c.Outputs {
			t.outExpr[c.ID+"/"+o.ID] = "steps." + id + ".output." + ident(o.Key, "value")
		}
		return n, ""
	case "list.each", "list.asyncEach":
		list := t.input(c, "list")
		if list == nil {
			return nil, "no list"
		}
		if src, ok := t.in[c.ID][list.ID]; ok && isEventCard(src.card) && src.out != nil && src.out.Key == "collection" {
			if body := t.input(c, "flo"); body != nil {
				if _, inline := body.Value.(map[string]any); inline {
					return t.eventEach(c, body)
				}
			}
		}
		le, why := t.expr(c, list, "")
		if why != "" {
			return nil, why
		}
		target, why := t.flowRef(t.input(c, "flo"))
		if why != "" {
			return nil, why
		}
		with, why := t.callWith(c, t.input(c, "flo"), "item", "list", "flo", "concurrency")
		if why != "" {
			return nil, why
		}
		call := mapping("call", target)
		if len(with.Content) > 0 {
			set(call, "with", with)
		}
		do := call
		if c.Method == "asyncEach" {
			// A card inside the helper that fails stops the whole run in
			// jml (its default onError), which a call's onError does not
			// catch; a try does.
			do = mapping("try", seq(call), "catch", seq(mapping("continueIf", plain("true", "!!bool"))))
			t.im.decide("For Each - Ignore Errors becomes forEach whose call is in a try: with catch: [{continueIf: true}]: an item whose helper fails is ignored, the next one runs, as in Okta")
		}
		n := mapping("forEach", le, "as", "item")
		if cc := t.input(c, "concurrency"); cc != nil {
			if num, ok := cc.Value.(json.Number); ok && num.String() != "1" {
				if k, err := num.Int64(); err == nil && k > maxConcurrency {
					t.im.decide("%s: concurrency %d is jml's most, %d", cardLabel(c), k, maxConcurrency)
					num = json.Number(strconv.Itoa(maxConcurrency))
				}
				set(n, "concurrency", plain(num.String(), "!!int"))
			}
		}
		set(n, "do", seq(do))
		return n, ""
	case "string.compose":
		text := t.input(c, "_text_")
		if text == nil {
			return nil, "no text"
		}
		s, _ := text.Value.(string)
		byID := map[string]*Field{}
		for _, f := range c.Inputs {
			byID[f.ID] = f
			if f.Key != "_text_" {
				byID[f.Key] = f // Okta names a placeholder by the input's key
			}
		}
		var parts []string
		last := 0
		for _, m := range placeholder.FindAllStringSubmatchIndex(s, -1) {
			if m[0] > last {
				parts = append(parts, strconv.Quote(s[last:m[0]]))
			}
			f := byID[s[m[2]:m[3]]]
			if f == nil {
				return nil, "a placeholder names no input"
			}
			e, why := t.expr(c, f, "")
			if why != "" {
				return nil, why
			}
			parts = append(parts, "string("+e+")")
			last = m[1]
		}
		if last < len(s) || len(parts) == 0 {
			parts = append(parts, strconv.Quote(s[last:]))
		}
		return t.assignOut(c, strings.Join(parts, " + ")), ""
	case "string.concat":
		var parts []string
		for _, f := range customInputs(c) {
			e, why := t.expr(c, f, "")
			if why != "" {
				return nil, why
			}
			parts = append(parts, "string("+e+")")
		}
		if len(parts) == 0 {
			parts = []string{`""`}
		}
		return t.assignOut(c, strings.Join(parts, " + ")), ""
	case "date.now":
		for _, o := range c.Outputs {
			switch o.Key {
			case "date", "iso", "full":
				t.outExpr[c.ID+"/"+o.ID] = "run.startedAt"
			}
		}
		t.im.decide("Now reads run.startedAt, the only clock of a jml run (a replay is deterministic)")
		return nil, ""
	case "date.parse", "date.fromISO", "date.epoch":
		return t.dateCard(c)
	case "object.pick":
		obj := t.input(c, "object")
		if obj == nil {
			return nil, "no object"
		}
		oe, why := t.expr(c, obj, "")
		if why != "" {
			return nil, why
		}
		for _, o := range c.Outputs {
			t.outExpr[c.ID+"/"+o.ID] = fieldPath(oe, o.Key)
		}
		t.im.decide("Get Multiple reads fields of Okta's user record as jml's okta user object (ID → id, Last Login → lastLogin, Raw Output.profile.X → profile.X)")
		return nil, ""
	case "date.format":
		// Okta's Date to Text: the date in a format (moment.js's codes,
		// see dates.go) in a time zone.
		start := t.input(c, "start")
		if start == nil {
			return nil, "no start"
		}
		d, why := t.dateExpr(c, start)
		if why != "" {
			return nil, why
		}
		e, why := t.customDate(c, d)
		if why != "" {
			return nil, why
		}
		for _, o := range c.Outputs {
			t.outExpr[c.ID+"/"+o.ID] = e
		}
		t.im.decide("Date to Text becomes a CEL string of the timestamp's fields in the card's time zone, its format read as moment.js reads it (Okta's format codes are moment's: Y and yyyy the year, DD the day, dddd the weekday, [text] literal)")
		return nil, ""
	case "date.add", "date.subtract":
		start, scale, unit := t.input(c, "start"), t.input(c, "scale"), t.input(c, "unit")
		if start == nil || scale == nil || unit == nil {
			return nil, "no start, scale or unit"
		}
		se, why := t.dateExpr(c, start)
		if why != "" {
			return nil, why
		}
		if isPinned(t, c, unit) {
			return nil, "a connected unit is not imported (only a literal)"
		}
		n, ok := scale.Value.(json.Number)
		u, _ := unit.Value.(string)
		hours := map[string]int64{"hours": 1, "days": 24, "weeks": 168}
		seconds := map[string]int64{"seconds": 1, "minutes": 60, "hours": 3600, "days": 86400, "weeks": 604800}
		op := map[string]string{"add": "+", "subtract": "-"}[c.Method]
		if months := map[string]int{"months": 1, "years": 12}[u]; months != 0 {
			k, why := t.scaleInt(c, scale)
			if why != "" {
				return nil, why
			}
			if months != 1 {
				k = fmt.Sprintf("(%s) * %d", k, months)
			}
			if op == "-" {
				k = "-(" + k + ")"
			}
			e := calendarAdd(se, k)
			for _, o := range c.Outputs {
				t.outExpr[c.ID+"/"+o.ID] = e
			}
			t.im.decide("Add/Subtract in months or years is calendar arithmetic in UTC, as moment's add: the month moves, the day is clamped to the last of the month reached (Jan 31 + 1 month is Feb 28 or 29), the time of day is kept")
			return nil, ""
		}
		var d string
		switch k, err := n.Int64(); {
		case isPinned(t, c, scale):
			if seconds[u] == 0 {
				return nil, fmt.Sprintf("unit %q is not imported", u)
			}
			sc, why := t.expr(c, scale, "")
			if why != "" {
				return nil, why
			}
			e := fmt.Sprintf("(%s %s duration(string(int(double(%s) * %d.0)) + \"s\"))", se, op, sc, seconds[u])
			for _, o := range c.Outputs {
				t.outExpr[c.ID+"/"+o.ID] = e
			}
			t.im.decide("Add/Subtract with a connected scale becomes timestamp ± duration(string(int(double(SCALE) * SECONDS_PER_UNIT)) + \"s\") (a fraction of a second is cut)")
			return nil, ""
		case !ok || err != nil:
			return nil, fmt.Sprintf("scale %v is not a whole number", scale.Value)
		case u == "seconds" || u == "minutes":
			d = fmt.Sprintf("%d%s", k, u[:1])
		case hours[u] != 0:
			d = fmt.Sprintf("%dh", k*hours[u])
		default:
			return nil, fmt.Sprintf("unit %q is not imported", u)
		}
		for _, o := range c.Outputs {
			t.outExpr[c.ID+"/"+o.ID] = fmt.Sprintf("(%s %s duration(%q))", se, op, d)
		}
		t.im.decide("Add/Subtract become CEL timestamp ± duration (days and weeks as 24h and 168h)")
		return nil, ""
	case "object.construct":
		// Okta's Construct: an object of its inputs, keyed by their names.
		var fields []string
		seen := map[string]bool{}
		for _, f := range customInputs(c) {
			if seen[f.Key] {
				return nil, fmt.Sprintf("two inputs are named %q", f.Key)
			}
			seen[f.Key] = true
			e, why := t.expr(c, f, "")
			if why != "" {
				return nil, why
			}
			fields = append(fields, strconv.Quote(f.Key)+": "+e)
		}
		for _, o := range c.Outputs {
			t.outExpr[c.ID+"/"+o.ID] = "{" + strings.Join(fields, ", ") + "}"
		}
		t.im.decide("Object Construct is a CEL map of its inputs, keyed by their names")
		return nil, ""
	case "string.split", "list.join", "list.intersection", "list.construct", "math.round":
		return t.listFunc(c)
	case "date.unix":
		// Okta's UNIX: milliseconds since 1970-01-01T00:00:00Z (its Epoch
		// card gives seconds).
		start := t.input(c, "start")
		if start == nil {
			return nil, "no start"
		}
		se, why := t.dateExpr(c, start)
		if why != "" {
			return nil, why
		}
		for _, o := range c.Outputs {
			t.outExpr[c.ID+"/"+o.ID] = fmt.Sprintf("(int(%s) * 1000 + %s.getMilliseconds())", se, se)
		}
		t.im.decide("UNIX is the timestamp's milliseconds since 1970 (int(timestamp(D)) * 1000 + its milliseconds), as Okta's card gives")
		return nil, ""
	case "string.trim":
		in := t.input(c, "string")
		if in == nil {
			return nil, "no string"
		}
		e, why := t.expr(c, in, "")
		if why != "" {
			return nil, why
		}
		for _, o := range c.Outputs {
			t.outExpr[c.ID+"/"+o.ID] = "string(" + e + ").trim()"
		}
		return nil, ""
	case "date.diff":
		s, e := t.input(c, "start"), t.input(c, "end")
		if s == nil || e == nil {
			return nil, "no start or end"
		}
		se, why := t.dateExpr(c, s)
		if why != "" {
			return nil, why
		}
		ee, why := t.dateExpr(c, e)
		if why != "" {
			return nil, why
		}
		d := fmt.Sprintf("(%s - %s)", se, ee)
		for _, o := range c.Outputs {
			switch o.Key {
			case "days":
				t.outExpr[c.ID+"/"+o.ID] = d + ".getHours() / 24"
			case "hours":
				t.outExpr[c.ID+"/"+o.ID] = d + ".getHours()"
			case "minutes":
				t.outExpr[c.ID+"/"+o.ID] = d + ".getMinutes()"
			case "seconds":
				t.outExpr[c.ID+"/"+o.ID] = d + ".getSeconds()"
			}
		}
		t.im.decide("Difference is start minus end, as a CEL duration in whole days/hours/minutes/seconds")
		return nil, ""
	}
	if _, ok := functionCards[c.Module+"."+c.Method]; ok {
		return t.functionCard(c)
	}
	if c.Module == "list" && (c.Method == "map" || c.Method == "filter") {
		return t.mapCard(c)
	}
	return nil, "function card not imported"
}

// assignOut is an assign of expr to a var named after the card; the
// card's outputs read it.
//
// A card whose output feeds a Join (where an If/Else's branches meet) of
// one input and one output, fed by two cards or more (one a branch),
// assigns the var named after the Join's output instead, as the card of
// every other branch does: the Join's output reads it, whichever branch
// ran.
func (t *ftr) assignOut(c *Card, expr string) *yaml.Node {
	if t.mapped != nil {
		// A Map's helper is one expression: the value is folded in.
		for _, o := range c.Outputs {
			t.outExpr[c.ID+"/"+o.ID] = "(" + expr + ")"
		}
		return nil
	}
	name := t.stepID(c)
	for _, p := range c.Pins {
		j := t.byID[p.Card]
		if j == nil || !isJoin(j) || len(j.Outputs) != 1 || len(customInputs(j)) != 1 || t.joinFeeds(j.ID, p.Input) < 2 {
			continue
		}
		name = ident(j.Outputs[0].Key, "value")
		t.outExpr[j.ID+"/"+j.Outputs[0].ID] = "vars." + name
		t.im.decide("a Join's output fed by each branch of an If/Else is a var every branch assigns")
	}
	for _, o := range c.Outputs {
		t.outExpr[c.ID+"/"+o.ID] = "vars." + name
	}
	return mapping("assign", mapping(name, expr))
}

// joinFeeds is how many cards' outputs feed input in of card id.
func (t *ftr) joinFeeds(id, in string) int {
	n := 0
	for _, c := range t.byID {
		for _, p := range c.Pins {
			if p.Card == id && p.Input == in {
				n++
			}
		}
	}
	return n
}

// takes reports whether the helper flow a Call Flow, For Each or stream
// names (by its input ref) declares input key: Okta lets a card pass an
// input its helper no longer has, and ignores it; jml refuses it, so the
// import drops it, and says so (when c is given). A helper not in the
// pack takes anything (flowRef says why it is a todo).
func (im *importer) takes(ref *Field, key string, c *Card) bool {
	in, known := im.helperInput(ref, key)
	if known && in == nil {
		if c != nil {
			id, _ := ref.Value.(string)
			im.decide("%s passes %q, which flow %q does not declare: dropped (Okta ignores it; jml would refuse it)", cardLabel(c), key, im.flowByID[id].Name)
		}
		return false
	}
	return true
}

// helperInput is the start card's output that stands for input key of
// the helper flow ref names (nil when it has none); known is false when
// the flow is not in the pack, or has no start card.
func (im *importer) helperInput(ref *Field, key string) (in *Field, known bool) {
	if ref == nil {
		return nil, false
	}
	id, _ := ref.Value.(string)
	f := im.flowByID[id]
	if f == nil {
		return nil, false
	}
	for _, k := range f.Cards {
		if !(k.Kernel && k.Module == "control" && k.Method == "callable") {
			continue
		}
		for _, o := range k.Outputs {
			if o.Custom && ident(o.Key, "input") == ident(key, "input") {
				return o, true
			}
		}
		return nil, true
	}
	return nil, false
}

// callValue is the value of input f of card c (a Call Flow or For Each)
// for the helper's input of the same key. Okta's loose typing lets a
// number through a Text input; jml's validate does not: a number a Number
// callWith is the with: of a call to the flow ref names, from the inputs
// of card c but those of the keys skip: each that flow declares, its value
// (callValue; item names the list item where c walks a list).
func (t *ftr) callWith(c *Card, ref *Field, item string, skip ...string) (*yaml.Node, string) {
	with := mapping()
	for _, f := range customInputs(c, skip...) {
		if !t.im.takes(ref, f.Key, c) {
			continue
		}
		v, why := t.callValue(c, f, ref, item)
		if why != "" {
			return nil, why
		}
		set(with, ident(f.Key, "value"), v)
	}
	return with, ""
}

// or Length card computed, passed to a helper's text input, is made text.
func (t *ftr) callValue(c *Card, f *Field, ref *Field, item string) (*yaml.Node, string) {
	if in, _ := t.im.helperInput(ref, f.Key); in != nil && jmlType(in) == "string" {
		if src, ok := t.in[c.ID][f.ID]; ok && src.card.Kernel && numberCards[src.card.Module+"."+src.card.Method] {
			e, why := t.expr(c, f, item)
			if why != "" {
				return nil, why
			}
			t.im.decide("%s: a number passed to flow input %q, text in Okta, is made text (string(N))", cardLabel(c), f.Key)
			return str("${{ string(" + e + ") }}"), ""
		}
	}
	return t.value(c, f, item)
}

// answers reports whether the flow being translated is one a Return
// ends with values: a helper or an API endpoint flow (as trigger read its
// start card), not an event or a scheduled flow.
func (t *ftr) answers() bool {
	if t.f == nil {
		return true
	}
	kind, ok := t.im.triggers[t.f.ID]
	return !ok || kind == "helper" || strings.HasPrefix(kind, "http ")
}

// maxConcurrency is the most items a forEach runs at once (the flow
// schema's maximum: TestMaxConcurrencyIsTheSchemas).
const maxConcurrency = 64

// numberCards are the function cards whose output is a number.
var numberCards = map[string]bool{
	"math.add": true, "math.subtract": true, "math.multiply": true, "math.ceil": true, "math.round": true,
	"list.length": true, "string.length": true,
}

// flowRef is the jml flow a Call Flow / For Each card names.
func (t *ftr) flowRef(f *Field) (string, string) {
	if f == nil {
		return "", "names no flow"
	}
	switch v := f.Value.(type) {
	case string:
		if s, ok := t.im.flowSlug[v]; ok {
			return s, ""
		}
		return "", "calls a flow that is not in the pack"
	case map[string]any:
		return "", "runs a flow defined inside the card (not imported)"
	}
	return "", "names no flow"
}

// branch translates an If/ElseIf card whose conditions all compare one
// value with == to distinct constants into switch/cases/default. Okta keeps
// each branch as a flow inside the card; a branch is imported when its
// cards are only its start, Return without values and Throw (→ halt).
func (t *ftr) branch(c *Card) (*yaml.Node, string) {
	if len(c.Outputs) == 0 {
		return t.branches(c)
	}
	// Each branch's Return assigns the vars the card's outputs read
	// (named after the card and the output: a var is the flow's).
	base := t.stepID(c)
	vars := map[string]string{}
	for _, o := range c.Outputs {
		vars[o.Key] = base + "_" + ident(o.Key, "value")
	}
	t.branchVars = vars
	n, why := t.branches(c)
	t.branchVars = nil
	if why != "" {
		return nil, why
	}
	for _, o := range c.Outputs {
		t.outExpr[c.ID+"/"+o.ID] = "vars." + vars[o.Key]
		for _, p := range c.Pins {
			if p.Output == o.ID { // read by a card: declared, so always set
				t.im.flowVar(t.f, vars[o.Key])
				break
			}
		}
	}
	t.im.decide("an If/ElseIf whose branches return values assigns them, in each branch, to vars named after the card and its outputs, declared null under vars: (what a branch that returns nothing leaves)")
	return n, ""
}

// branches is branch, the card's outputs aside.
func (t *ftr) branches(c *Card) (*yaml.Node, string) {
	groups := map[string][]*Field{}
	var order []string
	for _, f := range c.Inputs {
		if f.Group == "context" {
			continue
		}
		if _, ok := groups[f.Group]; !ok {
			order = append(order, f.Group)
		}
		groups[f.Group] = append(groups[f.Group], f)
	}
	field := func(g, k string) *Field {
		for _, f := range groups[g] {
			if f.Key == k {
				return f
			}
		}
		return nil
	}
	// Every condition and every branch's flow is checked before any
	// branch is translated, so that a card left as a todo counts none of
	// its inner cards.
	for _, g := range order {
		if g == "else" {
			continue
		}
		if _, why := t.condOf(c, field(g, "left-operand"), field(g, "operator"), field(g, "right-operand")); why != "" {
			return nil, fmt.Sprintf("branch %q: %s", g, why)
		}
	}
	for _, g := range order {
		if why := t.branchWhy(field(g, "flo")); why != "" {
			return nil, fmt.Sprintf("branch %q %s", g, why)
		}
	}
	bodies := map[string]*yaml.Node{}
	for _, g := range order {
		body, why := t.branchBody(c, field(g, "flo"))
		if why != "" {
			return nil, fmt.Sprintf("branch %q %s", g, why)
		}
		bodies[g] = body
	}
	if n, ok := t.branchSwitch(c, order, field, bodies); ok {
		return n, ""
	}
	// Otherwise an if for each condition, in order, each the else of the
	// one before; the Else branch is the last else.
	var top, last *yaml.Node
	for _, g := range order {
		if g == "else" {
			continue
		}
		cond, why := t.condOf(c, field(g, "left-operand"), field(g, "operator"), field(g, "right-operand"))
		if why != "" {
			return nil, fmt.Sprintf("branch %q: %s", g, why)
		}
		n := mapping("if", cond, "then", bodies[g])
		if last == nil {
			top = n
		} else {
			set(last, "else", seq(n))
		}
		last = n
	}
	if top == nil {
		return nil, "no conditions"
	}
	if b, ok := bodies["else"]; ok && !isNoop(b) {
		set(last, "else", b)
	}
	t.im.decide("If/ElseIf whose conditions are not all one value compared with == to constants becomes nested if/else, the conditions tested in order")
	return top, ""
}

// isNoop reports whether steps are only the continueIf: true of a branch
// that does nothing.
func isNoop(steps *yaml.Node) bool {
	return len(steps.Content) == 1 && len(steps.Content[0].Content) == 2 &&
		steps.Content[0].Content[0].Value == "continueIf" && steps.Content[0].Content[1].Value == "true"
}

// branchSwitch is the switch of an If/ElseIf whose conditions all compare
// one value with == to distinct constants (false when they do not).
func (t *ftr) branchSwitch(c *Card, order []string, field func(g, k string) *Field, bodies map[string]*yaml.Node) (*yaml.Node, bool) {
	var subject string
	cases := mapping()
	seen := map[string]bool{}
	var dflt *yaml.Node
	for _, g := range order {
		body := bodies[g]
		if g == "else" {
			dflt = body
			continue
		}
		l, op, r := field(g, "left-operand"), field(g, "operator"), field(g, "right-operand")
		if l == nil || op == nil || r == nil || op.Value != "==" || isPinned(t, c, r) {
			return nil, false
		}
		le, why := t.expr(c, l, "")
		if why != "" || subject != "" && le != subject {
			return nil, false
		}
		subject = le
		key, ok := r.Value.(string)
		if !ok {
			if n, isNum := r.Value.(json.Number); isNum {
				key, ok = n.String(), true
			}
		}
		if !ok || seen[key] {
			return nil, false
		}
		seen[key] = true
		set(cases, key, body)
	}
	if subject == "" {
		return nil, false
	}
	n := mapping("switch", subject, "cases", cases)
	if dflt != nil {
		set(n, "default", dflt)
	}
	t.im.decide("If/ElseIf comparing one value with == to constants becomes switch/cases/default (a case key is matched as text)")
	return n, true
}

// branchWhy says why the flow of an If/ElseIf branch cannot be
// translated ("" when it can).
func (t *ftr) branchWhy(f *Field) string {
	if f == nil {
		return "runs no flow"
	}
	if simple, _ := branchSteps(f); simple {
		return ""
	}
	if why := inlineWhy(f.Value, "branch"); why != "" {
		return why
	}
	if t.branchVars != nil {
		return ""
	}
	fl, _ := Inline(f.Value, "branch")
	for _, k := range fl.Cards {
		if k.Kernel && k.Module == "control" && k.Method == "return" && len(customInputs(k)) > 0 {
			return "returns values, and the If/ElseIf card has no outputs"
		}
	}
	return ""
}

// branchBody is the steps of a flow Okta keeps inside an If/ElseIf
// branch: a branch of only its start, Return without values and Throw
// (→ halt) is read here; any other is translated as an If Error's flow
// is (inline: the branch's inputs are the card's inputs of the same key).
func (t *ftr) branchBody(c *Card, f *Field) (*yaml.Node, string) {
	if simple, steps := branchSteps(f); simple {
		return steps, ""
	}
	t.im.decide("an If/ElseIf branch that runs cards has them translated in place, as the flow inside an If Error card")
	steps, why := t.inline(c, f.Value, "branch")
	if why != "" {
		return nil, why
	}
	if len(steps.Content) == 0 {
		steps.Content = append(steps.Content, mapping("continueIf", plain("true", "!!bool")))
	}
	return steps, ""
}

// branchSteps reads an If/ElseIf branch's flow of only its start, Return
// without values and Throw; simple is false for any other.
func branchSteps(f *Field) (simple bool, _ *yaml.Node) {
	fl, _ := f.Value.(map[string]any)
	methods, _ := fl["methods"].([]any)
	var steps []*yaml.Node
	for _, m := range methods {
		node, _ := dig(m, "node").(map[string]any)
		name, _ := dig(node, "data", "name").(string)
		switch k, _ := node["key"].(string); k {
		case "callable", "noop", "comment":
		case "return":
			if d, _ := dig(node, "model", "inputs", "data").(map[string]any); len(d) > 0 {
				return false, nil
			}
		case "throw":
			msg := "error"
			d, _ := dig(node, "model", "inputs", "data").(map[string]any)
			for _, in := range d {
				if in, _ := in.(map[string]any); in["key"] == "message" {
					if s, ok := dig(in, "value", "data").(string); ok && s != "" {
						msg = s
					}
				}
			}
			h := mapping("halt", str(msg))
			h.HeadComment = "Okta: " + name + " (control.throw)"
			steps = append(steps, h)
		default:
			return false, nil
		}
	}
	if len(steps) == 0 {
		steps = append(steps, mapping("continueIf", plain("true", "!!bool")))
	}
	return true, seq(steps...)
}

// dig walks nested JSON objects by key.
func dig(v any, keys ...string) any {
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

// find translates List Find (list.findBy: the first item whose field at
// path compares to comparison) into a CEL filter; its item output is the
// first match. The index output is not imported.
func (t *ftr) find(c *Card) (*yaml.Node, string) {
	list, op, path, cmp := t.input(c, "list"), t.input(c, "operator"), t.input(c, "path"), t.input(c, "comparison")
	if list == nil || op == nil || path == nil || cmp == nil {
		return nil, "no list, operator, path or comparison"
	}
	le, why := t.expr(c, list, "")
	if why != "" {
		return nil, why
	}
	ops, _ := op.Value.(string)
	var cop string
	var ok bool
	if ops == "===" || ops == "!==" {
		cop, ok = ops[:2], true
	} else {
		cop, ok = operators[ops]
	}
	if !ok {
		return nil, fmt.Sprintf("operator %q is not imported", ops)
	}
	p, _ := path.Value.(string)
	if isPinned(t, c, path) || p == "" {
		return nil, "only a literal path is imported"
	}
	ce, why := t.expr(c, cmp, "")
	if why != "" {
		return nil, why
	}
	for _, o := range c.Outputs {
		if o.Key == "item" {
			t.outExpr[c.ID+"/"+o.ID] = fmt.Sprintf("%s.filter(x, %s %s %s)[0]", le, fieldPath("x", p), cop, ce)
		}
	}
	t.im.decide("Find becomes LIST.filter(x, x.FIELD OP VALUE)[0] (=== and !== as == and !=); when no item matches, the expression fails and so does the flow")
	return nil, ""
}

// listFunc folds Okta's Split, List to Text, Intersection, List
// Construct and Round into CEL: JavaScript's split and join, lodash's
// intersection (the first list's items found in the second, each once, in
// the first list's order), a list literal, and Math.round (floor(x + 0.5):
// halves round up, -2.5 to -2).
func (t *ftr) listFunc(c *Card) (*yaml.Node, string) {
	args := map[string]string{}
	for _, f := range c.Inputs {
		if f.Group == "context" {
			continue
		}
		e, why := t.expr(c, f, "")
		if why != "" {
			return nil, why
		}
		args[f.Key] = e
	}
	need := func(keys ...string) string {
		for _, k := range keys {
			if args[k] == "" {
				return "no " + k
			}
		}
		return ""
	}
	var e string
	switch c.Module + "." + c.Method {
	case "string.split":
		if why := need("string", "delimiter"); why != "" {
			return nil, why
		}
		e = fmt.Sprintf("string(%s).split(%s)", args["string"], args["delimiter"])
	case "list.join":
		if why := need("list", "delimiter"); why != "" {
			return nil, why
		}
		e = fmt.Sprintf("%s.join(%s)", args["list"], args["delimiter"])
	case "list.intersection":
		if why := need("list1", "list2"); why != "" {
			return nil, why
		}
		if len(args) != 2 {
			return nil, "an intersection of more than two lists is not imported"
		}
		e = fmt.Sprintf("%s.filter(x, x in %s).distinct()", args["list1"], args["list2"])
	case "list.construct":
		var items []string
		for _, f := range customInputs(c) {
			items = append(items, args[f.Key])
		}
		e = "[" + strings.Join(items, ", ") + "]"
	case "math.round":
		if why := need("a"); why != "" {
			return nil, why
		}
		if len(args) != 1 {
			return nil, "a Round with more inputs than the number is not imported"
		}
		e = fmt.Sprintf("math.floor(double(%s) + 0.5)", args["a"])
	}
	for _, o := range c.Outputs {
		t.outExpr[c.ID+"/"+o.ID] = e
	}
	t.im.decide("Split, List to Text, Intersection, List Construct and Round are folded into CEL: split, join, filter(x, x in L2).distinct(), a list literal, math.floor(double(X) + 0.5)")
	return nil, ""
}

// slackMessage checks the options of Slack's Send Message to Channel that
// slack.postMessage has no input for: the message is posted as a bot
// (bot: Yes; jml posts as its Slack app) in plain text, links unfurled as
// Slack does by default. The Slackbot name Okta shows the message under
// is dropped (a decision): the message comes from jml's Slack app.
func slackMessage(t *ftr, c *Card, with *yaml.Node) string {
	want := map[string]string{"bot": "Yes", "links": "Yes", "messageType": "Plain Text"}
	for _, f := range c.Inputs {
		switch {
		case f.Group == "context", f.Key == "channel", f.Group == "Message" && f.Key == "Text":
		case f.Group == "Slackbot" && f.Key == "Name":
			if isPinned(t, c, f) || !emptyLiteral(f.Value) {
				t.im.decide("%s: the Slackbot name is dropped: the message is posted by jml's Slack app", cardLabel(c))
			}
		case want[f.Key] != "":
			if isPinned(t, c, f) || f.Value != want[f.Key] {
				return fmt.Sprintf("%s %v: only %s: %q is imported (slack.postMessage posts as a bot, links unfurled)", f.Key, f.Value, f.Key, want[f.Key])
			}
		case isPinned(t, c, f) || !emptyLiteral(f.Value):
			return fmt.Sprintf("input %q has no slack.postMessage equivalent", f.Key)
		}
	}
	return ""
}

// removeLicense is Office 365's Remove License from User: one SKU,
// microsoft.removeLicenses' skuIds as a one-item list. jml's action
// removes the SKU only when it is assigned to the user directly (Graph
// refuses the others) and succeeds when the user does not hold it, where
// Okta's card fails.
func removeLicense(t *ftr, c *Card, with *yaml.Node) string {
	for _, f := range c.Inputs {
		switch {
		case f.Group == "User" && f.Key == "id":
		case f.Group == "License" && f.Key == "skuId":
			e, why := t.expr(c, f, "")
			if why != "" {
				return why
			}
			set(with, "skuIds", str("${{ ["+e+"] }}"))
		case f.Group != "parameters" && (isPinned(t, c, f) || !emptyLiteral(f.Value)):
			return fmt.Sprintf("input %q has no microsoft.removeLicenses equivalent", f.Key)
		}
	}
	t.im.decide("%s: Remove License from User becomes microsoft.removeLicenses with skuIds: [the SKU]; it removes a directly assigned licence and succeeds when the user does not hold it (Okta's card fails)", cardLabel(c))
	return ""
}

// unassignLicense maps Unassign License from User's Product input, one
// licence as an object of productId and skuId (Read User Licenses' item,
// or a Construct of its two fields), to google.unassignLicense's
// productId and skuId.
func unassignLicense(t *ftr, c *Card, with *yaml.Node) string {
	for _, f := range c.Inputs {
		switch {
		case f.Group == "User" && f.Key == "id":
		case f.Group == "Product" && f.Key == "licenses":
			if !isPinned(t, c, f) {
				return fmt.Sprintf("input %q is not connected to a licence", f.Key)
			}
			for _, key := range []string{"productId", "skuId"} {
				e, why := t.licenceField(c, f, key)
				if why != "" {
					return why
				}
				set(with, key, str("${{ "+e+" }}"))
			}
		case f.Group != "parameters" && (isPinned(t, c, f) || !emptyLiteral(f.Value)):
			return fmt.Sprintf("input %q has no google.unassignLicense equivalent", f.Key)
		}
	}
	t.im.decide("%s: Unassign License from User becomes google.unassignLicense of the licence's productId and skuId (licenseAssignments.delete); a licence the user no longer holds fails it with Google's 404", cardLabel(c))
	return ""
}

// licenceField is the expression of field key of the licence input f of
// card c: the input of that name of the Construct the licence comes
// straight from (Okta's template builds {productId, skuId} from its
// helper's input), else the field of the licence object.
func (t *ftr) licenceField(c *Card, f *Field, key string) (string, string) {
	if src := t.in[c.ID][f.ID]; src.card != nil && src.card.Kernel && src.card.Module == "object" && src.card.Method == "construct" && len(src.pin.Path) == 0 {
		if in := t.input(src.card, key); in != nil {
			return t.expr(src.card, in, "")
		}
	}
	e, why := t.expr(c, f, "")
	if why != "" {
		return "", why
	}
	return fieldPath(e, key), ""
}

// msSender is the mailbox the imported Send Email cards send from. Okta's
// Office 365 Mail connection sends as the account that signed in to it,
// which the export does not name; microsoft.sendMail, with the app's Graph
// permission, names the mailbox.
const msSender = "SENDER@YOUR-DOMAIN"

// mailAddresses is an address input of a Send Email card (Okta's list of
// addresses, or one connected text): the addresses joined with commas; ok
// is false when there is none.
func mailAddresses(t *ftr, c *Card, f *Field) (*yaml.Node, bool, string) {
	if !isPinned(t, c, f) {
		l, _ := f.Value.([]any)
		var parts []string
		for _, a := range l {
			s, ok := a.(string)
			if !ok {
				return nil, false, fmt.Sprintf("input %q holds a value that is not an address", f.Key)
			}
			parts = append(parts, s)
		}
		if s, ok := f.Value.(string); ok && s != "" {
			parts = append(parts, s)
		}
		if len(parts) == 0 {
			return nil, false, ""
		}
		return str(strings.Join(parts, ",")), true, ""
	}
	e, why := t.expr(c, f, "")
	if why != "" {
		return nil, false, why
	}
	// Okta takes one address (a text output) for the list too.
	if src := t.in[c.ID][f.ID]; src.out != nil && !src.out.Collection && len(src.pin.Path) == 0 {
		return str("${{ " + e + " }}"), true, ""
	}
	return str("${{ " + e + ".join(\",\") }}"), true, ""
}

// sendEmail is Office 365 Mail's Send Email: microsoft.sendMail from the
// mailbox msSender stands for, To and CC (Okta's lists of addresses)
// joined with commas, Message Type as contentType.
func sendEmail(t *ftr, c *Card, with *yaml.Node) string {
	set(with, "userId", str(msSender))
	addresses := func(f *Field) (*yaml.Node, bool, string) { return mailAddresses(t, c, f) }
	for _, f := range c.Inputs {
		switch {
		case f.Group == "Fields" && (f.Key == "To" || f.Key == "CC" || f.Key == "BCC"):
			v, ok, why := addresses(f)
			if why != "" {
				return why
			}
			if !ok && f.Key == "To" {
				return "no To address"
			}
			if ok {
				set(with, strings.ToLower(f.Key), v)
			}
		case f.Group == "Fields" && (f.Key == "Subject" || f.Key == "Body"):
			v, why := t.value(c, f, "")
			if why != "" {
				return why
			}
			set(with, strings.ToLower(f.Key), v)
		case f.Group == "Fields" && f.Key == "Message Type":
			switch {
			case isPinned(t, c, f):
				return "a connected Message Type is not imported"
			case f.Value == "HTML":
				set(with, "contentType", str("HTML"))
			case f.Value == "Text", emptyLiteral(f.Value):
			default:
				return fmt.Sprintf("Message Type %v is not imported (HTML or Text)", f.Value)
			}
		case f.Group != "parameters" && (isPinned(t, c, f) || !emptyLiteral(f.Value)):
			return fmt.Sprintf("input %q has no microsoft.sendMail equivalent", f.Key)
		}
	}
	with.HeadComment = "Okta sent this as the account of its Office 365 Mail connection, which the export does not name:\nset userId to that mailbox (its object id or userPrincipalName) before jml apply."
	t.im.decide("%s: Send Email becomes microsoft.sendMail from the placeholder mailbox %s (Okta's Office 365 Mail connection sends as its signed-in account, which the export does not name); To, CC and BCC are joined with commas", cardLabel(c), msSender)
	return ""
}

// googleTransferInputs and googleTransferOutput map the Drive and Calendar
// transfer request cards, which share their fields.
var googleTransferInputs = map[string]string{"Transfer.From User": "fromUser", "Transfer.To User": "toUser"}

func googleTransferOutput(k string) string {
	switch k {
	case "Transfer ID":
		return "transferId"
	case "Transfer Status":
		return "status"
	}
	return ident(k, "value")
}
