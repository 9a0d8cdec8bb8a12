package graph

import (
	"encoding/xml"
	"math"
	"sort"
	"strconv"
	"strings"
)

// SVGOptions change how SVG draws a diagram.
type SVGOptions struct {
	// Fill colours cards: a key is a card's reference (Node.Card: its
	// step id, else its path), its node id or, for a card of the flow
	// itself (not of a helper inlined by Expand), its path; the value is a
	// CSS class added to the card's node, such as "ok", "warn", "bad"
	// or "none", which SVGStyle colours. The other nodes (the trigger,
	// end) are found by their node id. Only letters, digits, - and _ are
	// kept of a class.
	Fill map[string]string
	// Title is the drawing's accessible name (its <title> and
	// aria-label); empty: "Card graph of flow NAME".
	Title string
	// Standalone makes a file of its own: an XML declaration first, and
	// SVGStyle in a <style> element. A web page that shows the drawing
	// under a strict Content-Security-Policy leaves it false and serves
	// SVGStyle in its own style sheet.
	Standalone bool
}

// SVG draws the diagram as an SVG image, laid out here without Graphviz
// or JavaScript, and deterministic: the same diagram and options give the
// same bytes.
//
// The image has no script, no style attribute and no external reference;
// with Standalone false, no <style> either: it is styled by classes, which
// SVGStyle colours. The root is <svg class="flow-graph" role="img">. A
// card is <g class="node KIND FILL" data-card="REF" data-node="ID">, one
// per card, where KIND is its Kind, FILL its class from Fill and REF its
// Node.Card; the trigger, end and the synthetic halt, stop and on-error
// nodes are <g class="pseudo KIND FILL" data-node="ID">. Each has a .shape and
// a text.label. Edges are <path class="edge"> (with "error" for on-error
// paths, "loop" for a forEach's next) with an arrowhead, their labels
// <g class="edge-label">; clusters <g class="cluster">.
func (d *Diagram) SVG(opts SVGOptions) []byte {
	l := layoutDiagram(d)
	var b strings.Builder
	flow := ""
	if d != nil {
		flow = d.Flow
	}
	title := opts.Title
	if title == "" {
		title = "Card graph of flow " + flow
	}
	if opts.Standalone {
		b.WriteString("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n")
	}
	emit := func(format string, args ...string) {
		b.WriteString(sprintf(format, args...))
	}
	emit(`<svg xmlns="http://www.w3.org/2000/svg" class="flow-graph" viewBox="0 0 % %" width="%" height="%" role="img" aria-label="%" font-family="%" font-size="%">`+"\n",
		num(l.width), num(l.height), num(l.width), num(l.height), esc(title), svgFont, strconv.Itoa(fontSize))
	emit("<title>%</title>\n", esc(title))
	if opts.Standalone {
		b.WriteString("<style>\n" + SVGStyle + "</style>\n")
	}
	b.WriteString(`<defs>
<marker id="jml-arrow" viewBox="0 0 10 10" refX="10" refY="5" markerUnits="userSpaceOnUse" markerWidth="9" markerHeight="9" orient="auto"><path class="arrowhead" d="M0,0L10,5L0,10z"/></marker>
<marker id="jml-arrow-error" viewBox="0 0 10 10" refX="10" refY="5" markerUnits="userSpaceOnUse" markerWidth="9" markerHeight="9" orient="auto"><path class="arrowhead error" d="M0,0L10,5L0,10z"/></marker>
</defs>
`)

	b.WriteString("<g class=\"clusters\">\n")
	for _, c := range l.clusters {
		emit(`<g class="cluster" data-cluster="%"><rect class="shape" x="%" y="%" width="%" height="%" rx="8" fill="none"/>`,
			esc(c.cluster.ID), num(c.ax), num(c.ay), num(c.w), num(c.h))
		emit(`<text class="label" x="%" y="%">%</text></g>`+"\n",
			num(c.ax+clusterPadX), num(c.ay+(clusterPadTop-lineH)/2+baseline), esc(c.cluster.Label))
	}
	b.WriteString("</g>\n")

	routes := l.route()
	b.WriteString("<g class=\"edges\">\n")
	for _, r := range routes {
		class, marker := "edge", "jml-arrow"
		switch r.e.e.Style {
		case EdgeError:
			class, marker = "edge error", "jml-arrow-error"
		case EdgeLoop:
			class = "edge loop"
		}
		emit(`<path class="%" d="%" fill="none" marker-end="url(#%)" data-from="%" data-to="%"/>`+"\n",
			class, r.d, marker, esc(r.e.e.From), esc(r.e.e.To))
	}
	b.WriteString("</g>\n")

	b.WriteString("<g class=\"nodes\">\n")
	for _, n := range l.nodes {
		writeNode(&b, n, opts.Fill)
	}
	b.WriteString("</g>\n")

	b.WriteString("<g class=\"edge-labels\">\n")
	for _, r := range routes {
		if r.e.e.Label == "" {
			continue
		}
		class := "edge-label"
		if r.e.e.Style == EdgeError {
			class += " error"
		}
		w := labelWidth(r.e.e.Label)
		emit(`<g class="%"><rect x="%" y="%" width="%" height="%" rx="3"/><text class="label" x="%" y="%" text-anchor="middle">%</text></g>`+"\n",
			class, num(r.lx-w/2), num(r.ly-labelH/2), num(w), num(labelH), num(r.lx), num(r.ly-labelH/2+baseline), esc(r.e.e.Label))
	}
	b.WriteString("</g>\n")
	b.WriteString("</svg>\n")
	return []byte(b.String())
}

