package flopack

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/jml-dev/jml/pkg/eventtypes"
	"github.com/jml-dev/jml/pkg/scaffold"
)

// source is where a card's input comes from.
type source struct {
	card *Card
	out  *Field
	pin  Pin
}

// ftr translates one flow.
type ftr struct {
	im      *importer
	f       *Flow
	byID    map[string]*Card
	next    map[string][]string          // card → successors, by edge id
	in      map[string]map[string]source // card → input id → source
	outExpr map[string]string            // card id + "/" + output id → CEL
	stepIDs map[string]bool
	visited map[string]bool
	root    *Card
	rep     FlowReport
	outputs []string     // helper outputs (Return card inputs)
	pending []string     // comment lines for the next step
	stream  *yaml.Node   // set by an app card's special: the call of a stream
	after   []*yaml.Node // steps a card adds after its own
	// outer describes, in the translator of a flow inside a card, the
	// start card's outputs by the containing card's inputs they stand for
	// ("from Read User → email"); outerWhy says why one has no
	// expression.
	outer, outerWhy map[string]string
	// expanded holds, per object.expand card, why it cannot be folded
	// ("" when it was); a card being expanded is "cycle".
	expanded map[string]string
	// eventObj names, by card id + "/" + output id, the outputs that are
	// an event object ("Okta User", "Actor"): their fields are read by
	// eventField, not by name.
	eventObj map[string]string
	// inputOf maps a helper's input name to its start card's output, and
	// usedRoot holds the start card's outputs an expression read.
	inputOf  map[string]string
	usedRoot map[string]bool
	// returnVars, in the translator of an If/ElseIf branch whose card has
	// outputs, names the var each of its Return's values is assigned to
	// (by the Return input's key): the card's outputs read them.
	// branchVars is what the next branch translated inside this flow gets.
	returnVars, branchVars map[string]string
	// mapped, in the translator of a Map's helper flow, takes its
	// Return's values (by key) in place of a return: card.
	mapped map[string]string
	// item is the CEL name of the current For Each item, while translating
	// the inputs of a For Each's call.
}

