package world

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/jml-dev/jml/pkg/catalog"
	"github.com/jml-dev/jml/pkg/clock"
	"github.com/jml-dev/jml/pkg/effect"
	"github.com/jml-dev/jml/pkg/table"
)

// DefaultTimeout bounds one call when the request sets no timeout, as the
// real connectors do; an injected latency at or above it is a timeout.
const DefaultTimeout = 30 * time.Second

// defaultStart is the time of the virtual clock New uses when given none.
var defaultStart = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

// Instance is a connector instance of jml.yaml.
type Instance struct {
	// Name is the instance name (the key under connectors:).
	Name string
	// Type is its connector type (okta, slack, …).
	Type string
	// Tables are, for a table instance, the tables jml.yaml declares
	// (table.FromNode); nil for other types.
	Tables table.Schema
}

// User is a user an event names: its Okta id, its login (the event's
// alternateId, an email address), its display name and any profile fields
// the event carries.
type User struct {
	// ID is the Okta user id (00u…).
	ID string
	// Login is the Okta login, the event's alternateId: an email address,
	// the key of the user in the email-keyed apps.
	Login string
	// DisplayName is the name the event shows ("Jane Doe").
	DisplayName string
	// Profile holds the Okta profile fields the event carries; nil when it
	// carries none.
	Profile map[string]any
}

// World is the simulated state of every connector instance. It is safe for
// concurrent use.
type World struct {
	mu        sync.Mutex
	clk       clock.Clock
	instances map[string]*instance
	// names are the instances' names, sorted: seeding walks them for every
	// event.
	names  []string
	faults []*faultState
	// joiners holds the ids and lower-cased logins of the users named by a
	// user.lifecycle.create event: they are never seeded into apps other
	// than Okta, since the joiner flow creates them there.
	joiners map[string]bool
	// seeded remembers the users every instance already holds, so that an
	// event naming them again (most events name someone seen before) costs
	// one lookup rather than one per instance. See SeedEvent.
	seeded map[seedKey]struct{}
	// repeated counts the roster entries left out as repeats (roster.go),
	// for the tests.
	repeated int
	// noSeedMemo turns seeded off, for the test that it changes nothing.
	noSeedMemo bool
	// performed, when set, is told of every action performed (see
	// OnPerformed).
	performed func(instance, action string)
	// roster holds the users events seeded that instances have not taken
	// yet (roster.go); eager turns it off (every seed done at once), for
	// the tests that it changes nothing.
	roster roster
	eager  bool
	// spool holds the bulky part of the writes the models keep (spool.go),
	// shared with clones.
	spool *spool
}

// OnPerformed has fn told of every action the world performs, once its
// effect is in the state and before any late answer a fault adds. fn is
// called with the world locked: it must not call the world. jml sandbox
// uses it to let a test wait for a vendor to have done something without
// polling.
func (w *World) OnPerformed(fn func(instance, action string)) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.performed = fn
}

// seedKey is what seeding reads of a user (SeedEvent leaves out users with
// a Profile from its memory).
type seedKey struct{ id, login string }

type instance struct {
	name, typ string
	// tables are a table instance's declared tables.
	tables table.Schema
	// idx is the instance's index in World.names: its bit in a roster
	// entry's taken.
	idx int
	// described is set when a world file describes the instance: it is
	// then a closed world and never seeded from events.
	described bool
	m         model
	// createsAccounts: flows create this app's accounts (see
	// createsAccounts), so a joiner is not seeded into it.
	createsAccounts bool
}

// state is the instance's entry in World.State (the world's lock held).
func (in *instance) state() map[string]any {
	st := map[string]any{}
	if in.m != nil {
		st = in.m.state()
	}
	st["type"] = in.typ
	st["described"] = in.described
	return st
}

// model is the state of one instance of one connector type.
type model interface {
	// do performs an action whose input has been checked against the
	// catalogue. Errors are *effect.Error.
	do(c *call) (map[string]any, error)
	// seed makes u exist (active) unless it already does.
	seed(u User)
	// load replaces the state with a world file's description.
	load(o obj)
	clone() model
	state() map[string]any
}

