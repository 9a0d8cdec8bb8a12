package engine

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"math"
	"reflect"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/jml-dev/jml/pkg/ast"
	"github.com/jml-dev/jml/pkg/catalog"
	"github.com/jml-dev/jml/pkg/clock"
	"github.com/jml-dev/jml/pkg/compile"
	"github.com/jml-dev/jml/pkg/effect"
	"github.com/jml-dev/jml/pkg/event"
	"github.com/jml-dev/jml/pkg/eventtypes"
)

// MaxForEachItems bounds one forEach (SPEC §10: a flow cannot loop forever).
const MaxForEachItems = 10_000

// Options configure an Engine.
type Options struct {
	Graph    *compile.Graph
	Effector effect.Effector
	Clock    clock.Clock
	Observer Observer
	Mode     Mode
	// Flow, when set, runs only that flow (and the helpers it calls).
	Flow string
	// RunID, when set, allocates run ids: given the derived id, it returns
	// the id to use (the history store makes ids unique across replays).
	RunID func(derived string) string
	// ProfileFrom is the okta instance the event user's profile is read
	// from (okta.getUser, through the Effector like any other read), once
	// per run of a flow that reads user.profile beyond login and email;
	// "" reads none (user.profile then holds login and email from the
	// event). Set by the one set-up every mode shares (replay.Engine).
	ProfileFrom string
	// Runtime is where a run's concurrency happens; nil is LocalRuntime
	// (goroutines). Calls go through Effector and waits through Clock, so
	// a durable runtime (pkg/temporal) sets the three together: an
	// Effector that runs each try as an activity, a Clock of workflow time
	// and timers, and a Runtime of workflow coroutines.
	Runtime Runtime
}

// Runtime runs the items of a concurrent forEach.
type Runtime interface {
	// Parallel calls fn(ctx, i) for i = 0..n-1, in order, at most limit
	// at once, and waits for all it started. Once an fn returns stop, or
	// ctx is done, no further item starts and the context of the running
	// ones is cancelled. It returns which items started.
	Parallel(ctx context.Context, limit, n int, fn func(ctx context.Context, i int) (stop bool)) (started []bool)
}

// LocalRuntime runs items on goroutines: the runtime of every local mode.
type LocalRuntime struct{}

// Parallel implements Runtime.
func (LocalRuntime) Parallel(ctx context.Context, limit, n int, fn func(ctx context.Context, i int) bool) []bool {
	started := make([]bool, n)
	lctx, cancel := context.WithCancel(ctx)
	defer cancel()
	sem := make(chan struct{}, limit)
	var wg sync.WaitGroup
	for i := range n {
		select {
		case sem <- struct{}{}:
		case <-lctx.Done():
		}
		if lctx.Err() != nil {
			break
		}
		started[i] = true
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			if fn(lctx, i) {
				cancel()
			}
		}()
	}
	wg.Wait()
	return started
}

// Engine runs flows. It is safe for concurrent use by runs of different
// triggers: all per-run state lives in the run.
type Engine struct {
	opts Options
}

// New returns an engine.
func New(opts Options) *Engine {
	if opts.Observer == nil {
		opts.Observer = NopObserver{}
	}
	if opts.Clock == nil {
		opts.Clock = clock.Real{}
	}
	if opts.Runtime == nil {
		opts.Runtime = LocalRuntime{}
	}
	return &Engine{opts: opts}
}

// Selection is which flows an event fires.
type Selection struct {
	Flows []*compile.Flow
	// Disabled lists flows whose trigger matches but that are enabled: false.
	Disabled []string
}

// Select returns the flows whose event trigger matches ev, ordered by name.
// The when: filter is evaluated by Run, since it needs the run's scope.
func (e *Engine) Select(ev *event.Event) Selection {
	var s Selection
	for _, name := range e.opts.Graph.Names {
		f := e.opts.Graph.Flows[name]
		if e.opts.Flow != "" && name != e.opts.Flow {
			continue
		}
		if f.Trigger.Kind != ast.TriggerEvent || !matches(f.Trigger.Events, ev.EventType) {
			continue
		}
		if !f.Enabled {
			s.Disabled = append(s.Disabled, name)
			continue
		}
		s.Flows = append(s.Flows, f)
	}
	return s
}

// Takes reports whether an event of type eventType can make any flow of
// g run: whether some enabled event flow's trigger lists the type, exactly
// or by glob, ignoring its when: filter (which needs the whole event).
// Replay decodes in full only the events it takes (SPEC §11); the others
// still seed the world, count, and list the disabled flows they match
// (Select needs only their type). It ignores Options.Flow on purpose: an
// event no enabled flow takes is one no --flow can run, so a saved plan's
// partly decoded events stay safe to apply with any flow.
func Takes(g *compile.Graph, eventType string) bool {
	for _, name := range g.Names {
		f := g.Flows[name]
		if f.Enabled && f.Trigger.Kind == ast.TriggerEvent && matches(f.Trigger.Events, eventType) {
			return true
		}
	}
	return false
}

func matches(patterns []string, typ string) bool {
	for _, p := range patterns {
		if p == typ {
			return true
		}
		if eventtypes.IsGlob(p) && globMatch(p, typ) {
			return true
		}
	}
	return false
}

