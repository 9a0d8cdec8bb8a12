// Package flows is jml's flow library as files: the YAML flows of this
// directory, its jml.yaml and README.md, embedded so that `jml init` can
// copy them into a new repository. The directory is the single source: the
// library is edited here, validated here by CI (`jml validate flows`) and
// compiled into the binary from here, so the scaffold can never be stale.
//
// It depends on nothing but the standard library.
package flows

import "embed"

// FS holds the library: every *.yaml file of this directory (the flows and
// jml.yaml) and README.md, at the root of the file system.
//
//go:embed *.yaml README.md
var FS embed.FS
