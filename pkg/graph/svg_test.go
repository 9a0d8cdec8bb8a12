package graph

import (
	"bytes"
	"encoding/xml"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/jml-dev/jml/pkg/compile"
	"github.com/jml-dev/jml/pkg/project"
)

var update = flag.Bool("update", false, "rewrite golden files")

// checkGolden compares got with testdata/NAME (-update rewrites it).
func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("missing golden (run with -update): %v", err)
	}
	if !bytes.Equal(got, want) {
		w, g := strings.Split(string(want), "\n"), strings.Split(string(got), "\n")
		for i := 0; i < len(w) || i < len(g); i++ {
			if i >= len(w) || i >= len(g) || w[i] != g[i] {
				var a, b string
				if i < len(w) {
					a = w[i]
				}
				if i < len(g) {
					b = g[i]
				}
				t.Fatalf("output differs from %s at line %d (-update to accept):\nwant: %s\ngot:  %s", path, i+1, a, b)
			}
		}
	}
}

// kitchenSink is a flow with every card kind: if, switch, forEach,
// try/catch, a helper call, continueIf, assign, onError paths, halt.
var kitchenSink = flowSrc("f", `{event: user.lifecycle.deactivate, when: 'user != null'}`, `  - id: profile
    action: okta.getUser
    with: {userId: "${{ user.id }}"}
  - continueIf: steps.profile.output.status != "DEPROVISIONED"
  - switch: user.profile.department
    cases:
      Sales:
        - id: sales
          action: slack.postMessage
          with: {channel: "#sales", text: bye}
          onError: continue
      Engineering:
        - assign: {eng: true}
    default:
      - halt: "no department for ${{ user.id }}"
  - forEach: '["g1", "g2"]'
    as: groupId
    do:
      - if: groupId != "g2"
        then:
          - action: okta.removeUserFromGroup
            with: {userId: "${{ user.id }}", groupId: "${{ groupId }}"}
  - try:
      - id: suspend
        action: google.suspendUser
        with: {userKey: "${{ user.alternateId }}"}
        onError: {flow: alert}
    catch:
      - if: error.status == 404
        then:
          - assign: {noGoogle: true}
        else:
          - halt: "suspend failed: ${{ error.message }}"
  - id: ticket
    call: ticket
    with: {login: "${{ user.alternateId }}"}
`)

// loadRepo loads a repository of the project (flows/, examples/X).
func loadRepo(t *testing.T, dir string) *compile.Graph {
	t.Helper()
	root, _ := filepath.Abs("../..")
	proj, ds := project.Load(project.Options{Dir: filepath.Join(root, dir), WorkDir: root})
	if ds.HasErrors() || proj.Graph == nil {
		t.Fatalf("%s does not validate: %v", dir, ds)
	}
	return proj.Graph
}

// repos are the repositories whose every flow the SVG tests draw.
func repos(t *testing.T) []string {
	t.Helper()
	dirs := []string{"flows"}
	ex, err := filepath.Glob("../../examples/*/jml.yaml")
	if err != nil || len(ex) == 0 {
		t.Fatalf("no examples: %v", err)
	}
	for _, e := range ex {
		rel, _ := filepath.Rel("../..", filepath.Dir(e))
		dirs = append(dirs, rel)
	}
	return dirs
}

func svgOf(t *testing.T, g *compile.Graph, name string, expand bool, opts SVGOptions) (*Diagram, []byte) {
	t.Helper()
	d, err := Build(g, name, Options{Expand: expand})
	if err != nil {
		t.Fatal(err)
	}
	return d, d.SVG(opts)
}