func (im *importer) flow(f *Flow) ([]byte, FlowReport) {
	t := &ftr{im: im, f: f, byID: map[string]*Card{}, next: map[string][]string{},
		in: map[string]map[string]source{}, outExpr: map[string]string{}, stepIDs: map[string]bool{},
		visited: map[string]bool{}, eventObj: map[string]string{}, outerWhy: map[string]string{}}
	t.rep = FlowReport{Name: f.Name, File: "flows/" + im.flowSlug[f.ID] + ".yaml"}
	incoming := t.index(f)
	doc := mapping("apiVersion", "jml/v1", "kind", "Flow", "name", im.flowSlug[f.ID])
	doc.HeadComment = "yaml-language-server: $schema=" + scaffold.SchemaBase + "flow.schema.json\nImported by jml import flopack from the Okta Workflows flow " + strconv.Quote(f.Name) + "."
	if d := strings.TrimSpace(f.Description); d != "" {
		set(doc, "description", str(d))
	}
	trigger, inputs := t.trigger()
	if im.triggers == nil {
		im.triggers = map[string]string{}
	}
	im.triggers[f.ID] = t.rep.Trigger
	set(doc, "trigger", trigger)
	if t.rep.Trigger == "event user.account.update_profile" {
		// Okta's card fires on every profile update; jml's lint asks for a
		// when: filter, which the Okta flow does not say.
		doc.Content[len(doc.Content)-2].HeadComment = "Okta's event card fires on every profile update, as this trigger does; add a when: filter\n(e.g. '\"department\" in changed') when the flow cares about some attributes only.\njml:ignore mover-unfiltered (imported as Okta ran it)"
		t.im.decide("flow %q: user.account.update_profile without a when: filter, as in Okta; mover-unfiltered is silenced with a comment saying so", t.f.Name)
	}
	var steps *yaml.Node
	start := ""
	if t.root != nil {
		t.visited[t.root.ID] = true
		start = t.succ(t.root.ID)
	} else {
		// No trigger card: start at the card nothing leads to (a Noop
		// that leads somewhere is where Okta's editor starts such a flow).
		for _, c := range f.Cards {
			startNoop := c.Kernel && c.Method == "noop" && len(t.next[c.ID]) > 0
			if !incoming[c.ID] && (!structural(c) || c.Method == "comment" || startNoop) {
				start = c.ID
				break
			}
		}
	}
	steps, _ = t.sequence(start)
	if len(t.pending) > 0 && len(steps.Content) > 0 {
		steps.Content[len(steps.Content)-1].FootComment = strings.Join(t.pending, "\n")
	}
	if inputs != nil {
		set(doc, "inputs", inputs)
	}
	if len(t.outputs) > 0 && t.rep.Trigger == "helper" { // only a helper declares outputs
		outs := mapping()
		for _, o := range t.outputs {
			set(outs, o, mapping("type", "any"))
		}
		set(doc, "outputs", outs)
	}
	// Cards not reached from the trigger (Okta keeps cards off the chain).
	for _, c := range f.Cards {
		if !t.visited[c.ID] && !structural(c) && c != t.root {
			if n := t.offChain(c, "flow's"); n != nil {
				steps.Content = append(steps.Content, n)
			}
		}
	}
	t.rep.Enabled = len(t.rep.Todo) == 0
	if inputs != nil && t.rep.Enabled {
		// An input Okta's helper declares (a streaming helper always takes
		// Record and State) that none of its cards, all imported, reads:
		// kept, so that callers pass what they passed, with unused-input
		// silenced. (A flow with a todo does not report unused-input.)
		for i := 0; i+1 < len(inputs.Content); i += 2 {
			if k := inputs.Content[i]; !t.usedRoot[t.inputOf[k.Value]] {
				k.HeadComment = "jml:ignore unused-input (Okta's helper flow declares it; its cards do not read it)"
				t.im.decide("helper %q: input %q, which none of its cards reads, is kept (callers pass it) with unused-input silenced", t.f.Name, k.Value)
			}
		}
	}
	if vs := t.im.vars[f.ID]; len(vs) > 0 {
		// Declared only where a card reads it (its reader may be a todo).
		text, _ := yaml.Marshal(steps)
		vars := mapping()
		for _, v := range vs {
			if regexp.MustCompile(`\bvars\.` + regexp.QuoteMeta(v) + `\b`).Match(text) {
				set(vars, v, plain("null", "!!null"))
			}
		}
		if len(vars.Content) > 0 {
			set(doc, "vars", vars)
		}
	}
	if !t.rep.Enabled {
		set(doc, "enabled", plain("false", "!!bool"))
		doc.Content[len(doc.Content)-2].HeadComment = "Disabled: some cards were not imported (see the jml:todo comments)."
	}
	if len(steps.Content) == 0 {
		steps.Content = append(steps.Content, mapping("halt", "not imported: the flow has no cards"))
	}
	set(doc, "steps", steps)
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(doc); err != nil {
		panic(err) // the document is built here; an encoding error is a bug
	}
	enc.Close()
	return b.Bytes(), t.rep
}

// index fills byID, next, in and root from f's cards and edges, counts
// its cards, and returns the cards something leads to.
func (t *ftr) index(f *Flow) map[string]bool {
	incoming := map[string]bool{}
	for _, c := range f.Cards {
		t.byID[c.ID] = c
		if !structural(c) {
			t.rep.Cards++
		}
	}
	for _, e := range f.Edges { // sorted by id
		if e.From == e.To {
			continue
		}
		t.next[e.From] = append(t.next[e.From], e.To)
		incoming[e.To] = true
	}
	for _, c := range f.Cards {
		outs := map[string]*Field{}
		for _, o := range c.Outputs {
			outs[o.ID] = o
		}
		for _, p := range c.Pins {
			if t.in[p.Card] == nil {
				t.in[p.Card] = map[string]source{}
			}
			t.in[p.Card][p.Input] = source{card: c, out: outs[p.Output], pin: p}
		}
	}
	for _, c := range f.Cards {
		if c.Kernel && c.Module == "control" && c.Method == "callable" || isEventCard(c) || isEndpointCard(c) {
			t.root = c
		}
	}
	return incoming
}

// succ is the card after id on the chain: the first successor that is
// not a Join, else the Join (a branch's end), else "".
func (t *ftr) succ(id string) string {
	join := ""
	for _, n := range t.next[id] {
		if c := t.byID[n]; c != nil && isJoin(c) {
			if join == "" {
				join = n
			}
			continue
		}
		return n
	}
	return join
}

