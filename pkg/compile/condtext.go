package compile

import (
	"regexp"
	"strings"
)

// Leaver coverage compares the conditions that filter leavers (trigger.when,
// continueIf) by their text: sound for what it accepts (a condition and its
// written negation together admit everyone), silent on anything cleverer.

// scan walks src from index from, outside string literals, calling at
// with each byte's index and the bracket depth before it; at returns false
// to stop. It is the one bracket-and-quote walk of this file.
func scan(src string, from int, at func(i, depth int) bool) {
	depth := 0
	var quote byte
	for i := from; i < len(src); i++ {
		ch := src[i]
		switch {
		case quote != 0:
			if ch == '\\' {
				i++
			} else if ch == quote {
				quote = 0
			}
			continue
		case ch == '"' || ch == '\'':
			quote = ch
			continue
		}
		if !at(i, depth) {
			return
		}
		switch ch {
		case '(', '[', '{':
			depth++
		case ')', ']', '}':
			depth--
		}
	}
}

// conjuncts splits a CEL condition at its top-level && (outside brackets
// and string literals).
func conjuncts(src string) []string {
	var out []string
	start, skip := 0, false
	scan(src, 0, func(i, depth int) bool {
		if skip {
			skip = false
			return true
		}
		if depth == 0 && src[i] == '&' && i+1 < len(src) && src[i+1] == '&' {
			out = append(out, strings.TrimSpace(src[start:i]))
			start, skip = i+2, true
		}
		return true
	})
	return append(out, strings.TrimSpace(src[start:]))
}

// filterText is what a leaver's condition excludes people by: the
// condition without `user != null` conjuncts (an event without a user
// deprovisions nobody, so that test excludes no one), "" when nothing is
// left or the condition is `true`.
func filterText(src string) string {
	var keep []string
	for _, c := range conjuncts(strings.TrimSpace(src)) {
		switch canon(c) {
		case "user!=null", "null!=user", "true", "":
			continue
		}
		keep = append(keep, c)
	}
	return strings.Join(keep, " && ")
}

// canon is a condition's text without blanks outside string literals and
// without parentheses around the whole of it: `!( a )` and `!(a)` compare
// equal.
func canon(s string) string {
	var b strings.Builder
	var quote byte
	for i := 0; i < len(s); i++ {
		ch := s[i]
		switch {
		case quote != 0:
			b.WriteByte(ch)
			if ch == '\\' && i+1 < len(s) {
				i++
				b.WriteByte(s[i])
			} else if ch == quote {
				quote = 0
			}
		case ch == '"' || ch == '\'':
			quote = ch
			b.WriteByte(ch)
		case ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r':
		default:
			b.WriteByte(ch)
		}
	}
	out := b.String()
	for wrapped(out) {
		out = out[1 : len(out)-1]
	}
	return out
}

// wrapped reports whether s is one parenthesised expression: `(a || b)`,
// not `(a) || (b)`.
func wrapped(s string) bool {
	if len(s) < 2 || s[0] != '(' || s[len(s)-1] != ')' {
		return false
	}
	return closing(s, 0) == len(s)-1
}

// closing returns the index of the bracket that closes the one at open,
// or -1.
func closing(s string, open int) int {
	found := -1
	scan(s, open, func(i, depth int) bool {
		if depth == 1 && (s[i] == ')' || s[i] == ']' || s[i] == '}') {
			found = i
			return false
		}
		return true
	})
	return found
}

// primary reports whether s (trimmed) binds tighter than a leading `!`: a
// name, member, call or index chain such as `user.alternateId.endsWith("x")`
// or a parenthesised expression, with no operator at its top level.
func primary(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		ch := s[i]
		switch {
		case ch == '(' || ch == '[':
			j := closing(s, i)
			if j < 0 {
				return false
			}
			i = j
		case ch == '_' || ch == '.' || ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z' || ch >= '0' && ch <= '9':
		default:
			return false
		}
	}
	return true
}

// negation writes the negation of a condition as a reader would: `a` for
// `!a` and `!(a)`, `!a` for a primary a, `!(a)` otherwise.
func negation(src string) string {
	s := strings.TrimSpace(src)
	if strings.HasPrefix(s, "!") && !strings.HasPrefix(s, "!=") {
		rest := strings.TrimSpace(s[1:])
		if primary(rest) {
			if wrapped(rest) {
				return strings.TrimSpace(rest[1 : len(rest)-1])
			}
			return rest
		}
	}
	if primary(s) {
		return "!" + s
	}
	return "!(" + s + ")"
}

// negates reports whether a and b are written as each other's negation.
func negates(a, b string) bool {
	return a != "" && b != "" && (canon(negation(a)) == canon(b) || canon(negation(b)) == canon(a))
}

// stateRE finds the names a condition reads that differ between flows
// (their vars and steps) or calls (a helper's inputs): two such conditions
// with the same text need not mean the same.
var stateRE = regexp.MustCompile(`\b(vars|steps|inputs|error)\b`)

// eventOnly reports whether a condition reads only the event (user,
// event, changed…), so that its text means the same in every flow.
func eventOnly(src string) bool { return !stateRE.MatchString(src) }