func TestSVGGolden(t *testing.T) {
	lib := loadRepo(t, "flows")
	sink := compileFlows(t, helperFlow, handlerFlow, kitchenSink)
	tests := []struct {
		golden string
		g      *compile.Graph
		flow   string
		expand bool
		opts   SVGOptions
	}{
		{"svg/leaver.svg", lib, "leaver", false, SVGOptions{}},
		{"svg/joiner.svg", lib, "joiner", false, SVGOptions{}},
		{"svg/mover-expand.svg", lib, "mover", true, SVGOptions{}},
		{"svg/kitchen-sink.svg", sink, "f", false, SVGOptions{Title: "every card"}},
		{"svg/kitchen-sink-expand-fill.svg", sink, "f", true, SVGOptions{
			Fill: map[string]string{"profile": "ok", "sales": "warn", "suspend": "bad", "steps[1]": "ok", "c7": "none"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.golden, func(t *testing.T) {
			_, got := svgOf(t, tt.g, tt.flow, tt.expand, tt.opts)
			checkGolden(t, tt.golden, got)
		})
	}
}

// svgDoc is what the tests read back from a drawing.
type svgDoc struct {
	root  xml.StartElement
	nodes []svgNode // g.node and g.pseudo
	text  []string  // character data of text elements
	n     map[string]int
	attrs []xml.Attr
}

type svgNode struct {
	classes []string
	card    string
	node    string
}

func attr(e xml.StartElement, name string) (string, bool) {
	for _, a := range e.Attr {
		if a.Name.Local == name {
			return a.Value, true
		}
	}
	return "", false
}

func hasClass(classes []string, c string) bool {
	for _, x := range classes {
		if x == c {
			return true
		}
	}
	return false
}

// parseSVG reads a drawing with encoding/xml, failing the test when it is
// not well-formed XML.
func parseSVG(t *testing.T, data []byte) svgDoc {
	t.Helper()
	doc := svgDoc{n: map[string]int{}}
	dec := xml.NewDecoder(bytes.NewReader(data))
	dec.Strict = true
	depth, inText := 0, 0
	var line strings.Builder
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("not well-formed XML: %v\n%s", err, data)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			if depth == 0 {
				doc.root = tok.Copy()
			}
			depth++
			doc.n[tok.Name.Local]++
			doc.attrs = append(doc.attrs, tok.Attr...)
			if tok.Name.Local == "text" {
				inText++
			}
			if tok.Name.Local == "g" {
				class, _ := attr(tok, "class")
				cs := strings.Fields(class)
				if hasClass(cs, "node") || hasClass(cs, "pseudo") {
					card, _ := attr(tok, "data-card")
					id, _ := attr(tok, "data-node")
					doc.nodes = append(doc.nodes, svgNode{cs, card, id})
				}
			}
		case xml.EndElement:
			depth--
			if tok.Name.Local == "text" {
				inText--
				doc.text = append(doc.text, line.String())
				line.Reset()
			}
			if tok.Name.Local == "tspan" {
				line.WriteString("\n")
			}
		case xml.CharData:
			if inText > 0 {
				line.Write(tok)
			}
		}
	}
	if depth != 0 || doc.root.Name.Local != "svg" {
		t.Fatalf("root %q, depth %d", doc.root.Name.Local, depth)
	}
	return doc
}

// TestSVGFlows draws every flow of flows/ and examples/*/flows, expanded
// and not, and checks each drawing: well-formed XML with an svg root of
// class flow-graph, one g.node per card carrying its data-card, nothing a
// strict CSP blocks, the same bytes twice, and a layout where no node
// overlaps another, every cluster holds its own nodes and no other, and no
// edge label covers a node.
func TestSVGFlows(t *testing.T) {
	for _, dir := range repos(t) {
		g := loadRepo(t, dir)
		for _, name := range g.Names {
			for _, expand := range []bool{false, true} {
				t.Run(fmt.Sprintf("%s/%s/expand=%v", dir, name, expand), func(t *testing.T) {
					d, out := svgOf(t, g, name, expand, SVGOptions{})
					checkSVG(t, d, out)
					if expand {
						return
					}
					// Not expanded, the cards are exactly the compiled
					// flow's nodes.
					doc := parseSVG(t, out)
					want := map[string]bool{}
					for _, n := range g.Flows[name].Nodes {
						ref := n.StepID
						if ref == "" {
							ref = n.Path
						}
						want[ref] = true
					}
					cards := 0
					for _, n := range doc.nodes {
						if hasClass(n.classes, "node") {
							cards++
							if !want[n.card] {
								t.Errorf("g.node data-card=%q is no card of %s", n.card, name)
							}
						}
					}
					if cards != len(g.Flows[name].Nodes) || len(want) != cards {
						t.Errorf("%d g.node, %d cards", cards, len(g.Flows[name].Nodes))
					}
				})
			}
		}
	}
}

