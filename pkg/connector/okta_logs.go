package connector

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/jml-dev/jml/pkg/effect"
)

// LogsPath is Okta's System Log API.
const LogsPath = "/api/v1/logs"

// LogsMaxLimit is the largest page the System Log API returns.
const LogsMaxLimit = 1000

// LogQuery is one System Log query (GET /api/v1/logs), always in
// published order (sortOrder=ASCENDING).
type LogQuery struct {
	// Since and Until bound published (RFC 3339); "" leaves a bound out.
	// Without Until the query is a polling query: Okta answers every page,
	// even an empty one, with a next link — the cursor of the next poll.
	Since, Until string
	// Filter is an Okta filter expression (eventType eq "…").
	Filter string
	// Limit is the page size (default and at most LogsMaxLimit).
	Limit int
}

// Values is the query string of the first page.
func (q LogQuery) Values() url.Values {
	v := url.Values{}
	if q.Since != "" {
		v.Set("since", q.Since)
	}
	if q.Until != "" {
		v.Set("until", q.Until)
	}
	if q.Filter != "" {
		v.Set("filter", q.Filter)
	}
	limit := q.Limit
	if limit <= 0 || limit > LogsMaxLimit {
		limit = LogsMaxLimit
	}
	v.Set("limit", strconv.Itoa(limit))
	v.Set("sortOrder", "ASCENDING")
	return v
}

// LogPager reads the pages of a System Log query one at a time, following
// the Link rel="next" headers (same origin only). Rate limits are the
// instance's: its Limiter waits out X-Rate-Limit-Reset before each call;
// a failed call (a 429, a 5xx, a timeout) is returned as an *effect.Error
// for the caller's retry rule to judge — a retry is calling Next again,
// which repeats the same page.
type LogPager struct {
	in    *Instance
	path  string
	query url.Values
	done  bool
	pages int
}

// NewLogPager starts a query of in, which must be an okta instance.
func NewLogPager(in *Instance, q LogQuery) (*LogPager, error) {
	if in == nil || in.Type != "okta" {
		return nil, fmt.Errorf("the System Log is read from an okta connector instance")
	}
	return &LogPager{in: in, path: LogsPath, query: q.Values()}, nil
}

// Page is one page of events, each as the API sent it (compacted to one
// line), and whether the API gave a next link.
type Page struct {
	Events []json.RawMessage
	Next   bool
	// Status and Header are the response's (rate-limit headers).
	Status int
	Header http.Header
}

// Next fetches the next page. It returns io.EOF once the previous page had
// no next link. On an error the cursor does not move: Next asks for the
// same page again.
func (p *LogPager) Next(ctx context.Context) (*Page, error) {
	if p.done {
		return nil, io.EOF
	}
	if p.pages >= oktaMaxPagesLogs {
		return nil, &effect.Error{Code: "bad_response", Message: fmt.Sprintf("GET %s: more than %d pages", LogsPath, oktaMaxPagesLogs)}
	}
	cctx, cancel := ctx, context.CancelFunc(func() {})
	if p.in.Timeout > 0 {
		cctx, cancel = context.WithTimeout(ctx, p.in.Timeout)
	}
	defer cancel()
	r, err := p.in.Call(cctx, http.MethodGet, p.path, p.query, nil, nil)
	if err != nil {
		ee := effect.AsError(err)
		// Name the request: "Invalid search criteria" alone says nothing
		// of which query.
		return nil, &effect.Error{Status: ee.Status, Code: ee.Code, Retryable: ee.Retryable, RetryAfter: ee.RetryAfter,
			Message: fmt.Sprintf("GET %s: %s", LogsPath, ee.Message)}
	}
	events, err := splitArray(r.Body)
	if err != nil {
		return nil, &effect.Error{Status: r.Status, Code: "bad_response", Message: fmt.Sprintf("GET %s: %v", LogsPath, err)}
	}
	page := &Page{Events: events, Status: r.Status, Header: r.Header}
	next := NextLink(r.Header)
	if next == "" {
		p.done = true
	} else {
		path, query, err := relativeLink(p.in, next)
		if err != nil {
			return nil, err
		}
		if path != LogsPath {
			return nil, &effect.Error{Code: "bad_response", Message: fmt.Sprintf("GET %s: the next link leaves the System Log (%s)", LogsPath, path)}
		}
		p.path, p.query, page.Next = path, query, true
	}
	p.pages++
	return page, nil
}

// oktaMaxPagesLogs bounds the pages of one pull (a million pages of up to
// 1,000 events), so that a server that always answers a full page with a
// next link cannot loop jml forever. Polling (empty pages) does not count
// towards it: the caller decides when to stop polling.
const oktaMaxPagesLogs = 1_000_000

// splitArray splits a JSON array of objects into its elements, each
// compacted to one line, as sent otherwise (numbers and key order kept).
func splitArray(body []byte) ([]json.RawMessage, error) {
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return nil, nil
	}
	var items []json.RawMessage
	if err := json.Unmarshal(body, &items); err != nil {
		return nil, fmt.Errorf("the response is not a JSON array of LogEvents: %v", err)
	}
	out := make([]json.RawMessage, 0, len(items))
	for i, it := range items {
		t := bytes.TrimSpace(it)
		if len(t) == 0 || t[0] != '{' {
			return nil, fmt.Errorf("element %d of the response is not a LogEvent object", i+1)
		}
		var b bytes.Buffer
		if err := json.Compact(&b, t); err != nil {
			return nil, err
		}
		out = append(out, b.Bytes())
	}
	return out, nil
}

// Pages returns how many pages Next has read.
func (p *LogPager) Pages() int { return p.pages }

// PollWait is how long a follower waits between polls of an empty page,
// as Okta's polling guidance asks (no more often than the rate limit
// allows; events take a few seconds to be persisted).
const PollWait = 10 * time.Second
