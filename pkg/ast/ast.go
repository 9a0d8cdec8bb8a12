package ast

import (
	"gopkg.in/yaml.v3"

	"github.com/jml-dev/jml/pkg/diag"
	"github.com/jml-dev/jml/pkg/source"
)

// String is a scalar with its position.
type String struct {
	Value string
	Range diag.Range
	Node  *yaml.Node
}

// IsZero reports whether the string was absent.
func (s String) IsZero() bool { return s.Node == nil }

// Expr is a bare CEL expression written as a YAML scalar (when, if, switch,
// forEach, continueIf, vars.*, assign.*).
type Expr struct {
	Src   string
	Range diag.Range
	Node  *yaml.Node
	// Literal is set when the YAML scalar was a number, boolean or null
	// rather than a string: CEL source text equal to the literal.
	Literal bool
}

// ValueKind is the kind of a data value under with:, return: and halt:.
type ValueKind int

// The value kinds.
const (
	Null ValueKind = iota
	Bool
	Number
	Str
	List
	Map
)

// Value is YAML data in which strings may hold ${{ EXPR }} templates.
type Value struct {
	Kind   ValueKind
	Range  diag.Range
	Node   *yaml.Node
	Scalar any // bool, int64, float64 or string for scalars
	List   []*Value
	Map    []Entry
}

// Entry is one key of a Map value.
type Entry struct {
	Key   String
	Value *Value
}

// Lookup returns the entry of a Map value by key.
func (v *Value) Lookup(key string) (*Value, bool) {
	if v == nil {
		return nil, false
	}
	for _, e := range v.Map {
		if e.Key.Value == key {
			return e.Value, true
		}
	}
	return nil, false
}

// Param declares one input or output of a helper flow.
type Param struct {
	Name        String
	Type        string
	Required    bool
	Description string
}

// Var is one named expression (vars: or assign:).
type Var struct {
	Name String
	Expr Expr
}

// TriggerKind says what fires a flow.
type TriggerKind string

// The trigger kinds.
const (
	TriggerEvent    TriggerKind = "event"
	TriggerSchedule TriggerKind = "schedule"
	TriggerHelper   TriggerKind = "helper"
	TriggerHTTP     TriggerKind = "http"
)

// Trigger is a flow's trigger.
type Trigger struct {
	Kind     TriggerKind
	Range    diag.Range
	Events   []String
	When     *Expr
	Cron     String
	Timezone String
	Path     String
}

// Flow is one kind: Flow document.
type Flow struct {
	File        *source.File
	Range       diag.Range
	Name        String
	Description string
	Enabled     bool
	Trigger     Trigger
	Inputs      []Param
	Outputs     []Param
	Vars        []Var
	Steps       []*Card
}

// Input returns the declared input by name.
func (f *Flow) Input(name string) (*Param, bool) { return findParam(f.Inputs, name) }

// Output returns the declared output by name.
func (f *Flow) Output(name string) (*Param, bool) { return findParam(f.Outputs, name) }

func findParam(ps []Param, name string) (*Param, bool) {
	for i := range ps {
		if ps[i].Name.Value == name {
			return &ps[i], true
		}
	}
	return nil, false
}

// CardKind names what a card does; exactly one kind key is set per card.
type CardKind string

// The card kinds, named by their kind key.
const (
	CardAction     CardKind = "action"
	CardIf         CardKind = "if"
	CardSwitch     CardKind = "switch"
	CardForEach    CardKind = "forEach"
	CardAssign     CardKind = "assign"
	CardTry        CardKind = "try"
	CardCall       CardKind = "call"
	CardContinueIf CardKind = "continueIf"
	CardReturn     CardKind = "return"
	CardHalt       CardKind = "halt"
)

// CardKinds lists every kind key, in the order the docs present them.
var CardKinds = []CardKind{CardAction, CardIf, CardSwitch, CardForEach, CardAssign, CardTry, CardCall, CardContinueIf, CardReturn, CardHalt}

