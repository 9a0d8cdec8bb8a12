package effect

import "encoding/json"

// Number is a JSON number as flows see it: an int64 when it is an integer
// that fits, else a float64. It is the one rule for numbers decoded with
// UseNumber (vendor answers, sandbox requests, world values).
func Number(n json.Number) any {
	if i, err := n.Int64(); err == nil {
		return i
	}
	f, _ := n.Float64()
	return f
}

// Numbers replaces, in place, every json.Number in a decoded JSON value
// (maps and lists included) by Number's value, and returns the value.
func Numbers(v any) any {
	switch x := v.(type) {
	case json.Number:
		return Number(x)
	case map[string]any:
		for k, e := range x {
			x[k] = Numbers(e)
		}
	case []any:
		for i, e := range x {
			x[i] = Numbers(e)
		}
	}
	return v
}
