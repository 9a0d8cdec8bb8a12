package view

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/jml-dev/jml/pkg/engine"
	"github.com/jml-dev/jml/pkg/plan"
)

// TraceEvent is one event of a dry-run and the runs it fired.
type TraceEvent struct {
	UUID      string        `json:"uuid"`
	EventType string        `json:"eventType"`
	Published string        `json:"published"`
	Runs      []*engine.Run `json:"runs"`
	Disabled  []string      `json:"disabledFlows,omitempty"`
	// AlreadyDone are flows an earlier apply finished for this event
	// (apply converges: they are not run again).
	AlreadyDone []DoneRun `json:"alreadyDone,omitempty"`
	// Error is why the event's flows could not all be run.
	Error string `json:"error,omitempty"`
}

// DoneRun is a flow not run again: the run that finished it.
type DoneRun struct {
	Flow   string `json:"flow"`
	RunID  string `json:"run"`
	Status string `json:"status"`
}

// TraceSummary counts a dry-run.
type TraceSummary struct {
	Events     int                   `json:"events"`
	Runs       int                   `json:"runs"`
	ByStatus   map[engine.Status]int `json:"byStatus"`
	Duplicates int                   `json:"duplicates"`
	Skipped    int                   `json:"skipped"`
	// AlreadyDone counts the runs apply did not repeat.
	AlreadyDone int `json:"alreadyDone,omitempty"`
	// flows counts the same per flow, for the table after an apply
	// (ApplySummary), as Add is called: the trace itself is not kept.
	flows map[string]*flowCount
}

// flowCount is one flow's row of the apply table.
type flowCount struct{ runs, success, filtered, halted, failed, done int }

func (s *TraceSummary) flow(name string) *flowCount {
	if s.flows == nil {
		s.flows = map[string]*flowCount{}
	}
	if s.flows[name] == nil {
		s.flows[name] = &flowCount{}
	}
	return s.flows[name]
}

// NewTraceEvent is a trace's entry for one trigger — uuid, type and
// published time as replay.Result.Trigger names them — and the runs it
// fired (none is an empty list, not null, in JSON).
func NewTraceEvent(uuid, typ, published string, runs []*engine.Run, disabled []string) TraceEvent {
	if runs == nil {
		runs = []*engine.Run{}
	}
	return TraceEvent{UUID: uuid, EventType: typ, Published: published, Runs: runs, Disabled: disabled}
}

// Add counts one trigger into the summary — the event (a schedule
// firing, isEvent false, is not one), its runs by status, the runs an
// earlier apply finished — and reports whether it fails the command: a
// run halted or failed, or its flows could not all be run (Error).
// dry-run, apply and resume count with it, so that their summaries and
// exit codes agree.
func (s *TraceSummary) Add(ev TraceEvent, isEvent bool) (failed bool) {
	if s.ByStatus == nil {
		s.ByStatus = map[engine.Status]int{}
	}
	if isEvent {
		s.Events++
	}
	failed = ev.Error != ""
	for _, run := range ev.Runs {
		s.Runs++
		s.ByStatus[run.Status]++
		failed = failed || run.Status.Failed()
		f := s.flow(run.Flow)
		f.runs++
		switch run.Status {
		case engine.StatusSuccess:
			f.success++
		case engine.StatusFiltered:
			f.filtered++
		case engine.StatusHalted:
			f.halted++
		case engine.StatusFailed:
			f.failed++
		}
	}
	for _, d := range ev.AlreadyDone {
		s.AlreadyDone++
		s.flow(d.Flow).done++
	}
	return failed
}

// Trace is the whole dry-run (or apply) output.
type Trace struct {
	// Title names the summary line ("Dry run" when empty).
	Title   string       `json:"-"`
	Events  []TraceEvent `json:"events"`
	Summary TraceSummary `json:"summary"`
}

// TraceRenderer renders a dry-run (or an apply) as it happens: Event
// writes, or spools, each trigger as its runs finish, End writes the
// counts, so that a trace of any size is never held whole. Close removes
// what it spooled; call it once the trace has ended or failed.
type TraceRenderer interface {
	Event(ev TraceEvent) error
	End(s TraceSummary) error
	io.Closer
}

