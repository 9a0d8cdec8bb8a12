package plan

import (
	"encoding/json"
	"regexp"
	"sort"
	"strconv"

	"github.com/jml-dev/jml/pkg/engine"
)

// Diff is the behavioural difference between two plans of the same events:
// what a change to the flows would do differently (jml plan --compare).
type Diff struct {
	// Base names the flows planned first (a git ref), Head the others.
	Base string `json:"base"`
	Head string `json:"head"`
	// BaseCommit and HeadCommit are the commits (full SHAs) the two sides
	// were read from, when they are commits: "" when a side is not (a
	// recorded run, no commit yet). HeadDirty reports that the head was
	// read from a working tree with uncommitted changes on HeadCommit, so
	// HeadCommit alone does not name what was planned.
	BaseCommit string      `json:"baseCommit,omitempty"`
	HeadCommit string      `json:"headCommit,omitempty"`
	HeadDirty  bool        `json:"headDirty,omitempty"`
	Events     []EventDiff `json:"events"`
	Summary    DiffSummary `json:"summary"`
}

// DiffSummary counts a Diff.
type DiffSummary struct {
	// Events is the number of events planned; Changed how many of them
	// the change affects.
	Events          int `json:"events"`
	Changed         int `json:"changed"`
	RunsAdded       int `json:"runsAdded"`
	RunsRemoved     int `json:"runsRemoved"`
	StatusChanged   int `json:"statusChanged"`
	ChangesAdded    int `json:"changesAdded"`
	ChangesRemoved  int `json:"changesRemoved"`
	ChangesModified int `json:"changesModified"`
}

// EventDiff is one event whose runs differ.
type EventDiff struct {
	UUID string `json:"uuid"`
	// User is the login of the user the event is about, when the caller
	// knows it (SetUsers).
	User      string    `json:"user,omitempty"`
	EventType string    `json:"eventType"`
	Published string    `json:"published"`
	Runs      []RunDiff `json:"runs"`
}

// Run difference kinds.
const (
	RunAdded   = "added"
	RunRemoved = "removed"
	RunChanged = "changed"
)

// RunDiff is one flow's run that differs: added (it fires only with the
// head flows), removed (only with the base), or changed.
type RunDiff struct {
	Flow string `json:"flow"`
	Kind string `json:"kind"`
	// Before and After are the run's statuses ("" when there is no run).
	Before  engine.Status `json:"before,omitempty"`
	After   engine.Status `json:"after,omitempty"`
	Changes []ChangeDiff  `json:"changes"`
}

// Change difference kinds.
const (
	ChangeAdded    = "added"
	ChangeRemoved  = "removed"
	ChangeModified = "modified"
)

// ChangeDiff is one write made only by one side, or by both with other
// inputs. Writes are matched by card path and action.
type ChangeDiff struct {
	Kind   string         `json:"kind"`
	Action string         `json:"action"`
	Card   string         `json:"card"`
	Path   string         `json:"path"`
	With   map[string]any `json:"with,omitempty"`
	// Was holds the base inputs of a modified write, and Fields the
	// inputs that differ (FieldChanges).
	Was    map[string]any `json:"was,omitempty"`
	Fields []FieldChange  `json:"fields,omitempty"`
}

// FieldChange is one input of a modified write that differs: added
// (only head sets it), removed (only base) or modified. Path names it
// from the top of the inputs: fields.short_description, or
// headers["X-Trace"] for a key that is not a plain name.
type FieldChange struct {
	Path string `json:"path"`
	Kind string `json:"kind"`
	Was  any    `json:"was,omitempty"`
	With any    `json:"with,omitempty"`
}

// FieldChanges returns the inputs that differ between was and with, in
// path order. Mappings are compared key by key, recursively; anything else
// (lists, scalars) is compared whole, as JSON.
func FieldChanges(was, with map[string]any) []FieldChange {
	var out []FieldChange
	fieldChanges("", was, with, &out)
	return out
}

