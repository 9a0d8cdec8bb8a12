package expr

import (
	"fmt"
	"strings"
)

// Part is one piece of a template: literal text, or an expression.
type Part struct {
	Lit  string
	Expr string
	// IsExpr tells an expression part from a literal one.
	IsExpr bool
	// Offset is the byte offset of Expr (or Lit) in the template string.
	Offset int
}

// TemplateError is a malformed ${{ }} template.
type TemplateError struct {
	Offset int
	Msg    string
}

func (e *TemplateError) Error() string { return fmt.Sprintf("offset %d: %s", e.Offset, e.Msg) }

// HasTemplate reports whether s holds a ${{ marker.
func HasTemplate(s string) bool { return strings.Contains(s, "${{") }

// ParseTemplate splits s into literal and ${{ EXPR }} parts. The closing }}
// is found outside CEL string literals and balanced braces, so map literals
// and strings containing "}}" work. An expression part's Expr is trimmed of
// surrounding blanks, and Offset points at its first non-blank byte.
func ParseTemplate(s string) ([]Part, error) {
	var parts []Part
	pos := 0
	for {
		i := strings.Index(s[pos:], "${{")
		if i < 0 {
			if pos < len(s) {
				parts = append(parts, Part{Lit: s[pos:], Offset: pos})
			}
			return parts, nil
		}
		start := pos + i
		if start > pos {
			parts = append(parts, Part{Lit: s[pos:start], Offset: pos})
		}
		body := start + 3
		end, err := closing(s, body)
		if err != nil {
			return nil, err
		}
		raw := s[body:end]
		trimmed := strings.TrimLeft(raw, " \t\n\r")
		off := body + len(raw) - len(trimmed)
		trimmed = strings.TrimRight(trimmed, " \t\n\r")
		if trimmed == "" {
			return nil, &TemplateError{Offset: start, Msg: "empty ${{ }} expression"}
		}
		parts = append(parts, Part{Expr: trimmed, IsExpr: true, Offset: off})
		pos = end + 2
	}
}

// closing returns the index of the "}}" that ends the expression starting
// at from.
func closing(s string, from int) (int, error) {
	depth := 0
	for i := from; i < len(s); i++ {
		switch c := s[i]; c {
		case '"', '\'':
			// Skip a CEL string literal: '…', "…", triple-quoted, and raw
			// (r"…", where a backslash escapes nothing).
			q := s[i : i+1]
			if strings.HasPrefix(s[i:], strings.Repeat(q, 3)) {
				q = strings.Repeat(q, 3)
			}
			raw := i > from && (s[i-1] == 'r' || s[i-1] == 'R')
			j := i + len(q)
			for j < len(s) && !strings.HasPrefix(s[j:], q) {
				if s[j] == '\\' && !raw {
					j++
				}
				j++
			}
			if j >= len(s) {
				return 0, &TemplateError{Offset: i, Msg: "unterminated string literal in ${{ }}"}
			}
			i = j + len(q) - 1
		case '{':
			depth++
		case '}':
			if depth == 0 {
				if i+1 < len(s) && s[i+1] == '}' {
					return i, nil
				}
				return 0, &TemplateError{Offset: i, Msg: "unbalanced '}' in ${{ }}"}
			}
			depth--
		}
	}
	return 0, &TemplateError{Offset: from - 3, Msg: "unterminated ${{: missing closing }}"}
}

// Single reports whether the parts are exactly one expression, in which
// case the template takes the expression's type instead of being text.
func Single(parts []Part) bool { return len(parts) == 1 && parts[0].IsExpr }
