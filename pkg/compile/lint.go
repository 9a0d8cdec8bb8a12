package compile

import (
	"fmt"
	"regexp"
	"slices"
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

var ignoreRE = regexp.MustCompile(`jml:ignore\s+([a-z0-9, -]+)`)

// ignored returns the check ids that the comments of the nodes (and of
// their direct children: the keys of a mapping) silence.
func ignored(nodes ...*yaml.Node) []string {
	var ids []string
	scan := func(c string) {
		if !strings.Contains(c, "jml:ignore") { // what ignoreRE needs: most comments are not
			return
		}
		for _, m := range ignoreRE.FindAllStringSubmatch(c, -1) {
			ids = append(ids, strings.FieldsFunc(m[1], func(r rune) bool { return r == ',' || r == ' ' })...)
		}
	}
	for _, n := range nodes {
		if n == nil {
			continue
		}
		scan(n.HeadComment)
		scan(n.LineComment)
		scan(n.FootComment)
		if n.Kind == yaml.MappingNode {
			for _, c := range n.Content {
				scan(c.HeadComment)
				scan(c.LineComment)
			}
		}
	}
	return ids
}

// ignores reports whether any comment of the nodes (and their direct
// children: the keys of a mapping) silences check.
func ignores(check string, nodes ...*yaml.Node) bool {
	return slices.Contains(ignored(nodes...), check)
}

// todoRE is the comment jml import flopack writes above a card it could
// not translate: "jml:todo CARD (module.method): why".
var todoRE = regexp.MustCompile(`jml:todo\s+([^\n]*)`)

// todo returns the text of the jml:todo comment of a card's node (or of
// its keys), and whether there is one.
func todo(n *yaml.Node) (string, bool) {
	if n == nil {
		return "", false
	}
	find := func(c string) (string, bool) {
		if !strings.Contains(c, "jml:todo") { // most comments are not; no allocation then
			return "", false
		}
		if m := todoRE.FindStringSubmatch(c); m != nil {
			return strings.TrimSpace(m[1]), true
		}
		return "", false
	}
	if s, ok := find(n.HeadComment); ok {
		return s, true
	}
	if s, ok := find(n.LineComment); ok {
		return s, true
	}
	if n.Kind == yaml.MappingNode {
		for _, c := range n.Content {
			if s, ok := find(c.HeadComment); ok {
				return s, true
			}
			if s, ok := find(c.LineComment); ok {
				return s, true
			}
		}
	}
	return "", false
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

// warn reports a warning of a lint rule that reads one flow, unless a
// comment of the card (n) or of the flow silences it.
func (c *compiler) warn(f *Flow, n *Node, rng diag.Range, check, format string, args ...any) {
	if n != nil && cardIgnores(f, n, check) || n == nil && flowIgnores(f, check) {
		return
	}
	c.ds.Warnf(rng, check, format, args...)
}

// warnAt reports a warning of a lint rule across flows, at a step of a
// flow's summary (or the flow, st nil), unless the same comments silence
// it.
func (c *compiler) warnAt(s *Summary, st *Step, rng diag.Range, check, format string, args ...any) {
	if st != nil && slices.Contains(st.Ignore, check) || slices.Contains(s.Ignore, check) {
		return
	}
	c.ds.Warnf(rng, check, format, args...)
}

func (f *Flow) isLeaver() bool { return f.Enabled && f.onLeaverEvent() }

// onLeaverEvent reports whether f is triggered by the leaver event, enabled
// or not.
func (f *Flow) onLeaverEvent() bool { return onLeaverEvent(f.Trigger.Kind, f.Trigger.Events) }

// onLeaverEvent reports whether a trigger is the leaver event's.
func onLeaverEvent(kind ast.TriggerKind, events []string) bool {
	return kind == ast.TriggerEvent && slices.Contains(events, leaverEvent)
}

// lintFlow runs the lint rules that read one flow alone (Unit.Lint).
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
	leaver := f.isLeaver()
	// Cards an import left to do (jml import flopack): a warning naming
	// the card. The unreachable cards after such a halt and the helper
	// inputs only they would read are part of the same todo.
	todos := false
	for _, n := range f.Nodes {
		if n.Card == nil {
			continue
		}
		if what, ok := todo(n.Card.Node); ok {
			todos = true
			c.warn(f, n, n.Range, "todo", "not imported: %s", what)
		}
	}
	for _, n := range f.Nodes {
		// Unreachable cards after halt or return.
		if n.Card != nil && n.Kind == ast.CardHalt {
			if _, ok := todo(n.Card.Node); ok {
				continue
			}
		}
		if (n.Kind == ast.CardHalt || n.Kind == ast.CardReturn) && n.Next != None {
			next := f.Nodes[n.Next]
			c.warn(f, next, next.Range, "unreachable-card",
				"this card never runs: the %s card before it always ends the %s", n.Kind, map[bool]string{true: "helper", false: "flow"}[f.IsHelper()])
		}
		if n.Kind != ast.CardAction || n.Action == nil {
			continue
		}
		// Retries of a write that may repeat: neither idempotent nor
		// deduplicated by jml's idempotency key (the catalogue's verdict).
		if n.Retry.Attempts > 1 && n.Action.MayRepeat() && literalEffect(n) != catalog.Read {
			rng := n.Range
			if n.Card != nil && n.Card.Retry != nil {
				rng = n.Card.Retry.Range
			}
			c.warn(f, n, rng, "retry-non-idempotent",
				"%s is a write that is not idempotent and jml cannot deduplicate it; a retry after a timeout repeats it: %s; keep attempts: 1, or silence with # jml:ignore retry-non-idempotent where that repeat is acceptable",
				n.Card.Action.Value, n.Action.Repeat)
		}
		// A notification that can fail the leaver.
		if leaver && n.Action.Notifies && n.OnError != ast.OnErrorContinue && !insideTry(f, n) {
			c.warn(f, n, n.Range, "notify-no-continue",
				"%s in a leaver without onError: continue: if the notification fails, the leaver halts and later deprovisioning is skipped", n.Card.Action.Value)
		}
	}
	if f.IsHelper() && !todos {
		for _, in := range a.Inputs {
			if !c.usedInputs[f.Name][in.Name.Value] && !ignores("unused-input", inputNodes(f, in.Name.Value)...) {
				c.warn(f, nil, in.Name.Range, "unused-input", "input %q of helper flow %q is never read", in.Name.Value, f.Name)
			}
		}
	}
}

// insideTry reports whether n is inside the try: block of a try card
// (a failure there is caught, not a halt).
// literalEffect is the card's effect as far as it is known before the
// run: for http.request, a literal `method:` decides (GET and HEAD read);
// an expression, like any other action, gives the catalogue's effect.
func literalEffect(n *Node) catalog.Effect {
	a := n.Action
	if len(a.ReadMethods) > 0 && n.With != nil {
		if v, ok := n.With.Get("method"); ok && v != nil && v.Parts == nil {
			if s, ok := v.Scalar.(string); ok {
				return a.EffectFor(strings.ToUpper(s))
			}
		}
	}
	return a.Effect
}

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
	flow *Summary
	st   *Step
}

