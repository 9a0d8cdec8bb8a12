package compile

import (
	"strings"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/jml-dev/jml/pkg/ast"
	"github.com/jml-dev/jml/pkg/catalog"
	"github.com/jml-dev/jml/pkg/diag"
	"github.com/jml-dev/jml/pkg/expr"
)

// None marks an absent edge.
const None = -1

// Graph is a compiled repository: every flow's card graph.
type Graph struct {
	Config *ast.Config
	// Flows by name.
	Flows map[string]*Flow
	// Names are the flow names, sorted.
	Names []string
	// Env is the expression environment the programs were compiled in.
	Env *expr.Env
}

// Stats counts what a compile checked.
func (g *Graph) Stats() (flows, cards int) {
	for _, f := range g.Flows {
		flows++
		cards += len(f.Nodes)
	}
	return flows, cards
}

// Trigger is a compiled trigger.
type Trigger struct {
	Kind ast.TriggerKind
	// Events are the event types or globs of an event trigger.
	Events []string
	// When is the optional event filter.
	When *expr.Program
	Cron string
	// Schedule is the parsed cron expression of a schedule trigger.
	Schedule cron.Schedule
	Timezone *time.Location
	Path     string
}

// VarDef is one compiled vars: or assign: entry.
type VarDef struct {
	Name  string
	Prog  *expr.Program
	Range diag.Range
}

// Flow is one compiled flow.
type Flow struct {
	Name string
	AST  *ast.Flow
	// Digest is "sha256:HEX" over the flow file's raw bytes.
	Digest  string
	Enabled bool
	Trigger Trigger
	Vars    []VarDef
	// Entry is the first node of steps.
	Entry int
	// Nodes holds every card of the flow in document order (pre-order).
	Nodes []*Node
	// Calls are the helper flows this flow calls, sorted.
	Calls []string
	// ErrorFlows are the flows named by onError: {flow: …}, sorted.
	ErrorFlows []string
	// ReadsProfile is set when a run of the flow may read the event
	// user's Okta profile beyond the event's own fields (user.profile.X for
	// X other than login and email), in the flow or in a helper or
	// error-handler flow it reaches: the engine then reads the profile
	// once per run (okta.getUser) in every mode.
	ReadsProfile bool
	// WhenReadsProfile is set when trigger.when itself reads the profile:
	// the read comes before the filter, so a run filtered by it is still
	// recorded (with its read).
	WhenReadsProfile bool
	readsProfile     bool
}

// CanDeprovision reports whether a run of the flow can reach an action
// that takes access away from a user, directly or through the helper and
// error-handler flows it calls.
func (g *Graph) CanDeprovision(name string) bool {
	seen := map[string]bool{}
	var walk func(string) bool
	walk = func(n string) bool {
		f := g.Flows[n]
		if f == nil || seen[n] {
			return false
		}
		seen[n] = true
		for _, node := range f.Nodes {
			if node.Action != nil && node.Action.Deprovision {
				return true
			}
		}
		for _, c := range append(append([]string{}, f.Calls...), f.ErrorFlows...) {
			if walk(c) {
				return true
			}
		}
		return false
	}
	return walk(name)
}

// markProfileReads sets ReadsProfile on every flow whose runs may read
// the profile, through the helper and error-handler flows they reach.
func (g *Graph) markProfileReads() {
	for _, name := range g.Names {
		seen := map[string]bool{}
		var walk func(string) bool
		walk = func(n string) bool {
			f := g.Flows[n]
			if f == nil || seen[n] {
				return false
			}
			seen[n] = true
			if f.readsProfile {
				return true
			}
			for _, c := range append(append([]string{}, f.Calls...), f.ErrorFlows...) {
				if walk(c) {
					return true
				}
			}
			return false
		}
		g.Flows[name].ReadsProfile = walk(name)
	}
}

// DefaultMaxDeprovisions is guardrails.maxDeprovisionsPerApply when
// jml.yaml does not set it.
const DefaultMaxDeprovisions = 25

// MaxDeprovisions is the guardrail's limit: guardrails.maxDeprovisionsPerApply,
// else DefaultMaxDeprovisions.
func (g *Graph) MaxDeprovisions() int {
	if g.Config != nil && g.Config.Guardrails.MaxDeprovisionsPerApply > 0 {
		return g.Config.Guardrails.MaxDeprovisionsPerApply
	}
	return DefaultMaxDeprovisions
}

// MaxDeprovisionsPerHour is jml serve's limit over a sliding hour:
// guardrails.maxDeprovisionsPerHour, else MaxDeprovisions (a server left
// without a per-hour limit still has the per-apply one, per hour).
func (g *Graph) MaxDeprovisionsPerHour() int {
	if g.Config != nil && g.Config.Guardrails.MaxDeprovisionsPerHour > 0 {
		return g.Config.Guardrails.MaxDeprovisionsPerHour
	}
	return g.MaxDeprovisions()
}