// globMatch matches '*' against any run of characters, dots included.
func globMatch(pattern, s string) bool {
	parts := strings.Split(pattern, "*")
	if !strings.HasPrefix(s, parts[0]) {
		return false
	}
	s = s[len(parts[0]):]
	for i := 1; i < len(parts); i++ {
		if i == len(parts)-1 {
			return strings.HasSuffix(s, parts[i])
		}
		j := strings.Index(s, parts[i])
		if j < 0 {
			return false
		}
		s = s[j+len(parts[i]):]
	}
	return true
}

// ScheduledAt returns the enabled schedule flows due at instant at (their
// cron matches at's minute, in their time zone), and the disabled ones.
func (e *Engine) ScheduledAt(at time.Time) Selection {
	var s Selection
	for _, name := range e.opts.Graph.Names {
		f := e.opts.Graph.Flows[name]
		if e.opts.Flow != "" && name != e.opts.Flow {
			continue
		}
		if f.Trigger.Kind != ast.TriggerSchedule || f.Trigger.Schedule == nil {
			continue
		}
		minute := at.In(f.Trigger.Timezone).Truncate(time.Minute)
		if !f.Trigger.Schedule.Next(minute.Add(-time.Second)).Equal(minute) {
			continue
		}
		if !f.Enabled {
			s.Disabled = append(s.Disabled, name)
			continue
		}
		s.Flows = append(s.Flows, f)
	}
	return s
}

// Trigger is what a run reacts to: an event, or a schedule instant.
type Trigger struct {
	Event *event.Event
	// At is run.startedAt: the event's published time, or the schedule
	// instant (--at).
	At time.Time
	// RunID, when set, is the run's id instead of the derived one (a
	// resumed run has an id of its own).
	RunID string
	// ResumedFrom is the run this one continues.
	ResumedFrom string
	// Request is the HTTP request of an http: trigger flow (jml serve):
	// {id, method, path, query, body}, in scope as request; Key is then the
	// trigger's key (http@ID), what its run id derives from.
	Request map[string]any
	Key     string
}

// ScheduleKey is the trigger key of a schedule firing at instant at: what
// its runs' ids, idempotency keys and history rows are derived from.
func ScheduleKey(at time.Time) string { return "schedule@" + at.UTC().Format(time.RFC3339) }

// RunID derives a run's id from its trigger and flow, so that a replay
// gives the same ids.
func RunID(trigger, flow string) string {
	sum := sha256.Sum256([]byte(trigger + "\x00" + flow))
	return "run-" + hex.EncodeToString(sum[:8])
}

// Run runs flow f for trigger t. A flow whose when: filter is false returns
// nil: no run.
func (e *Engine) Run(ctx context.Context, f *compile.Flow, t Trigger) *Run {
	key := ScheduleKey(t.At)
	if t.Key != "" {
		key = t.Key
	}
	if t.Event != nil {
		key = t.Event.UUID
	}
	r := &Run{ID: RunID(key, f.Name), Flow: f.Name, Mode: e.opts.Mode, StartedAt: e.opts.Clock.Now(), ResumedFrom: t.ResumedFrom}
	if t.RunID != "" {
		r.ID = t.RunID
	} else if e.opts.RunID != nil {
		r.ID = e.opts.RunID(r.ID)
	}
	if t.Event != nil {
		r.EventUUID, r.EventType = t.Event.UUID, t.Event.EventType
	} else {
		// A schedule run's trigger is its instant: the history finds an
		// earlier run of the same firing by it (apply converges). An http:
		// request's is its id.
		r.EventUUID, r.EventType = key, "schedule"
		if t.Request != nil {
			r.EventType = "http"
		}
	}
	x := &exec{e: e, run: r, trigger: t, key: key}
	x.base = x.baseScope(f)
	obs := e.opts.Observer
	started := false
	start := func() {
		if !started {
			started = true
			obs.RunStarted(r)
		}
	}
	finish := func(status Status, ei *ErrorInfo) *Run {
		r.Status, r.Error = status, ei
		r.EndedAt = e.opts.Clock.Now()
		obs.RunFinished(r)
		return r
	}
	userID := x.profileUser(f)
	if userID != "" && f.WhenReadsProfile {
		// The filter needs the profile: the read comes first, so the run
		// exists (and is recorded with its read) whatever the filter says.
		start()
		if ei := x.readProfile(ctx, f, userID); ei != nil {
			return finish(StatusHalted, ei)
		}
		userID = ""
	}
	if f.Trigger.When != nil && t.Event != nil {
		ok, err := evalBool(f.Trigger.When, x.base)
		if err != nil {
			// A filter that cannot be evaluated on this event is a failed
			// run, never a silent skip.
			start()
			return finish(StatusFailed, &ErrorInfo{Card: "trigger.when", Message: "evaluating trigger.when: " + err.Error(), Code: "expression"})
		}
		if !ok {
			if !started {
				return nil
			}
			r.Cards = append(r.Cards, &CardTrace{Path: "trigger.when", Kind: "when", Flow: f.Name, Status: CardFiltered,
				Message: "trigger.when is false for this user", StartedAt: e.opts.Clock.Now()})
			return finish(StatusFiltered, nil)
		}
	}
	start()
	if userID != "" {
		if ei := x.readProfile(ctx, f, userID); ei != nil {
			return finish(StatusHalted, ei)
		}
	}
	fr := x.newFrame(f, nil, nil, nil, 0)
	out := x.flowBody(ctx, fr, &r.Cards)
	switch out.kind {
	case outFiltered:
		r.Status = StatusFiltered
	case outHalted:
		r.Status = StatusHalted
		r.Error = out.err
	case outFailed:
		r.Status = StatusFailed
		r.Error = out.err
	default:
		r.Status = StatusSuccess
		if out.kind == outReturned {
			r.Output = out.outputs
		}
	}
	r.EndedAt = e.opts.Clock.Now()
	e.opts.Observer.RunFinished(r)
	return r
}

