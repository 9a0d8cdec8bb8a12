package contract_test

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strings"
)

// csdl is a small checker of requests and responses against an OData CSDL
// description (Microsoft Graph's $metadata): entity sets, keys, navigation
// properties, $ref, bound actions and their parameters, properties of PATCH
// bodies and $select, and the property names and primitive types of
// answers. kin-openapi does not read CSDL, and Graph's OpenAPI rendering is
// tens of megabytes.
type csdl struct {
	sets    map[string]string // entity set -> type name
	types   map[string]*edmType
	actions map[string][]edmAction // by name
}

type edmType struct {
	kind, base string
	props      map[string]edmProp
	navs       map[string]string
}

type edmProp struct {
	typ      string
	nullable bool
}

type edmAction struct {
	binding string
	params  map[string]edmProp
	returns string
}

func loadCSDL(path string) (*csdl, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var doc struct {
		Schemas []struct {
			Elems []struct {
				XMLName    xml.Name
				Name       string `xml:"Name,attr"`
				BaseType   string `xml:"BaseType,attr"`
				EntityType string `xml:"EntityType,attr"`
				Children   []struct {
					XMLName    xml.Name
					Name       string `xml:"Name,attr"`
					Type       string `xml:"Type,attr"`
					Nullable   string `xml:"Nullable,attr"`
					EntityType string `xml:"EntityType,attr"`
				} `xml:",any"`
			} `xml:",any"`
		} `xml:"DataServices>Schema"`
	}
	if err := xml.Unmarshal(b, &doc); err != nil {
		return nil, err
	}
	c := &csdl{sets: map[string]string{}, types: map[string]*edmType{}, actions: map[string][]edmAction{}}
	for _, s := range doc.Schemas {
		for _, e := range s.Elems {
			switch e.XMLName.Local {
			case "EntityType", "ComplexType", "EnumType":
				t := &edmType{kind: e.XMLName.Local, base: short(e.BaseType), props: map[string]edmProp{}, navs: map[string]string{}}
				for _, ch := range e.Children {
					switch ch.XMLName.Local {
					case "Property":
						t.props[ch.Name] = edmProp{typ: short(ch.Type), nullable: ch.Nullable != "false"}
					case "NavigationProperty":
						t.navs[ch.Name] = short(ch.Type)
					}
				}
				c.types[e.Name] = t
			case "Action":
				a := edmAction{params: map[string]edmProp{}}
				for _, ch := range e.Children {
					switch {
					case ch.XMLName.Local == "ReturnType":
						a.returns = short(ch.Type)
					case ch.Name == "bindingParameter":
						a.binding = short(ch.Type)
					case ch.XMLName.Local == "Parameter":
						a.params[ch.Name] = edmProp{typ: short(ch.Type), nullable: ch.Nullable != "false"}
					}
				}
				c.actions[e.Name] = append(c.actions[e.Name], a)
			case "EntityContainer":
				for _, ch := range e.Children {
					if ch.XMLName.Local == "EntitySet" {
						c.sets[ch.Name] = short(ch.EntityType)
					}
				}
			}
		}
	}
	return c, nil
}

// short drops the namespace or alias of a type name, inside Collection().
func short(t string) string {
	if in, ok := strings.CutPrefix(t, "Collection("); ok {
		return "Collection(" + short(strings.TrimSuffix(in, ")")) + ")"
	}
	for _, p := range []string{"microsoft.graph.", "graph."} {
		t = strings.TrimPrefix(t, p)
	}
	return t
}

// prop finds a property of t or of its base types.
func (c *csdl) prop(t, name string) (edmProp, bool) {
	for ty := c.types[t]; ty != nil; ty = c.types[ty.base] {
		if p, ok := ty.props[name]; ok {
			return p, true
		}
	}
	return edmProp{}, false
}

func (c *csdl) nav(t, name string) (string, bool) {
	for ty := c.types[t]; ty != nil; ty = c.types[ty.base] {
		if n, ok := ty.navs[name]; ok {
			return n, true
		}
	}
	return "", false
}

// resource is where a path leads: a type, and whether it is a collection,
// a $ref, or a bound action.
type resource struct {
	typ        string
	collection bool
	ref        bool
	action     *edmAction
	template   string
}

