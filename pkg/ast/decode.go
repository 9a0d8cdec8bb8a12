package ast

import (
	"fmt"
	"strconv"

	"gopkg.in/yaml.v3"

	"github.com/jml-dev/jml/pkg/source"
)

type decoder struct{ f *source.File }

func (d decoder) str(n *yaml.Node) String {
	n = source.Resolve(n)
	if n == nil {
		return String{}
	}
	return String{Value: n.Value, Range: d.f.Range(n), Node: n}
}

func (d decoder) expr(n *yaml.Node) *Expr {
	n = source.Resolve(n)
	if n == nil || n.Kind != yaml.ScalarNode {
		return nil
	}
	e := &Expr{Src: n.Value, Range: d.f.Range(n), Node: n}
	switch n.ShortTag() {
	case "!!bool", "!!int", "!!float":
		e.Literal = true
		if v, ok := source.Scalar(n).(bool); ok {
			e.Src = strconv.FormatBool(v)
		}
	case "!!null":
		e.Literal = true
		e.Src = "null"
	}
	return e
}

func (d decoder) value(n *yaml.Node) *Value {
	n = source.Resolve(n)
	if n == nil {
		return nil
	}
	v := &Value{Range: d.f.Range(n), Node: n}
	switch n.Kind {
	case yaml.MappingNode:
		v.Kind = Map
		for _, p := range source.Pairs(n) {
			v.Map = append(v.Map, Entry{Key: d.str(p[0]), Value: d.value(p[1])})
		}
	case yaml.SequenceNode:
		v.Kind = List
		for _, c := range n.Content {
			v.List = append(v.List, d.value(c))
		}
	case yaml.ScalarNode:
		v.Scalar = source.Scalar(n)
		switch v.Scalar.(type) {
		case nil:
			v.Kind = Null
		case bool:
			v.Kind = Bool
		case int64, float64:
			v.Kind = Number
		default:
			v.Kind = Str
		}
	}
	return v
}

func (d decoder) boolean(n *yaml.Node, def bool) bool {
	n = source.Resolve(n)
	if n == nil || n.Kind != yaml.ScalarNode {
		return def
	}
	if b, ok := source.Scalar(n).(bool); ok {
		return b
	}
	return def
}

func (d decoder) integer(n *yaml.Node) int {
	n = source.Resolve(n)
	if n == nil {
		return 0
	}
	switch v := source.Scalar(n).(type) {
	case int64:
		return int(v)
	case float64:
		return int(v)
	}
	return 0
}

func (d decoder) number(n *yaml.Node) float64 {
	n = source.Resolve(n)
	if n == nil {
		return 0
	}
	switch v := source.Scalar(n).(type) {
	case int64:
		return float64(v)
	case float64:
		return v
	}
	return 0
}

func (d decoder) params(n *yaml.Node) []Param {
	var ps []Param
	for _, p := range source.Pairs(n) {
		v := source.Resolve(p[1])
		ps = append(ps, Param{
			Name:        d.str(p[0]),
			Type:        scalarOr(source.Get(v, "type"), "any"),
			Required:    d.boolean(source.Get(v, "required"), false),
			Description: scalarOr(source.Get(v, "description"), ""),
		})
	}
	return ps
}

func (d decoder) vars(n *yaml.Node) []Var {
	var vs []Var
	for _, p := range source.Pairs(n) {
		e := d.expr(p[1])
		if e == nil {
			e = &Expr{Range: d.f.Range(p[1]), Node: source.Resolve(p[1])}
		}
		vs = append(vs, Var{Name: d.str(p[0]), Expr: *e})
	}
	return vs
}

func scalarOr(n *yaml.Node, def string) string {
	if n == nil || n.Kind != yaml.ScalarNode {
		return def
	}
	return n.Value
}

