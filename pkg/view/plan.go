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

// PlanText writes a plan as a readable tree: per event, per run, each
// change with its resolved inputs; then a one-line summary.
func PlanText(w io.Writer, p *plan.Plan, st Styles) {
	for _, ev := range p.Events {
		if len(ev.Runs) == 0 {
			continue
		}
		fmt.Fprintf(w, "%s %s %s\n", st.Bold.Render("event "+ev.UUID), ev.EventType, st.Dim.Render(ev.Published))
		for _, r := range ev.Runs {
			fmt.Fprintf(w, "  %s  %s  %s\n", st.Bold.Render(r.Flow), statusStyle(st, r.Status), plural(len(r.Changes), "change"))
			for _, c := range r.Changes {
				via := ""
				if len(c.Via) > 0 {
					via = st.Dim.Render(" via " + strings.Join(c.Via, " › "))
				}
				fmt.Fprintf(w, "    %s %s %s%s\n", st.OK.Render("+"), st.Code.Render(c.Action), st.Dim.Render("("+c.Card+")"), via)
				fmt.Fprintf(w, "        %s\n", compact(c.With))
			}
			if r.Error != nil {
				fmt.Fprintf(w, "    %s %s: %s\n", st.Error.Render("✗"), r.Error.Card, r.Error.Message)
			}
			for _, note := range r.Simulated {
				fmt.Fprintf(w, "    %s %s\n", st.Warning.Render("~ simulated:"), note)
			}
		}
	}
	fmt.Fprintln(w, planSummary(p))
}

func planSummary(p *plan.Plan) string {
	s := fmt.Sprintf("Plan: %s, %s, %s", plural(p.Summary.Events, "event"), plural(p.Summary.Runs, "run"), plural(p.Summary.Changes, "change"))
	if parts := byStatus(p.Summary.ByStatus); parts != "" {
		s += " (" + parts + ")"
	}
	if len(p.Summary.DisabledFlows) > 0 {
		s += "; disabled, skipped: " + strings.Join(p.Summary.DisabledFlows, ", ")
	}
	if p.Summary.Duplicates > 0 {
		s += fmt.Sprintf("; %s dropped", plural(p.Summary.Duplicates, "duplicate event"))
	}
	if p.Summary.Skipped > 0 {
		s += fmt.Sprintf("; %s skipped", plural(p.Summary.Skipped, "malformed event"))
	}
	s += "."
	if b := p.Summary.BlastRadius; b != nil && b.Users > 0 {
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

// PlanJSON writes the plan document (SPEC §7).
func PlanJSON(w io.Writer, p *plan.Plan) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(p)
}

// PlanMarkdown writes a plan for a pull-request comment: a summary table,
// then one collapsible section per event.
func PlanMarkdown(w io.Writer, p *plan.Plan) {
	fmt.Fprintf(w, "### jml plan\n\n%s\n\n", strings.ReplaceAll(planSummary(p), "\n", "\n\n"))
	fmt.Fprintln(w, "| event | type | flow | status | changes |")
	fmt.Fprintln(w, "|---|---|---|---|---:|")
	for _, ev := range p.Events {
		for _, r := range ev.Runs {
			fmt.Fprintf(w, "| `%s` | %s | %s | %s | %d |\n", mdEscape(ev.UUID), ev.EventType, r.Flow, r.Status, len(r.Changes))
		}
	}
	for _, ev := range p.Events {
		if len(ev.Runs) == 0 {
			continue
		}
		total := 0
		for _, r := range ev.Runs {
			total += len(r.Changes)
		}
		fmt.Fprintf(w, "\n<details><summary><code>%s</code> %s — %s</summary>\n\n", mdEscape(ev.UUID), ev.EventType, plural(total, "change"))
		for _, r := range ev.Runs {
			fmt.Fprintf(w, "**%s** — %s\n\n", r.Flow, r.Status)
			for i, c := range r.Changes {
				via := ""
				if len(c.Via) > 0 {
					via = " via " + strings.Join(c.Via, " › ")
				}
				fmt.Fprintf(w, "%d. `%s` (%s)%s: `%s`\n", i+1, c.Action, c.Card, via, mdEscape(compact(c.With)))
			}
			if r.Error != nil {
				fmt.Fprintf(w, "\n> ✗ %s: %s\n", r.Error.Card, mdEscape(r.Error.Message))
			}
			for _, note := range r.Simulated {
				fmt.Fprintf(w, "\n> ~ simulated: %s\n", mdEscape(note))
			}
			fmt.Fprintln(w)
		}
		fmt.Fprintln(w, "</details>")
	}
}

func mdEscape(s string) string {
	return strings.NewReplacer("|", "\\|", "`", "'", "\n", " ").Replace(s)
}
