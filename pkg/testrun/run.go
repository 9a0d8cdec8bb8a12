package testrun

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/jml-dev/jml/pkg/compile"
	"github.com/jml-dev/jml/pkg/diag"
	"github.com/jml-dev/jml/pkg/engine"
	"github.com/jml-dev/jml/pkg/replay"
)

// Outcome is how a test ended.
type Outcome string

// The outcomes.
const (
	// Pass: every expectation held.
	Pass Outcome = "ok"
	// Fail: an expectation did not hold.
	Fail Outcome = "FAIL"
	// Error: the test could not run (an invalid test file, a replay error).
	Error Outcome = "ERROR"
	// Skipped: the test says skip.
	Skipped Outcome = "skip"
)

// Failure is one expectation that did not hold, at the place in the test
// file where it is written.
type Failure struct {
	At      diag.Range
	Code    string
	Message string
}

// String renders the failure as "file:line:col: message [code]".
func (f Failure) String() string {
	return fmt.Sprintf("%s: %s [%s]", f.At, f.Message, f.Code)
}

// DiffLine is one line of the expected-versus-actual diff: Op is ' '
// (context), '-' (expected, not there) or '+' (there, not allowed).
type DiffLine struct {
	Op     byte
	Indent int
	Text   string
}

// Result is the outcome of one test file.
type Result struct {
	// Path is the test file as shown; Name the test's name.
	Path, Name string
	Line       int
	Outcome    Outcome
	// Skip is why the test was skipped.
	Skip string
	// Diagnostics are the problems of an invalid test file.
	Diagnostics diag.Diagnostics
	// Err is why a valid test could not run.
	Err      string
	Failures []Failure
	Diff     []DiffLine
	// Runs counts the runs the test's events fired.
	Runs int
	// Duration is the virtual time the runs took (retry waits, injected
	// latency): deterministic, unlike wall time.
	Duration time.Duration
	// Sources hold the files the diagnostics point into.
	Sources map[string][]byte
}

// Invalid returns the result of a test file that did not load.
func Invalid(l *Loaded, path string) *Result {
	r := &Result{Path: path, Name: l.Name, Line: l.Line, Outcome: Error, Diagnostics: l.Diagnostics, Sources: l.Sources}
	if r.Name == "" {
		r.Name, r.Line = path, 1
	}
	return r
}

// Run runs one test: its events are replayed through the graph's flows
// against a fresh simulated world (the test's world, if any), and the runs
// are compared with the expectations.
func Run(ctx context.Context, t *Test, g *compile.Graph) *Result {
	res := &Result{Path: t.Path, Name: t.Name, Line: t.Line, Outcome: Pass}
	if t.Skip != "" {
		res.Outcome, res.Skip = Skipped, t.Skip
		return res
	}
	var runs []*engine.Run
	disabled := map[string]bool{}
	_, err := replay.Run(ctx, replay.Options{Graph: g, Events: t.Events, World: t.World, Mode: engine.ModeTest, At: t.At},
		func(r replay.Result) error {
			runs = append(runs, r.Runs...)
			for _, d := range r.Disabled {
				disabled[d] = true
			}
			return nil
		})
	if err != nil {
		res.Outcome, res.Err = Error, err.Error()
		return res
	}
	res.Runs = len(runs)
	for _, r := range runs {
		res.Duration += r.EndedAt.Sub(r.StartedAt)
	}
	c := &comparer{t: t, g: g, runs: runs, used: make([]bool, len(runs)), disabled: disabled}
	c.compare()
	sort.SliceStable(c.failures, func(i, j int) bool {
		a, b := c.failures[i].At.Start, c.failures[j].At.Start
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Column < b.Column
	})
	res.Failures, res.Diff = c.failures, c.diff
	if len(res.Failures) > 0 {
		res.Outcome = Fail
	}
	return res
}

