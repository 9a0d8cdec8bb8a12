package graph

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jml-dev/jml/pkg/ast"
	"github.com/jml-dev/jml/pkg/catalog"
	"github.com/jml-dev/jml/pkg/compile"
	"github.com/jml-dev/jml/pkg/diag"
)

// Kind says what a diagram node stands for; each renderer maps it to a
// shape and a colour (see docs/graph.md).
type Kind string

// The node kinds.
const (
	// KindTrigger is the flow's trigger: event types and when:, a
	// schedule, a helper's inputs or an http path.
	KindTrigger Kind = "trigger"
	// KindRead is an action card that only reads.
	KindRead Kind = "read"
	// KindWrite is an action card that changes state in an app.
	KindWrite Kind = "write"
	// KindDeprovision is a write that takes access away from a user.
	KindDeprovision Kind = "deprovision"
	// KindCall is a call: card (a helper flow).
	KindCall Kind = "call"
	// KindIf is an if: card; its edges are then and else.
	KindIf Kind = "if"
	// KindSwitch is a switch: card; its edges are the case values and
	// default.
	KindSwitch Kind = "switch"
	// KindForEach is a forEach: card; its edges are each (into the
	// body), next (back from the body) and done.
	KindForEach Kind = "forEach"
	// KindAssign is an assign: card.
	KindAssign Kind = "assign"
	// KindTry is a try: card; its edges are try and on error (to catch).
	KindTry Kind = "try"
	// KindContinueIf is a continueIf: card; false ends the run quietly.
	KindContinueIf Kind = "continueIf"
	// KindReturn is a return: card: the end of a helper flow.
	KindReturn Kind = "return"
	// KindHalt is a halt: card, or the halt after a failure: the run
	// stops as halted.
	KindHalt Kind = "halt"
	// KindFiltered is where a false continueIf ends the run (filtered).
	KindFiltered Kind = "filtered"
	// KindErrorFlow is the error-handler flow of an onError: {flow: X}.
	KindErrorFlow Kind = "errorFlow"
	// KindErrorReturn is where onError: return hands the error to the
	// helper's caller.
	KindErrorReturn Kind = "errorReturn"
	// KindEnd is the end of the steps: the run succeeds.
	KindEnd Kind = "end"
)

// Node is one box of the drawing.
type Node struct {
	// ID is a safe identifier ([A-Za-z0-9_], starting with a letter)
	// in both Mermaid and dot.
	ID   string
	Kind Kind
	// Lines is the label, one entry per line, unescaped.
	Lines []string
	// Path is the card's path in its flow (steps[2].try[0]); empty for
	// the trigger and the synthetic end, halt and error nodes.
	Path string
	// Card names the card as a run's trace does: its step id, else its
	// path; a card of a helper inlined by Expand is named by its trace
	// path, the call chain then its own path
	// (steps[3]/department-groups/steps[0]). Empty when Path is: the
	// node is not a card.
	Card string
}

// EdgeStyle says how an edge is drawn.
type EdgeStyle int

// The edge styles.
const (
	// EdgeNormal is the path a successful run takes.
	EdgeNormal EdgeStyle = iota
	// EdgeError is an on-error path: dotted and red.
	EdgeError
	// EdgeLoop goes back from a forEach body to its forEach card.
	EdgeLoop
)

// Edge is one arrow.
type Edge struct {
	From, To string
	// Label is the unescaped edge label ("then", "on error"); may be
	// empty.
	Label string
	Style EdgeStyle
}

// Cluster is a box around cards: a try or catch list, a forEach body,
// an inlined helper flow.
type Cluster struct {
	ID    string
	Label string
	Items []Item
}

// Item is a Node or a Cluster, in drawing order.
type Item struct {
	Node    *Node
	Cluster *Cluster
}

// Diagram is one flow, ready to render.
type Diagram struct {
	// Flow is the name of the flow drawn.
	Flow  string
	Items []Item
	Edges []Edge
}

// Nodes returns every node of the diagram, clusters included, in drawing
// order.
func (d *Diagram) Nodes() []*Node {
	var out []*Node
	var walk func([]Item)
	walk = func(items []Item) {
		for _, it := range items {
			if it.Node != nil {
				out = append(out, it.Node)
			} else {
				walk(it.Cluster.Items)
			}
		}
	}
	walk(d.Items)
	return out
}

