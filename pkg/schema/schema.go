package schema

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/santhosh-tekuri/jsonschema/v5"
	"gopkg.in/yaml.v3"

	"github.com/jml-dev/jml/pkg/diag"
	"github.com/jml-dev/jml/pkg/source"
	"github.com/jml-dev/jml/schemas"
)

// Validator validates documents of one kind ("flow" or "config").
type Validator struct {
	name string
	// quick is the tree the quick check reads (fastCompile; nil when the
	// schema has what fastCompile does not build), and full v5's compile
	// of the schema, made when a document needs it: one the quick check
	// does not find valid.
	quick *jsonschema.Schema
	full  func() (*jsonschema.Schema, error)
	raw   any // the schema as plain JSON, to read property names for hints
}

// noFastCheck turns the quick check of a valid document off (tests).
var noFastCheck = false

var (
	mu    sync.Mutex
	cache = map[string]*Validator{}
)

var digest = sync.OnceValue(func() string {
	h := sha256.New()
	for _, name := range schemas.Names() {
		data, _ := schemas.Read(name)
		fmt.Fprintf(h, "%s %d\n", name, len(data))
		h.Write(data)
	}
	return hex.EncodeToString(h.Sum(nil))
})

// Digest is a sha256 of every embedded schema: what a cached answer that
// depends on the schemas is keyed by.
func Digest() string { return digest() }

// For returns the validator of the named schema ("flow", "config"),
// compiling it once.
func For(name string) (*Validator, error) {
	mu.Lock()
	defer mu.Unlock()
	if v, ok := cache[name]; ok {
		return v, nil
	}
	data, err := schemas.Read(name)
	if err != nil {
		return nil, fmt.Errorf("no schema %q", name)
	}
	var raw any
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, err
	}
	url := "https://jml.dev/schemas/" + name + ".schema.json"
	full := sync.OnceValues(func() (*jsonschema.Schema, error) {
		c := jsonschema.NewCompiler()
		c.Draft = jsonschema.Draft2020
		if err := c.AddResource(url, bytes.NewReader(data)); err != nil {
			return nil, err
		}
		return c.Compile(url)
	})
	quick, err := fastCompile(data)
	if err != nil {
		// Not a schema fastCompile builds: v5 validates every document,
		// and a schema v5 cannot compile is the error it was.
		if _, err := full(); err != nil {
			return nil, err
		}
		quick = nil
	}
	v := &Validator{name: name, quick: quick, full: full, raw: raw}
	cache[name] = v
	return v, nil
}

// Validate checks a parsed file against the schema.
func (v *Validator) Validate(f *source.File) diag.Diagnostics {
	if f == nil || f.Root == nil {
		return nil
	}
	if !noFastCheck && v.quick != nil {
		// Most documents are valid: the quick check says so without v5's
		// cost (nor its compile of the schema); v5 validates the others,
		// and its errors make the diagnostics.
		var c fastCheck
		if c.validNode(v.quick, f.Root) && !c.unsure {
			return nil
		}
	}
	full, err := v.full()
	if err != nil {
		var ds diag.Diagnostics
		ds.Errorf(f.Range(f.Root), "internal", "the %s schema does not compile: %v", v.name, err)
		return ds
	}
	err = full.Validate(source.Value(f.Root))
	if err == nil {
		return nil
	}
	ve, ok := err.(*jsonschema.ValidationError)
	if !ok {
		var ds diag.Diagnostics
		ds.Errorf(f.Range(f.Root), "schema", "%v", err)
		return ds
	}
	m := mapper{v: v, f: f, multiKind: map[string]bool{}}
	m.visit(ve)
	// A card with two kind keys also breaks each kind's key list; the
	// card-kind error says all there is to say.
	// And one mistake is one diagnostic: an unknown key that two schema
	// branches reject (the card's own key list, the steps' item) is
	// reported once, by the first, which names what the card takes.
	// A misspelt key is one mistake too: the key its did-you-mean names
	// is not also reported missing ("thn" for the "then" an if card
	// needs, "acton" for the kind key a card needs).
	out := m.ds[:0]
	seen := map[diag.Range]bool{}
	for i, d := range m.ds {
		if m.kindNoise[i] != "" && m.multiKind[m.kindNoise[i]] {
			continue
		}
		if miss, ok := m.missing[i]; ok && m.suggestedAny(miss.loc, miss.keys) {
			continue
		}
		if d.Code == "unknown-key" {
			if seen[d.Range] {
				continue
			}
			seen[d.Range] = true
		}
		out = append(out, d)
	}
	return out
}

