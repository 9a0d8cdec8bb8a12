package graph

import (
	"math"
	"sort"
)

// The SVG drawing is laid out here, in Go, without Graphviz: a layered
// (Sugiyama-style) layout that knows about clusters.
//
//  1. Cycles are broken by turning loop edges (and any other edge that
//     closes a cycle in a depth-first walk from the trigger) around.
//  2. Each node gets a layer: the longest path from the trigger. The card
//     after a forEach goes below the loop's body, not beside it.
//  3. An edge that spans several layers gets a dummy node in each layer
//     between, so that it is routed around the cards in its way; the
//     first dummy of a labelled edge is as wide as the label, which sits
//     there.
//  4. Nodes, dummies and clusters are blocks in a tree (the clusters
//     nest). The blocks of one cluster have one order, first from a
//     depth-first walk that takes the plain edges first (so the path a
//     successful run takes is on the left and the error paths on the
//     right), then improved by a few barycentre sweeps, kept only when
//     they cross fewer edges.
//  5. Blocks are packed left to right in that order, a block next to the
//     blocks before it that share a layer with it, so that no two blocks
//     of a cluster overlap and a cluster's box holds its own cards and
//     nothing else. A few sweeps then move each block towards the node
//     it is aligned with (a card under the card before it), within the
//     room its neighbours leave.
//
// Sizes come from the text: a monospace font of fontSize pixels is about
// charW pixels a character.
const (
	fontSize        = 12
	charW           = 7.2
	lineH           = 16
	baseline        = 12 // from the top of a line to its baseline
	nodePadX        = 10
	nodePadY        = 8
	minNodeW        = 40
	nodeGap         = 24 // between two blocks in a layer
	laneGap         = 12 // between two dummies
	dummyW          = 8
	layerGap        = 44 // between two layers: room for an edge label
	clusterPadX     = 12
	clusterPadTop   = 24 // room for the cluster's label
	clusterPadBot   = 12
	labelPadX       = 4
	labelH          = 16
	margin          = 16
	orderSweeps     = 4
	alignSweeps     = 9 // odd: the last sweep goes down
	portSpreadWidth = 16
)

// box is a block of the layout: a node, a dummy of a long edge, a
// cluster, or the root.
type box struct {
	node    *Node
	cluster *Cluster
	dummy   bool
	parent  *box
	kids    []*box
	// top and bot are the layers the block spans (one layer for nodes
	// and dummies).
	top, bot int
	w, h     float64
	// x is the left edge relative to the parent's inner left edge (the
	// root's inner left edge is 0).
	x   float64
	ord float64
	// Absolute geometry, from place: left, top, and for clusters the
	// height.
	ax, ay float64
	// depthTop and depthBot count the clusters, this one included, that
	// start (end) on this cluster's first (last) layer and nest in it:
	// each takes a padding above (below) the layer.
	depthTop, depthBot int
	// label is the label of the edge whose first dummy this is.
	label string
	// alignUp and alignDown are the blocks this node or dummy is aligned
	// with, the one above and the one below.
	alignUp, alignDown *box
	ups, downs         []*box
	// index orders the node and dummy boxes, for ties.
	index int
}

func (b *box) isCluster() bool { return b.node == nil && !b.dummy }

func (b *box) cx() float64 { return b.ax + b.w/2 }

func (b *box) cy() float64 { return b.ay + b.h/2 }

// contains reports whether b is c or one of c's ancestors.
func (b *box) contains(c *box) bool {
	for ; c != nil; c = c.parent {
		if c == b {
			return true
		}
	}
	return false
}

// ledge is an edge of the layout.
type ledge struct {
	e     Edge
	index int
	// from and to are the edge's nodes as drawn; up and down the same in
	// layer order (swapped when the edge is reversed).
	from, to *box
	up, down *box
	reversed bool
	// chain is the dummies from up to down.
	chain []*box
	prio  int
	// Ports, set by route.
	upPort, downPort float64
}

// segment is one unit of a long edge: between two consecutive layers.
type segment struct {
	a, b *box // a above b
	prio int
	e    *ledge
}