// Clusters returns every cluster of the diagram, nested ones included, in
// drawing order.
func (d *Diagram) Clusters() []*Cluster {
	var out []*Cluster
	var walk func([]Item)
	walk = func(items []Item) {
		for _, it := range items {
			if it.Cluster != nil {
				out = append(out, it.Cluster)
				walk(it.Cluster.Items)
			}
		}
	}
	walk(d.Items)
	return out
}

// Options change what is drawn.
type Options struct {
	// Expand draws the cards of every called helper flow inside the
	// call, instead of one call box.
	Expand bool
}

// MaxExpandDepth bounds how deep Expand inlines helpers that call helpers.
const MaxExpandDepth = compile.MaxCallDepth

// wrapWidth is where long expressions and messages are wrapped.
const wrapWidth = 44

// maxText caps an expression or message shown in a label, in runes.
const maxText = 160

// Build draws the flow called name of a compiled repository.
func Build(g *compile.Graph, name string, opts Options) (*Diagram, error) {
	if g == nil {
		return nil, fmt.Errorf("no compiled flows")
	}
	f := g.Flows[name]
	if f == nil {
		return nil, fmt.Errorf("no flow %q", name)
	}
	b := &builder{g: g, opts: opts, d: &Diagram{Flow: name}}
	top := &b.d.Items
	b.node(top, &Node{ID: "trigger", Kind: KindTrigger, Lines: triggerLines(f)})
	fc := &flowCtx{f: f, stack: []string{f.Name}}
	done := target{id: "done"}
	b.edge("trigger", b.entry(fc, f.Entry, done), EdgeNormal)
	b.list(fc, f.Entry, done, nil, top)
	for _, e := range b.d.Edges {
		if e.To == "done" {
			b.node(top, &Node{ID: "done", Kind: KindEnd, Lines: []string{"end"}})
			break
		}
	}
	return b.d, nil
}

type builder struct {
	g    *compile.Graph
	opts Options
	d    *Diagram
}

// flowCtx is one flow being drawn: the flow itself or a helper inlined by
// Expand.
type flowCtx struct {
	f *compile.Flow
	// prefix makes the ids of an inlined helper unique.
	prefix string
	// trace is the path prefix a run's trace gives an inlined helper's
	// cards: the call's path and the helper's name; empty at the top.
	trace string
	// ret is where a return card goes in an inlined helper; nil at the
	// top, where return ends the drawing.
	ret *target
	// stack holds the flows being drawn, outermost first.
	stack []string
}

// target is where control goes next, with the label and style of the
// edge that gets there.
type target struct {
	id    string
	label string
	style EdgeStyle
}

func (b *builder) node(items *[]Item, n *Node) {
	*items = append(*items, Item{Node: n})
}

func (b *builder) edge(from string, to target, style EdgeStyle) {
	if to.style != EdgeNormal && style == EdgeNormal {
		style = to.style
	}
	b.d.Edges = append(b.d.Edges, Edge{From: from, To: to.id, Label: to.label, Style: style})
}

// labelled returns t with another label.
func (t target) labelled(l string) target {
	t.label = l
	return t
}

func (b *builder) id(fc *flowCtx, i int) string {
	n := fc.f.Nodes[i]
	id := fc.prefix + "c" + strconv.Itoa(n.Index)
	if s := safeID(n.StepID); s != "" {
		id += "_" + s
	}
	return id
}

// entry is where control goes to run the list starting at first: its
// first card, or cont when the list is empty.
func (b *builder) entry(fc *flowCtx, first int, cont target) target {
	if first == compile.None {
		return cont
	}
	return target{id: b.id(fc, first)}
}

// list draws the cards of a list into items. cont is where control goes
// after the last card; catch, when not nil, is where a failure goes (the
// list is inside a try).
func (b *builder) list(fc *flowCtx, first int, cont target, catch *target, items *[]Item) {
	for i := first; i != compile.None; i = fc.f.Nodes[i].Next {
		n := fc.f.Nodes[i]
		next := cont
		if n.Next != compile.None {
			next = target{id: b.id(fc, n.Next)}
		}
		b.card(fc, n, next, catch, items)
	}
}

