package testrun

import (
	"encoding/json"
	"fmt"
	"reflect"
)

// asJSON converts a value to what encoding/json would decode it to
// (map[string]any, []any, float64, string, bool, nil), so that YAML values
// of a test and the engine's values compare as JSON: 1 equals 1.0, "1" is
// not 1.
func asJSON(v any) any {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		return fmt.Sprint(v)
	}
	return out
}

// Subset reports whether got matches want: every key of a mapping in want
// is in got with a matching value (recursively), lists match element by
// element with the same length, and scalars are equal as JSON.
func Subset(want, got any) bool {
	return subset(asJSON(want), asJSON(got))
}

func subset(want, got any) bool {
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return false
		}
		for k, wv := range w {
			gv, ok := g[k]
			if !ok || !subset(wv, gv) {
				return false
			}
		}
		return true
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			return false
		}
		for i := range w {
			if !subset(w[i], g[i]) {
				return false
			}
		}
		return true
	}
	return reflect.DeepEqual(want, got)
}