type mapper struct {
	v  *Validator
	f  *source.File
	ds diag.Diagnostics
	// multiKind holds the instance locations of cards with several kind
	// keys; kindNoise maps a diagnostic index to the card location of a
	// per-kind key error.
	multiKind map[string]bool
	kindNoise map[int]string
	// suggested holds, by instance location of a mapping, the keys that
	// the did-you-means of its unknown keys name; missing maps a
	// diagnostic index to the mapping and the keys it says are missing.
	suggested map[string]map[string]bool
	missing   map[int]missingKeys
}

type missingKeys struct {
	loc  string
	keys []string
}

// suggest records that an unknown key of the mapping at loc looks like key.
func (m *mapper) suggest(loc, key string) {
	if m.suggested == nil {
		m.suggested = map[string]map[string]bool{}
	}
	if m.suggested[loc] == nil {
		m.suggested[loc] = map[string]bool{}
	}
	m.suggested[loc][key] = true
}

// missed records that the next diagnostic says the mapping at loc misses
// one of keys.
func (m *mapper) missed(loc string, keys ...string) {
	if m.missing == nil {
		m.missing = map[int]missingKeys{}
	}
	m.missing[len(m.ds)] = missingKeys{loc: loc, keys: keys}
}

// suggestedAny reports whether a did-you-mean in the mapping at loc names
// one of keys.
func (m *mapper) suggestedAny(loc string, keys []string) bool {
	for _, k := range keys {
		if m.suggested[loc][k] {
			return true
		}
	}
	return false
}

// fragment returns the JSON pointer of the absolute keyword location.
func fragment(e *jsonschema.ValidationError) string {
	if i := strings.IndexByte(e.AbsoluteKeywordLocation, '#'); i >= 0 {
		return e.AbsoluteKeywordLocation[i+1:]
	}
	return ""
}

func lastSeg(p string) string {
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		return p[i+1:]
	}
	return p
}

// schemaAt resolves a JSON pointer in the raw schema.
func (v *Validator) schemaAt(ptr string) any {
	cur := v.raw
	if ptr == "" {
		return cur
	}
	for _, tok := range strings.Split(strings.TrimPrefix(ptr, "/"), "/") {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		switch c := cur.(type) {
		case map[string]any:
			cur = c[tok]
		case []any:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(c) {
				return nil
			}
			cur = c[i]
		default:
			return nil
		}
	}
	return cur
}

// defName returns NAME when the fragment is under /$defs/NAME.
func defName(frag string) string {
	const p = "/$defs/"
	if !strings.HasPrefix(frag, p) {
		return ""
	}
	rest := frag[len(p):]
	if i := strings.IndexByte(rest, '/'); i >= 0 {
		rest = rest[:i]
	}
	return rest
}

// what names the instance for messages: the last key of its location.
func (m *mapper) what(loc string) string {
	if loc == "" {
		return "the document"
	}
	seg := lastSeg(loc)
	if _, err := strconv.Atoi(seg); err == nil {
		parent := lastSeg(strings.TrimSuffix(loc, "/"+seg))
		return fmt.Sprintf("item %s of %s", seg, parent)
	}
	return strconv.Quote(short(strings.ReplaceAll(strings.ReplaceAll(seg, "~1", "/"), "~0", "~")))
}

func (m *mapper) rangeOf(loc string, preferKey bool) (diag.Range, *yaml.Node) {
	val, key := source.NodeAt(m.f.Root, loc)
	if preferKey && key != nil {
		return m.f.Range(key), val
	}
	return m.f.Range(val), val
}

var quotedRE = regexp.MustCompile(`'((?:[^'\\]|\\.)*)'`)