type comparer struct {
	t        *Test
	g        *compile.Graph
	runs     []*engine.Run
	used     []bool
	disabled map[string]bool
	failures []Failure
	diff     []DiffLine
}

func (c *comparer) fail(at diag.Range, code, format string, args ...any) {
	c.failures = append(c.failures, Failure{At: at, Code: code, Message: fmt.Sprintf(format, args...)})
}

func (c *comparer) line(op byte, indent int, format string, args ...any) {
	c.diff = append(c.diff, DiffLine{Op: op, Indent: indent, Text: fmt.Sprintf(format, args...)})
}

func (c *comparer) compare() {
	for _, re := range c.t.Expect.Runs {
		idx := -1
		for i, r := range c.runs {
			if !c.used[i] && r.Flow == re.Flow {
				idx = i
				break
			}
		}
		if idx < 0 {
			c.fail(re.At, "run-missing", "flow %s did not run: %s", re.Flow, c.whyNoRun(re.Flow))
			c.line('-', 0, "run %s  %s", re.Flow, re.Status)
			for _, ch := range re.Changes {
				c.line('-', 1, "%s", expectedText(ch))
			}
			continue
		}
		c.used[idx] = true
		c.compareRun(re, c.runs[idx])
	}
	reported := make([]bool, len(c.runs))
	for _, nr := range c.t.Expect.NoRuns {
		for i, r := range c.runs {
			if r.Flow != nr.Name {
				continue
			}
			if engine.FilteredByTrigger(r) {
				// Its when: read the profile, so the run exists, but the
				// filter stopped it before any card: it did not fire.
				reported[i] = true
				continue
			}
			c.fail(nr.At, "unexpected-run", "flow %s ran (%s), but the test lists it under noRuns", r.Flow, runSummary(r))
			c.line('+', 0, "run %s  %s  (noRuns)", r.Flow, runSummary(r))
			reported[i] = true
		}
	}
	if c.t.Expect.Only {
		for i, r := range c.runs {
			if c.used[i] || reported[i] {
				continue
			}
			c.fail(c.t.Expect.OnlyAt, "unexpected-run", "flow %s ran (%s), but it is not listed and the test says only: true", r.Flow, runSummary(r))
			c.line('+', 0, "run %s  %s  (only)", r.Flow, runSummary(r))
		}
	}
}

func runSummary(r *engine.Run) string {
	n := len(r.Changes)
	s := fmt.Sprintf("%s, %d changes", r.Status, n)
	if n == 1 {
		s = fmt.Sprintf("%s, 1 change", r.Status)
	}
	return s
}

// whyNoRun explains a missing run as well as the repository allows.
func (c *comparer) whyNoRun(flow string) string {
	f := c.g.Flows[flow]
	ran := 0
	for _, r := range c.runs {
		if r.Flow == flow {
			ran++
		}
	}
	switch {
	case f == nil:
		return "no such flow"
	case ran > 0:
		return fmt.Sprintf("it ran %d times, and the test expects more runs of it", ran)
	case c.disabled[flow] || !f.Enabled:
		return "the flow is disabled (enabled: false)"
	case f.Trigger.Kind != "event":
		if f.Trigger.Kind == "schedule" {
			return fmt.Sprintf("it is a schedule flow (%s) and the test's `at` does not fire it", f.Trigger.Cron)
		}
		return fmt.Sprintf("its trigger is %s, not an event", f.Trigger.Kind)
	}
	eng := replay.Engine(replay.Setup{Graph: c.g, Flow: flow})
	var types []string
	seen := map[string]bool{}
	for _, ev := range c.t.Events {
		if len(eng.Select(ev).Flows) > 0 {
			return "its trigger matched, but its when filter was false"
		}
		if !seen[ev.EventType] {
			seen[ev.EventType] = true
			types = append(types, ev.EventType)
		}
	}
	if len(types) == 0 {
		return "the test has no event"
	}
	return fmt.Sprintf("its trigger (%s) matches none of the test's events (%s)", strings.Join(f.Trigger.Events, ", "), strings.Join(types, ", "))
}

