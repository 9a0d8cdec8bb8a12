// Package source reads jml's YAML documents (flows, tests, worlds, jml.yaml)
// into yaml.v3 node trees with positions, enforcing what yaml.v3's node API
// does not: a size limit, valid UTF-8, one mapping document per file, no
// duplicate keys, and a bound on alias expansion. It also turns a node tree
// into plain JSON-like values (for the JSON Schema validator), maps a JSON
// pointer back to the YAML node it came from, and finds the literal secrets
// written in a document (FindSecrets: the one place jml recognises a
// credential, for flows and worlds alike).
//
// source depends only on diag.
package source
