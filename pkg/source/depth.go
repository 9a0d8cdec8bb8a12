package source

import (
	"gopkg.in/yaml.v3"
)

// MaxDepth bounds how deep a document's mappings and lists may nest, with
// aliases followed. It is far above what any flow, config, test or world
// needs (64 nested cards inside switch cases are under 200 levels), and
// it keeps every recursive reader of a node tree, from the JSON Schema
// validator on, off deep input.
const MaxDepth = 256

// MaxCardDepth bounds how deep a flow's cards may nest (a try inside an if
// inside a forEach…). Checked on the node tree before the JSON Schema
// step, whose time grows steeply with nesting: 800 nested try cards took
// minutes. No real flow needs more; a deeper one is split with call:.
const MaxCardDepth = 64

// cardListKeys are the keys of a card that hold a list of cards (a flow's
// own list is steps); a switch's cases hold one list per case.
var cardListKeys = map[string]bool{"then": true, "else": true, "default": true, "do": true, "try": true, "catch": true}

// tooDeep returns the first node, in document order, that is nested more
// than MaxDepth levels deep with aliases followed, and the node to report
// it at: the node itself, or the outermost alias it was reached through.
// Callers must have bounded alias expansion first (expansionBomb): the
// walk visits the expanded tree, but never more than MaxDepth levels of
// it.
func tooDeep(root *yaml.Node) (at *yaml.Node) {
	var walk func(n *yaml.Node, depth int, via *yaml.Node) *yaml.Node
	walk = func(n *yaml.Node, depth int, via *yaml.Node) *yaml.Node {
		if n.Kind == yaml.AliasNode {
			if via == nil {
				via = n
			}
			if n.Alias == nil {
				return nil
			}
			return walk(n.Alias, depth, via)
		}
		if depth > MaxDepth {
			if via != nil {
				return via
			}
			return n
		}
		for _, c := range n.Content {
			if r := walk(c, depth+1, via); r != nil {
				return r
			}
		}
		return nil
	}
	return walk(root, 1, nil)
}

// cardTooDeep returns where a flow's cards first nest more than
// MaxCardDepth deep (the card past the limit, or the alias it was reached
// through), or nil. Cards are found as the decoder finds them: the items of
// steps, then, else, default, do, try, catch and of each case of cases,
// aliases and merge keys followed. Like tooDeep it must run after the
// alias expansion check.
func cardTooDeep(root *yaml.Node) *yaml.Node {
	var list func(n *yaml.Node, depth int, via *yaml.Node) *yaml.Node
	card := func(n *yaml.Node, depth int, via *yaml.Node) *yaml.Node {
		for _, p := range Pairs(n) {
			k, v := p[0].Value, p[1]
			switch {
			case cardListKeys[k]:
				if r := list(v, depth+1, viaOf(v, via)); r != nil {
					return r
				}
			case k == "cases":
				for _, c := range Pairs(v) {
					if r := list(c[1], depth+1, viaOf(c[1], viaOf(v, via))); r != nil {
						return r
					}
				}
			}
		}
		return nil
	}
	list = func(n *yaml.Node, depth int, via *yaml.Node) *yaml.Node {
		n = Resolve(n)
		if n == nil || n.Kind != yaml.SequenceNode {
			return nil
		}
		for _, it := range n.Content {
			at := viaOf(it, via)
			c := Resolve(it)
			if c == nil || c.Kind != yaml.MappingNode {
				continue
			}
			if depth > MaxCardDepth {
				if at != nil {
					return at
				}
				return c
			}
			if r := card(c, depth, at); r != nil {
				return r
			}
		}
		return nil
	}
	return list(Get(root, "steps"), 1, nil)
}

// viaOf returns the outermost alias of a path: via when set, else n when n
// is an alias.
func viaOf(n, via *yaml.Node) *yaml.Node {
	if via == nil && n != nil && n.Kind == yaml.AliasNode {
		return n
	}
	return via
}