func (c *comparer) compareRun(re RunExpect, r *engine.Run) {
	n := len(c.failures)
	var block []DiffLine
	add := func(op byte, indent int, format string, args ...any) {
		block = append(block, DiffLine{Op: op, Indent: indent, Text: fmt.Sprintf(format, args...)})
	}
	add(' ', 0, "run %s", r.Flow)
	if string(r.Status) != re.Status {
		c.fail(re.StatusAt, "run-status", "run of %s ended %s, want %s%s", r.Flow, r.Status, re.Status, errorSuffix(r))
		add('-', 1, "status %s", re.Status)
		add('+', 1, "status %s%s", r.Status, errorSuffix(r))
	} else {
		add(' ', 1, "status %s%s", r.Status, errorSuffix(r))
	}
	if re.Error != nil {
		got := map[string]any{}
		if r.Error != nil {
			got = r.Error.Value()
		}
		if !Subset(re.Error, got) {
			c.fail(re.ErrorAt, "run-error", "run of %s: its error %s does not match %s", r.Flow, compact(pick(got, re.Error)), compact(re.Error))
			add('-', 1, "error %s", compact(re.Error))
			add('+', 1, "error %s", compact(pick(got, re.Error)))
		}
	}

	// changes: an ordered subsequence, matched greedily.
	match := make([]int, len(re.Changes))
	pos := 0
	for i, want := range re.Changes {
		match[i] = -1
		for j := pos; j < len(r.Changes); j++ {
			if changeMatches(want, r.Changes[j]) {
				match[i], pos = j, j+1
				break
			}
		}
		if match[i] >= 0 {
			continue
		}
		hint := ""
		for j := 0; j < pos && j < len(r.Changes); j++ {
			if changeMatches(want, r.Changes[j]) {
				hint = fmt.Sprintf(" after %s (it was made earlier: out of order)", expectedText(re.Changes[prevMatched(match, i)]))
				break
			}
		}
		if hint == "" {
			if others := sameAction(want, r.Changes); len(others) > 0 {
				hint = fmt.Sprintf(" (%s was made with %s)", want.Action, strings.Join(others, ", "))
			}
		}
		c.fail(want.At, "change-missing", "run of %s: expected change not made: %s%s", r.Flow, expectedText(want), hint)
	}
	// absent and only mark actual changes.
	marks := make([]string, len(r.Changes))
	for _, want := range re.Absent {
		for j, got := range r.Changes {
			if changeMatches(want, got) {
				c.fail(want.At, "change-present", "run of %s made %s, which the test lists under absent", r.Flow, actualText(got))
				marks[j] = "absent"
			}
		}
	}
	if re.Only {
		matched := map[int]bool{}
		for _, j := range match {
			matched[j] = true
		}
		for j, got := range r.Changes {
			if !matched[j] && marks[j] == "" {
				c.fail(re.OnlyAt, "change-extra", "run of %s made %s, which is not listed and the run says only: true", r.Flow, actualText(got))
				marks[j] = "only"
			}
		}
	}
	// The diff of changes: matched and other actual changes as context,
	// missing expected ones as '-', forbidden actual ones as '+'.
	emit := func(j int) {
		if marks[j] != "" {
			add('+', 1, "%s  (%s)", actualText(r.Changes[j]), marks[j])
			return
		}
		add(' ', 1, "%s", actualText(r.Changes[j]))
	}
	a := 0
	for i, want := range re.Changes {
		if match[i] < 0 {
			add('-', 1, "%s", expectedText(want))
			continue
		}
		for ; a <= match[i]; a++ {
			emit(a)
		}
	}
	for ; a < len(r.Changes); a++ {
		emit(a)
	}

	for _, o := range re.Outputs {
		out, ok := cardOutput(r, o.Card)
		if !ok {
			c.fail(o.At, "output-missing", "run of %s: card %s did not run to success, so it has no output", r.Flow, o.Card)
			add('-', 1, "outputs.%s %s", o.Card, compact(o.Value))
			continue
		}
		if !Subset(o.Value, out) {
			c.fail(o.At, "output-mismatch", "run of %s: output of card %s is %s, want %s", r.Flow, o.Card, compact(pickAny(asJSON(out), asJSON(o.Value))), compact(o.Value))
			add('-', 1, "outputs.%s %s", o.Card, compact(o.Value))
			add('+', 1, "outputs.%s %s", o.Card, compact(pickAny(asJSON(out), asJSON(o.Value))))
		}
	}
	if len(c.failures) > n {
		c.diff = append(c.diff, block...)
	}
}

