package flopack

import (
	"fmt"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// isEndpointCard is an API Endpoint card: the start of a flow Okta serves
// at an invoke URL.
func isEndpointCard(c *Card) bool { return c.Kernel && c.Module == "http" && c.Method == "accept" }

// endpoint translates an API Endpoint card into an http: trigger at
// /api/SLUG. Its outputs: the body's fields (the "body" group) are
// request.body.FIELD, the query's parameters request.query.NAME; the raw
// body text is what a Parse card reads (parseBody), and the headers and
// raw query text are not given to a jml http flow.
func (t *ftr) endpoint(c *Card) *yaml.Node {
	path := "/api/" + t.im.flowSlug[t.f.ID]
	t.rep.Trigger = "http " + path
	t.rep.Translated++
	for _, o := range c.Outputs {
		k := c.ID + "/" + o.ID
		switch {
		case o.Group == "context" && o.Key == "execution_id":
			t.outExpr[k] = "run.id"
		case o.Group == "body":
			t.outExpr[k] = fieldPath("request.body", o.Key)
		case o.Group == "query":
			t.outExpr[k] = fieldPath("request.query", o.Key)
		case o.Group == "raw" && o.Key == "body":
			t.outerWhy[k] = "it reads the API Endpoint's raw body as text: jml gives an http flow its body decoded from JSON (request.body), not its text"
		case o.Group == "raw" && o.Key == "query":
			t.outerWhy[k] = "it reads the API Endpoint's raw query text: jml gives an http flow its parameters (request.query), not the text"
		default:
			t.outerWhy[k] = fmt.Sprintf("it reads the API Endpoint's %s %q: jml does not give an http flow the request's headers", o.Group, o.Key)
		}
	}
	t.im.decide("API Endpoint flows become trigger: {http: {path: /api/FLOW}}, served by jml serve behind the event hook's secret (serve.authHeader/authSecret), not Okta's client token or public service; the body's fields are request.body.FIELD, the query's parameters request.query.NAME")
	s := mapping("path", path)
	s.Style = yaml.FlowStyle
	n := mapping("http", s)
	n.Content[0].HeadComment = "Okta card: " + cardLabel(c)
	return n
}

// parseBody translates Parse (json.parse) of the API Endpoint's raw body:
// jml decodes a JSON body itself (a body that is not JSON is a 400 before
// the flow runs, where Okta's Parse would fail the flow), so its output is
// request.body. Parse of any other text stays a todo: jml's expressions do
// not parse JSON.
func (t *ftr) parseBody(c *Card) (*yaml.Node, string) {
	in := t.input(c, "string")
	if in == nil {
		return nil, "no string"
	}
	src, ok := t.in[c.ID][in.ID]
	if !ok || !isEndpointCard(src.card) || src.out == nil || src.out.Group != "raw" || src.out.Key != "body" || len(src.pin.Path) > 0 {
		return nil, "it parses text other than an API Endpoint's body (jml's expressions do not parse JSON)"
	}
	for _, o := range c.Outputs {
		t.outExpr[c.ID+"/"+o.ID] = "request.body"
	}
	t.im.decide("Parse of the API Endpoint's body is request.body: jml decodes a JSON body before the flow runs (a body that is not JSON is answered 400, where Okta's Parse would fail the flow)")
	return nil, ""
}

// objectGet translates Get (object.get): the value at a literal path of
// dot-separated keys (lodash's _.get, as Okta's card reads it).
func (t *ftr) objectGet(c *Card) (*yaml.Node, string) {
	obj, path := t.input(c, "object"), t.input(c, "path")
	if obj == nil || path == nil {
		return nil, "no object or path"
	}
	if isPinned(t, c, path) {
		return nil, "a connected path is not imported (only a literal)"
	}
	p, _ := path.Value.(string)
	if p == "" || strings.ContainsAny(p, "[]") {
		return nil, fmt.Sprintf("path %q is not imported (only keys separated by dots)", p)
	}
	e, why := t.expr(c, obj, "")
	if why != "" {
		return nil, why
	}
	keys := strings.Split(p, ".")
	if slices.Contains(keys, "") {
		return nil, fmt.Sprintf("path %q has an empty key", p)
	}
	// The event's objects (user, group, actor) are jml's, not Okta's
	// records: a path into one is read as the event card's fields are
	// (eventPath), and a path into one of their text fields is none.
	if name, ok := eventObjectName(e); ok {
		if e, why = eventPath(name, keys); why != "" {
			return nil, why
		}
	} else if eventFieldExpr(e) {
		return nil, fmt.Sprintf("path %q reads into %s, a field of the event that holds no object", p, e)
	} else {
		for _, k := range keys {
			e = fieldPath(e, k)
		}
	}
	for _, o := range c.Outputs {
		t.outExpr[c.ID+"/"+o.ID] = e
	}
	t.im.decide("Get with a literal path reads the field along it (keys separated by dots); a missing key fails the expression, where Okta's Get gives null")
	return nil, ""
}

// returnRaw translates Return Raw, the answer of an API endpoint flow,
// when it answers success with nothing: an empty body and headers, and a
// status code of 200 or 204, or the Status output of an app card (the
// HTTP status of a call that succeeded: a failed one stops the flow). It
// becomes return: {} — jml answers 200 with {}. Any other answer (another
// status, a body, headers) stays a todo: a jml http flow answers 200 with
// a JSON object.
func (t *ftr) returnRaw(c *Card) (*yaml.Node, string) {
	for _, f := range customInputs(c) {
		switch f.Key {
		case "statusCode":
			if src, ok := t.in[c.ID][f.ID]; ok {
				if src.card.Kernel || src.out == nil || !strings.EqualFold(src.out.Key, "status") {
					return nil, "its status code is not a literal 200 or 204, nor an app card's Status"
				}
				continue
			}
			if s := fmt.Sprint(f.Value); s != "200" && s != "204" {
				return nil, fmt.Sprintf("status code %v: a jml http flow answers 200", f.Value)
			}
		case "body", "headers":
			if isPinned(t, c, f) || !emptyValue(f.Value) {
				return nil, fmt.Sprintf("its %s is not empty: a jml http flow answers a JSON object it returns", f.Key)
			}
		}
	}
	t.im.decide("Return Raw answering success with no body (200, 204 or an app card's Status) becomes return: {} (jml answers 200 with {})")
	return mapping("return", flowMap()), ""
}

func emptyValue(v any) bool {
	switch v := v.(type) {
	case nil:
		return true
	case string:
		return v == ""
	case map[string]any:
		return len(v) == 0
	}
	return false
}
