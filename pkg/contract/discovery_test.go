package contract_test

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// discovery is a small checker of requests and responses against Google
// API discovery documents (discovery#restDescription): the method by HTTP
// method and path template (rootUrl, servicePath and the method's path,
// {param} one segment, {+param} reserved expansion), its path and query
// parameters (names, required ones, types, enums, bounds), the request
// body exactly when the method takes one and its properties in the
// referenced schema, recursively, and the answer's properties in the
// response schema. kin-openapi does not read discovery documents.
type discovery struct {
	docs []*discoveryDoc
}

type discoveryDoc struct {
	ID          string                      `json:"id"`
	RootURL     string                      `json:"rootUrl"`
	ServicePath string                      `json:"servicePath"`
	Parameters  map[string]discoveryParam   `json:"parameters"`
	Resources   map[string]*discoveryRes    `json:"resources"`
	Schemas     map[string]*discoverySchema `json:"schemas"`
	methods     []*discoveryMethod
}

type discoveryRes struct {
	Methods   map[string]*discoveryMethod `json:"methods"`
	Resources map[string]*discoveryRes    `json:"resources"`
}

type discoveryMethod struct {
	ID         string                    `json:"id"`
	Path       string                    `json:"path"`
	HTTPMethod string                    `json:"httpMethod"`
	Parameters map[string]discoveryParam `json:"parameters"`
	Request    *discoverySchema          `json:"request"`
	Response   *discoverySchema          `json:"response"`
	Scopes     []string                  `json:"scopes"`
	re         *regexp.Regexp
	names      []string // path parameters, in the order of re's groups
}

type discoveryParam struct {
	Type     string   `json:"type"`
	Format   string   `json:"format"`
	Location string   `json:"location"`
	Required bool     `json:"required"`
	Repeated bool     `json:"repeated"`
	Enum     []string `json:"enum"`
	Minimum  string   `json:"minimum"`
	Maximum  string   `json:"maximum"`
}

type discoverySchema struct {
	ID                   string                      `json:"id"`
	Ref                  string                      `json:"$ref"`
	Type                 string                      `json:"type"`
	Format               string                      `json:"format"`
	Enum                 []string                    `json:"enum"`
	Properties           map[string]*discoverySchema `json:"properties"`
	AdditionalProperties *discoverySchema            `json:"additionalProperties"`
	Items                *discoverySchema            `json:"items"`
}

var discoveryVar = regexp.MustCompile(`\{(\+?)([^}]+)\}`)

// loadDiscovery reads the discovery documents in the files, as one
// checker: an action may call more than one API (transferDrive looks its
// users up with the Directory API and calls the Data Transfer API).
func loadDiscovery(paths ...string) (*discovery, error) {
	d := &discovery{}
	for _, path := range paths {
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		doc := &discoveryDoc{}
		if err := json.Unmarshal(b, doc); err != nil {
			return nil, fmt.Errorf("%s: %v", path, err)
		}
		u, ok := strings.CutPrefix(doc.RootURL, "https://")
		if !ok {
			return nil, fmt.Errorf("%s: rootUrl %q", path, doc.RootURL)
		}
		_, base, _ := strings.Cut(u, "/")
		base = "/" + base + doc.ServicePath
		var walk func(map[string]*discoveryRes)
		walk = func(rs map[string]*discoveryRes) {
			for _, r := range rs {
				for _, m := range r.Methods {
					re, names := discoveryPath(base + m.Path)
					m.re, m.names = re, names
					doc.methods = append(doc.methods, m)
				}
				walk(r.Resources)
			}
		}
		walk(doc.Resources)
		sort.Slice(doc.methods, func(i, j int) bool { return doc.methods[i].ID < doc.methods[j].ID })
		d.docs = append(d.docs, doc)
	}
	return d, nil
}