// checkSVG checks one drawing of d (see TestSVGFlows).
func checkSVG(t *testing.T, d *Diagram, out []byte) {
	t.Helper()
	doc := parseSVG(t, out)
	if c, _ := attr(doc.root, "class"); c != "flow-graph" {
		t.Errorf("root class %q", c)
	}
	for _, a := range []string{"viewBox", "role", "aria-label"} {
		if _, ok := attr(doc.root, a); !ok {
			t.Errorf("root has no %s", a)
		}
	}
	if doc.n["title"] != 1 {
		t.Errorf("%d title elements", doc.n["title"])
	}
	for _, bad := range []string{"script", "style", "foreignObject", "image", "a", "use"} {
		if doc.n[bad] > 0 {
			t.Errorf("drawing has a <%s>", bad)
		}
	}
	for _, a := range doc.attrs {
		name := strings.ToLower(a.Name.Local)
		switch {
		case name == "style" || name == "href" || name == "src" || strings.HasPrefix(name, "on"):
			t.Errorf("drawing has a %s attribute", a.Name.Local)
		case name == "xmlns" && a.Value != "http://www.w3.org/2000/svg":
			t.Errorf("xmlns %q", a.Value)
		case name != "xmlns" && strings.Contains(a.Value, ":") && !strings.HasPrefix(a.Value, "url(#"):
			if name != "aria-label" && name != "font-family" {
				t.Errorf("attribute %s=%q may refer outside the drawing", a.Name.Local, a.Value)
			}
		}
	}
	// One g.node per card, with its data-card; one g.pseudo per other
	// node; each node drawn once.
	seen := map[string]int{}
	for _, n := range doc.nodes {
		seen[n.node]++
	}
	cards := 0
	byID := map[string]*Node{}
	for _, n := range d.Nodes() {
		byID[n.ID] = n
		if seen[n.ID] != 1 {
			t.Errorf("node %s drawn %d times", n.ID, seen[n.ID])
		}
		if n.Path != "" {
			cards++
		}
	}
	refs := map[string]int{}
	for _, n := range doc.nodes {
		dn := byID[n.node]
		if dn == nil {
			t.Errorf("drawn node %q is not in the diagram", n.node)
			continue
		}
		isCard := hasClass(n.classes, "node")
		if isCard != (dn.Path != "") || !hasClass(n.classes, string(dn.Kind)) {
			t.Errorf("node %s drawn with classes %q", n.node, n.classes)
		}
		if isCard {
			refs[n.card]++
			if n.card == "" || n.card != dn.Card {
				t.Errorf("node %s: data-card %q, want %q", n.node, n.card, dn.Card)
			}
		}
	}
	for ref, k := range refs {
		if k != 1 {
			t.Errorf("%d g.node with data-card %q", k, ref)
		}
	}
	if len(refs) != cards {
		t.Errorf("%d cards, %d data-card values", cards, len(refs))
	}
	if again := d.SVG(SVGOptions{}); !bytes.Equal(again, d.SVG(SVGOptions{})) {
		t.Errorf("two drawings of the same diagram differ")
	}
	checkLayout(t, layoutDiagram(d))
}

func (r rect) holds(o rect) bool {
	return o.x >= r.x && o.y >= r.y && o.x+o.w <= r.x+r.w && o.y+o.h <= r.y+r.h
}

func boxRect(b *box) rect { return rect{b.ax, b.ay, b.w, b.h} }