func (c *csdl) resolve(path string) (resource, error) {
	segs := strings.Split(strings.Trim(strings.TrimPrefix(path, "/v1.0"), "/"), "/")
	set, ok := c.sets[segs[0]]
	if !ok {
		return resource{}, fmt.Errorf("%s is no entity set of the description", segs[0])
	}
	r := resource{typ: set, collection: true, template: "/" + segs[0]}
	for _, s := range segs[1:] {
		switch {
		case r.ref:
			return r, fmt.Errorf("segment %q after $ref", s)
		case s == "$ref":
			r.ref = true
			r.template += "/$ref"
		case r.collection:
			r.collection = false
			r.template += "/{id}"
		default:
			if n, ok := c.nav(r.typ, s); ok {
				r.typ, r.collection = strings.TrimSuffix(strings.TrimPrefix(n, "Collection("), ")"), strings.HasPrefix(n, "Collection(")
				r.template += "/" + s
				continue
			}
			for _, a := range c.actions[s] {
				if a.binding == r.typ {
					a := a
					r.action = &a
					r.template += "/" + s
				}
			}
			if r.action == nil {
				return r, fmt.Errorf("%s is neither a navigation property of %s nor an action bound to it", s, r.typ)
			}
		}
	}
	return r, nil
}

func (c *csdl) check(ex *exchange) (string, []string) {
	r, err := c.resolve(ex.Path)
	if err != nil {
		return "", []string{fmt.Sprintf("%s %s: %v", ex.Method, ex.Path, err)}
	}
	op := ex.Method + " " + r.template
	var problems []string
	bad := func(f string, a ...any) { problems = append(problems, fmt.Sprintf(f, a...)) }
	var body map[string]any
	if len(ex.Body) > 0 {
		if err := json.Unmarshal(ex.Body, &body); err != nil {
			bad("request: body is not a JSON object: %v", err)
		}
		if ct := ex.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
			bad("request: Content-Type %q with a JSON body", ct)
		}
	}
	for k, vs := range ex.Query {
		switch k {
		case "$select":
			for _, p := range strings.Split(vs[0], ",") {
				if _, ok := c.prop(r.typ, p); !ok {
					bad("request: $select names %s, no property of %s", p, r.typ)
				}
			}
		case "$filter", "$top", "$count", "$expand", "$orderby", "$search", "$skiptoken":
		default:
			bad("request: query parameter %s is no OData system query option", k)
		}
	}
	switch {
	case r.action != nil:
		if ex.Method != "POST" {
			bad("request: action called with %s, not POST", ex.Method)
		}
		for name, p := range r.action.params {
			if _, ok := body[name]; !ok && !p.nullable {
				bad("request: parameter %s of %s missing", name, strings.TrimPrefix(r.template, "/"))
			}
		}
		for k, v := range body {
			p, ok := r.action.params[k]
			if !ok {
				bad("request: %s is no parameter of the action", k)
				continue
			}
			for _, e := range c.value(p.typ, v, k) {
				bad("request: %s", e)
			}
		}
	case r.ref:
		switch ex.Method {
		case "POST":
			if _, ok := body["@odata.id"].(string); !ok || !r.collection || len(body) != 1 {
				bad("request: POST $ref takes a collection and a body of just @odata.id")
			}
		case "DELETE", "GET", "PUT":
		default:
			bad("request: %s on $ref", ex.Method)
		}
	case ex.Method == "PATCH":
		if r.collection {
			bad("request: PATCH of a collection")
		}
		for k, v := range body {
			p, ok := c.prop(r.typ, k)
			if !ok {
				bad("request: %s is no property of %s", k, r.typ)
				continue
			}
			for _, e := range c.value(p.typ, v, k) {
				bad("request: %s", e)
			}
		}
	case ex.Method == "GET", ex.Method == "DELETE", ex.Method == "POST" && r.collection:
	default:
		bad("request: %s on %s", ex.Method, r.template)
	}
	// The answer.
	var ans any
	if len(ex.RespBody) > 0 {
		if err := json.Unmarshal(ex.RespBody, &ans); err != nil {
			bad("sandbox response %d: not JSON: %v", ex.Status, err)
		}
	}
	if ex.Status >= 400 {
		for _, e := range graphError(ans) {
			bad("sandbox response %d: %s", ex.Status, e)
		}
		return op, problems
	}
	typ := r.typ
	if r.action != nil {
		typ = r.action.returns
	}
	switch {
	case ex.Method == "GET" && r.collection:
		m, _ := ans.(map[string]any)
		items, ok := m["value"].([]any)
		if !ok {
			bad("sandbox response %d: a collection without value", ex.Status)
		}
		for i, it := range items {
			for _, e := range c.value(typ, it, fmt.Sprintf("value[%d]", i)) {
				bad("sandbox response %d: %s", ex.Status, e)
			}
		}
	case strings.HasPrefix(typ, "Edm.") || strings.HasPrefix(typ, "Collection("):
		// OData answers a primitive or a collection in {"value": …}.
		m, _ := ans.(map[string]any)
		v, ok := m["value"]
		if !ok {
			bad("sandbox response %d: %s answered without value", ex.Status, typ)
		}
		for _, e := range c.value(typ, v, "value") {
			bad("sandbox response %d: %s", ex.Status, e)
		}
	case ex.Method == "GET" || typ != "" && ans != nil:
		for _, e := range c.value(typ, ans, "body") {
			bad("sandbox response %d: %s", ex.Status, e)
		}
	case ans != nil:
		bad("sandbox response %d: a body, where %s %s answers none (204)", ex.Status, ex.Method, r.template)
	}
	return op, problems
}

