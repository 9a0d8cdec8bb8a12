// Package expr is jml's expression language: CEL (cel.dev/cel-go) with the
// flow scope of SPEC §4 declared, and the ${{ EXPR }} templates that embed
// CEL in YAML strings. It compiles and type-checks expressions, reports
// problems with byte offsets inside the expression source, extracts the
// steps./vars./inputs. references the compiler checks, and evaluates
// compiled programs with a cost limit.
//
// expr depends on no other jml package.
package expr
