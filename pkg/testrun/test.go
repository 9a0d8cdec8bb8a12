package testrun

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/jml-dev/jml/pkg/ast"
	"github.com/jml-dev/jml/pkg/catalog"
	"github.com/jml-dev/jml/pkg/compile"
	"github.com/jml-dev/jml/pkg/diag"
	"github.com/jml-dev/jml/pkg/event"
	"github.com/jml-dev/jml/pkg/replay"
	"github.com/jml-dev/jml/pkg/schema"
	"github.com/jml-dev/jml/pkg/source"
	"github.com/jml-dev/jml/pkg/world"
)

// Test is one decoded test file.
type Test struct {
	// Path is the test file as shown in messages.
	Path string
	// Name is the test's name: as written, or the file name.
	Name string
	// Line is the line of the test's name (or 1), for reports.
	Line int
	// Skip is why the test is skipped; "" runs it.
	Skip string
	// Events are the events to replay, in order.
	Events []*event.Event
	// At fires schedule flows at that instant (nil: none).
	At *time.Time
	// World is the world to run against, or nil.
	World  *world.Spec
	Expect Expect
}

// Expect is a test's expectations.
type Expect struct {
	Runs   []RunExpect
	NoRuns []Named
	// Only forbids runs other than those listed.
	Only bool
	// OnlyAt is where `only` is written.
	OnlyAt diag.Range
}

// Named is a flow name with its position.
type Named struct {
	Name string
	At   diag.Range
}

// RunExpect is one run that must happen.
type RunExpect struct {
	Flow string
	// Status is the status the run must end with (default success).
	Status   string
	At       diag.Range
	StatusAt diag.Range
	// Error, when set, must be a subset of the run's error.
	Error   map[string]any
	ErrorAt diag.Range
	Changes []ChangeExpect
	Absent  []ChangeExpect
	// Only: no changes but those listed.
	Only   bool
	OnlyAt diag.Range
	// Outputs maps a card id to a subset of its output.
	Outputs []OutputExpect
}

// ChangeExpect is a change to look for.
type ChangeExpect struct {
	Action string
	// With is a subset of the change's inputs (nil: any).
	With map[string]any
	// Card is the card id or path (""; any).
	Card string
	// Via, when HasVia, must equal the change's helper chain.
	Via    []string
	HasVia bool
	At     diag.Range
}

// OutputExpect is a card output to check.
type OutputExpect struct {
	Card  string
	Value any
	At    diag.Range
}

// MaxDiagnostics caps the diagnostics reported for one test file.
const MaxDiagnostics = 50

// LoadOptions say what a test file is checked against.
type LoadOptions struct {
	// Graph is the compiled repository (flows and jml.yaml); nil skips the
	// checks of flow, instance and action names.
	Graph *compile.Graph
	// WorkDir is the directory paths in messages are relative to.
	WorkDir string
}

// Loaded is a test file as read: the test when it decoded, its
// diagnostics, and the sources they point into (for snippets).
type Loaded struct {
	Test *Test
	// Name and Line are the test's name and its line, as far as the file
	// could be read (for reporting an invalid test).
	Name        string
	Line        int
	Diagnostics diag.Diagnostics
	Sources     map[string][]byte
}

// Load reads the test file at path (shown as display), validates it against
// schemas/test.schema.json, reads the event and world files it names and
// checks the flows and actions it names against the repository. Every
// problem found is reported; Test is nil when there are errors.
func Load(path, display string, opts LoadOptions) *Loaded {
	l := &Loaded{Sources: map[string][]byte{}}
	f, ds := source.ReadFile(path, display)
	l.Diagnostics.Add(ds...)
	if f == nil || f.Root == nil {
		if f != nil {
			l.Sources[display] = f.Src
		}
		return l
	}
	l.Sources[display] = f.Src
	return l.decode(f, filepath.Dir(path), opts)
}

// Decode is Load for a test file already parsed (dir is the directory
// relative paths in it are resolved against).
func Decode(f *source.File, dir string, opts LoadOptions) *Loaded {
	l := &Loaded{Sources: map[string][]byte{f.Path: f.Src}}
	if f.Root == nil {
		return l
	}
	return l.decode(f, dir, opts)
}

// decode decodes and checks a parsed test file into l.
func (l *Loaded) decode(f *source.File, dir string, opts LoadOptions) *Loaded {
	d := &decoder{f: f, dir: dir, opts: opts, l: l}
	t := d.decode()
	if t != nil {
		l.Name, l.Line = t.Name, t.Line
	}
	l.Diagnostics, _ = l.Diagnostics.Normalize(MaxDiagnostics)
	if !l.Diagnostics.HasErrors() {
		l.Test = t
	}
	return l
}

