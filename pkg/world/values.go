package world

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"unicode"

	"github.com/jml-dev/jml/pkg/effect"
)

// normalize deep-copies v into plain JSON-like values: map[string]any,
// []any, string, bool, int64, float64 and nil. Other slices and string-keyed
// maps are converted; integers become int64; json.Number becomes int64 or
// float64. The world stores only normalized values, so nothing a caller
// holds aliases its state.
func normalize(v any) any {
	switch x := v.(type) {
	case nil:
		return nil
	case string, bool, int64, float64:
		return x
	case int:
		return int64(x)
	case int32:
		return int64(x)
	case float32:
		return float64(x)
	case json.Number:
		return effect.Number(x)
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[k] = normalize(e)
		}
		return m
	case []any:
		l := make([]any, len(x))
		for i, e := range x {
			l[i] = normalize(e)
		}
		return l
	case []string:
		l := make([]any, len(x))
		for i, e := range x {
			l[i] = e
		}
		return l
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return rv.Int()
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return int64(rv.Uint())
	case reflect.Float32, reflect.Float64:
		return rv.Float()
	case reflect.String:
		return rv.String()
	case reflect.Bool:
		return rv.Bool()
	case reflect.Slice, reflect.Array:
		l := make([]any, rv.Len())
		for i := range l {
			l[i] = normalize(rv.Index(i).Interface())
		}
		return l
	case reflect.Map:
		if rv.Type().Key().Kind() != reflect.String {
			break
		}
		m := make(map[string]any, rv.Len())
		it := rv.MapRange()
		for it.Next() {
			m[it.Key().String()] = normalize(it.Value().Interface())
		}
		return m
	case reflect.Pointer, reflect.Interface:
		if rv.IsNil() {
			return nil
		}
		return normalize(rv.Elem().Interface())
	}
	return fmt.Sprint(v)
}

// deepCopy copies a normalized value.
func deepCopy(v any) any {
	switch x := v.(type) {
	case map[string]any:
		return copyMap(x)
	case []any:
		l := make([]any, len(x))
		for i, e := range x {
			l[i] = deepCopy(e)
		}
		return l
	}
	return v
}

// copyMap copies a normalized map; nil stays nil.
func copyMap(m map[string]any) map[string]any {
	if m == nil {
		return nil
	}
	c := make(map[string]any, len(m))
	for k, v := range m {
		c[k] = deepCopy(v)
	}
	return c
}

// asInt returns a normalized number as an int when it is integral.
func asInt(v any) (int, bool) {
	switch x := v.(type) {
	case int64:
		return int(x), true
	case float64:
		if x == math.Trunc(x) && !math.IsInf(x, 0) {
			return int(x), true
		}
	case string:
		if i, err := strconv.Atoi(x); err == nil {
			return i, true
		}
	}
	return 0, false
}

// strOf returns m[k] when it is a string.
func strOf(m map[string]any, k string) string {
	s, _ := m[k].(string)
	return s
}

// lower is the case-folded key of emails, logins and names.
func lower(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// localPart returns the part of an email before the @.
func localPart(email string) string {
	if i := strings.IndexByte(email, '@'); i >= 0 {
		return email[:i]
	}
	return email
}

// names splits a display name into first and last name; without one it
// derives them from the email's local part (jane.doe → Jane, Doe).
func names(display, email string) (first, last string) {
	display = strings.TrimSpace(display)
	if display == "" {
		parts := strings.FieldsFunc(localPart(email), func(r rune) bool { return r == '.' || r == '_' || r == '-' || r == '+' })
		for i, p := range parts {
			parts[i] = capitalize(p)
		}
		display = strings.Join(parts, " ")
	}
	if i := strings.IndexByte(display, ' '); i >= 0 {
		return display[:i], strings.TrimSpace(display[i+1:])
	}
	return display, ""
}

func capitalize(s string) string {
	for i, r := range s {
		return string(unicode.ToUpper(r)) + s[i+len(string(r)):]
	}
	return s
}

// fullName joins first and last name.
func fullName(first, last string) string { return strings.TrimSpace(first + " " + last) }

// sortedKeys returns the keys of a map, sorted.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// addSorted adds s to a sorted set, reporting whether it was new. Members
// compare case-insensitively when fold is set.
func addSorted(set []string, s string, fold bool) ([]string, bool) {
	if indexOf(set, s, fold) >= 0 {
		return set, false
	}
	set = append(set, s)
	sort.Strings(set)
	return set, true
}

// removeFrom removes s from a set, reporting whether it was there.
func removeFrom(set []string, s string, fold bool) ([]string, bool) {
	i := indexOf(set, s, fold)
	if i < 0 {
		return set, false
	}
	return append(set[:i:i], set[i+1:]...), true
}

func indexOf(set []string, s string, fold bool) int {
	for i, x := range set {
		if x == s || (fold && strings.EqualFold(x, s)) {
			return i
		}
	}
	return -1
}

// strList converts a []string to []any for outputs and state.
func strList(s []string) []any {
	l := make([]any, len(s))
	for i, x := range s {
		l[i] = x
	}
	return l
}

// cloneStrings copies a string slice (nil stays nil).
func cloneStrings(s []string) []string {
	if s == nil {
		return nil
	}
	return append([]string(nil), s...)
}
