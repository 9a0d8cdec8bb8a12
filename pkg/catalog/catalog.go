package catalog

import (
	"sort"
	"strings"
)

// Type is the type of an input or output field.
type Type string

// The field types. Number covers integers and decimals; Any accepts every
// value, including null.
const (
	// String is a text value.
	String Type = "string"
	// Number is a numeric value (integer or decimal).
	Number Type = "number"
	// Boolean is true or false.
	Boolean Type = "boolean"
	// Object is a map from string keys to values.
	Object Type = "object"
	// List is an ordered sequence of values.
	List Type = "list"
	// Any is a value of any type.
	Any Type = "any"
)

// Valid reports whether t is one of the known field types.
func (t Type) Valid() bool {
	switch t {
	case String, Number, Boolean, Object, List, Any:
		return true
	}
	return false
}

// Field is one input or output field.
type Field struct {
	// Name is the field name as written in flows.
	Name string `json:"name"`
	// Type is the field's value type.
	Type Type `json:"type"`
	// Required is set on inputs a flow must provide; it is unused on outputs.
	Required bool `json:"required,omitempty"`
	// Description is a one-line explanation of the field.
	Description string `json:"description,omitempty"`
	// Fields lists the known sub-fields of an object, or of the items of a
	// list of objects. It is not exhaustive: vendors return more.
	Fields []Field `json:"fields,omitempty"`
}

// Effect says whether an action changes state in the target system.
type Effect string

const (
	// Read actions only fetch data; they are safe in dry runs.
	Read Effect = "read"
	// Write actions change state in the target system.
	Write Effect = "write"
)

// Call is the real vendor API call an action makes.
//
// Path is a template with {placeholders}. Every placeholder names an input
// of the action or a value yielded by one of Lookups. Values are escaped for
// their position (path segment, query value, LDAP filter value). A query
// parameter whose placeholder names an optional input that was not given is
// left out. For LDAP, Path is the search filter of a "search", or the DN of
// the entry changed by a "modify" or "modifyDN". SMTP calls have no Method
// or Path.
type Call struct {
	// Protocol is "http", "ldap", "smtp" or "sql" (the table store).
	Protocol string `json:"protocol"`
	// Method is the HTTP method, the LDAP operation ("search", "modify",
	// "modifyDN"), the SQL statement (SELECT, INSERT, UPDATE, DELETE), or
	// empty for SMTP.
	Method string `json:"method,omitempty"`
	// Path is the vendor path template, e.g.
	// /api/v1/users/{userId}/lifecycle/deactivate; for SQL, the table.
	Path string `json:"path,omitempty"`
	// Docs is the vendor documentation URL for the call, if known.
	Docs string `json:"docs,omitempty"`
	// Lookups are reads made, in order, before the call itself to resolve
	// values that are not inputs (for example a vendor user id from an
	// email address).
	Lookups []LookupCall `json:"lookups,omitempty"`
}

// LookupCall is a preliminary read an action makes before its Call, with
// the Call's protocol, to resolve values that are not inputs of the action.
type LookupCall struct {
	// Method is the HTTP method or LDAP operation of the read.
	Method string `json:"method"`
	// Path is the read's path template (or LDAP filter). Its placeholders
	// name inputs of the action or values yielded by earlier lookups.
	Path string `json:"path"`
	// Yields names the values this read provides to later lookups and to
	// the Call's Path and body.
	Yields []string `json:"yields"`
	// Docs is the vendor documentation URL for the read, if known.
	Docs string `json:"docs,omitempty"`
}

