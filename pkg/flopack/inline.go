package flopack

import (
	"fmt"

	"gopkg.in/yaml.v3"
)

// tryCatch translates an If Error card: the flow Okta keeps in its "flo"
// input becomes try:, its error-handler flow (policy.error.flo) catch:.
// A handler that does nothing becomes a catch that does nothing (the
// error is ignored, as in Okta).
func (t *ftr) tryCatch(c *Card) (*yaml.Node, string) {
	body := t.input(c, "flo")
	if body == nil {
		return nil, "runs no flow"
	}
	h, handler := c.Policy["flo"]
	handler = handler && c.OnError == "handler"
	// Both inner flows are checked before either is translated, so that a
	// card left as a todo counts none of its inner cards.
	if why := inlineWhy(body.Value, "try"); why != "" {
		return nil, why
	}
	if why := inlineWhy(h, "error-handler"); handler && why != "" {
		return nil, why
	}
	try, why := t.inline(c, body.Value, "try")
	if why != "" {
		return nil, why
	}
	catch := seq()
	if handler {
		if catch, why = t.inline(c, h, "error-handler"); why != "" {
			return nil, why
		}
	}
	if len(catch.Content) == 0 {
		// jml wants a non-empty catch; continueIf: true does nothing, as
		// an empty branch of a switch does.
		noop := mapping("continueIf", plain("true", "!!bool"))
		noop.HeadComment = "Okta's error flow does nothing: the failure is ignored."
		catch.Content = append(catch.Content, noop)
		t.im.decide("If Error whose error flow does nothing becomes try: with catch: [{continueIf: true}] (a failure is ignored, as in Okta)")
	}
	return mapping("try", try, "catch", catch), ""
}

// inline translates a flow Okta keeps inside card c. Its start card's
// outputs are c's inputs of the same key (and, in an error handler,
// error); its cards share the flow's step ids, output expressions and
// report.
func (t *ftr) inline(c *Card, v any, what string) (*yaml.Node, string) {
	return t.inlineWith(c, v, what, nil)
}

// inlineWith is inline whose start card's outputs are given by start
// (when not nil) rather than by c's inputs.
func (t *ftr) inlineWith(c *Card, v any, what string, start func(sub *ftr, o *Field)) (*yaml.Node, string) {
	fl, err := Inline(v, what)
	if err != nil {
		return nil, "its " + what + " flow is malformed: " + err.Error()
	}
	steps, sub, why := t.inlineFlow(c, fl, what, start, nil)
	if why != "" {
		return nil, why
	}
	// Comments after the inner flow's last card go above the card.
	t.pending = append(t.pending, sub.pending...)
	t.rep.Cards += sub.rep.Cards - 1 // the start card is not one
	t.rep.Translated += sub.rep.Translated
	t.rep.Todo = append(t.rep.Todo, sub.rep.Todo...)
	return steps, ""
}

// inlineFlow translates flow fl as a flow kept inside card c (inline),
// and returns its steps and its translator, whose report the caller
// accounts for. With mapped, its Return's values are not a return: they
// are put in mapped, by key (a Map's helper, whose value is an item of
// the new list).
func (t *ftr) inlineFlow(c *Card, fl *Flow, what string, start func(sub *ftr, o *Field), mapped map[string]string) (*yaml.Node, *ftr, string) {
	cp := *fl // the flow's cards and edges are filtered below, in a copy
	fl = &cp
	// A Return with nothing to return is where Okta draws the end of the
	// inner flow; in jml the list just ends.
	ends := map[string]bool{}
	cards := fl.Cards[:0:0]
	for _, k := range fl.Cards {
		if k.Kernel && k.Module == "control" && k.Method == "return" && len(customInputs(k)) == 0 {
			ends[k.ID] = true
			continue
		}
		cards = append(cards, k)
	}
	fl.Cards = cards
	edges := fl.Edges[:0:0]
	for _, e := range fl.Edges {
		if !ends[e.From] && !ends[e.To] {
			edges = append(edges, e)
		}
	}
	fl.Edges = edges
	sub := &ftr{im: t.im, f: t.f, byID: map[string]*Card{}, next: map[string][]string{},
		in: map[string]map[string]source{}, outExpr: t.outExpr, stepIDs: t.stepIDs,
		visited: map[string]bool{}, outer: map[string]string{}, outerWhy: map[string]string{}, eventObj: t.eventObj,
		returnVars: t.branchVars, mapped: mapped}
	sub.index(fl)
	if sub.root == nil {
		return nil, nil, "its " + what + " flow has no start card"
	}
	for _, o := range sub.root.Outputs {
		if start != nil {
			start(sub, o)
			continue
		}
		if o.Group == "context" && o.Key == "error" {
			sub.outExpr[sub.root.ID+"/"+o.ID] = "error"
			continue
		}
		f := t.input(c, o.Key)
		if f == nil || f.Key == "flo" {
			continue
		}
		k := sub.root.ID + "/" + o.ID
		if src, ok := t.in[c.ID][f.ID]; ok && src.out != nil {
			sub.outer[k] = "from " + src.card.Name + " → " + src.out.Key
		}
		if e, why := t.expr(c, f, ""); why == "" {
			sub.outExpr[k] = e
		} else {
			sub.outerWhy[k] = why
		}
	}
	sub.visited[sub.root.ID] = true
	steps, _ := sub.sequence(sub.succ(sub.root.ID))
	for _, k := range fl.Cards {
		if !sub.visited[k.ID] && !structural(k) && k != sub.root {
			if n := sub.offChain(k, what+" flow's"); n != nil {
				steps.Content = append(steps.Content, n)
			}
		}
	}
	// A Return inside (an If Error's catch, say) ends the helper: its
	// outputs are the helper's.
	for _, o := range sub.outputs {
		t.declareOutput(o)
	}
	return steps, sub, ""
}

