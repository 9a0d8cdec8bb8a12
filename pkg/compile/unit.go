package compile

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/jml-dev/jml/pkg/ast"
	"github.com/jml-dev/jml/pkg/diag"
	"github.com/jml-dev/jml/pkg/source"
)

// A repository compiles in two parts (docs/validate.md, "The cache"):
//
//   - each flow on its own, into a Unit: its diagnostics, the warnings of
//     the lint rules that read it alone, and a Summary. Compiling a flow
//     reads its file, jml.yaml and, of the other flows, only their
//     Interface (names, triggers kinds, a helper's inputs and outputs);
//   - the checks across flows (duplicate names, call cycles, http: paths,
//     OAuth scopes, the leaver lints that follow helper calls), which read
//     jml.yaml and the Summaries alone (Check).
//
// Compile does both, and jml validate's cache keeps each Unit, keyed by
// what it depends on, so that a change to one flow compiles that flow only.

// Interface is what compiling a flow reads of another flow of the
// repository: its name, its trigger's kind (a call or onError: names a
// helper, or says what the flow is instead) and a helper's inputs and
// outputs (a call's with: and steps.ID.output.X are checked against them).
type Interface struct {
	Name string          `json:"name"`
	Kind ast.TriggerKind `json:"kind,omitempty"`
	// NameRange is where the name is written: duplicate-flow points at it.
	// No other flow's compile reads it (Digest leaves it out).
	NameRange diag.Range `json:"nameRange"`
	Inputs    []Param    `json:"inputs,omitempty"`
	Outputs   []Param    `json:"outputs,omitempty"`
}

// Param is a helper's input or output, as a call checks it.
type Param struct {
	Name     string `json:"name"`
	Type     string `json:"type,omitempty"`
	Required bool   `json:"required,omitempty"`
}

// InterfaceOf returns the interface of a decoded flow.
func InterfaceOf(a *ast.Flow) Interface {
	in := Interface{Name: a.Name.Value, Kind: a.Trigger.Kind, NameRange: a.Name.Range}
	for _, p := range a.Inputs {
		in.Inputs = append(in.Inputs, Param{Name: p.Name.Value, Type: p.Type, Required: p.Required})
	}
	for _, p := range a.Outputs {
		in.Outputs = append(in.Outputs, Param{Name: p.Name.Value, Type: p.Type, Required: p.Required})
	}
	return in
}

// output returns a helper's declared output by name.
func (in *Interface) output(name string) bool {
	for _, p := range in.Outputs {
		if p.Name == name {
			return true
		}
	}
	return false
}

// InterfacesDigest hashes, in order, everything of the interfaces that
// compiling a flow reads: a Unit compiled with one digest is the Unit of
// any repository whose flows have the same digest (and the flow the same
// file, jml.yaml the same bytes).
func InterfacesDigest(ifaces []Interface) [sha256.Size]byte {
	h := sha256.New()
	var n [8]byte
	str := func(s string) {
		binary.LittleEndian.PutUint64(n[:], uint64(len(s)))
		h.Write(n[:])
		h.Write([]byte(s))
	}
	params := func(ps []Param) {
		binary.LittleEndian.PutUint64(n[:], uint64(len(ps)))
		h.Write(n[:])
		for _, p := range ps {
			str(p.Name)
			str(p.Type)
			str(map[bool]string{true: "required", false: ""}[p.Required])
		}
	}
	binary.LittleEndian.PutUint64(n[:], uint64(len(ifaces)))
	h.Write(n[:])
	for _, in := range ifaces {
		str(in.Name)
		str(string(in.Kind))
		params(in.Inputs)
		params(in.Outputs)
	}
	var sum [sha256.Size]byte
	h.Sum(sum[:0])
	return sum
}

// Unique reports, for each flow in order, whether it is the first flow of
// its name: the one that compiles (a later one is a duplicate-flow error
// and has no Unit).
func Unique(ifaces []Interface) []bool {
	seen := make(map[string]bool, len(ifaces))
	out := make([]bool, len(ifaces))
	for i, in := range ifaces {
		out[i] = !seen[in.Name]
		seen[in.Name] = true
	}
	return out
}

// Unit is what compiling one flow found, apart from the checks across
// flows.
type Unit struct {
	// Diags are the flow's compile diagnostics.
	Diags diag.Diagnostics `json:"diags,omitempty"`
	// Lint holds the warnings of the lint rules that read this flow alone
	// (Check reports them only when the repository has no error); none
	// when the flow has errors.
	Lint    diag.Diagnostics `json:"lint,omitempty"`
	Summary Summary          `json:"summary"`
}

