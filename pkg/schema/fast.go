package schema

import (
	"math/big"
	"unicode/utf8"

	"github.com/santhosh-tekuri/jsonschema/v5"
	"gopkg.in/yaml.v3"

	"github.com/jml-dev/jml/pkg/source"
)

// inst is a value of the document as source.Value gives it to v5: a
// mapping or a list (n), a string (s), or another scalar (v).
type inst struct {
	kind byte // 'o' mapping, 'a' list, 's' string, 'x' another scalar
	n    *yaml.Node
	s    string
	v    any
}

// instOf reads a node as source.Value does; ok is false for what the
// quick check does not read (an alias loop, a merge key, a key that is
// not a scalar, a key written twice).
func instOf(n *yaml.Node) (inst, bool) {
	n = source.Resolve(n)
	if n == nil {
		return inst{kind: 'x'}, true
	}
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			if k := n.Content[i]; k.Kind != yaml.ScalarNode || k.Tag == "!!merge" {
				return inst{}, false
			}
		}
		twice := false
		source.EachDuplicateKey(n, func(_, _ *yaml.Node) { twice = true })
		if twice {
			return inst{}, false
		}
		return inst{kind: 'o', n: n}, true
	case yaml.SequenceNode:
		return inst{kind: 'a', n: n}, true
	case yaml.ScalarNode:
		if n.ShortTag() == "!!str" {
			return inst{kind: 's', s: n.Value}, true
		}
		v := source.Scalar(n)
		if s, ok := v.(string); ok {
			return inst{kind: 's', s: s}, true
		}
		return inst{kind: 'x', v: v}, true
	case yaml.AliasNode: // an alias Resolve gave up on
		return inst{}, false
	}
	return inst{kind: 'x'}, true // v5 sees nil
}

