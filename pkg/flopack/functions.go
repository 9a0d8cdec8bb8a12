package flopack

import (
	"encoding/json"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// functionCards are the function cards that are one CEL expression of
// their inputs (True/False, Number, List and Text), folded into the
// expressions of the cards that read their outputs, as Compose is. Each
// names, for the report's decisions, how it reads.
var functionCards = map[string]string{
	"boolean.and":         "True/False And, Or and Or (Exclusive) of two inputs are CEL's a && b, a || b and a != b",
	"boolean.or":          "True/False And, Or and Or (Exclusive) of two inputs are CEL's a && b, a || b and a != b",
	"boolean.xor":         "True/False And, Or and Or (Exclusive) of two inputs are CEL's a && b, a || b and a != b",
	"boolean.compare":     "True/False Compare is the condition an If/Else with the same operands would test",
	"control.assignIf":    "Assign If is CEL's cond ? valueIfTrue : valueIfFalse, cond as an If/Else with the same operands would test it",
	"list.length":         "Length of a list or a text is CEL's size() (of a text: its characters, where JavaScript counts UTF-16 units; they differ only beyond the Basic Multilingual Plane)",
	"string.length":       "Length of a list or a text is CEL's size() (of a text: its characters, where JavaScript counts UTF-16 units; they differ only beyond the Basic Multilingual Plane)",
	"list.pluck":          "Pluck is L.map(x, the field, or null where an item has none)",
	"list.includes":       "Includes is CEL's V in L",
	"list.at":             "At with a literal index is the item there, null past the end (a negative index counts from the end, as lodash's nth)",
	"list.filterBy":       "Filter with a path, an operator and a value is L.filter(x, the If/Else condition on the item's field, null where the item has none)",
	"math.add":            "Add, Subtract and Multiply of two numbers are CEL double arithmetic (double(a) + double(b)); a whole result prints without a decimal point, as in Okta",
	"math.subtract":       "Add, Subtract and Multiply of two numbers are CEL double arithmetic (double(a) + double(b)); a whole result prints without a decimal point, as in Okta",
	"math.multiply":       "Add, Subtract and Multiply of two numbers are CEL double arithmetic (double(a) + double(b)); a whole result prints without a decimal point, as in Okta",
	"math.ceil":           "Round Up is math.ceil(double(a))",
	"string.toLowerCase":  "To Lower Case is CEL's lowerAscii(): letters beyond ASCII are kept as written, where Okta lowers them too",
	"string.base64":       "Base64 and Base64 Decode are CEL's base64.encode(bytes(T)) and string(base64.decode(T)) (the standard alphabet, padded)",
	"string.base64Decode": "Base64 and Base64 Decode are CEL's base64.encode(bytes(T)) and string(base64.decode(T)) (the standard alphabet, padded)",
	"string.replace":      "Replace of a literal text with no character a regular expression reads specially (letters only when case sensitive) is CEL's T.replace(SRC, DEST), its first occurrence only (T.replace(SRC, DEST, 1)) unless global: such a text reads the same whether Okta's card takes it literally or as a pattern",
}

// unaryCards are the function cards of one input: its key, and the CEL
// of its expression (%s).
var unaryCards = map[string]struct{ in, format string }{
	"list.length":         {"list", "size(%s)"},
	"string.length":       {"string", "size(string(%s))"},
	"math.ceil":           {"a", "math.ceil(double(%s))"},
	"string.toLowerCase":  {"string", "string(%s).lowerAscii()"},
	"string.base64":       {"string", "base64.encode(bytes(string(%s)))"},
	"string.base64Decode": {"string", "string(base64.decode(string(%s)))"},
}

// functionCard translates a card of functionCards: its outputs become the
// expression, and it writes no card.
func (t *ftr) functionCard(c *Card) (*yaml.Node, string) {
	name := c.Module + "." + c.Method
	arg := func(key string) (string, string) { return t.inputExpr(c, key) }
	var e, why string
	if u, ok := unaryCards[name]; ok {
		if why = onlyInputs(c, u.in); why != "" {
			return nil, why
		}
		x, why := arg(u.in)
		if why != "" {
			return nil, why
		}
		e = fmt.Sprintf(u.format, x)
	}
	switch name {
	case "boolean.and", "boolean.or", "boolean.xor":
		a, b, why := t.operands(c)
		if why != "" {
			return nil, why
		}
		op := map[string]string{"boolean.and": "&&", "boolean.or": "||", "boolean.xor": "!="}[name]
		e = fmt.Sprintf("(bool(%s) %s bool(%s))", a, op, b)
	case "boolean.compare":
		if e, why = t.cond(c); why != "" {
			return nil, why
		}
		e = "(" + e + ")"
	case "control.assignIf":
		cond, why := t.cond(c)
		if why != "" {
			return nil, why
		}
		yes, why := arg("valueIfTrue")
		if why != "" {
			return nil, why
		}
		no, why := arg("valueIfFalse")
		if why != "" {
			return nil, why
		}
		e = fmt.Sprintf("((%s) ? dyn(%s) : dyn(%s))", cond, yes, no)
	case "list.pluck":
		l, why := arg("list")
		if why != "" {
			return nil, why
		}
		key, why := literalText(t, c, "key")
		if why != "" {
			return nil, why
		}
		e = fmt.Sprintf("%s.map(x, %s)", l, orNull(t.itemPath(c, "list", key)))
	case "list.includes":
		l, why := arg("list")
		if why != "" {
			return nil, why
		}
		v, why := arg("value")
		if why != "" {
			return nil, why
		}
		e = fmt.Sprintf("(%s in %s)", v, l)
	case "list.at":
		l, why := arg("list")
		if why != "" {
			return nil, why
		}
		f := t.input(c, "index")
		if f == nil || isPinned(t, c, f) {
			return nil, "a connected index is not imported (only a literal)"
		}
		n, ok := f.Value.(json.Number)
		i, err := n.Int64()
		if !ok || err != nil {
			return nil, fmt.Sprintf("index %v is not a whole number", f.Value)
		}
		if i >= 0 {
			e = fmt.Sprintf("(size(%s) > %d ? dyn(%s[%d]) : null)", l, i, l, i)
		} else {
			e = fmt.Sprintf("(size(%s) >= %d ? dyn(%s[size(%s) - %d]) : null)", l, -i, l, l, -i)
		}
	case "list.filterBy":
		l, why := arg("list")
		if why != "" {
			return nil, why
		}
		path, why := literalText(t, c, "path")
		if why != "" {
			return nil, why
		}
		ops, why := literalText(t, c, "operator")
		if why != "" {
			return nil, why
		}
		var re string
		cmp := t.input(c, "comparison")
		if cmp != nil && operators[ops] != "" {
			if re, why = t.expr(c, cmp, ""); why != "" {
				return nil, why
			}
		}
		le, re := t.loose(c, orNull(t.itemPath(c, "list", path)), ops, re, cmp)
		test, why := compare(le, ops, re, cmp != nil)
		if why != "" {
			return nil, why
		}
		e = fmt.Sprintf("%s.filter(x, %s)", l, test)
	case "string.replace":
		if e, why = t.replaceCard(c); why != "" {
			return nil, why
		}
	case "math.add", "math.subtract", "math.multiply":
		a, b, why := t.operands(c)
		if why != "" {
			return nil, why
		}
		op := map[string]string{"math.add": "+", "math.subtract": "-", "math.multiply": "*"}[name]
		e = fmt.Sprintf("(double(%s) %s double(%s))", a, op, b)
	default:
		if _, ok := unaryCards[name]; !ok {
			return nil, "not a function card jml folds into an expression"
		}
	}
	for _, o := range c.Outputs {
		t.outExpr[c.ID+"/"+o.ID] = e
	}
	t.im.decide("%s", functionCards[name])
	return nil, ""
}

// replaceCard is the CEL of Okta's Replace (inputs string, src, dest,
// global, sensitive). Okta's reference does not say whether src is
// literal text or a pattern: only a src that reads the same either way
// (no character a regular expression reads specially) is imported, and
// one with letters only when the card is case sensitive.
func (t *ftr) replaceCard(c *Card) (string, string) {
	if why := onlyInputs(c, "string", "src", "dest", "global", "sensitive"); why != "" {
		return "", why
	}
	in, why := t.inputExpr(c, "string")
	if why != "" {
		return "", why
	}
	src, why := literalText(t, c, "src")
	if why != "" {
		return "", why
	}
	if strings.ContainsAny(src, `\^$.|?*+()[]{}`) {
		return "", fmt.Sprintf("src %q has a character a regular expression reads specially (Okta's reference does not say whether src is a pattern)", src)
	}
	flag := func(key string, def bool) (bool, string) {
		f := t.input(c, key)
		if f == nil || f.Value == nil && !isPinned(t, c, f) {
			return def, ""
		}
		b, ok := f.Value.(bool)
		if !ok || isPinned(t, c, f) {
			return false, fmt.Sprintf("%s: only a literal true or false is imported", key)
		}
		return b, ""
	}
	global, why := flag("global", false)
	if why != "" {
		return "", why
	}
	sensitive, why := flag("sensitive", true)
	if why != "" {
		return "", why
	}
	if !sensitive && strings.ToLower(src) != strings.ToUpper(src) {
		return "", fmt.Sprintf("a replace of %q that is not case sensitive is not imported", src)
	}
	dest := `""`
	if f := t.input(c, "dest"); f != nil {
		if dest, why = t.expr(c, f, ""); why != "" {
			return "", why
		}
		if !isPinned(t, c, f) && f.Value == nil {
			dest = `""`
		}
	}
	if global {
		return fmt.Sprintf("string(%s).replace(%q, string(%s))", in, src, dest), ""
	}
	return fmt.Sprintf("string(%s).replace(%q, string(%s), 1)", in, src, dest), ""
}

// itemPath is the field path of an item x of card c's input list: the
// field of jml's record (fieldPath) when the list is an app card's
// output (Okta's user, Office 365's licence), the key as Okta wrote it
// otherwise (a list another card built, a helper's input).
func (t *ftr) itemPath(c *Card, list, key string) string {
	if f := t.input(c, list); f != nil {
		if src, ok := t.in[c.ID][f.ID]; ok && !src.card.Kernel && src.card.Module != "" {
			return fieldPath("x", key)
		}
	}
	if isIdent(key) {
		return "x." + key
	}
	return "x[" + strconv.Quote(key) + "]"
}

// inputExpr is the expression of card c's input key ("no KEY" when the
// card has none).
func (t *ftr) inputExpr(c *Card, key string) (string, string) {
	f := t.input(c, key)
	if f == nil {
		return "", "no " + key
	}
	return t.expr(c, f, "")
}

// onlyInputs says why card c, which has inputs besides keys, is not
// imported (an extensible card given a third operand); "" when it has
// none.
func onlyInputs(c *Card, keys ...string) string {
	for _, f := range customInputs(c, keys...) {
		return fmt.Sprintf("input %q: only %s are imported", f.Key, strings.Join(keys, ", "))
	}
	return ""
}

// operands are the expressions of a two-operand card's a and b; a card
// given a third operand (they are extensible) is not imported.
func (t *ftr) operands(c *Card) (a, b, why string) {
	if why = onlyInputs(c, "a", "b"); why != "" {
		return "", "", why
	}
	if a, why = t.inputExpr(c, "a"); why != "" {
		return "", "", why
	}
	b, why = t.inputExpr(c, "b")
	return a, b, why
}

// literalText is the text of input key of card c, which must be written
// on the card (not connected).
func literalText(t *ftr, c *Card, key string) (string, string) {
	f := t.input(c, key)
	if f == nil {
		return "", "no " + key
	}
	if isPinned(t, c, f) {
		return "", fmt.Sprintf("a connected %s is not imported (only a literal)", key)
	}
	s, ok := f.Value.(string)
	if !ok || s == "" {
		return "", fmt.Sprintf("%s %v is not a text", key, f.Value)
	}
	return s, ""
}

var selection = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)+$`)

// orNull is the field path of an item (fieldPath), or null where the item
// has no such field: lodash's pluck gives undefined there, where CEL's
// selection fails.
func orNull(path string) string {
	if selection.MatchString(path) {
		return fmt.Sprintf("(has(%s) ? dyn(%s) : null)", path, path)
	}
	if base, key, ok := strings.Cut(path, "["); ok && strings.HasSuffix(key, "]") && !strings.Contains(base, "[") {
		key = strings.TrimSuffix(key, "]")
		return fmt.Sprintf("(%s in %s ? dyn(%s) : null)", key, base, path)
	}
	return path
}

// mapCard translates a List Map or a Filter Custom card whose helper flow
// only computes a value: Okta calls the helper for each item and makes
// the new list of what its Return gives (Map), or of the items for which
// it returns true (Filter Custom: "a single value of the true/false type
// -- either True (to include that item in the resulting list) or False";
// https://help.okta.com/en/prod/Content/Topics/Workflows/function-reference/List/list_filter.htm).
// jml's forEach gives no list of results, but a helper whose cards all
// fold into an expression of its inputs is that expression, so the new
// list is L.map(x, {its Return's values by name}), or L.filter(x, VALUE
// == true). A helper with a card that acts (or any card the import cannot
// fold) is called once an item (actingMap); a Return of nothing leaves
// the card a todo.
func (t *ftr) mapCard(c *Card) (*yaml.Node, string) {
	filter := c.Method == "filter"
	le, why := t.inputExpr(c, "list")
	if why != "" {
		return nil, why
	}
	ref := t.input(c, "flo")
	if _, why := t.flowRef(ref); why != "" {
		return nil, why
	}
	id, _ := ref.Value.(string)
	helper := t.im.flowByID[id]
	// The helper's inputs are the card's inputs of the same key: the list
	// item is x.
	start := func(sub *ftr, o *Field) {
		k := sub.root.ID + "/" + o.ID
		f := t.input(c, o.Key)
		if f == nil || f.Key == "flo" || f.Key == "list" || f.Key == "concurrency" {
			sub.outerWhy[k] = fmt.Sprintf("the %s card passes no %q", c.Name, o.Key)
			return
		}
		if e, why := t.expr(c, f, "x"); why == "" {
			sub.outExpr[k] = e
		} else {
			sub.outerWhy[k] = why
		}
	}
	mapped := map[string]string{}
	// The helper is translated on its own too (its own file): what its
	// translation here notes in the import's report is not kept.
	missing := maps.Clone(t.im.rep.Missing)
	decisions := slices.Clone(t.im.rep.Decisions)
	what := "Map's helper"
	if filter {
		what = "Filter Custom's helper"
	}
	outputs := slices.Clone(t.outputs)
	steps, sub, why := t.inlineFlow(c, helper, what, start, mapped)
	t.im.rep.Missing, t.im.rep.Decisions, t.outputs = missing, decisions, outputs
	if why != "" {
		return nil, why
	}
	keys := slices.Sorted(maps.Keys(mapped))
	if len(keys) == 0 && len(sub.rep.Todo) > 0 {
		// Its Return is a todo (it reads a card not imported): the helper
		// is called as one that acts, and halts at its todo; its file
		// declares the Return's outputs.
		keys = returnKeys(helper)
	}
	if len(keys) == 0 {
		if filter || len(steps.Content) == 0 && len(sub.rep.Todo) == 0 {
			return nil, "its helper flow returns nothing"
		}
		// A Map used as a For Each: its helper acts and returns nothing.
		return t.actingMap(c, le, ref, nil)
	}
	if filter && len(keys) > 1 {
		return nil, fmt.Sprintf("its helper flow returns %d values (Filter Custom reads one, true or false)", len(keys))
	}
	if len(steps.Content) > 0 || len(sub.rep.Todo) > 0 {
		return t.actingMap(c, le, ref, keys)
	}
	if filter {
		for _, v := range mapped {
			for _, o := range c.Outputs {
				t.outExpr[c.ID+"/"+o.ID] = fmt.Sprintf("%s.filter(x, (%s) == true)", le, v)
			}
		}
		t.im.decide("%s", filterTrue)
		t.im.decide("Filter Custom whose helper flow only computes a value is L.filter(x, VALUE == true), the helper's cards folded into an expression of the item")
		return nil, ""
	}
	var fields []string
	for _, k := range keys { // mapped's, sorted: a todo Return went to actingMap above
		fields = append(fields, strconv.Quote(k)+": "+mapped[k])
	}
	for _, o := range c.Outputs {
		t.outExpr[c.ID+"/"+o.ID] = fmt.Sprintf("%s.map(x, {%s})", le, strings.Join(fields, ", "))
	}
	t.im.decide("Map whose helper flow only computes values is L.map(x, {KEY: VALUE}): each item of the new list an object of what the helper's Return gives, by name (Okta's templates read it so, with a Pluck of the name), the helper's cards folded into expressions of the item")
	return nil, ""
}

// returnKeys are the names of the values the Return cards of flow fl
// give, sorted.
func returnKeys(fl *Flow) []string {
	var keys []string
	for _, k := range fl.Cards {
		if k.Kernel && k.Module == "control" && k.Method == "return" {
			for _, f := range customInputs(k) {
				if !slices.Contains(keys, f.Key) {
					keys = append(keys, f.Key)
				}
			}
		}
	}
	slices.Sort(keys)
	return keys
}

// filterTrue is the decision of what a Filter Custom's helper must return
// to keep an item (Okta's reference names true and false only).
const filterTrue = "Filter Custom keeps an item when its helper returns true; any other value (false, null, a text \"true\") drops it: Okta's reference names only True and False"

// actingMap translates a Map or a Filter Custom whose helper flow runs
// cards (an action, a card the import cannot fold into an expression):
// the helper is called once an item, in item order, by a forEach without
// concurrency, and what each call returns (Map), or the item when the
// call returns true (Filter Custom), is appended to a var, the card's
// output. The steps:
//
//	steps:
//	  - assign: {NAME: "[]"}
//	  - forEach: LIST
//	    as: item
//	    do:
//	      - {id: CALL, call: HELPER, with: {…}}
//	      - assign: {NAME: 'vars.NAME + [{"KEY": steps.CALL.output.KEY, …}]'}
//	        # Filter Custom: 'steps.CALL.output.KEY == true ? vars.NAME + [item] : vars.NAME'
//
// One item at a time because items run concurrently each see the vars as
// they were when the loop started (their assignments are applied after
// it, the last one winning): a list built so would keep one item. The
// card's concurrency is therefore dropped.
func (t *ftr) actingMap(c *Card, list string, ref *Field, keys []string) (*yaml.Node, string) {
	switch c.OnError {
	case "", "finish":
	default:
		return nil, fmt.Sprintf("its error policy %q on a list card whose helper runs cards is not imported", c.OnError)
	}
	target, why := t.flowRef(ref)
	if why != "" {
		return nil, why
	}
	with, why := t.callWith(c, ref, "item", "list", "flo", "concurrency")
	if why != "" {
		return nil, why
	}
	name := t.stepID(c)
	call := unique(ident(c.Name+" call", "call"), t.stepIDs)
	callN := mapping("id", call, "call", target)
	if len(with.Content) > 0 {
		set(callN, "with", with)
	}
	if len(keys) == 0 {
		// The helper returns nothing: Okta's reference does not say what
		// the new list then holds, so a card reading it is a todo.
		for _, o := range c.Outputs {
			t.outerWhy[c.ID+"/"+o.ID] = fmt.Sprintf("%s output %q is not imported: its helper flow returns nothing (Okta's reference does not say what the new list then holds)", cardLabel(c), o.Key)
		}
		t.im.decide("Map whose helper flow runs cards and returns nothing (a Map used as a For Each) calls it once an item, in order (a forEach without concurrency); a card reading its new list is a todo")
		return mapping("forEach", list, "as", "item", "do", seq(callN)), ""
	}
	var fields []string
	for _, k := range keys {
		fields = append(fields, strconv.Quote(k)+": steps."+call+".output."+ident(k, "value"))
	}
	add := mapping("assign", mapping(name, fmt.Sprintf("vars.%s + [{%s}]", name, strings.Join(fields, ", "))))
	if c.Method == "filter" {
		add = mapping("assign", mapping(name, fmt.Sprintf("steps.%s.output.%s == true ? vars.%s + [item] : vars.%s", call, ident(keys[0], "value"), name, name)))
	}
	loop := mapping("forEach", list, "as", "item", "do", seq(callN, add))
	t.after = append(t.after, loop)
	for _, o := range c.Outputs {
		t.outExpr[c.ID+"/"+o.ID] = "vars." + name
	}
	if c.Method == "filter" {
		t.im.decide("%s", filterTrue)
		t.im.decide("Filter Custom whose helper flow runs cards calls it once an item, in order (a forEach without concurrency: its concurrency is dropped), and appends the item to a var, the card's output, when the call returns true")
		return mapping("assign", mapping(name, "[]")), ""
	}
	t.im.decide("Map whose helper flow runs cards calls it once an item, in order (a forEach without concurrency), and appends what each call returns, an object by name, to a var: the Map's output")
	return mapping("assign", mapping(name, "[]")), ""
}