// Summary is what the checks across flows read of a compiled flow.
type Summary struct {
	Name string `json:"name"`
	// File is the flow file's display path: where its Locs are.
	File    string          `json:"file"`
	Kind    ast.TriggerKind `json:"kind,omitempty"`
	Enabled bool            `json:"enabled,omitempty"`
	// Events are an event trigger's event types (or patterns).
	Events  []string `json:"events,omitempty"`
	Trigger Loc      `json:"trigger"`
	// Path is an http: trigger's path.
	Path *Span `json:"path,omitempty"`
	// Zone is a schedule's timezone: as it was written: what compile
	// looked up in the system's time-zone database.
	Zone string `json:"zone,omitempty"`
	// Cards counts the flow's cards.
	Cards int `json:"cards"`
	// Steps are the cards the checks across flows follow, in document
	// order: every action card the catalogue knows, calls, cards with an
	// onError flow, and top-level continueIf cards with a filter.
	Steps []Step `json:"steps,omitempty"`
	// Ignore holds the check ids a flow-level # jml:ignore silences.
	Ignore []string `json:"ignore,omitempty"`

	// Of a flow triggered by the leaver event only: the ids silenced on
	// its trigger: key, where its enabled: key is, and its when: filter.
	TriggerIgnore []string `json:"triggerIgnore,omitempty"`
	EnabledKey    *Loc     `json:"enabledKey,omitempty"`
	When          *Span    `json:"when,omitempty"`
}

// Span is a text of a flow and where it is written.
type Span struct {
	Text string `json:"text"`
	At   Loc    `json:"at"`
}

// Step is a card as the checks across flows read it.
type Step struct {
	At Loc `json:"at"`
	// Action is the card's action as written (INSTANCE.ACTION), when the
	// catalogue knows it, with the catalogue's verdicts.
	Action        string `json:"action,omitempty"`
	Instance      string `json:"instance,omitempty"`
	ConnectorType string `json:"type,omitempty"`
	Deprovision   bool   `json:"deprovision,omitempty"`
	EndsSessions  bool   `json:"endsSessions,omitempty"`
	RemovesGrant  bool   `json:"removesGrant,omitempty"`
	// Call is a call card's helper, CallAt where it is named.
	Call   string `json:"call,omitempty"`
	CallAt Loc    `json:"callAt,omitzero"`
	// ErrorFlow is the card's onError: {flow: …}.
	ErrorFlow string `json:"errorFlow,omitempty"`
	// Filter is a top-level continueIf's condition (as filterText leaves
	// it).
	Filter *Span `json:"filter,omitempty"`
	// Ignore holds the check ids a # jml:ignore on the card silences.
	Ignore []string `json:"ignore,omitempty"`
}

// summarize returns what the checks across flows read of f.
func summarize(f *Flow) Summary {
	a := f.AST
	s := Summary{Name: f.Name, File: a.File.Path, Kind: f.Trigger.Kind, Enabled: f.Enabled, Events: f.Trigger.Events,
		Cards: len(f.Nodes)}
	s.Trigger = s.loc(a.Trigger.Range)
	root := a.File.Root
	s.Ignore = ignored(root)
	switch f.Trigger.Kind {
	case ast.TriggerHTTP:
		s.Path = &Span{Text: a.Trigger.Path.Value, At: s.loc(a.Trigger.Path.Range)}
	case ast.TriggerSchedule:
		if !a.Trigger.Timezone.IsZero() {
			s.Zone = a.Trigger.Timezone.Value
		}
	}
	if f.onLeaverEvent() {
		s.TriggerIgnore = ignored(source.Get(root, "trigger"))
		if k := source.Key(root, "enabled"); k != nil {
			l := s.loc(a.File.Range(k))
			s.EnabledKey = &l
		}
		if w := a.Trigger.When; w != nil {
			if txt := filterText(w.Src); txt != "" {
				s.When = &Span{Text: txt, At: s.loc(w.Range)}
			}
		}
	}
	// Made at its size: the summaries of every flow are held at once.
	n := 0
	for _, node := range f.Nodes {
		if _, ok := s.step(node); ok {
			n++
		}
	}
	if n > 0 {
		s.Steps = make([]Step, 0, n)
	}
	for _, node := range f.Nodes {
		if st, ok := s.step(node); ok {
			s.Steps = append(s.Steps, st)
		}
	}
	return s
}

// step returns a card of s as a Step, if it is one the checks across
// flows follow.
func (s *Summary) step(n *Node) (Step, bool) {
	st := Step{At: s.loc(n.Range)}
	keep := false
	if n.Kind == ast.CardAction && n.Action != nil {
		st.Action, st.Instance, st.ConnectorType = n.Card.Action.Value, n.Instance, n.ConnectorType
		st.Deprovision, st.EndsSessions, st.RemovesGrant = n.Action.Deprovision, n.Action.EndsSessions, n.Action.RemovesGrant
		keep = true
	}
	if n.Kind == ast.CardCall {
		st.Call, st.CallAt = n.Callee, s.loc(n.Card.Call.Range)
		keep = true
	}
	if n.ErrorFlow != "" {
		st.ErrorFlow = n.ErrorFlow
		keep = true
	}
	if n.Parent == None && n.Kind == ast.CardContinueIf && n.Card.Cond != nil {
		if txt := filterText(n.Card.Cond.Src); txt != "" {
			st.Filter = &Span{Text: txt, At: s.loc(n.Card.Cond.Range)}
			keep = true
		}
	}
	if keep {
		st.Ignore = ignored(n.Card.Node)
	}
	return st, keep
}

