package view

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/jml-dev/jml/pkg/plan"
)

func diffSummary(d *plan.Diff) string {
	s := d.Summary
	if !d.Differs() {
		return fmt.Sprintf("No behavioural change: on %s, the flows of %s do what those of %s do.", plural(s.Events, "event"), d.Head, d.Base)
	}
	var parts []string
	counts := func(what string, kinds ...any) {
		var bits []string
		for i := 0; i < len(kinds); i += 2 {
			if n := kinds[i].(int); n > 0 {
				bits = append(bits, fmt.Sprintf("%d %s", n, kinds[i+1]))
			}
		}
		if len(bits) > 0 {
			parts = append(parts, what+" "+strings.Join(bits, ", "))
		}
	}
	counts("runs", s.RunsAdded, "added", s.RunsRemoved, "removed", s.StatusChanged, "with another status")
	counts("writes", s.ChangesAdded, "added", s.ChangesRemoved, "removed", s.ChangesModified, "modified")
	return fmt.Sprintf("%d of %s behave differently with %s than with %s: %s.", s.Changed, plural(s.Events, "event"), d.Head, d.Base, strings.Join(parts, "; "))
}

func runHead(r plan.RunDiff) string {
	switch r.Kind {
	case plan.RunAdded:
		return fmt.Sprintf("new run (%s)", r.After)
	case plan.RunRemoved:
		return fmt.Sprintf("no longer runs (was %s)", r.Before)
	}
	if r.Before != r.After {
		return fmt.Sprintf("%s → %s", r.Before, r.After)
	}
	return string(r.After)
}

func changeMark(kind string) string {
	switch kind {
	case plan.ChangeAdded:
		return "+"
	case plan.ChangeRemoved:
		return "-"
	}
	return "~"
}

// DiffText writes a behavioural diff: per event, per flow, the writes added
// (+), removed (-) and modified (~).
func DiffText(w io.Writer, d *plan.Diff, st Styles) {
	for _, ev := range d.Events {
		fmt.Fprintf(w, "%s %s %s\n", st.Bold.Render("event "+ev.UUID), ev.EventType, st.Dim.Render(ev.Published))
		for _, r := range ev.Runs {
			fmt.Fprintf(w, "  %s  %s\n", st.Bold.Render(r.Flow), runHead(r))
			for _, c := range r.Changes {
				mark := changeMark(c.Kind)
				style := st.OK
				switch c.Kind {
				case plan.ChangeRemoved:
					style = st.Error
				case plan.ChangeModified:
					style = st.Warning
				}
				fmt.Fprintf(w, "    %s %s %s %s\n", style.Render(mark), st.Code.Render(c.Action), st.Dim.Render(c.Card), compact(c.With))
				if c.Kind == plan.ChangeModified {
					fmt.Fprintf(w, "        %s %s\n", st.Dim.Render("was"), compact(c.Was))
				}
			}
		}
	}
	fmt.Fprintln(w, diffSummary(d))
}

// DiffMarkdown writes a behavioural diff as a pull-request comment.
func DiffMarkdown(w io.Writer, d *plan.Diff) {
	fmt.Fprintf(w, "### jml plan --compare %s\n\n%s\n", mdEscape(d.Base), diffSummary(d))
	if !d.Differs() {
		return
	}
	fmt.Fprintln(w, "\n| event | type | flow | run | writes |")
	fmt.Fprintln(w, "|---|---|---|---|---|")
	for _, ev := range d.Events {
		for _, r := range ev.Runs {
			var marks []string
			for _, c := range r.Changes {
				marks = append(marks, fmt.Sprintf("%s `%s`", changeMark(c.Kind), c.Action))
			}
			fmt.Fprintf(w, "| `%s` | %s | %s | %s | %s |\n", mdEscape(ev.UUID), ev.EventType, r.Flow, runHead(r), strings.Join(marks, "<br>"))
		}
	}
	fmt.Fprintln(w, "\n<details><summary>Writes in detail</summary>\n\n```diff")
	for _, ev := range d.Events {
		for _, r := range ev.Runs {
			fmt.Fprintf(w, "@@ %s %s: %s @@\n", ev.UUID, r.Flow, runHead(r))
			for _, c := range r.Changes {
				fmt.Fprintf(w, "%s %s %s %s\n", changeMark(c.Kind), c.Action, c.Card, compact(c.With))
				if c.Kind == plan.ChangeModified {
					fmt.Fprintf(w, "  (was %s)\n", compact(c.Was))
				}
			}
		}
	}
	fmt.Fprintln(w, "```\n\n</details>")
}

// DiffJSON writes a behavioural diff as JSON.
func DiffJSON(w io.Writer, d *plan.Diff) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(d)
}
