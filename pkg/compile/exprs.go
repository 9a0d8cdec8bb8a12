package compile

import (
	"fmt"
	"sort"
	"strings"

	"github.com/jml-dev/jml/pkg/ast"
	"github.com/jml-dev/jml/pkg/diag"
	"github.com/jml-dev/jml/pkg/expr"
)

// refCheck gets a chance to handle a reference first; it returns true when
// it reported or accepted it.
type refCheck func(r expr.Ref, rng diag.Range) bool

// refChecker returns the reference check for expressions of node n: ran
// holds the step ids guaranteed to have run before n.
func (fc *flowCtx) refChecker(n *Node, ran []string) refCheck {
	return func(r expr.Ref, rng diag.Range) bool {
		if r.Root != "steps" {
			return false
		}
		c := fc.c
		target, ok := fc.ids[r.Name]
		if !ok {
			d := diag.Diagnostic{Severity: diag.Error, Code: "undefined-step", Range: rng,
				Message: fmt.Sprintf("no step with id %q in flow %q", r.Name, fc.f.Name)}
			if s, ok := diag.Closest(r.Name, sortedIDs(fc.ids)); ok {
				d.Message += fmt.Sprintf("; did you mean %q?", s)
			}
			c.ds.Add(d)
			return true
		}
		tn := fc.f.Nodes[target]
		switch {
		case target == n.Index:
			c.ds.Errorf(rng, "step-not-before", "card %q cannot read its own result: steps.%s is set once the card has run", r.Name, r.Name)
			return true
		case !contains(ran, r.Name):
			why := "it runs after this card"
			if target < n.Index {
				why = "it is inside a branch (if, switch, forEach or try) that may not have run; read it inside that branch, or assign what you need to a var there"
			}
			if fc.isAncestor(target, n.Index) {
				why = "this card is inside it, so it has not finished yet"
			}
			c.ds.Errorf(rng, "step-not-before", "steps.%s is not guaranteed to have run here: %s", r.Name, why)
			return true
		}
		if len(r.Path) == 0 {
			return true
		}
		switch r.Path[0] {
		case "status":
			return true
		case "output":
		default:
			c.ds.Errorf(rng, "unknown-step-field", "steps.%s.%s: a step has output and status", r.Name, r.Path[0])
			return true
		}
		if len(r.Path) < 2 {
			return true
		}
		field := r.Path[1]
		switch {
		case tn.Kind == ast.CardAction && tn.Action != nil:
			if _, ok := tn.Action.Output(field); !ok {
				var names []string
				for _, o := range tn.Action.Outputs {
					names = append(names, o.Name)
				}
				msg := fmt.Sprintf("action %s has no output %q", tn.Card.Action.Value, field)
				if len(names) == 0 {
					msg = fmt.Sprintf("action %s has no outputs, so steps.%s.output.%s is never set", tn.Card.Action.Value, r.Name, field)
				} else if s, ok := diag.Closest(field, names); ok {
					msg += fmt.Sprintf("; did you mean %q?", s)
				} else {
					msg += fmt.Sprintf(" (outputs: %s)", strings.Join(names, ", "))
				}
				c.ds.Errorf(rng, "unknown-output", "%s", msg)
			}
		case tn.Kind == ast.CardCall:
			if h, ok := c.flowNamed(tn.Callee); ok && h.Kind == ast.TriggerHelper {
				if !h.output(field) {
					var names []string
					for _, o := range h.Outputs {
						names = append(names, o.Name)
					}
					msg := fmt.Sprintf("helper flow %q declares no output %q", tn.Callee, field)
					if s, ok := diag.Closest(field, names); ok {
						msg += fmt.Sprintf("; did you mean %q?", s)
					}
					c.ds.Errorf(rng, "unknown-output", "%s", msg)
				}
			}
		case tn.Kind != ast.CardAction:
			c.ds.Errorf(rng, "unknown-output", "steps.%s is %s card, which has no output", r.Name, article(string(tn.Kind)))
		}
		return true
	}
}

func article(s string) string {
	if s != "" && strings.ContainsRune("aeiou", rune(s[0])) {
		return "an " + s
	}
	return "a " + s
}

func (fc *flowCtx) isAncestor(anc, n int) bool {
	for p := fc.f.Nodes[n].Parent; p != None; p = fc.f.Nodes[p].Parent {
		if p == anc {
			return true
		}
	}
	return false
}