// NewTraceRenderer returns the renderer of a --format: text (like Flow
// History), json (the events array, then the summary) or markdown (a
// pull-request comment). title names the summary ("Dry run" when empty).
func NewTraceRenderer(format string, w io.Writer, title string, st Styles) TraceRenderer {
	if title == "" {
		title = "Dry run"
	}
	switch format {
	case "json":
		return &traceJSON{w: &errWriter{w: w}}
	case "markdown":
		r := &traceMarkdown{w: &errWriter{w: w}, title: title}
		r.rowsW, r.detailsW = &errWriter{w: &r.rows}, &errWriter{w: &r.details}
		return r
	}
	return &traceText{w: &errWriter{w: w}, title: title, st: st}
}

// Stream hands a whole trace to a renderer (a trace built beforehand;
// apply streams its events to the renderer itself, in input order).
func (t *Trace) Stream(r TraceRenderer) error {
	defer r.Close()
	for _, ev := range t.Events {
		if err := r.Event(ev); err != nil {
			return err
		}
	}
	return r.End(t.Summary)
}

// TraceJSON writes a whole trace as JSON.
func TraceJSON(w io.Writer, t *Trace) error {
	return t.Stream(NewTraceRenderer("json", w, t.Title, Styles{}))
}

// traceJSON writes {"events": [...], "summary": {...}} as json.Encoder
// with a two-space indent would the whole Trace, one event at a time.
type traceJSON struct {
	w   *errWriter
	n   int
	buf bytes.Buffer
}

func (r *traceJSON) Event(ev TraceEvent) error {
	r.buf.Reset()
	if r.n == 0 {
		r.buf.WriteString("{\n  \"events\": [")
	} else {
		r.buf.WriteByte(',')
	}
	r.buf.WriteString("\n    ")
	b, err := json.MarshalIndent(ev, "    ", "  ")
	if err != nil {
		return err
	}
	r.buf.Write(b)
	r.n++
	r.w.Write(r.buf.Bytes())
	return r.w.err
}

func (r *traceJSON) End(s TraceSummary) error {
	r.buf.Reset()
	if r.n == 0 {
		r.buf.WriteString("{\n  \"events\": []")
	} else {
		r.buf.WriteString("\n  ]")
	}
	r.buf.WriteString(",\n  \"summary\": ")
	b, err := json.MarshalIndent(s, "  ", "  ")
	if err != nil {
		return err
	}
	r.buf.Write(b)
	r.buf.WriteString("\n}\n")
	r.w.Write(r.buf.Bytes())
	return r.w.err
}

func (r *traceJSON) Close() error { return nil }

func cardMark(st Styles, s engine.CardStatus) string {
	switch s {
	case engine.CardSuccess:
		return st.OK.Render("✓")
	case engine.CardSkipped:
		return st.Dim.Render("-")
	case engine.CardFiltered:
		return st.Dim.Render("⊘")
	}
	return st.Error.Render("✗")
}

// TraceText writes a whole trace as the text renderer does.
func TraceText(w io.Writer, t *Trace, st Styles) {
	t.Stream(NewTraceRenderer("text", w, t.Title, st))
}

// traceText writes a dry-run like Flow History: per event, per run, each
// card with its status, duration, inputs, outputs or error; then the
// summary line.
type traceText struct {
	w     *errWriter
	title string
	st    Styles
}

