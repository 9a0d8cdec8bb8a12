// Package graph draws a compiled flow (compile.Flow) as a picture a
// reviewer can look at instead of reading YAML: the trigger, every card
// with its shape, the branches, loops, try/catch blocks, helper calls and
// on-error paths as labelled edges. It builds one Diagram (nodes, edges,
// clusters) and renders it as Mermaid (GitHub renders a ```mermaid block
// in issues and pull requests), as Graphviz dot, or as an SVG image laid
// out here (layout.go: a layered layout that knows clusters; svg.go), for
// `jml graph --format svg` and the flow pages of the web view, styled by
// SVGStyle. Output is deterministic: the same flow always gives the same
// bytes, so drawings can be golden files and diffs.
//
// graph depends on compile, ast and catalog; it knows nothing of files on
// disk, terminals or the CLI.
package graph