func (m *mapper) visit(e *jsonschema.ValidationError) {
	kw := lastSeg(e.KeywordLocation)
	if strings.Contains(e.KeywordLocation, "/dependentRequired/") {
		kw = "dependentRequired"
	}
	frag := fragment(e)
	if kind, key, ok := kindKey(frag); ok {
		m.notOnKind(e.InstanceLocation, kind, key)
		return
	}
	switch kw {
	case "oneOf", "anyOf":
		m.oneOf(e, frag)
		return
	}
	if len(e.Causes) > 0 {
		for _, c := range e.Causes {
			m.visit(c)
		}
		return
	}
	loc := e.InstanceLocation
	def := defName(frag)
	switch kw {
	case "additionalProperties":
		m.unknownKeys(e, frag)
	case "required":
		r, _ := m.rangeOf(loc, false)
		for _, k := range quotedRE.FindAllStringSubmatch(e.Message, -1) {
			where := "the document"
			if loc != "" {
				where = m.what(loc)
			}
			m.missed(loc, k[1])
			m.ds.Errorf(r, "missing-key", "missing required key %q in %s", k[1], where)
		}
	case "type":
		r, val := m.rangeOf(loc, false)
		if def == "secretRef" {
			m.ds.Errorf(r, "literal-secret", "%s must be a secret reference ({env: NAME} or {file: PATH}), not a literal value: secrets never go in jml.yaml", m.what(loc))
			return
		}
		want := strings.TrimPrefix(e.Message, "expected ")
		if i := strings.Index(want, ", but got"); i >= 0 {
			want = want[:i]
		}
		want = strings.NewReplacer("array", "list", "object", "mapping").Replace(want)
		m.ds.Errorf(r, "wrong-type", "%s must be %s, not %s", m.what(loc), article(want), source.KindName(val))
	case "const", "enum":
		r, val := m.rangeOf(loc, false)
		allowed := m.allowed(frag)
		m.ds.Errorf(r, "invalid-value", "%s is not a valid value for %s; expected %s", source.Describe(val), m.what(loc), allowed)
	case "pattern":
		r, val := m.rangeOf(loc, lastSeg(strings.TrimSuffix(frag, "/pattern")) == "propertyNames")
		code := "invalid-value"
		if strings.HasSuffix(loc, "/name") || loc == "/name" {
			code = "invalid-name"
		}
		pat, _ := m.v.schemaAt(frag).(string)
		if strings.Contains(frag, "propertyNames") {
			m.ds.Errorf(r, "invalid-name", "%s is not a valid name here: it must match %s", m.what(loc), pat)
			return
		}
		m.ds.Errorf(r, code, "%s is not valid for %s: it must match %s", source.Describe(val), m.what(loc), pat)
	case "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "maxLength", "minLength":
		r, val := m.rangeOf(loc, false)
		bound := m.v.schemaAt(frag)
		rel := map[string]string{"minimum": "at least", "maximum": "at most", "exclusiveMinimum": "more than", "exclusiveMaximum": "less than", "maxLength": "at most this many characters:", "minLength": "at least this many characters:"}[kw]
		m.ds.Errorf(r, "invalid-value", "%s must be %s %v, not %s", m.what(loc), rel, bound, source.Describe(val))
	case "minItems", "minProperties":
		r, _ := m.rangeOf(loc, false)
		m.ds.Errorf(r, "invalid-value", "%s must not be empty", m.what(loc))
	case "dependentRequired":
		r, _ := m.rangeOf(loc, false)
		// "property 'event' is required, if 'when' property exists"
		if q := quotedRE.FindAllStringSubmatch(e.Message, -1); len(q) == 2 {
			m.ds.Errorf(r, "missing-key", "%s: key %q needs %q beside it", m.what(loc), q[1][1], q[0][1])
			return
		}
		m.ds.Errorf(r, "missing-key", "%s: %s", m.what(loc), e.Message)
	default:
		r, _ := m.rangeOf(loc, false)
		m.ds.Errorf(r, "schema", "%s: %s", m.what(loc), e.Message)
	}
}

// short cuts a name from the input for a message: a 600 KB key is named
// by its start.
func short(s string) string {
	const max = 80
	if len(s) <= max {
		return s
	}
	i := max
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i] + "…"
}

func article(s string) string {
	if s == "" {
		return s
	}
	if strings.Contains(s, " or ") {
		return s
	}
	switch s[0] {
	case 'a', 'e', 'i', 'o', 'u':
		return "an " + s
	}
	return "a " + s
}

// allowed renders the const or enum values at a schema location.
func (m *mapper) allowed(frag string) string {
	switch x := m.v.schemaAt(frag).(type) {
	case []any:
		var parts []string
		for _, a := range x {
			parts = append(parts, fmt.Sprintf("%v", a))
		}
		return "one of: " + strings.Join(parts, ", ")
	case nil:
		return "another value"
	default:
		return fmt.Sprintf("%v", x)
	}
}