var guid = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// value checks a JSON value against an EDM type, by name and primitive
// type (unknown properties, wrong primitive types, bad GUIDs).
func (c *csdl) value(typ string, v any, at string) []string {
	if v == nil {
		return nil
	}
	if in, ok := strings.CutPrefix(typ, "Collection("); ok {
		list, ok := v.([]any)
		if !ok {
			return []string{fmt.Sprintf("%s: %s, not a list", at, typ)}
		}
		var out []string
		for i, e := range list {
			out = append(out, c.value(strings.TrimSuffix(in, ")"), e, fmt.Sprintf("%s[%d]", at, i))...)
		}
		return out
	}
	wrong := func(want string) []string { return []string{fmt.Sprintf("%s: %s, not %s (%T)", at, typ, want, v)} }
	switch typ {
	case "Edm.String", "Edm.DateTimeOffset", "Edm.Date", "Edm.Duration", "Edm.TimeOfDay", "Edm.Binary":
		if _, ok := v.(string); !ok {
			return wrong("a string")
		}
		return nil
	case "Edm.Guid":
		if s, ok := v.(string); !ok || !guid.MatchString(s) {
			return wrong("a GUID string")
		}
		return nil
	case "Edm.Boolean":
		if _, ok := v.(bool); !ok {
			return wrong("a boolean")
		}
		return nil
	case "Edm.Int32", "Edm.Int64", "Edm.Double", "Edm.Single", "Edm.Decimal", "Edm.Byte":
		if _, ok := v.(float64); !ok {
			return wrong("a number")
		}
		return nil
	}
	t := c.types[typ]
	if t == nil {
		return nil // a type the trimmed description does not keep
	}
	if t.kind == "EnumType" {
		if _, ok := v.(string); !ok {
			return wrong("an enum string")
		}
		return nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		return wrong("an object")
	}
	var out []string
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if strings.HasPrefix(k, "@odata.") || strings.Contains(k, "@odata.") {
			continue
		}
		if p, ok := c.prop(typ, k); ok {
			out = append(out, c.value(p.typ, m[k], at+"."+k)...)
		} else if _, ok := c.nav(typ, k); !ok {
			out = append(out, fmt.Sprintf("%s.%s is no property of %s", at, k, typ))
		}
	}
	return out
}

// declares is true for every status: Graph answers any error with its
// one error resource (learn.microsoft.com/graph/errors), which CSDL does not
// describe per operation.
func (c *csdl) declares(*exchange, int) bool { return true }

// graphError checks an error answer against Graph's error resource
// (learn.microsoft.com/graph/errors): {"error": {code, message,
// innerError?, details?, target?}}, code and message strings. CSDL does not
// describe error bodies.
func graphError(ans any) []string {
	m, ok := ans.(map[string]any)
	if !ok {
		return []string{"an error answer without a JSON object body"}
	}
	var out []string
	for k := range m {
		if k != "error" {
			out = append(out, fmt.Sprintf("%s beside error in an error answer", k))
		}
	}
	e, ok := m["error"].(map[string]any)
	if !ok {
		return append(out, "error is not an object")
	}
	for _, k := range []string{"code", "message"} {
		if s, ok := e[k].(string); !ok || s == "" {
			out = append(out, fmt.Sprintf("error.%s is not a non-empty string (%T)", k, e[k]))
		}
	}
	for k, v := range e {
		switch k {
		case "code", "message":
		case "target":
			if _, ok := v.(string); !ok {
				out = append(out, "error.target is not a string")
			}
		case "details":
			if _, ok := v.([]any); !ok {
				out = append(out, "error.details is not a list")
			}
		case "innerError", "innererror":
			if _, ok := v.(map[string]any); !ok {
				out = append(out, "error."+k+" is not an object")
			}
		default:
			out = append(out, "error."+k+" is no property of Graph's error")
		}
	}
	sort.Strings(out)
	return out
}
