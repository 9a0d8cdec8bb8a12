package view

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/jml-dev/jml/pkg/engine"
	"github.com/jml-dev/jml/pkg/plan"
)

// compact renders a value as compact JSON with sorted keys.
func compact(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

func statusStyle(st Styles, s engine.Status) string {
	switch s {
	case engine.StatusSuccess:
		return st.OK.Render(string(s))
	case engine.StatusFiltered:
		return st.Dim.Render(string(s))
	}
	return st.Error.Render(string(s))
}

// PlanRenderer renders a plan as the planner makes it (plan.Sink): each
// event is written, or spooled, as it finishes, so that a plan of any size
// is never held whole. Close removes what it spooled; call it once the
// plan has ended or failed.
type PlanRenderer interface {
	plan.Sink
	io.Closer
}

// NewPlanRenderer returns the renderer of a --format: text (a tree, then
// the summary line), json (the plan document, SPEC §7) or markdown (a
// pull-request comment).
func NewPlanRenderer(format string, w io.Writer, st Styles) PlanRenderer {
	switch format {
	case "json":
		return plan.NewWriter(w)
	case "markdown":
		r := &planMarkdown{w: &errWriter{w: w}}
		r.rowsW, r.detailsW = &errWriter{w: &r.rows}, &errWriter{w: &r.details}
		return r
	}
	return &planText{w: &errWriter{w: w}, st: st}
}

// PlanText writes a whole plan as PlanRenderer's text does (apply's
// confirmation).
func PlanText(w io.Writer, p *plan.Plan, st Styles) {
	p.Stream(NewPlanRenderer("text", w, st))
}

// planText writes a plan as a readable tree: per event, per run, each
// change with its resolved inputs; then a one-line summary.
type planText struct {
	w  *errWriter
	st Styles
}

func (r *planText) Begin(string, map[string]string) error { return nil }

func (r *planText) Event(ev plan.Event) error {
	if len(ev.Runs) == 0 {
		return nil
	}
	w, st := r.w, r.st
	fmt.Fprintf(w, "%s %s %s\n", st.Bold.Render("event "+ev.UUID), ev.EventType, st.Dim.Render(ev.Published))
	for _, run := range ev.Runs {
		fmt.Fprintf(w, "  %s  %s  %s\n", st.Bold.Render(run.Flow), statusStyle(st, run.Status), plural(len(run.Changes), "change"))
		for _, c := range run.Changes {
			via := ""
			if len(c.Via) > 0 {
				via = st.Dim.Render(" via " + strings.Join(c.Via, " › "))
			}
			fmt.Fprintf(w, "    %s %s %s%s\n", st.OK.Render("+"), st.Code.Render(c.Action), st.Dim.Render("("+c.Card+")"), via)
			fmt.Fprintf(w, "        %s\n", compact(c.With))
		}
		if run.Error != nil {
			fmt.Fprintf(w, "    %s %s: %s\n", st.Error.Render("✗"), run.Error.Card, run.Error.Message)
		}
		for _, note := range run.Simulated {
			fmt.Fprintf(w, "    %s %s\n", st.Warning.Render("~ simulated:"), note)
		}
		for _, e := range run.Ignored {
			fmt.Fprintf(w, "    %s %s\n", st.Warning.Render("! ignored:"), ignoredText(e))
		}
	}
	return w.err
}

func (r *planText) End(s plan.Summary) error {
	fmt.Fprintln(r.w, planSummary(s))
	return r.w.err
}

func (r *planText) Close() error { return nil }

func planSummary(sum plan.Summary) string {
	s := fmt.Sprintf("Plan: %s, %s, %s", plural(sum.Events, "event"), plural(sum.Runs, "run"), plural(sum.Changes, "change"))
	if parts := byStatus(sum.ByStatus); parts != "" {
		s += " (" + parts + ")"
	}
	if len(sum.DisabledFlows) > 0 {
		s += "; disabled, skipped: " + strings.Join(sum.DisabledFlows, ", ")
	}
	if sum.Duplicates > 0 {
		s += fmt.Sprintf("; %s dropped", plural(sum.Duplicates, "duplicate event"))
	}
	if sum.Skipped > 0 {
		s += fmt.Sprintf("; %s skipped", plural(sum.Skipped, "malformed event"))
	}
	s += "."
	if b := sum.BlastRadius; b != nil && b.Users > 0 {
		people := "people"
		if b.Users == 1 {
			people = "person"
		}
		s += fmt.Sprintf("\nBlast radius: %d %s deprovisioned, by distinct %s (guardrail maxDeprovisionsPerApply: %d)", b.Users, people, b.CountedBy, b.Limit)
		if b.Exceeded {
			s += " — EXCEEDED: apply will refuse these events without --allow-mass-deprovision"
		}
		s += "."
	}
	return s
}

func byStatus(m map[engine.Status]int) string {
	var parts []string
	for _, s := range []engine.Status{engine.StatusSuccess, engine.StatusFiltered, engine.StatusHalted, engine.StatusFailed} {
		if n := m[s]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, s))
		}
	}
	return strings.Join(parts, ", ")
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// planMarkdown writes a plan for a pull-request comment: the summary
// first (a long comment is cut at its end, so what a reviewer needs comes
// first), a table of every run, then one collapsible section per event.
// The summary is known only at the end, so the table's rows and the
// sections wait in spools (temporary files past 1 MiB), not in memory.
type planMarkdown struct {
	w               *errWriter
	rows, details   plan.Spool
	rowsW, detailsW *errWriter
}

