package flopack

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode"

	"gopkg.in/yaml.v3"

	"github.com/jml-dev/jml/pkg/scaffold"
)

// File is one file the import writes, relative to the output directory.
type File struct {
	Path string
	Data []byte
}

// Report says what an import did.
type Report struct {
	Flows      []FlowReport   `json:"flows"`
	Cards      int            `json:"cards"`      // cards that do something (comments, noops and joins not counted)
	Translated int            `json:"translated"` // of Cards
	Missing    map[string]int `json:"notTranslated"`
	Decisions  []string       `json:"decisions"`
}

// FlowReport is the part of a Report about one flow.
type FlowReport struct {
	Name       string   `json:"name"` // the Okta flow name
	File       string   `json:"file"`
	Trigger    string   `json:"trigger"`
	Cards      int      `json:"cards"`
	Translated int      `json:"translated"`
	Enabled    bool     `json:"enabled"`
	Todo       []string `json:"todo,omitempty"` // "Card Name (module.method): why"
}

// Import translates a pack into jml flow files (flows/<slug>.yaml) and
// a jml.yaml holding the instances its connections need. The same pack
// always gives the same bytes.
func Import(p *Pack) ([]File, *Report) {
	im := &importer{pack: p, rep: &Report{Missing: map[string]int{}}, flowSlug: map[string]string{}, flowByID: map[string]*Flow{}}
	used := map[string]bool{}
	for _, f := range p.Flows {
		im.flowSlug[f.ID] = uniqueFlowName(slug(f.Name, "flow"), used)
		im.flowByID[f.ID] = f
	}
	im.instances()
	var files []File
	for _, f := range p.Flows {
		data, fr := im.flow(f)
		files = append(files, File{Path: "flows/" + im.flowSlug[f.ID] + ".yaml", Data: data})
		im.rep.Flows = append(im.rep.Flows, fr)
		im.rep.Cards += fr.Cards
		im.rep.Translated += fr.Translated
	}
	files = append(files, File{Path: "jml.yaml", Data: im.config()})
	sort.Slice(files, func(i, j int) bool { return files[i].Path < files[j].Path })
	im.rep.Decisions = dedupe(im.rep.Decisions)
	return files, im.rep
}

type importer struct {
	pack     *Pack
	rep      *Report
	flowSlug map[string]string
	flowByID map[string]*Flow
	instance map[string]string // connection id → jml instance name
	modInst  map[string]string // Okta module → jml instance name
	conns    []instanceDecl
	// tableInst is the table instance holding the pack's tables (stash.go).
	tableInst string
	// apiInst is, by app instance, the http instance of its Custom API
	// Actions (customapi.go).
	apiInst map[string]string
	// vars are, by flow id, the vars a flow declares (null) under vars:.
	vars map[string][]string
	// triggers are, by flow id, the trigger its flow was read with (the
	// report's: "helper", "http PATH", "event TYPE", "schedule …").
	triggers map[string]string
}

// flowVar declares var name (null) in flow f's vars:.
func (im *importer) flowVar(f *Flow, name string) {
	if f == nil {
		return
	}
	if im.vars == nil {
		im.vars = map[string][]string{}
	}
	if !slices.Contains(im.vars[f.ID], name) {
		im.vars[f.ID] = append(im.vars[f.ID], name)
	}
}

type instanceDecl struct {
	name, typ, okta, id string
	// lines are the commented credentials, when not the type's
	// placeholders (an http instance beside an app's: the app's).
	lines []string
}

func (im *importer) decide(format string, args ...any) {
	im.rep.Decisions = append(im.rep.Decisions, fmt.Sprintf(format, args...))
}