// lookup finds key in mapping n (keys are unique: instOf checked).
func lookup(n *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

// validNode checks the node tree n; see fastCheck.
func (c *fastCheck) validNode(s *jsonschema.Schema, n *yaml.Node) bool {
	in, ok := instOf(n)
	if !ok {
		c.unsure = true
		return false
	}
	return c.valid(s, in)
}

// fastCheck says whether a document is valid against s, reading the same
// compiled schema as jsonschema v5 and giving its answer for the value v5
// is given (source.Value of the tree), but walking the YAML tree itself
// (no map[string]any a mapping), and without building a
// ValidationError for every branch that fails, keyword-location strings,
// scope slices or a map of every object's keys (v5's cost per value, which
// it pays on valid documents too). It answers only for the keywords and
// values it knows; anything else — a keyword it does not evaluate, a
// float compared with a number, a number const — makes it unsure, and
// then v5 decides. Validate uses it to skip v5 on a valid document; an
// invalid one is validated again by v5, whose errors the diagnostics are
// made from. TestFastCheckAgrees holds it to v5's answer.
type fastCheck struct {
	unsure bool
	depth  int
}

// maxFastDepth bounds how deep the check goes, values nested and schemas
// entered in place ($ref, allOf, if, …) counted alike: deeper, it gives
// up and v5 decides (and finds a loop of schemas, if that is what it is).
const maxFastDepth = 1000

// valid reports whether v is valid against s; it is meaningless once
// c.unsure is set.
func (c *fastCheck) valid(s *jsonschema.Schema, v inst) bool {
	if c.unsure {
		return false
	}
	if s.Always != nil {
		return *s.Always
	}
	if !fastKnown(s) {
		c.unsure = true
		return false
	}
	c.depth++
	defer func() { c.depth-- }()
	if c.depth > maxFastDepth {
		c.unsure = true
		return false
	}
	ok := true
	if len(s.Types) > 0 && !c.typeOK(s.Types, v) {
		ok = false
	}
	if len(s.Constant) > 0 && !c.equals(v, s.Constant[0]) {
		ok = false
	}
	if len(s.Enum) > 0 {
		matched := false
		for _, item := range s.Enum {
			if c.equals(v, item) {
				matched = true
				break
			}
		}
		if !matched {
			ok = false
		}
	}
	if !ok || c.unsure {
		return false
	}
	switch v.kind {
	case 'o':
		if !c.object(s, v.n) {
			return false
		}
	case 'a':
		items := v.n.Content
		if s.MinItems != -1 && len(items) < s.MinItems || s.MaxItems != -1 && len(items) > s.MaxItems {
			return false
		}
		if s.Items2020 != nil {
			for _, item := range items {
				if !c.validNode(s.Items2020, item) {
					return false
				}
			}
		}
	case 's':
		if s.MinLength != -1 || s.MaxLength != -1 {
			n := utf8.RuneCountInString(v.s)
			if s.MinLength != -1 && n < s.MinLength || s.MaxLength != -1 && n > s.MaxLength {
				return false
			}
		}
		if s.Pattern != nil && !s.Pattern.MatchString(v.s) {
			return false
		}
	default:
		switch x := v.v.(type) {
		case int64:
			if !c.bounds(s, x) {
				return false
			}
		case float64:
			if s.Minimum != nil || s.Maximum != nil || s.ExclusiveMinimum != nil || s.ExclusiveMaximum != nil {
				c.unsure = true
				return false
			}
		}
	}
	if s.Ref != nil && !c.valid(s.Ref, v) {
		return false
	}
	if s.Not != nil && c.valid(s.Not, v) {
		return false
	}
	for _, sub := range s.AllOf {
		if !c.valid(sub, v) {
			return false
		}
	}
	if len(s.AnyOf) > 0 {
		matched := false
		for _, sub := range s.AnyOf {
			if c.valid(sub, v) {
				matched = true
				break
			}
		}
		if !matched {
			return false
		}
	}
	if len(s.OneOf) > 0 {
		matched := 0
		for _, sub := range s.OneOf {
			if c.valid(sub, v) {
				matched++
			}
		}
		if matched != 1 {
			return false
		}
	}
	if s.If != nil {
		if c.valid(s.If, v) {
			if s.Then != nil && !c.valid(s.Then, v) {
				return false
			}
		} else if s.Else != nil && !c.valid(s.Else, v) {
			return false
		}
	}
	return !c.unsure
}

// object checks the object keywords of s on mapping n.
func (c *fastCheck) object(s *jsonschema.Schema, n *yaml.Node) bool {
	size := len(n.Content) / 2
	if s.MinProperties != -1 && size < s.MinProperties || s.MaxProperties != -1 && size > s.MaxProperties {
		return false
	}
	for _, name := range s.Required {
		if lookup(n, name) == nil {
			return false
		}
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		name, pv := n.Content[i].Value, n.Content[i+1]
		if s.PropertyNames != nil && !c.valid(s.PropertyNames, inst{kind: 's', s: name}) {
			return false
		}
		evaluated := false
		if sub, ok := s.Properties[name]; ok {
			evaluated = true
			if !c.validNode(sub, pv) {
				return false
			}
		}
		for re, sub := range s.PatternProperties {
			if re.MatchString(name) {
				evaluated = true
				if !c.validNode(sub, pv) {
					return false
				}
			}
		}
		if evaluated || s.AdditionalProperties == nil {
			continue
		}
		switch ap := s.AdditionalProperties.(type) {
		case bool:
			if !ap {
				return false
			}
		case *jsonschema.Schema:
			if !c.validNode(ap, pv) {
				return false
			}
		default:
			c.unsure = true
			return false
		}
	}
	for name, names := range s.DependentRequired {
		if lookup(n, name) == nil {
			continue
		}
		for _, r := range names {
			if lookup(n, r) == nil {
				return false
			}
		}
	}
	for name, sub := range s.DependentSchemas {
		if lookup(n, name) != nil && !c.valid(sub, inst{kind: 'o', n: n}) {
			return false
		}
	}
	return true
}

// fastKnown reports whether fastCheck evaluates every keyword s has.
func fastKnown(s *jsonschema.Schema) bool {
	return s.Format == "" && s.RecursiveRef == nil && s.DynamicRef == nil &&
		!s.RegexProperties && len(s.Dependencies) == 0 && s.UnevaluatedProperties == nil &&
		!s.UniqueItems && s.Items == nil && s.AdditionalItems == nil && len(s.PrefixItems) == 0 &&
		s.Contains == nil && s.UnevaluatedItems == nil &&
		s.ContentEncoding == "" && s.ContentMediaType == "" && s.ContentSchema == nil &&
		s.MultipleOf == nil && len(s.Extensions) == 0
}

// typeOK is v5's type keyword for the values source.Value gives.
func (c *fastCheck) typeOK(types []string, v inst) bool {
	var vt string
	switch v.kind {
	case 'o':
		vt = "object"
	case 'a':
		vt = "array"
	case 's':
		vt = "string"
	default:
		switch v.v.(type) {
		case nil:
			vt = "null"
		case bool:
			vt = "boolean"
		case int64, float64:
			vt = "number"
		default:
			c.unsure = true
			return false
		}
	}
	for _, t := range types {
		if t == vt {
			return true
		}
		if t == "integer" && vt == "number" {
			if _, ok := v.v.(int64); ok {
				return true
			}
			c.unsure = true // a float: v5 decides whether it is whole
			return false
		}
	}
	return false
}

// equals is v5's equality for strings, booleans and null; a value of
// another JSON type never equals one of these. Numbers, lists and
// mappings make the check unsure.
func (c *fastCheck) equals(v inst, want any) bool {
	switch w := want.(type) {
	case string:
		return v.kind == 's' && v.s == w
	case bool:
		b, ok := v.v.(bool)
		return v.kind == 'x' && ok && b == w
	case nil:
		return v.kind == 'x' && v.v == nil
	}
	c.unsure = true
	return false
}

// bounds checks an integer against minimum, maximum and their exclusive
// forms.
func (c *fastCheck) bounds(s *jsonschema.Schema, v int64) bool {
	if s.Minimum == nil && s.Maximum == nil && s.ExclusiveMinimum == nil && s.ExclusiveMaximum == nil {
		return true
	}
	var r big.Rat
	r.SetInt64(v)
	if s.Minimum != nil && r.Cmp(s.Minimum) < 0 ||
		s.ExclusiveMinimum != nil && r.Cmp(s.ExclusiveMinimum) <= 0 ||
		s.Maximum != nil && r.Cmp(s.Maximum) > 0 ||
		s.ExclusiveMaximum != nil && r.Cmp(s.ExclusiveMaximum) >= 0 {
		return false
	}
	return true
}