func (r *planMarkdown) Begin(string, map[string]string) error { return nil }

func (r *planMarkdown) Event(ev plan.Event) error {
	for _, run := range ev.Runs {
		fmt.Fprintf(r.rowsW, "| `%s` | %s | %s | %s | %d |\n", mdEscape(ev.UUID), ev.EventType, run.Flow, run.Status, len(run.Changes))
	}
	if len(ev.Runs) == 0 {
		return r.rowsW.err
	}
	w := r.detailsW
	total := 0
	for _, run := range ev.Runs {
		total += len(run.Changes)
	}
	fmt.Fprintf(w, "\n<details><summary><code>%s</code> %s — %s</summary>\n\n", mdEscape(ev.UUID), ev.EventType, plural(total, "change"))
	for _, run := range ev.Runs {
		fmt.Fprintf(w, "**%s** — %s\n\n", run.Flow, run.Status)
		for i, c := range run.Changes {
			via := ""
			if len(c.Via) > 0 {
				via = " via " + strings.Join(c.Via, " › ")
			}
			fmt.Fprintf(w, "%d. `%s` (%s)%s: `%s`\n", i+1, c.Action, c.Card, via, mdEscape(compact(c.With)))
		}
		if run.Error != nil {
			fmt.Fprintf(w, "\n> ✗ %s: %s\n", run.Error.Card, mdEscape(run.Error.Message))
		}
		for _, note := range run.Simulated {
			fmt.Fprintf(w, "\n> ~ simulated: %s\n", mdEscape(note))
		}
		for _, e := range run.Ignored {
			fmt.Fprintf(w, "\n> ! ignored: %s\n", mdEscape(ignoredText(e)))
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintln(w, "</details>")
	if r.rowsW.err != nil {
		return r.rowsW.err
	}
	return w.err
}

func (r *planMarkdown) End(s plan.Summary) error {
	w := r.w
	fmt.Fprintf(w, "### jml plan\n\n%s\n\n", strings.ReplaceAll(planSummary(s), "\n", "\n\n"))
	fmt.Fprintln(w, "| event | type | flow | status | changes |")
	fmt.Fprintln(w, "|---|---|---|---|---:|")
	if w.err != nil {
		return w.err
	}
	if err := r.rows.CopyTo(w); err != nil {
		return err
	}
	return r.details.CopyTo(w)
}

func (r *planMarkdown) Close() error {
	err := r.rows.Close()
	if derr := r.details.Close(); err == nil {
		err = derr
	}
	return err
}

// errWriter keeps a renderer's first write error (a closed pipe, a full
// disk), so that the replay stops at it instead of rendering on.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.Write(p)
	if err != nil {
		e.err = err
	}
	return n, err
}

// mdEscaper is built once: a replacer builds its tables on first use.
var mdEscaper = strings.NewReplacer("|", "\\|", "`", "'", "\n", " ")

func mdEscape(s string) string { return mdEscaper.Replace(s) }

// ignoredText is a failure a run went on after, as plan shows it.
func ignoredText(e engine.ErrorInfo) string {
	what := e.Card
	if e.Action != "" {
		what += " (" + e.Action + ")"
	}
	return what + ": " + e.Message + " — the run went on"
}
