package compile

import (
	"fmt"
	"regexp"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/jml-dev/jml/pkg/ast"
	"github.com/jml-dev/jml/pkg/catalog"
	"github.com/jml-dev/jml/pkg/diag"
	"github.com/jml-dev/jml/pkg/source"
)

// The lint rules know identity lifecycle (docs/checks.md, "Lint"). They
// report warnings, run only on a repository that compiles, and can be
// silenced with a `# jml:ignore CHECK-ID` comment on the card (or, for a
// flow-level rule, on a top-level key of the flow, such as trigger:).

// leaverEvent is the event a leaver flow is triggered by.
const leaverEvent = "user.lifecycle.deactivate"

// sessionActions revoke sessions rather than disable accounts.
var sessionActions = map[string]bool{"clearUserSessions": true, "signOutUser": true, "revokeSignInSessions": true}

// notifyActions are notifications: they must not fail a leaver.
var notifyActions = map[string]bool{"slack.postMessage": true, "email.send": true}

var ignoreRE = regexp.MustCompile(`jml:ignore\s+([a-z0-9, -]+)`)

// ignores reports whether any comment of the nodes (and their direct
// children: the keys of a mapping) silences check.
func ignores(check string, nodes ...*yaml.Node) bool {
	var comments []string
	for _, n := range nodes {
		if n == nil {
			continue
		}
		comments = append(comments, n.HeadComment, n.LineComment, n.FootComment)
		if n.Kind == yaml.MappingNode {
			for _, c := range n.Content {
				comments = append(comments, c.HeadComment, c.LineComment)
			}
		}
	}
	for _, c := range comments {
		for _, m := range ignoreRE.FindAllStringSubmatch(c, -1) {
			for _, id := range strings.FieldsFunc(m[1], func(r rune) bool { return r == ',' || r == ' ' }) {
				if id == check {
					return true
				}
			}
		}
	}
	return false
}

func (c *compiler) lint() {
	for _, name := range c.g.Names {
		f := c.g.Flows[name]
		c.lintFlow(f)
	}
	c.lintLeaverCoverage()
}

// flowIgnores reports whether a flow-level comment silences check.
func flowIgnores(f *Flow, check string) bool {
	if f.AST == nil || f.AST.File == nil {
		return false
	}
	return ignores(check, f.AST.File.Root)
}

func cardIgnores(f *Flow, n *Node, check string) bool {
	return (n.Card != nil && ignores(check, n.Card.Node)) || flowIgnores(f, check)
}

func (c *compiler) warn(f *Flow, n *Node, rng diag.Range, check, format string, args ...any) {
	if n != nil && cardIgnores(f, n, check) || n == nil && flowIgnores(f, check) {
		return
	}
	c.ds.Warnf(rng, check, format, args...)
}

func isLeaver(f *Flow) bool {
	if f.Trigger.Kind != ast.TriggerEvent || !f.Enabled {
		return false
	}
	for _, e := range f.Trigger.Events {
		if e == leaverEvent {
			return true
		}
	}
	return false
}

func (c *compiler) lintFlow(f *Flow) {
	a := f.AST
	// A mover on every profile edit.
	if f.Trigger.Kind == ast.TriggerEvent && f.Trigger.When == nil {
		for _, e := range f.Trigger.Events {
			if e == "user.account.update_profile" {
				c.warn(f, nil, a.Trigger.Range, "mover-unfiltered",
					"flow %q runs on every profile edit (user.account.update_profile) without a when: filter; filter on what the mover cares about, e.g. when: '\"department\" in changed'", f.Name)
				break
			}
		}
	}
	leaver := isLeaver(f)
	for _, n := range f.Nodes {
		// Unreachable cards after halt or return.
		if (n.Kind == ast.CardHalt || n.Kind == ast.CardReturn) && n.Next != None {
			next := f.Nodes[n.Next]
			c.warn(f, next, next.Range, "unreachable-card",
				"this card never runs: the %s card before it always ends the %s", n.Kind, map[bool]string{true: "helper", false: "flow"}[f.IsHelper()])
		}
		if n.Kind != ast.CardAction || n.Action == nil {
			continue
		}
		// Retries of a write that is not idempotent.
		if n.Retry.Attempts > 1 && !n.Action.Idempotent && n.Action.Effect != catalog.Read {
			rng := n.Range
			if n.Card != nil && n.Card.Retry != nil {
				rng = n.Card.Retry.Range
			}
			c.warn(f, n, rng, "retry-non-idempotent",
				"%s is a write that is not idempotent: a retry after a timeout may make it twice; keep attempts: 1, or where the vendor deduplicates (ServiceNow, Jira and http look jml's idempotency key up first) silence with # jml:ignore retry-non-idempotent",
				n.Card.Action.Value)
		}
		// A notification that can fail the leaver.
		if leaver && notifyActions[n.ConnectorType+"."+n.Action.Name] && n.OnError != ast.OnErrorContinue && !insideTry(f, n) {
			c.warn(f, n, n.Range, "notify-no-continue",
				"%s in a leaver without onError: continue: if the notification fails, the leaver halts and later deprovisioning is skipped", n.Card.Action.Value)
		}
	}
	if leaver {
		c.lintLeaverOrder(f)
	}
	if f.IsHelper() {
		for _, in := range a.Inputs {
			if !c.usedInputs[f.Name][in.Name.Value] && !ignores("unused-input", inputNodes(f, in.Name.Value)...) {
				c.warn(f, nil, in.Name.Range, "unused-input", "input %q of helper flow %q is never read", in.Name.Value, f.Name)
			}
		}
	}
}