// DecodeFlow decodes a kind: Flow document.
func DecodeFlow(f *source.File) *Flow {
	d := decoder{f}
	root := f.Root
	fl := &Flow{File: f, Range: f.Range(root), Enabled: true}
	fl.Name = d.str(source.Get(root, "name"))
	fl.Description = scalarOr(source.Get(root, "description"), "")
	fl.Enabled = d.boolean(source.Get(root, "enabled"), true)
	fl.Trigger = d.trigger(source.Get(root, "trigger"))
	fl.Inputs = d.params(source.Get(root, "inputs"))
	fl.Outputs = d.params(source.Get(root, "outputs"))
	fl.Vars = d.vars(source.Get(root, "vars"))
	fl.Steps = d.cards(source.Get(root, "steps"))
	return fl
}

func (d decoder) trigger(n *yaml.Node) Trigger {
	t := Trigger{Range: d.f.Range(n)}
	if n == nil {
		return t
	}
	if ev := source.Get(n, "event"); ev != nil {
		t.Kind = TriggerEvent
		if ev.Kind == yaml.SequenceNode {
			for _, c := range ev.Content {
				t.Events = append(t.Events, d.str(c))
			}
		} else {
			t.Events = []String{d.str(ev)}
		}
		t.When = d.expr(source.Get(n, "when"))
	}
	if s := source.Get(n, "schedule"); s != nil {
		t.Kind = TriggerSchedule
		t.Cron = d.str(source.Get(s, "cron"))
		t.Timezone = d.str(source.Get(s, "timezone"))
	}
	if source.Get(n, "helper") != nil {
		t.Kind = TriggerHelper
	}
	if h := source.Get(n, "http"); h != nil {
		t.Kind = TriggerHTTP
		t.Path = d.str(source.Get(h, "path"))
	}
	return t
}

func (d decoder) cards(n *yaml.Node) []*Card {
	n = source.Resolve(n)
	if n == nil || n.Kind != yaml.SequenceNode {
		return nil
	}
	cards := make([]*Card, 0, len(n.Content))
	for _, c := range n.Content {
		if card := d.card(source.Resolve(c)); card != nil {
			cards = append(cards, card)
		}
	}
	return cards
}

// KindOf returns the kind keys present on a card mapping.
func KindOf(n *yaml.Node) []CardKind {
	var kinds []CardKind
	for _, k := range CardKinds {
		if source.Key(n, string(k)) != nil {
			kinds = append(kinds, k)
		}
	}
	return kinds
}

func (d decoder) card(n *yaml.Node) *Card {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	c := &Card{Range: d.f.Range(n), Node: n}
	if kinds := KindOf(n); len(kinds) > 0 {
		c.Kind = kinds[0]
	}
	c.ID = d.str(source.Get(n, "id"))
	c.Name = scalarOr(source.Get(n, "name"), "")
	switch c.Kind {
	case CardAction:
		c.Action = d.str(source.Get(n, "action"))
		c.With = d.value(source.Get(n, "with"))
	case CardCall:
		c.Call = d.str(source.Get(n, "call"))
		c.With = d.value(source.Get(n, "with"))
	case CardIf:
		c.Cond = d.expr(source.Get(n, "if"))
		c.Then = d.cards(source.Get(n, "then"))
		c.Else = d.cards(source.Get(n, "else"))
	case CardSwitch:
		c.Cond = d.expr(source.Get(n, "switch"))
		for _, p := range source.Pairs(source.Get(n, "cases")) {
			c.Cases = append(c.Cases, Case{Value: d.str(p[0]), Cards: d.cards(p[1])})
		}
		c.Default = d.cards(source.Get(n, "default"))
	case CardForEach:
		c.Cond = d.expr(source.Get(n, "forEach"))
		c.As = d.str(source.Get(n, "as"))
		c.Do = d.cards(source.Get(n, "do"))
		c.Concurrency = d.integer(source.Get(n, "concurrency"))
	case CardAssign:
		c.Assign = d.vars(source.Get(n, "assign"))
	case CardTry:
		c.Try = d.cards(source.Get(n, "try"))
		c.Catch = d.cards(source.Get(n, "catch"))
	case CardContinueIf:
		c.Cond = d.expr(source.Get(n, "continueIf"))
	case CardReturn:
		c.Return = d.value(source.Get(n, "return"))
	case CardHalt:
		c.Halt = d.value(source.Get(n, "halt"))
	}
	if r := source.Get(n, "retry"); r != nil {
		c.Retry = &Retry{
			Range:       d.f.Range(r),
			Attempts:    d.integer(source.Get(r, "attempts")),
			Interval:    d.str(source.Get(r, "interval")),
			Backoff:     d.number(source.Get(r, "backoff")),
			MaxInterval: d.str(source.Get(r, "maxInterval")),
			Jitter:      d.str(source.Get(r, "jitter")),
		}
	}
	c.Timeout = d.str(source.Get(n, "timeout"))
	c.OnError = OnError{Kind: OnErrorHalt}
	if oe := source.Get(n, "onError"); oe != nil {
		c.OnError.Range = d.f.Range(oe)
		if oe.Kind == yaml.MappingNode {
			c.OnError.Kind = OnErrorFlow
			c.OnError.Flow = d.str(source.Get(oe, "flow"))
		} else {
			c.OnError.Kind = OnErrorKind(oe.Value)
		}
	}
	return c
}

