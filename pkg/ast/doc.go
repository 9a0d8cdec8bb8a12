// Package ast is the syntax tree of jml's documents — kind: Flow and
// kind: Config — decoded from schema-valid YAML node trees. Every element
// keeps its source range so that later phases report errors at the YAML
// node they concern.
//
// The decoder assumes the document passed the JSON Schema (package schema)
// and does not repeat its structural checks, but it never panics on a
// document that did not: it decodes what it can.
//
// ast depends on diag and source only.
package ast
