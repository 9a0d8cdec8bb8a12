package compile

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/jml-dev/jml/pkg/ast"
	"github.com/jml-dev/jml/pkg/catalog"
	"github.com/jml-dev/jml/pkg/diag"
	"github.com/jml-dev/jml/pkg/eventtypes"
	"github.com/jml-dev/jml/pkg/expr"
	"github.com/jml-dev/jml/pkg/source"
)

// MaxCallDepth bounds nested helper calls at run time; cycles are rejected
// here, at compile time.
const MaxCallDepth = 16

// Compile compiles every flow of a repository. cfg may be nil when the
// repository has no jml.yaml, in which case every action is an unknown
// instance. It compiles each flow into a Unit, as CompileUnits does, and
// runs Check over them: the diagnostics are Check's.
func Compile(cfg *ast.Config, flows []*ast.Flow) (*Graph, diag.Diagnostics) {
	ifaces := make([]Interface, len(flows))
	for i, f := range flows {
		ifaces[i] = InterfaceOf(f)
	}
	c := newCompiler(cfg, ifaces)
	if ds := c.newEnv(); ds != nil {
		return nil, ds
	}
	c.g = &Graph{Config: cfg, Flows: map[string]*Flow{}, Env: c.env}
	units := make([]*Unit, len(flows))
	for i, f := range flows {
		if !c.unique[i] {
			continue
		}
		var cf *Flow
		cf, units[i] = c.unit(f)
		c.g.Flows[cf.Name] = cf
		c.g.Names = append(c.g.Names, cf.Name)
	}
	sort.Strings(c.g.Names)
	c.g.markProfileReads()
	return c.g, Check(cfg, ifaces, units)
}

// CompileUnits compiles each flow whose unit is missing (units[i] nil)
// and that is the first of its name (Unique), into units[i]; flows[i] may
// be nil where units[i] is given. ifaces are the interfaces of every flow
// of the repository, in order. A Unit depends on nothing else: its flow's
// file, jml.yaml (cfg) and InterfacesDigest(ifaces). The diagnostics are
// an internal error's, if any.
func CompileUnits(cfg *ast.Config, ifaces []Interface, flows []*ast.Flow, units []*Unit) diag.Diagnostics {
	c := newCompiler(cfg, ifaces)
	for i := range units {
		if units[i] != nil || !c.unique[i] {
			continue
		}
		if c.env == nil {
			if ds := c.newEnv(); ds != nil {
				return ds
			}
		}
		_, units[i] = c.unit(flows[i])
	}
	return nil
}

// Check runs the checks of a repository over its compiled units (units[i]
// of ifaces[i], nil for a duplicate name): jml.yaml's own checks, duplicate
// flow names, then every unit's diagnostics in order, call cycles, http:
// paths and OAuth scopes; and, when none of those is an error, the lint:
// every unit's warnings and the rules across flows (leaver-order,
// leaver-coverage), by flow name.
func Check(cfg *ast.Config, ifaces []Interface, units []*Unit) diag.Diagnostics {
	c := newCompiler(cfg, ifaces)
	c.checkConfig()
	first := map[string]int{}
	for i, in := range ifaces {
		if c.unique[i] {
			first[in.Name] = i
			continue
		}
		c.ds.Errorf(in.NameRange, "duplicate-flow", "flow name %q is already used by %s", in.Name, ifaces[first[in.Name]].NameRange)
	}
	c.sums = map[string]*Summary{}
	byName := map[string]*Unit{}
	for i, u := range units {
		if u == nil || !c.unique[i] {
			continue
		}
		c.ds.Add(u.Diags...)
		c.sums[u.Summary.Name] = &u.Summary
		byName[u.Summary.Name] = u
		c.names = append(c.names, u.Summary.Name)
	}
	sort.Strings(c.names)
	c.checkCycles()
	c.checkHTTPPaths()
	c.checkScopes()
	if !c.ds.HasErrors() {
		for _, name := range c.names {
			c.ds.Add(byName[name].Lint...)
			if s := c.sums[name]; s.isLeaver() {
				c.lintLeaverOrder(s)
			}
		}
		c.lintLeaverCoverage()
	}
	return c.ds
}

