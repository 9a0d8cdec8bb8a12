package schema

import (
	"encoding/json"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/jml-dev/jml/pkg/source"
	"github.com/jml-dev/jml/schemas"
)

// TestSchemasDescribeEveryProperty: editors show descriptions on hover, so
// every property of every schema carries one (directly or through its $ref).
func TestSchemasDescribeEveryProperty(t *testing.T) {
	for _, name := range schemas.Names() {
		data, err := schemas.Read(name)
		if err != nil {
			t.Fatal(err)
		}
		var root map[string]any
		if err := json.Unmarshal(data, &root); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if root["$schema"] != "https://json-schema.org/draft/2020-12/schema" {
			t.Errorf("%s: $schema is %v", name, root["$schema"])
		}
		defs, _ := root["$defs"].(map[string]any)
		var walk func(path string, v any)
		walk = func(path string, v any) {
			m, ok := v.(map[string]any)
			if !ok {
				if l, ok := v.([]any); ok {
					for _, x := range l {
						walk(path, x)
					}
				}
				return
			}
			if props, ok := m["properties"].(map[string]any); ok {
				for k, p := range props {
					pm, _ := p.(map[string]any)
					if pm == nil {
						continue // `true` in per-kind key lists
					}
					if _, ok := pm["description"]; ok {
						continue
					}
					if ref, ok := pm["$ref"].(string); ok {
						if d, _ := defs[strings.TrimPrefix(ref, "#/$defs/")].(map[string]any); d != nil && d["description"] != nil {
							continue
						}
					}
					if pm["const"] != nil && (k == "type") {
						continue // auth type discriminators
					}
					t.Errorf("%s: %s/properties/%s has no description", name, path, k)
				}
			}
			for k, x := range m {
				walk(path+"/"+k, x)
			}
		}
		walk("#", root)
	}
}

func TestValidateMapsToYAMLPositions(t *testing.T) {
	v, err := For("flow")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, src, want string
	}{
		{"unknown top-level key with suggestion", "apiVersion: jml/v1\nkind: Flow\nname: a\ntriger: {event: x}\nsteps: [{halt: x}]\n",
			"f.yaml:4:1: error: unknown key \"triger\" in the document; did you mean \"trigger\"? [unknown-key]"},
		{"wrong kind", "apiVersion: jml/v1\nkind: Test\nname: a\ntrigger: {helper: {}}\nsteps: [{halt: x}]\n",
			"f.yaml:2:7: error: \"Test\" is not a valid value for \"kind\"; expected Flow [invalid-value]"},
		{"nested type error points at the value", "apiVersion: jml/v1\nkind: Flow\nname: a\ntrigger: {helper: {}}\nsteps:\n  - forEach: x\n    concurrency: many\n    do: [{halt: x}]\n",
			"f.yaml:7:18: error: \"concurrency\" must be an integer, not a string [wrong-type]"},
		{"empty then", "apiVersion: jml/v1\nkind: Flow\nname: a\ntrigger: {helper: {}}\nsteps:\n  - if: true\n    then: []\n",
			"f.yaml:7:11: error: \"then\" must not be empty [invalid-value]"},
		{"a misspelt card key: one diagnostic, with the suggestion", "apiVersion: jml/v1\nkind: Flow\nname: a\ntrigger: {helper: {}}\nsteps:\n  - action: slack.postMessage\n    retries: {attempts: 2}\n",
			"f.yaml:7:5: error: unknown key \"retries\" in item 0 of steps; did you mean \"retry\"? [unknown-key]"},
		{"when without event", "apiVersion: jml/v1\nkind: Flow\nname: a\ntrigger: {helper: {}, when: x}\nsteps: [{halt: x}]\n",
			"f.yaml:4:10: error: \"trigger\": key \"when\" needs \"event\" beside it [missing-key]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, ds := source.Parse("f.yaml", []byte(tt.src))
			if ds.HasErrors() {
				t.Fatal(ds)
			}
			got := v.Validate(f)
			var lines []string
			for _, d := range got {
				lines = append(lines, d.Error())
			}
			if !strings.Contains(strings.Join(lines, "\n"), tt.want) {
				t.Errorf("got\n%s\nwant a line\n%s", strings.Join(lines, "\n"), tt.want)
			}
			if n := strings.Count(strings.Join(lines, "\n"), "unknown-key"); n > 1 {
				t.Errorf("%d unknown-key diagnostics for one mistake:\n%s", n, strings.Join(lines, "\n"))
			}
		})
	}
}

