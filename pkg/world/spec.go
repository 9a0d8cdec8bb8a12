package world

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/jml-dev/jml/pkg/diag"
	"github.com/jml-dev/jml/pkg/schema"
	"github.com/jml-dev/jml/pkg/source"
)

// Spec is a decoded world file (or an inline world of a test file).
//
// Load knows nothing of jml.yaml, so the per-instance data stays plain
// values here; World.Apply decodes it with each instance's type and reports
// unknown instances, unknown actions in faults and shape errors, at their
// positions in the file.
type Spec struct {
	// Instances maps an instance name to its description: users, groups,
	// records, members, issues or responses, depending on its type.
	Instances map[string]map[string]any
	// Faults are the injected faults, in file order.
	Faults []Fault

	// file and root locate diagnostics: root is the world's mapping node
	// (the document, or the inline `world:` value). Without them every
	// diagnostic is at where.
	file  *source.File
	root  *yaml.Node
	where diag.Range
}

var (
	instanceNameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*$`)
	faultActionRE  = regexp.MustCompile(`^([a-z0-9][a-z0-9-]*)\.(\*|[A-Za-z][A-Za-z0-9]*)$`)
)

// LoadFile reads and loads a world file; display is the path shown in
// messages.
func LoadFile(path, display string) (*Spec, diag.Diagnostics) {
	f, ds := source.ReadFile(path, display)
	if ds.HasErrors() || f == nil || f.Root == nil {
		return nil, ds
	}
	s, lds := Load(f)
	ds.Add(lds...)
	return s, ds
}

// Load validates a parsed world file against schemas/world.schema.json
// (apiVersion: jml/v1 and kind: World required) and decodes it. It returns
// nil and the diagnostics when there are errors. The instances it describes
// are checked against jml.yaml by World.Apply.
func Load(f *source.File) (*Spec, diag.Diagnostics) {
	if f == nil || f.Root == nil {
		return nil, nil // the parser reported why
	}
	return decodeNode(f, f.Root, f.Root)
}

// DecodeNode validates and decodes a world written inline in another
// document (the `world:` of a test file): n is its mapping node in f.
// apiVersion and kind may be left out there.
func DecodeNode(f *source.File, n *yaml.Node) (*Spec, diag.Diagnostics) {
	n = source.Resolve(n)
	if f == nil || n == nil || n.Kind != yaml.MappingNode {
		var ds diag.Diagnostics
		r := diag.Range{}
		if f != nil {
			r = f.Range(n)
		}
		ds.Errorf(r, "wrong-type", "a world must be a mapping, not %s", source.KindName(n))
		return nil, ds
	}
	// Validate a copy of the mapping with the header keys the schema asks
	// of a file added when missing; every other node is the original, so
	// positions are unchanged.
	synth := *n
	synth.Content = nil
	for _, kv := range [][2]string{{"apiVersion", "jml/v1"}, {"kind", "World"}} {
		if source.Key(n, kv[0]) == nil {
			synth.Content = append(synth.Content,
				&yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: kv[0], Line: n.Line, Column: n.Column},
				&yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: kv[1], Line: n.Line, Column: n.Column})
		}
	}
	synth.Content = append(synth.Content, n.Content...)
	return decodeNode(f, &synth, n)
}

// decodeNode validates validate (the node checked against the schema) and
// decodes root (the node positions are looked up in).
func decodeNode(f *source.File, validate, root *yaml.Node) (*Spec, diag.Diagnostics) {
	var ds diag.Diagnostics
	v, err := schema.For("world")
	if err != nil {
		ds.Errorf(f.Range(root), "internal", "world schema: %v", err)
		return nil, ds
	}
	ds.Add(v.Validate(&source.File{Path: f.Path, Src: f.Src, Root: validate})...)
	ds.Add(literalSecrets(f, root)...)
	if ds.HasErrors() {
		return nil, ds
	}
	s := &Spec{file: f, root: root, where: f.Range(root)}
	m, _ := source.Value(root).(map[string]any)
	ds.Add(s.decode(m)...)
	if ds.HasErrors() {
		return nil, ds
	}
	return s, ds
}

// literalSecrets reports the credentials written in a world (check
// literal-secret). A world is committed with the repository and the
// simulated apps check no credential, so a real-looking token there is a
// leak, never a need. Only the shape rules apply: a world's data models the
// apps' records and answers, whose password or token fields hold made-up
// values.
func literalSecrets(f *source.File, root *yaml.Node) diag.Diagnostics {
	var ds diag.Diagnostics
	for _, s := range f.FindSecrets(root, source.SecretOptions{}) {
		ds.Errorf(s.Range, "literal-secret", "%s in a world file: a world is committed with the repository and the simulated apps check no credential; write a made-up value such as test-token", s.What)
	}
	return ds
}

// Decode decodes a world given as plain values (a test file's inline world
// already converted, JSON…). It checks what the schema would (with
// apiVersion and kind optional) but knows no positions: every diagnostic is
// at where and names the path of the offending value in its message.
func Decode(v map[string]any, where diag.Range) (*Spec, diag.Diagnostics) {
	s := &Spec{where: where}
	m, _ := normalize(v).(map[string]any)
	ds := s.decode(m)
	if ds.HasErrors() {
		return nil, ds
	}
	return s, ds
}

// decode fills the spec from the world's top-level mapping.
func (s *Spec) decode(v map[string]any) diag.Diagnostics {
	r := &reader{spec: s}
	s.Instances = map[string]map[string]any{}
	top := obj{r: r, ptr: "", m: v}
	for _, k := range sortedKeys(v) {
		switch k {
		case "apiVersion":
			if v[k] != "jml/v1" {
				top.errf(k, "invalid-value", "apiVersion must be jml/v1")
			}
		case "kind":
			if v[k] != "World" {
				top.errf(k, "invalid-value", "kind of a world file must be World")
			}
		case "faults":
			for _, fo := range top.list("faults") {
				if f, ok := fo.fault(); ok {
					s.Faults = append(s.Faults, f)
				}
			}
		default:
			if !instanceNameRE.MatchString(k) {
				r.errAt(top.child(k), true, "invalid-name", "%q is not an instance name: it must match [a-z0-9][a-z0-9-]*", k)
				continue
			}
			m, ok := v[k].(map[string]any)
			if !ok {
				top.errf(k, "wrong-type", "instance %q must be a mapping, not %s", k, valueKind(v[k]))
				continue
			}
			s.Instances[k] = copyMap(m)
		}
	}
	return r.ds
}

// fault decodes one item of faults:.
func (o obj) fault() (Fault, bool) {
	n := len(o.r.ds)
	o.allow("a fault", "action", "user", "status", "times", "retryAfter", "latency", "timeout", "message", "after")
	f := Fault{
		Action:     o.reqStr("action"),
		User:       o.str("user"),
		Status:     o.integer("status", 0),
		Times:      o.integer("times", 0),
		RetryAfter: o.duration("retryAfter"),
		Latency:    o.duration("latency"),
		Timeout:    o.boolean("timeout", false),
		Message:    o.str("message"),
		After:      o.boolean("after", false),
		at:         o.r.spec.rangeAt(o.ptr, false),
	}
	if f.Action != "" && !faultActionRE.MatchString(f.Action) {
		o.errf("action", "invalid-value", "%q is not a fault action: write INSTANCE.ACTION or INSTANCE.*", f.Action)
	}
	if _, ok := o.m["status"]; ok && (f.Status < 400 || f.Status > 599) {
		o.errf("status", "invalid-value", "status must be an HTTP error status (400 to 599), not %d", f.Status)
	}
	if f.After && f.Status != 0 {
		o.errf("after", "invalid-value", "after applies to latency and timeout; a status fault fails the call before the action")
	}
	if f.Times < 0 {
		o.errf("times", "invalid-value", "times must be at least 0 (0 means every call)")
	}
	if f.Status == 0 && f.Latency == 0 && !f.Timeout && len(o.r.ds) == n {
		o.errf("", "invalid-value", "a fault needs status, latency or timeout: this one would do nothing")
	}
	return f, len(o.r.ds) == n
}

// rangeAt returns the range of the value (or, with key, of the key) that a
// JSON pointer relative to the world designates.
func (s *Spec) rangeAt(ptr string, key bool) diag.Range {
	if s.file == nil || s.root == nil {
		return s.where
	}
	val, k := source.NodeAt(s.root, ptr)
	if key && k != nil {
		return s.file.Range(k)
	}
	return s.file.Range(val)
}

// reader collects the diagnostics of decoding a spec.
type reader struct {
	spec *Spec
	ds   diag.Diagnostics
}

// errAt reports an error at a pointer. The message is prefixed with the
// value's path when the spec has no positions.
func (r *reader) errAt(ptr string, key bool, code, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if r.spec.root == nil && ptr != "" {
		msg = pretty(ptr) + ": " + msg
	}
	r.ds = append(r.ds, diag.Diagnostic{Severity: diag.Error, Code: code, Message: msg, Range: r.spec.rangeAt(ptr, key)})
}

// pretty renders a JSON pointer as a path: /okta/users/0/id → okta.users[0].id.
func pretty(ptr string) string {
	var b strings.Builder
	for _, tok := range strings.Split(strings.TrimPrefix(ptr, "/"), "/") {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		if _, err := strconv.Atoi(tok); err == nil {
			b.WriteString("[" + tok + "]")
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(tok)
	}
	return b.String()
}

// obj is a mapping being decoded, with its JSON pointer.
type obj struct {
	r   *reader
	ptr string
	m   map[string]any
}

func (o obj) child(k string) string {
	return o.ptr + "/" + strings.ReplaceAll(strings.ReplaceAll(k, "~", "~0"), "/", "~1")
}

// errf reports an error at the value of key k ("" for the object itself).
func (o obj) errf(k, code, format string, args ...any) {
	ptr := o.ptr
	if k != "" {
		ptr = o.child(k)
	}
	o.r.errAt(ptr, false, code, format, args...)
}

// allow reports keys other than allowed, with a did-you-mean.
func (o obj) allow(what string, allowed ...string) {
	for _, k := range sortedKeys(o.m) {
		if indexOf(allowed, k, false) >= 0 {
			continue
		}
		msg := fmt.Sprintf("unknown key %q in %s", k, what)
		if s, ok := diag.Closest(k, allowed); ok {
			msg += fmt.Sprintf("; did you mean %q?", s)
		} else if len(allowed) > 0 {
			msg += "; it takes " + strings.Join(allowed, ", ")
		} else {
			msg += "; it takes none"
		}
		o.r.errAt(o.child(k), true, "unknown-key", "%s", msg)
	}
}

// str returns a string value ("" when absent), reporting other types.
func (o obj) str(k string) string {
	v, ok := o.m[k]
	if !ok || v == nil {
		return ""
	}
	s, ok := v.(string)
	if !ok {
		o.errf(k, "wrong-type", "%q must be a string, not %s", k, valueKind(v))
	}
	return s
}

// reqStr returns a string value that must be there and not be empty.
func (o obj) reqStr(k string) string {
	if _, ok := o.m[k]; !ok {
		o.errf("", "missing-key", "missing required key %q", k)
		return ""
	}
	s := o.str(k)
	if s == "" {
		if _, isStr := o.m[k].(string); isStr || o.m[k] == nil {
			o.errf(k, "invalid-value", "%q must not be empty", k)
		}
	}
	return s
}

func (o obj) boolean(k string, def bool) bool {
	v, ok := o.m[k]
	if !ok || v == nil {
		return def
	}
	b, ok := v.(bool)
	if !ok {
		o.errf(k, "wrong-type", "%q must be a boolean, not %s", k, valueKind(v))
		return def
	}
	return b
}

func (o obj) integer(k string, def int) int {
	v, ok := o.m[k]
	if !ok || v == nil {
		return def
	}
	if _, isStr := v.(string); !isStr {
		if i, ok := asInt(v); ok {
			return i
		}
	}
	o.errf(k, "wrong-type", "%q must be an integer, not %s", k, valueKind(v))
	return def
}

func (o obj) duration(k string) time.Duration {
	v, ok := o.m[k]
	if !ok || v == nil {
		return 0
	}
	s, ok := v.(string)
	if !ok {
		o.errf(k, "wrong-type", "%q must be a duration such as 500ms, 1s or 1m30s, not %s", k, valueKind(v))
		return 0
	}
	d, err := time.ParseDuration(strings.TrimSpace(s))
	if err != nil || d < 0 {
		o.errf(k, "invalid-value", "%q is not a valid duration for %s: write e.g. 500ms, 1s or 1m30s", s, k)
		return 0
	}
	return d
}

// strs returns a list of strings (nil when absent).
func (o obj) strs(k string) []string {
	v, ok := o.m[k]
	if !ok || v == nil {
		return nil
	}
	l, ok := v.([]any)
	if !ok {
		o.errf(k, "wrong-type", "%q must be a list of strings, not %s", k, valueKind(v))
		return nil
	}
	out := make([]string, 0, len(l))
	for i, x := range l {
		s, ok := x.(string)
		if !ok {
			o.r.errAt(o.child(k)+"/"+strconv.Itoa(i), false, "wrong-type", "item %d of %q must be a string, not %s", i, k, valueKind(x))
			continue
		}
		out = append(out, s)
	}
	return out
}

// object returns a copy of a mapping value (nil when absent).
func (o obj) object(k string) map[string]any {
	v, ok := o.m[k]
	if !ok || v == nil {
		return nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		o.errf(k, "wrong-type", "%q must be a mapping, not %s", k, valueKind(v))
		return nil
	}
	return copyMap(m)
}

// list returns the items of a list of mappings.
func (o obj) list(k string) []obj {
	v, ok := o.m[k]
	if !ok || v == nil {
		return nil
	}
	l, ok := v.([]any)
	if !ok {
		o.errf(k, "wrong-type", "%q must be a list, not %s", k, valueKind(v))
		return nil
	}
	out := make([]obj, 0, len(l))
	for i, x := range l {
		ptr := o.child(k) + "/" + strconv.Itoa(i)
		m, ok := x.(map[string]any)
		if !ok {
			o.r.errAt(ptr, false, "wrong-type", "item %d of %q must be a mapping, not %s", i, k, valueKind(x))
			continue
		}
		out = append(out, obj{r: o.r, ptr: ptr, m: m})
	}
	return out
}