type compiler struct {
	cfg *ast.Config
	env *expr.Env
	// g is Compile's graph (nil in CompileUnits and Check).
	g  *Graph
	ds diag.Diagnostics
	// byName holds the interface of the first flow of each name, unique
	// whether each flow is the first of its name.
	byName     map[string]*Interface
	unique     []bool
	connectors map[string]*catalog.Connector
	// usedInputs holds, per helper flow, the inputs some expression reads.
	usedInputs map[string]map[string]bool
	// reads, when set, records what compiling a flow reads of the
	// others (UnitCompiler).
	reads *Reads
	// sums and names are Check's: the summaries by flow name, and the
	// names sorted.
	sums  map[string]*Summary
	names []string
}

func newCompiler(cfg *ast.Config, ifaces []Interface) *compiler {
	c := &compiler{
		cfg:        cfg,
		byName:     map[string]*Interface{},
		unique:     Unique(ifaces),
		connectors: map[string]*catalog.Connector{},
		usedInputs: map[string]map[string]bool{},
	}
	for i := range ifaces {
		if c.unique[i] {
			c.byName[ifaces[i].Name] = &ifaces[i]
		}
	}
	return c
}

// newEnv builds the expression environment the flows compile in.
func (c *compiler) newEnv() diag.Diagnostics {
	env, err := expr.NewEnv()
	if err != nil {
		var ds diag.Diagnostics
		ds.Errorf(diag.Range{}, "internal", "cannot build the expression environment: %v", err)
		return ds
	}
	c.env = env
	return nil
}

// unit compiles one flow: its own diagnostics, and, when it has no error,
// the warnings of the lint rules that read it alone.
func (c *compiler) unit(a *ast.Flow) (*Flow, *Unit) {
	start := len(c.ds)
	f := c.flow(a)
	u := &Unit{Diags: append(diag.Diagnostics(nil), c.ds[start:]...)}
	c.ds = c.ds[:start]
	if !u.Diags.HasErrors() {
		c.lintFlow(f)
		u.Lint = append(diag.Diagnostics(nil), c.ds[start:]...)
		c.ds = c.ds[:start]
	}
	u.Summary = summarize(f)
	return f, u
}

func (c *compiler) connector(typ string) (*catalog.Connector, bool) {
	if con, ok := c.connectors[typ]; ok {
		return con, con != nil
	}
	con, ok := catalog.Lookup(typ)
	if !ok {
		con = nil
	}
	c.connectors[typ] = con
	return con, ok
}

// secretKeys are auth fields whose values are secrets.
var secretKeys = map[string]bool{"token": true, "password": true, "clientSecret": true, "credentials": true, "privateKey": true, "apiKey": true}

func (c *compiler) checkConfig() {
	if c.cfg == nil {
		return
	}
	f := c.cfg.File
	if h := c.cfg.History; !h.IsZero() && source.URLPassword(h.Value) {
		c.ds.Errorf(h.Range, "literal-secret", "history holds a password, and jml.yaml is committed: give PostgreSQL the password through PGPASSWORD or ~/.pgpass")
	}
	for _, con := range c.cfg.Connectors {
		if !con.BaseURL.IsZero() && source.URLPassword(con.BaseURL.Value) {
			c.ds.Errorf(con.BaseURL.Range, "literal-secret", "connector %q: baseURL holds a password; put credentials under auth: as {env: NAME} or {file: PATH}", con.Name.Value)
		}
		// Secret-looking keys outside auth (headers: {Authorization: …}).
		if h := source.Get(con.Node, "headers"); h != nil {
			for _, p := range source.Pairs(h) {
				k := strings.ToLower(p[0].Value)
				if k == "authorization" || k == "proxy-authorization" || strings.Contains(k, "token") || strings.Contains(k, "api-key") || strings.Contains(k, "secret") {
					c.ds.Errorf(f.Range(p[0]), "literal-secret", "connector %q: header %q carries a credential; configure it under auth: with {env: NAME} or {file: PATH}", con.Name.Value, p[0].Value)
				}
			}
		}
		c.checkInsecure(con)
		c.checkAccountIDFrom(con)
		c.checkTables(con)
		_ = secretKeys
	}
}

// flowCtx is the state of compiling one flow.
type flowCtx struct {
	c      *compiler
	ast    *ast.Flow
	f      *Flow
	file   *source.File
	ids    map[string]int // step id -> node index
	vars   map[string]bool
	helper bool
	// isErrorHandler: named by some onError: {flow: …}, so `error` is in scope.
	errorScope bool
	calls      map[string]bool
	errFlows   map[string]bool
	// used holds the vars some expression reads.
	used map[string]bool
	// usedIn holds the inputs some expression reads.
	usedIn map[string]bool
	// readsProfile: some expression reads the user's Okta profile.
	readsProfile bool
}