// Action is one operation a connector offers to flows.
type Action struct {
	// Name is the action name as written in flows (connector.action).
	Name string `json:"name"`
	// Description is a one-line explanation of what the action does.
	Description string `json:"description"`
	// Effect says whether the action reads or writes; see EffectFor.
	Effect Effect `json:"effect"`
	// Idempotent is true when repeating the action with the same inputs
	// leaves the target in the same state, so it is safe to retry.
	Idempotent bool `json:"idempotent"`
	// Dedupe is, on a write that is not idempotent, how jml keeps a retry,
	// a resume or a replay from making it twice: what it derives from the
	// call's idempotency key and how a lookup or the vendor uses it. Empty
	// when there is no such mechanism; then the write may repeat on retry
	// (MayRepeat) and Repeat says what a repeat does.
	Dedupe string `json:"dedupe,omitempty"`
	// Repeat says what the vendor does when the write is made again with
	// the same inputs (a timeout after the write, then a retry): on a
	// write that may repeat, what the second call makes; on an idempotent
	// one, a repeat's answer when it is not a plain success.
	Repeat string `json:"repeat,omitempty"`
	// OnRetry is the verdict of the idempotency audit, from the fields
	// above (Verdict): "idempotent", "deduplicated" or "may repeat on
	// retry". It is set when the catalogue is built, for JSON readers.
	OnRetry string `json:"onRetry"`
	// Inputs are the fields a flow may pass, in documentation order.
	Inputs []Field `json:"inputs"`
	// Outputs are the fields the action returns, in documentation order.
	Outputs []Field `json:"outputs"`
	// Call is the vendor API call the action makes.
	Call Call `json:"call"`
	// ReadMethods is used by the generic http.request action only: the
	// values of the `method` input for which the action is a read
	// (GET, HEAD).
	ReadMethods []string `json:"readMethods,omitempty"`
	// Deprovision marks actions that take access away from a user
	// (deactivate, suspend, disable, freeze, remove from an org, clear
	// sessions, …): apply's mass-deprovisioning guardrail counts the users
	// of runs that can reach one, the leaver lints check that leavers
	// reach them, and jml verify reads the accounts of the types that
	// have one. Declared, with Subject, in the vendor's catalogue file.
	Deprovision bool `json:"deprovision,omitempty"`
	// Subject is, on a deprovisioning action, the input that names the
	// person it takes access from (userId, email, userKey, username…):
	// the guardrail counts distinct people by it.
	Subject string `json:"subject,omitempty"`
	// EndsSessions marks a deprovisioning action that revokes the user's
	// sessions rather than disabling an account: the leaver-order lint
	// wants Okta's first, and does not count them as disabling.
	EndsSessions bool `json:"endsSessions,omitempty"`
	// RemovesGrant marks a deprovisioning action that takes one grant away
	// (a group membership, a licence, an organisation membership, an
	// application-specific password, an application's OAuth tokens) and
	// leaves the account itself as it is: lint's leaver-order rule does
	// not ask for it to come after the Okta sessions are revoked.
	RemovesGrant bool `json:"removesGrant,omitempty"`
	// Notifies marks a notification (a message, an email): in a leaver
	// it must not halt the run when it fails (the notify-no-continue
	// lint).
	Notifies bool `json:"notifies,omitempty"`
	// Verified is the vendor's published API description the contract
	// test checks this action's calls, and the sandbox's answers, against;
	// nil when there is none (Unverified says why).
	Verified *Description `json:"verified,omitempty"`
	// Unverified says why no vendor description checks this action.
	Unverified string `json:"unverified,omitempty"`
	// Scopes are the OAuth scopes the vendor requires of the token for
	// the action's calls, lookups included (Google, Okta: requested by
	// jml, see ScopesFor), or, for microsoft, the Graph application
	// permissions (least privileged) the app registration needs: Graph
	// takes them from the registration, never from the token request.
	// From the vendors' references: Google's "Authorization scopes" of
	// each Directory / Data Transfer method, Okta's OAuth 2.0 scopes of
	// its Management API, Microsoft Graph's "Permissions" table of each
	// method (application, least privileged).
	Scopes []string `json:"scopes,omitempty"`
}

// RequestsScopes reports whether jml asks the token endpoint for the
// catalogue's scopes of a connector type (Connector.RequestsScopes).
func RequestsScopes(typ string) bool {
	c, ok := catalogue[typ]
	return ok && c.RequestsScopes
}

