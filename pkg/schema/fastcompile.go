package schema

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/big"
	"regexp"
	"strconv"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v5"
)

// fastCompile builds, from an embedded schema's JSON, the tree of
// jsonschema.Schema the quick check (fastCheck) reads, without jsonschema
// v5's compile: v5 validates a schema against its metaschema on every
// compile (most of the 20–30 ms the flow schema's compile costs a
// process), which the embedded schemas, checked by their tests, do not
// need before a document is known to be invalid. It fills exactly the
// fields fastCheck reads, as v5's compile fills them
// (TestFastCompileIsV5s compares the two trees of every embedded
// schema); a keyword v5 evaluates and fastCheck does not (format,
// uniqueItems, contains, unevaluated*, …) makes its schema one fastKnown
// refuses, so that fastCheck is unsure and v5 decides. A reference other
// than to a place in the same document is an error: then there is no
// quick schema, and every document is validated by v5.
func fastCompile(data []byte) (*jsonschema.Schema, error) {
	d := json.NewDecoder(bytes.NewReader(data))
	d.UseNumber() // as v5 reads a schema
	var doc any
	if err := d.Decode(&doc); err != nil {
		return nil, err
	}
	fc := &fastCompiler{doc: doc, byPtr: map[string]*jsonschema.Schema{}}
	return fc.at("")
}

type fastCompiler struct {
	doc   any
	byPtr map[string]*jsonschema.Schema // by JSON pointer: a $ref cycle ends
}

// fastAnnotations are the keywords that do not validate.
var fastAnnotations = map[string]bool{
	"$schema": true, "$id": true, "$defs": true, "definitions": true, "$comment": true,
	"title": true, "description": true, "default": true, "examples": true,
	"deprecated": true, "readOnly": true, "writeOnly": true, "markdownDescription": true,
}

// fastUnevaluated are the keywords v5 evaluates and fastCheck does not.
var fastUnevaluated = map[string]bool{
	"format": true, "uniqueItems": true, "contains": true, "minContains": true, "maxContains": true,
	"prefixItems": true, "unevaluatedProperties": true, "unevaluatedItems": true, "multipleOf": true,
	"contentEncoding": true, "contentMediaType": true, "contentSchema": true, "dependencies": true,
	"$dynamicRef": true, "$dynamicAnchor": true, "$recursiveRef": true, "$recursiveAnchor": true,
	"additionalItems": true, "$anchor": true,
}

// at compiles the schema at JSON pointer ptr (once: a $ref to it is the
// same *Schema).
func (fc *fastCompiler) at(ptr string) (*jsonschema.Schema, error) {
	if s, ok := fc.byPtr[ptr]; ok {
		return s, nil
	}
	v, err := fc.resolve(ptr)
	if err != nil {
		return nil, err
	}
	s := &jsonschema.Schema{Location: ptr, MinProperties: -1, MaxProperties: -1, MinItems: -1, MaxItems: -1,
		MinLength: -1, MaxLength: -1, MinContains: 1, MaxContains: -1}
	fc.byPtr[ptr] = s
	switch x := v.(type) {
	case bool:
		s.Always = &x
		return s, nil
	case map[string]any:
		return s, fc.fill(s, ptr, x)
	}
	return nil, fmt.Errorf("%s: not a schema", ptr)
}

func (fc *fastCompiler) resolve(ptr string) (any, error) {
	v := fc.doc
	if ptr == "" {
		return v, nil
	}
	for _, tok := range strings.Split(strings.TrimPrefix(ptr, "/"), "/") {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		switch x := v.(type) {
		case map[string]any:
			var ok bool
			if v, ok = x[tok]; !ok {
				return nil, fmt.Errorf("%s: no %q", ptr, tok)
			}
		case []any:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(x) {
				return nil, fmt.Errorf("%s: no item %q", ptr, tok)
			}
			v = x[i]
		default:
			return nil, fmt.Errorf("%s: no %q", ptr, tok)
		}
	}
	return v, nil
}

func escape(k string) string {
	return strings.ReplaceAll(strings.ReplaceAll(k, "~", "~0"), "/", "~1")
}