// layout is a laid-out diagram.
type layout struct {
	root     *box
	nodes    []*box // the diagram's nodes, in drawing order
	clusters []*box // in drawing order (outer first)
	dummies  []*box
	edges    []*ledge
	segs     []segment
	// crossing lists, for each cluster, the segments with one end in it.
	crossing map[*box][]segment
	layers   int
	layerTop []float64
	layerH   []float64
	// freeTop is where the room below a layer starts that no cluster's
	// border or label takes: it is layerGap high.
	freeTop []float64
	width   float64
	height  float64
}

func layoutDiagram(d *Diagram) *layout {
	l := &layout{root: &box{}}
	byID := map[string]*box{}
	var build func(items []Item, parent *box)
	build = func(items []Item, parent *box) {
		for _, it := range items {
			switch {
			case it.Node != nil:
				if byID[it.Node.ID] != nil {
					continue
				}
				b := &box{node: it.Node, parent: parent, index: len(l.nodes)}
				b.w, b.h = nodeSize(it.Node)
				byID[it.Node.ID] = b
				l.nodes = append(l.nodes, b)
				parent.kids = append(parent.kids, b)
			case it.Cluster != nil:
				c := &box{cluster: it.Cluster, parent: parent}
				build(it.Cluster.Items, c)
				if len(c.kids) == 0 {
					continue
				}
				parent.kids = append(parent.kids, c)
			}
		}
	}
	if d != nil {
		build(d.Items, l.root)
		for i, e := range d.Edges {
			from, to := byID[e.From], byID[e.To]
			if from == nil || to == nil || from == to {
				continue
			}
			l.edges = append(l.edges, &ledge{e: e, index: i, from: from, to: to, prio: edgePriority(e)})
		}
	}
	var clusters func(b *box)
	clusters = func(b *box) {
		for _, k := range b.kids {
			if k.isCluster() {
				l.clusters = append(l.clusters, k)
				clusters(k)
			}
		}
	}
	clusters(l.root)
	if len(l.nodes) == 0 {
		l.width, l.height = 2*margin, 2*margin
		return l
	}
	l.breakCycles()
	l.assignLayers()
	l.addDummies()
	l.spans(l.root)
	l.initialOrder()
	l.reduceCrossings()
	l.align()
	l.place()
	return l
}

// edgePriority ranks the edges leaving a node: the plain next card first,
// then labelled branches, loops, and error paths last.
func edgePriority(e Edge) int {
	switch {
	case e.Style == EdgeError:
		return 3
	case e.Style == EdgeLoop:
		return 2
	case e.Label != "":
		return 1
	}
	return 0
}

// outEdges returns the edges leaving each node, by priority then in
// diagram order.
func (l *layout) outEdges() map[*box][]*ledge {
	out := map[*box][]*ledge{}
	for _, e := range l.edges {
		out[e.from] = append(out[e.from], e)
	}
	for _, es := range out {
		sort.SliceStable(es, func(i, j int) bool { return es[i].prio < es[j].prio })
	}
	return out
}

// breakCycles reverses loop edges, then every edge that closes a cycle in
// a depth-first walk from the nodes in drawing order.
func (l *layout) breakCycles() {
	for _, e := range l.edges {
		e.reversed = e.e.Style == EdgeLoop
	}
	out := l.outEdges()
	state := map[*box]int{}
	var visit func(b *box)
	visit = func(b *box) {
		state[b] = 1
		for _, e := range out[b] {
			if e.reversed {
				continue
			}
			switch state[e.to] {
			case 0:
				visit(e.to)
			case 1:
				e.reversed = true
			}
		}
		state[b] = 2
	}
	for _, b := range l.nodes {
		if state[b] == 0 {
			visit(b)
		}
	}
	for _, e := range l.edges {
		e.up, e.down = e.from, e.to
		if e.reversed {
			e.up, e.down = e.to, e.from
		}
	}
}