// sequence translates the chain from start up to a Join (returned) or
// the end.
func (t *ftr) sequence(start string) (*yaml.Node, string) {
	steps := seq()
	for cur := start; cur != ""; {
		c := t.byID[cur]
		if isJoin(c) {
			return steps, cur
		}
		if t.visited[cur] {
			break
		}
		t.visited[cur] = true
		switch {
		case c.Kernel && c.Method == "comment":
			for _, s := range []string{c.Title, c.Markdown} {
				for _, l := range strings.Split(strings.TrimSpace(s), "\n") {
					if l = strings.TrimRight(l, " \r"); l != "" {
						t.pending = append(t.pending, l)
					}
				}
			}
		case c.Kernel && c.Method == "noop":
		default:
			for _, n := range t.card(c) {
				if len(t.pending) > 0 {
					n.HeadComment = strings.Join(append(t.pending, n.HeadComment), "\n")
					n.HeadComment = strings.TrimRight(n.HeadComment, "\n")
					t.pending = nil
				}
				steps.Content = append(steps.Content, n)
			}
		}
		if len(c.Branches) > 0 {
			if j := t.branchJoin(c); j != "" {
				t.visited[j] = true
				cur = t.succ(j)
				continue
			}
		}
		cur = t.succ(cur)
	}
	return steps, ""
}

