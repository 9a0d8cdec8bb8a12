package event

import "fmt"

// DecodeError is bad input in an event source: malformed JSON, invalid
// UTF-8, or a value that is not a valid LogEvent. Line and Column are
// 1-based (Column counts characters, not bytes); 0 means unknown, e.g. an
// NDJSON event that is valid JSON but lacks a uuid has a line and no
// column.
type DecodeError struct {
	File   string
	Line   int
	Column int
	Msg    string
}

// Error renders the error as "file:line:col: msg", leaving out the column
// (and the line) when it is not known.
func (e *DecodeError) Error() string {
	file := e.File
	if file == "" {
		file = "<input>"
	}
	switch {
	case e.Line <= 0:
		return fmt.Sprintf("%s: %s", file, e.Msg)
	case e.Column <= 0:
		return fmt.Sprintf("%s:%d: %s", file, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s:%d:%d: %s", file, e.Line, e.Column, e.Msg)
}
