package graph

import (
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
)

// style is how a node kind looks: a class name, colours and a shape per
// renderer.
type style struct {
	class string
	// mermaid shape: the text before and after the quoted label.
	open, close string
	// dot shape and style.
	shape, dotStyle string
	extra           string
}

var styles = map[Kind]style{
	KindTrigger:     {class: "jmlTrigger", open: "([", close: "])", shape: "box", dotStyle: "rounded,filled"},
	KindRead:        {class: "jmlRead", open: "(", close: ")", shape: "box", dotStyle: "rounded,filled"},
	KindWrite:       {class: "jmlWrite", open: "[", close: "]", shape: "box", dotStyle: "filled"},
	KindDeprovision: {class: "jmlDeprovision", open: "[", close: "]", shape: "box", dotStyle: "filled", extra: "penwidth=2"},
	KindCall:        {class: "jmlCall", open: "[[", close: "]]", shape: "box", dotStyle: "filled", extra: "peripheries=2"},
	KindIf:          {class: "jmlLogic", open: "{", close: "}", shape: "diamond", dotStyle: "filled"},
	KindSwitch:      {class: "jmlLogic", open: "{", close: "}", shape: "diamond", dotStyle: "filled"},
	KindContinueIf:  {class: "jmlLogic", open: "{", close: "}", shape: "diamond", dotStyle: "filled"},
	KindForEach:     {class: "jmlLogic", open: "{{", close: "}}", shape: "hexagon", dotStyle: "filled"},
	KindAssign:      {class: "jmlLogic", open: "[/", close: "/]", shape: "parallelogram", dotStyle: "filled"},
	KindTry:         {class: "jmlLogic", open: "[/", close: `\]`, shape: "trapezium", dotStyle: "filled"},
	KindReturn:      {class: "jmlStop", open: "([", close: "])", shape: "box", dotStyle: "rounded,filled"},
	KindFiltered:    {class: "jmlStop", open: "([", close: "])", shape: "box", dotStyle: "rounded,filled"},
	KindEnd:         {class: "jmlStop", open: "((", close: "))", shape: "doublecircle", dotStyle: "filled"},
	KindHalt:        {class: "jmlHalt", open: "([", close: "])", shape: "octagon", dotStyle: "filled"},
	KindErrorFlow:   {class: "jmlHandler", open: "[[", close: "]]", shape: "box", dotStyle: "filled,dashed", extra: "peripheries=2"},
	KindErrorReturn: {class: "jmlHandler", open: "([", close: "])", shape: "box", dotStyle: "rounded,filled,dashed"},
}

// colours per class: fill, stroke, text.
var colours = map[string][3]string{
	"jmlTrigger":     {"#e8f0fe", "#1a73e8", "#202124"},
	"jmlRead":        {"#e6f4ea", "#188038", "#202124"},
	"jmlWrite":       {"#fef7e0", "#e37400", "#202124"},
	"jmlDeprovision": {"#fce8e6", "#c5221f", "#202124"},
	"jmlCall":        {"#f3e8fd", "#8430ce", "#202124"},
	"jmlLogic":       {"#f1f3f4", "#5f6368", "#202124"},
	"jmlStop":        {"#e8eaed", "#5f6368", "#202124"},
	"jmlHalt":        {"#c5221f", "#a50e0e", "#ffffff"},
	"jmlHandler":     {"#fce8e6", "#c5221f", "#202124"},
}

// errorColour draws on-error edges.
const errorColour = "#c5221f"

func styleOf(k Kind) style {
	if s, ok := styles[k]; ok {
		return s
	}
	return styles[KindWrite]
}

var mermaidEscaper = strings.NewReplacer(
	"#", "#35;",
	`"`, "#quot;",
	"&", "#amp;",
	"<", "#lt;",
	">", "#gt;",
	"[", "#91;",
	"]", "#93;",
	"{", "#123;",
	"}", "#125;",
	"|", "#124;",
	"`", "#96;",
)

// mermaidLabel escapes a label for a quoted Mermaid string: every
// character Mermaid or the HTML label could take for syntax becomes an
// entity (#quot;, #lt;, #123; …), and lines are joined with <br>.
func mermaidLabel(lines []string) string {
	esc := make([]string, len(lines))
	for i, l := range lines {
		esc[i] = mermaidEscaper.Replace(l)
	}
	return `"` + strings.Join(esc, "<br>") + `"`
}