// svgFont is the font the layout measures text for.
const svgFont = `ui-monospace, SFMono-Regular, Menlo, Consolas, 'Liberation Mono', monospace`

// sprintf replaces each % of format with the next argument: the SVG's
// numbers are formatted by num and its text escaped by esc beforehand.
func sprintf(format string, args ...string) string {
	var b strings.Builder
	i := 0
	for _, r := range format {
		if r == '%' && i < len(args) {
			b.WriteString(args[i])
			i++
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// num formats a coordinate with at most one decimal.
func num(f float64) string {
	f = math.Round(f*10) / 10
	if f == 0 {
		f = 0 // no -0
	}
	return strconv.FormatFloat(f, 'f', -1, 64)
}

// esc escapes text for XML character data and attribute values; a
// character XML does not allow becomes U+FFFD.
func esc(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

// classToken keeps the letters, digits, - and _ of a CSS class.
func classToken(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' {
			return r
		}
		return -1
	}, s)
}

func writeNode(b *strings.Builder, bx *box, fill map[string]string) {
	n := bx.node
	kind := classToken(string(n.Kind))
	keys := []string{n.ID}
	if n.Path != "" {
		keys = []string{n.Card, n.ID}
		if !strings.Contains(n.Card, "/") {
			// A path is the flow's own only when the card is not
			// inlined from a helper.
			keys = append(keys, n.Path)
		}
	}
	f := ""
	for _, k := range keys {
		if v, ok := fill[k]; ok && k != "" {
			f = classToken(v)
			break
		}
	}
	class := "node " + kind
	if n.Path == "" {
		class = "pseudo " + kind
	}
	if f != "" {
		class += " " + f
	}
	if n.Path != "" {
		b.WriteString(sprintf(`<g class="%" data-card="%" data-node="%">`, class, esc(n.Card), esc(n.ID)))
	} else {
		b.WriteString(sprintf(`<g class="%" data-node="%">`, class, esc(n.ID)))
	}
	b.WriteString(shape(bx))
	cx, cy := bx.cx(), bx.cy()
	top := cy - float64(len(n.Lines))*lineH/2
	b.WriteString(sprintf(`<text class="label" x="%" y="%" text-anchor="middle">`, num(cx), num(top+baseline)))
	if len(n.Lines) == 1 {
		b.WriteString(esc(n.Lines[0]))
	} else {
		for i, line := range n.Lines {
			b.WriteString(sprintf(`<tspan x="%" y="%">%</tspan>`, num(cx), num(top+float64(i)*lineH+baseline), esc(line)))
		}
	}
	b.WriteString("</text></g>\n")
}

// shape draws a node's outline in the visual vocabulary of the Mermaid drawing:
// stadiums for the trigger and terminals, rounded boxes for reads, boxes
// for writes, subroutines for calls, diamonds for decisions, a hexagon
// for forEach, a parallelogram for assign, a trapezoid for try, a double
// circle for the end.
func shape(bx *box) string {
	x, y, w, h := bx.ax, bx.ay, bx.w, bx.h
	rect := func(rx float64) string {
		s := sprintf(`<rect class="shape" x="%" y="%" width="%" height="%"`, num(x), num(y), num(w), num(h))
		if rx > 0 {
			s += ` rx="` + num(rx) + `"`
		}
		return s + "/>"
	}
	poly := func(pts ...float64) string {
		var ps []string
		for i := 0; i+1 < len(pts); i += 2 {
			ps = append(ps, num(pts[i])+","+num(pts[i+1]))
		}
		return `<polygon class="shape" points="` + strings.Join(ps, " ") + `"/>`
	}
	switch bx.node.Kind {
	case KindRead:
		return rect(cornerRadius)
	case KindTrigger, KindReturn, KindFiltered, KindHalt, KindErrorReturn:
		return rect(h / 2)
	case KindCall, KindErrorFlow:
		return sprintf(`<path class="shape" d="M%,%h%v%h%zM%,%v%M%,%v%"/>`,
			num(x), num(y), num(w), num(h), num(-w),
			num(x+subroutineBar), num(y), num(h), num(x+w-subroutineBar), num(y), num(h))
	case KindIf, KindSwitch, KindContinueIf:
		return poly(x+w/2, y, x+w, y+h/2, x+w/2, y+h, x, y+h/2)
	case KindForEach:
		s := hexInset(h)
		return poly(x+s, y, x+w-s, y, x+w, y+h/2, x+w-s, y+h, x+s, y+h, x, y+h/2)
	case KindAssign:
		return poly(x+slant, y, x+w, y, x+w-slant, y+h, x, y+h)
	case KindTry:
		return poly(x+slant, y, x+w-slant, y, x+w, y+h, x, y+h)
	case KindEnd:
		r := w / 2
		return sprintf(`<circle class="shape" cx="%" cy="%" r="%"/><circle class="shape" cx="%" cy="%" r="%"/>`,
			num(x+r), num(y+r), num(r), num(x+r), num(y+r), num(r-4))
	}
	return rect(0)
}

// route is an edge as drawn: its path and where its label goes.
type route struct {
	e      *ledge
	d      string
	lx, ly float64
	// first is the edge's first curve, where its label goes unless a
	// dummy carries it.
	first      [4][2]float64
	onDummy    bool
	firstLayer int
}

// pt is a point of an edge with the direction the edge goes there.
type pt struct{ x, y, dx, dy float64 }

// route draws every edge: from the bottom of the upper node, down through
// its dummies, into the top of the lower one; a reversed edge (a loop
// going back up) leaves its node on the right and comes back into the
// right of its target. Edges leaving (entering) a node side by side are
// spread along its bottom (top), ordered by where they go (come from).
func (l *layout) route() []route {
	type port struct {
		e     *ledge
		other float64
	}
	downs, ups := map[*box][]port{}, map[*box][]port{}
	for _, e := range l.edges {
		if e.reversed {
			continue
		}
		first, last := e.down, e.up
		if len(e.chain) > 0 {
			first, last = e.chain[0], e.chain[len(e.chain)-1]
		}
		downs[e.up] = append(downs[e.up], port{e, first.cx()})
		ups[e.down] = append(ups[e.down], port{e, last.cx()})
	}
	offsets := func(ports map[*box][]port, set func(*ledge, float64)) {
		for b, ps := range ports {
			sort.SliceStable(ps, func(i, j int) bool {
				if ps[i].other != ps[j].other {
					return ps[i].other < ps[j].other
				}
				return ps[i].e.index < ps[j].e.index
			})
			k := len(ps)
			span := math.Min(b.w*0.6, float64(k-1)*portSpreadWidth)
			for i, p := range ps {
				off := 0.0
				if k > 1 {
					off = -span/2 + float64(i)*span/float64(k-1)
				}
				set(p.e, off)
			}
		}
	}
	offsets(downs, func(e *ledge, off float64) { e.upPort = off })
	offsets(ups, func(e *ledge, off float64) { e.downPort = off })

	var out []route
	for _, e := range l.edges {
		var pts []pt
		if !e.reversed {
			pts = append(pts, pt{e.up.cx() + e.upPort, boundaryY(e.up, e.upPort, true), 0, 1})
			for _, d := range e.chain {
				pts = append(pts, pt{d.cx(), d.ay, 0, 1}, pt{d.cx(), d.ay + d.h, 0, 1})
			}
			pts = append(pts, pt{e.down.cx() + e.downPort, boundaryY(e.down, e.downPort, false), 0, 1})
		} else {
			// Up from the side of e.from that faces its lane, into the
			// bottom of e.to when the lane is under it, else its side.
			chain := reversedBoxes(e.chain)
			first, last := chain[0], chain[len(chain)-1]
			pts = append(pts, sidePoint(e.from, first.cx()))
			for i, d := range chain {
				bottom := d.ay + d.h
				if i == 0 {
					bottom = d.cy() - 12 // beside e.from
				}
				pts = append(pts, pt{d.cx(), bottom, 0, -1}, pt{d.cx(), d.ay, 0, -1})
			}
			if dx := last.cx() - e.to.cx(); math.Abs(dx) < e.to.w/2-minNodeW/4 {
				pts = append(pts, pt{last.cx(), boundaryY(e.to, dx, true), 0, -1})
			} else {
				end := sidePoint(e.to, last.cx())
				end.dx = -end.dx
				pts = append(pts, end)
			}
		}
		r := route{e: e}
		var p strings.Builder
		p.WriteString("M" + num(pts[0].x) + "," + num(pts[0].y))
		for i := 1; i < len(pts); i++ {
			a, c := pts[i-1], pts[i]
			if i%2 == 0 && len(e.chain) > 0 && i < len(pts)-1 {
				// Through a dummy's layer: straight.
				p.WriteString("L" + num(c.x) + "," + num(c.y))
				continue
			}
			c1, c2 := controls(a, c)
			p.WriteString("C" + num(c1[0]) + "," + num(c1[1]) + " " + num(c2[0]) + "," + num(c2[1]) + " " + num(c.x) + "," + num(c.y))
			if i == 1 {
				r.first = [4][2]float64{{a.x, a.y}, c1, c2, {c.x, c.y}}
			}
		}
		r.firstLayer = e.up.top
		for _, d := range e.chain {
			if d.label != "" {
				r.lx, r.ly, r.onDummy = d.cx(), d.cy(), true
			}
		}
		r.d = p.String()
		out = append(out, r)
	}
	l.placeLabels(out)
	return out
}

// placeLabels puts the labels no dummy carries on the first curve of
// their edge, in the room below the upper layer that no cluster border
// takes: in its middle, or a little above or below when that is where
// another label already is.
func (l *layout) placeLabels(routes []route) {
	var placed []rect
	spot := func(r *route) rect {
		w := labelWidth(r.e.e.Label)
		return rect{r.lx - w/2, r.ly - labelH/2, w, labelH}
	}
	for i := range routes {
		if r := &routes[i]; r.e.e.Label != "" && r.onDummy {
			placed = append(placed, spot(r))
		}
	}
	for i := range routes {
		r := &routes[i]
		if r.e.e.Label == "" || r.onDummy {
			continue
		}
		mid := l.freeTop[r.firstLayer] + layerGap/2
		var first rect
		for k, dy := range []float64{0, (layerGap - labelH) / 2, -(layerGap - labelH) / 2} {
			r.lx, r.ly = labelSpot(r.first, mid+dy)
			s := spot(r)
			if k == 0 {
				first = s
			}
			free := true
			for _, p := range placed {
				if s.overlaps(rect{p.x - labelPadX, p.y, p.w + 2*labelPadX, p.h}) {
					free = false
					break
				}
			}
			if free {
				first = s
				break
			}
		}
		r.lx, r.ly = first.x+first.w/2, first.y+labelH/2
		placed = append(placed, first)
	}
}

// controls are the control points of the curve from a to c, leaving a and
// reaching c in their directions.
func controls(a, c pt) (c1, c2 [2]float64) {
	switch {
	case a.dx != 0 && c.dy != 0:
		// A turn from across to up or down: round the corner.
		return [2]float64{c.x, a.y}, [2]float64{c.x, a.y}
	case a.dy != 0 && c.dx != 0:
		return [2]float64{a.x, c.y}, [2]float64{a.x, c.y}
	}
	k := math.Abs(c.y-a.y) / 2
	return [2]float64{a.x + a.dx*k, a.y + a.dy*k}, [2]float64{c.x - c.dx*k, c.y - c.dy*k}
}

// boundaryY is where the vertical line dx from the middle of b meets its
// outline: at the bottom, or the top.
func boundaryY(b *box, dx float64, bottom bool) float64 {
	half := b.h / 2
	switch b.node.Kind {
	case KindIf, KindSwitch, KindContinueIf:
		half *= math.Max(0, 1-math.Abs(dx)/(b.w/2))
	case KindEnd:
		r := b.w / 2
		half = math.Sqrt(math.Max(0, r*r-dx*dx))
	case KindTrigger, KindReturn, KindFiltered, KindHalt, KindErrorReturn:
		r := b.h / 2
		if flat := b.w/2 - r; math.Abs(dx) > flat {
			e := math.Abs(dx) - flat
			half = math.Sqrt(math.Max(0, r*r-e*e))
		}
	}
	if bottom {
		return b.cy() + half
	}
	return b.cy() - half
}

// sidePoint is the end of b's outline at its middle height on the side of
// x, heading towards x.
func sidePoint(b *box, x float64) pt {
	in := 0.0
	switch b.node.Kind {
	case KindAssign, KindTry:
		in = slant / 2
	}
	if x < b.cx() {
		return pt{b.ax + in, b.cy(), -1, 0}
	}
	return pt{b.ax + b.w - in, b.cy(), 1, 0}
}

// labelSpot is the point of the curve c (going down) at height y, or
// its middle when y is outside it.
func labelSpot(c [4][2]float64, y float64) (float64, float64) {
	bez := func(t float64) (float64, float64) {
		u := 1 - t
		return u*u*u*c[0][0] + 3*u*u*t*c[1][0] + 3*u*t*t*c[2][0] + t*t*t*c[3][0],
			u*u*u*c[0][1] + 3*u*u*t*c[1][1] + 3*u*t*t*c[2][1] + t*t*t*c[3][1]
	}
	if y-labelH/2 < c[0][1] || y+labelH/2 > c[3][1] {
		return bez(0.5)
	}
	lo, hi := 0.0, 1.0
	for i := 0; i < 30; i++ {
		mid := (lo + hi) / 2
		if _, yy := bez(mid); yy < y {
			lo = mid
		} else {
			hi = mid
		}
	}
	return bez((lo + hi) / 2)
}
