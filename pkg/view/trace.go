package view

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/jml-dev/jml/pkg/engine"
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
}

// Trace is the whole dry-run (or apply) output.
type Trace struct {
	// Title names the summary line ("Dry run" when empty).
	Title   string       `json:"-"`
	Events  []TraceEvent `json:"events"`
	Summary TraceSummary `json:"summary"`
}

// TraceJSON writes a dry-run as JSON.
func TraceJSON(w io.Writer, t *Trace) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(t)
}

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

// TraceText writes a dry-run like Flow History: per event, per run, each
// card with its status, duration, inputs, outputs or error.
func TraceText(w io.Writer, t *Trace, st Styles) {
	for _, ev := range t.Events {
		if len(ev.Runs) == 0 && len(ev.Disabled) == 0 && len(ev.AlreadyDone) == 0 && ev.Error == "" {
			continue
		}
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
		for _, r := range ev.Runs {
			RunText(w, r, "  ", st)
		}
	}
	fmt.Fprintln(w, traceSummary(t))
}

// RunText writes one run: a header line (flow, status, id, duration),
// then every card with its status, inputs, outputs or error.
func RunText(w io.Writer, r *engine.Run, indent string, st Styles) {
	meta := fmt.Sprintf("%s, %s", r.ID, r.EndedAt.Sub(r.StartedAt))
	if r.ResumedFrom != "" {
		meta = fmt.Sprintf("%s resuming %s, %s", r.ID, r.ResumedFrom, r.EndedAt.Sub(r.StartedAt))
	}
	fmt.Fprintf(w, "%s%s  %s  %s\n", indent, st.Bold.Render(r.Flow), statusStyle(st, r.Status), st.Dim.Render(meta))
	cards(w, r.Cards, indent+"  ", st)
	if r.Error != nil && r.Status != engine.StatusSuccess {
		fmt.Fprintf(w, "%s  %s %s: %s\n", indent, st.Error.Render(string(r.Status)+":"), r.Error.Card, r.Error.Message)
	}
}

func traceSummary(t *Trace) string {
	title := t.Title
	if title == "" {
		title = "Dry run"
	}
	s := fmt.Sprintf("%s: %s, %s", title, plural(t.Summary.Events, "event"), plural(t.Summary.Runs, "run"))
	if parts := byStatus(t.Summary.ByStatus); parts != "" {
		s += " (" + parts + ")"
	}
	if t.Summary.AlreadyDone > 0 {
		s += fmt.Sprintf("; %s already done", plural(t.Summary.AlreadyDone, "run"))
	}
	if t.Summary.Duplicates > 0 {
		s += fmt.Sprintf("; %s dropped", plural(t.Summary.Duplicates, "duplicate event"))
	}
	if t.Summary.Skipped > 0 {
		s += fmt.Sprintf("; %s skipped", plural(t.Summary.Skipped, "malformed event"))
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
			extra = append(extra, c.Duration.String())
		}
		line := fmt.Sprintf("%s%s %s %s", indent, cardMark(st, c.Status), st.Code.Render(label), st.Dim.Render(name))
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

// TraceMarkdown writes a dry-run for a pull-request comment.
func TraceMarkdown(w io.Writer, t *Trace) {
	fmt.Fprintf(w, "### jml %s\n\n%s\n\n", strings.ToLower(strings.ReplaceAll(firstNonEmpty(t.Title, "Dry run"), " ", "-")), traceSummary(t))
	fmt.Fprintln(w, "| event | type | flow | status |")
	fmt.Fprintln(w, "|---|---|---|---|")
	for _, ev := range t.Events {
		for _, r := range ev.Runs {
			fmt.Fprintf(w, "| `%s` | %s | %s | %s |\n", mdEscape(ev.UUID), ev.EventType, r.Flow, r.Status)
		}
	}
	for _, ev := range t.Events {
		for _, r := range ev.Runs {
			fmt.Fprintf(w, "\n<details><summary><code>%s</code> %s — %s: %s</summary>\n\n```\n", mdEscape(ev.UUID), ev.EventType, r.Flow, r.Status)
			cards(w, r.Cards, "", Styles{})
			if r.Error != nil && r.Status != engine.StatusSuccess {
				fmt.Fprintf(w, "%s: %s: %s\n", r.Status, r.Error.Card, r.Error.Message)
			}
			fmt.Fprintln(w, "```\n</details>")
		}
	}
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// ApplySummary writes, after an apply's trace, a table of runs per flow by
// status (and the runs not repeated because an earlier apply finished
// them).
func ApplySummary(w io.Writer, t *Trace, st Styles) {
	type row struct{ runs, success, filtered, halted, failed, done int }
	rows := map[string]*row{}
	get := func(flow string) *row {
		if rows[flow] == nil {
			rows[flow] = &row{}
		}
		return rows[flow]
	}
	for _, ev := range t.Events {
		for _, r := range ev.Runs {
			x := get(r.Flow)
			x.runs++
			switch r.Status {
			case engine.StatusSuccess:
				x.success++
			case engine.StatusFiltered:
				x.filtered++
			case engine.StatusHalted:
				x.halted++
			case engine.StatusFailed:
				x.failed++
			}
		}
		for _, d := range ev.AlreadyDone {
			get(d.Flow).done++
		}
	}
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
