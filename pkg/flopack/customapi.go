package flopack

import (
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/jml-dev/jml/pkg/catalog"
)

// Custom API Action (METHOD.hTTPRequest) is an authenticated request to
// the app of its connection, at a Relative URL under the app's base URL
// (Okta: https://YOUR-ORG.okta.com, so /api/v1/users); its Status Code,
// Headers and Body (the response, parsed JSON) are outputs. It becomes
// jml's generic http.request on an http instance declared beside the
// app's, with the same base URL and credentials.

// customAPIModules are the connectors whose Custom API Action is
// imported.
var customAPIModules = map[string]bool{"okta": true, "servicenow": true}

// customAPIMethods are the Request Types imported: Okta's GET(Streaming)
// streams records to a helper flow, which http.request does not.
var customAPIMethods = map[string]bool{"GET": true, "HEAD": true, "POST": true, "PUT": true, "PATCH": true, "DELETE": true}

// customAPIOutput maps the card's outputs to http.request's.
var customAPIOutput = map[string]string{"Status Code": "status", "Headers": "headers", "Body": "body"}

// httpInstance is the http instance for the Custom API Actions of the
// app instance inst (declared once, after it, named INST-api), with the
// app type's base URL and credentials as its placeholders.
func (im *importer) httpInstance(inst string) string {
	if im.apiInst == nil {
		im.apiInst = map[string]string{}
	}
	if n := im.apiInst[inst]; n != "" {
		return n
	}
	used := map[string]bool{}
	var app instanceDecl
	for _, d := range im.conns {
		used[d.name] = true
		if d.name == inst {
			app = d
		}
	}
	name := unique(inst+"-api", used)
	im.apiInst[inst] = name
	im.conns = append(im.conns, instanceDecl{name: name, typ: "http", okta: app.okta, lines: placeholders[app.typ]})
	im.decide("the Custom API Action cards of connection %q run on the http instance %q, with the base URL and credentials of the %s instance %q", app.okta, name, app.typ, inst)
	return name
}

// customAPI translates a Custom API Action card.
func (t *ftr) customAPI(c *Card) (*yaml.Node, string) {
	app := t.im.instanceFor(c)
	typ := connectorFor[c.Module]
	var method string
	var path *Field
	with := mapping()
	for _, f := range c.Inputs {
		switch {
		case f.Key == "requestType":
			m, _ := f.Value.(string)
			if isPinned(t, c, f) || !customAPIMethods[m] {
				return nil, fmt.Sprintf("request type %v: only GET, HEAD, POST, PUT, PATCH and DELETE are imported", f.Value)
			}
			method = m
		case f.Group == "Request" && f.Key == "Relative URL":
			path = f
		case f.Group == "Request" && (f.Key == "Query" || f.Key == "Headers" || f.Key == "Body"):
		case f.Group != "parameters" && (isPinned(t, c, f) || !emptyLiteral(f.Value)):
			return nil, fmt.Sprintf("input %q has no http.request equivalent", f.Key)
		}
	}
	if method == "" || path == nil || (!isPinned(t, c, path) && emptyLiteral(path.Value)) {
		return nil, "no request type or Relative URL"
	}
	id := t.stepID(c)
	if n, ok := t.catalogueFor(c, typ, app, method, path, id); ok {
		return n, ""
	}
	set(with, "method", str(method))
	req := map[string]*Field{}
	for _, g := range c.Inputs {
		if g.Group == "Request" && (isPinned(t, c, g) || !emptyLiteral(g.Value)) {
			req[g.Key] = g
		}
	}
	for _, k := range []string{"Relative URL", "Query", "Headers", "Body"} {
		f := req[k]
		if k == "Headers" && jsonHeader(t, c, req) {
			h := map[string]any{}
			if f != nil {
				for n, v := range f.Value.(map[string]any) {
					h[n] = v
				}
			}
			h["Content-Type"] = "application/json"
			set(with, "headers", literal(h))
			t.im.decide("Custom API Action with a Body the flow builds: Okta's connector sends it as JSON, so the import sets the header Content-Type: application/json (http.request sends a text body as text/plain), unless the card's Headers name a Content-Type or are connected")
			continue
		}
		if f == nil {
			continue
		}
		v, why := t.value(c, f, "")
		if why != "" {
			return nil, why
		}
		set(with, map[string]string{"Relative URL": "path", "Query": "query", "Headers": "headers", "Body": "body"}[k], v)
	}
	for _, o := range c.Outputs {
		if out := customAPIOutput[o.Key]; out != "" {
			t.outExpr[c.ID+"/"+o.ID] = "steps." + id + ".output." + out
		}
	}
	inst := t.im.httpInstance(app)
	t.im.decide("Custom API Action becomes http.request: the Relative URL is the path under the connection's base URL (a query string in it is kept, the Query object added to it), Headers are extra headers (the instance's auth sets Authorization), Body is sent as JSON; its outputs Status Code, Headers and Body (the response, parsed when JSON, as Okta parses it) are the step's status, headers and body; a status other than 2xx fails the step")
	if method != "GET" && method != "HEAD" {
		t.im.decide("%s: %s through http.request is a write that no catalogue action describes: the deprovisioning guardrail (guardrails.maxDeprovisionsPerApply) does not count the people it may take access from, and the leaver lints do not see it", cardLabel(c), method)
	}
	return mapping("id", id, "action", inst+".request", "with", with), ""
}