// discoveryPath makes a path template's regular expression: {param} is
// one path segment, {+param} (reserved expansion) may hold slashes.
func discoveryPath(template string) (*regexp.Regexp, []string) {
	var b strings.Builder
	var names []string
	b.WriteString("^")
	last := 0
	for _, m := range discoveryVar.FindAllStringSubmatchIndex(template, -1) {
		b.WriteString(regexp.QuoteMeta(template[last:m[0]]))
		names = append(names, template[m[4]:m[5]])
		if m[3] > m[2] {
			b.WriteString("(.+)")
		} else {
			b.WriteString("([^/]+)")
		}
		last = m[1]
	}
	b.WriteString(regexp.QuoteMeta(template[last:]) + "$")
	return regexp.MustCompile(b.String()), names
}

// method finds the method an exchange calls, with its path parameters.
func (d *discovery) method(ex *exchange) (*discoveryDoc, *discoveryMethod, map[string]string) {
	for _, doc := range d.docs {
		for _, m := range doc.methods {
			if m.HTTPMethod != ex.Method {
				continue
			}
			if sub := m.re.FindStringSubmatch(ex.Path); sub != nil {
				vals := map[string]string{}
				for i, n := range m.names {
					vals[n] = sub[i+1]
				}
				return doc, m, vals
			}
		}
	}
	return nil, nil, nil
}

// scopes are the method's OAuth 2.0 scopes: a discovery document lists
// scopes any one of which authorizes the method, so each is an
// alternative of its own.
func (d *discovery) scopes(ex *exchange) [][]string {
	_, m, _ := d.method(ex)
	if m == nil {
		return nil
	}
	var alts [][]string
	for _, s := range m.Scopes {
		alts = append(alts, []string{s})
	}
	return alts
}

func (d *discovery) check(ex *exchange) (string, []string) {
	doc, m, pathVals := d.method(ex)
	if m == nil {
		return "", []string{fmt.Sprintf("%s %s: no method of the description has this HTTP method and path", ex.Method, ex.Path)}
	}
	var problems []string
	bad := func(f string, a ...any) { problems = append(problems, fmt.Sprintf(f, a...)) }
	for name, p := range m.Parameters {
		switch p.Location {
		case "path":
			if v, ok := pathVals[name]; ok {
				if why := p.bad([]string{v}); why != "" {
					bad("request: path parameter %s: %s", name, why)
				}
			} else {
				bad("request: path parameter %s is not in the path template %s", name, m.Path)
			}
		case "query":
			if _, ok := ex.Query[name]; p.Required && !ok {
				bad("request: the required query parameter %s is missing", name)
			}
		}
	}
	for name, vs := range ex.Query {
		p, ok := m.Parameters[name]
		if !ok {
			p, ok = doc.Parameters[name]
		}
		if !ok || p.Location != "query" {
			bad("request: query parameter %s is no parameter of %s", name, m.ID)
			continue
		}
		if why := p.bad(vs); why != "" {
			bad("request: query parameter %s: %s", name, why)
		}
	}
	switch {
	case m.Request != nil && len(ex.Body) == 0:
		bad("request: no body; %s takes a %s", m.ID, m.Request.Ref)
	case m.Request == nil && len(ex.Body) > 0:
		bad("request: a body (%d bytes); %s takes none", len(ex.Body), m.ID)
	case m.Request != nil:
		if ct := ex.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
			bad("request: Content-Type %q with a JSON body", ct)
		}
		var body any
		if err := json.Unmarshal(ex.Body, &body); err != nil {
			bad("request: body is not JSON: %v", err)
		} else {
			for _, p := range doc.value("request body", body, m.Request) {
				bad("request: %s", p)
			}
		}
	}
	if ex.Status >= 200 && ex.Status < 300 {
		switch {
		case m.Response == nil && len(strings.TrimSpace(string(ex.RespBody))) > 0:
			bad("sandbox response %d: a body; %s answers none", ex.Status, m.ID)
		case m.Response != nil:
			var body any
			if err := json.Unmarshal(ex.RespBody, &body); err != nil {
				bad("sandbox response %d: body is not JSON: %v", ex.Status, err)
			} else {
				for _, p := range doc.value("response body", body, m.Response) {
					bad("sandbox response %d: %s", ex.Status, p)
				}
			}
		}
	}
	return m.ID, problems
}