func (m *mapper) unknownKeys(e *jsonschema.ValidationError, frag string) {
	loc := e.InstanceLocation
	parentFrag := strings.TrimSuffix(frag, "/additionalProperties")
	var props []string
	if p, ok := m.v.schemaAt(parentFrag + "/properties").(map[string]any); ok {
		for k := range p {
			props = append(props, k)
		}
	}
	sort.Strings(props)
	// One error names every unknown key of a mapping: find their nodes
	// in one pass over it, not one lookup each (10,000 unknown keys).
	parent, _ := source.NodeAt(m.f.Root, loc)
	keys := map[string]*yaml.Node{}
	for _, p := range source.Pairs(parent) {
		if _, ok := keys[p[0].Value]; !ok {
			keys[p[0].Value] = p[0]
		}
	}
	for _, q := range quotedRE.FindAllStringSubmatch(e.Message, -1) {
		name := q[1]
		var r diag.Range
		if k, ok := keys[name]; ok {
			r = m.f.Range(k)
		} else {
			r, _ = m.rangeOf(loc+"/"+strings.ReplaceAll(strings.ReplaceAll(name, "~", "~0"), "/", "~1"), true)
		}
		name = short(name)
		d := diag.Diagnostic{Severity: diag.Error, Code: "unknown-key", Range: r,
			Message: fmt.Sprintf("unknown key %q in %s", name, m.what(loc))}
		if s, ok := diag.Closest(q[1], props); ok {
			d.Message += fmt.Sprintf("; did you mean %q?", s)
			m.suggest(loc, s)
		}
		m.ds.Add(d)
	}
}

// oneOf handles a failed oneOf/anyOf. A oneOf whose branches are all
// {required: [KEY]} is an "exactly one of these keys" rule (the kind key
// of a card, of a trigger, of a secret reference); any other picks the
// branch whose type matched and reports its errors.
func (m *mapper) oneOf(e *jsonschema.ValidationError, frag string) {
	loc := e.InstanceLocation
	r, val := m.rangeOf(loc, false)
	if keys := m.exclusiveKeys(frag); keys != nil {
		m.exclusive(loc, frag, keys, r, val)
		return
	}
	if len(e.Causes) == 0 {
		m.ds.Errorf(r, "schema", "%s does not match any allowed form", m.what(loc))
		return
	}
	// Prefer a branch that failed deeper than on the value's own type.
	best := e.Causes[0]
	bestScore := -1
	for _, c := range e.Causes {
		s := score(c, loc)
		if s > bestScore {
			best, bestScore = c, s
		}
	}
	if bestScore <= 1 {
		// Every branch rejected the value itself: say what would do.
		if bestScore == 1 {
			m.ds.Errorf(r, "invalid-value", "%s is not a valid value for %s; expected %s", source.Describe(val), m.what(loc), m.forms(frag))
			return
		}
		m.ds.Errorf(r, "wrong-type", "%s must be %s, not %s", m.what(loc), m.forms(frag), source.KindName(val))
		return
	}
	m.visit(best)
}

// kindKey returns the kind and the key of a card key that a kind of card
// does not take (/$defs/card/dependentSchemas/KIND/properties/KEY).
func kindKey(frag string) (kind, key string, ok bool) {
	rest, ok := strings.CutPrefix(frag, cardKinds)
	if !ok {
		return "", "", false
	}
	kind, key, ok = strings.Cut(rest, "/properties/")
	if !ok || strings.Contains(kind, "/") || strings.Contains(key, "/") {
		return "", "", false
	}
	unescape := strings.NewReplacer("~1", "/", "~0", "~")
	return unescape.Replace(kind), unescape.Replace(key), true
}

// notOnKind reports a key (at loc) that the kind of its card does not
// take.
func (m *mapper) notOnKind(loc, kind, key string) {
	card := loc[:max(strings.LastIndexByte(loc, '/'), 0)]
	m.kindCount(card)
	// What the kind takes: the card's keys but those its key list names.
	not, _ := m.v.schemaAt(cardKinds + strings.ReplaceAll(strings.ReplaceAll(kind, "~", "~0"), "/", "~1") + "/properties").(map[string]any)
	all, _ := m.v.schemaAt("/$defs/card/properties").(map[string]any)
	var props []string
	for k := range all {
		if _, ok := not[k]; !ok {
			props = append(props, k)
		}
	}
	sort.Strings(props)
	r, _ := m.rangeOf(loc, true)
	if m.kindNoise == nil {
		m.kindNoise = map[int]string{}
	}
	m.kindNoise[len(m.ds)] = card
	msg := fmt.Sprintf("key %q is not allowed on %s card (it takes %s)", short(key), article(kind), strings.Join(props, ", "))
	if s, ok := diag.Closest(key, props); ok {
		msg += fmt.Sprintf("; did you mean %q?", s)
		m.suggest(card, s)
	}
	m.ds.Add(diag.Diagnostic{Severity: diag.Error, Code: "unknown-key", Range: r, Message: msg})
}

// cardKinds is the schema location of the key lists of the card kinds,
// by kind key; cardKindKeys is the "exactly one of these keys" rule of a
// card, which the schema checks only on a card without any of them (a
// card with two breaks the key list of each kind).
const (
	cardKinds    = "/$defs/card/dependentSchemas/"
	cardKindKeys = "/$defs/card/then/oneOf"
)