// branchJoin is the Join where the branches of c meet.
func (t *ftr) branchJoin(c *Card) string {
	for _, b := range sortedKeys(c.Branches) {
		seen := map[string]bool{}
		for cur := b; cur != "" && !seen[cur]; {
			seen[cur] = true
			if n := t.byID[cur]; n != nil && isJoin(n) {
				return cur
			}
			cur = t.succ(cur)
		}
	}
	return ""
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

func (t *ftr) stepID(c *Card) string {
	return unique(ident(c.Name, "step"), t.stepIDs)
}

// trigger is the flow's trigger and, for a helper, its inputs.
func (t *ftr) trigger() (*yaml.Node, *yaml.Node) {
	c := t.root
	switch {
	case c == nil:
		t.rep.Trigger = "helper"
		t.im.decide("flow %q has no trigger card: imported as a helper (run it with call:)", t.f.Name)
		return mapping("helper", flowMap()), nil
	case isEndpointCard(c):
		return t.endpoint(c), nil
	case !c.Kernel:
		typ, ok := eventFor[c.Method]
		if ok {
			if _, known := eventtypes.Lookup(typ); !known {
				ok = false
			}
		}
		if !ok {
			t.rep.Trigger = "helper"
			t.todoNote(c, "event card with no Okta event type jml knows")
			return mapping("helper", flowMap()), nil
		}
		t.rep.Trigger = "event " + typ
		t.rep.Translated++
		t.registerEvent(c)
		n := mapping("event", typ)
		n.Content[0].HeadComment = "Okta card: " + cardLabel(c)
		return n, nil
	case t.f.Scheduled && t.f.Cron != nil:
		cr := t.f.Cron
		dom := cr.DayOfMonth
		if dom == "*/1" {
			dom = "*"
		}
		cron := strings.Join([]string{orStar(cr.Minutes), orStar(cr.Hours), orStar(dom), orStar(cr.Month), orStar(cr.DayOfWeek)}, " ")
		tz := cr.TimeZone
		if tz == "" {
			tz = "UTC"
		}
		t.rep.Trigger = "schedule " + cron + " " + tz
		t.rep.Translated++
		for _, o := range c.Outputs {
			if o.Key == "execution_time" {
				t.outExpr[c.ID+"/"+o.ID] = "run.startedAt"
			}
		}
		if cr.Seconds != "" && cr.Seconds != "0" && cr.Seconds != "00" {
			t.im.decide("flow %q: the schedule's seconds (%s) are dropped: jml's cron has minutes", t.f.Name, cr.Seconds)
		}
		s := mapping("cron", cron, "timezone", tz)
		s.Style = yaml.FlowStyle
		return mapping("schedule", s), nil
	default:
		t.rep.Trigger = "helper"
		t.rep.Translated++
		inputs := mapping()
		for _, o := range c.Outputs {
			switch {
			case o.Custom:
				name := ident(o.Key, "input")
				t.outExpr[c.ID+"/"+o.ID] = "inputs." + name
				typ := jmlType(o)
				if typ != "object" && t.readAsObject(c, o) {
					// Okta's loose typing lets an object through a text
					// field; a card reading fields of it says what it is.
					typ = "object"
					t.im.decide("helper %q: input %q, %s in Okta, is typed object: an Object card reads its fields", t.f.Name, name, o.Type)
				}
				in := mapping("type", typ)
				in.Style = yaml.FlowStyle
				if t.inputOf == nil {
					t.inputOf = map[string]string{}
				}
				t.inputOf[name] = o.ID
				if o.Key != name {
					set(in, "description", str("Okta: "+o.Key))
				}
				set(inputs, name, in)
			case o.Key == "execution_time":
				t.outExpr[c.ID+"/"+o.ID] = "run.startedAt"
			case o.Key == "execution_id":
				t.outExpr[c.ID+"/"+o.ID] = "run.id"
			}
		}
		if len(inputs.Content) == 0 {
			inputs = nil
		}
		return mapping("helper", flowMap()), inputs
	}
}

// readAsObject reports whether output o of card c feeds an Object card
// (Get Multiple, Get) that reads fields of it.
func (t *ftr) readAsObject(c *Card, o *Field) bool {
	for _, p := range c.Pins {
		if d := t.byID[p.Card]; p.Output == o.ID && d != nil && d.Kernel && d.Module == "object" {
			return true
		}
	}
	return false
}

func flowMap() *yaml.Node { m := mapping(); m.Style = yaml.FlowStyle; return m }

func orStar(s string) string {
	if s == "" {
		return "*"
	}
	return s
}

func jmlType(f *Field) string {
	if f.Collection {
		return "list"
	}
	switch f.Type {
	case "string", "number", "boolean", "object":
		return f.Type
	}
	return "any"
}

// eventField maps the fields of an event Okta Workflows hands a flow
// (the outputs of an event card, or of the start of the For Each that
// walks the events of the newer event cards) to jml's event scope:
// "Okta User" is the first User target (user), "Actor" the event's actor,
// "Okta Group" (or "Group") the first group target. Changed Attributes is Okta's
// comma-separated text of jml's changed list.
var eventField = map[string]string{
	"Okta User.ID": "user.id", "Okta User.Alternate ID": "user.alternateId", "Okta User.Display Name": "user.displayName", "Okta User.Type": "user.type",
	"Group.ID": "group.id", "Group.Display Name": "group.displayName", "Group.Alternate ID": "group.alternateId", "Group.Type": "group.type",
	"Okta Group.ID": "group.id", "Okta Group.Display Name": "group.displayName", "Okta Group.Alternate ID": "group.alternateId", "Okta Group.Type": "group.type",
	"Actor.ID": "event.actor.id", "Actor.Alternate ID": "event.actor.alternateId", "Actor.Display Name": "event.actor.displayName", "Actor.Type": "event.actor.type",
	"Event Type": "event.eventType", "UUID": "event.uuid", "Event ID": "event.uuid", "Date and Time": "event.published",
	"Event Time": "event.published", "Message": "event.displayMessage", "Changed Attributes": `changed.join(",")`, "Version": "event.version",
}

// eventObject is, for the event objects of eventField, the jml object
// they stand for.
var eventObject = map[string]string{"Okta User": "user", "Okta Group": "group", "Group": "group", "Actor": "event.actor"}

// eventObjectName returns the event object whose jml expression is e
// (user → "Okta User", group → "Group", event.actor → "Actor").
func eventObjectName(e string) (string, bool) {
	for _, name := range []string{"Okta User", "Group", "Actor"} {
		if eventObject[name] == e {
			return name, true
		}
	}
	return "", false
}

// eventFieldExpr reports whether e is the jml expression of one of the
// event's fields (eventField): a text, a time or a list, never an object.
func eventFieldExpr(e string) bool {
	for _, v := range eventField {
		if v == e {
			return true
		}
	}
	return false
}

func (t *ftr) registerEvent(c *Card) {
	for _, o := range c.Outputs {
		switch o.Key {
		case "execution_id":
			t.outExpr[c.ID+"/"+o.ID] = "run.id"
		}
	}
}

// expr is the CEL expression of card c's input f ("" and a reason when
// it cannot be said).
func (t *ftr) expr(c *Card, f *Field, item string) (string, string) {
	if src, ok := t.in[c.ID][f.ID]; ok {
		if src.out == nil {
			return "", fmt.Sprintf("input %q is connected to an unknown output", f.Key)
		}
		e, ok := t.outExpr[src.card.ID+"/"+src.out.ID]
		if !ok && isExpand(src.card) {
			if why := t.expand(src.card); why != "" {
				return "", fmt.Sprintf("input %q comes from %s, which was not imported: %s", f.Key, cardLabel(src.card), why)
			}
			e, ok = t.outExpr[src.card.ID+"/"+src.out.ID]
		}
		if why, inner := t.outerWhy[src.card.ID+"/"+src.out.ID]; !ok && inner {
			return "", why
		}
		if ok && src.card == t.root {
			if t.usedRoot == nil {
				t.usedRoot = map[string]bool{}
			}
			t.usedRoot[src.out.ID] = true
		}
		if !ok {
			return "", fmt.Sprintf("input %q comes from %s output %q, which was not imported", f.Key, cardLabel(src.card), src.out.Key)
		}
		if name, ok := t.eventObj[src.card.ID+"/"+src.out.ID]; ok && len(src.pin.Path) > 0 {
			return eventPath(name, src.pin.Path)
		}
		for _, p := range src.pin.Path {
			e = fieldPath(e, p)
		}
		return e, ""
	}
	if f.Item != nil && item != "" {
		e := fieldPath(item, *f.Item)
		if f.Type == "string" && !f.Collection && googleNumber[*f.Item] {
			e = "string(" + e + ")"
		}
		if *f.Item == "Device ID" {
			t.im.decide("%s: its item's \"Device ID\" is Google's deviceId, the device's serial number, imported as it is (item.deviceId); "+
				"Delete User Device takes the \"Resource ID\" (resourceId): fed a Device ID, Google answers 404 and no device is removed "+
				"(a For Each - Ignore Errors hides the failure, in Okta and in jml alike: the run goes on). Pass item.resourceId to remove the devices", cardLabel(c))
		}
		return e, ""
	}
	if l, ok := celLiteral(f.Value); ok {
		return l, ""
	}
	return "", fmt.Sprintf("input %q holds a value jml cannot write as an expression", f.Key)
}

// value is the YAML value of an input for with:/return: — a literal, or
// "${{ expr }}".
func (t *ftr) value(c *Card, f *Field, item string) (*yaml.Node, string) {
	if _, pinned := t.in[c.ID][f.ID]; !pinned && !(f.Item != nil && item != "") {
		return literal(f.Value), ""
	}
	e, why := t.expr(c, f, item)
	if why != "" {
		return nil, why
	}
	return str("${{ " + e + " }}"), ""
}

func (t *ftr) input(c *Card, key string) *Field {
	for _, f := range c.Inputs {
		if f.Key == key {
			return f
		}
	}
	return nil
}

func (t *ftr) todoNote(c *Card, why string) {
	t.rep.Todo = append(t.rep.Todo, cardLabel(c)+": "+why)
	t.im.rep.Missing[c.Module+"."+c.Method]++
}

// todo is the halt step standing for a card that was not imported.
// declareOutput adds name to the helper's outputs, once.
func (t *ftr) declareOutput(name string) {
	if !slices.Contains(t.outputs, name) {
		t.outputs = append(t.outputs, name)
	}
}

func (t *ftr) todo(c *Card, why string) *yaml.Node {
	t.todoNote(c, why)
	if c.Kernel && c.Module == "control" && c.Method == "return" && t.returnVars == nil {
		// A Return left as a todo still declares its outputs: the flows
		// that call this one read them, and must validate (this one is
		// disabled).
		for _, f := range customInputs(c) {
			t.declareOutput(ident(f.Key, "value"))
		}
	}
	lines := []string{"jml:todo " + cardLabel(c) + ": " + why}
	for _, f := range c.Inputs {
		if f.Group == "context" {
			continue
		}
		v := "(empty)"
		if src, ok := t.in[c.ID][f.ID]; ok {
			v = "from " + src.card.Name
			if src.out != nil {
				v += " → " + src.out.Key
				if d, inner := t.outer[src.card.ID+"/"+src.out.ID]; inner {
					v = d
				}
			}
		} else if f.Item != nil {
			v = "the list item " + strconv.Quote(*f.Item)
		} else if !emptyLiteral(f.Value) {
			b, _ := json.Marshal(f.Value)
			v = string(b)
			if len(v) > 120 {
				v = v[:117] + "..."
			}
		}
		name := f.Key
		if f.Group != "" && f.Group != "parameters" {
			name = f.Group + "." + f.Key
		}
		lines = append(lines, "  "+name+": "+v)
	}
	n := mapping("halt", "not imported: "+cardLabel(c))
	n.HeadComment = strings.Join(lines, "\n")
	return n
}

// eventPath is the jml expression of a field of the event object name.
func eventPath(name string, path []string) (string, string) {
	if len(path) == 1 {
		if e, ok := eventField[name+"."+path[0]]; ok {
			return e, ""
		}
	}
	return "", fmt.Sprintf("the event's %s field %q is not imported", name, strings.Join(path, "."))
}