func dedupe(s []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, x := range s {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}

// connectorFor is the jml connector type behind an Okta Workflows
// connector (module), or "".
var connectorFor = map[string]string{
	"okta":            "okta",
	"googledirectory": "google",
	"googledrive":     "google",
	"googlecalendar":  "google",
	"gmail":           "google",
	"slack":           "slack",
	"office365admin":  "microsoft",
	"office365mail":   "microsoft",
	"office365":       "microsoft",
	"servicenow":      "servicenow",
	"salesforce":      "salesforce",
	"github":          "github",
	"jira":            "jira",
}

func (im *importer) instances() {
	im.instance = map[string]string{}
	im.modInst = map[string]string{}
	used := map[string]bool{}
	for _, c := range im.pack.Connections {
		typ := connectorFor[c.Module]
		if typ == "" {
			im.decide("connection %q (%s): jml has no %s connector; its cards are not imported", c.Name, c.Module, c.Module)
			continue
		}
		name := im.modInst[c.Module]
		if name == "" {
			name = unique(typ, used)
			im.modInst[c.Module] = name
			im.conns = append(im.conns, instanceDecl{name: name, typ: typ, okta: c.Name, id: c.ID})
		}
		im.instance[c.ID] = name
	}
	im.tableInstance(used)
}

// instanceFor is the jml instance an app card of module uses.
func (im *importer) instanceFor(c *Card) string {
	if n := im.instance[c.Config]; n != "" {
		return n
	}
	if n := im.modInst[c.Module]; n != "" {
		return n
	}
	typ := connectorFor[c.Module]
	if typ == "" {
		return ""
	}
	// A card whose connection the export left out: the one instance of
	// its type (Okta's Google Directory and Google Drive cards both run on
	// jml's google connector), else an instance named after the type.
	used := map[string]bool{}
	same := []string{}
	for _, d := range im.conns {
		used[d.name] = true
		if d.typ == typ {
			same = append(same, d.name)
		}
	}
	if len(same) == 1 {
		im.modInst[c.Module] = same[0]
		return same[0]
	}
	name := unique(typ, used)
	im.modInst[c.Module] = name
	im.conns = append(im.conns, instanceDecl{name: name, typ: typ, okta: "(not in the export)"})
	im.decide("card %q names no connection in the export: instance %q of type %s", c.Name, name, typ)
	return name
}

// placeholders are the commented credentials of each connector type:
// references only, never a secret.
var placeholders = map[string][]string{
	"okta":       {"baseURL: https://YOUR-ORG.okta.com", "auth: {type: ssws, token: {env: OKTA_API_TOKEN}}"},
	"google":     {"auth: {type: serviceAccount, credentials: {file: /etc/jml/google-sa.json}, subject: admin@example.com}"},
	"slack":      {"auth: {type: bearer, token: {env: SLACK_SCIM_TOKEN}}"},
	"microsoft":  {"auth: {type: oauth2, tokenURL: https://login.microsoftonline.com/YOUR-TENANT-ID/oauth2/v2.0/token, clientID: {env: MS_CLIENT_ID}, clientSecret: {env: MS_CLIENT_SECRET}}"},
	"servicenow": {"baseURL: https://YOUR-INSTANCE.service-now.com", "auth: {type: basic, username: {env: SN_USER}, password: {env: SN_PASSWORD}}"},
	"salesforce": {"baseURL: https://YOUR-DOMAIN.my.salesforce.com", "auth: {type: oauth2, clientId: {env: SF_CLIENT_ID}, clientSecret: {env: SF_CLIENT_SECRET}}"},
	"github":     {"auth: {type: bearer, token: {env: GITHUB_TOKEN}}"},
	"jira":       {"baseURL: https://YOUR-SITE.atlassian.net", "auth: {type: basic, username: {env: JIRA_USER}, password: {env: JIRA_API_TOKEN}}"},
}

func (im *importer) config() []byte {
	var b bytes.Buffer
	b.WriteString("# yaml-language-server: $schema=" + scaffold.SchemaBase + "config.schema.json\n")
	b.WriteString("# Written by jml import flopack. Fill in the commented credentials (references to\n")
	b.WriteString("# environment variables or files, never the secrets themselves) before jml apply.\n")
	b.WriteString("apiVersion: jml/v1\nkind: Config\nflows: flows/\n")
	if len(im.conns) == 0 {
		b.WriteString("connectors: {}\n")
		return b.Bytes()
	}
	b.WriteString("connectors:\n")
	for _, d := range im.conns {
		if d.typ == "table" {
			b.WriteString("  # The pack's Okta Workflows tables: jml keeps their rows in the history store.\n")
			fmt.Fprintf(&b, "  %s:\n    type: table\n%s", d.name, im.tablesYAML())
			continue
		}
		fmt.Fprintf(&b, "  # Okta Workflows connection %s\n", strconv.Quote(d.okta))
		fmt.Fprintf(&b, "  %s:\n    type: %s\n", d.name, d.typ)
		lines := placeholders[d.typ]
		if d.lines != nil {
			lines = d.lines
		}
		for _, l := range lines {
			fmt.Fprintf(&b, "    # %s\n", l)
		}
	}
	return b.Bytes()
}

// slug makes a flow name: lower case, [a-z0-9-].
func slug(s, fallback string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		if r < 128 && (unicode.IsLetter(r) || unicode.IsDigit(r)) {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = false
			b.WriteRune(r)
		} else {
			dash = true
		}
	}
	if b.Len() == 0 {
		return fallback
	}
	return b.String()
}