func (b *builder) card(fc *flowCtx, n *compile.Node, next target, catch *target, items *[]Item) {
	id := b.id(fc, n.Index)
	card := n.Card
	nd := &Node{ID: id, Path: n.Path, Card: n.StepID}
	if nd.Card == "" || fc.trace != "" {
		nd.Card = fc.trace + n.Path
	}
	if card.Name != "" {
		nd.Lines = append(nd.Lines, wrap(card.Name)...)
	}
	switch n.Kind {
	case ast.CardAction:
		nd.Kind = actionKind(n)
		nd.Lines = append(nd.Lines, card.Action.Value)
		nd.Lines = append(nd.Lines, idLine(n, string(nd.Kind)))
		nd.Lines = append(nd.Lines, policyLines(n)...)
		b.node(items, nd)
		b.edge(id, next, EdgeNormal)
		b.onError(n, id, next, catch, items)
	case ast.CardCall:
		nd.Kind = KindCall
		nd.Lines = append(nd.Lines, "call: "+card.Call.Value)
		if n.StepID != "" {
			nd.Lines = append(nd.Lines, "id: "+n.StepID)
		}
		nd.Lines = append(nd.Lines, policyLines(n)...)
		b.node(items, nd)
		if h := b.g.Flows[n.Callee]; b.opts.Expand && h != nil && b.canExpand(fc, h.Name) {
			cl := &Cluster{ID: id + "_helper", Label: "helper: " + h.Name}
			inner := &flowCtx{f: h, prefix: id + "__", trace: fc.trace + n.Path + "/" + h.Name + "/", ret: &target{id: next.id, label: "return"},
				stack: append(append([]string{}, fc.stack...), h.Name)}
			exit := next.labelled("return")
			b.edge(id, b.entry(inner, h.Entry, exit), EdgeNormal)
			b.list(inner, h.Entry, exit, nil, &cl.Items)
			*items = append(*items, Item{Cluster: cl})
		} else {
			b.edge(id, next, EdgeNormal)
		}
		b.onError(n, id, next, catch, items)
	case ast.CardIf:
		nd.Kind = KindIf
		nd.Lines = append(nd.Lines, exprLines("if ", card.Cond)...)
		b.node(items, nd)
		b.edge(id, b.entry(fc, n.Then, next).labelled("then"), EdgeNormal)
		b.edge(id, b.entry(fc, n.Else, next).labelled("else"), EdgeNormal)
		b.list(fc, n.Then, next, catch, items)
		b.list(fc, n.Else, next, catch, items)
	case ast.CardSwitch:
		nd.Kind = KindSwitch
		nd.Lines = append(nd.Lines, exprLines("switch ", card.Cond)...)
		b.node(items, nd)
		for _, cs := range n.Cases {
			b.edge(id, b.entry(fc, cs.Entry, next).labelled(strconv.Quote(cs.Value)), EdgeNormal)
		}
		b.edge(id, b.entry(fc, n.Default, next).labelled("default"), EdgeNormal)
		for _, cs := range n.Cases {
			b.list(fc, cs.Entry, next, catch, items)
		}
		b.list(fc, n.Default, next, catch, items)
	case ast.CardForEach:
		nd.Kind = KindForEach
		nd.Lines = append(nd.Lines, exprLines("forEach ", card.Cond)...)
		as := n.As
		if as == "" {
			as = card.As.Value
		}
		if as == "" {
			as = "item"
		}
		l := "as " + as
		if n.Concurrency > 1 {
			l += ", concurrency " + strconv.Itoa(n.Concurrency)
		}
		nd.Lines = append(nd.Lines, l)
		b.node(items, nd)
		if n.Body != compile.None {
			cl := &Cluster{ID: id + "_do", Label: "for each " + as}
			b.edge(id, b.entry(fc, n.Body, next).labelled("each "+as), EdgeNormal)
			b.list(fc, n.Body, target{id: id, label: "next", style: EdgeLoop}, catch, &cl.Items)
			*items = append(*items, Item{Cluster: cl})
		}
		b.edge(id, next.labelled("done"), EdgeNormal)
	case ast.CardAssign:
		nd.Kind = KindAssign
		nd.Lines = append(nd.Lines, "assign")
		for _, v := range card.Assign {
			nd.Lines = append(nd.Lines, wrap(v.Name.Value+" = "+text(v.Expr.Src))...)
		}
		b.node(items, nd)
		b.edge(id, next, EdgeNormal)
	case ast.CardTry:
		nd.Kind = KindTry
		nd.Lines = append(nd.Lines, "try")
		b.node(items, nd)
		handler := b.entry(fc, n.Catch, next).labelled("on error")
		if n.Try != compile.None {
			cl := &Cluster{ID: id + "_try", Label: "try"}
			b.edge(id, b.entry(fc, n.Try, next), EdgeNormal)
			b.list(fc, n.Try, next, &handler, &cl.Items)
			*items = append(*items, Item{Cluster: cl})
		} else {
			b.edge(id, next, EdgeNormal)
		}
		b.edge(id, handler, EdgeError)
		if n.Catch != compile.None {
			cl := &Cluster{ID: id + "_catch", Label: "catch"}
			b.list(fc, n.Catch, next, catch, &cl.Items)
			*items = append(*items, Item{Cluster: cl})
		}
	case ast.CardContinueIf:
		nd.Kind = KindContinueIf
		nd.Lines = append(nd.Lines, exprLines("continueIf ", card.Cond)...)
		b.node(items, nd)
		b.edge(id, next.labelled("true"), EdgeNormal)
		b.node(items, &Node{ID: id + "_stop", Kind: KindFiltered, Lines: []string{"stop: filtered"}})
		b.edge(id, target{id: id + "_stop", label: "false"}, EdgeNormal)
	case ast.CardReturn:
		nd.Kind = KindReturn
		nd.Lines = append(nd.Lines, valueLines("return", card.Return)...)
		b.node(items, nd)
		if fc.ret != nil {
			b.edge(id, *fc.ret, EdgeNormal)
		}
	case ast.CardHalt:
		nd.Kind = KindHalt
		nd.Lines = append(nd.Lines, valueLines("halt", card.Halt)...)
		b.node(items, nd)
	default:
		nd.Kind = KindAssign
		nd.Lines = append(nd.Lines, string(n.Kind))
		b.node(items, nd)
		b.edge(id, next, EdgeNormal)
	}
}

