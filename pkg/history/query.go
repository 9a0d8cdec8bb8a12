package history

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// The reads of the web view (pkg/webui): a page of runs under filters,
// the runs counted by status and by day, the slowest cards, the vendors
// that answered 429, and each card's success rate in a flow. Each is one
// query (two for a page of runs and its counts) on the indexes of
// migration 5, in both back ends.

// RunQuery selects runs, newest first (started_at, then id, descending),
// a page at a time.
type RunQuery struct {
	// Flow and Status match exactly; Event an event uuid, else an event
	// type; User a login (without case) or an Okta user id.
	Flow, Status, Event, User string
	// From and To bound when the runs started: From included, To not
	// (zero: unbounded).
	From, To time.Time
	// After continues a listing: only runs after the cursor in the
	// listing's order (older, or as old with a smaller id).
	After Cursor
	// Limit is the page's size (at most MaxPage; 0: DefaultPage).
	Limit int
}

// Page sizes of RunPage.
const (
	DefaultPage = 50
	MaxPage     = 500
)

// Cursor is where a page of runs ended: the last run's start and id. A
// page after it starts with the next run in (started_at, id) order, so a
// run recorded meanwhile never shifts a page, and no run is shown twice
// or skipped (keyset pagination, not OFFSET).
type Cursor struct {
	StartedAt time.Time
	ID        string
}

// IsZero reports whether c is no cursor (the first page).
func (c Cursor) IsZero() bool { return c.ID == "" && c.StartedAt.IsZero() }

// String is the cursor as a URL parameter holds it: the start in the
// store's time layout, "~", the run id.
func (c Cursor) String() string {
	if c.IsZero() {
		return ""
	}
	return fmtTime(c.StartedAt) + "~" + c.ID
}

// ParseCursor reads a Cursor written by String ("" is the zero cursor).
func ParseCursor(s string) (Cursor, error) {
	if s == "" {
		return Cursor{}, nil
	}
	at, id, ok := strings.Cut(s, "~")
	t, err := time.Parse(timeLayout, at)
	if !ok || err != nil || id == "" {
		return Cursor{}, fmt.Errorf("%q is not a page cursor (TIME~RUNID)", s)
	}
	return Cursor{StartedAt: t, ID: id}, nil
}

// listColumns are runColumns without the event and the trace, which a
// listing does not show (Run reads them).
const listColumns = `id, flow, event_uuid, event_type, user_login, user_id, mode, status, started_at, ended_at, resumed_from, error, '', '', digest, row_format, workflow_id, workflow_run_id`

// where is q's WHERE clause (with its leading keyword, or "") and its
// arguments; the status filter and the cursor only when asked. uuid says
// that q.Event is an event uuid (eventFilter).
//
// A user's runs, or an event's, are few: with either filter, the flow,
// status and event type are compared as flow || ”, which no index
// serves, so that the planner reads the user's (or the event's) index
// rather than walk all of a flow's runs newest first looking for theirs
// (SQLite has no statistics to know better).
func (q RunQuery) where(status, cursor, uuid bool) (string, []any) {
	var conds []string
	var args []any
	col := func(name string) string {
		if q.User != "" || (q.Event != "" && uuid) {
			return name + " || ''"
		}
		return name
	}
	if q.Flow != "" {
		conds, args = append(conds, col("flow")+" = ?"), append(args, q.Flow)
	}
	if status && q.Status != "" {
		conds, args = append(conds, col("status")+" = ?"), append(args, q.Status)
	}
	if q.Event != "" && uuid {
		conds, args = append(conds, "event_uuid = ?"), append(args, q.Event)
	} else if q.Event != "" {
		conds, args = append(conds, col("event_type")+" = ?"), append(args, q.Event)
	}
	if q.User != "" {
		conds, args = append(conds, "(LOWER(user_login) = LOWER(?) OR user_id = ?)"), append(args, q.User, q.User)
	}
	if !q.From.IsZero() {
		conds, args = append(conds, "started_at >= ?"), append(args, fmtTime(q.From))
	}
	if !q.To.IsZero() {
		conds, args = append(conds, "started_at < ?"), append(args, fmtTime(q.To))
	}
	if cursor && !q.After.IsZero() {
		// A row value, which both back ends compare in order and seek
		// in the (…, started_at, id) indexes.
		conds, args = append(conds, "(started_at, id) < (?, ?)"), append(args, fmtTime(q.After.StartedAt), q.After.ID)
	}
	if len(conds) == 0 {
		return "", nil
	}
	return " WHERE " + strings.Join(conds, " AND "), args
}