// ident makes a CEL identifier in lowerCamelCase ("Last Login" → lastLogin).
func ident(s, fallback string) string {
	var b strings.Builder
	up := false
	for _, r := range s {
		if r < 128 && (unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_') {
			switch {
			case b.Len() == 0:
				if unicode.IsDigit(r) {
					b.WriteByte('_')
				}
				b.WriteRune(unicode.ToLower(r))
			case up:
				b.WriteRune(unicode.ToUpper(r))
			default:
				b.WriteRune(r)
			}
			up = false
		} else {
			up = true
		}
	}
	if b.Len() == 0 {
		return fallback
	}
	out := b.String()
	if len(out) > 1 && strings.ToUpper(out[1:]) == out[1:] {
		out = strings.ToLower(out) // "ID" → id, not iD
	}
	if celReserved[out] {
		out += "_" // vars.true is no selection: vars.true_ is
	}
	return out
}

// celReserved are CEL's reserved words and literals, which cannot follow
// a dot (vars.NAME, steps.ID).
var celReserved = map[string]bool{
	"true": true, "false": true, "null": true, "in": true,
	"as": true, "break": true, "const": true, "continue": true, "else": true, "for": true, "function": true,
	"if": true, "import": true, "let": true, "loop": true, "package": true, "namespace": true, "return": true,
	"var": true, "void": true, "while": true,
}

func unique(base string, used map[string]bool) string {
	name := base
	for i := 2; used[name]; i++ {
		name = fmt.Sprintf("%s-%d", base, i)
		if !strings.Contains(base, "-") && isIdent(base) {
			name = fmt.Sprintf("%s%d", base, i)
		}
	}
	used[name] = true
	return name
}

// maxFlowName is the longest flow name the flow schema takes (a DNS
// label's length).
const maxFlowName = 63

// uniqueFlowName is unique of a flow's slug cut to maxFlowName, at a word
// where it can, with room for unique's suffix.
func uniqueFlowName(base string, used map[string]bool) string {
	const room = 4 // "-NNN"
	if len(base) > maxFlowName-room {
		cut := base[:maxFlowName-room]
		if i := strings.LastIndexByte(cut, '-'); i > maxFlowName/2 {
			cut = cut[:i]
		}
		base = strings.TrimRight(cut, "-")
	}
	return unique(base, used)
}

// structural cards carry no behaviour of their own.
func structural(c *Card) bool {
	return c.Kernel && c.Module == "control" && (c.Method == "comment" || c.Method == "noop" || c.Method == "join")
}

func cardLabel(c *Card) string { return fmt.Sprintf("%s (%s.%s)", c.Name, c.Module, c.Method) }

// YAML node helpers.

func str(s string) *yaml.Node {
	n := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s}
	if strings.Contains(s, "\n") {
		n.Style = yaml.LiteralStyle
	}
	return n
}

func plain(s, tag string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Tag: tag, Value: s} }

func mapping(kv ...any) *yaml.Node {
	m := &yaml.Node{Kind: yaml.MappingNode}
	for i := 0; i+1 < len(kv); i += 2 {
		var v *yaml.Node
		switch x := kv[i+1].(type) {
		case *yaml.Node:
			v = x
		case string:
			v = str(x)
		}
		m.Content = append(m.Content, str(kv[i].(string)), v)
	}
	return m
}

func seq(items ...*yaml.Node) *yaml.Node {
	return &yaml.Node{Kind: yaml.SequenceNode, Content: items}
}

func set(m *yaml.Node, k string, v *yaml.Node) { m.Content = append(m.Content, str(k), v) }

// literal is a YAML node for an Okta literal value.
func literal(v any) *yaml.Node {
	switch x := v.(type) {
	case nil:
		return plain("null", "!!null")
	case bool:
		return plain(strconv.FormatBool(x), "!!bool")
	case json.Number:
		if _, err := x.Int64(); err == nil {
			return plain(x.String(), "!!int")
		}
		return plain(x.String(), "!!float")
	case string:
		return str(x)
	case []any:
		s := seq()
		for _, e := range x {
			s.Content = append(s.Content, literal(e))
		}
		s.Style = yaml.FlowStyle
		return s
	case map[string]any:
		ks := make([]string, 0, len(x))
		for k := range x {
			ks = append(ks, k)
		}
		sort.Strings(ks)
		m := mapping()
		for _, k := range ks {
			set(m, k, literal(x[k]))
		}
		m.Style = yaml.FlowStyle
		return m
	}
	return str(fmt.Sprint(v))
}

// celLiteral is v as a CEL literal.
func celLiteral(v any) (string, bool) {
	switch x := v.(type) {
	case nil:
		return "null", true
	case bool:
		return strconv.FormatBool(x), true
	case json.Number:
		return x.String(), true
	case string:
		return strconv.Quote(x), true
	case []any:
		items := make([]string, len(x))
		for i, e := range x {
			l, ok := celLiteral(e)
			if !ok {
				return "", false
			}
			items[i] = l
		}
		return "[" + strings.Join(items, ", ") + "]", true
	}
	return "", false
}

