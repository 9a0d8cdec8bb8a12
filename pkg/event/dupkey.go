package event

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// Duplicate keys are bad input, as in YAML: encoding/json keeps the last
// of them without a word, so `{"uuid":"a",…,"uuid":"b"}` would be a
// different event to each reader. The scanner counts the members it cuts
// (colons outside strings, a byte it stops at anyway) and convertNumbers
// counts the keys decoded; only when they differ is the value read again,
// here, to find the key. Valid events cost a comparison.

// duplicateKey returns the position and message of the first duplicate
// key of v, a value that parsed as JSON and decoded to fewer keys than it
// has members.
func duplicateKey(v value) (line, col int, msg string) {
	off, first, key, ok := findDuplicateKey(v.raw)
	if !ok {
		// Not expected: the counts say there is one.
		return v.line, v.col, "duplicate key in a JSON object"
	}
	fl, fc := posAt(v, first)
	line, col = posAt(v, off)
	return line, col, fmt.Sprintf("duplicate key %s (first defined at line %d, column %d)", quoteKey(key), fl, fc)
}

// posAt returns the position of byte offset off of v.
func posAt(v value, off int) (line, col int) {
	line, col = movePos(v.raw[:off], v.line, v.col-1)
	return line, col + 1
}

// quoteKey quotes a key for a message, cutting a long one.
func quoteKey(k string) string {
	if r := []rune(k); len(r) > 60 {
		k = string(r[:57]) + "..."
	}
	return fmt.Sprintf("%q", k)
}

// findDuplicateKey returns the offsets of the first key, in document
// order, that repeats a key of its object, and of that earlier key. data
// must be valid JSON.
func findDuplicateKey(data []byte) (off, first int, key string, ok bool) {
	var stack []map[string]int // an object's keys and their offsets; nil for an array
	expectKey := false
	for i := 0; i < len(data); i++ {
		switch data[i] {
		case '{':
			stack = append(stack, map[string]int{})
			expectKey = true
		case '[':
			stack = append(stack, nil)
		case '}', ']':
			stack = stack[:len(stack)-1]
		case ',':
			expectKey = len(stack) > 0 && stack[len(stack)-1] != nil
		case '"':
			end := stringEnd(data, i)
			if expectKey {
				k := string(data[i+1 : end])
				if bytes.IndexByte(data[i+1:end], '\\') >= 0 {
					_ = json.Unmarshal(data[i:end+1], &k)
				}
				keys := stack[len(stack)-1]
				if at, dup := keys[k]; dup {
					return i, at, k, true
				}
				keys[k] = i
				expectKey = false
			}
			i = end
		}
	}
	return 0, 0, "", false
}

// stringEnd returns the index of the quote that closes the string whose
// opening quote is at data[i].
func stringEnd(data []byte, i int) int {
	for j := i + 1; j < len(data); j++ {
		switch data[j] {
		case '\\':
			j++
		case '"':
			return j
		}
	}
	return len(data) - 1
}