// eventIsUUID reports whether an Event filter names an event the
// history has runs of (else it is an event type).
func (s *Store) eventIsUUID(ctx context.Context, event string) (bool, error) {
	if event == "" {
		return false, nil
	}
	var n int
	err := s.db.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM (SELECT 1 FROM runs WHERE event_uuid = ? LIMIT 1) AS one`), event).Scan(&n)
	return n > 0, err
}

// RunPage returns a page of the runs q selects, newest first, without
// their event and trace; next is the cursor of the page after it (zero
// when this page is the last).
func (s *Store) RunPage(ctx context.Context, q RunQuery) (rows []*RunRow, next Cursor, err error) {
	limit := q.Limit
	if limit <= 0 {
		limit = DefaultPage
	}
	limit = min(limit, MaxPage)
	uuid, err := s.eventIsUUID(ctx, q.Event)
	if err != nil {
		return nil, Cursor{}, err
	}
	where, args := q.where(true, true, uuid)
	// One more than the page: whether there is a page after it.
	query := `SELECT ` + listColumns + ` FROM runs` + where + ` ORDER BY started_at DESC, id DESC LIMIT ` + strconv.Itoa(limit+1)
	res, err := s.db.QueryContext(ctx, s.q(query), args...)
	if err != nil {
		return nil, Cursor{}, err
	}
	defer res.Close()
	rows = []*RunRow{}
	for res.Next() {
		r, err := scanRun(res)
		if err != nil {
			return nil, Cursor{}, err
		}
		rows = append(rows, r)
	}
	if err := res.Err(); err != nil {
		return nil, Cursor{}, err
	}
	if len(rows) > limit {
		rows = rows[:limit]
		last := rows[limit-1]
		next = Cursor{StartedAt: last.StartedAt, ID: last.ID}
	}
	return rows, next, nil
}

// ResumedBy returns the newest run that resumed run id, or nil.
func (s *Store) ResumedBy(ctx context.Context, id string) (*RunRow, error) {
	r, err := scanRun(s.db.QueryRowContext(ctx, s.q(`SELECT `+listColumns+` FROM runs WHERE resumed_from = ? ORDER BY started_at DESC, id DESC LIMIT 1`), id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	return r, err
}

// StatusCounts counts the runs q selects by status, whatever q.Status
// (and its cursor) says: the counts beside a filtered listing.
func (s *Store) StatusCounts(ctx context.Context, q RunQuery) (map[string]int, error) {
	uuid, err := s.eventIsUUID(ctx, q.Event)
	if err != nil {
		return nil, err
	}
	where, args := q.where(false, false, uuid)
	res, err := s.db.QueryContext(ctx, s.q(`SELECT status, COUNT(*) FROM runs`+where+` GROUP BY status`), args...)
	if err != nil {
		return nil, err
	}
	defer res.Close()
	out := map[string]int{}
	for res.Next() {
		var st string
		var n int
		if err := res.Scan(&st, &n); err != nil {
			return nil, err
		}
		out[st] = n
	}
	return out, res.Err()
}

// DayCount is how many runs started on a day (UTC) with a status.
type DayCount struct {
	// Day is the date, 2006-01-02.
	Day    string
	Status string
	Runs   int
}

// RunsPerDay counts the runs started in [from, to) by day (UTC) and
// status, in day order: from the per-day totals (rollup.go) when the
// period is whole days, else from the runs.
func (s *Store) RunsPerDay(ctx context.Context, from, to time.Time) ([]DayCount, error) {
	if lo, hi, ok := wholeDays(from, to); ok {
		return s.runsPerDay(ctx, s.q(`SELECT day, status, CAST(runs AS BIGINT) FROM rollup_runs
			WHERE day >= ? AND day < ? AND runs > 0 ORDER BY day, status`), lo, hi)
	}
	return s.runsPerDay(ctx, s.q(`SELECT SUBSTR(started_at, 1, 10) AS day, status, COUNT(*) FROM runs
		WHERE started_at >= ? AND started_at < ? GROUP BY SUBSTR(started_at, 1, 10), status ORDER BY day, status`), fmtTime(from), fmtTime(to))
}

func (s *Store) runsPerDay(ctx context.Context, query string, args ...any) ([]DayCount, error) {
	res, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer res.Close()
	var out []DayCount
	for res.Next() {
		var d DayCount
		if err := res.Scan(&d.Day, &d.Status, &d.Runs); err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, res.Err()
}

// CardTiming is how long the calls of one card took.
type CardTiming struct {
	// Flow is the flow of the runs ("" for calls an older jml recorded
	// in a store this jml had migrated); Card the card's path in it (a
	// helper's card under the calling card and the helper's name, a
	// forEach body's card without the item's index), Action the call.
	Flow, Card, Action string
	// Calls counts the tries that got an answer (success or failure).
	Calls     int
	Mean, Max time.Duration
}

// itemIndex is the forEach item of a card path: the forEach's path and
// #N, before the body's card path (engine: the frame's prefix).
var itemIndex = regexp.MustCompile(`[^/]*#\d+/`)

// CardOf is the card a journal entry's path (calls.card) names, without
// the forEach items it ran in: steps[1]#3/steps[1].do[0] is
// steps[1].do[0].
func CardOf(path string) string { return itemIndex.ReplaceAllString(path, "") }

// SlowestCards returns the n cards whose calls that started in [from,
// to) took longest on average, slowest first: from the per-day totals
// (rollup.go) when the period is whole days, else from the calls.
func (s *Store) SlowestCards(ctx context.Context, from, to time.Time, n int) ([]CardTiming, error) {
	if lo, hi, ok := wholeDays(from, to); ok {
		return s.slowestCards(ctx, n, s.q(`SELECT flow, card, action, CAST(SUM(calls) AS BIGINT), CAST(SUM(sum_ns) AS BIGINT), MAX(max_ns)
			FROM rollup_cards WHERE day >= ? AND day < ? AND calls > 0
			GROUP BY flow, card, action`), lo, hi)
	}
	// calls.flow spares reading the runs: the calls_started index holds
	// every column read.
	return s.slowestCards(ctx, n, s.q(`SELECT flow, card, action, COUNT(*), CAST(SUM(duration_ns) AS BIGINT), MAX(duration_ns)
		FROM calls WHERE started_at >= ? AND started_at < ? AND status IN (?, ?)
		GROUP BY flow, card, action`), fmtTime(from), fmtTime(to), CallSuccess, CallFailed)
}

func (s *Store) slowestCards(ctx context.Context, n int, query string, args ...any) ([]CardTiming, error) {
	res, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer res.Close()
	type key struct{ flow, card, action string }
	type acc struct {
		calls    int
		sum, max int64
	}
	byCard := map[key]*acc{}
	for res.Next() {
		var k key
		var a acc
		if err := res.Scan(&k.flow, &k.card, &k.action, &a.calls, &a.sum, &a.max); err != nil {
			return nil, err
		}
		k.card = CardOf(k.card)
		if b := byCard[k]; b != nil {
			b.calls, b.sum, b.max = b.calls+a.calls, b.sum+a.sum, max(b.max, a.max)
		} else {
			byCard[k] = &a
		}
	}
	if err := res.Err(); err != nil {
		return nil, err
	}
	out := make([]CardTiming, 0, len(byCard))
	for k, a := range byCard {
		out = append(out, CardTiming{Flow: k.flow, Card: k.card, Action: k.action, Calls: a.calls,
			Mean: time.Duration(a.sum / int64(max(a.calls, 1))), Max: time.Duration(a.max)})
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Mean != b.Mean {
			return a.Mean > b.Mean
		}
		if a.Flow != b.Flow {
			return a.Flow < b.Flow
		}
		if a.Card != b.Card {
			return a.Card < b.Card
		}
		return a.Action < b.Action
	})
	if n > 0 && len(out) > n {
		out = out[:n]
	}
	return out, nil
}