// Covers reports whether a granted scope gives what need asks: the same
// scope, or the vendor's broader one — Google's X for X.readonly, Okta's
// okta.R.manage for okta.R.read, Graph's R.ReadWrite.All for R.Read.All.
func Covers(granted, need string) bool {
	switch {
	case granted == need:
		return true
	case strings.HasSuffix(need, ".readonly"):
		return granted == strings.TrimSuffix(need, ".readonly")
	case strings.HasPrefix(need, "okta.") && strings.HasSuffix(need, ".read"):
		return granted == strings.TrimSuffix(need, ".read")+".manage"
	case strings.HasSuffix(need, ".Read.All"):
		return granted == strings.TrimSuffix(need, ".Read.All")+".ReadWrite.All"
	}
	return false
}

// ScopesFor returns the scopes a connector type's actions need together,
// sorted, without one another covers.
func ScopesFor(typ string, actions []string) []string {
	c, ok := catalogue[typ]
	if !ok {
		return nil
	}
	set := map[string]bool{}
	for _, name := range actions {
		if a, ok := c.Action(name); ok {
			for _, s := range a.Scopes {
				set[s] = true
			}
		}
	}
	var out []string
	for s := range set {
		covered := false
		for g := range set {
			if g != s && Covers(g, s) {
				covered = true
			}
		}
		if !covered {
			out = append(out, s)
		}
	}
	sort.Strings(out)
	return out
}

// Connector describes one connector type and its actions.
type Connector struct {
	// Type is the connector type name used in jml.yaml and flows.
	Type string `json:"type"`
	// Description is a one-line explanation of the connector.
	Description string `json:"description"`
	// Auth lists the auth types accepted for this connector in jml.yaml:
	// ssws, bearer, basic, oauth2, serviceAccount, ldapBind, smtp, none.
	Auth []string `json:"auth"`
	// Vendor is the name messages give the system behind the connector
	// ("Slack asked to wait 24h0m0s"); empty for the generic http type,
	// whose instances name their API.
	Vendor string `json:"vendor,omitempty"`
	// DefaultBaseURL is the vendor's API base URL when it is the same for
	// every customer; empty when each tenant has its own host.
	DefaultBaseURL string `json:"defaultBaseURL,omitempty"`
	// DefaultRate is the client-side rate limit, in requests per second
	// (the burst as many, at least 1), of a real instance whose jml.yaml
	// sets no rateLimit: below the vendor's documented default tier. 0 is
	// no limit. Against the sandbox it is off (SPEC §6).
	DefaultRate float64 `json:"defaultRate,omitempty"`
	// RequestsScopes is set when jml asks the token endpoint for the
	// scopes of the actions the flows use (Google, Okta); Microsoft's
	// Scopes are permissions of the app registration, reported only.
	RequestsScopes bool `json:"requestsScopes,omitempty"`
	// Account is how jml verify reads an account of this type and what
	// "active" means for it; nil for types that hold no accounts.
	Account *Account `json:"account,omitempty"`
	// Error is how the vendor writes an error answer's body (ErrorBody);
	// nil for {"message": …}.
	Error *ErrorShape `json:"error,omitempty"`
	// Verified is the vendor's published API description the contract
	// test checks the type's actions against, or Unverified says why there
	// is none; an action's own Verified or Unverified overrides them.
	// JSON readers find the outcome on each action.
	Verified   *Description `json:"-"`
	Unverified string       `json:"-"`
	// Actions are the connector's actions, sorted by name.
	Actions []Action `json:"actions"`
}

// catalogue is built once at package initialisation and never modified;
// only deep copies leave the package.
var catalogue = build()

// builders construct one connector each; see the per-type files.
var builders = []func() Connector{
	activeDirectory,
	email,
	github,
	google,
	httpConnector,
	jira,
	microsoft,
	okta,
	salesforce,
	serviceNow,
	slack,
	table,
}

