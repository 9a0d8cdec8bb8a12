package view

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"

	"github.com/charmbracelet/lipgloss"

	"github.com/jml-dev/jml/pkg/verify"
)

// verifyCell is the short text of a cell in the matrix: the Okta status,
// the kind of disabled (deactivated, suspended, accountEnabled false,
// frozen…), or the state.
func verifyCell(c verify.Cell, okta bool) string {
	switch c.State {
	case verify.Active:
		if okta && c.Detail != "" {
			return c.Detail
		}
		if c.Detail == "pending invitation" {
			return "active (pending invitation)"
		}
		return "active"
	case verify.Disabled:
		return c.Detail
	case verify.NotChecked:
		return "not checked"
	}
	return string(c.State)
}

// VerifyCellText and VerifyMark are a cell's text and mark as the matrix
// shows them, for renderers of other formats (the web view).
func VerifyCellText(c verify.Cell, okta bool) string { return verifyCell(c, okta) }

// VerifyMark: see VerifyCellText.
func VerifyMark(c verify.Cell, leaver bool) string { return verifyMark(c, leaver) }

// verifyMark is the mark before a cell: ✗ an orphaned account, ✓ an
// account gone for a leaver, ! a failed read, ? an account not checked
// (never a ✓: verify did not ask).
func verifyMark(c verify.Cell, leaver bool) string {
	switch {
	case c.Orphan:
		return "✗"
	case c.State == verify.Error:
		return "!"
	case c.State == verify.NotChecked:
		return "?"
	case leaver && (c.State == verify.Disabled || c.State == verify.Absent):
		return "✓"
	}
	return ""
}

// VerifyText writes the matrix as a table (users down, apps across, Okta
// first), then the orphaned accounts, the failed reads and a summary.
func VerifyText(w io.Writer, m *verify.Matrix, st Styles) {
	header := []string{"user"}
	if m.Okta != "" {
		header = append(header, m.Okta)
	}
	for _, a := range m.Apps {
		header = append(header, a.Name)
	}
	type cell struct {
		text  string
		style lipgloss.Style
	}
	rows := make([][]cell, 0, len(m.Rows))
	for _, r := range m.Rows {
		row := []cell{{text: r.User}}
		if r.Okta != nil {
			style := st.Bold
			if r.Okta.State == verify.Error {
				style = st.Warning
			}
			row = append(row, cell{text: verifyCell(*r.Okta, true), style: style})
		}
		for _, c := range r.Cells {
			text := verifyCell(c, false)
			var style lipgloss.Style
			switch mark := verifyMark(c, r.Leaver); mark {
			case "✗":
				style = st.Error
				text = mark + " " + text
			case "!", "?":
				style = st.Warning
				text = mark + " " + text
			case "✓":
				style = st.OK
				text = mark + " " + text
			}
			row = append(row, cell{text: text, style: style})
		}
		rows = append(rows, row)
	}
	widths := make([]int, len(header))
	for i, h := range header {
		widths[i] = lipgloss.Width(h)
	}
	for _, row := range rows {
		for i, c := range row {
			widths[i] = max(widths[i], lipgloss.Width(c.text))
		}
	}
	pad := func(s string, i int) string {
		if i == len(widths)-1 {
			return ""
		}
		return strings.Repeat(" ", widths[i]-lipgloss.Width(s)+2)
	}
	for i, h := range header {
		fmt.Fprint(w, st.Bold.Render(strings.ToUpper(h))+pad(h, i))
	}
	fmt.Fprintln(w)
	for _, row := range rows {
		for i, c := range row {
			fmt.Fprint(w, c.style.Render(c.text)+pad(c.text, i))
		}
		fmt.Fprintln(w)
	}

	var orphans []string
	for _, r := range m.Rows {
		if apps := orphanApps(m, r); len(apps) > 0 {
			orphans = append(orphans, fmt.Sprintf("%s %s %s but still active in %s", st.Error.Render("✗"), st.Bold.Render(r.User), leaverWhy(m, r), strings.Join(apps, ", ")))
		}
	}
	var notes []string
	for _, n := range verifyNotes(m) {
		notes = append(notes, fmt.Sprintf("%s %s (%s): %s", st.Warning.Render(n.mark()), n.app, strings.Join(n.users, ", "), n.detail))
	}
	for _, block := range [][]string{orphans, notes} {
		if len(block) > 0 {
			fmt.Fprintf(w, "\n%s\n", strings.Join(block, "\n"))
		}
	}
	fmt.Fprintf(w, "\n%s\n", verifySummary(m, st))
}