// exec is the state of one run.
type exec struct {
	e       *Engine
	run     *Run
	trigger Trigger
	key     string
	base    map[string]any
	// changes, when set, collects the run's changes instead of
	// run.Changes: the items of a concurrent forEach each have their own,
	// merged in item order.
	changes *[]Change
	// mu serialises the observer and the merge of concurrent items.
	mu *sync.Mutex
}

// frame is one flow invocation: the top flow, a helper call or an error
// handler.
type frame struct {
	flow   *compile.Flow
	vars   map[string]any
	steps  map[string]any
	inputs map[string]any
	err    map[string]any // `error` for an error-handler flow
	items  map[string]any // forEach variables in scope
	catch  map[string]any // `error` inside a catch block
	via    []string
	prefix string // card path prefix: the call chain
	depth  int
}

func (x *exec) newFrame(f *compile.Flow, inputs, errVal map[string]any, via []string, depth int) *frame {
	fr := &frame{flow: f, vars: map[string]any{}, steps: map[string]any{}, inputs: inputs, err: errVal,
		items: map[string]any{}, via: via, depth: depth}
	for _, name := range via {
		fr.prefix += name + "/"
	}
	return fr
}

// outcome is how a list of cards ended.
type outKind int

const (
	outNext     outKind = iota // ran to the end
	outFiltered                // continueIf false
	outHalted                  // halt card, or a card failure with onError halt
	outFailed                  // an evaluation error or cancellation: the run failed
	outReturned                // return card, or onError: return
)

type outcome struct {
	kind outKind
	err  *ErrorInfo
	// failure marks a halt caused by a card failure (catchable by try),
	// as opposed to an explicit halt card.
	failure bool
	// errReturn marks an onError: return (the helper hands err to its caller).
	errReturn bool
	outputs   map[string]any
}

// flowBody evaluates the flow's vars and runs its steps.
func (x *exec) flowBody(ctx context.Context, fr *frame, trace *[]*CardTrace) outcome {
	for _, v := range fr.flow.Vars {
		val, err := v.Prog.Eval(x.scope(fr))
		if err != nil {
			return outcome{kind: outFailed, err: &ErrorInfo{Card: "vars." + v.Name, Message: fmt.Sprintf("evaluating vars.%s: %v", v.Name, err), Code: "expression"}}
		}
		fr.vars[v.Name] = val
	}
	return x.list(ctx, fr, fr.flow.Entry, "", trace)
}

// list runs the cards of one list.
func (x *exec) list(ctx context.Context, fr *frame, first int, branch string, trace *[]*CardTrace) outcome {
	for i := first; i != compile.None; i = fr.flow.Nodes[i].Next {
		n := fr.flow.Nodes[i]
		if err := ctx.Err(); err != nil {
			x.skipRest(fr, i, branch, trace, "canceled")
			return outcome{kind: outFailed, err: &ErrorInfo{Card: cardRef(fr, n), Message: "canceled before this card: " + err.Error(), Code: "canceled"}}
		}
		out := x.card(ctx, fr, n, branch, trace)
		if out.kind != outNext {
			x.skipRest(fr, n.Next, branch, trace, "not run: the flow stopped before it")
			return out
		}
	}
	return outcome{kind: outNext}
}

// skipRest records the cards of a list that did not run.
func (x *exec) skipRest(fr *frame, from int, branch string, trace *[]*CardTrace, why string) {
	for i := from; i != compile.None; i = fr.flow.Nodes[i].Next {
		n := fr.flow.Nodes[i]
		*trace = append(*trace, &CardTrace{Path: fr.prefix + n.Path, ID: n.StepID, Name: n.Card.Name, Kind: string(n.Kind),
			Flow: fr.flow.Name, Action: actionName(n), Branch: branch, Status: CardSkipped, Message: why, StartedAt: x.e.opts.Clock.Now()})
	}
}

// cardRef names a card in errors and changes: its id, else its full path
// (call chain included).
func cardRef(fr *frame, n *compile.Node) string {
	if n.StepID != "" {
		return n.StepID
	}
	return fr.prefix + n.Path
}

func actionName(n *compile.Node) string {
	if n.Kind == ast.CardAction {
		return n.Card.Action.Value
	}
	if n.Kind == ast.CardCall {
		return "call " + n.Callee
	}
	return ""
}