// assignLayers puts each node on the longest path from a source, over the
// edges as turned by breakCycles, and below the body of a loop for the
// nodes the loop leads on to; a node nothing leads to goes below the node
// drawn before it. The edges into a loop's body come after
// the edge out of the loop, so that the body is drawn beside the path
// the run goes on by, not across it.
func (l *layout) assignLayers() {
	type arc struct{ a, b *box }
	var arcs []arc
	for _, e := range l.edges {
		arcs = append(arcs, arc{e.up, e.down})
	}
	base := len(arcs)
	for _, loop := range l.edges {
		if loop.e.Style != EdgeLoop {
			continue
		}
		// The body: the outermost cluster around the loop's last card
		// that does not hold the forEach card.
		var body *box
		for c := loop.from.parent; c != nil && !c.contains(loop.to); c = c.parent {
			body = c
		}
		if body == nil {
			continue
		}
		for _, e := range l.edges {
			if e.from != loop.to || e.reversed {
				continue
			}
			if body.contains(e.to) {
				// The body hangs beside the path the run goes on by.
				e.prio = max(e.prio, 2)
			} else {
				arcs = append(arcs, arc{loop.from, e.to})
			}
		}
	}
	// A card nothing leads to (after a halt) goes below the node drawn
	// before it, not up beside the trigger.
	into := map[*box]bool{}
	for _, a := range arcs[:base] {
		into[a.b] = true
	}
	for i, b := range l.nodes {
		if i > 0 && !into[b] {
			arcs = append(arcs, arc{l.nodes[i-1], b})
		}
	}
	layer := func(arcs []arc) (map[*box]int, bool) {
		indeg := map[*box]int{}
		next := map[*box][]*box{}
		for _, a := range arcs {
			indeg[a.b]++
			next[a.a] = append(next[a.a], a.b)
		}
		lay := map[*box]int{}
		var queue []*box
		for _, b := range l.nodes {
			if indeg[b] == 0 {
				queue = append(queue, b)
			}
		}
		done := 0
		for len(queue) > 0 {
			b := queue[0]
			queue = queue[1:]
			done++
			for _, n := range next[b] {
				if lay[b]+1 > lay[n] {
					lay[n] = lay[b] + 1
				}
				if indeg[n]--; indeg[n] == 0 {
					queue = append(queue, n)
				}
			}
		}
		return lay, done == len(l.nodes)
	}
	lay, ok := layer(arcs)
	if !ok {
		lay, _ = layer(arcs[:base])
	}
	for _, b := range l.nodes {
		b.top, b.bot = lay[b], lay[b]
		if b.top+1 > l.layers {
			l.layers = b.top + 1
		}
	}
}

// lca returns the innermost cluster (or the root) holding both a and b.
func lca(a, b *box) *box {
	for c := a.parent; c != nil; c = c.parent {
		if c.contains(b) {
			return c
		}
	}
	return nil
}

// addDummies breaks every edge that spans more than one layer with a
// dummy in each layer between, in the innermost cluster holding both its
// ends, and lists the unit segments.
func (l *layout) addDummies() {
	for _, e := range l.edges {
		parent := lca(e.up, e.down)
		last := e.down.top - 1
		if e.reversed {
			// A reversed edge leaves its node on the side, to a dummy
			// beside it in its own layer, and goes up from there.
			last = e.down.top
		}
		for ly := e.up.top + 1; ly <= last; ly++ {
			d := &box{dummy: true, parent: parent, top: ly, bot: ly, w: dummyW, index: len(l.nodes) + len(l.dummies)}
			parent.kids = append(parent.kids, d)
			l.dummies = append(l.dummies, d)
			e.chain = append(e.chain, d)
		}
		if e.e.Label != "" && len(e.chain) > 0 {
			// The label sits on the dummy next to the edge's source.
			d := e.chain[0]
			if e.reversed {
				d = e.chain[len(e.chain)-1]
			}
			d.label = e.e.Label
			d.w = labelWidth(e.e.Label)
		}
		prev := e.up
		for _, d := range append(append([]*box{}, e.chain...), e.down) {
			if d.top == prev.top {
				break // the dummy beside a reversed edge's node
			}
			l.segs = append(l.segs, segment{a: prev, b: d, prio: e.prio, e: e})
			prev.downs = append(prev.downs, d)
			d.ups = append(d.ups, prev)
			prev = d
		}
	}
	// Aligned pairs: a node and the block above it when each is the
	// other's first choice.
	type choice struct {
		other *box
		s     segment
	}
	better := func(c choice, s segment) bool {
		return c.other == nil || s.prio < c.s.prio || (s.prio == c.s.prio && s.e.index < c.s.e.index)
	}
	firstDown, firstUp := map[*box]choice{}, map[*box]choice{}
	for _, s := range l.segs {
		if better(firstDown[s.a], s) {
			firstDown[s.a] = choice{s.b, s}
		}
		if better(firstUp[s.b], s) {
			firstUp[s.b] = choice{s.a, s}
		}
	}
	for _, b := range append(append([]*box{}, l.nodes...), l.dummies...) {
		if up := firstUp[b].other; up != nil && firstDown[up].other == b {
			b.alignUp, up.alignDown = up, b
		}
	}
}