func prevMatched(match []int, i int) int {
	for k := i - 1; k >= 0; k-- {
		if match[k] >= 0 {
			return k
		}
	}
	return 0
}

func errorSuffix(r *engine.Run) string {
	if r.Error == nil {
		return ""
	}
	return fmt.Sprintf(" (%s: %s)", r.Error.Card, r.Error.Message)
}

// sameAction lists the inputs of the changes made with want's action.
func sameAction(want ChangeExpect, got []engine.Change) []string {
	var out []string
	for _, g := range got {
		if g.Action == want.Action {
			out = append(out, compact(pick(asJSON(g.With), want.With)))
		}
	}
	return out
}

func changeMatches(want ChangeExpect, got engine.Change) bool {
	if want.Action != got.Action {
		return false
	}
	if want.Card != "" && want.Card != got.Card && want.Card != got.Path {
		return false
	}
	if want.HasVia && strings.Join(want.Via, "\x00") != strings.Join(got.Via, "\x00") {
		return false
	}
	return want.With == nil || Subset(want.With, got.With)
}

// cardOutput finds the output of the card with id in the run's own flow.
func cardOutput(r *engine.Run, id string) (any, bool) {
	var find func(cs []*engine.CardTrace) (any, bool)
	find = func(cs []*engine.CardTrace) (any, bool) {
		for _, c := range cs {
			if c.Flow == r.Flow && (c.ID == id || c.Path == id) && c.Status == engine.CardSuccess {
				return c.Output, true
			}
			if out, ok := find(c.Children); ok {
				return out, true
			}
		}
		return nil, false
	}
	return find(r.Cards)
}

// pick keeps, of got, the keys want names (so that a mismatch shows what
// was compared, not every input).
func pick(got any, want map[string]any) any {
	if want == nil {
		return got
	}
	return pickAny(asJSON(got), asJSON(want))
}

// pickAny keeps, of got, what want names: the keys of mappings, at every
// depth.
func pickAny(got, want any) any {
	w, ok := want.(map[string]any)
	if !ok {
		return got
	}
	m, ok := got.(map[string]any)
	if !ok {
		return got
	}
	out := map[string]any{}
	for k, wv := range w {
		if v, ok := m[k]; ok {
			out[k] = pickAny(v, wv)
		}
	}
	return out
}

func expectedText(c ChangeExpect) string {
	s := c.Action
	if c.Card != "" {
		s += " (" + c.Card + ")"
	}
	if c.HasVia && len(c.Via) > 0 {
		s += " via " + strings.Join(c.Via, " › ")
	}
	if c.With != nil {
		s += " " + compact(c.With)
	}
	return s
}

func actualText(c engine.Change) string {
	s := c.Action + " (" + c.Card + ")"
	if len(c.Via) > 0 {
		s += " via " + strings.Join(c.Via, " › ")
	}
	return s + " " + compact(c.With)
}

// compact renders a value as compact JSON with sorted keys.
func compact(v any) string {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(asJSON(v)); err != nil {
		return fmt.Sprint(v)
	}
	return strings.TrimSuffix(b.String(), "\n")
}