// canExpand reports whether helper may be inlined: not already being drawn
// (a call cycle, which validate reports) and not too deep.
func (b *builder) canExpand(fc *flowCtx, helper string) bool {
	if len(fc.stack) > MaxExpandDepth {
		return false
	}
	for _, s := range fc.stack {
		if s == helper {
			return false
		}
	}
	return true
}

// onError draws the on-error path of an action or call card. The default
// (halt, not written) is not drawn: a failure halts the run, or inside
// a try goes to catch, which the try card's own edge shows.
func (b *builder) onError(n *compile.Node, id string, next target, catch *target, items *[]Item) {
	switch n.OnError {
	case ast.OnErrorContinue:
		b.edge(id, target{id: next.id, label: "on error: continue"}, EdgeError)
	case ast.OnErrorReturn:
		eid := id + "_onerror"
		b.node(items, &Node{ID: eid, Kind: KindErrorReturn, Lines: []string{"return the error", "to the caller"}})
		b.edge(id, target{id: eid, label: "on error"}, EdgeError)
	case ast.OnErrorFlow:
		eid := id + "_onerror"
		b.node(items, &Node{ID: eid, Kind: KindErrorFlow, Lines: []string{"error handler", "flow: " + n.ErrorFlow}})
		b.edge(id, target{id: eid, label: "on error"}, EdgeError)
		if catch != nil {
			// The run halts as failed after the handler: inside a try,
			// that failure is caught.
			b.edge(eid, catch.labelled("then catch"), EdgeError)
			return
		}
		hid := id + "_halt"
		b.node(items, &Node{ID: hid, Kind: KindHalt, Lines: []string{"halt"}})
		b.edge(eid, target{id: hid, label: "then"}, EdgeError)
	default:
		if explicit(n.Card.OnError) && catch == nil {
			hid := id + "_halt"
			b.node(items, &Node{ID: hid, Kind: KindHalt, Lines: []string{"halt"}})
			b.edge(id, target{id: hid, label: "on error"}, EdgeError)
		}
	}
}

func actionKind(n *compile.Node) Kind {
	a := n.Action
	if a == nil {
		return KindWrite // unknown action: assume the worst
	}
	if a.Deprovision {
		return KindDeprovision
	}
	eff := a.Effect
	if len(a.ReadMethods) > 0 {
		eff = catalog.Write
		if v, ok := n.With.Get("method"); ok && v != nil && v.Parts == nil {
			if s, ok := v.Scalar.(string); ok {
				eff = a.EffectFor(strings.ToUpper(s))
			}
		}
	}
	if eff == catalog.Read {
		return KindRead
	}
	return KindWrite
}

func idLine(n *compile.Node, effect string) string {
	if n.StepID == "" {
		return effect
	}
	return "id: " + n.StepID + " · " + effect
}