type decoder struct {
	f    *source.File
	dir  string
	opts LoadOptions
	l    *Loaded
}

func (d *decoder) errorf(n *yaml.Node, code, format string, args ...any) {
	d.l.Diagnostics.Errorf(d.f.Range(n), code, format, args...)
}

func (d *decoder) decode() *Test {
	v, err := schema.For("test")
	if err != nil {
		d.errorf(d.f.Root, "internal", "test schema: %v", err)
		return nil
	}
	// Schema errors do not stop the decoding: every problem is reported at
	// once, so what follows checks each node's shape before using it.
	d.l.Diagnostics.Add(v.Validate(d.f)...)
	root := d.f.Root
	t := &Test{Path: d.f.Path, Line: 1}
	if n := source.Get(root, "name"); n != nil && n.Kind == yaml.ScalarNode {
		t.Name, t.Line = n.Value, n.Line
	} else {
		t.Name = strings.TrimSuffix(filepath.Base(d.f.Path), filepath.Ext(d.f.Path))
	}
	if n := source.Get(root, "skip"); n != nil && n.Kind == yaml.ScalarNode {
		t.Skip = n.Value
	}
	if n := source.Get(root, "at"); n != nil && n.Kind == yaml.ScalarNode {
		at, err := time.Parse(time.RFC3339, n.Value)
		if err != nil {
			d.errorf(n, "invalid-value", "at: %q is not an RFC 3339 time (2026-01-05T02:00:00Z)", n.Value)
		} else {
			at = at.UTC()
			t.At = &at
		}
	}
	if n := source.Get(root, "event"); n != nil && (n.Kind != yaml.ScalarNode || n.ShortTag() == "!!str") {
		t.Events = d.events(n)
	}
	if source.Key(root, "event") == nil && source.Key(root, "at") == nil {
		d.errorf(root, "missing-key", "missing required key \"event\" in the document (or \"at\", to fire schedule flows)")
	}
	if n := source.Get(root, "world"); n != nil && (n.Kind == yaml.ScalarNode || n.Kind == yaml.MappingNode) {
		t.World = d.world(n)
	}
	t.Expect = d.expect(source.Get(root, "expect"))
	return t
}

// resolve returns the file path a test-relative path names, and how it is
// shown.
func (d *decoder) resolve(p string) (path, display string) {
	path = p
	if !filepath.IsAbs(p) {
		path = filepath.Join(d.dir, filepath.FromSlash(p))
	}
	return path, display0(d.opts.WorkDir, path)
}

// display0 renders path relative to workDir when it is inside it.
func display0(workDir, path string) string {
	if workDir == "" {
		return filepath.ToSlash(path)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return filepath.ToSlash(path)
	}
	rel, err := filepath.Rel(workDir, abs)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return filepath.ToSlash(path)
	}
	return filepath.ToSlash(rel)
}

// events reads the event(s) of `event:`: a file path or inline YAML.
func (d *decoder) events(n *yaml.Node) []*event.Event {
	if n.Kind == yaml.ScalarNode {
		path, display := d.resolve(n.Value)
		if st, err := os.Stat(path); err != nil {
			d.errorf(n, "event-file", "cannot read event file %s: %s", display, pathErr(err))
			return nil
		} else if st.IsDir() {
			d.errorf(n, "event-file", "event file %s is a directory: name one .json or .ndjson file", display)
			return nil
		} else if !st.Mode().IsRegular() {
			// A device or a pipe could block or never end.
			d.errorf(n, "event-file", "event file %s is not a regular file", display)
			return nil
		}
		s, err := event.Open([]string{path}, event.Options{WorkDir: d.opts.WorkDir})
		if err != nil {
			d.errorf(n, "event-file", "%v", err)
			return nil
		}
		evs := d.drain(s, n)
		if src, err := os.ReadFile(path); err == nil && len(src) <= source.MaxFileSize {
			d.l.Sources[display] = src
		}
		if len(evs) == 0 && !d.l.Diagnostics.HasErrors() {
			d.errorf(n, "no-events", "event file %s holds no event", display)
		}
		return evs
	}
	// Inline: the YAML value, as JSON, through the same decoder as event
	// files (a LogEvent, an event-hook delivery or a list of LogEvents).
	b, err := json.Marshal(source.Value(n))
	if err != nil {
		d.errorf(n, "bad-event", "inline event: %v", err)
		return nil
	}
	s, err := event.Decode(bytes.NewReader(b), fmt.Sprintf("%s:%d", d.f.Path, n.Line), event.Options{})
	if err != nil {
		d.errorf(n, "bad-event", "inline event: %v", err)
		return nil
	}
	evs := d.drain(s, n)
	if len(evs) == 0 && !d.l.Diagnostics.HasErrors() {
		d.errorf(n, "no-events", "the inline event list is empty")
	}
	return evs
}

