package schema

import (
	"io/fs"
	"math/rand"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v5"
	"gopkg.in/yaml.v3"

	"github.com/jml-dev/jml/pkg/source"
	"github.com/jml-dev/jml/schemas"
)

// TestFastCheckAgrees holds the quick check of Validate to jsonschema v5's
// answer: on every YAML document of the repository (flows, examples,
// tests, worlds, the validate error cases) against every schema, and on
// random mutations of each (a key removed or added, a value of another
// type or spelling; the mutated value encoded back into a YAML tree),
// whenever the quick check is sure, it says valid exactly when v5 does
// on source.Value of the same tree.
func TestFastCheckAgrees(t *testing.T) {
	var docs []string
	root := filepath.Join("..", "..")
	filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == ".jml" || d.Name() == "node_modules") {
			return filepath.SkipDir
		}
		if ext := filepath.Ext(path); !d.IsDir() && (ext == ".yaml" || ext == ".yml") {
			docs = append(docs, path)
		}
		return nil
	})
	sort.Strings(docs)
	if len(docs) < 100 {
		t.Fatalf("found %d YAML files, expected the repository's", len(docs))
	}
	var vs []*Validator
	for _, name := range schemas.Names() {
		v, err := For(strings.TrimSuffix(name, ".schema.json"))
		if err != nil {
			t.Fatal(err)
		}
		vs = append(vs, v)
	}
	rng := rand.New(rand.NewSource(1))
	var sure, unsure, valid, invalid int
	check := func(what string, v *Validator, n *yaml.Node) (bool, bool) {
		full, err := v.full()
		if err != nil {
			t.Fatal(err)
		}
		// The quick check on the tree Validate gives it (fastCompile's),
		// and on v5's own: both answer as v5 validates.
		var c, c5 fastCheck
		fast := c.validNode(v.quick, n)
		fast5 := c5.validNode(full, n)
		slow := full.Validate(source.Value(n)) == nil
		if c.unsure != c5.unsure || !c.unsure && fast != fast5 {
			t.Errorf("%s against %s: the quick check on fastCompile's tree says valid=%v unsure=%v, on v5's valid=%v unsure=%v", what, v.name, fast, c.unsure, fast5, c5.unsure)
		}
		if c.unsure {
			unsure++
			return slow, false
		}
		sure++
		if slow {
			valid++
		} else {
			invalid++
		}
		if fast != slow {
			t.Errorf("%s against %s: quick check says valid=%v, v5 says %v", what, v.name, fast, slow)
		}
		return slow, true
	}
	for _, path := range docs {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		f, _ := source.Parse(path, data)
		if f == nil || f.Root == nil {
			continue
		}
		val := source.Value(f.Root)
		var own []*Validator
		for _, v := range vs {
			if ok, _ := check(path, v, f.Root); ok {
				own = append(own, v)
			}
		}
		if len(own) == 0 {
			own = vs[:1]
		}
		for i := 0; i < 12; i++ {
			var m yaml.Node
			if err := m.Encode(mutate(rng, copyValue(val))); err != nil {
				t.Fatal(err)
			}
			for _, v := range own {
				check(path+" (mutated)", v, &m)
			}
		}
	}
	t.Logf("%d files; quick check sure %d times (%d valid, %d invalid), unsure %d", len(docs), sure, valid, invalid, unsure)
	if valid < 50 || invalid < 500 || unsure > sure/10 {
		t.Errorf("too few cases compared: %d valid, %d invalid, %d unsure of %d", valid, invalid, unsure, sure+unsure)
	}
}

func copyValue(v any) any {
	switch v := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(v))
		for k, x := range v {
			m[k] = copyValue(x)
		}
		return m
	case []any:
		l := make([]any, len(v))
		for i, x := range v {
			l[i] = copyValue(x)
		}
		return l
	}
	return v
}