func (r *traceText) Event(ev TraceEvent) error {
	if len(ev.Runs) == 0 && len(ev.Disabled) == 0 && len(ev.AlreadyDone) == 0 && ev.Error == "" {
		return nil
	}
	w, st := r.w, r.st
	fmt.Fprintf(w, "%s %s %s\n", st.Bold.Render("event "+ev.UUID), ev.EventType, st.Dim.Render(ev.Published))
	for _, d := range ev.Disabled {
		fmt.Fprintf(w, "  %s  %s\n", st.Bold.Render(d), st.Dim.Render("skipped: the flow is disabled"))
	}
	for _, d := range ev.AlreadyDone {
		done := d.Status
		if done == "success" {
			done = "succeeded"
		}
		fmt.Fprintf(w, "  %s  %s\n", st.Bold.Render(d.Flow), st.Dim.Render(fmt.Sprintf("skipped: already %s in run %s (--force runs it again)", done, d.RunID)))
	}
	if ev.Error != "" {
		fmt.Fprintf(w, "  %s %s\n", st.Error.Render("error:"), ev.Error)
	}
	for _, run := range ev.Runs {
		RunText(w, run, "  ", st)
	}
	return w.err
}

func (r *traceText) End(s TraceSummary) error {
	fmt.Fprintln(r.w, traceSummary(r.title, s))
	return r.w.err
}

func (r *traceText) Close() error { return nil }

// RunText writes one run: a header line (flow, status, id, duration),
// then every card with its status, inputs, outputs or error.
func RunText(w io.Writer, r *engine.Run, indent string, st Styles) {
	meta := fmt.Sprintf("%s, %s", r.ID, Duration(r.EndedAt.Sub(r.StartedAt)))
	if r.ResumedFrom != "" {
		meta = fmt.Sprintf("%s resuming %s, %s", r.ID, r.ResumedFrom, Duration(r.EndedAt.Sub(r.StartedAt)))
	}
	fmt.Fprintf(w, "%s%s  %s  %s\n", indent, st.Bold.Render(r.Flow), statusStyle(st, r.Status), st.Dim.Render(meta))
	cards(w, r.Cards, indent+"  ", st)
	if r.Error != nil && r.Status != engine.StatusSuccess {
		fmt.Fprintf(w, "%s  %s %s: %s\n", indent, st.Error.Render(string(r.Status)+":"), r.Error.Card, r.Error.Message)
	}
}

func traceSummary(title string, sum TraceSummary) string {
	s := fmt.Sprintf("%s: %s, %s", title, plural(sum.Events, "event"), plural(sum.Runs, "run"))
	if parts := byStatus(sum.ByStatus); parts != "" {
		s += " (" + parts + ")"
	}
	if sum.AlreadyDone > 0 {
		s += fmt.Sprintf("; %s already done", plural(sum.AlreadyDone, "run"))
	}
	if sum.Duplicates > 0 {
		s += fmt.Sprintf("; %s dropped", plural(sum.Duplicates, "duplicate event"))
	}
	if sum.Skipped > 0 {
		s += fmt.Sprintf("; %s skipped", plural(sum.Skipped, "malformed event"))
	}
	return s + "."
}

func cards(w io.Writer, cs []*engine.CardTrace, indent string, st Styles) {
	branch := ""
	for _, c := range cs {
		if c.Branch != branch && c.Branch != "" {
			fmt.Fprintf(w, "%s%s\n", indent, st.Dim.Render(c.Branch+":"))
		}
		branch = c.Branch
		label := c.Kind
		if c.Action != "" {
			label = c.Action
		}
		name := c.ID
		if name == "" {
			name = c.Path
		}
		extra := []string{}
		if c.Attempts > 1 {
			extra = append(extra, fmt.Sprintf("%d attempts", c.Attempts))
		}
		if c.ReusedFrom != "" {
			extra = append(extra, "not called: done by "+c.ReusedFrom)
		} else if c.Status != engine.CardSkipped {
			extra = append(extra, Duration(c.Duration))
		}
		line := fmt.Sprintf("%s%s %s %s", indent, cardMark(st, c.Status), st.Code.Render(label), st.Dim.Render(name))
		if c.Taken != "" {
			// The arm an if or switch took; those not taken are not listed.
			line += " → " + st.Bold.Render(c.Taken)
		}
		if len(extra) > 0 {
			line += " " + st.Dim.Render("("+strings.Join(extra, ", ")+")")
		}
		fmt.Fprintln(w, line)
		if c.Status == engine.CardSkipped {
			continue
		}
		if c.Input != nil {
			fmt.Fprintf(w, "%s    %s %s\n", indent, st.Dim.Render("in: "), compact(c.Input))
		}
		if c.Output != nil && (c.Kind == "action" || c.Kind == "call" || c.Kind == "return") {
			fmt.Fprintf(w, "%s    %s %s\n", indent, st.Dim.Render("out:"), compact(c.Output))
		}
		if c.Error != nil {
			fmt.Fprintf(w, "%s    %s %s\n", indent, st.Error.Render("err:"), errorText(c.Error))
		}
		if c.Taken == "default" && c.Value != nil {
			fmt.Fprintf(w, "%s    %s\n", indent, st.Dim.Render(compact(c.Value)+" matches no case"))
		}
		if c.Message != "" && c.Error == nil && (c.Kind == "halt" || c.Kind == "continueIf" || c.Kind == "try" || c.Kind == "when" || c.Path == engine.ProfileCard) {
			fmt.Fprintf(w, "%s    %s\n", indent, st.Dim.Render(c.Message))
		}
		cards(w, c.Children, indent+"  ", st)
	}
}