// Mermaid writes the diagram as a Mermaid flowchart (flowchart TD), in
// the subset GitHub renders in issues and pull requests.
func (d *Diagram) Mermaid(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%%%% jml graph %s\n", d.Flow)
	b.WriteString("flowchart TD\n")
	classes := map[string][]string{}
	var walk func(items []Item, indent string)
	walk = func(items []Item, indent string) {
		for _, it := range items {
			if n := it.Node; n != nil {
				s := styleOf(n.Kind)
				fmt.Fprintf(&b, "%s%s%s%s%s\n", indent, n.ID, s.open, mermaidLabel(n.Lines), s.close)
				classes[s.class] = append(classes[s.class], n.ID)
				continue
			}
			c := it.Cluster
			fmt.Fprintf(&b, "%ssubgraph %s [%s]\n", indent, c.ID, mermaidLabel([]string{c.Label}))
			walk(c.Items, indent+"  ")
			fmt.Fprintf(&b, "%send\n", indent)
		}
	}
	walk(d.Items, "  ")
	var errEdges []string
	for i, e := range d.Edges {
		arrow := "-->"
		if e.Style == EdgeError {
			arrow = "-.->"
			errEdges = append(errEdges, strconv.Itoa(i))
		}
		if e.Label != "" {
			fmt.Fprintf(&b, "  %s %s|%s| %s\n", e.From, arrow, mermaidLabel([]string{e.Label}), e.To)
		} else {
			fmt.Fprintf(&b, "  %s %s %s\n", e.From, arrow, e.To)
		}
	}
	for _, c := range sortedKeys(classes) {
		col := colours[c]
		fmt.Fprintf(&b, "  classDef %s fill:%s,stroke:%s,color:%s", c, col[0], col[1], col[2])
		if c == "jmlDeprovision" {
			b.WriteString(",stroke-width:2px")
		}
		if c == "jmlHandler" {
			b.WriteString(",stroke-dasharray:4 2")
		}
		b.WriteString("\n")
		fmt.Fprintf(&b, "  class %s %s\n", strings.Join(classes[c], ","), c)
	}
	if len(errEdges) > 0 {
		fmt.Fprintf(&b, "  linkStyle %s stroke:%s\n", strings.Join(errEdges, ","), errorColour)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// Markdown writes the Mermaid flowchart in a ```mermaid fence, ready to
// paste into a pull-request comment.
func (d *Diagram) Markdown(w io.Writer) error {
	if _, err := io.WriteString(w, "```mermaid\n"); err != nil {
		return err
	}
	if err := d.Mermaid(w); err != nil {
		return err
	}
	_, err := io.WriteString(w, "```\n")
	return err
}

// dotQuote quotes s as a dot string.
func dotQuote(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(s) + `"`
}

// dotLabel joins label lines with dot's \n escape.
func dotLabel(lines []string) string {
	esc := make([]string, len(lines))
	for i, l := range lines {
		esc[i] = strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(l)
	}
	return `"` + strings.Join(esc, `\n`) + `"`
}

// Dot writes the diagram as a Graphviz digraph (dot -Tsvg renders it).
func (d *Diagram) Dot(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "// jml graph %s\n", d.Flow)
	fmt.Fprintf(&b, "digraph %s {\n", dotQuote(d.Flow))
	b.WriteString("  rankdir=TB;\n")
	b.WriteString("  graph [fontname=\"Helvetica\", fontsize=11];\n")
	b.WriteString("  node [fontname=\"Helvetica\", fontsize=11];\n")
	b.WriteString("  edge [fontname=\"Helvetica\", fontsize=10];\n")
	var walk func(items []Item, indent string)
	walk = func(items []Item, indent string) {
		for _, it := range items {
			if n := it.Node; n != nil {
				s := styleOf(n.Kind)
				col := colours[s.class]
				fmt.Fprintf(&b, "%s%s [label=%s, shape=%s, style=%s, fillcolor=%s, color=%s, fontcolor=%s",
					indent, n.ID, dotLabel(n.Lines), s.shape, dotQuote(s.dotStyle), dotQuote(col[0]), dotQuote(col[1]), dotQuote(col[2]))
				if s.extra != "" {
					b.WriteString(", " + s.extra)
				}
				b.WriteString("];\n")
				continue
			}
			c := it.Cluster
			fmt.Fprintf(&b, "%ssubgraph cluster_%s {\n", indent, c.ID)
			fmt.Fprintf(&b, "%s  label=%s;\n", indent, dotQuote(c.Label))
			fmt.Fprintf(&b, "%s  style=dashed;\n", indent)
			fmt.Fprintf(&b, "%s  color=\"#9aa0a6\";\n", indent)
			walk(c.Items, indent+"  ")
			fmt.Fprintf(&b, "%s}\n", indent)
		}
	}
	walk(d.Items, "  ")
	for _, e := range d.Edges {
		var attrs []string
		if e.Label != "" {
			attrs = append(attrs, "label="+dotQuote(e.Label))
		}
		if e.Style == EdgeError {
			attrs = append(attrs, "style=dashed", "color="+dotQuote(errorColour), "fontcolor="+dotQuote(errorColour))
		}
		if len(attrs) > 0 {
			fmt.Fprintf(&b, "  %s -> %s [%s];\n", e.From, e.To, strings.Join(attrs, ", "))
		} else {
			fmt.Fprintf(&b, "  %s -> %s;\n", e.From, e.To)
		}
	}
	b.WriteString("}\n")
	_, err := io.WriteString(w, b.String())
	return err
}

func sortedKeys(m map[string][]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
