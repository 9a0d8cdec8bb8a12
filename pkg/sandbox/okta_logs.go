package sandbox

import (
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jml-dev/jml/pkg/effect"
)

// oktaLogsDefaultLimit and oktaLogsMaxLimit are the System Log API's page
// sizes.
const (
	oktaLogsDefaultLimit = 100
	oktaLogsMaxLimit     = 1000
)

// logEvent is one seeded event as the System Log serves it.
type logEvent struct {
	raw       map[string]any
	typ       string
	published time.Time
}

// oktaLogs serves GET /api/v1/logs from the events the sandbox was seeded
// with (Options.Logs), in published order: since (inclusive) and until
// (exclusive), filter (eventType eq "T", ORed, in parentheses or not),
// limit (1..1000, default 100), sortOrder ASCENDING, and an opaque after
// cursor in the Link rel="next" header. As in Okta, a bounded query
// (with until) has a next link while events remain; a polling query
// (without until) always has one, the cursor of the next poll. Anything
// else in filter is answered 400 as Okta answers a filter it cannot read.
func (o *oktaAPI) logs(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	bad := func(msg string) {
		o.in.Error(w, &effect.Error{Status: 400, Code: "invalid_input", Message: msg})
	}
	var since, until time.Time
	if s := q.Get("since"); s != "" {
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			bad("Invalid value for 'since' parameter: " + s)
			return
		}
		since = t
	}
	if s := q.Get("until"); s != "" {
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			bad("Invalid value for 'until' parameter: " + s)
			return
		}
		until = t
	}
	limit := oktaLogsDefaultLimit
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			bad("Invalid value for 'limit' parameter: " + s)
			return
		}
		limit = min(n, oktaLogsMaxLimit)
	}
	if s := q.Get("sortOrder"); s != "" && s != "ASCENDING" {
		bad("Invalid value for 'sortOrder' parameter: the sandbox serves ASCENDING only")
		return
	}
	types, ok := parseTypeFilter(q.Get("filter"))
	if !ok {
		bad("Invalid search criteria. (the sandbox reads filters of eventType eq \"…\" clauses joined by or)")
		return
	}
	after := 0
	if s := q.Get("after"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			bad("Invalid value for 'after' parameter")
			return
		}
		after = n
	}
	evs := o.in.s.logs
	var page []any
	next := after
	for i := after; i < len(evs) && len(page) < limit; i++ {
		next = i + 1
		e := evs[i]
		if !since.IsZero() && (e.published.IsZero() || e.published.Before(since)) {
			continue
		}
		if !until.IsZero() && (e.published.IsZero() || !e.published.Before(until)) {
			continue
		}
		if types != nil && !slices.Contains(types, e.typ) {
			continue
		}
		page = append(page, e.raw)
	}
	if page == nil {
		page = []any{}
	}
	// Events past the page that the query could still return?
	more := false
	for i := next; i < len(evs) && !more; i++ {
		e := evs[i]
		more = (since.IsZero() || !e.published.Before(since)) && (until.IsZero() || e.published.Before(until)) &&
			(types == nil || slices.Contains(types, e.typ))
	}
	self := url.Values{}
	for k, v := range q {
		self[k] = v
	}
	w.Header().Add("Link", "<"+o.url(r, "/api/v1/logs?"+self.Encode())+`>; rel="self"`)
	if more || until.IsZero() {
		nq := url.Values{}
		for k, v := range q {
			nq[k] = v
		}
		nq.Set("after", strconv.Itoa(next))
		w.Header().Add("Link", "<"+o.url(r, "/api/v1/logs?"+nq.Encode())+`>; rel="next"`)
	}
	o.in.JSON(w, http.StatusOK, page)
}

var typeClauseRE = regexp.MustCompile(`^eventType eq "([^"\\]+)"$`)

// parseTypeFilter reads `eventType eq "A" or eventType eq "B"` (in
// parentheses or not); "" is no filter (nil).
func parseTypeFilter(f string) ([]string, bool) {
	f = strings.TrimSpace(f)
	if f == "" {
		return nil, true
	}
	for strings.HasPrefix(f, "(") && strings.HasSuffix(f, ")") {
		f = strings.TrimSpace(f[1 : len(f)-1])
	}
	var types []string
	for _, c := range strings.Split(f, " or ") {
		c = strings.TrimSpace(c)
		for strings.HasPrefix(c, "(") && strings.HasSuffix(c, ")") {
			c = strings.TrimSpace(c[1 : len(c)-1])
		}
		m := typeClauseRE.FindStringSubmatch(c)
		if m == nil {
			return nil, false
		}
		types = append(types, m[1])
	}
	return types, true
}

// newLogs orders seeded events as the System Log serves them: by
// published, stably (events without a time first).
func newLogs(raws []map[string]any) []logEvent {
	out := make([]logEvent, 0, len(raws))
	for _, m := range raws {
		e := logEvent{raw: m}
		e.typ, _ = m["eventType"].(string)
		if s, ok := m["published"].(string); ok {
			e.published, _ = time.Parse(time.RFC3339Nano, s)
		}
		out = append(out, e)
	}
	slices.SortStableFunc(out, func(a, b logEvent) int { return a.published.Compare(b.published) })
	return out
}
