package temporal

import (
	"encoding/json"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"
)

// TestTaggedValuesCrossJSON: every value type of the flow language comes
// back from JSON with its Go type and value; another type is refused with
// the key that holds it.
func TestTaggedValuesCrossJSON(t *testing.T) {
	at := time.Date(2026, 1, 5, 9, 0, 0, 123, time.UTC)
	tests := []struct {
		name string
		v    any
	}{
		{"null", nil},
		{"boolean", true},
		{"string", "jane@acme.com"},
		{"integer", int64(math.MaxInt64)},
		{"negative integer", int64(-7)},
		{"unsigned", uint64(math.MaxUint64)},
		{"whole double", 2.0},
		{"double", 0.1},
		{"timestamp", at},
		{"duration", 90 * time.Minute},
		{"bytes", []byte{0, 1, 255}},
		{"empty list", []any{}},
		{"list", []any{int64(1), 1.0, "1", nil, []any{true}}},
		{"empty object", map[string]any{}},
		{"object", map[string]any{"n": int64(3), "f": 3.0, "m": map[string]any{"at": at}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tagged, err := tagValues(map[string]any{"v": tt.v})
			if err != nil {
				t.Fatal(err)
			}
			raw, err := json.Marshal(tagged)
			if err != nil {
				t.Fatal(err)
			}
			var back map[string]any
			if err := decodeJSON(raw, &back); err != nil {
				t.Fatal(err)
			}
			got, err := untagValues(back)
			if err != nil {
				t.Fatalf("%s: %v", raw, err)
			}
			if !reflect.DeepEqual(got["v"], tt.v) {
				t.Errorf("%#v came back as %#v (%s)", tt.v, got["v"], raw)
			}
		})
	}
	if _, err := tagValues(map[string]any{"x": map[string]any{"y": struct{}{}}}); err == nil || !strings.Contains(err.Error(), "x: y: a value of type struct {}") {
		t.Errorf("error %v, want one naming x: y and the type", err)
	}
	if _, err := untagValues(map[string]any{"x": map[string]any{"q": "1"}}); err == nil || !strings.Contains(err.Error(), `x: unknown tag "q"`) {
		t.Errorf("error %v, want one naming the tag", err)
	}
}