// RateLimit is how often one connector action was answered 429.
type RateLimit struct {
	// Instance is the connector instance, Action the action called.
	Instance, Action string
	// Calls counts the tries answered 429; Runs the runs they were in,
	// a run counted once a day (a run with such calls on two days, over
	// midnight UTC, counts twice).
	Calls, Runs int
	// Last is when the latest of them started.
	Last time.Time
}

// status429 is how the JSON of a CallError (calls.error) with status
// 429 reads: encoding/json writes the field as is, and the same bytes
// inside a string would have their quotes escaped.
const status429 = `%"status":429%`

// RateLimited returns the connector actions whose calls that started in
// [from, to) were answered 429 (Too Many Requests), most often first:
// from the per-day totals (rollup.go) when the period is whole days,
// else from the calls.
func (s *Store) RateLimited(ctx context.Context, from, to time.Time) ([]RateLimit, error) {
	query, args := s.q(`SELECT action, CAST(SUM(calls) AS BIGINT), CAST(SUM(runs) AS BIGINT), MAX(last) FROM rollup_429
		WHERE day >= ? AND day < ? AND calls > 0 GROUP BY action`), []any(nil)
	if lo, hi, ok := wholeDays(from, to); ok {
		args = []any{lo, hi}
	} else {
		// The runs counted a day at a time, as the totals count them.
		query = s.q(`SELECT action, CAST(SUM(calls) AS BIGINT), CAST(SUM(runs) AS BIGINT), MAX(last) FROM (
			SELECT action, COUNT(*) AS calls, COUNT(DISTINCT run_id) AS runs, MAX(started_at) AS last FROM calls
			WHERE started_at >= ? AND started_at < ? AND status = ? AND error LIKE ?
			GROUP BY SUBSTR(started_at, 1, 10), action) AS days GROUP BY action`)
		args = []any{fmtTime(from), fmtTime(to), CallFailed, status429}
	}
	res, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer res.Close()
	out := []RateLimit{}
	for res.Next() {
		var r RateLimit
		var name, last string
		if err := res.Scan(&name, &r.Calls, &r.Runs, &last); err != nil {
			return nil, err
		}
		r.Instance, r.Action, _ = strings.Cut(name, ".")
		r.Last = parseTime(last)
		out = append(out, r)
	}
	if err := res.Err(); err != nil {
		return nil, err
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Calls != out[j].Calls {
			return out[i].Calls > out[j].Calls
		}
		return out[i].Instance+"."+out[i].Action < out[j].Instance+"."+out[j].Action
	})
	return out, nil
}