// checkLayout: nodes do not overlap and sit in the drawing; a cluster
// holds its nodes and nested clusters, and no other node; clusters are
// nested or apart; edge labels cover no node.
func checkLayout(t *testing.T, l *layout) {
	t.Helper()
	page := rect{0, 0, l.width, l.height}
	for i, a := range l.nodes {
		ra := boxRect(a)
		if !page.holds(ra) || a.w <= 0 || a.h <= 0 || math.IsNaN(a.ax) {
			t.Errorf("node %s at %+v, outside the drawing %+v", a.node.ID, ra, page)
		}
		for _, b := range l.nodes[i+1:] {
			if ra.overlaps(boxRect(b)) {
				t.Errorf("nodes %s %+v and %s %+v overlap", a.node.ID, ra, b.node.ID, boxRect(b))
			}
		}
		for _, c := range l.clusters {
			rc := boxRect(c)
			if c.contains(a) != rc.holds(ra) || (!c.contains(a) && rc.overlaps(ra)) {
				t.Errorf("cluster %s %+v and node %s %+v (member: %v)", c.cluster.ID, rc, a.node.ID, ra, c.contains(a))
			}
		}
	}
	for i, a := range l.clusters {
		if !page.holds(boxRect(a)) {
			t.Errorf("cluster %s outside the drawing", a.cluster.ID)
		}
		for _, b := range l.clusters[i+1:] {
			ra, rb := boxRect(a), boxRect(b)
			switch {
			case a.contains(b):
				if !ra.holds(rb) {
					t.Errorf("cluster %s does not hold %s", a.cluster.ID, b.cluster.ID)
				}
			case b.contains(a):
				if !rb.holds(ra) {
					t.Errorf("cluster %s does not hold %s", b.cluster.ID, a.cluster.ID)
				}
			case ra.overlaps(rb):
				t.Errorf("clusters %s and %s overlap", a.cluster.ID, b.cluster.ID)
			}
		}
	}
	for _, r := range l.route() {
		if r.e.e.Label == "" {
			continue
		}
		w := labelWidth(r.e.e.Label)
		lr := rect{r.lx - w/2, r.ly - labelH/2, w, labelH}
		for _, n := range l.nodes {
			if lr.overlaps(boxRect(n)) {
				t.Errorf("label %q of %s -> %s covers node %s", r.e.e.Label, r.e.e.From, r.e.e.To, n.node.ID)
			}
		}
	}
}

// TestSVGRandomFlows draws flows made of random nestings of every card
// kind (a fixed seed: the same flows every run) and checks each drawing
// as TestSVGFlows does.
func TestSVGRandomFlows(t *testing.T) {
	r := rand.New(rand.NewPCG(16, 2024))
	for i := 0; i < 40; i++ {
		gen := &flowGen{r: r}
		steps := gen.list(0, "  ")
		src := flowSrc("f", deactivate, steps)
		g := compileFlows(t, helperFlow, handlerFlow, src)
		for _, expand := range []bool{false, true} {
			t.Run(fmt.Sprintf("%d/expand=%v", i, expand), func(t *testing.T) {
				d, out := svgOf(t, g, "f", expand, SVGOptions{})
				checkSVG(t, d, out)
				if t.Failed() {
					t.Logf("flow:\n%s", src)
				}
			})
		}
	}
}

// flowGen writes random, valid steps.
type flowGen struct {
	r  *rand.Rand
	id int
}

func (g *flowGen) list(depth int, indent string) string {
	var b strings.Builder
	n := 1 + g.r.IntN(4)
	for i := 0; i < n; i++ {
		b.WriteString(g.card(depth, indent, i == n-1))
	}
	return b.String()
}