// spans sets the layers each cluster spans and its nesting depths.
func (l *layout) spans(b *box) {
	if !b.isCluster() {
		return
	}
	b.top, b.bot = math.MaxInt, -1
	b.depthTop, b.depthBot = 0, 0
	for _, k := range b.kids {
		l.spans(k)
		b.top = min(b.top, k.top)
		b.bot = max(b.bot, k.bot)
	}
	for _, k := range b.kids {
		if k.isCluster() && k.top == b.top {
			b.depthTop = max(b.depthTop, k.depthTop)
		}
		if k.isCluster() && k.bot == b.bot {
			b.depthBot = max(b.depthBot, k.depthBot)
		}
	}
	if b != l.root {
		b.depthTop++
		b.depthBot++
	}
}

// initialOrder numbers the nodes and dummies in a depth-first walk from
// the nodes in drawing order, plain edges first; a cluster's number is
// its first member's.
func (l *layout) initialOrder() {
	out := l.outEdges()
	n := 0
	seen := map[*box]bool{}
	var visit func(b *box)
	visit = func(b *box) {
		seen[b] = true
		b.ord = float64(n)
		n++
		for _, e := range out[b] {
			chain := e.chain
			if e.reversed {
				chain = reversedBoxes(chain)
			}
			for _, d := range chain {
				if !seen[d] {
					seen[d] = true
					d.ord = float64(n)
					n++
				}
			}
			if !seen[e.to] {
				visit(e.to)
			}
		}
	}
	for _, b := range l.nodes {
		if !seen[b] {
			visit(b)
		}
	}
	for _, d := range l.dummies {
		if !seen[d] {
			d.ord = float64(n)
			n++
		}
	}
	l.sortKids(l.root)
}

func reversedBoxes(bs []*box) []*box {
	out := make([]*box, len(bs))
	for i, b := range bs {
		out[len(bs)-1-i] = b
	}
	return out
}

// sortKids gives clusters the order of their first member and sorts
// every cluster's blocks by order.
func (l *layout) sortKids(b *box) float64 {
	if !b.isCluster() {
		return b.ord
	}
	lo := math.Inf(1)
	for _, k := range b.kids {
		lo = math.Min(lo, l.sortKids(k))
	}
	sort.SliceStable(b.kids, func(i, j int) bool { return b.kids[i].ord < b.kids[j].ord })
	b.ord = lo
	return lo
}

// gap is the room between two blocks side by side.
func gap(a, b *box) float64 {
	if a.dummy && b.dummy && a.label == "" && b.label == "" {
		return laneGap
	}
	return nodeGap
}

// pack places the blocks of b left to right in their order, each as far
// left as the blocks before it in its layers allow, and sets b's width.
func (l *layout) pack(b *box) {
	if !b.isCluster() {
		return
	}
	type edge struct {
		right float64
		last  *box
	}
	sky := map[int]edge{}
	inner := 0.0
	for _, k := range b.kids {
		l.pack(k)
		left := 0.0
		for ly := k.top; ly <= k.bot; ly++ {
			if s, ok := sky[ly]; ok {
				left = math.Max(left, s.right+gap(s.last, k))
			}
		}
		k.x = left
		for ly := k.top; ly <= k.bot; ly++ {
			sky[ly] = edge{left + k.w, k}
		}
		inner = math.Max(inner, left+k.w)
	}
	if b != l.root {
		b.w = math.Max(inner, labelWidth(b.cluster.Label)) + 2*clusterPadX
	}
}