func sortedIDs(m map[string]int) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// checkRefs checks the vars./inputs. references of a program (steps. ones
// go to chk) and reports them at their position in the YAML scalar.
func (fc *flowCtx) checkRefs(p *expr.Program, at func(off int) diag.Range, chk refCheck) {
	c := fc.c
	if p.ReadsProfile {
		fc.readsProfile = true
	}
	for _, r := range p.Refs {
		if r.Root == "vars" {
			fc.used[r.Name] = true
		}
		if r.Root == "inputs" {
			if fc.usedIn == nil {
				fc.usedIn = map[string]bool{}
			}
			fc.usedIn[r.Name] = true
		}
		rng := at(r.Offset)
		if chk != nil && chk(r, rng) {
			continue
		}
		switch r.Root {
		case "vars":
			if !fc.vars[r.Name] {
				d := diag.Diagnostic{Severity: diag.Error, Code: "undefined-var", Range: rng,
					Message: fmt.Sprintf("vars.%s is not declared under vars: nor set by any assign: card", r.Name)}
				if s, ok := diag.Closest(r.Name, sortedKeys(fc.vars)); ok {
					d.Message += fmt.Sprintf("; did you mean %q?", s)
				}
				c.ds.Add(d)
			}
		case "inputs":
			if !fc.helper {
				continue // expr already rejected `inputs` outside helpers
			}
			if _, ok := fc.ast.Input(r.Name); !ok {
				d := diag.Diagnostic{Severity: diag.Error, Code: "undefined-input", Range: rng,
					Message: fmt.Sprintf("helper flow %q declares no input %q", fc.f.Name, r.Name)}
				var names []string
				for _, in := range fc.ast.Inputs {
					names = append(names, in.Name.Value)
				}
				if s, ok := diag.Closest(r.Name, names); ok {
					d.Message += fmt.Sprintf("; did you mean %q?", s)
				}
				c.ds.Add(d)
			}
		case "steps":
			// Only flow-level vars have no checker: no step has run yet.
			c.ds.Errorf(rng, "step-not-before", "vars: are evaluated before any step runs, so steps.%s is not available here; use an assign: card after the step", r.Name)
		}
	}
}

// bareExpr compiles a bare CEL expression (when, if, vars.*, …).
func (fc *flowCtx) bareExpr(e *ast.Expr, sc scope, n *Node, chk refCheck) *expr.Program {
	if e == nil {
		return nil
	}
	at := func(off int) diag.Range {
		if e.Literal {
			return e.Range
		}
		return fc.file.PosIn(e.Node, off)
	}
	if strings.TrimSpace(e.Src) == "" {
		fc.c.ds.Errorf(e.Range, "expr-syntax", "empty expression")
		return nil
	}
	if !e.Literal && expr.HasTemplate(e.Src) {
		fc.c.ds.Errorf(e.Range, "expr-syntax", "this key holds a bare CEL expression: write it without ${{ }}")
		return nil
	}
	p, iss := fc.c.env.Compile(e.Src, sc.expr(fc.helper, fc.errorScope))
	for _, is := range iss {
		fc.c.ds.Errorf(at(is.Offset), is.Code, "%s", is.Msg)
	}
	if p != nil {
		fc.checkRefs(p, at, chk)
	}
	return p
}

// value compiles YAML data with ${{ }} templates.
func (fc *flowCtx) value(v *ast.Value, sc scope, n *Node, chk refCheck) *Value {
	if v == nil {
		return nil
	}
	out := &Value{Kind: v.Kind, Range: v.Range, Scalar: v.Scalar}
	switch v.Kind {
	case ast.List:
		for _, el := range v.List {
			out.List = append(out.List, fc.value(el, sc, n, chk))
		}
	case ast.Map:
		for _, e := range v.Map {
			out.Keys = append(out.Keys, e.Key.Value)
			out.Map = append(out.Map, fc.value(e.Value, sc, n, chk))
		}
	case ast.Str:
		s, _ := v.Scalar.(string)
		if !expr.HasTemplate(s) {
			return out
		}
		parts, err := expr.ParseTemplate(s)
		if err != nil {
			te, _ := err.(*expr.TemplateError)
			off := 0
			msg := err.Error()
			if te != nil {
				off, msg = te.Offset, te.Msg
			}
			fc.c.ds.Errorf(fc.file.PosIn(v.Node, off), "template-syntax", "%s", msg)
			return out
		}
		for _, p := range parts {
			if !p.IsExpr {
				out.Parts = append(out.Parts, TemplatePart{Lit: p.Lit})
				continue
			}
			base := p.Offset
			at := func(off int) diag.Range { return fc.file.PosIn(v.Node, base+off) }
			prog, iss := fc.c.env.Compile(p.Expr, sc.expr(fc.helper, fc.errorScope))
			for _, is := range iss {
				fc.c.ds.Errorf(at(is.Offset), is.Code, "%s", is.Msg)
			}
			if prog != nil {
				fc.checkRefs(prog, at, chk)
			}
			out.Parts = append(out.Parts, TemplatePart{Prog: prog})
		}
		out.Single = expr.Single(parts)
	}
	return out
}