func (g *flowGen) card(depth int, in string, last bool) string {
	g.id++
	id := fmt.Sprintf("s%d", g.id)
	k := g.r.IntN(10)
	if depth >= 3 && k >= 4 {
		k = g.r.IntN(4)
	}
	switch k {
	case 0:
		onError := []string{"", "\n" + in + "  onError: continue", "\n" + in + "  onError: halt", "\n" + in + "  onError: {flow: alert}"}[g.r.IntN(4)]
		return fmt.Sprintf("%s- id: %s\n%s  action: slack.postMessage\n%s  with: {channel: \"#x\", text: hi}%s\n", in, id, in, in, onError)
	case 1:
		return fmt.Sprintf("%s- action: okta.getUser\n%s  with: {userId: x}\n", in, in)
	case 2:
		return fmt.Sprintf("%s- assign: {%s: 1}\n", in, id)
	case 3:
		if last && g.r.IntN(2) == 0 {
			return fmt.Sprintf("%s- halt: stop %s\n", in, id)
		}
		return fmt.Sprintf("%s- id: %s\n%s  call: ticket\n%s  with: {login: x}\n", in, id, in, in)
	case 4:
		return fmt.Sprintf("%s- continueIf: user.id != \"%s\"\n", in, id)
	case 5, 6:
		s := fmt.Sprintf("%s- if: user.id == \"%s\"\n%s  then:\n%s", in, id, in, g.list(depth+1, in+"    "))
		if g.r.IntN(2) == 0 {
			s += fmt.Sprintf("%s  else:\n%s", in, g.list(depth+1, in+"    "))
		}
		return s
	case 7:
		s := fmt.Sprintf("%s- switch: user.id\n%s  cases:\n", in, in)
		for c := 0; c < 1+g.r.IntN(3); c++ {
			s += fmt.Sprintf("%s    v%d:\n%s", in, c, g.list(depth+1, in+"      "))
		}
		if g.r.IntN(2) == 0 {
			s += fmt.Sprintf("%s  default:\n%s", in, g.list(depth+1, in+"    "))
		}
		return s
	case 8:
		return fmt.Sprintf("%s- forEach: '[\"a\"]'\n%s  as: v%s\n%s  do:\n%s", in, in, id, in, g.list(depth+1, in+"    "))
	default:
		s := fmt.Sprintf("%s- try:\n%s", in, g.list(depth+1, in+"    "))
		if g.r.IntN(3) > 0 {
			s += fmt.Sprintf("%s  catch:\n%s", in, g.list(depth+1, in+"    "))
		}
		return s
	}
}

