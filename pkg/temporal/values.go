package temporal

import (
	"encoding/base64"
	"fmt"
	"strconv"
	"time"
)

// A helper's inputs and outputs are values of the flow language (CEL's,
// made native by the engine): nil, bool, string, int64, uint64, float64,
// time.Time, time.Duration, []byte, []any and map[string]any. Plain JSON
// would lose some of their types on the way to and from a child workflow
// (2.0 would come back an integer, a timestamp a string), and the helper
// or its caller would compute something else than locally. So they cross
// tagged: each value is an object of one key naming its type.

// tagValues tags every value of m (nil stays nil).
func tagValues(m map[string]any) (map[string]any, error) {
	if m == nil {
		return nil, nil
	}
	out := make(map[string]any, len(m))
	for k, v := range m {
		t, err := tag(v)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", k, err)
		}
		out[k] = t
	}
	return out, nil
}

// untagValues undoes tagValues on m decoded with UseNumber.
func untagValues(m map[string]any) (map[string]any, error) {
	if m == nil {
		return nil, nil
	}
	out := make(map[string]any, len(m))
	for k, v := range m {
		u, err := untag(v)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", k, err)
		}
		out[k] = u
	}
	return out, nil
}

func tag(v any) (any, error) {
	switch x := v.(type) {
	case nil:
		return nil, nil
	case bool:
		return map[string]any{"b": x}, nil
	case string:
		return map[string]any{"s": x}, nil
	case int64:
		return map[string]any{"i": strconv.FormatInt(x, 10)}, nil
	case int:
		return map[string]any{"i": strconv.Itoa(x)}, nil
	case uint64:
		return map[string]any{"u": strconv.FormatUint(x, 10)}, nil
	case float64:
		return map[string]any{"f": strconv.FormatFloat(x, 'g', -1, 64)}, nil
	case time.Time:
		return map[string]any{"t": x.Format(time.RFC3339Nano)}, nil
	case time.Duration:
		return map[string]any{"d": strconv.FormatInt(int64(x), 10)}, nil
	case []byte:
		return map[string]any{"y": base64.StdEncoding.EncodeToString(x)}, nil
	case []any:
		l := make([]any, len(x))
		for i, e := range x {
			t, err := tag(e)
			if err != nil {
				return nil, fmt.Errorf("[%d]: %w", i, err)
			}
			l[i] = t
		}
		return map[string]any{"l": l}, nil
	case map[string]any:
		m, err := tagValues(x)
		if err != nil {
			return nil, err
		}
		return map[string]any{"m": m}, nil
	}
	return nil, fmt.Errorf("a value of type %T cannot be passed to or returned by a helper workflow", v)
}

func untag(v any) (any, error) {
	if v == nil {
		return nil, nil
	}
	m, ok := v.(map[string]any)
	if !ok || len(m) != 1 {
		return nil, fmt.Errorf("not a tagged value: %v", v)
	}
	for k, e := range m {
		s, _ := e.(string)
		switch k {
		case "b":
			b, ok := e.(bool)
			if !ok {
				return nil, fmt.Errorf("not a boolean: %v", e)
			}
			return b, nil
		case "s":
			return s, nil
		case "i":
			return strconv.ParseInt(s, 10, 64)
		case "u":
			return strconv.ParseUint(s, 10, 64)
		case "f":
			return strconv.ParseFloat(s, 64)
		case "t":
			return time.Parse(time.RFC3339Nano, s)
		case "d":
			d, err := strconv.ParseInt(s, 10, 64)
			return time.Duration(d), err
		case "y":
			return base64.StdEncoding.DecodeString(s)
		case "l":
			l, _ := e.([]any)
			out := make([]any, len(l))
			for i, el := range l {
				u, err := untag(el)
				if err != nil {
					return nil, fmt.Errorf("[%d]: %w", i, err)
				}
				out[i] = u
			}
			return out, nil
		case "m":
			mm, _ := e.(map[string]any)
			if mm == nil {
				return map[string]any{}, nil
			}
			return untagValues(mm)
		}
		return nil, fmt.Errorf("unknown tag %q", k)
	}
	return nil, fmt.Errorf("not a tagged value: %v", v)
}