// TestOneDiagnosticPerMisspeltKey: a misspelt key is one error at the key
// with the key meant, not also "missing" for the key it should have been;
// a key that is missing for another reason still is.
func TestOneDiagnosticPerMisspeltKey(t *testing.T) {
	const head = "apiVersion: jml/v1\nkind: Flow\nname: a\ntrigger: {helper: {}}\n"
	tests := []struct {
		name, schema, src string
		want              []string
	}{
		{"required key of a card", "flow", head + "steps:\n  - if: user.id != \"\"\n    thn: [{halt: x}]\n",
			[]string{`f.yaml:7:5: error: unknown key "thn" in item 0 of steps; did you mean "then"? [unknown-key]`}},
		{"the kind key of a card", "flow", head + "steps:\n  - acton: slack.postMessage\n",
			[]string{`f.yaml:6:5: error: unknown key "acton" in item 0 of steps; did you mean "action"? [unknown-key]`}},
		{"the kind key of a trigger", "flow", "apiVersion: jml/v1\nkind: Flow\nname: a\ntrigger: {evnt: user.lifecycle.deactivate}\nsteps: [{halt: x}]\n",
			[]string{`f.yaml:4:11: error: unknown key "evnt" in "trigger"; did you mean "event"? [unknown-key]`}},
		{"a required top-level key", "flow", "apiVersion: jml/v1\nkind: Flow\nnmae: a\ntrigger: {helper: {}}\nstpes: [{halt: x}]\n",
			[]string{
				`f.yaml:3:1: error: unknown key "nmae" in the document; did you mean "name"? [unknown-key]`,
				`f.yaml:5:1: error: unknown key "stpes" in the document; did you mean "steps"? [unknown-key]`,
			}},
		{"a required key of retry", "flow", head + "steps:\n  - action: slack.postMessage\n    retry: {atempts: 3}\n",
			[]string{`f.yaml:7:13: error: unknown key "atempts" in "retry"; did you mean "attempts"? [unknown-key]`}},
		{"an optional key", "flow", head + "steps:\n  - action: slack.postMessage\n    retries: 3\n",
			[]string{`f.yaml:7:5: error: unknown key "retries" in item 0 of steps; did you mean "retry"? [unknown-key]`}},
		{"a config key", "config", "apiVersion: jml/v1\nkind: Config\nconnectors:\n  slack: {typ: slack, auth: {type: bearer, token: {env: T}}}\n",
			[]string{`f.yaml:4:11: error: unknown key "typ" in "slack"; did you mean "type"? [unknown-key]`}},
		{"an unknown key that is not the missing one", "flow", head + "steps:\n  - if: user.id != \"\"\n    banana: 1\n",
			[]string{
				`f.yaml:6:5: error: missing required key "then" in item 0 of steps [missing-key]`,
				`f.yaml:7:5: error: unknown key "banana" in item 0 of steps [unknown-key]`,
			}},
		{"a missing key elsewhere", "flow", head + "steps:\n  - if: user.id != \"\"\n  - action: slack.postMessage\n    thn: 1\n",
			[]string{
				`f.yaml:6:5: error: missing required key "then" in item 0 of steps [missing-key]`,
				`f.yaml:8:5: error: unknown key "thn" in item 1 of steps; did you mean "then"? [unknown-key]`,
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := For(tt.schema)
			if err != nil {
				t.Fatal(err)
			}
			f, ds := source.Parse("f.yaml", []byte(tt.src))
			if ds.HasErrors() {
				t.Fatal(ds)
			}
			got, _ := v.Validate(f).Normalize(0)
			var lines []string
			for _, d := range got {
				lines = append(lines, d.Error())
			}
			if strings.Join(lines, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("got\n%s\nwant\n%s", strings.Join(lines, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

// TestCardKindsAreExclusive: the flow schema checks "exactly one kind key
// per card" without a oneOf over the kinds, which v5 would evaluate (and
// fail nine branches of) on every valid card. A card with no kind key
// fails the card's if/then; a card with two must fail the key list of
// each: every kind has a key list (a dependentSchema on its kind key)
// that forbids every other kind key, and not its own.
func TestCardKindsAreExclusive(t *testing.T) {
	v, err := For("flow")
	if err != nil {
		t.Fatal(err)
	}
	m := mapper{v: v}
	kinds := m.exclusiveKeys(cardKindKeys)
	if len(kinds) < 10 {
		t.Fatalf("%s: kinds %v", cardKindKeys, kinds)
	}
	none, _ := v.schemaAt("/$defs/card/if/properties").(map[string]any)
	if len(none) != len(kinds) {
		t.Errorf("the card's if names %d kind keys, the oneOf %d", len(none), len(kinds))
	}
	deps, _ := v.schemaAt(strings.TrimSuffix(cardKinds, "/")).(map[string]any)
	if len(deps) != len(kinds) {
		t.Errorf("%d key lists for %d kinds", len(deps), len(kinds))
	}
	for _, k := range kinds {
		if none[k] != false {
			t.Errorf("the card's if does not reject %q", k)
		}
		dep, _ := deps[k].(map[string]any)
		not, _ := dep["properties"].(map[string]any)
		if _, ok := not[k]; ok {
			t.Errorf("kind %q's key list forbids %q", k, k)
		}
		for _, other := range kinds {
			if other != k && not[other] != false {
				t.Errorf("kind %q's key list does not forbid the kind key %q", k, other)
			}
		}
	}
	// And the schema says so on a card with two of them, one diagnostic.
	f, _ := source.Parse("f.yaml", []byte("apiVersion: jml/v1\nkind: Flow\nname: a\ntrigger: {helper: {}}\nsteps:\n  - assign: {a: '1'}\n    return: {}\n"))
	ds := v.Validate(f)
	if len(ds) != 1 || ds[0].Code != "card-kind" {
		t.Errorf("two kind keys: %v", ds)
	}
}

// BenchmarkValidateLeaver is the flow schema's validation of the library's
// leaver, a valid flow of 20-odd cards: what validate does per file.
func BenchmarkValidateLeaver(b *testing.B) {
	v, err := For("flow")
	if err != nil {
		b.Fatal(err)
	}
	src, err := os.ReadFile("../../flows/leaver.yaml")
	if err != nil {
		b.Fatal(err)
	}
	f, ds := source.Parse("leaver.yaml", src)
	if ds.HasErrors() {
		b.Fatal(ds)
	}
	b.ReportAllocs()
	for b.Loop() {
		if ds := v.Validate(f); len(ds) > 0 {
			b.Fatal(ds)
		}
	}
}

// TestSchemasHaveNoDuplicateKeys: a JSON object that names a key twice is
// read as its last one by most decoders, so a property added twice (one
// per connector type of a shared object) would silently drop the first.
func TestSchemasHaveNoDuplicateKeys(t *testing.T) {
	for _, name := range schemas.Names() {
		data, err := schemas.Read(name)
		if err != nil {
			t.Fatal(err)
		}
		dec := json.NewDecoder(strings.NewReader(string(data)))
		var walk func(path string) error
		walk = func(path string) error {
			tok, err := dec.Token()
			if err != nil {
				return err
			}
			switch tok {
			case json.Delim('{'):
				seen := map[string]bool{}
				for dec.More() {
					k, err := dec.Token()
					if err != nil {
						return err
					}
					key := k.(string)
					if seen[key] {
						t.Errorf("%s: %s names %q twice", name, path, key)
					}
					seen[key] = true
					if err := walk(path + "/" + key); err != nil {
						return err
					}
				}
				_, err = dec.Token()
				return err
			case json.Delim('['):
				for i := 0; dec.More(); i++ {
					if err := walk(path + "/" + strconv.Itoa(i)); err != nil {
						return err
					}
				}
				_, err = dec.Token()
				return err
			}
			return nil
		}
		if err := walk(""); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
}