// actions lists the action cards of s in document order, with the cards of
// the helpers it calls in place of the call cards (each helper once per
// chain, so cycles end).
func (c *compiler) actions(s *Summary, chain map[string]bool) []step {
	if chain[s.Name] {
		return nil
	}
	chain[s.Name] = true
	defer delete(chain, s.Name)
	var out []step
	for i := range s.Steps {
		switch st := &s.Steps[i]; {
		case st.Action != "":
			out = append(out, step{s, st})
		case st.Call != "":
			if h := c.sums[st.Call]; h != nil {
				out = append(out, c.actions(h, chain)...)
			}
		}
	}
	return out
}

// lintLeaverOrder: a leaver must revoke the user's Okta sessions before it
// disables accounts elsewhere, or a live Okta session can open new app
// sessions while the leaver runs.
func (c *compiler) lintLeaverOrder(s *Summary) {
	steps := c.actions(s, map[string]bool{})
	first := -1
	for i, x := range steps {
		if x.st.ConnectorType == "okta" && x.st.EndsSessions {
			first = i
			break
		}
	}
	if first < 0 {
		return
	}
	for _, x := range steps[:first] {
		if !x.st.Deprovision || x.st.EndsSessions || x.st.RemovesGrant {
			continue
		}
		c.warnAt(x.flow, x.st, x.flow.at(x.st.At), "leaver-order",
			"%s disables an account before %s revokes the Okta sessions: revoke sessions first, or the user's live Okta session can open new app sessions while the leaver runs",
			x.st.Action, steps[first].st.Action)
	}
}

