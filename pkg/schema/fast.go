package schema

import (
	"math/big"
	"unicode/utf8"

	"github.com/santhosh-tekuri/jsonschema/v5"
)

// fastCheck says whether v is valid against s, reading the same compiled
// schema as jsonschema v5 and giving its answer, but without building a
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

// maxFastDepth bounds the schemas entered in place ($ref, allOf, if, …)
// for one value: deeper, the check gives up (v5 then finds a loop).
const maxFastDepth = 1000

// valid reports whether v is valid against s; it is meaningless once
// c.unsure is set.
func (c *fastCheck) valid(s *jsonschema.Schema, v any) bool {
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
	switch v := v.(type) {
	case map[string]any:
		if !c.object(s, v) {
			return false
		}
	case []any:
		if s.MinItems != -1 && len(v) < s.MinItems || s.MaxItems != -1 && len(v) > s.MaxItems {
			return false
		}
		if s.Items2020 != nil {
			for _, item := range v {
				if !c.valid(s.Items2020, item) {
					return false
				}
			}
		}
	case string:
		if s.MinLength != -1 || s.MaxLength != -1 {
			n := utf8.RuneCountInString(v)
			if s.MinLength != -1 && n < s.MinLength || s.MaxLength != -1 && n > s.MaxLength {
				return false
			}
		}
		if s.Pattern != nil && !s.Pattern.MatchString(v) {
			return false
		}
	case int64:
		if !c.bounds(s, v) {
			return false
		}
	case float64:
		if s.Minimum != nil || s.Maximum != nil || s.ExclusiveMinimum != nil || s.ExclusiveMaximum != nil {
			c.unsure = true
			return false
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

// object checks the object keywords of s.
func (c *fastCheck) object(s *jsonschema.Schema, v map[string]any) bool {
	if s.MinProperties != -1 && len(v) < s.MinProperties || s.MaxProperties != -1 && len(v) > s.MaxProperties {
		return false
	}
	for _, name := range s.Required {
		if _, ok := v[name]; !ok {
			return false
		}
	}
	for name, pv := range v {
		if s.PropertyNames != nil && !c.valid(s.PropertyNames, name) {
			return false
		}
		evaluated := false
		if sub, ok := s.Properties[name]; ok {
			evaluated = true
			if !c.valid(sub, pv) {
				return false
			}
		}
		for re, sub := range s.PatternProperties {
			if re.MatchString(name) {
				evaluated = true
				if !c.valid(sub, pv) {
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
			if !c.valid(ap, pv) {
				return false
			}
		default:
			c.unsure = true
			return false
		}
	}
	for name, names := range s.DependentRequired {
		if _, ok := v[name]; !ok {
			continue
		}
		for _, n := range names {
			if _, ok := v[n]; !ok {
				return false
			}
		}
	}
	for name, sub := range s.DependentSchemas {
		if _, ok := v[name]; ok && !c.valid(sub, v) {
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
func (c *fastCheck) typeOK(types []string, v any) bool {
	var vt string
	switch v.(type) {
	case nil:
		vt = "null"
	case bool:
		vt = "boolean"
	case int64, float64:
		vt = "number"
	case string:
		vt = "string"
	case []any:
		vt = "array"
	case map[string]any:
		vt = "object"
	default:
		c.unsure = true
		return false
	}
	for _, t := range types {
		if t == vt {
			return true
		}
		if t == "integer" && vt == "number" {
			if _, ok := v.(int64); ok {
				return true
			}
			c.unsure = true // a float: v5 decides whether it is whole
			return false
		}
	}
	return false
}

// equals is v5's equality for strings, booleans and null; a value of
// another JSON type never equals one of these. Numbers, arrays and
// objects make the check unsure.
func (c *fastCheck) equals(v, want any) bool {
	switch w := want.(type) {
	case string:
		s, ok := v.(string)
		return ok && s == w
	case bool:
		b, ok := v.(bool)
		return ok && b == w
	case nil:
		return v == nil
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