func (c *compiler) flow(a *ast.Flow) *Flow {
	sum := sha256.Sum256(a.File.Src)
	f := &Flow{
		Name:    a.Name.Value,
		AST:     a,
		Digest:  "sha256:" + hex.EncodeToString(sum[:]),
		Enabled: a.Enabled,
		Entry:   None,
	}
	fc := &flowCtx{c: c, ast: a, f: f, file: a.File, ids: map[string]int{}, vars: map[string]bool{},
		helper: a.Trigger.Kind == ast.TriggerHelper, calls: map[string]bool{}, errFlows: map[string]bool{}, used: map[string]bool{}}
	// Helper flows may serve as error handlers, which receive `error`.
	fc.errorScope = fc.helper
	fc.trigger()
	if !fc.helper {
		for _, p := range append(append([]ast.Param{}, a.Inputs...), a.Outputs...) {
			c.ds.Errorf(p.Name.Range, "inputs-not-helper", "only helper flows (trigger: {helper: {}}) declare inputs and outputs; %q is never passed to an %s-triggered flow", p.Name.Value, a.Trigger.Kind)
			break
		}
	}
	// Every variable that vars: declares or an assign: card sets.
	for _, v := range a.Vars {
		fc.vars[v.Name.Value] = true
	}
	fc.collectAssigns(a.Steps)
	// Nodes and ids first: references resolve against the whole flow.
	f.Entry = fc.build(a.Steps, "steps", None)
	// vars: in order; a var sees only the vars before it.
	declared := map[string]bool{}
	for _, v := range a.Vars {
		prog := fc.bareExpr(&v.Expr, scope{}, nil, func(r expr.Ref, rng diag.Range) bool {
			if r.Root == "vars" && !declared[r.Name] && fc.declaredInVars(r.Name) {
				c.ds.Errorf(rng, "undefined-var", "vars.%s is used before it is set: vars are evaluated in order, and %q comes later", r.Name, r.Name)
				return true
			}
			return false
		})
		declared[v.Name.Value] = true
		f.Vars = append(f.Vars, VarDef{Name: v.Name.Value, Prog: prog, Range: v.Name.Range})
	}
	fc.compileList(f.Entry, scope{}, nil)
	for _, v := range a.Vars {
		if !fc.used[v.Name.Value] {
			c.ds.Warnf(v.Name.Range, "unused-var", "vars.%s is never read in flow %q", v.Name.Value, f.Name)
		}
	}
	f.Calls = sortedKeys(fc.calls)
	f.ErrorFlows = sortedKeys(fc.errFlows)
	f.readsProfile = fc.readsProfile
	f.WhenReadsProfile = f.Trigger.When != nil && f.Trigger.When.ReadsProfile
	c.usedInputs[f.Name] = fc.usedIn
	return f
}