func build() map[string]*Connector {
	m := make(map[string]*Connector, len(builders))
	for _, b := range builders {
		c := b()
		if c.Auth == nil {
			c.Auth = []string{}
		}
		if c.Actions == nil {
			c.Actions = []Action{}
		}
		for i := range c.Actions {
			a := &c.Actions[i]
			a.OnRetry = a.Verdict()
			a.Verified, a.Unverified = contractOf(&c, a)
			if a.Inputs == nil {
				a.Inputs = []Field{}
			}
			if a.Outputs == nil {
				a.Outputs = []Field{}
			}
		}
		sort.SliceStable(c.Actions, func(i, j int) bool { return c.Actions[i].Name < c.Actions[j].Name })
		m[c.Type] = &c
	}
	return m
}

// Types returns the connector type names, sorted.
func Types() []string {
	types := make([]string, 0, len(catalogue))
	for t := range catalogue {
		types = append(types, t)
	}
	sort.Strings(types)
	return types
}

// Lookup returns the connector of the given type. The result is a fresh
// deep copy that the caller owns and may modify.
func Lookup(typ string) (*Connector, bool) {
	c, ok := catalogue[typ]
	if !ok {
		return nil, false
	}
	cp := copyConnector(c)
	return &cp, true
}

// All returns every connector, sorted by type. The results are fresh deep
// copies that the caller owns and may modify.
func All() []*Connector {
	types := Types()
	all := make([]*Connector, 0, len(types))
	for _, t := range types {
		cp := copyConnector(catalogue[t])
		all = append(all, &cp)
	}
	return all
}

// Action returns the connector's action with the given name. The pointer
// refers into c.
func (c *Connector) Action(name string) (*Action, bool) {
	for i := range c.Actions {
		if c.Actions[i].Name == name {
			return &c.Actions[i], true
		}
	}
	return nil, false
}

// ActionNames returns the names of the connector's actions, sorted.
func (c *Connector) ActionNames() []string {
	names := make([]string, len(c.Actions))
	for i, a := range c.Actions {
		names[i] = a.Name
	}
	sort.Strings(names)
	return names
}

// Input returns the action's input with the given name. The pointer refers
// into a.
func (a *Action) Input(name string) (*Field, bool) {
	return findField(a.Inputs, name)
}

// Output returns the action's output with the given name. The pointer
// refers into a.
func (a *Action) Output(name string) (*Field, bool) {
	return findField(a.Outputs, name)
}

// MayRepeat reports whether a retry of the action may make it twice: it
// is a write (for http.request, with some method) that is neither
// idempotent nor deduplicated by jml's idempotency key. The
// retry-non-idempotent lint warns for exactly these.
func (a *Action) MayRepeat() bool {
	return !a.Idempotent && a.Dedupe == "" && (a.Effect == Write || len(a.ReadMethods) > 0)
}

// The verdicts of the idempotency audit (Action.Verdict).
const (
	// VerdictIdempotent is an action that is safe to repeat: a read, or a
	// write that leaves the target as the first call left it.
	VerdictIdempotent = "idempotent"
	// VerdictDeduplicated is a write that is not idempotent but that jml
	// makes once per idempotency key (Action.Dedupe).
	VerdictDeduplicated = "deduplicated"
	// VerdictMayRepeat is a write that a retry may make twice.
	VerdictMayRepeat = "may repeat on retry"
)

// Verdict is the action's verdict of the idempotency audit.
func (a *Action) Verdict() string {
	switch {
	case a.Idempotent:
		return VerdictIdempotent
	case a.Dedupe != "":
		return VerdictDeduplicated
	case a.MayRepeat():
		return VerdictMayRepeat
	}
	return VerdictIdempotent // a read
}

// Vendor returns the name messages give the system behind connectors of
// type typ (Connector.Vendor), or "" for an unknown type or for http.
func Vendor(typ string) string {
	if c, ok := catalogue[typ]; ok {
		return c.Vendor
	}
	return ""
}

// DefaultBaseURL returns the API base URL of connectors of type typ when
// jml.yaml gives none (Connector.DefaultBaseURL), or "".
func DefaultBaseURL(typ string) string {
	if c, ok := catalogue[typ]; ok {
		return c.DefaultBaseURL
	}
	return ""
}