func fieldChanges(prefix string, was, with map[string]any, out *[]FieldChange) {
	keys := make([]string, 0, len(was)+len(with))
	for k := range was {
		keys = append(keys, k)
	}
	for k := range with {
		if _, ok := was[k]; !ok {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		path := fieldPath(prefix, k)
		b, inB := was[k]
		h, inH := with[k]
		switch {
		case !inB:
			*out = append(*out, FieldChange{Path: path, Kind: ChangeAdded, With: h})
		case !inH:
			*out = append(*out, FieldChange{Path: path, Kind: ChangeRemoved, Was: b})
		default:
			bm, bIsMap := b.(map[string]any)
			hm, hIsMap := h.(map[string]any)
			if bIsMap && hIsMap {
				fieldChanges(path, bm, hm, out)
			} else if !sameJSON(b, h) {
				*out = append(*out, FieldChange{Path: path, Kind: ChangeModified, Was: b, With: h})
			}
		}
	}
}

var plainKey = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// fieldPath appends key k to path prefix: .k for a plain name, else
// ["k"].
func fieldPath(prefix, k string) string {
	if !plainKey.MatchString(k) {
		return prefix + "[" + strconv.Quote(k) + "]"
	}
	if prefix == "" {
		return k
	}
	return prefix + "." + k
}

// SetUsers names the user of each event, by uuid (login returns "" when
// an event names none).
func (d *Diff) SetUsers(login func(uuid string) string) {
	for i := range d.Events {
		d.Events[i].User = login(d.Events[i].UUID)
	}
}

// Differs reports whether the plans differ at all.
func (d *Diff) Differs() bool { return d.Summary.Changed > 0 }

// Compare returns what differs between base and head, two plans of the
// same events (in the same order).
func Compare(baseName string, base *Plan, headName string, head *Plan) *Diff {
	d := &Diff{Base: baseName, Head: headName, Events: []EventDiff{}}
	byUUID := map[string]Event{}
	for _, ev := range base.Events {
		byUUID[ev.UUID] = ev
	}
	seen := map[string]bool{}
	add := func(ev Event, b, h []Run) {
		runs := compareRuns(b, h, &d.Summary)
		d.Summary.Events++
		if len(runs) > 0 {
			d.Summary.Changed++
			d.Events = append(d.Events, EventDiff{UUID: ev.UUID, EventType: ev.EventType, Published: ev.Published, Runs: runs})
		}
	}
	for _, ev := range head.Events {
		seen[ev.UUID] = true
		add(ev, byUUID[ev.UUID].Runs, ev.Runs)
	}
	for _, ev := range base.Events {
		if !seen[ev.UUID] {
			add(ev, ev.Runs, nil)
		}
	}
	return d
}

func compareRuns(base, head []Run, s *DiffSummary) []RunDiff {
	b := map[string]Run{}
	for _, r := range base {
		b[r.Flow] = r
	}
	h := map[string]Run{}
	for _, r := range head {
		h[r.Flow] = r
	}
	flows := map[string]bool{}
	for f := range b {
		flows[f] = true
	}
	for f := range h {
		flows[f] = true
	}
	names := make([]string, 0, len(flows))
	for f := range flows {
		names = append(names, f)
	}
	sort.Strings(names)
	var out []RunDiff
	for _, f := range names {
		br, inB := b[f]
		hr, inH := h[f]
		switch {
		case !inB:
			s.RunsAdded++
			rd := RunDiff{Flow: f, Kind: RunAdded, After: hr.Status, Changes: changesOf(ChangeAdded, hr.Changes)}
			s.ChangesAdded += len(rd.Changes)
			out = append(out, rd)
		case !inH:
			s.RunsRemoved++
			rd := RunDiff{Flow: f, Kind: RunRemoved, Before: br.Status, Changes: changesOf(ChangeRemoved, br.Changes)}
			s.ChangesRemoved += len(rd.Changes)
			out = append(out, rd)
		default:
			changes := compareChanges(br.Changes, hr.Changes, s)
			if br.Status != hr.Status {
				s.StatusChanged++
			} else if len(changes) == 0 {
				continue
			}
			out = append(out, RunDiff{Flow: f, Kind: RunChanged, Before: br.Status, After: hr.Status, Changes: changes})
		}
	}
	return out
}

func changesOf(kind string, cs []engine.Change) []ChangeDiff {
	out := make([]ChangeDiff, 0, len(cs))
	for _, c := range cs {
		out = append(out, ChangeDiff{Kind: kind, Action: c.Action, Card: c.Card, Path: c.Path, With: c.With})
	}
	return out
}

// compareChanges pairs the writes of the two sides: first by card path
// and action, then — for cards that moved because others were inserted or
// removed — by card id (the step id when set) and action, then by action in
// order. A pair with other inputs is modified; unpaired writes are added or
// removed. Head's order first, then the base writes head no longer makes.
func compareChanges(base, head []engine.Change, s *DiffSummary) []ChangeDiff {
	pair := make([]int, len(head)) // head index → base index, or -1
	used := make([]bool, len(base))
	for i := range pair {
		pair[i] = -1
	}
	match := func(same func(b, h engine.Change) bool) {
		for i, h := range head {
			if pair[i] >= 0 {
				continue
			}
			for j, b := range base {
				if !used[j] && same(b, h) {
					pair[i], used[j] = j, true
					break
				}
			}
		}
	}
	match(func(b, h engine.Change) bool { return b.Path == h.Path && b.Action == h.Action })
	match(func(b, h engine.Change) bool {
		return b.Card == h.Card && b.Card != b.Path && b.Action == h.Action
	})
	match(func(b, h engine.Change) bool { return b.Action == h.Action && sameJSON(b.With, h.With) })
	match(func(b, h engine.Change) bool { return b.Action == h.Action })
	out := []ChangeDiff{}
	for i, c := range head {
		switch {
		case pair[i] < 0:
			s.ChangesAdded++
			out = append(out, ChangeDiff{Kind: ChangeAdded, Action: c.Action, Card: c.Card, Path: c.Path, With: c.With})
		case !sameJSON(base[pair[i]].With, c.With):
			s.ChangesModified++
			was := base[pair[i]].With
			out = append(out, ChangeDiff{Kind: ChangeModified, Action: c.Action, Card: c.Card, Path: c.Path, With: c.With, Was: was,
				Fields: FieldChanges(was, c.With)})
		}
	}
	for j, c := range base {
		if !used[j] {
			s.ChangesRemoved++
			out = append(out, ChangeDiff{Kind: ChangeRemoved, Action: c.Action, Card: c.Card, Path: c.Path, With: c.With})
		}
	}
	return out
}

func sameJSON(a, b any) bool {
	x, err1 := json.Marshal(a)
	y, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && string(x) == string(y)
}
