package expr

import (
	"reflect"

	"cel.dev/cel-go/common/types/ref"
	"google.golang.org/protobuf/types/known/structpb"
)

// toNative turns the Go values CEL hands back (which may still hold CEL
// values inside lists and maps) into plain Go values.
func toNative(v any) any {
	switch x := v.(type) {
	case ref.Val:
		return toNative(x.Value())
	case map[ref.Val]ref.Val:
		m := make(map[string]any, len(x))
		for k, val := range x {
			ks, _ := toNative(k).(string)
			m[ks] = toNative(val)
		}
		return m
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, val := range x {
			m[k] = toNative(val)
		}
		return m
	case []ref.Val:
		l := make([]any, len(x))
		for i, val := range x {
			l[i] = toNative(val)
		}
		return l
	case []string: // `changed` passed through as given
		l := make([]any, len(x))
		for i, val := range x {
			l[i] = val
		}
		return l
	case []any:
		l := make([]any, len(x))
		for i, val := range x {
			l[i] = toNative(val)
		}
		return l
	case *structpb.Value:
		return x.AsInterface()
	case structpb.NullValue:
		return nil
	case []byte:
		return x
	}
	// Any other Go list or map an extension hands back (lists.range gives
	// []int): the plain forms every consumer expects.
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Slice, reflect.Array:
		l := make([]any, rv.Len())
		for i := range l {
			l[i] = toNative(rv.Index(i).Interface())
		}
		return l
	case reflect.Map:
		m := make(map[string]any, rv.Len())
		it := rv.MapRange()
		for it.Next() {
			ks, _ := toNative(it.Key().Interface()).(string)
			m[ks] = toNative(it.Value().Interface())
		}
		return m
	}
	return v
}