// bad says what is wrong with a parameter's values, or "".
func (p discoveryParam) bad(vs []string) string {
	if len(vs) > 1 && !p.Repeated {
		return fmt.Sprintf("given %d times; it is not repeated", len(vs))
	}
	for _, v := range vs {
		if len(p.Enum) > 0 && !containsStr(p.Enum, v) {
			return fmt.Sprintf("%q is none of %v", v, p.Enum)
		}
		switch p.Type {
		case "integer":
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return fmt.Sprintf("%q is not an integer", v)
			}
			if min, err := strconv.ParseInt(p.Minimum, 10, 64); err == nil && n < min {
				return fmt.Sprintf("%d is below the minimum %d", n, min)
			}
			if max, err := strconv.ParseInt(p.Maximum, 10, 64); err == nil && n > max {
				return fmt.Sprintf("%d is above the maximum %d", n, max)
			}
		case "boolean":
			if v != "true" && v != "false" {
				return fmt.Sprintf("%q is not a boolean", v)
			}
		case "string":
			if p.Format == "int64" {
				if _, err := strconv.ParseInt(v, 10, 64); err != nil {
					return fmt.Sprintf("%q is not an int64", v)
				}
			}
		}
	}
	return ""
}

func containsStr(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// value checks a JSON value against a schema: its type, and that every
// property of an object is one the schema (or its additionalProperties)
// has. Google leaves an absent field out rather than answering null, so
// null is a mismatch too.
func (doc *discoveryDoc) value(at string, v any, s *discoverySchema) []string {
	name := ""
	for s.Ref != "" {
		name = s.Ref
		r, ok := doc.Schemas[s.Ref]
		if !ok {
			return []string{fmt.Sprintf("%s: the description has no schema %s", at, s.Ref)}
		}
		s = r
	}
	if name == "" {
		name = s.ID
	}
	if v == nil {
		return []string{fmt.Sprintf("%s: null; the description has a %s", at, s.Type)}
	}
	wrong := func() []string {
		return []string{fmt.Sprintf("%s: %s; the description has a %s", at, jsonKind(v), s.Type)}
	}
	switch s.Type {
	case "any", "":
		return nil
	case "object":
		o, ok := v.(map[string]any)
		if !ok {
			return wrong()
		}
		var problems []string
		keys := make([]string, 0, len(o))
		for k := range o {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			ps, ok := s.Properties[k]
			if !ok {
				ps = s.AdditionalProperties
			}
			if ps == nil {
				of := name
				if of == "" {
					of = "the object at " + at
				}
				problems = append(problems, fmt.Sprintf("%s.%s: no property of %s", at, k, of))
				continue
			}
			problems = append(problems, doc.value(at+"."+k, o[k], ps)...)
		}
		return problems
	case "array":
		a, ok := v.([]any)
		if !ok {
			return wrong()
		}
		var problems []string
		for i, e := range a {
			if s.Items != nil {
				problems = append(problems, doc.value(fmt.Sprintf("%s[%d]", at, i), e, s.Items)...)
			}
		}
		return problems
	case "string":
		str, ok := v.(string)
		if !ok {
			return wrong()
		}
		if len(s.Enum) > 0 && !containsStr(s.Enum, str) {
			return []string{fmt.Sprintf("%s: %q is none of %v", at, str, s.Enum)}
		}
		switch s.Format {
		case "int64", "uint64":
			if _, err := strconv.ParseInt(str, 10, 64); err != nil {
				return []string{fmt.Sprintf("%s: %q is not an %s", at, str, s.Format)}
			}
		case "date-time":
			if _, err := time.Parse(time.RFC3339, str); err != nil {
				return []string{fmt.Sprintf("%s: %q is not a date-time", at, str)}
			}
		}
	case "boolean":
		if _, ok := v.(bool); !ok {
			return wrong()
		}
	case "integer":
		f, ok := v.(float64)
		if !ok || f != math.Trunc(f) {
			return wrong()
		}
	case "number":
		if _, ok := v.(float64); !ok {
			return wrong()
		}
	}
	return nil
}

func jsonKind(v any) string {
	switch v.(type) {
	case map[string]any:
		return "an object"
	case []any:
		return "an array"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case float64:
		return "a number"
	}
	return fmt.Sprintf("%T", v)
}