func (fc *fastCompiler) fill(s *jsonschema.Schema, ptr string, m map[string]any) error {
	sub := func(k string) (*jsonschema.Schema, error) { return fc.at(ptr + "/" + escape(k)) }
	list := func(k string) ([]*jsonschema.Schema, error) {
		l, ok := m[k].([]any)
		if !ok {
			return nil, fmt.Errorf("%s/%s: not a list", ptr, k)
		}
		out := make([]*jsonschema.Schema, len(l))
		for i := range l {
			var err error
			if out[i], err = fc.at(ptr + "/" + escape(k) + "/" + strconv.Itoa(i)); err != nil {
				return nil, err
			}
		}
		return out, nil
	}
	count := func(k string) (int, error) {
		n, ok := m[k].(json.Number)
		if !ok {
			return 0, fmt.Errorf("%s/%s: not a number", ptr, k)
		}
		i, err := n.Int64()
		return int(i), err
	}
	rat := func(k string) (*big.Rat, error) {
		n, ok := m[k].(json.Number)
		r, good := new(big.Rat).SetString(string(n))
		if !ok || !good {
			return nil, fmt.Errorf("%s/%s: not a number", ptr, k)
		}
		return r, nil
	}
	var err error
	for k, v := range m {
		switch {
		case fastAnnotations[k]:
		case fastUnevaluated[k]:
			if k == "format" {
				s.Format, _ = v.(string)
			}
			if s.Extensions == nil {
				s.Extensions = map[string]jsonschema.ExtSchema{}
			}
			s.Extensions[k] = nil // fastKnown refuses the schema
		case k == "$ref":
			ref, _ := v.(string)
			frag, ok := strings.CutPrefix(ref, "#")
			if !ok {
				return fmt.Errorf("%s: $ref %q is not in this document", ptr, ref)
			}
			s.Ref, err = fc.at(frag)
		case k == "type":
			switch t := v.(type) {
			case string:
				s.Types = []string{t}
			case []any:
				for _, e := range t {
					str, _ := e.(string)
					s.Types = append(s.Types, str)
				}
			}
		case k == "const":
			s.Constant = []any{v}
		case k == "enum":
			s.Enum, _ = v.([]any)
		case k == "not":
			s.Not, err = sub(k)
		case k == "allOf":
			s.AllOf, err = list(k)
		case k == "anyOf":
			s.AnyOf, err = list(k)
		case k == "oneOf":
			s.OneOf, err = list(k)
		case k == "if":
			s.If, err = sub(k)
		case k == "then", k == "else":
			// read with if, below: v5 ignores them without it
		case k == "minProperties":
			s.MinProperties, err = count(k)
		case k == "maxProperties":
			s.MaxProperties, err = count(k)
		case k == "required":
			l, _ := v.([]any)
			for _, e := range l {
				str, _ := e.(string)
				s.Required = append(s.Required, str)
			}
		case k == "properties":
			props, _ := v.(map[string]any)
			s.Properties = make(map[string]*jsonschema.Schema, len(props))
			for name := range props {
				if s.Properties[name], err = fc.at(ptr + "/properties/" + escape(name)); err != nil {
					return err
				}
			}
		case k == "propertyNames":
			s.PropertyNames, err = sub(k)
		case k == "patternProperties":
			props, _ := v.(map[string]any)
			s.PatternProperties = make(map[*regexp.Regexp]*jsonschema.Schema, len(props))
			for pat := range props {
				re, rerr := regexp.Compile(pat)
				if rerr != nil {
					return rerr
				}
				if s.PatternProperties[re], err = fc.at(ptr + "/patternProperties/" + escape(pat)); err != nil {
					return err
				}
			}
		case k == "additionalProperties":
			if b, ok := v.(bool); ok {
				s.AdditionalProperties = b
			} else {
				s.AdditionalProperties, err = sub(k)
			}
		case k == "dependentRequired":
			deps, _ := v.(map[string]any)
			s.DependentRequired = make(map[string][]string, len(deps))
			for name, l := range deps {
				names, _ := l.([]any)
				for _, e := range names {
					str, _ := e.(string)
					s.DependentRequired[name] = append(s.DependentRequired[name], str)
				}
			}
		case k == "dependentSchemas":
			deps, _ := v.(map[string]any)
			s.DependentSchemas = make(map[string]*jsonschema.Schema, len(deps))
			for name := range deps {
				if s.DependentSchemas[name], err = fc.at(ptr + "/dependentSchemas/" + escape(name)); err != nil {
					return err
				}
			}
		case k == "minItems":
			s.MinItems, err = count(k)
		case k == "maxItems":
			s.MaxItems, err = count(k)
		case k == "items":
			s.Items2020, err = sub(k)
		case k == "minLength":
			s.MinLength, err = count(k)
		case k == "maxLength":
			s.MaxLength, err = count(k)
		case k == "pattern":
			str, _ := v.(string)
			s.Pattern, err = regexp.Compile(str)
		case k == "minimum":
			s.Minimum, err = rat(k)
		case k == "maximum":
			s.Maximum, err = rat(k)
		case k == "exclusiveMinimum":
			s.ExclusiveMinimum, err = rat(k)
		case k == "exclusiveMaximum":
			s.ExclusiveMaximum, err = rat(k)
		default:
			// v5 takes an unknown keyword as an annotation, and so does this.
		}
		if err != nil {
			return err
		}
	}
	if s.If != nil {
		if _, ok := m["then"]; ok {
			if s.Then, err = sub("then"); err != nil {
				return err
			}
		}
		if _, ok := m["else"]; ok {
			if s.Else, err = sub("else"); err != nil {
				return err
			}
		}
	}
	return nil
}