// insideTry reports whether n is inside the try: block of a try card
// (a failure there is caught, not a halt).
func insideTry(f *Flow, n *Node) bool {
	for cur := n; cur.Parent != None; {
		p := f.Nodes[cur.Parent]
		if p.Kind == ast.CardTry && inList(f, p.Try, cur.Index) {
			return true
		}
		cur = p
	}
	return false
}

// inList reports whether node idx is in the list starting at head.
func inList(f *Flow, head, idx int) bool {
	for i := head; i != None; i = f.Nodes[i].Next {
		if i == idx {
			return true
		}
	}
	return false
}

// step is an action a flow reaches, in document order, helpers inlined.
type step struct {
	flow *Flow
	node *Node
}

// actions lists the action cards of f in document order, with the cards of
// the helpers it calls in place of the call cards (each helper once per
// chain, so cycles end).
func (c *compiler) actions(f *Flow, chain map[string]bool) []step {
	if chain[f.Name] {
		return nil
	}
	chain[f.Name] = true
	defer delete(chain, f.Name)
	var out []step
	for _, n := range f.Nodes {
		switch {
		case n.Kind == ast.CardAction && n.Action != nil:
			out = append(out, step{f, n})
		case n.Kind == ast.CardCall:
			if h := c.g.Flows[n.Callee]; h != nil {
				out = append(out, c.actions(h, chain)...)
			}
		}
	}
	return out
}

// lintLeaverOrder: a leaver must revoke the user's Okta sessions before it
// disables accounts elsewhere, or a live Okta session can open new app
// sessions while the leaver runs.
func (c *compiler) lintLeaverOrder(f *Flow) {
	steps := c.actions(f, map[string]bool{})
	first := -1
	for i, s := range steps {
		if s.node.ConnectorType == "okta" && sessionActions[s.node.Action.Name] {
			first = i
			break
		}
	}
	if first < 0 {
		return
	}
	for _, s := range steps[:first] {
		a := s.node.Action
		if !a.Deprovision || sessionActions[a.Name] || strings.HasPrefix(a.Name, "remove") {
			continue
		}
		sess := steps[first].node.Card.Action.Value
		c.warn(s.flow, s.node, s.node.Range, "leaver-order",
			"%s disables an account before %s revokes the Okta sessions: revoke sessions first, or the user's live Okta session can open new app sessions while the leaver runs",
			s.node.Card.Action.Value, sess)
	}
}

// lintLeaverCoverage: the leaver flows together must deprovision every
// connector instance of jml.yaml that can be deprovisioned.
func (c *compiler) lintLeaverCoverage() {
	if c.cfg == nil {
		return
	}
	var leavers []*Flow
	covered := map[string]bool{}
	for _, name := range c.g.Names {
		f := c.g.Flows[name]
		if !isLeaver(f) {
			continue
		}
		leavers = append(leavers, f)
		var walk func(f *Flow, seen map[string]bool)
		walk = func(f *Flow, seen map[string]bool) {
			if seen[f.Name] {
				return
			}
			seen[f.Name] = true
			for _, n := range f.Nodes {
				if n.Action != nil && n.Action.Deprovision {
					covered[n.Instance] = true
				}
			}
			for _, callee := range append(append([]string{}, f.Calls...), f.ErrorFlows...) {
				if h := c.g.Flows[callee]; h != nil {
					walk(h, seen)
				}
			}
		}
		walk(f, map[string]bool{})
	}
	if len(leavers) == 0 {
		return
	}
	var missing []string
	for _, inst := range c.cfg.Connectors {
		conn, ok := catalog.Lookup(inst.Type.Value)
		if !ok || covered[inst.Name.Value] {
			continue
		}
		for _, a := range conn.Actions {
			if a.Deprovision {
				missing = append(missing, fmt.Sprintf("%s (%s)", inst.Name.Value, inst.Type.Value))
				break
			}
		}
	}
	if len(missing) == 0 {
		return
	}
	sort.Strings(missing)
	for _, f := range leavers {
		c.warn(f, nil, f.AST.Trigger.Range, "leaver-coverage",
			"leaver coverage: no flow triggered by %s deprovisions %s; a leaver that leaves an account active is a security incident (add the app's deactivate/suspend card, or silence with # jml:ignore leaver-coverage)",
			leaverEvent, strings.Join(missing, ", "))
	}
}

// inputNodes returns the key and value nodes of a helper's input, whose
// comments may silence a check.
func inputNodes(f *Flow, name string) []*yaml.Node {
	if f.AST == nil || f.AST.File == nil {
		return nil
	}
	for _, p := range source.Pairs(source.Get(f.AST.File.Root, "inputs")) {
		if p[0].Value == name {
			return []*yaml.Node{p[0], p[1]}
		}
	}
	return nil
}