// DecodeConfig decodes a kind: Config document.
func DecodeConfig(f *source.File) *Config {
	d := decoder{f}
	root := f.Root
	c := &Config{File: f}
	c.Flows = d.str(source.Get(root, "flows"))
	c.History = d.str(source.Get(root, "history"))
	c.Guardrails.MaxDeprovisionsPerApply = d.integer(source.Get(source.Get(root, "guardrails"), "maxDeprovisionsPerApply"))
	c.Guardrails.MaxDeprovisionsPerHour = d.integer(source.Get(source.Get(root, "guardrails"), "maxDeprovisionsPerHour"))
	if sv := source.Resolve(source.Get(root, "serve")); sv != nil {
		c.Serve = Serve{Path: d.str(source.Get(sv, "path")), AuthHeader: d.str(source.Get(sv, "authHeader")),
			AuthSecret: source.Get(sv, "authSecret"), MaxBodyBytes: d.integer(source.Get(sv, "maxBodyBytes")),
			Workers: d.integer(source.Get(sv, "workers"))}
	}
	if tp := source.Resolve(source.Get(root, "temporal")); tp != nil {
		c.Temporal = Temporal{HostPort: d.str(source.Get(tp, "hostPort")), Namespace: d.str(source.Get(tp, "namespace")),
			TaskQueue: d.str(source.Get(tp, "taskQueue")), APIKey: source.Get(tp, "apiKey")}
		if t := source.Resolve(source.Get(tp, "tls")); t != nil {
			c.Temporal.TLS = &TemporalTLS{CAFile: d.str(source.Get(t, "caFile")), CertFile: d.str(source.Get(t, "certFile")),
				ServerName: d.str(source.Get(t, "serverName")), Key: source.Get(t, "key"), Node: t}
		}
	}
	for _, p := range source.Pairs(source.Get(root, "connectors")) {
		v := source.Resolve(p[1])
		c.Connectors = append(c.Connectors, Connector{
			Name:    d.str(p[0]),
			Type:    d.str(source.Get(v, "type")),
			BaseURL: d.str(source.Get(v, "baseURL")),
			// Only the literal true: a string "true" is a schema error.
			AllowInsecure: d.boolean(source.Get(v, "allowInsecure"), false),
			AccountIDFrom: d.str(source.Get(v, "accountIdFrom")),
			Node:          v,
		})
	}
	return c
}

// Path renders a card path like steps[2].try[0] for messages and
// idempotency keys.
func Path(parent, field string, i int) string {
	if parent == "" {
		return fmt.Sprintf("%s[%d]", field, i)
	}
	return fmt.Sprintf("%s.%s[%d]", parent, field, i)
}