// jsonHeader reports whether a Custom API Action's request (its given
// Request inputs) needs Content-Type: application/json added: its Body is
// connected (a Compose's text would go out as text/plain), and its
// Headers are a literal object, or none, naming no Content-Type.
func jsonHeader(t *ftr, c *Card, req map[string]*Field) bool {
	b := req["Body"]
	if b == nil || !isPinned(t, c, b) {
		return false
	}
	h := req["Headers"]
	if h == nil {
		return true
	}
	m, ok := h.Value.(map[string]any)
	if isPinned(t, c, h) || !ok {
		return false
	}
	for n := range m {
		if strings.EqualFold(n, "Content-Type") {
			return false
		}
	}
	return true
}

// catalogueFor is, for a Custom API Action whose literal request is the
// call of one of the catalogue's deprovisioning actions of typ (POST
// /api/v1/users/ID/lifecycle/suspend is okta.suspendUser), that action:
// the guardrail counts it, where it would not count http.request. Only
// a literal Relative URL without query, and no Query or Body, is matched,
// on a card none of whose outputs is read (the catalogue action returns
// no HTTP status, headers or body).
func (t *ftr) catalogueFor(c *Card, typ, app, method string, path *Field, id string) (*yaml.Node, bool) {
	url, _ := path.Value.(string)
	if isPinned(t, c, path) || strings.Contains(url, "?") || len(c.Pins) > 0 {
		return nil, false
	}
	for _, f := range c.Inputs {
		if f.Group == "Request" && (f.Key == "Query" || f.Key == "Body") && (isPinned(t, c, f) || !emptyLiteral(f.Value)) {
			return nil, false
		}
	}
	conn, ok := catalog.Lookup(typ)
	if !ok {
		return nil, false
	}
	for _, a := range conn.Actions {
		if !a.Deprovision || a.Call.Method != method {
			continue
		}
		tmpl, _, _ := strings.Cut(a.Call.Path, "?")
		in, ok := matchPath(tmpl, url)
		if !ok {
			continue
		}
		with := mapping()
		for _, k := range sortedKeys(in) {
			set(with, k, str(in[k]))
		}
		n := mapping("id", id, "action", app+"."+a.Name, "with", with)
		t.im.decide("%s: %s %s is the call of %s.%s, a deprovisioning action of the catalogue: it becomes that action, so the deprovisioning guardrail counts it", cardLabel(c), method, url, typ, a.Name)
		return n, true
	}
	return nil, false
}

// matchPath matches path against a catalogue path template
// (/api/v1/users/{userId}/lifecycle/suspend), giving each placeholder's
// segment.
func matchPath(tmpl, path string) (map[string]string, bool) {
	ts := strings.Split(strings.Trim(tmpl, "/"), "/")
	ps := strings.Split(strings.Trim(path, "/"), "/")
	if len(ts) != len(ps) {
		return nil, false
	}
	in := map[string]string{}
	for i, s := range ts {
		if name, ok := strings.CutPrefix(s, "{"); ok && strings.HasSuffix(name, "}") {
			if ps[i] == "" {
				return nil, false
			}
			in[strings.TrimSuffix(name, "}")] = ps[i]
			continue
		}
		if s != ps[i] {
			return nil, false
		}
	}
	return in, true
}