// TestSVGEscaping: text from a flow (a card's name, expressions, messages,
// switch values) and the title is escaped: it comes back as the same text
// through an XML parser and never as markup.
func TestSVGEscaping(t *testing.T) {
	hostile := `<script>alert("x&y")</script>`
	g := compileFlows(t, flowSrc("f", `{event: user.lifecycle.deactivate, when: 'user.id != "<b>&amp;"'}`, `  - name: '`+hostile+` it''s'
    action: slack.postMessage
    with: {channel: "#x", text: hi}
  - switch: user.profile.department
    cases:
      '"R&D" <i>': [{assign: {x: 1}}]
  - halt: "bad \"quote\" & 'apostrophe' <img src=x onerror=alert(1)>"
`))
	d, err := Build(g, "f", Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, opts := range []SVGOptions{{Title: hostile}, {Title: hostile, Standalone: true}} {
		out := d.SVG(opts)
		for _, raw := range []string{"<script", "<b>", "<i>", "<img", `"x&y"`, `"R&D"`} {
			if bytes.Contains(out, []byte(raw)) {
				t.Errorf("raw %q in the drawing", raw)
			}
		}
		doc := parseSVG(t, out)
		all := strings.Join(doc.text, "\n")
		for _, want := range []string{
			hostile + " it's",
			`when: user.id != "<b>&amp;"`,
			`"\"R&D\" <i>"`,
			`halt: bad "quote" & 'apostrophe' <img src=x`,
		} {
			if !strings.Contains(all, want) {
				t.Errorf("text %q not drawn as text; the drawing's text:\n%s", want, all)
			}
		}
		if label, _ := attr(doc.root, "aria-label"); label != hostile {
			t.Errorf("aria-label = %q", label)
		}
		if !opts.Standalone {
			checkSVG(t, d, out)
		}
	}
	// A character XML does not allow cannot break the drawing.
	d.Items[0].Node.Lines = append(d.Items[0].Node.Lines, "bell\x07 nul\x00 esc\x1b")
	parseSVG(t, d.SVG(SVGOptions{}))
}

// TestSVGFill: a card's fill is found by its step id, its node id or its
// path, another node's by its node id; only class characters are kept;
// nodes not in Fill get no fill class.
func TestSVGFill(t *testing.T) {
	g := compileFlows(t, flowSrc("f", deactivate, `  - id: a
    action: slack.postMessage
    with: {channel: "#x", text: hi}
  - action: slack.postMessage
    with: {channel: "#x", text: hi}
  - action: slack.postMessage
    with: {channel: "#x", text: hi}
  - id: d
    action: slack.postMessage
    with: {channel: "#x", text: hi}
`))
	d, err := Build(g, "f", Options{})
	if err != nil {
		t.Fatal(err)
	}
	out := d.SVG(SVGOptions{Fill: map[string]string{
		"a":        "ok",
		"c1":       "warn",
		"steps[2]": `bad" onload="alert(1)`,
		"trigger":  "ok",
		"done":     "bad",
	}})
	for _, want := range []string{
		`<g class="node write ok" data-card="a" data-node="c0_a">`,
		`<g class="node write warn" data-card="steps[1]" data-node="c1">`,
		`<g class="node write badonloadalert1" data-card="steps[2]" data-node="c2">`,
		`<g class="node write" data-card="d" data-node="c3_d">`,
		`<g class="pseudo trigger ok" data-node="trigger">`,
		`<g class="pseudo end bad" data-node="done">`,
	} {
		if !bytes.Contains(out, []byte(want)) {
			t.Errorf("drawing lacks %s\n%s", want, out)
		}
	}
}

// TestSVGStandalone: a standalone drawing is a file of its own, with its
// style sheet; the one for a page has no <style> (its CSS comes from the
// page, under the page's CSP).
func TestSVGStandalone(t *testing.T) {
	g := compileFlows(t, kitchenSink, helperFlow, handlerFlow)
	d, _ := Build(g, "f", Options{})
	page, file := d.SVG(SVGOptions{}), d.SVG(SVGOptions{Standalone: true})
	if bytes.Contains(page, []byte("<style")) || bytes.HasPrefix(page, []byte("<?xml")) {
		t.Error("the drawing for a page has a <style> or an XML declaration")
	}
	if !bytes.HasPrefix(file, []byte("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg ")) ||
		!bytes.Contains(file, []byte("<style>\n"+SVGStyle+"</style>")) {
		t.Error("the standalone drawing lacks its XML declaration or style sheet")
	}
	if !bytes.Equal(bytes.Replace(file[len("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"):], []byte("<style>\n"+SVGStyle+"</style>\n"), nil, 1), page) {
		t.Error("the standalone drawing differs from the page's by more than its declaration and style")
	}
	parseSVG(t, file)
}

// TestSVGEmpty: a diagram without nodes, or none at all, still draws.
func TestSVGEmpty(t *testing.T) {
	var nilDiagram *Diagram
	for _, d := range []*Diagram{nilDiagram, {Flow: "x"}} {
		doc := parseSVG(t, d.SVG(SVGOptions{}))
		if len(doc.nodes) != 0 {
			t.Errorf("nodes in an empty drawing")
		}
	}
}

// TestSVGDeterministic: the same flows, compiled in any order, draw the
// same bytes.
func TestSVGDeterministic(t *testing.T) {
	var first []byte
	for i, order := range [][]string{{helperFlow, handlerFlow, kitchenSink}, {kitchenSink, handlerFlow, helperFlow}} {
		for rep := 0; rep < 2; rep++ {
			g := compileFlows(t, order...)
			_, got := svgOf(t, g, "f", true, SVGOptions{Fill: map[string]string{"profile": "ok", "suspend": "bad"}})
			if i == 0 && rep == 0 {
				first = got
				continue
			}
			if !bytes.Equal(got, first) {
				t.Fatalf("order %d, repeat %d: the drawing differs", i, rep)
			}
		}
	}
}

var cssRule = regexp.MustCompile(`([^{}]+)\{([^{}]*)\}`)

// cssColours reads the fill and stroke each selector of a style sheet
// part sets.
func cssColours(css string) map[string]map[string]string {
	out := map[string]map[string]string{}
	for _, m := range cssRule.FindAllStringSubmatch(css, -1) {
		for _, sel := range strings.Split(m[1], ",") {
			sel = strings.TrimSpace(sel)
			if out[sel] == nil {
				out[sel] = map[string]string{}
			}
			for _, decl := range strings.Split(m[2], ";") {
				if k, v, ok := strings.Cut(decl, ":"); ok {
					out[sel][k] = v
				}
			}
		}
	}
	return out
}

// TestSVGStyle: the light colours of each kind are the Mermaid and dot
// drawings' colours; dark mode and the fills have rules; the sheet can
// sit in a <style> element as is.
func TestSVGStyle(t *testing.T) {
	if strings.ContainsAny(SVGStyle, "<&") {
		t.Fatal("SVGStyle holds < or &")
	}
	light, dark, ok := strings.Cut(SVGStyle, "@media (prefers-color-scheme: dark){")
	if !ok {
		t.Fatal("SVGStyle has no dark mode")
	}
	lc, dc := cssColours(light), cssColours(dark)
	for kind, st := range styles {
		col := colours[st.class]
		shape := lc[".flow-graph ."+string(kind)+" .shape"]
		if shape["fill"] != col[0] || shape["stroke"] != col[1] {
			t.Errorf("%s: fill %q stroke %q, want %s %s (as in Mermaid and dot)", kind, shape["fill"], shape["stroke"], col[0], col[1])
		}
		text := lc[".flow-graph ."+string(kind)+" .label"]["fill"]
		if text == "" {
			text = lc[".flow-graph text"]["fill"]
		}
		if text != col[2] {
			t.Errorf("%s: text %q, want %s", kind, text, col[2])
		}
		if d := dc[".flow-graph ."+string(kind)+" .shape"]; d["fill"] == "" || d["stroke"] == "" {
			t.Errorf("%s: no dark colours", kind)
		}
	}
	for _, fill := range []string{"ok", "warn", "bad", "none"} {
		for part, c := range map[string]map[string]map[string]string{"light": lc, "dark": dc} {
			for _, sel := range []string{".flow-graph .node." + fill + " .shape", ".flow-graph .pseudo." + fill + " .shape"} {
				if c[sel]["fill"] == "" {
					t.Errorf("%s: no %s fill", sel, part)
				}
			}
		}
	}
}

// TestSVGUnreachable: a card nothing leads to (after a try whose both
// blocks halt) is drawn below the cards before it, not beside the trigger.
func TestSVGUnreachable(t *testing.T) {
	g := compileFlows(t, flowSrc("f", deactivate, `  - try:
      - halt: a
    catch:
      - halt: b
  - assign: {x: 1}
  - halt: c
`))
	d, err := Build(g, "f", Options{})
	if err != nil {
		t.Fatal(err)
	}
	checkSVG(t, d, d.SVG(SVGOptions{}))
	l := layoutDiagram(d)
	at := map[string]*box{}
	for _, b := range l.nodes {
		at[b.node.ID] = b
	}
	for _, before := range []string{"trigger", "c0", "c1", "c2"} {
		if at["c3"].ay < at[before].ay+at[before].h {
			t.Errorf("c3 (y %v) is not below %s (y %v)", at["c3"].ay, before, at[before].ay)
		}
	}
	if at["c4"].ay < at["c3"].ay+at["c3"].h {
		t.Errorf("c4 is not below c3")
	}
}