// call is one action being performed.
type call struct {
	action string
	in     map[string]any
	req    effect.Request
	now    time.Time
	// open reports whether the instance is an open (event-seeded) world,
	// where groups come into being on first reference.
	open bool
	// pull has the instance take the users the world's roster holds
	// under a key before the model looks it up, for a lookup of a key the
	// input does not hold (see roster.go). Nil in tests of a bare model.
	pull func(key string)
}

// need is called by a model before it looks up a key its input does not
// hold.
func (c *call) need(key string) {
	if c.pull != nil {
		c.pull(key)
	}
}

// str returns a string input ("" when absent).
func (c *call) str(name string) string { return strOf(c.in, name) }

// newModel returns the empty model of a connector type, or nil; sp holds
// the bulky part of the writes it keeps (spool.go).
func newModel(typ string, sp *spool) model {
	switch typ {
	case "okta":
		return newOkta()
	case "slack":
		return newSlack(sp)
	case "google":
		return newGoogle(sp)
	case "microsoft":
		return newMicrosoft(sp)
	case "servicenow":
		return newServiceNow(sp)
	case "salesforce":
		return newSalesforce()
	case "github":
		return newGitHub()
	case "jira":
		return newJira()
	case "http":
		return newHTTP()
	case "activedirectory":
		return newActiveDirectory()
	case "email":
		return newEmail(sp)
	}
	return nil
}

// newModel returns the instance's empty model: newModel of its type, with
// the tables a table instance declares.
func (in *instance) newModel(sp *spool) model {
	if in.typ == "table" {
		return newTable(in.tables)
	}
	return newModel(in.typ, sp)
}

// connectors caches the catalogue: Lookup copies on every call.
var connectors = sync.OnceValue(func() map[string]*catalog.Connector {
	m := map[string]*catalog.Connector{}
	for _, c := range catalog.All() {
		m[c.Type] = c
	}
	return m
})

func catalogAction(typ, action string) (*catalog.Action, bool) {
	c, ok := connectors()[typ]
	if !ok {
		return nil, false
	}
	return c.Action(action)
}

// New returns a world holding the instances, all empty and open (seeded
// from events). clk is the clock injected latency and timeouts sleep on; nil
// means a virtual clock, so a World never sleeps unless told to.
func New(instances []Instance, clk clock.Clock) *World {
	if clk == nil {
		clk = clock.NewVirtual(defaultStart)
	}
	w := &World{clk: clk, instances: map[string]*instance{}, joiners: map[string]bool{}, seeded: map[seedKey]struct{}{}, spool: &spool{}}
	for _, in := range instances {
		w.instances[in.Name] = &instance{name: in.Name, typ: in.Type, tables: in.Tables, createsAccounts: createsAccounts(in.Type)}
		w.instances[in.Name].m = w.instances[in.Name].newModel(w.spool)
	}
	w.names = sortedKeys(w.instances)
	for i, name := range w.names {
		w.instances[name].idx = i
	}
	return w
}

// SeedEagerly makes SeedEvent seed every open instance at once, as before
// the roster (roster.go): the same answers, with more memory. For the
// tests that compare the two; users already waiting are taken first.
func (w *World) SeedEagerly() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.pullEveryone()
	w.eager = true
}

// Instances returns the world's instances, sorted by name.
func (w *World) Instances() []Instance {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := make([]Instance, 0, len(w.instances))
	for _, name := range sortedKeys(w.instances) {
		out = append(out, Instance{Name: name, Type: w.instances[name].typ, Tables: w.instances[name].tables})
	}
	return out
}

// Described reports whether a world file describes the instance.
func (w *World) Described(name string) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	in := w.instances[name]
	return in != nil && in.described
}

