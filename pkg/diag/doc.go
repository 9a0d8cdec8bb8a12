// Package diag is the one diagnostics type of jml: a severity, a check id, a
// message and a source range (file, line, column). Every pipeline phase
// returns Diagnostics beside its value; the driver stops between phases when
// there are errors, and the CLI renders them as text, JSON or GitHub
// workflow commands.
//
// diag is the bottom of the dependency graph: it must not import any other
// jml package.
package diag