// absolute sets the absolute left edges of b's blocks.
func (l *layout) absolute(b *box, left float64) {
	for _, k := range b.kids {
		k.ax = left + k.x
		if k.isCluster() {
			l.absolute(k, k.ax+clusterPadX)
		}
	}
}

// crossings counts the pairs of segments between the same two layers that
// cross, with the blocks where they are now.
func (l *layout) crossings() int {
	byLayer := map[int][]segment{}
	for _, s := range l.segs {
		byLayer[s.a.top] = append(byLayer[s.a.top], s)
	}
	n := 0
	for _, ss := range byLayer {
		for i := range ss {
			for j := i + 1; j < len(ss); j++ {
				if (ss[i].a.cx()-ss[j].a.cx())*(ss[i].b.cx()-ss[j].b.cx()) < 0 {
					n++
				}
			}
		}
	}
	return n
}

// reduceCrossings packs the blocks, then tries a few barycentre sweeps:
// each cluster's blocks sorted by the mean position of the blocks they
// are joined to outside them. The order with the fewest crossings wins;
// on a tie, the earlier one.
func (l *layout) reduceCrossings() {
	var all []*box
	var collect func(b *box)
	collect = func(b *box) {
		for _, k := range b.kids {
			all = append(all, k)
			collect(k)
		}
	}
	collect(l.root)
	repack := func() int {
		l.pack(l.root)
		l.absolute(l.root, 0)
		return l.crossings()
	}
	snapshot := func() []float64 {
		s := make([]float64, len(all))
		for i, b := range all {
			s[i] = b.ord
		}
		return s
	}
	best := repack()
	bestOrd := snapshot()
	for sweep := 0; sweep < orderSweeps && best > 0; sweep++ {
		sum, cnt := map[*box]float64{}, map[*box]int{}
		for _, s := range l.segs {
			// Every block holding one end and not the other.
			for _, e := range [2][2]*box{{s.a, s.b}, {s.b, s.a}} {
				for k := e[0]; k != l.root && !k.contains(e[1]); k = k.parent {
					sum[k] += e[1].cx()
					cnt[k]++
				}
			}
		}
		bary := map[*box]float64{}
		for _, k := range all {
			if cnt[k] == 0 {
				bary[k] = k.cx()
			} else {
				bary[k] = sum[k] / float64(cnt[k])
			}
		}
		var resort func(b *box)
		resort = func(b *box) {
			sort.SliceStable(b.kids, func(i, j int) bool { return bary[b.kids[i]] < bary[b.kids[j]] })
			for i, k := range b.kids {
				k.ord = float64(i)
				if k.isCluster() {
					resort(k)
				}
			}
		}
		resort(l.root)
		if c := repack(); c < best {
			best, bestOrd = c, snapshot()
		}
	}
	for i, b := range all {
		b.ord = bestOrd[i]
	}
	var sortAll func(b *box)
	sortAll = func(b *box) {
		sort.SliceStable(b.kids, func(i, j int) bool { return b.kids[i].ord < b.kids[j].ord })
		for _, k := range b.kids {
			if k.isCluster() {
				sortAll(k)
			}
		}
	}
	sortAll(l.root)
	l.pack(l.root)
	l.absolute(l.root, 0)
}

func overlap(a, b *box) bool { return a.top <= b.bot && b.top <= a.bot }