func (x *exec) card(ctx context.Context, fr *frame, n *compile.Node, branch string, trace *[]*CardTrace) outcome {
	obs := x.e.opts.Observer
	ct := &CardTrace{Path: fr.prefix + n.Path, ID: n.StepID, Name: n.Card.Name, Kind: string(n.Kind), Flow: fr.flow.Name,
		Action: actionName(n), Branch: branch, StartedAt: x.e.opts.Clock.Now()}
	*trace = append(*trace, ct)
	obs.CardStarted(x.run, ct)
	out := x.cardBody(ctx, fr, n, ct)
	ct.Duration = x.e.opts.Clock.Now().Sub(ct.StartedAt)
	if ct.Status == "" {
		switch out.kind {
		case outNext, outReturned:
			ct.Status = CardSuccess
			if out.errReturn {
				ct.Status = CardFailed
			}
		case outFiltered:
			ct.Status = CardFiltered
		case outHalted:
			ct.Status = CardHalted
		default:
			ct.Status = CardFailed
		}
	}
	obs.CardFinished(x.run, ct)
	return out
}

func (x *exec) evalErr(fr *frame, n *compile.Node, what string, err error) outcome {
	return outcome{kind: outFailed, err: &ErrorInfo{Card: cardRef(fr, n), Action: actionName(n), Message: fmt.Sprintf("%s: %v", what, err), Code: "expression"}}
}

func (x *exec) cardBody(ctx context.Context, fr *frame, n *compile.Node, ct *CardTrace) outcome {
	switch n.Kind {
	case ast.CardAction:
		return x.action(ctx, fr, n, ct)
	case ast.CardCall:
		return x.call(ctx, fr, n, ct)
	case ast.CardIf:
		ok, err := evalBool(n.Cond, x.scope(fr))
		if err != nil {
			return x.evalErr(fr, n, "evaluating if", err)
		}
		if ok {
			return x.arm(ctx, fr, ct, ok, "then", n.Then)
		}
		return x.arm(ctx, fr, ct, ok, "else", n.Else)
	case ast.CardSwitch:
		v, err := n.Cond.Eval(x.scope(fr))
		if err != nil {
			return x.evalErr(fr, n, "evaluating switch", err)
		}
		key := text(v)
		for _, cs := range n.Cases {
			if cs.Value == key {
				return x.arm(ctx, fr, ct, v, "case "+key, cs.Entry)
			}
		}
		return x.arm(ctx, fr, ct, v, "default", n.Default)
	case ast.CardForEach:
		return x.forEach(ctx, fr, n, ct)
	case ast.CardAssign:
		for _, a := range n.Assign {
			v, err := a.Prog.Eval(x.scope(fr))
			if err != nil {
				return x.evalErr(fr, n, "evaluating assign."+a.Name, err)
			}
			fr.vars[a.Name] = v
			if ct.Input == nil {
				ct.Input = map[string]any{}
			}
			ct.Input[a.Name] = v
		}
		return outcome{kind: outNext}
	case ast.CardTry:
		out := x.list(ctx, fr, n.Try, "try", &ct.Children)
		if !(out.kind == outHalted && out.failure) {
			return out
		}
		// The If Error card: a failure in try runs catch with `error`.
		saved := fr.catch
		fr.catch = out.err.Value()
		defer func() { fr.catch = saved }()
		ct.Message = "caught: " + out.err.Message
		return x.list(ctx, fr, n.Catch, "catch", &ct.Children)
	case ast.CardContinueIf:
		ok, err := evalBool(n.Cond, x.scope(fr))
		if err != nil {
			return x.evalErr(fr, n, "evaluating continueIf", err)
		}
		if !ok {
			ct.Message = "condition false: the flow stops here"
			return outcome{kind: outFiltered}
		}
		return outcome{kind: outNext}
	case ast.CardReturn:
		v, err := x.value(n.Return, fr)
		if err != nil {
			return x.evalErr(fr, n, "evaluating return", err)
		}
		m, _ := v.(map[string]any)
		ct.Output = m
		return outcome{kind: outReturned, outputs: m}
	case ast.CardHalt:
		v, err := x.value(n.Halt, fr)
		if err != nil {
			return x.evalErr(fr, n, "evaluating halt", err)
		}
		msg := haltMessage(v)
		ct.Message = msg
		return outcome{kind: outHalted, err: &ErrorInfo{Card: cardRef(fr, n), Message: msg, Code: "halt"}}
	}
	return x.evalErr(fr, n, "running card", fmt.Errorf("unknown card kind %q", n.Kind))
}

func haltMessage(v any) string {
	switch m := v.(type) {
	case string:
		return m
	case map[string]any:
		if s, ok := m["message"].(string); ok {
			return s
		}
	}
	return text(v)
}