// Action is the catalogue action of an INSTANCE.ACTION of jml.yaml.
func (g *Graph) Action(name string) (*catalog.Action, bool) {
	inst, action, _ := strings.Cut(name, ".")
	if g.Config == nil {
		return nil, false
	}
	for _, c := range g.Config.Connectors {
		if c.Name.Value == inst {
			if conn, ok := catalog.Lookup(c.Type.Value); ok {
				return conn.Action(action)
			}
			return nil, false
		}
	}
	return nil, false
}

// Subject returns, for an INSTANCE.ACTION that deprovisions, the input
// naming the person it takes access from (the guardrail's count).
func (g *Graph) Subject(name string) (string, bool) {
	a, ok := g.Action(name)
	if !ok || !a.Deprovision {
		return "", false
	}
	return a.Subject, true
}

// ProfileInstance is the okta instance the engine reads user profiles
// from: the one named "okta", else the first okta instance of jml.yaml;
// "" when there is none (user.profile then holds only login and email,
// from the event).
func (g *Graph) ProfileInstance() string {
	if g.Config == nil {
		return ""
	}
	first := ""
	for _, c := range g.Config.Connectors {
		if c.Type.Value != "okta" {
			continue
		}
		if c.Name.Value == "okta" {
			return "okta"
		}
		if first == "" {
			first = c.Name.Value
		}
	}
	return first
}

// Scopes returns, per instance of a type whose token requests carry
// scopes (google, okta), the OAuth scopes the actions the flows use there
// need (catalog.ScopesFor): what connector.Options.Scopes takes.
func (g *Graph) Scopes() map[string][]string {
	if g == nil {
		return map[string][]string{}
	}
	var sums []*Summary
	for _, f := range g.Flows {
		s := summarize(f)
		sums = append(sums, &s)
	}
	return scopes(g.Config, usedActions(sums))
}

// scopes is Scopes of the actions used, per instance.
func scopes(cfg *ast.Config, used map[string][]string) map[string][]string {
	out := map[string][]string{}
	if cfg == nil {
		return out
	}
	for _, c := range cfg.Connectors {
		if typ := c.Type.Value; catalog.RequestsScopes(typ) {
			if s := catalog.ScopesFor(typ, used[c.Name.Value]); len(s) > 0 {
				out[c.Name.Value] = s
			}
		}
	}
	return out
}

// IsHelper reports whether the flow is a helper (callable by call:).
func (f *Flow) IsHelper() bool { return f.Trigger.Kind == ast.TriggerHelper }

// Node returns the node with index i, or nil for None.
func (f *Flow) Node(i int) *Node {
	if i < 0 || i >= len(f.Nodes) {
		return nil
	}
	return f.Nodes[i]
}

// NodeByID returns the node whose card has id.
func (f *Flow) NodeByID(id string) *Node {
	for _, n := range f.Nodes {
		if n.StepID == id {
			return n
		}
	}
	return nil
}

// Case is one switch arm.
type Case struct {
	Value string
	Entry int
}

// RetryPolicy is a card's compiled retry (SPEC §8). Attempts is 1 when the
// card has no retry.
type RetryPolicy struct {
	Attempts    int
	Interval    time.Duration
	Backoff     float64
	MaxInterval time.Duration
	Jitter      time.Duration
}

// Node is one card of the graph.
type Node struct {
	Index int
	Kind  ast.CardKind
	Card  *ast.Card
	// Path locates the card in its flow: steps[2].try[0]. It is stable
	// across runs and part of idempotency keys.
	Path   string
	StepID string
	Range  diag.Range
	// Next is the following card in the same list; None at the end of a
	// list, where control returns to the enclosing card.
	Next int
	// Parent is the enclosing card; None at the top level.
	Parent int

	// Action cards.
	Instance      string
	ConnectorType string
	Action        *catalog.Action
	// Call cards.
	Callee string
	// Inputs of action and call cards.
	With *Value

	// Cond is the expression of if, switch, forEach and continueIf.
	Cond       *expr.Program
	Then, Else int
	Cases      []Case
	Default    int
	As         string
	Body       int
	// Concurrency of forEach bodies (1: in order).
	Concurrency int
	Assign      []VarDef
	Try, Catch  int
	Return      *Value
	Halt        *Value

	Retry     RetryPolicy
	Timeout   time.Duration
	OnError   ast.OnErrorKind
	ErrorFlow string
}

// TemplatePart is a literal or a compiled expression of a template.
type TemplatePart struct {
	Lit  string
	Prog *expr.Program
}

// Value is compiled YAML data under with:, return: and halt:.
type Value struct {
	Kind   ast.ValueKind
	Range  diag.Range
	Scalar any
	List   []*Value
	Keys   []string
	Map    []*Value
	// Parts is set on strings that hold ${{ }}; Single when the string is
	// exactly one expression and takes its type.
	Parts  []TemplatePart
	Single bool
}

// Get returns a map entry of a Value by key.
func (v *Value) Get(key string) (*Value, bool) {
	if v == nil {
		return nil, false
	}
	for i, k := range v.Keys {
		if k == key {
			return v.Map[i], true
		}
	}
	return nil, false
}