// mutate changes one place of v, picked at random, and returns v.
func mutate(rng *rand.Rand, v any) any {
	// Pick a container along a random path, stopping at random.
	cur := v
	for depth := 0; depth < 12; depth++ {
		var next any
		switch c := cur.(type) {
		case map[string]any:
			if len(c) == 0 {
				break
			}
			keys := make([]string, 0, len(c))
			for k := range c {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			next = c[keys[rng.Intn(len(keys))]]
		case []any:
			if len(c) == 0 {
				break
			}
			next = c[rng.Intn(len(c))]
		}
		switch next.(type) {
		case map[string]any, []any:
			if rng.Intn(3) > 0 {
				cur = next
				continue
			}
		}
		break
	}
	values := []any{"x", "", "Not A Valid Name!", int64(3), int64(-1), int64(100000), 1.5, 2.0, true, false, nil, map[string]any{}, []any{}, []any{"a"}, map[string]any{"name": "x"}}
	switch c := cur.(type) {
	case map[string]any:
		keys := make([]string, 0, len(c))
		for k := range c {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		switch op := rng.Intn(4); {
		case op == 0 && len(keys) > 0:
			delete(c, keys[rng.Intn(len(keys))])
		case op == 1:
			c[[]string{"bogus", "when", "then", "else", "action", "if", "steps", "name"}[rng.Intn(8)]] = values[rng.Intn(len(values))]
		case len(keys) > 0:
			c[keys[rng.Intn(len(keys))]] = values[rng.Intn(len(values))]
		}
	case []any:
		if len(c) > 0 {
			c[rng.Intn(len(c))] = values[rng.Intn(len(values))]
		}
	}
	return v
}

// TestFastCheckReadsYAMLAsValue: the quick check reads the YAML tree as
// source.Value gives it to v5 — tags, quoting, aliases, null — and is
// unsure of what it does not read (merge keys).
func TestFastCheckReadsYAMLAsValue(t *testing.T) {
	const url = "https://jml.dev/schemas/fast-test.schema.json"
	c := jsonschema.NewCompiler()
	c.Draft = jsonschema.Draft2020
	if err := c.AddResource(url, strings.NewReader(`{
		"type": "object", "required": ["a"], "additionalProperties": false,
		"properties": {
			"a": {"type": "integer", "minimum": 1},
			"b": {"type": "string", "pattern": "^x"},
			"c": {"type": "boolean"},
			"d": {"type": "null"},
			"e": {"type": "array", "items": {"type": "string"}, "minItems": 1},
			"f": {"enum": ["on", true, null]},
			"base": {}
		}}`)); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile(url)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		doc    string
		valid  bool
		unsure bool
	}{
		{doc: "a: 1", valid: true},
		{doc: "a: 0"},
		{doc: "a: '1'"},
		{doc: "a: 0x10", valid: true},
		{doc: "a: 1.5", unsure: true},
		{doc: "b: xy"},
		{doc: "a: 1\nb: xy", valid: true},
		{doc: "a: 1\nb: !!str xy", valid: true},
		{doc: "a: 1\nb: 'y'"},
		{doc: "a: 1\nc: yes"},
		{doc: "a: 1\nc: true", valid: true},
		{doc: "a: 1\nc: 'true'"},
		{doc: "a: 1\nd: ~", valid: true},
		{doc: "a: 1\nd: null", valid: true},
		{doc: "a: 1\nd: ''"},
		{doc: "a: 1\nd:", valid: true},
		{doc: "a: 1\ne: []"},
		{doc: "a: 1\ne: [x, 2]"},
		{doc: "a: 1\ne: [x, '2']", valid: true},
		{doc: "a: &n 2\nb: x\ne: [x]\ng: *n"},
		{doc: "a: 1\nb: &s xa\ne: [*s]", valid: true},
		{doc: "a: 1\nf: on", valid: true},
		{doc: "a: 1\nf: 'true'"},
		{doc: "a: 1\nf: true", valid: true},
		{doc: "a: 1\nf: ~", valid: true},
		{doc: "base: &b {a: 1}\n<<: *b", valid: true, unsure: true},
		{doc: "a: 1\na: 2", valid: true, unsure: true},
		{doc: "a: 1\nk0: 0\nk1: 0\nk2: 0\nk3: 0\nk4: 0\nk5: 0\nk6: 0\nk7: 0\nk8: 0\nk9: 0\nk10: 0\nk11: 0\nk12: 0\nk13: 0\nk14: 0\nk15: 0\nk16: 0\nk17: 0\nk18: 0\nk19: 0\na: 2", unsure: true},
		{doc: "a: 1\nk0: 0\nk1: 0\nk2: 0\nk3: 0\nk4: 0\nk5: 0\nk6: 0\nk7: 0\nk8: 0\nk9: 0\nk10: 0\nk11: 0\nk12: 0\nk13: 0\nk14: 0\nk15: 0\nk16: 0\nk17: 0\nk18: 0\nk19: 0\n", valid: false},
	} {
		var n yaml.Node
		if err := yaml.Unmarshal([]byte(tc.doc), &n); err != nil {
			t.Fatalf("%q: %v", tc.doc, err)
		}
		root := n.Content[0]
		slow := s.Validate(source.Value(root)) == nil
		if slow != tc.valid {
			t.Errorf("%q: v5 says valid=%v, the case says %v", tc.doc, slow, tc.valid)
		}
		var fc fastCheck
		fast := fc.validNode(s, root)
		switch {
		case fc.unsure != tc.unsure:
			t.Errorf("%q: quick check unsure=%v, want %v", tc.doc, fc.unsure, tc.unsure)
		case !fc.unsure && fast != slow:
			t.Errorf("%q: quick check says valid=%v, v5 %v", tc.doc, fast, slow)
		}
	}
}
