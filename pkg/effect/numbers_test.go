package effect

import (
	"encoding/json"
	"reflect"
	"testing"
)

func TestNumbers(t *testing.T) {
	v := map[string]any{"a": json.Number("7"), "b": []any{json.Number("1.5"), json.Number("9223372036854775808")}, "c": "x"}
	got := Numbers(v)
	want := map[string]any{"a": int64(7), "b": []any{1.5, 9.223372036854776e18}, "c": "x"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Numbers = %#v, want %#v", got, want)
	}
}