func (x *exec) forEach(ctx context.Context, fr *frame, n *compile.Node, ct *CardTrace) outcome {
	v, err := n.Cond.Eval(x.scope(fr))
	if err != nil {
		return x.evalErr(fr, n, "evaluating forEach", err)
	}
	items, ok := v.([]any)
	if !ok && v != nil {
		return x.evalErr(fr, n, "forEach", fmt.Errorf("expected a list, got %T", v))
	}
	if len(items) > MaxForEachItems {
		return x.evalErr(fr, n, "forEach", fmt.Errorf("%d items is more than the limit of %d", len(items), MaxForEachItems))
	}
	ct.Message = fmt.Sprintf("%d items", len(items))
	saved, savedIdx := fr.items[n.As], fr.items[n.As+"_index"]
	defer func() {
		fr.items[n.As], fr.items[n.As+"_index"] = saved, savedIdx
	}()
	// Items run one after another in simulated modes, so that plans and
	// traces are deterministic; in apply, up to `concurrency` at once.
	// Results are in item order either way.
	if x.e.opts.Mode == ModeApply && n.Concurrency > 1 && len(items) > 1 {
		return x.forEachConcurrent(ctx, fr, n, ct, items)
	}
	prefix := fr.prefix
	for i, item := range items {
		fr.items[n.As], fr.items[n.As+"_index"] = item, int64(i)
		fr.prefix = fmt.Sprintf("%s%s#%d/", prefix, n.Path, i)
		out := x.list(ctx, fr, n.Body, fmt.Sprintf("item %d", i), &ct.Children)
		fr.prefix = prefix
		if out.kind != outNext {
			return out
		}
	}
	return outcome{kind: outNext}
}

// arm runs the arm an if or switch card takes, named taken (then, else,
// case VALUE, default), which value (the condition, the switch's value)
// chose: the card's trace records both, and its nested cards run in that
// branch. The arms not taken are not traced.
func (x *exec) arm(ctx context.Context, fr *frame, ct *CardTrace, value any, taken string, entry int) outcome {
	ct.Taken, ct.Value = taken, value
	// Message named the arm before Taken did: kept for readers of the JSON
	// that still look there.
	ct.Message = taken
	return x.list(ctx, fr, entry, taken, &ct.Children)
}

// addChange records a write the run made.
func (x *exec) addChange(ch Change) {
	if x.changes != nil {
		*x.changes = append(*x.changes, ch)
		return
	}
	if x.mu != nil {
		x.mu.Lock()
		defer x.mu.Unlock()
	}
	x.run.Changes = append(x.run.Changes, ch)
	x.e.opts.Observer.ChangePlanned(x.run, ch)
}

// forEachConcurrent runs the items of a forEach up to n.Concurrency at a
// time (apply only). Each item runs on a copy of the frame: it sees the
// vars as they were when the loop started, and what it assigns is applied
// after the loop in item order; its trace and its changes are kept in item
// order. The first item (in order) that does not end normally decides the
// outcome; items not started by then are not run.
func (x *exec) forEachConcurrent(ctx context.Context, fr *frame, n *compile.Node, ct *CardTrace, items []any) outcome {
	if x.mu == nil {
		x.mu = &sync.Mutex{}
	}
	orig := maps.Clone(fr.vars)
	traces := make([][]*CardTrace, len(items))
	changes := make([][]Change, len(items))
	outs := make([]outcome, len(items))
	forks := make([]*frame, len(items))
	for i, item := range items {
		f := fr.fork()
		f.items[n.As], f.items[n.As+"_index"] = item, int64(i)
		f.prefix = fmt.Sprintf("%s%s#%d/", fr.prefix, n.Path, i)
		forks[i] = f
	}
	started := x.e.opts.Runtime.Parallel(ctx, n.Concurrency, len(items), func(ctx context.Context, i int) bool {
		xi := *x
		xi.changes = &changes[i]
		outs[i] = xi.list(ctx, forks[i], n.Body, fmt.Sprintf("item %d", i), &traces[i])
		return outs[i].kind != outNext
	})
	result := outcome{kind: outNext}
	for i := range items {
		if !started[i] {
			if result.kind == outNext {
				// Cancelled from outside before the item started.
				result = outcome{kind: outFailed, err: &ErrorInfo{Card: cardRef(fr, n), Message: "canceled before item " + fmt.Sprint(i), Code: "canceled"}}
			}
			continue
		}
		ct.Children = append(ct.Children, traces[i]...)
		for _, ch := range changes[i] {
			x.addChange(ch)
		}
		for k, v := range forks[i].vars {
			if old, ok := orig[k]; !ok || !reflect.DeepEqual(old, v) {
				fr.vars[k] = v
			}
		}
		// An item stopped only because a sibling failed does not decide:
		// the sibling's own failure does.
		sibling := ctx.Err() == nil && outs[i].err != nil && outs[i].err.Code == "canceled"
		if result.kind == outNext && outs[i].kind != outNext && !sibling {
			result = outs[i]
		}
	}
	if result.kind == outNext {
		for i := range items {
			if started[i] && outs[i].kind != outNext {
				return outs[i]
			}
		}
	}
	return result
}

// fork copies a frame for a concurrent forEach item: maps copied, the rest
// shared (read-only while the loop runs).
func (fr *frame) fork() *frame {
	f := *fr
	f.vars = maps.Clone(fr.vars)
	f.steps = maps.Clone(fr.steps)
	f.items = maps.Clone(fr.items)
	return &f
}