func errorText(e *engine.ErrorInfo) string {
	s := e.Message
	if e.Code != "" {
		s += " [" + e.Code + "]"
	}
	if e.Status != 0 {
		s = fmt.Sprintf("%d %s", e.Status, s)
	}
	return s
}

// traceMarkdown writes a dry-run for a pull-request comment: the summary
// first (as planMarkdown, and for the same reason), a table of every run,
// then one collapsible section per run. The rows and the sections wait in
// spools until the summary is known.
type traceMarkdown struct {
	w               *errWriter
	title           string
	rows, details   plan.Spool
	rowsW, detailsW *errWriter
}

func (r *traceMarkdown) Event(ev TraceEvent) error {
	for _, run := range ev.Runs {
		fmt.Fprintf(r.rowsW, "| `%s` | %s | %s | %s |\n", mdEscape(ev.UUID), ev.EventType, run.Flow, run.Status)
	}
	w := r.detailsW
	for _, run := range ev.Runs {
		fmt.Fprintf(w, "\n<details><summary><code>%s</code> %s — %s: %s</summary>\n\n```\n", mdEscape(ev.UUID), ev.EventType, run.Flow, run.Status)
		cards(w, run.Cards, "", Styles{})
		if run.Error != nil && run.Status != engine.StatusSuccess {
			fmt.Fprintf(w, "%s: %s: %s\n", run.Status, run.Error.Card, run.Error.Message)
		}
		fmt.Fprintln(w, "```\n</details>")
	}
	if r.rowsW.err != nil {
		return r.rowsW.err
	}
	return w.err
}

func (r *traceMarkdown) End(s TraceSummary) error {
	w := r.w
	fmt.Fprintf(w, "### jml %s\n\n%s\n\n", strings.ToLower(strings.ReplaceAll(r.title, " ", "-")), traceSummary(r.title, s))
	fmt.Fprintln(w, "| event | type | flow | status |")
	fmt.Fprintln(w, "|---|---|---|---|")
	if w.err != nil {
		return w.err
	}
	if err := r.rows.CopyTo(w); err != nil {
		return err
	}
	return r.details.CopyTo(w)
}

func (r *traceMarkdown) Close() error {
	err := r.rows.Close()
	if derr := r.details.Close(); err == nil {
		err = derr
	}
	return err
}

// ApplySummary writes, after an apply's trace, a table of runs per flow by
// status (and the runs not repeated because an earlier apply finished
// them), as the summary counted them (Add).
func ApplySummary(w io.Writer, s *TraceSummary, st Styles) {
	rows := s.flows
	if len(rows) == 0 {
		return
	}
	flows := make([]string, 0, len(rows))
	for f := range rows {
		flows = append(flows, f)
	}
	sort.Strings(flows)
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "flow\truns\tsuccess\tfiltered\thalted\tfailed\talready done\t")
	for _, f := range flows {
		x := rows[f]
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\t%d\t\n", f, x.runs, x.success, x.filtered, x.halted, x.failed, x.done)
	}
	tw.Flush()
}