// align moves each block, within the room its neighbours in the same
// cluster leave it, towards the block it is aligned with (or the median of
// the blocks it is joined to): down the layers, then up, a few times.
func (l *layout) align() {
	var all []*box
	var collect func(b *box, depth int)
	depth := map[*box]int{}
	collect = func(b *box, d int) {
		for _, k := range b.kids {
			all = append(all, k)
			depth[k] = d
			collect(k, d+1)
		}
	}
	collect(l.root, 0)
	l.crossing = map[*box][]segment{}
	for _, s := range l.segs {
		for _, e := range [2][2]*box{{s.a, s.b}, {s.b, s.a}} {
			for k := e[0].parent; k != l.root && !k.contains(e[1]); k = k.parent {
				l.crossing[k] = append(l.crossing[k], s)
			}
		}
	}
	for sweep := 0; sweep < alignSweeps; sweep++ {
		down := sweep%2 == 0
		order := append([]*box{}, all...)
		sort.SliceStable(order, func(i, j int) bool {
			a, b := order[i], order[j]
			ka, kb := a.top, b.top
			if !down {
				ka, kb = -a.bot, -b.bot
			}
			if ka != kb {
				return ka < kb
			}
			return depth[a] < depth[b]
		})
		for _, b := range order {
			delta, ok := l.wish(b, down)
			if !ok || delta == 0 {
				continue
			}
			lo, hi := l.room(b)
			nx := math.Max(lo, math.Min(hi, b.x+delta))
			if lo > hi || nx == b.x {
				continue
			}
			shift(b, nx-b.x)
		}
	}
}

// shift moves b and all it holds by dx.
func shift(b *box, dx float64) {
	b.x += dx
	var move func(b *box)
	move = func(b *box) {
		b.ax += dx
		for _, k := range b.kids {
			move(k)
		}
	}
	move(b)
}

// wish is how far b would like to move: to sit under (over) the block it
// is aligned with, else at the median of the blocks above (below) it.
func (l *layout) wish(b *box, down bool) (float64, bool) {
	if !b.isCluster() {
		if down {
			if b.alignUp != nil {
				return b.alignUp.cx() - b.cx(), true
			}
			if len(b.ups) > 0 {
				return median(b.ups) - b.cx(), true
			}
		} else {
			if b.alignDown != nil {
				return b.alignDown.cx() - b.cx(), true
			}
			if len(b.downs) > 0 {
				return median(b.downs) - b.cx(), true
			}
		}
		return 0, false
	}
	// A cluster moves by the mean offset of the segments that enter it
	// from above (leave it below), the first choices only if any is.
	var all, firsts []float64
	for _, s := range l.crossing[b] {
		var in, out *box
		switch {
		case down && b.contains(s.b):
			in, out = s.b, s.a
		case !down && b.contains(s.a):
			in, out = s.a, s.b
		default:
			continue
		}
		d := out.cx() - in.cx()
		all = append(all, d)
		if in.alignUp == out || in.alignDown == out {
			firsts = append(firsts, d)
		}
	}
	if len(firsts) > 0 {
		all = firsts
	}
	if len(all) == 0 {
		return 0, false
	}
	sum := 0.0
	for _, d := range all {
		sum += d
	}
	return sum / float64(len(all)), true
}

func median(bs []*box) float64 {
	xs := make([]float64, len(bs))
	for i, b := range bs {
		xs[i] = b.cx()
	}
	sort.Float64s(xs)
	n := len(xs)
	if n%2 == 1 {
		return xs[n/2]
	}
	return (xs[n/2-1] + xs[n/2]) / 2
}

// room is where b's left edge may go without touching the blocks of its
// cluster that share a layer with it, or leaving its cluster.
func (l *layout) room(b *box) (lo, hi float64) {
	p := b.parent
	lo, hi = math.Inf(-1), math.Inf(1)
	if p != l.root {
		lo, hi = 0, p.w-2*clusterPadX-b.w
	}
	for _, k := range p.kids {
		if k == b || !overlap(k, b) {
			continue
		}
		if k.x < b.x || (k.x == b.x && k.ord < b.ord) {
			lo = math.Max(lo, k.x+k.w+gap(k, b))
		} else {
			hi = math.Min(hi, k.x-gap(b, k)-b.w)
		}
	}
	return lo, hi
}