// lintLeaverCoverage: the leaver flows together must deprovision every
// connector instance of jml.yaml that can be deprovisioned, for everyone: a
// disabled leaver covers no one, and a leaver behind a filter (trigger.when,
// a top-level continueIf) covers only the users it admits.
func (c *compiler) lintLeaverCoverage() {
	if c.cfg == nil {
		return
	}
	var leavers, disabled []*Summary
	reaches := map[string][]reach{}
	covered := map[string]bool{}
	for _, name := range c.names {
		s := c.sums[name]
		if !s.onLeaverEvent() {
			continue
		}
		if !s.Enabled {
			disabled = append(disabled, s)
			continue
		}
		leavers = append(leavers, s)
		var guards []*filter
		if w := s.When; w != nil {
			guards = []*filter{newFilter(s, nil, w.Text, s.at(w.At))}
		}
		reaches[name] = c.deprovisions(s, guards, map[string]bool{})
		for _, r := range reaches[name] {
			covered[r.instance] = true
		}
	}
	if len(leavers) == 0 && len(disabled) == 0 {
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
	sort.Strings(missing)
	if len(leavers) == 0 {
		if len(missing) == 0 {
			return
		}
		for _, s := range disabled {
			rng := s.at(s.Trigger)
			if s.EnabledKey != nil {
				rng = s.at(*s.EnabledKey)
			}
			c.warnAt(s, nil, rng, "leaver-coverage",
				"leaver %q is disabled (enabled: false) and no enabled flow triggered by %s deprovisions anyone: a deactivated user keeps every app account; enable it, or silence with # jml:ignore leaver-coverage",
				s.Name, leaverEvent)
		}
		return
	}
	if len(missing) > 0 {
		for _, s := range leavers {
			c.warnAt(s, nil, s.at(s.Trigger), "leaver-coverage",
				"leaver coverage: no flow triggered by %s deprovisions %s; a leaver that leaves an account active is a security incident (add the app's deactivate/suspend card, or silence with # jml:ignore leaver-coverage)",
				leaverEvent, strings.Join(missing, ", "))
		}
	}
	c.lintLeaverFilters(leavers, reaches)
}

// filter is a condition that narrows whom the cards after it run for: a
// leaver's trigger.when, or a top-level continueIf (of the leaver or of a
// helper it calls).
type filter struct {
	flow *Summary
	// card is the continueIf card; nil for trigger.when.
	card *Step
	// src is the condition as filterText leaves it.
	src string
	rng diag.Range
	// eventOnly, canon and negCanon are eventOnly(src), canon(src) and
	// canon(negation(src)), worked out once: the coverage check compares
	// every leaver's filters with every other's, and a repository of
	// 1,000 leavers made that a regexp and two text rewrites a pair
	// (40 s of a validate).
	eventOnly       bool
	canon, negCanon string
}

func newFilter(s *Summary, card *Step, src string, rng diag.Range) *filter {
	return &filter{flow: s, card: card, src: src, rng: rng,
		eventOnly: eventOnly(src), canon: canon(src), negCanon: canon(negation(src))}
}

// same reports whether two filters admit the same users: the same card,
// or two when: conditions (or conditions that read only the event) with
// the same text.
func (g *filter) same(h *filter) bool {
	return g.rng == h.rng || g.eventOnly && h.eventOnly && g.canon == h.canon
}

// complements reports whether h admits everyone g excludes: h is written
// as g's negation, and both read only the event.
func (g *filter) complements(h *filter) bool {
	// negates(g.src, h.src), its two rewrites done once per filter.
	return g.eventOnly && h.eventOnly && g.src != "" && h.src != "" && (g.negCanon == h.canon || h.negCanon == g.canon)
}

// reach is a deprovisioning action a leaver reaches, with the filters it
// runs behind, outermost first.
type reach struct {
	instance string
	guards   []*filter
}

// deprovisions lists the deprovisioning actions s reaches, in document
// order, through the helpers and error handlers it calls (each once per
// chain), each behind guards and the top-level continueIf cards before it.
// Branches (if, switch, try) are not filters here: they choose how, not
// whom, to deprovision.
func (c *compiler) deprovisions(s *Summary, guards []*filter, chain map[string]bool) []reach {
	if chain[s.Name] {
		return nil
	}
	chain[s.Name] = true
	defer delete(chain, s.Name)
	var out []reach
	// Steps are in document order, and a top-level continueIf has no
	// cards of its own: its filter guards every step after it.
	for i := range s.Steps {
		st := &s.Steps[i]
		if st.Deprovision {
			out = append(out, reach{instance: st.Instance, guards: guards})
		}
		if h := c.sums[st.Call]; st.Call != "" && h != nil {
			out = append(out, c.deprovisions(h, guards, chain)...)
		}
		if h := c.sums[st.ErrorFlow]; st.ErrorFlow != "" && h != nil {
			out = append(out, c.deprovisions(h, guards, chain)...)
		}
		if st.Filter != nil {
			guards = append(guards[:len(guards):len(guards)], newFilter(s, st, st.Filter.Text, s.at(st.Filter.At)))
		}
	}
	return out
}

// lintLeaverFilters: the users a leaver's filter turns away must be
// deprovisioned by another leaver, in every app the filtered leaver
// deprovisions for the users it admits. Another leaver covers them when
// each of its own filters is one the turned-away users passed already, or
// the written negation of the one that turned them away.
func (c *compiler) lintLeaverFilters(leavers []*Summary, reaches map[string][]reach) {
	var all []reach
	for _, f := range leavers {
		all = append(all, reaches[f.Name]...)
	}
	idx := newCoverIndex(all)
	type gap struct {
		g       *filter
		leaver  string
		missing map[string]bool
	}
	var gaps []*gap
	byRange := map[diag.Range]*gap{}
	for _, f := range leavers {
		for _, r := range reaches[f.Name] {
			for i, g := range r.guards {
				if idx.coversExcluded(r.instance, r.guards[:i], g) {
					continue
				}
				gp := byRange[g.rng]
				if gp == nil {
					gp = &gap{g: g, leaver: f.Name, missing: map[string]bool{}}
					byRange[g.rng] = gp
					gaps = append(gaps, gp)
				}
				gp.missing[r.instance] = true
			}
		}
	}
	for _, gp := range gaps {
		var apps []string
		for inst := range gp.missing {
			typ := inst
			if con, ok := c.cfg.Connector(inst); ok {
				typ = con.Type.Value
			}
			apps = append(apps, fmt.Sprintf("%s (%s)", inst, typ))
		}
		sort.Strings(apps)
		g := gp.g
		excluded := negation(g.src)
		const advice = "a deactivated user there keeps those accounts; cover them in another leaver (when: the negation, or no when:), or silence with # jml:ignore leaver-coverage"
		if g.card == nil {
			if slices.Contains(g.flow.TriggerIgnore, "leaver-coverage") {
				continue
			}
			c.warnAt(g.flow, nil, g.rng, "leaver-coverage",
				"leaver %q skips users where %s (its when:), and no other flow triggered by %s deprovisions them from %s; %s",
				g.flow.Name, excluded, leaverEvent, strings.Join(apps, ", "), advice)
			continue
		}
		who := fmt.Sprintf("leaver %q", g.flow.Name)
		if g.flow.Name != gp.leaver {
			who = fmt.Sprintf("flow %q (called by leaver %q)", g.flow.Name, gp.leaver)
		}
		c.warnAt(g.flow, g.card, g.rng, "leaver-coverage",
			"%s stops at this continueIf for users where %s, and no other flow triggered by %s deprovisions them from %s; %s",
			who, excluded, leaverEvent, strings.Join(apps, ", "), advice)
	}
}

// coverIndex finds the reaches that may cover a turned-away user without
// comparing every leaver's reaches with every other's: a reach covers
// only when its first guard (if any) complements the turning filter or is
// one the user passed already, so reaches are indexed by instance and by
// their first guard's range, text and negated text.
type coverIndex map[string]*instanceReaches

type instanceReaches struct {
	// open: some reach of the instance has no guard, so it covers everyone.
	open       bool
	all        []reach
	byRange    map[diag.Range][]int
	byCanon    map[string][]int // event-only first guards, by canon
	byNegCanon map[string][]int // event-only first guards, by canon of their negation
}

func newCoverIndex(all []reach) coverIndex {
	// The maps are made at their size: grown one insert at a time, those
	// of 1,000 leavers were most of a validate's cross-file checks.
	n := map[string]int{}
	for _, o := range all {
		n[o.instance]++
	}
	idx := coverIndex{}
	for _, o := range all {
		ir := idx[o.instance]
		if ir == nil {
			size := n[o.instance]
			ir = &instanceReaches{all: make([]reach, 0, size), byRange: make(map[diag.Range][]int, size),
				byCanon: make(map[string][]int, size), byNegCanon: make(map[string][]int, size)}
			idx[o.instance] = ir
		}
		if len(o.guards) == 0 {
			ir.open = true
			continue
		}
		i := len(ir.all)
		ir.all = append(ir.all, o)
		h := o.guards[0]
		ir.byRange[h.rng] = append(ir.byRange[h.rng], i)
		if h.eventOnly && h.src != "" {
			ir.byCanon[h.canon] = append(ir.byCanon[h.canon], i)
			ir.byNegCanon[h.negCanon] = append(ir.byNegCanon[h.negCanon], i)
		}
	}
	return idx
}

// coversExcluded reports whether some reach deprovisions instance for the
// users that passed the filters before and that g turned away.
func (idx coverIndex) coversExcluded(instance string, before []*filter, g *filter) bool {
	ir := idx[instance]
	if ir == nil {
		return false
	}
	if ir.open {
		return true
	}
	covers := func(cands []int) bool {
		for _, i := range cands {
			ok := true
			for _, h := range ir.all[i].guards {
				if !h.complements(g) && !passed(h, before) {
					ok = false
					break
				}
			}
			if ok {
				return true
			}
		}
		return false
	}
	if g.eventOnly && g.src != "" && (covers(ir.byNegCanon[g.canon]) || covers(ir.byCanon[g.negCanon])) {
		return true
	}
	for _, b := range before {
		if covers(ir.byRange[b.rng]) {
			return true
		}
		if b.eventOnly && covers(ir.byCanon[b.canon]) {
			return true
		}
	}
	return false
}

// passed reports whether filter h is one of before.
func passed(h *filter, before []*filter) bool {
	for _, b := range before {
		if h.same(b) {
			return true
		}
	}
	return false
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
