package expr

import (
	"fmt"
	"regexp"
	"sort"
	"strings"

	"cel.dev/cel-go/cel"
)

// hint is a mistake that CEL reports only as a bare syntax error: an
// operator written the way another language spells it. fix has the same
// length as the mistake, so the source with every fix applied keeps the
// offsets of any other error in it.
type hint struct {
	off, n int
	fix    string
	msg    string
}

// wordOps are the words other languages use for CEL's logical operators.
var wordOps = map[string]struct{ op, fix string }{
	"and": {"&&", "&& "},
	"or":  {"||", "||"},
	"not": {"!", "!  "},
}

// syntaxHints finds `=` for `==` and `and`/`or`/`not` for `&&`/`||`/`!`
// outside string literals. Only called when src does not parse: in CEL
// none of them is valid anywhere but as a field name after a dot.
func syntaxHints(src string) []hint {
	var out []hint
	for i := 0; i < len(src); {
		c := src[i]
		switch {
		case c == '"' || c == '\'':
			i = skipString(src, i)
		case c == '=':
			if i+1 < len(src) && src[i+1] == '=' {
				i += 2
				continue
			}
			if i > 0 && strings.IndexByte("=!<>", src[i-1]) >= 0 {
				i++
				continue
			}
			out = append(out, hint{off: i, n: 1, fix: "<", msg: `"=" is not an operator in CEL; use == to compare`})
			i++
		case isIdentStart(c):
			j := i
			for j < len(src) && isIdentPart(src[j]) {
				j++
			}
			word := src[i:j]
			if op, ok := wordOps[word]; ok && !afterDot(src, i) {
				out = append(out, hint{off: i, n: len(word), fix: op.fix, msg: fmt.Sprintf("%q is not an operator in CEL; use %s", word, op.op)})
			}
			i = j
		case c >= '0' && c <= '9':
			// A number, with any suffix or exponent letters (1u, 1e3).
			for i < len(src) && (isIdentPart(src[i]) || src[i] == '.') {
				i++
			}
		default:
			i++
		}
	}
	return out
}

// skipString returns the offset just past the string literal whose
// opening quote is at i: single or triple quoted, raw when prefixed r/R.
func skipString(src string, i int) int {
	raw := i > 0 && (src[i-1] == 'r' || src[i-1] == 'R')
	q := src[i : i+1]
	if strings.HasPrefix(src[i:], strings.Repeat(q, 3)) {
		q = strings.Repeat(q, 3)
	}
	for j := i + len(q); j < len(src); j++ {
		if src[j] == '\\' && !raw {
			j++
			continue
		}
		if strings.HasPrefix(src[j:], q) {
			return j + len(q)
		}
		if src[j] == '\n' && len(q) == 1 {
			return j
		}
	}
	return len(src)
}

func isIdentStart(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

func isIdentPart(c byte) bool { return isIdentStart(c) || c >= '0' && c <= '9' }

// afterDot reports whether the identifier at i selects a field (x.or).
func afterDot(src string, i int) bool {
	j := i - 1
	for j >= 0 && (src[j] == ' ' || src[j] == '\t' || src[j] == '\n' || src[j] == '\r') {
		j--
	}
	return j >= 0 && src[j] == '.'
}

// hintIssues reports each hint as one issue, and whatever else stops the
// source with the hints fixed from parsing: one issue per mistake, not the
// cascade of syntax errors CEL gives for an `=` or an `and`.
func hintIssues(env *cel.Env, src string, hs []hint) []Issue {
	var out []Issue
	var b strings.Builder
	last := 0
	for _, h := range hs {
		out = append(out, Issue{Offset: h.off, Code: "expr-syntax", Msg: "CEL syntax error: " + h.msg})
		b.WriteString(src[last:h.off])
		b.WriteString(h.fix)
		last = h.off + h.n
	}
	b.WriteString(src[last:])
	fixed := b.String()
	if _, iss := env.Parse(fixed); iss != nil && iss.Err() != nil {
		out = append(out, issues(fixed, iss, "expr-syntax", nil, nil)...)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Offset < out[j].Offset })
	return out
}

var identRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$`)

// functionNames lists the functions and macros callable by name in env
// (CEL's own and the extensions jml adds), sorted, for did-you-mean.
func functionNames(env *cel.Env) []string {
	seen := map[string]bool{}
	for name := range env.Functions() {
		if identRE.MatchString(name) && !strings.HasPrefix(name, "_") {
			seen[name] = true
		}
	}
	for _, m := range env.Macros() {
		seen[m.Function()] = true
	}
	names := make([]string, 0, len(seen))
	for n := range seen {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