// action runs an action card: evaluate inputs, call with retries, record.
func (x *exec) action(ctx context.Context, fr *frame, n *compile.Node, ct *CardTrace) outcome {
	in, err := x.value(n.With, fr)
	if err != nil {
		return x.fail(ctx, fr, n, ct, &ErrorInfo{Card: cardRef(fr, n), Action: n.Card.Action.Value, Message: "evaluating with: " + err.Error(), Code: "expression"})
	}
	input, _ := in.(map[string]any)
	if input == nil {
		input = map[string]any{}
	}
	ct.Input = input
	method, _ := input["method"].(string)
	write := n.Action != nil && n.Action.EffectFor(strings.ToUpper(method)) == catalog.Write
	ct.Write = write
	req := effect.Request{Instance: n.Instance, Type: n.ConnectorType, Action: n.Action.Name, Input: input,
		Timeout: n.Timeout, IdempotencyKey: x.idempotencyKey(fr, n), RunID: x.run.ID, Card: fr.prefix + n.Path}
	ci := &effect.CallInfo{}
	out, eerr, attempts := x.callWithRetry(effect.WithCallInfo(ctx, ci), n.Retry, req)
	ct.Attempts = attempts
	ct.ReusedFrom = ci.ReusedFrom
	if eerr != nil {
		ei := &ErrorInfo{Card: cardRef(fr, n), Action: n.Card.Action.Value, Message: eerr.Message, Status: eerr.Status,
			Code: eerr.Code, Retryable: eerr.Retryable, Attempts: attempts}
		return x.fail(ctx, fr, n, ct, ei)
	}
	if out == nil {
		out = map[string]any{}
	}
	ct.Output = out
	ct.Status = CardSuccess
	if n.StepID != "" {
		fr.steps[n.StepID] = map[string]any{"output": out, "status": string(CardSuccess)}
	}
	if write {
		ch := Change{Card: cardRef(fr, n), Action: n.Card.Action.Value, With: input, Via: append([]string{}, fr.via...), Path: ct.Path}
		x.addChange(ch)
	}
	return outcome{kind: outNext}
}

// idempotencyKey is stable across retries, resumes and replays: (event or
// schedule instant, flow, card path with call chain and forEach index).
func (x *exec) idempotencyKey(fr *frame, n *compile.Node) string {
	sum := sha256.Sum256([]byte(x.key + "\x00" + x.run.Flow + "\x00" + fr.prefix + n.Path))
	return "jml-" + hex.EncodeToString(sum[:16])
}

// DefaultMaxRetryAfter bounds the wait a vendor asks for (Retry-After) on
// a card whose retry sets no maxInterval.
const DefaultMaxRetryAfter = time.Minute

// callWithRetry makes up to Retry.Attempts tries of a retryable failure,
// waiting interval × backoff^(try-1) (capped by maxInterval, plus jitter)
// and at least the vendor's Retry-After — but never more than maxInterval
// (DefaultMaxRetryAfter when unset), nor past the context's deadline: a
// vendor that asks for longer fails the card at once (retryWait). An
// effector that is a Retrier makes the tries itself, by the same rule.
func (x *exec) callWithRetry(ctx context.Context, pol compile.RetryPolicy, req effect.Request) (map[string]any, *effect.Error, int) {
	if r, ok := x.e.opts.Effector.(Retrier); ok {
		return r.DoRetrying(ctx, req, pol)
	}
	attempts := max(pol.Attempts, 1)
	for try := 1; ; try++ {
		req.Attempt = try
		out, err := x.e.opts.Effector.Do(ctx, req)
		if err == nil {
			return out, nil, try
		}
		ee := effect.AsError(err)
		if !ee.Retryable || try >= attempts || ctx.Err() != nil {
			return nil, ee, try
		}
		wait, tooLong := retryWait(ctx, pol, try, req, ee)
		if tooLong != nil {
			return nil, tooLong, try
		}
		if err := x.e.opts.Clock.Sleep(ctx, wait); err != nil {
			return nil, &effect.Error{Code: "canceled", Message: "canceled while waiting to retry: " + ee.Message, Status: ee.Status}, try
		}
	}
}

// Retrier is an effector that makes all the tries of a call itself (on
// Temporal, one activity whose retry policy is the card's): when the
// engine's effector is one, callWithRetry hands it the whole call. It must
// keep the engine's rule: a failed try is retried only as RetryWait says,
// after the wait it gives, with req.Attempt the try's number. It returns
// the output, or the error to stop with, and the number of tries made.
type Retrier interface {
	DoRetrying(ctx context.Context, req effect.Request, pol compile.RetryPolicy) (map[string]any, *effect.Error, int)
}

// MaxRetryWait is the longest wait RetryWait can give under pol: the
// backoff of the last retry (capped by maxInterval) plus the jitter, or
// the longest Retry-After it waits for (maxInterval, DefaultMaxRetryAfter
// when unset), whichever is longer. A Retrier whose waits are capped
// (Temporal's MaximumInterval) caps them at this.
func MaxRetryWait(pol compile.RetryPolicy) time.Duration {
	limit := pol.MaxInterval
	if limit <= 0 {
		limit = DefaultMaxRetryAfter
	}
	last := max(pol.Attempts, 2) - 1
	nojitter := pol
	nojitter.Jitter = 0
	b := backoff(nojitter, last, "")
	if b < 0 || b > math.MaxInt64/2 { // the float overflowed the Duration
		b = math.MaxInt64 / 2
	}
	return max(limit, b+pol.Jitter)
}

// RetryWait is the engine's one retry rule for calls made outside a card
// (jml events pull reads the System Log with it): after try number try
// (1-based) failed with ee, it returns the wait before the next try, or
// the error to stop with — ee itself when ee is not retryable or the
// policy's attempts are spent, or a vendor wait longer than the policy
// allows (see retryWait). req names the call (Instance, Type,
// IdempotencyKey for the jitter).
func RetryWait(ctx context.Context, pol compile.RetryPolicy, try int, req effect.Request, ee *effect.Error) (time.Duration, *effect.Error) {
	if !ee.Retryable || try >= max(pol.Attempts, 1) || ctx.Err() != nil {
		return 0, ee
	}
	return retryWait(ctx, pol, try, req, ee)
}

