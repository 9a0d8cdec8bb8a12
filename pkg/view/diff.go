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
	verb := "behave"
	if s.Changed == 1 {
		verb = "behaves"
	}
	return fmt.Sprintf("%d of %s %s differently with %s than with %s: %s.", s.Changed, plural(s.Events, "event"), verb, d.Head, d.Base, strings.Join(parts, "; "))
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
		user := ""
		if ev.User != "" {
			user = " " + ev.User
		}
		fmt.Fprintf(w, "%s%s %s %s\n", st.Bold.Render("event "+ev.UUID), user, ev.EventType, st.Dim.Render(ev.Published))
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

// CollapseAfter is how many lines a section of the pull-request comment
// (the table's rows, the lines of the writes' diff) shows open: a longer
// section is folded into <details>, so that the summary and the commits
// stay on the first screen.
const CollapseAfter = 20

// ElideAfter is how long (in characters) a value in a modified write's
// field-level diff is shown whole; a longer one is cut around its first
// difference with the other side's, the cuts marked with "…".
const ElideAfter = 80

// DiffMarkdown writes a behavioural diff as a pull-request comment: the
// commits compared, the summary, a table of the runs that differ (with the
// user each event is about), and the writes as a ```diff block — added
// (+) and removed (-) writes with their inputs, a modified write as only
// the inputs that changed. Sections longer than CollapseAfter lines are
// collapsed.
func DiffMarkdown(w io.Writer, d *plan.Diff) {
	fmt.Fprintf(w, "### jml plan --compare %s\n\n", mdEscape(d.Base))
	if c := diffCommits(d); c != "" {
		fmt.Fprintf(w, "%s\n\n", c)
	}
	fmt.Fprintln(w, diffSummary(d))
	if !d.Differs() {
		return
	}
	users := false
	for _, ev := range d.Events {
		users = users || ev.User != ""
	}
	var table strings.Builder
	rows := 0
	if users {
		table.WriteString("| event | user | type | flow | run | writes |\n|---|---|---|---|---|---|\n")
	} else {
		table.WriteString("| event | type | flow | run | writes |\n|---|---|---|---|---|\n")
	}
	for _, ev := range d.Events {
		user := ""
		if users {
			user = "— | "
			if ev.User != "" {
				user = "`" + mdEscape(ev.User) + "` | "
			}
		}
		for _, r := range ev.Runs {
			var marks []string
			for _, c := range r.Changes {
				marks = append(marks, fmt.Sprintf("%s `%s`", changeMark(c.Kind), c.Action))
			}
			fmt.Fprintf(&table, "| `%s` | %s%s | %s | %s | %s |\n", mdEscape(ev.UUID), user, mdEscape(ev.EventType), r.Flow, runHead(r), strings.Join(marks, "<br>"))
			rows++
		}
	}
	fmt.Fprintln(w)
	collapsible(w, "Runs that differ", rows, "rows", table.String())

	var body strings.Builder
	lines := 0
	line := func(format string, a ...any) {
		fmt.Fprintf(&body, format+"\n", a...)
		lines++
	}
	for _, ev := range d.Events {
		who := ""
		if ev.User != "" {
			who = " " + ev.User
		}
		for _, r := range ev.Runs {
			line("@@ %s%s %s: %s @@", ev.UUID, who, r.Flow, runHead(r))
			for _, c := range r.Changes {
				if c.Kind != plan.ChangeModified {
					line("%s %s %s %s", changeMark(c.Kind), c.Action, c.Card, compact(c.With))
					continue
				}
				line("  %s %s modified:", c.Action, c.Card)
				fields := c.Fields
				if len(fields) == 0 {
					fields = []plan.FieldChange{{Path: "with", Kind: plan.ChangeModified, Was: c.Was, With: c.With}}
				}
				for _, f := range fields {
					was, with := elidePair(compact(f.Was), compact(f.With))
					if f.Kind != plan.ChangeAdded {
						line("-   %s: %s", f.Path, was)
					}
					if f.Kind != plan.ChangeRemoved {
						line("+   %s: %s", f.Path, with)
					}
				}
			}
		}
	}
	fence := codeFence(body.String())
	fmt.Fprintln(w)
	collapsible(w, "Writes in detail", lines, "lines", fence+"diff\n"+body.String()+fence+"\n")
}

// diffCommits names the commits a diff compares, "" when it compares no
// commits (history diff).
func diffCommits(d *plan.Diff) string {
	if d.BaseCommit == "" && d.HeadCommit == "" && !d.HeadDirty {
		return ""
	}
	side := func(name, commit string) string {
		if commit == "" {
			return "**" + mdEscape(name) + "**"
		}
		return fmt.Sprintf("**%s** at `%s`", mdEscape(name), shortSHA(commit))
	}
	head := side(d.Head, d.HeadCommit)
	switch {
	case d.HeadDirty && d.HeadCommit != "":
		head = fmt.Sprintf("**%s**, uncommitted changes on `%s`", mdEscape(d.Head), shortSHA(d.HeadCommit))
	case d.HeadDirty:
		head = fmt.Sprintf("**%s**, uncommitted (no commit yet)", mdEscape(d.Head))
	}
	return fmt.Sprintf("Base: %s · head: %s", side(d.Base, d.BaseCommit), head)
}

// shortSHA is a commit's first 12 hex digits.
func shortSHA(sha string) string {
	if len(sha) > 12 {
		return sha[:12]
	}
	return sha
}

// collapsible writes a section of a comment, folded into <details> when it
// has more than CollapseAfter lines.
func collapsible(w io.Writer, summary string, lines int, unit, section string) {
	if lines <= CollapseAfter {
		fmt.Fprintf(w, "**%s**\n\n%s", summary, section)
		return
	}
	fmt.Fprintf(w, "<details><summary>%s (%d %s)</summary>\n\n%s\n</details>\n", summary, lines, unit, section)
}

// codeFence is a fence of backticks longer than any run of backticks in
// s, so that no value closes the block early.
func codeFence(s string) string {
	longest, run := 0, 0
	for _, r := range s {
		if r == '`' {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	return strings.Repeat("`", max(3, longest+1))
}

// elidePair shows two values of a field longer than ElideAfter
// characters around where they first differ: each is cut to ElideAfter
// characters, starting a little before the first difference when that is
// far in, with "…" where something was cut.
func elidePair(a, b string) (string, string) {
	ra, rb := []rune(a), []rune(b)
	common := 0
	for common < len(ra) && common < len(rb) && ra[common] == rb[common] {
		common++
	}
	from := 0
	if common > ElideAfter/2 {
		from = common - ElideAfter/4
	}
	return elide(ra, from), elide(rb, from)
}

// elide cuts r, when longer than ElideAfter characters, to at most
// ElideAfter characters from rune from, marking each cut with "…".
func elide(r []rune, from int) string {
	if len(r) <= ElideAfter {
		return string(r)
	}
	pre := ""
	if from > 0 {
		pre = "…"
	}
	n := ElideAfter - len([]rune(pre))
	if from+n >= len(r) {
		return pre + string(r[from:])
	}
	return pre + string(r[from:from+n-1]) + "…"
}

// DiffJSON writes a behavioural diff as JSON.
func DiffJSON(w io.Writer, d *plan.Diff) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(d)
}