// DefaultRate returns the default client-side rate limit of connectors of
// type typ in requests per second (Connector.DefaultRate), 0 for none.
func DefaultRate(typ string) float64 {
	if c, ok := catalogue[typ]; ok {
		return c.DefaultRate
	}
	return 0
}

// EffectFor returns the action's effect when its `method` input is method.
// It is a.Effect, except for actions with ReadMethods (http.request), which
// are a Read for those methods (compared case-insensitively) and a Write
// for any other.
func (a *Action) EffectFor(method string) Effect {
	if len(a.ReadMethods) == 0 {
		return a.Effect
	}
	method = strings.TrimSpace(method)
	for _, m := range a.ReadMethods {
		if strings.EqualFold(m, method) {
			return Read
		}
	}
	return Write
}

// Placeholders returns the names of the {placeholders} in a path template,
// in order of first appearance and without duplicates.
func Placeholders(template string) []string {
	var names []string
	seen := map[string]bool{}
	for rest := template; ; {
		open := strings.IndexByte(rest, '{')
		if open < 0 {
			return names
		}
		end := strings.IndexByte(rest[open:], '}')
		if end < 0 {
			return names
		}
		name := rest[open+1 : open+end]
		if name != "" && !seen[name] {
			seen[name] = true
			names = append(names, name)
		}
		rest = rest[open+end+1:]
	}
}

func findField(fields []Field, name string) (*Field, bool) {
	for i := range fields {
		if fields[i].Name == name {
			return &fields[i], true
		}
	}
	return nil, false
}

func copyConnector(c *Connector) Connector {
	cp := *c
	cp.Auth = copyStrings(c.Auth)
	if c.Account != nil {
		a := copyAccount(*c.Account)
		cp.Account = &a
	}
	if c.Verified != nil {
		d := *c.Verified
		cp.Verified = &d
	}
	if c.Error != nil {
		e := *c.Error
		e.Codes = make(map[string]string, len(c.Error.Codes))
		for k, v := range c.Error.Codes {
			e.Codes[k] = v
		}
		cp.Error = &e
	}
	cp.Actions = make([]Action, len(c.Actions))
	for i, a := range c.Actions {
		cp.Actions[i] = copyAction(a)
	}
	return cp
}

func copyAction(a Action) Action {
	cp := a
	cp.Inputs = copyFields(a.Inputs)
	cp.Outputs = copyFields(a.Outputs)
	cp.ReadMethods = copyStrings(a.ReadMethods)
	if a.Verified != nil {
		d := *a.Verified
		cp.Verified = &d
	}
	cp.Scopes = copyStrings(a.Scopes)
	if a.Call.Lookups != nil {
		cp.Call.Lookups = make([]LookupCall, len(a.Call.Lookups))
		for i, l := range a.Call.Lookups {
			l.Yields = copyStrings(l.Yields)
			cp.Call.Lookups[i] = l
		}
	}
	return cp
}

func copyFields(fs []Field) []Field {
	if fs == nil {
		return nil
	}
	cp := make([]Field, len(fs))
	for i, f := range fs {
		f.Fields = copyFields(f.Fields)
		cp[i] = f
	}
	return cp
}

func copyStrings(s []string) []string {
	if s == nil {
		return nil
	}
	return append(make([]string, 0, len(s)), s...)
}

// Helpers for writing the catalogue data.

// reqIn is a required input field.
func reqIn(name string, t Type, desc string, sub ...Field) Field {
	return Field{Name: name, Type: t, Required: true, Description: desc, Fields: sub}
}

// optIn is an optional input field.
func optIn(name string, t Type, desc string, sub ...Field) Field {
	return Field{Name: name, Type: t, Description: desc, Fields: sub}
}

// out is an output field (or a sub-field).
func out(name string, t Type, desc string, sub ...Field) Field {
	return Field{Name: name, Type: t, Description: desc, Fields: sub}
}