// orphanApps names the apps where a leaver is still active.
func orphanApps(m *verify.Matrix, r verify.Row) []string {
	var apps []string
	for i, c := range r.Cells {
		if c.Orphan {
			apps = append(apps, m.Apps[i].Name)
		}
	}
	return apps
}

// leaverWhy says why a user counts as a leaver.
func leaverWhy(m *verify.Matrix, r verify.Row) string {
	switch {
	case r.Okta == nil:
		return "was deactivated"
	case r.Okta.State == verify.Absent:
		return "is not in " + m.Okta
	case r.Okta.State == verify.Disabled:
		return "is " + r.Okta.Detail + " in " + m.Okta
	}
	return "was deactivated (" + m.Okta + " could not be read)"
}

// verifyNote is a failed read or an account not checked, with every user
// it happened to: an instance that cannot be reached fails for all of them
// with the same message, said once.
type verifyNote struct {
	app, detail string
	notChecked  bool
	users       []string
}

// mark is the note's mark: ! a failed read, ? not checked.
func (n *verifyNote) mark() string {
	if n.notChecked {
		return "?"
	}
	return "!"
}

func verifyNotes(m *verify.Matrix) []*verifyNote {
	var notes []*verifyNote
	index := map[[3]string]*verifyNote{}
	add := func(app string, c verify.Cell, user string) {
		if c.State != verify.Error && c.State != verify.NotChecked {
			return
		}
		k := [3]string{app, string(c.State), c.Detail}
		n := index[k]
		if n == nil {
			n = &verifyNote{app: app, detail: c.Detail, notChecked: c.State == verify.NotChecked}
			if n.notChecked {
				n.detail = "not checked: " + c.Detail
			}
			index[k] = n
			notes = append(notes, n)
		}
		n.users = append(n.users, user)
	}
	for _, r := range m.Rows {
		if r.Okta != nil {
			add(m.Okta, *r.Okta, r.User)
		}
		for i, c := range r.Cells {
			add(m.Apps[i].Name, c, r.User)
		}
	}
	// Failed reads first: they are what needs fixing.
	sort.SliceStable(notes, func(i, j int) bool { return !notes[i].notChecked && notes[j].notChecked })
	return notes
}

// verifySummary is the one line that says how it went: the orphaned
// accounts, the failed reads and the accounts not checked, each counted;
// "no orphaned account" is green only when every account was checked.
func verifySummary(m *verify.Matrix, st Styles) string {
	s := fmt.Sprintf("Verify: %s, %s: ", plural(len(m.Rows), "user"), plural(len(m.Apps), "app"))
	notChecked := ""
	if m.NotChecked > 0 {
		notChecked = st.Warning.Render(fmt.Sprintf("%d not checked", m.NotChecked))
	}
	var parts []string
	switch {
	case m.Orphans > 0:
		parts = append(parts, st.Error.Render(plural(m.Orphans, "orphaned account")))
		if m.Errors > 0 {
			parts = append(parts, st.Warning.Render(plural(m.Errors, "failed read")))
		}
		parts = append(parts, notChecked)
	case m.Errors > 0:
		parts = append(parts, st.Warning.Render(plural(m.Errors, "failed read")), notChecked, "no orphaned account among the others")
	case m.NotChecked > 0:
		parts = append(parts, "no orphaned account", notChecked)
	default:
		parts = append(parts, st.OK.Render("no orphaned account"))
	}
	parts = slices.DeleteFunc(parts, func(p string) bool { return p == "" })
	return s + strings.Join(parts, ", ") + "."
}

