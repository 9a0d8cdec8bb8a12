package webui

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jml-dev/jml/pkg/compile"
	"github.com/jml-dev/jml/pkg/engine"
	"github.com/jml-dev/jml/pkg/graph"
	"github.com/jml-dev/jml/pkg/history"
	"github.com/jml-dev/jml/pkg/view"
)

// Statuses are the run statuses, in the order the filters and counts
// show them.
var Statuses = []string{"success", "filtered", "halted", "failed", history.StatusRunning, history.StatusInterrupted}

// Periods are the periods (in days) the overview and the flow pages
// offer; DefaultDays is the one shown first.
var Periods = []int{1, 7, 30, 90}

const DefaultDays = 7

// FlowRuns is how many runs of a flow its page lists (the runs page has
// the rest), and RateRuns how many of the period's newest runs its card
// rates are read from.
const (
	FlowRuns = 50
	RateRuns = 500
)

// funcs are the templates' functions: none so far (every value is
// prepared in Go and escaped by the template).
var funcs = template.FuncMap{}

// page is what every page has.
type page struct {
	Base  string
	Title string
	// Nav is the section of the navigation bar to mark.
	Nav string
}

// render writes a page, or an error page when it cannot be rendered.
func (s *server) render(w http.ResponseWriter, r *http.Request, name string, data any) {
	var buf bytes.Buffer
	if err := s.pages[name].ExecuteTemplate(&buf, "layout", data); err != nil {
		s.fail(w, r, http.StatusInternalServerError, "rendering the page: "+err.Error())
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(http.StatusOK)
	w.Write(buf.Bytes())
}

type errorPage struct {
	page
	Code    int
	Status  string
	Message string
}

// fail writes an error page.
func (s *server) fail(w http.ResponseWriter, r *http.Request, code int, msg string) {
	var buf bytes.Buffer
	data := errorPage{page: page{Base: s.o.Base, Title: http.StatusText(code)}, Code: code, Status: http.StatusText(code), Message: s.redact(msg)}
	if err := s.pages["error"].ExecuteTemplate(&buf, "layout", data); err != nil {
		http.Error(w, http.StatusText(code), code)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(code)
	w.Write(buf.Bytes())
}

// badRequest is an input error: 400 with its message.
type badRequest struct{ error }

// failErr writes the page of an error: 400 for bad input, 404 for a run
// not in the history, 500 otherwise.
func (s *server) failErr(w http.ResponseWriter, r *http.Request, err error) {
	var bad badRequest
	switch {
	case errors.As(err, &bad), errors.Is(err, history.ErrAmbiguous):
		s.fail(w, r, http.StatusBadRequest, err.Error())
	case errors.Is(err, history.ErrNotFound):
		s.fail(w, r, http.StatusNotFound, err.Error())
	default:
		s.fail(w, r, http.StatusInternalServerError, "reading the history: "+err.Error())
	}
}

func (s *server) redact(v string) string {
	if s.o.Redactor == nil {
		return v
	}
	return s.o.Redactor.Redact(v)
}

// Links. Path segments are escaped here; the template escapes the rest.

func (s *server) runURL(id string) string    { return s.o.Base + "/runs/" + url.PathEscape(id) }
func (s *server) flowURL(name string) string { return s.o.Base + "/flows/" + url.PathEscape(name) }
func (s *server) userURL(login string) string {
	return s.o.Base + "/users/" + url.PathEscape(login)
}
func (s *server) runsURL(q url.Values) string {
	if len(q) == 0 {
		return s.o.Base + "/runs"
	}
	return s.o.Base + "/runs?" + q.Encode()
}

// runItem is a run in a table.
type runItem struct {
	ID, URL, Flow, FlowURL, Event, EventType, User, UserURL, Status, Mode string
	Started, Duration                                                     string
	ResumedFrom, ResumedURL                                               string
	// Workflow and WorkflowRun name the Temporal workflow that ran the run.
	Workflow, WorkflowRun string
}

func (s *server) runItem(r *history.RunRow) runItem {
	it := runItem{ID: r.ID, URL: s.runURL(r.ID), Flow: r.Flow, FlowURL: s.flowURL(r.Flow), Event: s.redact(r.Event), EventType: r.EventType,
		User: s.redact(r.User), Status: r.Status, Mode: r.Mode, Started: view.When(r.StartedAt), Duration: "-"}
	if it.User == "" {
		it.User = s.redact(r.UserID)
	}
	if it.User != "" {
		it.UserURL = s.userURL(it.User)
	}
	if !r.EndedAt.IsZero() {
		it.Duration = view.Duration(r.EndedAt.Sub(r.StartedAt))
	}
	if r.ResumedFrom != "" {
		it.ResumedFrom, it.ResumedURL = r.ResumedFrom, s.runURL(r.ResumedFrom)
	}
	it.Workflow, it.WorkflowRun = s.redact(r.WorkflowID), r.WorkflowRunID
	return it
}

func (s *server) runItems(rows []*history.RunRow) []runItem {
	out := make([]runItem, 0, len(rows))
	for _, r := range rows {
		out = append(out, s.runItem(r))
	}
	return out
}

// countItem is the count of one status, linking to the runs of it.
type countItem struct {
	Status string
	Runs   int
	URL    string
	// Current marks the status filtered on.
	Current bool
}

// period is the days shown and their bounds: from the start of the
// first day (UTC) to the end of today.
type period struct {
	Days     int
	From, To time.Time
}

func (s *server) period(r *http.Request) (period, error) {
	days := DefaultDays
	if v := r.URL.Query().Get("days"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || !containsInt(Periods, n) {
			return period{}, badRequest{fmt.Errorf("days=%q: the periods are %s days", v, joinInts(Periods))}
		}
		days = n
	}
	today := s.o.Now().UTC().Truncate(24 * time.Hour)
	return period{Days: days, From: today.AddDate(0, 0, -(days - 1)), To: today.AddDate(0, 0, 1)}, nil
}

func containsInt(xs []int, x int) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

func joinInts(xs []int) string {
	var out []string
	for _, x := range xs {
		out = append(out, strconv.Itoa(x))
	}
	return strings.Join(out, ", ")
}

// periodLink is one period a page can be shown for.
type periodLink struct {
	Days    int
	URL     string
	Current bool
}

func periodLinks(path string, cur int) []periodLink {
	var out []periodLink
	for _, d := range Periods {
		out = append(out, periodLink{Days: d, URL: path + "?days=" + strconv.Itoa(d), Current: d == cur})
	}
	return out
}

// --- overview ---

type overviewPage struct {
	page
	Days    int
	Periods []periodLink
	Chart   chart
	Counts  []countItem
	Total   int
	Slowest []slowItem
	Limited []limitItem
	Flows   []flowLink
}

type slowItem struct {
	Flow, FlowURL, Card, Action string
	Calls                       int
	Mean, Max                   string
}

type limitItem struct {
	Instance, Action string
	Calls, Runs      int
	Last             string
}

type flowLink struct{ Name, URL string }

// SlowestCards is how many cards the overview lists.
const SlowestCards = 10

func (s *server) overview(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	p, err := s.period(r)
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	data := overviewPage{page: page{Base: s.o.Base, Title: "Overview", Nav: "overview"}, Days: p.Days, Periods: periodLinks(s.o.Base+"/", p.Days)}
	days, err := s.store.RunsPerDay(ctx, p.From, p.To)
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	data.Chart = runsChart(days, p.From, p.Days)
	byStatus := map[string]int{}
	for _, d := range days {
		byStatus[d.Status] += d.Runs
		data.Total += d.Runs
	}
	from := p.From.Format("2006-01-02")
	data.Counts = s.counts(byStatus, url.Values{"from": {from}}, "")
	slow, err := s.store.SlowestCards(ctx, p.From, p.To, SlowestCards)
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	for _, c := range slow {
		data.Slowest = append(data.Slowest, slowItem{Flow: c.Flow, FlowURL: s.flowURL(c.Flow), Card: s.redact(c.Card), Action: c.Action,
			Calls: c.Calls, Mean: view.Duration(c.Mean), Max: view.Duration(c.Max)})
	}
	limited, err := s.store.RateLimited(ctx, p.From, p.To)
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	for _, l := range limited {
		data.Limited = append(data.Limited, limitItem{Instance: l.Instance, Action: l.Action, Calls: l.Calls, Runs: l.Runs, Last: view.When(l.Last)})
	}
	if s.o.Graph != nil {
		for _, name := range s.o.Graph.Names {
			data.Flows = append(data.Flows, flowLink{Name: name, URL: s.flowURL(name)})
		}
	}
	s.render(w, r, "overview", data)
}

// counts lists the statuses with runs (those of Statuses first), each
// linking to the runs page filtered on it.
func (s *server) counts(by map[string]int, q url.Values, current string) []countItem {
	var names []string
	for _, st := range Statuses {
		if by[st] > 0 || st == current {
			names = append(names, st)
		}
	}
	var other []string
	for st := range by {
		if !contains(Statuses, st) && by[st] > 0 {
			other = append(other, st)
		}
	}
	sort.Strings(other)
	var out []countItem
	for _, st := range append(names, other...) {
		v := url.Values{}
		for k, vs := range q {
			v[k] = vs
		}
		v.Set("status", st)
		out = append(out, countItem{Status: st, Runs: by[st], URL: s.runsURL(v), Current: st == current})
	}
	return out
}

func contains(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

// --- runs ---

// filterForm is the runs page's filters as the form shows them.
type filterForm struct {
	Flow, Status, User, Event, From, To string
}

type runsPage struct {
	page
	F        filterForm
	Flows    []string
	Statuses []string
	Counts   []countItem
	Total    int
	Runs     []runItem
	// Next is the next page's URL ("" on the last); First the first
	// page's, when this is a later one.
	Next, First string
}

// parseDay reads a from or to filter: a date (the whole day, UTC), a
// datetime-local value (2006-01-02T15:04, UTC) or an RFC 3339 time. A
// date as "to" means the end of that day.
func parseDay(name, v string, end bool) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse("2006-01-02", v); err == nil {
		if end {
			t = t.AddDate(0, 0, 1)
		}
		return t, nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04", "2006-01-02T15:04:05"} {
		if t, err := time.Parse(layout, v); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, badRequest{fmt.Errorf("%s=%q: give a date (2026-11-01) or a time (2026-11-01T09:00, or RFC 3339)", name, v)}
}

// runQuery reads the filters of a runs listing from the URL.
func runQuery(v url.Values) (history.RunQuery, filterForm, error) {
	f := filterForm{Flow: strings.TrimSpace(v.Get("flow")), Status: v.Get("status"), User: strings.TrimSpace(v.Get("user")),
		Event: strings.TrimSpace(v.Get("event")), From: v.Get("from"), To: v.Get("to")}
	q := history.RunQuery{Flow: f.Flow, Status: f.Status, User: f.User, Event: f.Event}
	if f.Status != "" && !contains(Statuses, f.Status) {
		return q, f, badRequest{fmt.Errorf("status=%q: the statuses are %s", f.Status, strings.Join(Statuses, ", "))}
	}
	var err error
	if q.From, err = parseDay("from", f.From, false); err != nil {
		return q, f, err
	}
	if q.To, err = parseDay("to", f.To, true); err != nil {
		return q, f, err
	}
	if q.After, err = history.ParseCursor(v.Get("after")); err != nil {
		return q, f, badRequest{fmt.Errorf("after=: %v", err)}
	}
	if n := v.Get("n"); n != "" {
		if q.Limit, err = strconv.Atoi(n); err != nil || q.Limit < 1 || q.Limit > history.MaxPage {
			return q, f, badRequest{fmt.Errorf("n=%q: a page holds 1 to %d runs", n, history.MaxPage)}
		}
	}
	return q, f, nil
}

// without returns v without the keys (a copy).
func without(v url.Values, keys ...string) url.Values {
	out := url.Values{}
	for k, vs := range v {
		if !contains(keys, k) && len(vs) > 0 && vs[0] != "" {
			out[k] = vs
		}
	}
	return out
}

func (s *server) runs(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	v := r.URL.Query()
	q, f, err := runQuery(v)
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	rows, next, err := s.store.RunPage(ctx, q)
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	by, err := s.store.StatusCounts(ctx, q)
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	data := runsPage{page: page{Base: s.o.Base, Title: "Runs", Nav: "runs"}, F: f, Statuses: Statuses, Runs: s.runItems(rows)}
	if s.o.Graph != nil {
		data.Flows = s.o.Graph.Names
	}
	for _, n := range by {
		data.Total += n
	}
	data.Counts = s.counts(by, without(v, "status", "after"), f.Status)
	if !next.IsZero() {
		nv := without(v, "after")
		nv.Set("after", next.String())
		data.Next = s.runsURL(nv)
	}
	if !q.After.IsZero() {
		data.First = s.runsURL(without(v, "after"))
	}
	s.render(w, r, "runs", data)
}

// --- a run ---

type runPage struct {
	page
	Run runItem
	// Trigger is the event (uuid and type) or the schedule instant;
	// EventJSON the event, pretty.
	Trigger   string
	EventJSON string
	Failure   *failure
	// Unfinished says why a run has no trace.
	Unfinished string
	ResumedBy  *runItem
	Cards      []*cardItem
	TraceErr   string
	Calls      []callItem
}

type failure struct {
	Status, Card, Action, Message, Code string
	HTTPStatus                          int
	Resume                              string
}

type cardItem struct {
	// Key is the card's step id, else its path (data-card).
	Key, Path, ID, Name, Kind, Flow, Action, Branch, Status string
	Duration                                                string
	Attempts                                                int
	ReusedFrom, ReusedURL, Message, Taken, Value            string
	Inputs, Output                                          string
	Error                                                   *errItem
	Tries                                                   []callItem
	Children                                                []*cardItem
}

type errItem struct {
	Message, Code string
	Status        int
	Retryable     bool
	Attempts      int
}

type callItem struct {
	Seq, Attempt                                       int
	Card, Action, Status, Duration, Started, Input     string
	Output, ReusedFrom, ReusedURL, ErrMessage, ErrCode string
	ErrStatus                                          int
}

// pretty indents JSON text ("" stays "").
func pretty(s string) string {
	if s == "" {
		return ""
	}
	var buf bytes.Buffer
	if err := json.Indent(&buf, []byte(s), "", "  "); err != nil {
		return s
	}
	return buf.String()
}

// prettyValue is a value as indented JSON ("" for nil).
func prettyValue(v any) string {
	if v == nil {
		return ""
	}
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

func (s *server) run(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	row, err := s.store.Run(ctx, r.PathValue("id"))
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	calls, err := s.store.Calls(ctx, row.ID)
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	// Everything shown passes the redactor first, as JSON text: the form
	// the history wrote it in.
	row.EventJSON, row.Trace, row.Error = s.redact(row.EventJSON), s.redact(row.Trace), s.redact(row.Error)
	data := runPage{page: page{Base: s.o.Base, Title: "Run " + row.ID, Nav: "runs"}, Run: s.runItem(row), EventJSON: pretty(row.EventJSON)}
	data.Trigger = strings.TrimSpace(s.redact(row.Event) + " " + row.EventType)

	byCard := map[string][]callItem{}
	for _, c := range calls {
		it := s.callItem(c)
		data.Calls = append(data.Calls, it)
		byCard[c.Card] = append(byCard[c.Card], it)
	}
	trace, err := row.DecodeTrace()
	if err != nil {
		data.TraceErr = err.Error()
	} else if trace != nil {
		data.Cards = s.cardItems(trace.Cards, byCard)
	}
	switch row.Status {
	case string(engine.StatusHalted), string(engine.StatusFailed):
		f := &failure{Status: row.Status, Resume: "jml resume " + row.ID}
		e, err := row.DecodeError()
		if err != nil {
			f.Message = err.Error()
		} else if e == nil && trace != nil {
			e = trace.Error
		}
		if e != nil {
			f.Card, f.Action, f.Message, f.Code, f.HTTPStatus = e.Card, e.Action, e.Message, e.Code, e.Status
		}
		data.Failure = f
	case history.StatusRunning:
		if row.HeldByWorkflow() != nil {
			data.Unfinished = "This run is running on Temporal: its workflow " + s.redact(row.WorkflowID) + " continues it, not jml resume. Its calls so far are below."
			break
		}
		data.Unfinished = "This run has not finished: it is still running, or its process stopped during it. Its calls so far are below; if the process stopped, jml resume " + row.ID + " continues it."
	case history.StatusInterrupted:
		data.Unfinished = "The process stopped during this run, and a later run took it over."
	}
	if row.Status != "success" && row.Status != "filtered" {
		by, err := s.store.ResumedBy(ctx, row.ID)
		if err != nil {
			s.failErr(w, r, err)
			return
		}
		if by != nil {
			it := s.runItem(by)
			data.ResumedBy = &it
		}
	}
	s.render(w, r, "run", data)
}

func (s *server) callItem(c *history.CallRow) callItem {
	it := callItem{Seq: c.Seq, Attempt: c.Attempt, Card: s.redact(c.Card), Action: c.Action, Status: c.Status, Duration: view.Duration(c.Duration),
		Started: view.When(c.StartedAt), Input: pretty(s.redact(c.Input)), Output: pretty(s.redact(c.Output))}
	if c.Status == history.CallPending || c.Status == history.CallReused {
		it.Duration = ""
	}
	if c.ReusedFrom != "" {
		it.ReusedFrom, it.ReusedURL = c.ReusedFrom, s.runURL(c.ReusedFrom)
	}
	if c.Error != "" {
		c.Error = s.redact(c.Error)
		if e, err := c.DecodeError(); err != nil {
			it.ErrMessage = err.Error()
		} else if e != nil {
			it.ErrMessage, it.ErrCode, it.ErrStatus = e.Message, e.Code, e.Status
		}
	}
	return it
}

func (s *server) cardItems(cs []*engine.CardTrace, calls map[string][]callItem) []*cardItem {
	var out []*cardItem
	for _, c := range cs {
		if c == nil {
			continue
		}
		it := &cardItem{Key: c.ID, Path: c.Path, ID: c.ID, Name: c.Name, Kind: c.Kind, Flow: c.Flow, Action: c.Action, Branch: c.Branch,
			Status: string(c.Status), Attempts: c.Attempts, Message: c.Message, Taken: c.Taken,
			Inputs: prettyValue(mapOrNil(c.Input)), Output: prettyValue(c.Output), Tries: calls[c.Path], Children: s.cardItems(c.Children, calls)}
		if it.Key == "" {
			it.Key = c.Path
		}
		if c.Value != nil {
			it.Value = prettyValue(c.Value)
		}
		if c.Duration > 0 || c.Status != engine.CardSkipped {
			it.Duration = view.Duration(c.Duration)
		}
		if c.ReusedFrom != "" {
			it.ReusedFrom, it.ReusedURL = c.ReusedFrom, s.runURL(c.ReusedFrom)
		}
		if e := c.Error; e != nil {
			it.Error = &errItem{Message: e.Message, Code: e.Code, Status: e.Status, Retryable: e.Retryable, Attempts: e.Attempts}
		}
		out = append(out, it)
	}
	return out
}

func mapOrNil(m map[string]any) any {
	if len(m) == 0 {
		return nil
	}
	return m
}

// --- a flow ---

type flowPage struct {
	page
	Name    string
	InRepo  bool
	SVG     template.HTML
	SVGErr  string
	Days    int
	Periods []periodLink
	// RunsRead is how many runs the rates come from, Capped whether the
	// period held more.
	RunsRead int
	Capped   bool
	RunRate  rateItem
	Cards    []rateItem
	Runs     []runItem
	More     string
}

type rateItem struct {
	Key, Path, Label, Kind string
	OK, Failed             int
	Rate, Class            string
}

// Rate classes: ok at or above OKRate, bad below BadRate, warn between,
// none for a card that did not run in the period.
const (
	OKRate  = 0.99
	BadRate = 0.90
)

// RateClass is the CSS class of a success rate (-1: no runs).
func RateClass(rate float64) string {
	switch {
	case rate < 0:
		return "none"
	case rate >= OKRate:
		return "ok"
	case rate < BadRate:
		return "bad"
	}
	return "warn"
}

func rateText(c history.CardRate) string {
	if c.Rate() < 0 {
		return "no runs"
	}
	return strconv.FormatFloat(100*c.Rate(), 'f', 1, 64) + "%"
}

func (s *server) flow(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	name := r.PathValue("name")
	p, err := s.period(r)
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	data := flowPage{page: page{Base: s.o.Base, Title: "Flow " + name, Nav: "flows"}, Name: name, Days: p.Days, Periods: periodLinks(s.flowURL(name), p.Days)}
	rates, err := s.store.CardRates(ctx, name, p.From, p.To, RateRuns)
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	data.RunsRead, data.Capped = rates.Runs, rates.Capped
	data.RunRate = rateItem{Label: "the runs", OK: rates.Run.OK, Failed: rates.Run.Failed, Rate: rateText(rates.Run), Class: RateClass(rates.Run.Rate())}
	if s.o.Graph != nil && s.o.Graph.Flows[name] != nil {
		data.InRepo = true
		d, err := graph.Build(s.o.Graph, name, graph.Options{})
		if err != nil {
			data.SVGErr = err.Error()
		} else {
			colours, cards := fill(s.o.Graph, d, rates)
			data.Cards = cards
			svg := d.SVG(graph.SVGOptions{Fill: colours, Title: name})
			if svg, err := checkSVG(svg); err != nil {
				data.SVGErr = "the flow's drawing was not shown: " + err.Error()
			} else {
				// The drawing is pkg/graph's, of the compiled flow (not of
				// the history), and has just been checked to hold nothing
				// that runs (checkSVG).
				data.SVG = template.HTML(svg)
			}
		}
	}
	rows, next, err := s.store.RunPage(ctx, history.RunQuery{Flow: name, Limit: FlowRuns})
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	if !data.InRepo && len(rows) == 0 {
		s.fail(w, r, http.StatusNotFound, fmt.Sprintf("no flow %q in the repository, and no run of it in the history", name))
		return
	}
	data.Runs = s.runItems(rows)
	if !next.IsZero() {
		data.More = s.runsURL(url.Values{"flow": {name}, "after": {next.String()}})
	}
	s.render(w, r, "flow", data)
}

// fill colours each card of a flow's drawing by its success rate:
// keyed by the drawing's node ID and by the card's step id (the svg
// renderer marks a node with either), the trigger by the runs' rate. It
// also returns the rates as rows, in drawing order.
func fill(g *compile.Graph, d *graph.Diagram, rates *history.FlowRates) (map[string]string, []rateItem) {
	steps := map[string]string{}
	if f := g.Flows[d.Flow]; f != nil {
		for _, n := range f.Nodes {
			if n != nil && n.StepID != "" {
				steps[n.Path] = n.StepID
			}
		}
	}
	fill := map[string]string{}
	var rows []rateItem
	for _, n := range d.Nodes() {
		if n.Kind == graph.KindTrigger {
			fill[n.ID] = RateClass(rates.Run.Rate())
			continue
		}
		if n.Path == "" {
			continue
		}
		c := history.CardRate{}
		if r := rates.Cards[n.Path]; r != nil {
			c = *r
		}
		class := RateClass(c.Rate())
		fill[n.ID] = class
		label := n.Path
		if id := steps[n.Path]; id != "" {
			fill[id] = class
			label = id
		}
		rows = append(rows, rateItem{Key: n.ID, Path: n.Path, Label: label, Kind: string(n.Kind), OK: c.OK, Failed: c.Failed, Rate: rateText(c), Class: class})
	}
	return fill, rows
}

// --- a user ---

type userPage struct {
	page
	Login string
	Runs  []runItem
	Next  string
	First string
	// Verify is the user's latest verify (nil: none recorded).
	Verify    *verifyItem
	VerifyErr string
}

type verifyItem struct {
	User, ID, CheckedAt, Source string
	Leaver                      bool
	Cells                       []verifyCell
}

type verifyCell struct {
	Instance, Type, Text, Mark, State string
	Orphan                            bool
}

func (s *server) user(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	login := r.PathValue("login")
	after, err := history.ParseCursor(r.URL.Query().Get("after"))
	if err != nil {
		s.failErr(w, r, badRequest{fmt.Errorf("after=: %v", err)})
		return
	}
	rows, next, err := s.store.RunPage(ctx, history.RunQuery{User: login, After: after})
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	data := userPage{page: page{Base: s.o.Base, Title: "User " + s.redact(login), Nav: "runs"}, Login: s.redact(login), Runs: s.runItems(rows)}
	if !next.IsZero() {
		data.Next = s.userURL(login) + "?after=" + url.QueryEscape(next.String())
	}
	if !after.IsZero() {
		data.First = s.userURL(login)
	}
	rec, err := s.store.LatestVerify(ctx, login)
	switch {
	case errors.Is(err, history.ErrNoVerify):
	case err != nil:
		data.VerifyErr = err.Error()
	default:
		data.Verify = s.verifyItem(rec)
	}
	s.render(w, r, "user", data)
}

func (s *server) verifyItem(rec *history.VerifyRecord) *verifyItem {
	it := &verifyItem{User: s.redact(rec.User), ID: rec.ID, CheckedAt: view.When(rec.CheckedAt), Source: s.redact(rec.Source), Leaver: rec.Leaver}
	cell := func(c history.VerifyCellRecord, okta bool) verifyCell {
		vc := c.Cell()
		return verifyCell{Instance: c.Instance, Type: c.Type, Text: s.redact(view.VerifyCellText(vc, okta)), Mark: view.VerifyMark(vc, rec.Leaver),
			State: c.State, Orphan: c.Orphan}
	}
	if rec.Okta != nil {
		it.Cells = append(it.Cells, cell(*rec.Okta, true))
	}
	for _, c := range rec.Apps {
		it.Cells = append(it.Cells, cell(c, false))
	}
	return it
}