// Case is one arm of a switch card.
type Case struct {
	Value String
	Cards []*Card
}

// Retry is a card's retry policy (see SPEC §8).
type Retry struct {
	Range       diag.Range
	Attempts    int
	Interval    String
	Backoff     float64
	MaxInterval String
	Jitter      String
}

// OnErrorKind says what happens when an action or call card fails.
type OnErrorKind string

// The onError choices; halt is the default.
const (
	OnErrorHalt     OnErrorKind = "halt"
	OnErrorContinue OnErrorKind = "continue"
	OnErrorReturn   OnErrorKind = "return"
	OnErrorFlow     OnErrorKind = "flow"
)

// OnError is a card's error option.
type OnError struct {
	Kind  OnErrorKind
	Flow  String
	Range diag.Range
}

// Card is one item of steps, then, else, cases, default, do, try or catch.
type Card struct {
	Kind  CardKind
	Range diag.Range
	Node  *yaml.Node
	ID    String
	Name  string

	Action String // action: INSTANCE.ACTION
	Call   String // call: FLOW
	With   *Value // action and call inputs

	Cond       *Expr // if, switch, forEach, continueIf
	Then, Else []*Card

	Cases   []Case
	Default []*Card

	As          String
	Do          []*Card
	Concurrency int

	Assign []Var

	Try, Catch []*Card

	Return *Value
	Halt   *Value

	Retry   *Retry
	Timeout String
	OnError OnError
}

// Connector is one instance under jml.yaml's connectors:.
type Connector struct {
	Name    String
	Type    String
	BaseURL String
	// AllowInsecure is allowInsecure: true — credentials may go over
	// plain http:// (a test server on loopback).
	AllowInsecure bool
	// AccountIDFrom is accountIdFrom: the Okta profile attribute, written
	// user.profile.NAME, that holds the user's account id in this app
	// (a GitHub username, a sAMAccountName); jml verify reads it.
	AccountIDFrom String
	Node          *yaml.Node
}

// Config is the kind: Config document (jml.yaml).
type Config struct {
	File       *source.File
	Flows      String
	Connectors []Connector
	History    String
	Guardrails struct {
		MaxDeprovisionsPerApply int
		// MaxDeprovisionsPerHour is jml serve's limit over a sliding hour
		// (0: not set).
		MaxDeprovisionsPerHour int
	}
	// Serve is the serve: section (jml serve's event hook endpoint).
	Serve Serve
	// Temporal is the temporal: section (where jml worker, apply
	// --temporal and serve --temporal connect).
	Temporal Temporal
}

// Temporal is the temporal: section of jml.yaml; its fields are zero (nil)
// when not set.
type Temporal struct {
	HostPort, Namespace, TaskQueue String
	// TLS is the tls: mapping, or nil.
	TLS *TemporalTLS
	// APIKey is the secret reference ({env:} or {file:}), or nil.
	APIKey *yaml.Node
}

// TemporalTLS is temporal.tls of jml.yaml.
type TemporalTLS struct {
	CAFile, CertFile, ServerName String
	// Key is the client key's secret reference, or nil.
	Key *yaml.Node
	// Node is the tls: mapping, for messages.
	Node *yaml.Node
}

// Serve is jml serve's section of jml.yaml.
type Serve struct {
	// Path is the event hook's path ("" when not set).
	Path String
	// AuthHeader is the header the secret comes in ("" when not set).
	AuthHeader String
	// AuthSecret is the secret reference ({env:} or {file:}), or nil.
	AuthSecret *yaml.Node
	// MaxBodyBytes and Workers are 0 when not set.
	MaxBodyBytes int
	Workers      int
}

// Connector returns the connector instance by name.
func (c *Config) Connector(name string) (*Connector, bool) {
	if c == nil {
		return nil, false
	}
	for i := range c.Connectors {
		if c.Connectors[i].Name.Value == name {
			return &c.Connectors[i], true
		}
	}
	return nil, false
}