// place sets the final geometry: layer heights and tops, the blocks'
// absolute positions with the drawing's left edge at the margin, and the
// drawing's size.
func (l *layout) place() {
	l.layerH = make([]float64, l.layers)
	startDepth := make([]int, l.layers)
	endDepth := make([]int, l.layers)
	for _, b := range l.nodes {
		l.layerH[b.top] = math.Max(l.layerH[b.top], b.h)
	}
	for _, c := range l.clusters {
		startDepth[c.top] = max(startDepth[c.top], c.depthTop)
		endDepth[c.bot] = max(endDepth[c.bot], c.depthBot)
	}
	l.layerTop = make([]float64, l.layers)
	l.freeTop = make([]float64, l.layers)
	y := float64(margin)
	for ly := 0; ly < l.layers; ly++ {
		y += float64(startDepth[ly]) * clusterPadTop
		l.layerTop[ly] = y
		y += l.layerH[ly] + float64(endDepth[ly])*clusterPadBot
		l.freeTop[ly] = y
		y += layerGap
	}
	l.height = y - layerGap + margin

	minX := math.Inf(1)
	for _, k := range l.root.kids {
		minX = math.Min(minX, k.x)
	}
	l.absolute(l.root, margin-minX)
	for _, b := range l.nodes {
		b.ay = l.layerTop[b.top] + (l.layerH[b.top]-b.h)/2
	}
	for _, d := range l.dummies {
		d.ay, d.h = l.layerTop[d.top], l.layerH[d.top]
	}
	for _, c := range l.clusters {
		c.ay = l.layerTop[c.top] - float64(c.depthTop)*clusterPadTop
		c.h = l.layerTop[c.bot] + l.layerH[c.bot] + float64(c.depthBot)*clusterPadBot - c.ay
	}
	right := 0.0
	for _, k := range l.root.kids {
		right = math.Max(right, k.ax+k.w)
	}
	l.width = right + margin
}

// nodeSize is the width and height of a node's shape, from its text.
func nodeSize(n *Node) (w, h float64) {
	tw, th := textSize(n.Lines)
	w, h = tw+2*nodePadX, th+2*nodePadY
	switch n.Kind {
	case KindIf, KindSwitch, KindContinueIf:
		// A diamond around the text: its corners on the edges, at 60%
		// of the half width and 40% of the half height.
		w, h = (tw+12)/0.6, (th+8)/0.4
	case KindEnd:
		d := math.Max(tw, th) + 24
		w, h = d, d
	case KindForEach:
		w += 2 * hexInset(h)
	case KindAssign, KindTry:
		w += slant
	case KindCall, KindErrorFlow:
		w += 2 * subroutineBar
	case KindTrigger, KindReturn, KindFiltered, KindHalt, KindErrorReturn:
		w += h / 2
	}
	return math.Max(math.Ceil(w), minNodeW), math.Ceil(h)
}

// Shape details.
const (
	slant         = 12 // of a parallelogram or trapezoid
	subroutineBar = 8  // the inner bars of a subroutine box
	cornerRadius  = 6
)

func hexInset(h float64) float64 { return math.Min(h/2, 16) }

func textSize(lines []string) (w, h float64) {
	for _, s := range lines {
		w = math.Max(w, textWidth(s))
	}
	return w, float64(len(lines)) * lineH
}

// textWidth estimates the width of s in the monospace font: wide (East
// Asian, emoji) characters take two cells.
func textWidth(s string) float64 {
	n := 0
	for _, r := range s {
		n++
		if r >= 0x1100 && (r <= 0x115f || (r >= 0x2e80 && r <= 0xa4cf) || (r >= 0xac00 && r <= 0xd7a3) ||
			(r >= 0xf900 && r <= 0xfaff) || (r >= 0xfe30 && r <= 0xfe4f) || (r >= 0xff00 && r <= 0xff60) ||
			(r >= 0xffe0 && r <= 0xffe6) || (r >= 0x1f300 && r <= 0x1faff) || (r >= 0x20000 && r <= 0x3fffd)) {
			n++
		}
	}
	return float64(n) * charW
}

func labelWidth(s string) float64 { return math.Ceil(textWidth(s) + 2*labelPadX) }

// rect is a rectangle: left, top, width, height.
type rect struct{ x, y, w, h float64 }

// overlaps reports whether r and o share more than an edge.
func (r rect) overlaps(o rect) bool {
	const eps = 0.01
	return r.x+eps < o.x+o.w && o.x+eps < r.x+r.w && r.y+eps < o.y+o.h && o.y+eps < r.y+r.h
}
