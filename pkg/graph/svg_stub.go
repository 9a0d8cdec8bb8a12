package graph

// TEMPORARY (issue #16): a stand-in for the SVG renderer being written on
// the svg branch, so that pkg/webui compiles before it lands. Delete this
// file when merging the svg branch.

// SVGOptions change an SVG drawing.
type SVGOptions struct {
	// Fill maps a card (a node ID or a step id) to a CSS class.
	Fill  map[string]string
	Title string
}

// SVG draws the diagram as a self-contained <svg> element.
func (d *Diagram) SVG(opts SVGOptions) []byte {
	return []byte(`<svg class="flow-graph"></svg>`)
}