// drain reads every event of a stream, reporting decode errors in the
// event file (or, inline, at the event node).
func (d *decoder) drain(s *event.Stream, n *yaml.Node) []*event.Event {
	defer s.Close()
	var evs []*event.Event
	for {
		ev, err := s.Next()
		if errors.Is(err, io.EOF) {
			return evs
		}
		if err != nil {
			var de *event.DecodeError
			if errors.As(err, &de) && n.Kind == yaml.ScalarNode && de.Line > 0 {
				d.l.Diagnostics.Errorf(diag.Range{File: de.File, Start: diag.Pos{Line: de.Line, Column: de.Column}}, "bad-event", "%s", de.Msg)
			} else if de != nil {
				d.errorf(n, "bad-event", "%s", de.Msg)
			} else {
				d.errorf(n, "bad-event", "%v", err)
			}
			return nil
		}
		evs = append(evs, ev)
	}
}

func pathErr(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// world reads `world:`: a world file path or an inline world.
func (d *decoder) world(n *yaml.Node) *world.Spec {
	var spec *world.Spec
	var ds diag.Diagnostics
	if n.Kind == yaml.ScalarNode {
		path, display := d.resolve(n.Value)
		if st, err := os.Stat(path); err != nil {
			d.errorf(n, "world-file", "cannot read world file %s: %s", display, pathErr(err))
			return nil
		} else if !st.Mode().IsRegular() {
			d.errorf(n, "world-file", "world file %s is not a regular file", display)
			return nil
		}
		spec, ds = world.LoadFile(path, display)
		if src, err := os.ReadFile(path); err == nil && len(src) <= source.MaxFileSize {
			d.l.Sources[display] = src
		}
	} else {
		spec, ds = world.DecodeNode(d.f, n)
	}
	d.l.Diagnostics.Add(ds...)
	if spec == nil || ds.HasErrors() {
		return nil
	}
	if d.opts.Graph != nil {
		d.l.Diagnostics.Add(spec.Check(replay.Instances(d.opts.Graph.Config))...)
	}
	return spec
}

func (d *decoder) expect(n *yaml.Node) Expect {
	var e Expect
	if n == nil || n.Kind != yaml.MappingNode {
		return e
	}
	if o := source.Get(n, "only"); o != nil {
		e.Only, _ = source.Scalar(o).(bool)
		e.OnlyAt = d.f.Range(source.Key(n, "only"))
	}
	expected := map[string]*yaml.Node{}
	if runs := source.Get(n, "runs"); runs != nil && runs.Kind == yaml.SequenceNode {
		for _, rn := range runs.Content {
			rn = source.Resolve(rn)
			if rn == nil || rn.Kind != yaml.MappingNode || !isString(source.Get(rn, "flow")) {
				continue // the schema said why
			}
			r := d.run(rn)
			e.Runs = append(e.Runs, r)
			if _, ok := expected[r.Flow]; !ok {
				expected[r.Flow] = source.Get(rn, "flow")
			}
		}
	}
	if nr := source.Get(n, "noRuns"); nr != nil && nr.Kind == yaml.SequenceNode {
		for _, fn := range nr.Content {
			fn = source.Resolve(fn)
			if !isString(fn) {
				continue
			}
			e.NoRuns = append(e.NoRuns, Named{Name: fn.Value, At: d.f.Range(fn)})
			d.checkFlow(fn, false)
			if _, ok := expected[fn.Value]; ok {
				d.errorf(fn, "conflicting-expectation", "flow %q is both expected to run (line %d) and listed in noRuns", fn.Value, expected[fn.Value].Line)
			}
		}
	}
	return e
}

func (d *decoder) run(n *yaml.Node) RunExpect {
	fn := source.Get(n, "flow")
	r := RunExpect{Flow: fn.Value, At: d.f.Range(fn), Status: "success", StatusAt: d.f.Range(fn)}
	d.checkFlow(fn, true)
	if s := source.Get(n, "status"); isString(s) {
		r.Status, r.StatusAt = s.Value, d.f.Range(s)
	}
	if en := source.Get(n, "error"); en != nil {
		r.Error, _ = source.Value(en).(map[string]any)
		r.ErrorAt = d.f.Range(en)
	}
	if o := source.Get(n, "only"); o != nil {
		r.Only, _ = source.Scalar(o).(bool)
		r.OnlyAt = d.f.Range(source.Key(n, "only"))
	}
	r.Changes = d.changes(source.Get(n, "changes"))
	r.Absent = d.changes(source.Get(n, "absent"))
	if on := source.Get(n, "outputs"); on != nil {
		for _, p := range source.Pairs(on) {
			r.Outputs = append(r.Outputs, OutputExpect{Card: p[0].Value, Value: source.Value(p[1]), At: d.f.Range(p[0])})
		}
	}
	return r
}

func (d *decoder) changes(n *yaml.Node) []ChangeExpect {
	if n == nil || n.Kind != yaml.SequenceNode {
		return nil
	}
	var out []ChangeExpect
	for _, c := range n.Content {
		c = source.Resolve(c)
		if c == nil || c.Kind != yaml.MappingNode || !isString(source.Get(c, "action")) {
			continue // the schema said why
		}
		out = append(out, d.change(c))
	}
	return out
}

// isString reports whether n is a string scalar.
func isString(n *yaml.Node) bool {
	return n != nil && n.Kind == yaml.ScalarNode && n.ShortTag() == "!!str"
}

func (d *decoder) change(n *yaml.Node) ChangeExpect {
	an := source.Get(n, "action")
	c := ChangeExpect{Action: an.Value, At: d.f.Range(n)}
	d.checkAction(an)
	if w := source.Get(n, "with"); w != nil {
		c.With, _ = source.Value(w).(map[string]any)
	}
	if cn := source.Get(n, "card"); isString(cn) {
		c.Card = cn.Value
	}
	if vn := source.Get(n, "via"); vn != nil && vn.Kind == yaml.SequenceNode {
		c.HasVia = true
		c.Via = []string{}
		for _, x := range vn.Content {
			c.Via = append(c.Via, source.Resolve(x).Value)
		}
	}
	return c
}

// checkFlow reports a flow name the repository does not have, and a helper
// flow, which never runs on its own (run: a runs entry, not noRuns).
func (d *decoder) checkFlow(n *yaml.Node, run bool) {
	g := d.opts.Graph
	if g == nil || n == nil {
		return
	}
	f, ok := g.Flows[n.Value]
	if !ok {
		msg := fmt.Sprintf("no flow named %q in the repository", n.Value)
		if s, ok := diag.Closest(n.Value, g.Names); ok {
			msg += fmt.Sprintf("; did you mean %q?", s)
		}
		d.errorf(n, "unknown-flow", "%s", msg)
		return
	}
	if f.Trigger.Kind == ast.TriggerHelper {
		what := "expecting a run of it can never pass"
		if !run {
			what = "listing it under noRuns checks nothing"
		}
		d.errorf(n, "helper-run", "%q is a helper flow: it never runs on its own, so %s (its changes belong to the calling run, with via: [%s])", n.Value, what, n.Value)
	}
}

// checkAction reports an INSTANCE.ACTION that jml.yaml and the catalogue
// do not know: such an expectation could never match anything.
func (d *decoder) checkAction(n *yaml.Node) {
	g := d.opts.Graph
	if g == nil || g.Config == nil || n == nil {
		return
	}
	inst, act, ok := strings.Cut(n.Value, ".")
	if !ok {
		return // the schema's pattern said so
	}
	c, ok := g.Config.Connector(inst)
	if !ok {
		var known []string
		for _, c := range g.Config.Connectors {
			known = append(known, c.Name.Value)
		}
		sort.Strings(known)
		msg := fmt.Sprintf("connector instance %q is not defined in jml.yaml", inst)
		if s, ok := diag.Closest(inst, known); ok {
			msg += fmt.Sprintf("; did you mean %q?", s)
		}
		d.errorf(n, "unknown-instance", "%s", msg)
		return
	}
	cat, ok := catalog.Lookup(c.Type.Value)
	if !ok {
		return // validate reports unknown connector types
	}
	a, ok := cat.Action(act)
	if !ok {
		msg := fmt.Sprintf("connector type %q has no action %q", c.Type.Value, act)
		if s, ok := diag.Closest(act, cat.ActionNames()); ok {
			msg += fmt.Sprintf("; did you mean %q?", inst+"."+s)
		}
		d.errorf(n, "unknown-action", "%s", msg)
		return
	}
	if a.Effect == catalog.Read && c.Type.Value != "http" {
		d.errorf(n, "read-action", "%s is a read: reads are never changes, so this expectation can never match", n.Value)
	}
}