// CardRate is how one card of a flow fared in the runs read.
type CardRate struct {
	// OK counts its successes (and, for continueIf, its filtered runs);
	// Failed its failures and halts. Skipped cards count in neither.
	OK, Failed int
}

// Rate is the share of OK, or -1 when the card did not run.
func (c CardRate) Rate() float64 {
	if c.OK+c.Failed == 0 {
		return -1
	}
	return float64(c.OK) / float64(c.OK+c.Failed)
}

// FlowRates is how each card of a flow fared in its runs of a period.
type FlowRates struct {
	// Runs counts the runs read: the newest of the period, at most the
	// limit given (Capped says the period held more).
	Runs   int
	Capped bool
	// Run is the runs themselves: OK success or filtered, Failed halted
	// or failed (a run still running or interrupted counts in neither).
	Run CardRate
	// Cards are keyed by the card's path in the flow (steps[1].do[0]),
	// every item of a forEach counted.
	Cards map[string]*CardRate
}

// CardRates reads the traces of flow's runs that started in [from, to),
// the newest limit of them, and counts each card's outcomes.
func (s *Store) CardRates(ctx context.Context, flow string, from, to time.Time, limit int) (*FlowRates, error) {
	if limit <= 0 {
		limit = 500
	}
	res, err := s.db.QueryContext(ctx, s.q(`SELECT id, status, trace, row_format FROM runs
		WHERE flow = ? AND started_at >= ? AND started_at < ?
		ORDER BY started_at DESC, id DESC LIMIT `+strconv.Itoa(limit+1)), flow, fmtTime(from), fmtTime(to))
	if err != nil {
		return nil, err
	}
	defer res.Close()
	out := &FlowRates{Cards: map[string]*CardRate{}}
	for res.Next() {
		var id, status, trace string
		var format int
		if err := res.Scan(&id, &status, &trace, &format); err != nil {
			return nil, err
		}
		if out.Runs == limit {
			out.Capped = true
			break
		}
		out.Runs++
		out.Run.count(status)
		if trace == "" {
			continue
		}
		if err := checkFormat("run "+id, format); err != nil {
			return nil, err
		}
		outcomes, err := cardOutcomes(trace)
		if err != nil {
			return nil, fmt.Errorf("run %s: the recorded trace is not readable: %v", id, err)
		}
		var walk func([]*cardOutcome)
		walk = func(cs []*cardOutcome) {
			for _, c := range cs {
				if c == nil {
					continue
				}
				if c.Flow == flow {
					p := c.Path
					if i := strings.LastIndexByte(p, '/'); i >= 0 {
						p = p[i+1:]
					}
					r := out.Cards[p]
					if r == nil {
						r = &CardRate{}
						out.Cards[p] = r
					}
					r.count(c.Status)
				}
				walk(c.Children)
			}
		}
		walk(outcomes)
	}
	return out, res.Err()
}

func (c *CardRate) count(status string) {
	switch status {
	case "success", "filtered":
		c.OK++
	case "failed", "halted":
		c.Failed++
	}
}