// inlineWhy says why the flow v kept inside a card cannot be translated
// ("" when it can).
func inlineWhy(v any, what string) string {
	fl, err := Inline(v, what)
	if err != nil {
		return "its " + what + " flow is malformed: " + err.Error()
	}
	for _, k := range fl.Cards {
		if k.Kernel && k.Module == "control" && k.Method == "callable" {
			return ""
		}
	}
	return "its " + what + " flow has no start card"
}

// offChain accounts for a card no chain of the flow reaches: an Object
// Expand card (which Okta never runs as a step) is folded into the
// expressions that read it; any other card is a todo, returned.
func (t *ftr) offChain(c *Card, flow string) *yaml.Node {
	if isExpand(c) {
		why := t.expand(c)
		if why == "" {
			t.rep.Translated++
			return nil
		}
		return t.todo(c, why)
	}
	return t.todo(c, "not connected to the "+flow+" chain of cards")
}

func isExpand(c *Card) bool { return c.Kernel && c.Module == "object" && c.Method == "expand" }

// expand folds an object.expand card into field selections. Okta's editor
// adds one, hidden and never run ("executable": false), when an object
// output is opened to its fields: its input "object" is the object, and
// each pair of outputs in one group is "key" (the path, a list of field
// names) and "value" (the field). Each value output becomes fieldPath of
// the object's expression along the path, as Get Multiple's fields are.
// The result is kept: a card is expanded once, whoever asks first.
func (t *ftr) expand(c *Card) string {
	if t.expanded == nil {
		t.expanded = map[string]string{}
	}
	if why, ok := t.expanded[c.ID]; ok {
		return why
	}
	t.expanded[c.ID] = "its object comes from itself (a cycle)"
	why := t.expandOnce(c)
	t.expanded[c.ID] = why
	return why
}

func (t *ftr) expandOnce(c *Card) string {
	obj := t.input(c, "object")
	if obj == nil {
		return "no object"
	}
	oe, why := t.expr(c, obj, "")
	if why != "" {
		return why
	}
	event := ""
	if src, ok := t.in[c.ID][obj.ID]; ok && src.out != nil {
		event = t.eventObj[src.card.ID+"/"+src.out.ID]
	}
	paths := map[string][]string{}
	for _, o := range c.Outputs {
		if o.Key != "key" {
			continue
		}
		l, _ := o.Value.([]any)
		for _, p := range l {
			s, ok := p.(string)
			if !ok || s == "" {
				return fmt.Sprintf("output group %q has a path that is not a list of field names", o.Group)
			}
			paths[o.Group] = append(paths[o.Group], s)
		}
	}
	for _, o := range c.Outputs {
		if o.Key != "value" {
			continue
		}
		p, ok := paths[o.Group]
		if !ok {
			continue // no path: a card reading it is a todo
		}
		e := oe
		if event != "" {
			if e, why = eventPath(event, p); why != "" {
				return why
			}
		}
		for _, s := range p {
			if event == "" {
				e = fieldPath(e, s)
			}
		}
		t.outExpr[c.ID+"/"+o.ID] = e
	}
	t.im.decide("Okta's hidden Object Expand cards (an object output opened to its fields) are folded into field selections, read as Get Multiple's fields are")
	return ""
}

// eventEach translates a For Each walking the events an Okta event card
// hands its flow (the newer event cards: the card's collection output),
// with its body a flow kept inside the card. jml runs a flow once per
// event, so the body's cards run in place, the start card's outputs being
// the run's event (eventField). For Each - Ignore Errors: a failure of the
// body is ignored, as Okta ignores an item's error: try/catch.
func (t *ftr) eventEach(c *Card, body *Field) (*yaml.Node, string) {
	if c.Method != "asyncEach" {
		return nil, "a For Each over the events (not Ignore Errors) is not imported yet"
	}
	if why := inlineWhy(body.Value, "For Each"); why != "" {
		return nil, why
	}
	steps, why := t.inlineWith(c, body.Value, "For Each", func(sub *ftr, o *Field) {
		k := sub.root.ID + "/" + o.ID
		switch {
		case o.Group == "context" && o.Key == "execution_id":
			sub.outExpr[k] = "run.id"
		case eventObject[o.Key] != "":
			sub.outExpr[k] = eventObject[o.Key]
			sub.eventObj[k] = o.Key
		case eventField[o.Key] != "":
			sub.outExpr[k] = eventField[o.Key]
		default:
			sub.outerWhy[k] = fmt.Sprintf("the event's %q is not imported", o.Key)
		}
	})
	if why != "" {
		return nil, why
	}
	noop := mapping("continueIf", plain("true", "!!bool"))
	noop.HeadComment = "For Each - Ignore Errors: a failure of the event's cards is ignored."
	t.im.decide("For Each over the events of an Okta event card (its collection) runs its cards in place: jml runs the flow once per event, whose fields (Okta User, Actor, Changed Attributes…) are user, event.actor, changed…; Ignore Errors is try: with catch: [{continueIf: true}]")
	return mapping("try", steps, "catch", seq(noop)), ""
}