func emptyLiteral(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case string:
		return x == ""
	case []any:
		return len(x) == 0
	case map[string]any:
		return len(x) == 0
	}
	return false
}

// eventFor maps Okta Workflows' Okta event cards to the System Log
// event type they are fired by.
var eventFor = map[string]string{
	"userAddedToGroupMembership":     "group.user_membership.add",
	"userRemovedFromGroupMembership": "group.user_membership.remove",
	"oktaUserProfileUpdated":         "user.account.update_profile",
	"userDeactivated":                "user.lifecycle.deactivate",
	"userActivated":                  "user.lifecycle.activate",
	"userCreated":                    "user.lifecycle.create",
	"userSuspended":                  "user.lifecycle.suspend",
	"userUnsuspended":                "user.lifecycle.unsuspend",
	"userReactivated":                "user.lifecycle.reactivate",
	"userDeleted":                    "user.lifecycle.delete.initiated",
	"userAssignedToApplication":      "application.user_membership.add",
	"userUnassignedFromApplication":  "application.user_membership.remove",
	"userOktaPasswordChanged":        "user.account.update_password",
	"userAccountLocked":              "user.account.lock",
}

// userField maps the fields of Okta Workflows' Okta user record (Read
// User, List Users, and the objects they put in lists) to jml's okta
// user object (id, status, profile, lastLogin); ID and Type are also the
// fields of Okta's group record (jml's group object: id, type).
var userField = map[string]string{
	"ID": "id", "Id": "id", "Status": "status", "Created": "created", "Activated": "activated",
	"Status Changed": "statusChanged", "Last Login": "lastLogin", "Last Updated": "lastUpdated",
	"Password Changed": "passwordChanged", "First Name": "profile.firstName", "Last Name": "profile.lastName",
	"Mobile Phone": "profile.mobilePhone", "Second Email": "profile.secondEmail", "Login": "profile.login",
	"Email": "profile.email", "Display Name": "profile.displayName", "Department": "profile.department",
	"Title": "profile.title", "Manager ID": "profile.managerId", "Manager": "profile.manager",
	"Type": "type",
}

// skuField maps the fields of Okta Workflows' Office 365 licence record
// (the items of Get Licenses' Licenses) to microsoft.listSubscribedSkus'
// skus (Graph's subscribedSku); its Id is the record's id, as userField
// says. Its Name has no Graph property and is not mapped.
var skuField = map[string]string{
	"SKU Id": "skuId", "SKU ID": "skuId", "SKU Part Number": "skuPartNumber", "Applies To": "appliesTo",
	"Capability Status": "capabilityStatus", "Consumed Units": "consumedUnits", "Prepaid Units": "prepaidUnits",
	"Service Plans": "servicePlans",
}

// googleField maps the fields of Okta Workflows' Google Workspace
// records (the items of Read All User ASPs, Access Tokens and Devices) to
// the google actions' items: listASPs' codeId, listTokens' clientId,
// listMobileDevices' deviceId (the serial number) and resourceId.
var googleField = map[string]string{
	"Code ID": "codeId", "Client ID": "clientId", "Device ID": "deviceId", "Resource ID": "resourceId",
}

// googleNumber are the googleField fields Okta's record holds as text and
// jml's action answers as a number (Google's int32 codeId): a text input
// taking one gets string() of it, as Okta passes it.
var googleNumber = map[string]bool{"Code ID": true}

// fieldPath is the CEL selection of an Okta output path on base.
func fieldPath(base, path string) string {
	if path == "" {
		return base
	}
	if f, ok := rowField[path]; ok { // a table row's (stash.go)
		return base + "." + f
	}
	if f, ok := userField[path]; ok {
		return base + "." + f
	}
	if f, ok := skuField[path]; ok {
		return base + "." + f
	}
	if f, ok := googleField[path]; ok {
		return base + "." + f
	}
	if rest, ok := strings.CutPrefix(path, "Raw Output"); ok {
		rest = strings.TrimPrefix(rest, ".")
		if rest == "" {
			return base
		}
		out := base
		for _, p := range strings.Split(rest, ".") {
			if isIdent(p) {
				out += "." + p
			} else {
				out += "[" + strconv.Quote(p) + "]"
			}
		}
		return out
	}
	return base + "[" + strconv.Quote(path) + "]"
}

// isJoin reports whether c is a Join, where the branches of an If/Else
// meet (not List to Text, list.join).
func isJoin(c *Card) bool { return c.Kernel && c.Module == "control" && c.Method == "join" }