// policyLines are the retry and timeout lines of an action or call card.
func policyLines(n *compile.Node) []string {
	var out []string
	if r := n.Retry; r.Attempts > 1 {
		l := fmt.Sprintf("retry: %d attempts, every %s", r.Attempts, dur(r.Interval))
		if r.Backoff > 1 {
			l += " x" + strconv.FormatFloat(r.Backoff, 'g', -1, 64)
		}
		if r.MaxInterval > 0 {
			l += ", max " + dur(r.MaxInterval)
		}
		if r.Jitter > 0 {
			l += ", jitter " + dur(r.Jitter)
		}
		out = append(out, l)
	}
	if n.Timeout > 0 {
		out = append(out, "timeout: "+dur(n.Timeout))
	}
	return out
}

// dur prints a duration without trailing zero units: 1m, not 1m0s.
func dur(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

func triggerLines(f *compile.Flow) []string {
	lines := []string{f.Name}
	t := f.AST.Trigger
	switch t.Kind {
	case ast.TriggerEvent:
		for _, e := range t.Events {
			lines = append(lines, "event: "+e.Value)
		}
		if t.When != nil && t.When.Src != "" {
			lines = append(lines, wrap("when: "+text(t.When.Src))...)
		}
	case ast.TriggerSchedule:
		l := "schedule: " + t.Cron.Value
		if t.Timezone.Value != "" {
			l += " (" + t.Timezone.Value + ")"
		}
		lines = append(lines, l)
	case ast.TriggerHelper:
		l := "helper flow"
		if len(f.AST.Inputs) > 0 {
			var names []string
			for _, p := range f.AST.Inputs {
				names = append(names, p.Name.Value)
			}
			l += ", inputs: " + strings.Join(names, ", ")
		}
		lines = append(lines, wrap(l)...)
	case ast.TriggerHTTP:
		lines = append(lines, "http: "+t.Path.Value)
	default:
		lines = append(lines, "trigger: "+string(t.Kind))
	}
	if !f.Enabled {
		lines = append(lines, "enabled: false (never runs)")
	}
	return lines
}

// exprLines is a keyword and an expression, wrapped.
func exprLines(keyword string, e *ast.Expr) []string {
	src := ""
	if e != nil {
		src = e.Src
	}
	return wrap(keyword + text(src))
}

// valueLines shows a return: or halt: value: a message, or the output
// names.
func valueLines(keyword string, v *ast.Value) []string {
	if v == nil {
		return []string{keyword}
	}
	switch v.Kind {
	case ast.Map:
		var keys []string
		for _, e := range v.Map {
			keys = append(keys, e.Key.Value)
		}
		if len(keys) == 0 {
			return []string{keyword}
		}
		return wrap(keyword + " " + strings.Join(keys, ", "))
	case ast.Null:
		return []string{keyword}
	default:
		return wrap(keyword + ": " + text(fmt.Sprint(v.Scalar)))
	}
}

// text collapses the white space of YAML block scalars and caps the
// length.
func text(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > maxText {
		s = string(r[:maxText-1]) + "…"
	}
	return s
}

// wrap breaks s into lines of about wrapWidth runes at spaces, never
// inside a ${{ }} template.
func wrap(s string) []string {
	var lines []string
	var cur []string
	n := 0
	for _, w := range words(s) {
		l := len([]rune(w))
		if n > 0 && n+1+l > wrapWidth {
			lines = append(lines, strings.Join(cur, " "))
			cur, n = nil, 0
		}
		if n > 0 {
			n++
		}
		cur = append(cur, w)
		n += l
	}
	if len(cur) > 0 || len(lines) == 0 {
		lines = append(lines, strings.Join(cur, " "))
	}
	return lines
}

// words splits s at spaces, keeping each ${{ … }} in one word.
func words(s string) []string {
	var out []string
	open := false
	for _, f := range strings.Fields(s) {
		if open {
			out[len(out)-1] += " " + f
		} else {
			out = append(out, f)
		}
		if i := strings.LastIndex(f, "${{"); i >= 0 && !strings.Contains(f[i:], "}}") {
			open = true
		} else if open && strings.Contains(f, "}}") {
			open = false
		}
	}
	return out
}

// safeID keeps the letters, digits and single underscores of s: ids are
// identifiers in Mermaid and dot, and __ separates inlined helpers.
func safeID(s string) string {
	var b strings.Builder
	under := true
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
			b.WriteRune(r)
			under = false
		default:
			if !under {
				b.WriteByte('_')
				under = true
			}
		}
	}
	return strings.TrimSuffix(b.String(), "_")
}

// explicit reports whether the card wrote onError itself.
func explicit(oe ast.OnError) bool { return oe.Range != (diag.Range{}) }
