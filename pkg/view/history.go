package view

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/jml-dev/jml/pkg/engine"
	"github.com/jml-dev/jml/pkg/history"
)

// historyStatus colours a history status: green success, yellow filtered
// or running (interrupted), red halted or failed.
func historyStatus(st Styles, s string) string {
	switch s {
	case "success":
		return st.OK.Render(s)
	case "filtered", history.StatusRunning, history.StatusInterrupted:
		return st.Warning.Render(s)
	}
	return st.Error.Render(s)
}

// When is how a run's times are shown: UTC to the second, "-" for none
// (jml history, and the web view).
func When(t time.Time) string { return fmtWhen(t) }

func fmtWhen(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format("2006-01-02 15:04:05Z")
}

func fmtDuration(r *history.RunRow) string {
	if r.EndedAt.IsZero() {
		return "-"
	}
	return Duration(r.EndedAt.Sub(r.StartedAt))
}

// HistoryBrief is one run in a line, as shell completion shows it beside
// its id: flow, event type, user, status and start.
func HistoryBrief(r *history.RunRow) string {
	s := r.Flow + " " + r.EventType
	if r.User != "" {
		s += " " + r.User
	}
	if r.Mode != string(engine.ModeApply) {
		s += " (" + r.Mode + ")"
	}
	return s + " " + r.Status + " " + fmtWhen(r.StartedAt)
}

// HistoryList writes runs as a table, newest first.
func HistoryList(w io.Writer, rows []*history.RunRow, st Styles) {
	if len(rows) == 0 {
		fmt.Fprintln(w, "No runs recorded.")
		return
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "STARTED\tFLOW\tEVENT TYPE\tUSER\tSTATUS\tDURATION\tRUN")
	for _, r := range rows {
		id := r.ID
		if r.Mode != string(engine.ModeApply) {
			id += " (" + r.Mode + ")"
		}
		if r.WorkflowID != "" {
			id += " (temporal)"
		}
		if r.ResumedFrom != "" {
			id += " ← " + r.ResumedFrom
		}
		user := r.User
		if user == "" {
			user = "-"
		}
		// The status is padded before it is coloured, so columns align.
		status := historyStatus(st, fmt.Sprintf("%-8s", r.Status))
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", fmtWhen(r.StartedAt), r.Flow, r.EventType, user, status, fmtDuration(r), id)
	}
	tw.Flush()
}

// HistoryShow writes one run like Okta Workflows' Flow History: the run,
// every card with inputs, outputs or error (the failing card marked), and
// the call journal.
func HistoryShow(w io.Writer, r *history.RunRow, calls []*history.CallRow, st Styles) {
	fmt.Fprintf(w, "%s %s\n", st.Bold.Render("run "+r.ID), historyStatus(st, r.Status))
	fmt.Fprintf(w, "  flow:     %s\n", r.Flow)
	fmt.Fprintf(w, "  event:    %s %s\n", r.Event, r.EventType)
	if r.User != "" {
		fmt.Fprintf(w, "  user:     %s %s\n", r.User, st.Dim.Render(r.UserID))
	}
	fmt.Fprintf(w, "  mode:     %s\n", r.Mode)
	if r.WorkflowID != "" {
		fmt.Fprintf(w, "  temporal: workflow %s %s\n", r.WorkflowID, st.Dim.Render("(run "+r.WorkflowRunID+")"))
	}
	fmt.Fprintf(w, "  started:  %s\n", fmtWhen(r.StartedAt))
	fmt.Fprintf(w, "  ended:    %s (%s)\n", fmtWhen(r.EndedAt), fmtDuration(r))
	if r.ResumedFrom != "" {
		fmt.Fprintf(w, "  resumes:  %s\n", r.ResumedFrom)
	}
	run, err := r.DecodeTrace()
	if err != nil {
		fmt.Fprintf(w, "\n%s %v\n", st.Warning.Render("trace:"), err)
	} else if run != nil {
		fmt.Fprintln(w)
		RunText(w, run, "", st)
	} else if err := r.HeldByWorkflow(); err != nil {
		fmt.Fprintf(w, "\n%s its Temporal workflow %s is running it (or was stopped before it ended): its calls so far are below\n", st.Warning.Render("running:"), r.WorkflowID)
	} else if r.Status == history.StatusRunning {
		fmt.Fprintf(w, "\n%s the run never finished (the process stopped, or it is still running): its calls are below; jml resume %s continues it\n", st.Warning.Render("unfinished:"), r.ID)
	} else if r.Status == history.StatusInterrupted {
		fmt.Fprintf(w, "\n%s the process stopped during this run; a later run resumed it (jml history --event %s)\n", st.Warning.Render("interrupted:"), r.Event)
	}
	if len(calls) == 0 {
		return
	}
	fmt.Fprintf(w, "\n%s\n", st.Bold.Render("calls (journal)"))
	for _, c := range calls {
		mark := cardMark(st, engine.CardSuccess)
		switch c.Status {
		case history.CallFailed:
			mark = cardMark(st, engine.CardFailed)
		case history.CallPending:
			mark = st.Warning.Render("?")
		case history.CallReused:
			mark = st.Dim.Render("=")
		}
		extra := []string{fmt.Sprintf("attempt %d", c.Attempt)}
		switch c.Status {
		case history.CallReused:
			extra = append(extra, "not called: done by "+c.ReusedFrom)
		case history.CallPending:
			if r.HeldByWorkflow() != nil {
				extra = append(extra, "no outcome recorded yet")
			} else {
				extra = append(extra, "no outcome recorded: the process stopped during this call")
			}
		default:
			extra = append(extra, Duration(c.Duration))
		}
		fmt.Fprintf(w, "  %3d %s %s %s %s\n", c.Seq, mark, st.Code.Render(c.Action), st.Dim.Render(c.Card), st.Dim.Render("("+strings.Join(extra, ", ")+")"))
		fmt.Fprintf(w, "        in:  %s\n", c.Input)
		if c.Output != "" {
			fmt.Fprintf(w, "        out: %s\n", c.Output)
		}
		if c.Error != "" {
			fmt.Fprintf(w, "        %s %s\n", st.Error.Render("err:"), c.Error)
		}
	}
}

// HistoryRunJSON is a run as `jml history --format json` and `jml history
// show --format json` write it.
type HistoryRunJSON struct {
	*history.RunRow
	Error json.RawMessage    `json:"error,omitempty"`
	Calls []*history.CallRow `json:"calls,omitempty"`
	Trace json.RawMessage    `json:"trace,omitempty"`
}

// HistoryJSON makes the JSON form of a run (calls and trace only when
// given).
func HistoryJSON(r *history.RunRow, calls []*history.CallRow, withTrace bool) HistoryRunJSON {
	out := HistoryRunJSON{RunRow: r, Calls: calls}
	if r.Error != "" {
		out.Error = json.RawMessage(r.Error)
	}
	if withTrace && r.Trace != "" {
		out.Trace = json.RawMessage(r.Trace)
	}
	return out
}