func (fc *flowCtx) declaredInVars(name string) bool {
	for _, v := range fc.ast.Vars {
		if v.Name.Value == name {
			return true
		}
	}
	return false
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func (fc *flowCtx) collectAssigns(cards []*ast.Card) {
	for _, card := range cards {
		for _, v := range card.Assign {
			fc.vars[v.Name.Value] = true
		}
		for _, l := range [][]*ast.Card{card.Then, card.Else, card.Default, card.Do, card.Try, card.Catch} {
			fc.collectAssigns(l)
		}
		for _, cs := range card.Cases {
			fc.collectAssigns(cs.Cards)
		}
	}
}

func (fc *flowCtx) trigger() {
	c, t := fc.c, fc.ast.Trigger
	ct := Trigger{Kind: t.Kind, Path: t.Path.Value, Cron: t.Cron.Value, Timezone: time.UTC}
	switch t.Kind {
	case ast.TriggerEvent:
		for _, ev := range t.Events {
			ct.Events = append(ct.Events, ev.Value)
			fc.checkEventType(ev)
		}
		if t.When != nil {
			ct.When = fc.bareExpr(t.When, scope{}, nil, func(r expr.Ref, rng diag.Range) bool {
				if r.Root == "vars" || r.Root == "steps" {
					c.ds.Errorf(rng, "undefined-var", "trigger.when decides whether the flow runs, before vars: and steps exist; %s.%s is not available here", r.Root, r.Name)
					return true
				}
				return false
			})
			fc.checkBool(t.When, ct.When, "trigger.when")
		}
	case ast.TriggerSchedule:
		sched, err := cron.ParseStandard(t.Cron.Value)
		if err == nil {
			ct.Schedule = sched
		}
		if err != nil || strings.HasPrefix(strings.TrimSpace(t.Cron.Value), "TZ=") || strings.HasPrefix(strings.TrimSpace(t.Cron.Value), "CRON_TZ=") {
			msg := "put the time zone under timezone:"
			if err != nil {
				msg = err.Error()
			}
			c.ds.Errorf(t.Cron.Range, "invalid-cron", "invalid cron expression %q: %s", t.Cron.Value, msg)
		}
		if !t.Timezone.IsZero() {
			loc, err := time.LoadLocation(t.Timezone.Value)
			if err != nil || t.Timezone.Value == "" || t.Timezone.Value == "Local" {
				c.ds.Errorf(t.Timezone.Range, "invalid-timezone", "unknown time zone %q: use an IANA name such as UTC or Europe/Paris", t.Timezone.Value)
			} else {
				ct.Timezone = loc
			}
		}
	case ast.TriggerHTTP:
		// jml serve serves it at its path (docs/serve.md); the path is
		// checked against the others in checkHTTPPaths (duplicate-http-path).
	}
	fc.f.Trigger = ct
}

func (fc *flowCtx) checkEventType(ev ast.String) {
	c := fc.c
	if eventtypes.IsGlob(ev.Value) {
		if len(eventtypes.Match(ev.Value)) > 0 {
			return
		}
		d := diag.Diagnostic{Severity: diag.Error, Code: "unknown-event-type", Range: ev.Range,
			Message: fmt.Sprintf("event type pattern %q matches no Okta event type", ev.Value)}
		if s, ok := eventtypes.Suggest(ev.Value); ok && s != ev.Value {
			d.Message += fmt.Sprintf("; did you mean %q?", s)
		}
		c.ds.Add(d)
		return
	}
	if _, ok := eventtypes.Lookup(ev.Value); ok {
		return
	}
	d := diag.Diagnostic{Severity: diag.Error, Code: "unknown-event-type", Range: ev.Range,
		Message: fmt.Sprintf("unknown Okta event type %q", ev.Value)}
	if s, ok := eventtypes.Suggest(ev.Value); ok && s != ev.Value {
		d.Message += fmt.Sprintf("; did you mean %q?", s)
	}
	c.ds.Add(d)
}

// build creates the nodes of a card list, in document order, and links
// them by Next. It returns the index of the first, or None.
func (fc *flowCtx) build(cards []*ast.Card, path string, parent int) int {
	first, prev := None, None
	for i, card := range cards {
		p := fmt.Sprintf("%s[%d]", path, i)
		n := &Node{Index: len(fc.f.Nodes), Kind: card.Kind, Card: card, Path: p, Range: card.Range,
			Next: None, Parent: parent, Then: None, Else: None, Default: None, Body: None, Try: None, Catch: None,
			StepID: card.ID.Value, Retry: RetryPolicy{Attempts: 1, Backoff: 1}, OnError: ast.OnErrorHalt}
		fc.f.Nodes = append(fc.f.Nodes, n)
		if n.StepID != "" {
			if prevIdx, dup := fc.ids[n.StepID]; dup {
				fc.c.ds.Errorf(card.ID.Range, "duplicate-step-id", "step id %q is already used at %s", n.StepID, fc.f.Nodes[prevIdx].Card.ID.Range)
			} else {
				fc.ids[n.StepID] = n.Index
			}
		}
		if first == None {
			first = n.Index
		}
		if prev != None {
			fc.f.Nodes[prev].Next = n.Index
		}
		prev = n.Index
		switch card.Kind {
		case ast.CardIf:
			n.Then = fc.build(card.Then, p+".then", n.Index)
			n.Else = fc.build(card.Else, p+".else", n.Index)
		case ast.CardSwitch:
			for _, cs := range card.Cases {
				n.Cases = append(n.Cases, Case{Value: cs.Value.Value, Entry: fc.build(cs.Cards, p+".cases."+cs.Value.Value, n.Index)})
			}
			n.Default = fc.build(card.Default, p+".default", n.Index)
		case ast.CardForEach:
			n.Body = fc.build(card.Do, p+".do", n.Index)
		case ast.CardTry:
			n.Try = fc.build(card.Try, p+".try", n.Index)
			n.Catch = fc.build(card.Catch, p+".catch", n.Index)
		}
	}
	return first
}

// scope is the lexical scope of a card: forEach items and whether error is
// in scope.
type scope struct {
	items []string
	err   bool
}

func (s scope) expr(helper, errorScope bool) expr.Scope {
	return expr.Scope{Inputs: helper, Error: s.err || errorScope, Items: s.items}
}

// compileList compiles the cards of a list starting at first. ran holds the
// step ids guaranteed to have run before the list starts.
func (fc *flowCtx) compileList(first int, sc scope, ran []string) {
	for i := first; i != None; i = fc.f.Nodes[i].Next {
		n := fc.f.Nodes[i]
		fc.node(n, sc, ran)
		if n.StepID != "" {
			ran = append(ran[:len(ran):len(ran)], n.StepID)
		}
	}
}

func (fc *flowCtx) node(n *Node, sc scope, ran []string) {
	c, card := fc.c, n.Card
	chk := fc.refChecker(n, ran)
	switch card.Kind {
	case ast.CardAction:
		fc.action(n, sc, chk)
	case ast.CardCall:
		fc.call(n, sc, chk)
	case ast.CardIf:
		n.Cond = fc.bareExpr(card.Cond, sc, n, chk)
		fc.checkBool(card.Cond, n.Cond, "if:")
		fc.compileList(n.Then, sc, ran)
		fc.compileList(n.Else, sc, ran)
	case ast.CardSwitch:
		n.Cond = fc.bareExpr(card.Cond, sc, n, chk)
		for _, cs := range n.Cases {
			fc.compileList(cs.Entry, sc, ran)
		}
		fc.compileList(n.Default, sc, ran)
	case ast.CardForEach:
		n.Cond = fc.bareExpr(card.Cond, sc, n, chk)
		if n.Cond != nil && !expr.IsList(n.Cond.Type) {
			c.ds.Errorf(card.Cond.Range, "not-a-list", "forEach: must be a list expression, not %s", expr.TypeName(n.Cond.Type))
		}
		n.As = card.As.Value
		if n.As == "" {
			n.As = "item"
		}
		for _, g := range expr.Globals() {
			if n.As == g || n.As == "inputs" || n.As == "error" {
				c.ds.Errorf(card.As.Range, "invalid-name", "forEach as: %q would hide the variable of the same name; choose another name", n.As)
			}
		}
		n.Concurrency = max(card.Concurrency, 1)
		inner := scope{items: append(sc.items[:len(sc.items):len(sc.items)], n.As), err: sc.err}
		fc.compileList(n.Body, inner, ran)
	case ast.CardAssign:
		for _, v := range card.Assign {
			e := v.Expr
			n.Assign = append(n.Assign, VarDef{Name: v.Name.Value, Prog: fc.bareExpr(&e, sc, n, chk), Range: v.Name.Range})
		}
	case ast.CardTry:
		fc.compileList(n.Try, sc, ran)
		fc.compileList(n.Catch, scope{items: sc.items, err: true}, ran)
	case ast.CardContinueIf:
		n.Cond = fc.bareExpr(card.Cond, sc, n, chk)
		fc.checkBool(card.Cond, n.Cond, "continueIf:")
	case ast.CardReturn:
		n.Return = fc.value(card.Return, sc, n, chk)
		fc.checkReturn(n)
	case ast.CardHalt:
		n.Halt = fc.value(card.Halt, sc, n, chk)
	}
	if card.Kind == ast.CardAction || card.Kind == ast.CardCall {
		fc.errorOptions(n)
	}
}

func (fc *flowCtx) errorOptions(n *Node) {
	c, card := fc.c, n.Card
	if r := card.Retry; r != nil {
		n.Retry = RetryPolicy{Attempts: max(r.Attempts, 1), Backoff: r.Backoff, Interval: time.Second}
		if n.Retry.Backoff < 1 {
			n.Retry.Backoff = 1
		}
		n.Retry.Interval = fc.duration(r.Interval, time.Second)
		n.Retry.MaxInterval = fc.duration(r.MaxInterval, 0)
		n.Retry.Jitter = fc.duration(r.Jitter, 0)
		if n.Retry.MaxInterval > 0 && n.Retry.MaxInterval < n.Retry.Interval {
			c.ds.Errorf(r.MaxInterval.Range, "invalid-duration", "retry.maxInterval (%s) is shorter than retry.interval (%s)", n.Retry.MaxInterval, n.Retry.Interval)
		}
	}
	n.Timeout = fc.duration(card.Timeout, 0)
	n.OnError = card.OnError.Kind
	switch card.OnError.Kind {
	case ast.OnErrorReturn:
		if !fc.helper {
			c.ds.Errorf(card.OnError.Range, "return-outside-helper", "onError: return ends a helper flow and hands the error to its caller; %q is not a helper flow", fc.f.Name)
		}
	case ast.OnErrorFlow:
		n.ErrorFlow = card.OnError.Flow.Value
		fc.errFlows[n.ErrorFlow] = true
		if target, ok := c.flowNamed(n.ErrorFlow); !ok {
			c.undefinedFlow(card.OnError.Flow)
		} else if target.Kind != ast.TriggerHelper {
			c.ds.Errorf(card.OnError.Flow.Range, "not-a-helper", "onError flow %q must be a helper flow (trigger: {helper: {}}); it is triggered by %s", n.ErrorFlow, target.Kind)
		}
	}
}

func (fc *flowCtx) duration(s ast.String, def time.Duration) time.Duration {
	if s.IsZero() {
		return def
	}
	d, err := time.ParseDuration(s.Value)
	if err != nil || d < 0 {
		fc.c.ds.Errorf(s.Range, "invalid-duration", "invalid duration %q: use a Go duration such as 500ms, 5s or 1m", s.Value)
		return def
	}
	return d
}

func (c *compiler) undefinedFlow(name ast.String) {
	d := diag.Diagnostic{Severity: diag.Error, Code: "undefined-flow", Range: name.Range,
		Message: fmt.Sprintf("no flow named %q in this repository", name.Value)}
	if c.reads != nil {
		c.reads.Names = true
	}
	names := make([]string, 0, len(c.byName))
	for n := range c.byName {
		names = append(names, n)
	}
	sort.Strings(names)
	if s, ok := diag.Closest(name.Value, names); ok {
		d.Message += fmt.Sprintf("; did you mean %q?", s)
	}
	c.ds.Add(d)
}

func (c *compiler) instances() []string {
	if c.cfg == nil {
		return nil
	}
	var out []string
	for _, con := range c.cfg.Connectors {
		out = append(out, con.Name.Value)
	}
	return out
}

func (fc *flowCtx) action(n *Node, sc scope, chk refCheck) {
	c, card := fc.c, n.Card
	n.With = fc.value(card.With, sc, n, chk)
	inst, act, ok := strings.Cut(card.Action.Value, ".")
	if !ok {
		c.ds.Errorf(card.Action.Range, "unknown-action", "action %q must be INSTANCE.ACTION", card.Action.Value)
		return
	}
	n.Instance = inst
	con, ok := c.cfg.Connector(inst)
	if !ok {
		d := diag.Diagnostic{Severity: diag.Error, Code: "unknown-instance", Range: card.Action.Range}
		if c.cfg == nil {
			d.Message = fmt.Sprintf("connector instance %q is not defined: no jml.yaml was found", inst)
		} else {
			d.Message = fmt.Sprintf("connector instance %q is not defined in %s", inst, c.cfg.File.Path)
			if s, ok := diag.Closest(inst, c.instances()); ok {
				d.Message += fmt.Sprintf("; did you mean %q?", s)
			}
		}
		c.ds.Add(d)
		return
	}
	n.ConnectorType = con.Type.Value
	cat, ok := c.connector(con.Type.Value)
	if !ok {
		// The config schema rejects unknown types; nothing more to say here.
		return
	}
	a, ok := cat.Action(act)
	if !ok {
		d := diag.Diagnostic{Severity: diag.Error, Code: "unknown-action", Range: card.Action.Range,
			Message: fmt.Sprintf("connector type %q has no action %q", con.Type.Value, act)}
		if s, ok := diag.Closest(act, cat.ActionNames()); ok {
			d.Message += fmt.Sprintf("; did you mean %q?", inst+"."+s)
		}
		d.Detail = "see `jml connectors " + con.Type.Value + "`"
		c.ds.Add(d)
		return
	}
	n.Action = a
	var fields []param
	for _, in := range a.Inputs {
		fields = append(fields, param{name: in.Name, typ: string(in.Type), required: in.Required})
	}
	fc.checkInputs(n, card.With, fields, fmt.Sprintf("action %s", card.Action.Value))
	if con.Type.Value == "table" {
		fc.checkTable(card.With, con, inst)
	}
}

type param struct {
	name, typ string
	required  bool
}

// checkInputs checks the with: of an action or call card against the
// declared inputs.
func (fc *flowCtx) checkInputs(n *Node, with *ast.Value, fields []param, what string) {
	c := fc.c
	var names []string
	for _, p := range fields {
		names = append(names, p.name)
	}
	given := map[string]bool{}
	if with != nil {
		for i, e := range with.Map {
			given[e.Key.Value] = true
			var p *param
			for j := range fields {
				if fields[j].name == e.Key.Value {
					p = &fields[j]
				}
			}
			if p == nil {
				d := diag.Diagnostic{Severity: diag.Error, Code: "unknown-input", Range: e.Key.Range,
					Message: fmt.Sprintf("%s has no input %q", what, e.Key.Value)}
				if s, ok := diag.Closest(e.Key.Value, names); ok {
					d.Message += fmt.Sprintf("; did you mean %q?", s)
				} else if len(names) > 0 {
					d.Message += fmt.Sprintf(" (inputs: %s)", strings.Join(names, ", "))
				}
				c.ds.Add(d)
				continue
			}
			if n.With != nil && i < len(n.With.Map) {
				fc.checkType(n.With.Map[i], e.Value, p.typ, fmt.Sprintf("input %q of %s", p.name, what))
			}
		}
	}
	for _, p := range fields {
		if p.required && !given[p.name] {
			r := n.Range
			if with != nil {
				r = with.Range
			}
			c.ds.Errorf(r, "missing-input", "%s needs input %q", what, p.name)
		}
	}
}

// checkType reports a value whose type is known and is not the declared
// one: a literal, or a single ${{ }} expression with a checked type.
func (fc *flowCtx) checkType(v *Value, a *ast.Value, want, what string) {
	if v == nil || a == nil || want == "" || want == "any" {
		return
	}
	got := ""
	switch {
	case v.Kind == ast.Null:
		return // an explicit null is "not given"
	case v.Kind == ast.Str && v.Parts != nil:
		if !v.Single {
			got = "string"
			break
		}
		p := v.Parts[0].Prog
		if p == nil || expr.IsDyn(p.Type) {
			return
		}
		got = celKind(p)
	case v.Kind == ast.Str:
		got = "string"
	case v.Kind == ast.Bool:
		got = "boolean"
	case v.Kind == ast.Number:
		got = "number"
	case v.Kind == ast.List:
		got = "list"
	case v.Kind == ast.Map:
		got = "object"
	}
	if got == "" || got == want {
		return
	}
	fc.c.ds.Errorf(a.Range, "input-type", "%s must be %s, not %s", what, want, got)
}

// checkBool reports a condition (what: trigger.when, if:, continueIf:)
// whose type is known and is not bool, with the test it may have meant.
func (fc *flowCtx) checkBool(e *ast.Expr, p *expr.Program, what string) {
	if p == nil || expr.IsBool(p.Type) {
		return
	}
	msg := fmt.Sprintf("%s must be a boolean expression, not %s", what, expr.TypeName(p.Type))
	if hint, ok := expr.BoolHint(e.Src, p.Type); ok {
		msg += fmt.Sprintf("; did you mean `%s`?", hint)
	}
	fc.c.ds.Errorf(e.Range, "not-boolean", "%s", msg)
}

// celKind maps the CEL type of p to a jml field type, or "" when unsure.
func celKind(p *expr.Program) string {
	s := expr.TypeName(p.Type)
	switch {
	case s == "string":
		return "string"
	case s == "bool":
		return "boolean"
	case s == "int" || s == "uint" || s == "double":
		return "number"
	case strings.HasPrefix(s, "list"):
		return "list"
	case strings.HasPrefix(s, "map"), expr.IsObject(p.Type):
		return "object"
	}
	return ""
}

func (fc *flowCtx) call(n *Node, sc scope, chk refCheck) {
	c, card := fc.c, n.Card
	n.With = fc.value(card.With, sc, n, chk)
	n.Callee = card.Call.Value
	fc.calls[n.Callee] = true
	target, ok := c.flowNamed(n.Callee)
	if !ok {
		c.undefinedFlow(card.Call)
		return
	}
	if target.Kind != ast.TriggerHelper {
		c.ds.Errorf(card.Call.Range, "not-a-helper", "flow %q is not a helper flow (its trigger is %s); only flows with trigger: {helper: {}} can be called", n.Callee, target.Kind)
		return
	}
	var fields []param
	for _, p := range target.Inputs {
		fields = append(fields, param{name: p.Name, typ: p.Type, required: p.Required})
	}
	fc.checkInputs(n, card.With, fields, fmt.Sprintf("helper flow %q", n.Callee))
}

func (fc *flowCtx) checkReturn(n *Node) {
	c, card := fc.c, n.Card
	if fc.ast.Trigger.Kind == ast.TriggerHTTP {
		return // an http: flow's return is its JSON answer, free-form
	}
	if !fc.helper {
		c.ds.Errorf(n.Range, "return-outside-helper", "return: ends a helper flow with its outputs, or answers an http: flow's request; %q is neither", fc.f.Name)
		return
	}
	given := map[string]bool{}
	if card.Return != nil {
		for i, e := range card.Return.Map {
			given[e.Key.Value] = true
			p, ok := fc.ast.Output(e.Key.Value)
			if !ok {
				d := diag.Diagnostic{Severity: diag.Error, Code: "unknown-output", Range: e.Key.Range,
					Message: fmt.Sprintf("helper flow %q declares no output %q", fc.f.Name, e.Key.Value)}
				var names []string
				for _, o := range fc.ast.Outputs {
					names = append(names, o.Name.Value)
				}
				if s, ok := diag.Closest(e.Key.Value, names); ok {
					d.Message += fmt.Sprintf("; did you mean %q?", s)
				}
				c.ds.Add(d)
				continue
			}
			if n.Return != nil && i < len(n.Return.Map) {
				fc.checkType(n.Return.Map[i], e.Value, p.Type, fmt.Sprintf("output %q", p.Name.Value))
			}
		}
	}
	for _, o := range fc.ast.Outputs {
		if o.Required && !given[o.Name.Value] {
			c.ds.Errorf(n.Range, "missing-output", "return: must set required output %q", o.Name.Value)
		}
	}
}

// checkCycles rejects cycles in the helper call graph, naming every flow in
// each cycle at its call card.
func (c *compiler) checkCycles() {
	calls := make(map[string][]string, len(c.names))
	for _, name := range c.names {
		calls[name] = c.sums[name].calls()
	}
	// Tarjan's strongly connected components over call edges.
	index, low := map[string]int{}, map[string]int{}
	onStack := map[string]bool{}
	var stack []string
	next := 0
	var sccs [][]string
	var strong func(v string)
	strong = func(v string) {
		index[v], low[v] = next, next
		next++
		stack = append(stack, v)
		onStack[v] = true
		for _, w := range calls[v] {
			if _, ok := c.sums[w]; !ok {
				continue
			}
			if _, seen := index[w]; !seen {
				strong(w)
				low[v] = min(low[v], low[w])
			} else if onStack[w] {
				low[v] = min(low[v], index[w])
			}
		}
		if low[v] == index[v] {
			var comp []string
			for {
				w := stack[len(stack)-1]
				stack = stack[:len(stack)-1]
				onStack[w] = false
				comp = append(comp, w)
				if w == v {
					break
				}
			}
			sccs = append(sccs, comp)
		}
	}
	for _, name := range c.names {
		if _, seen := index[name]; !seen {
			strong(name)
		}
	}
	for _, comp := range sccs {
		in := map[string]bool{}
		for _, n := range comp {
			in[n] = true
		}
		self := len(comp) == 1 && contains(calls[comp[0]], comp[0])
		if len(comp) < 2 && !self {
			continue
		}
		sort.Strings(comp)
		cycle := cyclePath(comp[0], in, calls)
		for _, name := range comp {
			s := c.sums[name]
			for _, st := range s.Steps {
				if st.Call != "" && in[st.Call] {
					c.ds.Errorf(s.at(st.CallAt), "call-cycle", "helper call cycle: %s (flows in the cycle: %s)", strings.Join(cycle, " → "), strings.Join(comp, ", "))
					break
				}
			}
		}
	}
}

// cyclePath returns one cycle through start within the component, as
// start → … → start.
func cyclePath(start string, in map[string]bool, calls map[string][]string) []string {
	path := []string{start}
	seen := map[string]bool{start: true}
	cur := start
	for {
		nextName := ""
		for _, w := range calls[cur] {
			if w == start {
				return append(path, start)
			}
			if in[w] && !seen[w] && nextName == "" {
				nextName = w
			}
		}
		if nextName == "" {
			return append(path, start)
		}
		seen[nextName] = true
		path = append(path, nextName)
		cur = nextName
	}
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}