// verifyJSON is the JSON document of a verification.
type verifyJSON struct {
	Apps       []string       `json:"apps"`
	Users      []verifyUserJS `json:"users"`
	Orphans    int            `json:"orphans"`
	Errors     int            `json:"errors"`
	NotChecked int            `json:"notChecked"`
}

type verifyUserJS struct {
	User   string                 `json:"user"`
	ID     string                 `json:"id,omitempty"`
	Okta   *verify.Cell           `json:"okta,omitempty"`
	Leaver bool                   `json:"leaver"`
	Apps   map[string]verify.Cell `json:"apps"`
}

// VerifyJSON writes the matrix as {apps, users: [{user, id, okta, leaver,
// apps: {INSTANCE: {state, detail, orphan}}}], orphans, errors,
// notChecked}.
func VerifyJSON(w io.Writer, m *verify.Matrix) error {
	doc := verifyJSON{Apps: []string{}, Users: []verifyUserJS{}, Orphans: m.Orphans, Errors: m.Errors, NotChecked: m.NotChecked}
	for _, a := range m.Apps {
		doc.Apps = append(doc.Apps, a.Name)
	}
	for _, r := range m.Rows {
		u := verifyUserJS{User: r.User, ID: r.ID, Okta: r.Okta, Leaver: r.Leaver, Apps: map[string]verify.Cell{}}
		for i, c := range r.Cells {
			u.Apps[m.Apps[i].Name] = c
		}
		doc.Users = append(doc.Users, u)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(doc)
}

// VerifyMarkdown writes the matrix as a table for a ticket or a pull
// request, orphaned accounts in bold with ✗, then the failed reads and the
// accounts not checked.
func VerifyMarkdown(w io.Writer, m *verify.Matrix) {
	fmt.Fprintf(w, "### jml verify\n\n%s\n\n", verifySummary(m, Styles{}))
	fmt.Fprint(w, "| user |")
	sep := "|---|"
	if m.Okta != "" {
		fmt.Fprintf(w, " %s |", m.Okta)
		sep += "---|"
	}
	for _, a := range m.Apps {
		fmt.Fprintf(w, " %s |", a.Name)
		sep += "---|"
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, sep)
	for _, r := range m.Rows {
		fmt.Fprintf(w, "| `%s` |", mdEscape(r.User))
		if r.Okta != nil {
			fmt.Fprintf(w, " %s |", mdEscape(verifyCell(*r.Okta, true)))
		}
		for _, c := range r.Cells {
			text := mdEscape(verifyCell(c, false))
			if c.Orphan {
				text = "**" + text + "**"
			}
			if mark := verifyMark(c, r.Leaver); mark != "" {
				text = mark + " " + text
			}
			fmt.Fprintf(w, " %s |", text)
		}
		fmt.Fprintln(w)
	}
	var orphans []string
	for _, r := range m.Rows {
		if apps := orphanApps(m, r); len(apps) > 0 {
			orphans = append(orphans, fmt.Sprintf("- ✗ `%s` %s but still active in **%s**", mdEscape(r.User), leaverWhy(m, r), strings.Join(apps, "**, **")))
		}
	}
	if len(orphans) > 0 {
		fmt.Fprintf(w, "\n%s\n", strings.Join(orphans, "\n"))
	}
	var notes []string
	for _, n := range verifyNotes(m) {
		users := make([]string, len(n.users))
		for i, u := range n.users {
			users[i] = "`" + mdEscape(u) + "`"
		}
		notes = append(notes, fmt.Sprintf("- %s %s (%s): %s", n.mark(), n.app, strings.Join(users, ", "), mdEscape(n.detail)))
	}
	if len(notes) > 0 {
		fmt.Fprintf(w, "\n%s\n", strings.Join(notes, "\n"))
	}
}