// retryWait is the wait before the next try after the retryable failure
// ee: the backoff, or the vendor's longer Retry-After. A Retry-After above
// the card's maxInterval (DefaultMaxRetryAfter when unset), or a wait that
// ends past ctx's deadline (the apply's, when it has one), is not waited
// for: the attempt fails, still retryable, with the vendor's wait in the
// message, so that a later resume can try again.
func retryWait(ctx context.Context, pol compile.RetryPolicy, try int, req effect.Request, ee *effect.Error) (time.Duration, *effect.Error) {
	wait := backoff(pol, try, req.IdempotencyKey)
	if ee.RetryAfter > wait {
		limit, what := pol.MaxInterval, "retry.maxInterval"
		if limit <= 0 {
			limit, what = DefaultMaxRetryAfter, "retry.maxInterval (default)"
		}
		if ee.RetryAfter > limit {
			return 0, waitTooLong(req, ee, fmt.Sprintf("more than %s %s", what, limit))
		}
		wait = ee.RetryAfter
	}
	// ctx's deadline is wall-clock time, like the context itself.
	if dl, ok := ctx.Deadline(); ok {
		if left := time.Until(dl); wait >= left {
			if ee.RetryAfter == wait {
				return 0, waitTooLong(req, ee, "past the deadline, "+roundWait(left)+" away")
			}
			// jml's own backoff outlasts the deadline.
			return 0, &effect.Error{Status: ee.Status, Code: ee.Code, Retryable: true, RetryAfter: ee.RetryAfter,
				Message: fmt.Sprintf("%s (not retried: the next try, in %s, would start past the deadline, %s away)", ee.Message, roundWait(wait), roundWait(left))}
		}
	}
	return wait, nil
}

// roundWait prints a wait to the second (a Retry-After date leaves a
// fraction).
func roundWait(d time.Duration) string {
	if d >= time.Second {
		d = d.Round(time.Second)
	}
	return d.String()
}

// waitTooLong is the error of an attempt whose vendor asked to wait longer
// than jml waits: retryable, with the vendor's status and code, naming the
// vendor and its wait.
func waitTooLong(req effect.Request, ee *effect.Error, why string) *effect.Error {
	vendor := catalog.Vendor(req.Type)
	if vendor == "" {
		vendor = "instance " + req.Instance
	}
	prefix := "rate limited"
	if ee.Code != "rate_limited" {
		prefix = ee.Message
	}
	return &effect.Error{Status: ee.Status, Code: ee.Code, Retryable: true, RetryAfter: ee.RetryAfter,
		Message: fmt.Sprintf("%s: %s asked to wait %s, %s", prefix, vendor, roundWait(ee.RetryAfter), why)}
}

// backoff is the wait after try number `try` (1-based). Jitter is derived
// from the idempotency key and the try, so replays wait the same.
func backoff(p compile.RetryPolicy, try int, key string) time.Duration {
	d := float64(p.Interval) * math.Pow(max(p.Backoff, 1), float64(try-1))
	if p.MaxInterval > 0 && d > float64(p.MaxInterval) {
		d = float64(p.MaxInterval)
	}
	if p.Jitter > 0 {
		sum := sha256.Sum256([]byte(fmt.Sprintf("%s#%d", key, try)))
		frac := float64(uint64(sum[0])<<8|uint64(sum[1])) / 65536
		d += frac * float64(p.Jitter)
	}
	return time.Duration(d)
}

// fail applies a failed action or call card's onError.
func (x *exec) fail(ctx context.Context, fr *frame, n *compile.Node, ct *CardTrace, ei *ErrorInfo) outcome {
	ct.Status = CardFailed
	ct.Error = ei
	if n.StepID != "" {
		fr.steps[n.StepID] = map[string]any{"output": nil, "status": string(CardFailed), "error": ei.Value()}
	}
	switch n.OnError {
	case ast.OnErrorContinue:
		return outcome{kind: outNext}
	case ast.OnErrorReturn:
		return outcome{kind: outReturned, err: ei, errReturn: true}
	case ast.OnErrorFlow:
		h := x.e.opts.Graph.Flows[n.ErrorFlow]
		if h != nil {
			hct := &CardTrace{Path: fr.prefix + n.Path + "/onError", Kind: "call", Flow: fr.flow.Name, Action: "onError " + h.Name,
				Branch: "onError", StartedAt: x.e.opts.Clock.Now()}
			ct.Children = append(ct.Children, hct)
			x.e.opts.Observer.CardStarted(x.run, hct)
			hfr := x.newFrame(h, map[string]any{}, ei.Value(), append(append([]string{}, fr.via...), h.Name), fr.depth+1)
			hout := x.flowBody(ctx, hfr, &hct.Children)
			hct.Status = CardSuccess
			if hout.kind == outHalted || hout.kind == outFailed || hout.errReturn {
				hct.Status = CardFailed
				hct.Error = hout.err
			}
			hct.Duration = x.e.opts.Clock.Now().Sub(hct.StartedAt)
			x.e.opts.Observer.CardFinished(x.run, hct)
		}
		return outcome{kind: outHalted, err: ei, failure: true}
	}
	return outcome{kind: outHalted, err: ei, failure: true}
}

