package schema

import (
	"io/fs"
	"math/rand"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/jml-dev/jml/pkg/source"
	"github.com/jml-dev/jml/schemas"
)

// TestFastCheckAgrees holds the quick check of Validate to jsonschema v5's
// answer: on every YAML document of the repository (flows, examples,
// tests, worlds, the validate error cases) against every schema, and on
// random mutations of each (a key removed or added, a value of another
// type or spelling), whenever the quick check is sure, it says valid
// exactly when v5 does.
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
	check := func(what string, v *Validator, val any) (bool, bool) {
		var c fastCheck
		fast := c.valid(v.schema, val)
		slow := v.schema.Validate(val) == nil
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
			if ok, _ := check(path, v, val); ok {
				own = append(own, v)
			}
		}
		if len(own) == 0 {
			own = vs[:1]
		}
		for i := 0; i < 12; i++ {
			m := mutate(rng, copyValue(val))
			for _, v := range own {
				check(path+" (mutated)", v, m)
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