// Do performs one action against the world. The request's Instance selects
// the instance (its Type is taken from New, not from the request). Every
// error is an *effect.Error: a 400 for missing or mistyped inputs, the
// vendor's status for a failure the vendor would report (404 for an unknown
// user…), the injected status, latency or timeout of a matching fault, and a
// non-retryable 501 for an action the world does not know.
func (w *World) Do(ctx context.Context, req effect.Request) (map[string]any, error) {
	if err := ctx.Err(); err != nil {
		return nil, effect.AsError(err)
	}
	if ci := effect.CallInfoFrom(ctx); ci != nil {
		ci.Simulated = true
	}
	in := normalizeInput(req.Input)
	w.mu.Lock()
	inst, ok := w.instances[req.Instance]
	if !ok {
		w.mu.Unlock()
		return nil, &effect.Error{Code: "unknown_instance", Message: fmt.Sprintf("the world has no connector instance %q", req.Instance)}
	}
	act, ok := catalogAction(inst.typ, req.Action)
	if !ok || inst.m == nil {
		w.mu.Unlock()
		return nil, notImplemented(inst.typ, req.Action)
	}
	if err := checkInput(act, in); err != nil {
		w.mu.Unlock()
		return nil, err
	}
	f := w.takeFault(req.Instance, req.Action, in)
	w.mu.Unlock()

	if f != nil && !f.After {
		if err := w.inject(ctx, f, req.Timeout); err != nil {
			return nil, err
		}
	}

	w.mu.Lock()
	defer w.mu.Unlock()
	// The instance may have been replaced by Apply while we slept.
	inst = w.instances[req.Instance]
	if inst == nil || inst.m == nil {
		return nil, &effect.Error{Code: "unknown_instance", Message: fmt.Sprintf("the world has no connector instance %q", req.Instance)}
	}
	c := &call{action: req.Action, in: in, req: req, now: w.clk.Now(), open: !inst.described}
	if w.lazy() {
		w.pullCall(inst, req.Action, in)
		c.pull = func(key string) { w.pull(inst, key) }
	}
	out, err := inst.m.do(c)
	if err != nil {
		return nil, err
	}
	if w.performed != nil {
		w.performed(req.Instance, req.Action)
	}
	if out == nil {
		out = map[string]any{}
	}
	if f != nil && f.After {
		// The action is done; the answer is late or lost.
		w.mu.Unlock()
		ierr := w.inject(ctx, f, req.Timeout)
		w.mu.Lock()
		if ierr != nil {
			return nil, ierr
		}
	}
	return out, nil
}

func normalizeInput(in map[string]any) map[string]any {
	m, _ := normalize(in).(map[string]any)
	if m == nil {
		m = map[string]any{}
	}
	return m
}

// notImplemented is the error of an action the world has no model of. It is
// not retryable: trying again cannot help.
func notImplemented(typ, action string) *effect.Error {
	return &effect.Error{Status: http.StatusNotImplemented, Code: "not_implemented",
		Message: fmt.Sprintf("the simulated world does not implement %s action %q", typ, action)}
}

// checkInput checks the input against the action's catalogue entry:
// required inputs present (a required string not empty) and every known
// input of its declared type. Unknown inputs are left to validate.
func checkInput(act *catalog.Action, in map[string]any) error {
	for _, f := range act.Inputs {
		v, present := in[f.Name]
		if !present || v == nil {
			if f.Required {
				return badRequest("missing required input %q", f.Name)
			}
			continue
		}
		if !typeOK(f.Type, v) {
			return badRequest("input %q must be %s, not %s", f.Name, typeName(f.Type), valueKind(v))
		}
		if s, ok := v.(string); ok && f.Required && strings.TrimSpace(s) == "" {
			return badRequest("input %q must not be empty", f.Name)
		}
	}
	return nil
}

func typeOK(t catalog.Type, v any) bool {
	switch t {
	case catalog.String:
		_, ok := v.(string)
		return ok
	case catalog.Number:
		switch v.(type) {
		case int64, float64:
			return true
		}
		return false
	case catalog.Boolean:
		_, ok := v.(bool)
		return ok
	case catalog.Object:
		_, ok := v.(map[string]any)
		return ok
	case catalog.List:
		_, ok := v.([]any)
		return ok
	}
	return true
}