// call runs a helper flow.
func (x *exec) call(ctx context.Context, fr *frame, n *compile.Node, ct *CardTrace) outcome {
	h := x.e.opts.Graph.Flows[n.Callee]
	in, err := x.value(n.With, fr)
	if err != nil {
		return x.fail(ctx, fr, n, ct, &ErrorInfo{Card: cardRef(fr, n), Action: "call " + n.Callee, Message: "evaluating with: " + err.Error(), Code: "expression"})
	}
	given, _ := in.(map[string]any)
	ct.Input = given
	if h == nil {
		return x.fail(ctx, fr, n, ct, &ErrorInfo{Card: cardRef(fr, n), Action: "call " + n.Callee, Message: "no helper flow " + n.Callee, Code: "invalid_input"})
	}
	if fr.depth+1 > compile.MaxCallDepth {
		return outcome{kind: outFailed, err: &ErrorInfo{Card: cardRef(fr, n), Action: "call " + n.Callee, Message: fmt.Sprintf("helper calls nested deeper than %d", compile.MaxCallDepth), Code: "call_depth"}}
	}
	inputs, ierr := helperInputs(h, given)
	if ierr != "" {
		return x.fail(ctx, fr, n, ct, &ErrorInfo{Card: cardRef(fr, n), Action: "call " + n.Callee, Message: ierr, Status: 400, Code: "invalid_input"})
	}
	via := append(append([]string{}, fr.via...), h.Name)
	prefix := fr.prefix + n.Path + "/" + h.Name + "/"
	var out outcome
	if hr, ok := x.e.opts.Runtime.(HelperRuntime); ok {
		res := hr.CallHelper(ctx, HelperCall{Helper: h.Name, Inputs: inputs, Card: fr.prefix + n.Path, Prefix: prefix, Via: via,
			Depth: fr.depth + 1, RunID: x.run.ID, Flow: x.run.Flow, Key: x.key, At: x.trigger.At, Request: x.trigger.Request,
			Profile: x.profile()})
		ct.Children = append(ct.Children, res.Cards...)
		x.heard(res.Cards)
		for _, ch := range res.Changes {
			x.addChange(ch)
		}
		out = res.outcome()
	} else {
		hfr := x.newFrame(h, inputs, nil, via, fr.depth+1)
		hfr.prefix = prefix
		out = x.flowBody(ctx, hfr, &ct.Children)
	}
	switch {
	case out.kind == outReturned && out.errReturn:
		e := *out.err
		e.Card, e.Action = cardRef(fr, n), "call "+n.Callee
		return x.fail(ctx, fr, n, ct, &e)
	case out.kind == outHalted || out.kind == outFailed:
		// A halt or failure inside a helper stops the whole run; a card
		// failure stays catchable by an enclosing try.
		return out
	}
	outputs := map[string]any{}
	for _, p := range h.AST.Outputs {
		outputs[p.Name.Value] = nil
	}
	for k, v := range out.outputs {
		outputs[k] = v
	}
	status := CardSuccess
	if out.kind == outFiltered {
		status = CardFiltered
		ct.Message = "the helper stopped at a continueIf"
	}
	ct.Status = status
	ct.Output = outputs
	if n.StepID != "" {
		fr.steps[n.StepID] = map[string]any{"output": outputs, "status": string(status)}
	}
	return outcome{kind: outNext}
}

// helperInputs checks a call's inputs against the helper's declaration;
// an optional input left out is null, never missing.
func helperInputs(h *compile.Flow, given map[string]any) (map[string]any, string) {
	inputs := map[string]any{}
	var missing []string
	for _, p := range h.AST.Inputs {
		v, ok := given[p.Name.Value]
		if !ok || v == nil {
			if p.Required {
				missing = append(missing, p.Name.Value)
			}
			inputs[p.Name.Value] = nil
			continue
		}
		if !typeOK(p.Type, v) {
			return nil, fmt.Sprintf("input %q of helper flow %q must be %s, got %s", p.Name.Value, h.Name, p.Type, typeName(v))
		}
		inputs[p.Name.Value] = v
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		return nil, fmt.Sprintf("helper flow %q needs input %s", h.Name, strings.Join(missing, ", "))
	}
	return inputs, ""
}

func typeOK(want string, v any) bool {
	switch want {
	case "string":
		_, ok := v.(string)
		return ok
	case "number":
		switch v.(type) {
		case int64, float64, int, uint64:
			return true
		}
		return false
	case "boolean":
		_, ok := v.(bool)
		return ok
	case "object":
		_, ok := v.(map[string]any)
		return ok
	case "list":
		_, ok := v.([]any)
		return ok
	}
	return true
}

func typeName(v any) string {
	switch v.(type) {
	case string:
		return "a string"
	case int64, float64, int, uint64:
		return "a number"
	case bool:
		return "a boolean"
	case map[string]any:
		return "an object"
	case []any:
		return "a list"
	case nil:
		return "null"
	}
	return fmt.Sprintf("%T", v)
}
