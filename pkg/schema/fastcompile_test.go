package schema

import (
	"bytes"
	"fmt"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v5"

	"github.com/jml-dev/jml/schemas"
)

// TestFastCompileIsV5s: for every embedded schema, the tree fastCompile
// builds has, everywhere, what v5's compile puts in the fields the quick
// check reads, and fastKnown answers alike; so the quick check answers on
// it as it does on v5's (TestFastCheckAgrees runs it on both).
func TestFastCompileIsV5s(t *testing.T) {
	for _, name := range schemas.Names() {
		t.Run(name, func(t *testing.T) {
			data, err := schemas.Read(strings.TrimSuffix(name, ".schema.json"))
			if err != nil {
				t.Fatal(err)
			}
			fast, err := fastCompile(data)
			if err != nil {
				t.Fatal(err)
			}
			c := jsonschema.NewCompiler()
			c.Draft = jsonschema.Draft2020
			url := "https://jml.dev/schemas/" + name
			if err := c.AddResource(url, bytes.NewReader(data)); err != nil {
				t.Fatal(err)
			}
			slow, err := c.Compile(url)
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			if why := sameSchema(fast, slow, "#", map[[2]*jsonschema.Schema]bool{}, &n); why != "" {
				t.Fatal(why)
			}
			if n < 20 {
				t.Fatalf("compared %d schemas: the walk proves little", n)
			}
		})
	}
}

// sameSchema says where a and b differ in what fastCheck reads ("" when
// they do not).
func sameSchema(a, b *jsonschema.Schema, at string, seen map[[2]*jsonschema.Schema]bool, n *int) string {
	if (a == nil) != (b == nil) {
		return fmt.Sprintf("%s: one is nil", at)
	}
	if a == nil || seen[[2]*jsonschema.Schema{a, b}] {
		return ""
	}
	seen[[2]*jsonschema.Schema{a, b}] = true
	*n++
	if fastKnown(a) != fastKnown(b) {
		return fmt.Sprintf("%s: fastKnown %v, v5's %v", at, fastKnown(a), fastKnown(b))
	}
	if !fastKnown(a) {
		return "" // the quick check is unsure there, whatever the rest
	}
	if (a.Always == nil) != (b.Always == nil) || a.Always != nil && *a.Always != *b.Always {
		return fmt.Sprintf("%s: Always differs", at)
	}
	eq := func(what string, x, y any) string {
		if !reflect.DeepEqual(x, y) {
			return fmt.Sprintf("%s: %s %v, v5's %v", at, what, x, y)
		}
		return ""
	}
	for _, d := range []string{
		eq("Types", a.Types, b.Types), eq("Constant", a.Constant, b.Constant), eq("Enum", a.Enum, b.Enum),
		eq("MinProperties", a.MinProperties, b.MinProperties), eq("MaxProperties", a.MaxProperties, b.MaxProperties),
		eq("Required", a.Required, b.Required), eq("DependentRequired", a.DependentRequired, b.DependentRequired),
		eq("MinItems", a.MinItems, b.MinItems), eq("MaxItems", a.MaxItems, b.MaxItems),
		eq("MinLength", a.MinLength, b.MinLength), eq("MaxLength", a.MaxLength, b.MaxLength),
		eq("Pattern", fmt.Sprint(a.Pattern), fmt.Sprint(b.Pattern)),
		eq("Minimum", fmt.Sprint(a.Minimum), fmt.Sprint(b.Minimum)), eq("Maximum", fmt.Sprint(a.Maximum), fmt.Sprint(b.Maximum)),
		eq("ExclusiveMinimum", fmt.Sprint(a.ExclusiveMinimum), fmt.Sprint(b.ExclusiveMinimum)),
		eq("ExclusiveMaximum", fmt.Sprint(a.ExclusiveMaximum), fmt.Sprint(b.ExclusiveMaximum)),
		eq("AllOf", len(a.AllOf), len(b.AllOf)), eq("AnyOf", len(a.AnyOf), len(b.AnyOf)), eq("OneOf", len(a.OneOf), len(b.OneOf)),
		eq("Properties", sortedNames(a.Properties), sortedNames(b.Properties)),
		eq("DependentSchemas", sortedNames(a.DependentSchemas), sortedNames(b.DependentSchemas)),
		eq("PatternProperties", patterns(a.PatternProperties), patterns(b.PatternProperties)),
		eq("AdditionalProperties", fmt.Sprintf("%T", a.AdditionalProperties), fmt.Sprintf("%T", b.AdditionalProperties)),
	} {
		if d != "" {
			return d
		}
	}
	if x, ok := a.AdditionalProperties.(bool); ok && x != b.AdditionalProperties.(bool) {
		return fmt.Sprintf("%s: additionalProperties %v", at, x)
	}
	type pair struct {
		a, b *jsonschema.Schema
		at   string
	}
	subs := []pair{{a.Ref, b.Ref, "$ref"}, {a.Not, b.Not, "not"}, {a.If, b.If, "if"}, {a.Then, b.Then, "then"}, {a.Else, b.Else, "else"},
		{a.PropertyNames, b.PropertyNames, "propertyNames"}, {a.Items2020, b.Items2020, "items"}}
	if x, ok := a.AdditionalProperties.(*jsonschema.Schema); ok {
		subs = append(subs, pair{x, b.AdditionalProperties.(*jsonschema.Schema), "additionalProperties"})
	}
	for i := range a.AllOf {
		subs = append(subs, pair{a.AllOf[i], b.AllOf[i], fmt.Sprint("allOf/", i)})
	}
	for i := range a.AnyOf {
		subs = append(subs, pair{a.AnyOf[i], b.AnyOf[i], fmt.Sprint("anyOf/", i)})
	}
	for i := range a.OneOf {
		subs = append(subs, pair{a.OneOf[i], b.OneOf[i], fmt.Sprint("oneOf/", i)})
	}
	for _, k := range sortedNames(a.Properties) {
		subs = append(subs, pair{a.Properties[k], b.Properties[k], "properties/" + k})
	}
	for _, k := range sortedNames(a.DependentSchemas) {
		subs = append(subs, pair{a.DependentSchemas[k], b.DependentSchemas[k], "dependentSchemas/" + k})
	}
	bp := map[string]*jsonschema.Schema{}
	for re, s := range b.PatternProperties {
		bp[re.String()] = s
	}
	for re, s := range a.PatternProperties {
		subs = append(subs, pair{s, bp[re.String()], "patternProperties/" + re.String()})
	}
	for _, p := range subs {
		if d := sameSchema(p.a, p.b, at+"/"+p.at, seen, n); d != "" {
			return d
		}
	}
	return ""
}

func sortedNames(m map[string]*jsonschema.Schema) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func patterns(m map[*regexp.Regexp]*jsonschema.Schema) []string {
	var out []string
	for re := range m {
		out = append(out, re.String())
	}
	sort.Strings(out)
	return out
}