func typeName(t catalog.Type) string {
	switch t {
	case catalog.Object:
		return "an object"
	case catalog.List:
		return "a list"
	}
	return "a " + string(t)
}

func valueKind(v any) string {
	switch v.(type) {
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case int64, float64:
		return "a number"
	case map[string]any:
		return "an object"
	case []any:
		return "a list"
	}
	return "null"
}

func badRequest(format string, args ...any) *effect.Error {
	return effect.HTTPError(http.StatusBadRequest, fmt.Sprintf(format, args...))
}

func notFound(format string, args ...any) *effect.Error {
	return effect.HTTPError(http.StatusNotFound, fmt.Sprintf(format, args...))
}

func conflict(format string, args ...any) *effect.Error {
	return effect.HTTPError(http.StatusConflict, fmt.Sprintf(format, args...))
}

// Clone returns a deep copy of the world: every instance's state, the
// remaining count of every fault, the generated-id counters. The copy and
// the original evolve independently; they share the clock.
func (w *World) Clone() *World {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.pullEveryone() // the copy starts with every user in place
	c := &World{clk: w.clk, instances: make(map[string]*instance, len(w.instances)), names: w.names, joiners: make(map[string]bool, len(w.joiners)),
		seeded: map[seedKey]struct{}{}, eager: w.eager, noSeedMemo: w.noSeedMemo, spool: w.spool}
	for name, in := range w.instances {
		cp := *in
		if in.m != nil {
			cp.m = in.m.clone()
		}
		c.instances[name] = &cp
	}
	for _, f := range w.faults {
		cp := *f
		c.faults = append(c.faults, &cp)
	}
	for k := range w.joiners {
		c.joiners[k] = true
	}
	return c
}

// State returns a JSON-ready snapshot of the world keyed by instance name:
// each instance's type, whether a world file describes it, and its state
// (users, groups, records, messages… in sorted order). Two worlds that went
// through the same calls have equal States. The snapshot is a copy.
func (w *World) State() map[string]any {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.pullEveryone()
	out := make(map[string]any, len(w.instances))
	for name, in := range w.instances {
		out[name] = in.state()
	}
	return out
}

// InstanceState is State's entry for one instance, or nil when the world
// has no such instance: what a sandbox route reads to answer one call,
// without snapshotting every other instance (a snapshot is linear in the
// world, so a whole State per call made an apply of N events quadratic
// in the sandbox).
func (w *World) InstanceState(name string) map[string]any {
	w.mu.Lock()
	defer w.mu.Unlock()
	in, ok := w.instances[name]
	if !ok {
		return nil
	}
	w.pullAll(in) // its every user, as State
	return in.state()
}

// userFinder is a model that can find one user the way the world's own
// calls do (its indexes), rendered as its state lists users.
type userFinder interface {
	// findUser returns the user whose by is key, and false when the model
	// has no index on by.
	findUser(by, key string) (u map[string]any, indexed bool)
}

// FindUser returns the user of an instance whose attribute by ("id",
// "email", … as the model names them) is key, rendered as InstanceState
// lists it under "users": the model's own lookup, the one its calls use,
// so a sandbox route answers as the world does in dry-run — without
// rendering the instance's every user, which made each call linear in
// the world (issue #12). It pulls from the roster only the users key can
// find, and every user when that finds none (a key no roster hash covers,
// such as a generated id). indexed is false when the model has no index
// on by: the caller then reads InstanceState.
func (w *World) FindUser(name, by, key string) (u map[string]any, indexed bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	in, ok := w.instances[name]
	if !ok {
		return nil, true
	}
	f, ok := in.m.(userFinder)
	if !ok {
		return nil, false
	}
	w.pull(in, key)
	if u, indexed = f.findUser(by, key); !indexed || u != nil {
		return u, indexed
	}
	w.pullAll(in)
	return f.findUser(by, key)
}