// exclusive reports a mapping at loc that breaks an "exactly one of keys"
// rule (the oneOf at frag): it has none of them, or more than one.
func (m *mapper) exclusive(loc, frag string, keys []string, r diag.Range, val *yaml.Node) {
	code := map[string]string{"card": "card-kind", "trigger": "trigger-kind", "secretRef": "secret-ref"}[defName(frag)]
	if code == "" {
		code = "schema"
	}
	var present []string
	var second *yaml.Node
	for _, k := range keys {
		if kn := source.Key(val, k); kn != nil {
			present = append(present, k)
			if len(present) == 2 {
				second = kn
			}
		}
	}
	noun := map[string]string{"card-kind": "a card", "trigger-kind": "a trigger", "secret-ref": "a secret reference"}[code]
	if noun == "" {
		noun = m.what(loc)
	}
	if len(present) == 0 {
		m.missed(loc, keys...)
		m.ds.Errorf(r, code, "%s needs exactly one of these keys: %s", noun, strings.Join(keys, ", "))
		return
	}
	if second != nil {
		r = m.f.Range(second)
		m.multiKind[loc] = true
	}
	m.ds.Errorf(r, code, "%s takes exactly one of %s, but this one has %s", noun, strings.Join(keys, ", "), strings.Join(present, " and "))
}

// kindCount reports, once, a card at loc with more than one kind key:
// the key list of each of its kinds rejects the others, and the card-kind
// error says all there is to say.
func (m *mapper) kindCount(loc string) {
	if _, done := m.multiKind[loc]; done {
		return
	}
	m.multiKind[loc] = false
	keys := m.exclusiveKeys(cardKindKeys)
	r, val := m.rangeOf(loc, false)
	n := 0
	for _, k := range keys {
		if source.Key(val, k) != nil {
			n++
		}
	}
	if n > 1 {
		m.exclusive(loc, cardKindKeys, keys, r, val)
	}
}

// score ranks a failed branch: 0 when it failed on the instance's own
// type, 1 on its value (const/enum), higher the deeper its first leaf
// error is.
func score(e *jsonschema.ValidationError, loc string) int {
	if len(e.Causes) == 0 {
		kw := lastSeg(e.KeywordLocation)
		if e.InstanceLocation == loc {
			switch kw {
			case "type":
				return 0
			case "const", "enum":
				return 1
			}
		}
		return 2 + strings.Count(e.InstanceLocation, "/")
	}
	best := 0
	for _, c := range e.Causes {
		if s := score(c, loc); s > best {
			best = s
		}
	}
	return best
}

// forms describes the branches of a oneOf for a type error.
func (m *mapper) forms(frag string) string {
	branches, _ := m.v.schemaAt(frag).([]any)
	var parts []string
	for _, b := range branches {
		bm, _ := b.(map[string]any)
		switch {
		case bm["enum"] != nil:
			parts = append(parts, enumText(bm["enum"]))
		case bm["required"] != nil:
			req, _ := bm["required"].([]any)
			var ks []string
			for _, k := range req {
				ks = append(ks, fmt.Sprintf("%v: ...", k))
			}
			parts = append(parts, "{"+strings.Join(ks, ", ")+"}")
		case bm["$ref"] != nil:
			ref, _ := bm["$ref"].(string)
			parts = append(parts, strings.TrimPrefix(ref, "#/$defs/"))
		case bm["type"] != nil:
			parts = append(parts, article(typeText(bm["type"])))
		}
	}
	if len(parts) == 0 {
		return "another form"
	}
	return strings.Join(parts, " or ")
}

func enumText(v any) string {
	l, _ := v.([]any)
	var s []string
	for _, x := range l {
		s = append(s, fmt.Sprintf("%v", x))
	}
	return strings.Join(s, ", ")
}

func typeText(v any) string {
	t := fmt.Sprintf("%v", v)
	return strings.NewReplacer("array", "list", "object", "mapping").Replace(t)
}

// exclusiveKeys returns the keys of a oneOf whose branches are all
// {required: [KEY]}, or nil.
func (m *mapper) exclusiveKeys(frag string) []string {
	branches, ok := m.v.schemaAt(frag).([]any)
	if !ok || len(branches) == 0 {
		return nil
	}
	var keys []string
	for _, b := range branches {
		bm, _ := b.(map[string]any)
		req, _ := bm["required"].([]any)
		if len(bm) != 1 || len(req) != 1 {
			return nil
		}
		k, _ := req[0].(string)
		keys = append(keys, k)
	}
	return keys
}
