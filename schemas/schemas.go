// Package schemas holds jml's JSON Schemas (draft 2020-12). They are
// published in this folder for editors (yaml-language-server modelines point
// here) and embedded into the binary from here, so there is one copy.
package schemas

import "embed"

// FS holds every *.schema.json file of this folder.
//
//go:embed *.schema.json
var FS embed.FS

// Names lists the schema names `jml schema` accepts.
func Names() []string { return []string{"flow", "config", "world", "test"} }

// Read returns the schema named name ("flow", "config", "world", "test").
func Read(name string) ([]byte, error) { return FS.ReadFile(name + ".schema.json") }