// onLeaverEvent reports whether the flow is triggered by the leaver event,
// enabled or not.
func (s *Summary) onLeaverEvent() bool { return onLeaverEvent(s.Kind, s.Events) }

// isLeaver reports whether the flow is an enabled leaver.
func (s *Summary) isLeaver() bool { return s.Enabled && s.onLeaverEvent() }

// calls are the helpers the flow's call cards name, sorted.
func (s *Summary) calls() []string {
	m := map[string]bool{}
	for _, st := range s.Steps {
		if st.Call != "" {
			m[st.Call] = true
		}
	}
	return sortedKeys(m)
}

// usedActions returns, per instance, the names of the catalogue's actions
// the flows' action cards call there, sorted.
func usedActions(flows []*Summary) map[string][]string {
	seen := map[string]map[string]bool{}
	for _, s := range flows {
		for _, st := range s.Steps {
			if st.Action == "" || st.Instance == "" {
				continue
			}
			// Step.Action is INSTANCE.ACTION as written, and the catalogue
			// knows the action by that name.
			_, name, _ := strings.Cut(st.Action, ".")
			if seen[st.Instance] == nil {
				seen[st.Instance] = map[string]bool{}
			}
			seen[st.Instance][name] = true
		}
	}
	out := map[string][]string{}
	for inst, m := range seen {
		out[inst] = sortedKeys(m)
	}
	return out
}

// UnitStats counts the flows and cards of compiled units (what Graph.Stats
// counts of a graph).
func UnitStats(units []*Unit) (flows, cards int) {
	for _, u := range units {
		if u != nil {
			flows++
			cards += u.Summary.Cards
		}
	}
	return flows, cards
}

// UnitScopes is Graph.Scopes of compiled units.
func UnitScopes(cfg *ast.Config, units []*Unit) map[string][]string {
	var sums []*Summary
	for _, u := range units {
		if u != nil {
			sums = append(sums, &u.Summary)
		}
	}
	return scopes(cfg, usedActions(sums))
}

// Loc is a range of a summary: in the summary's file (Summary.File), as
// its JSON says it in few bytes — [line, column], or [line, column, end
// line, end column] — or, which summarize does not meet, a range
// elsewhere or none (the zero diag.Range), in diag.Range's JSON.
type Loc struct {
	Start, End diag.Pos
	// Elsewhere is a range not in the summary's file.
	Elsewhere *diag.Range
}

// loc returns r as a Loc of s.
func (s *Summary) loc(r diag.Range) Loc {
	if r.File != s.File || r.File == "" {
		e := r // only this copy escapes: r stays on the stack
		return Loc{Elsewhere: &e}
	}
	return Loc{Start: r.Start, End: r.End}
}

// at returns the range of a Loc of s.
func (s *Summary) at(l Loc) diag.Range {
	if l.Elsewhere != nil {
		return *l.Elsewhere
	}
	return diag.Range{File: s.File, Start: l.Start, End: l.End}
}

// MarshalJSON writes [line, column] or [line, column, end line, end
// column], or a range elsewhere as diag.Range.
func (l Loc) MarshalJSON() ([]byte, error) {
	if l.Elsewhere != nil {
		return json.Marshal(*l.Elsewhere)
	}
	b := []byte{'['}
	b = strconv.AppendInt(b, int64(l.Start.Line), 10)
	b = append(b, ',')
	b = strconv.AppendInt(b, int64(l.Start.Column), 10)
	if l.End != (diag.Pos{}) {
		b = append(b, ',')
		b = strconv.AppendInt(b, int64(l.End.Line), 10)
		b = append(b, ',')
		b = strconv.AppendInt(b, int64(l.End.Column), 10)
	}
	return append(b, ']'), nil
}

// UnmarshalJSON reads what MarshalJSON writes.
func (l *Loc) UnmarshalJSON(b []byte) error {
	if len(b) == 0 || b[0] != '[' {
		*l = Loc{Elsewhere: &diag.Range{}}
		return json.Unmarshal(b, l.Elsewhere)
	}
	var n [4]int
	k := 0
	for _, f := range strings.Split(string(b[1:len(b)-1]), ",") {
		v, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || k == len(n) {
			return fmt.Errorf("compile: bad Loc %s", b)
		}
		n[k] = v
		k++
	}
	if k != 2 && k != 4 {
		return fmt.Errorf("compile: bad Loc %s", b)
	}
	*l = Loc{Start: diag.Pos{Line: n[0], Column: n[1]}, End: diag.Pos{Line: n[2], Column: n[3]}}
	return nil
}
