package pull

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jml-dev/jml/pkg/clock"
	"github.com/jml-dev/jml/pkg/connector"
	"github.com/jml-dev/jml/pkg/event"
)

// fakeLog is an httptest fake of Okta's System Log API: events in
// published order, limit and an opaque after cursor, a next link while
// events remain and always on a polling query (no until), 400 for a
// filter it cannot read. hook, when set, may answer a request itself.
type fakeLog struct {
	t      *testing.T
	srv    *httptest.Server
	mu     sync.Mutex
	events []string
	reqs   []url.Values
	hook   func(n int, w http.ResponseWriter, r *http.Request) bool
}

func newFakeLog(t *testing.T, n int) *fakeLog {
	f := &fakeLog{t: t}
	for i := 0; i < n; i++ {
		f.add(i)
	}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func evLine(i int) string {
	return fmt.Sprintf(`{"uuid":"u-%03d","published":"2026-11-01T00:%02d:00.000Z","eventType":"user.lifecycle.deactivate","target":[{"id":"00u%03d","type":"User"}]}`, i, i, i)
}

func (f *fakeLog) add(i int) {
	f.mu.Lock()
	f.events = append(f.events, evLine(i))
	f.mu.Unlock()
}

func (f *fakeLog) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	n := len(f.reqs)
	f.reqs = append(f.reqs, r.URL.Query())
	events := append([]string(nil), f.events...)
	f.mu.Unlock()
	if r.URL.Path != "/api/v1/logs" || r.Header.Get("Authorization") != "SSWS tok" {
		f.t.Errorf("request %d: %s %s (auth %q)", n, r.Method, r.URL.Path, r.Header.Get("Authorization"))
	}
	if f.hook != nil && f.hook(n, w, r) {
		return
	}
	q := r.URL.Query()
	if fl := q.Get("filter"); fl != "" && !strings.HasPrefix(fl, "eventType eq ") {
		w.WriteHeader(400)
		io.WriteString(w, `{"errorCode":"E0000031","errorSummary":"Invalid search criteria.","errorLink":"E0000031","errorId":"x","errorCauses":[]}`)
		return
	}
	if since := q.Get("since"); since != "" {
		ts, _ := time.Parse(time.RFC3339Nano, since)
		var kept []string
		for _, e := range events {
			var h struct{ Published time.Time }
			json.Unmarshal([]byte(e), &h)
			if !h.Published.Before(ts) {
				kept = append(kept, e)
			}
		}
		events = kept
	}
	limit, _ := strconv.Atoi(q.Get("limit"))
	after, _ := strconv.Atoi(q.Get("after"))
	end := min(after+limit, len(events))
	if after > end {
		after = end
	}
	if end < len(events) || q.Get("until") == "" {
		nq := url.Values{}
		for k, v := range q {
			nq[k] = v
		}
		nq.Set("after", strconv.Itoa(end))
		w.Header().Add("Link", "<"+f.srv.URL+"/api/v1/logs?"+q.Encode()+`>; rel="self"`)
		w.Header().Add("Link", "<"+f.srv.URL+"/api/v1/logs?"+nq.Encode()+`>; rel="next"`)
	}
	w.Header().Set("Content-Type", "application/json")
	io.WriteString(w, "["+strings.Join(events[after:end], ",\n ")+"]")
}

func (f *fakeLog) instance(clk clock.Clock) *connector.Instance {
	u, _ := url.Parse(f.srv.URL)
	return &connector.Instance{Name: "okta", Type: "okta", BaseURL: u, HTTP: f.srv.Client(), Auth: connector.SSWS{Token: "tok"},
		Timeout: 5 * time.Second, Limiter: connector.NewLimiter(0, 0, clk)}
}

var start = time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)

func pullAll(t *testing.T, opts Options) ([]Line, error) {
	t.Helper()
	p, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	var out []Line
	for {
		ls, err := p.Next(context.Background())
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(out, ls...)
	}
}

func TestPullPages(t *testing.T) {
	f := newFakeLog(t, 5)
	clk := clock.NewVirtual(start)
	lines, err := pullAll(t, Options{Instance: f.instance(clk), Clock: clk,
		Query: connector.LogQuery{Since: "2026-11-01T00:00:00Z", Limit: 2, Filter: `eventType eq "user.lifecycle.deactivate"`}})
	if err != nil {
		t.Fatal(err)
	}
	if len(lines) != 5 {
		t.Fatalf("got %d events, want 5", len(lines))
	}
	for i, l := range lines {
		// As sent, compacted to one line.
		if string(l.Raw) != evLine(i) {
			t.Errorf("event %d = %s, want %s", i, l.Raw, evLine(i))
		}
	}
	first := f.reqs[0]
	for k, want := range map[string]string{"since": "2026-11-01T00:00:00Z", "limit": "2", "sortOrder": "ASCENDING", "filter": `eventType eq "user.lifecycle.deactivate"`} {
		if got := first.Get(k); got != want {
			t.Errorf("first request %s = %q, want %q", k, got, want)
		}
	}
	// 3 pages of events, then the empty page of the polling query ends a
	// pull without --follow.
	if len(f.reqs) != 4 || f.reqs[3].Get("after") != "5" {
		t.Errorf("requests %v", f.reqs)
	}
}

// TestPullRateLimit: a 429 with Okta's X-Rate-Limit headers is waited out
// on the injected clock (no sleep) and the page asked again.
func TestPullRateLimit(t *testing.T) {
	f := newFakeLog(t, 3)
	clk := clock.NewVirtual(start)
	f.hook = func(n int, w http.ResponseWriter, r *http.Request) bool {
		if n != 1 {
			return false
		}
		w.Header().Set("X-Rate-Limit-Limit", "60")
		w.Header().Set("X-Rate-Limit-Remaining", "0")
		w.Header().Set("X-Rate-Limit-Reset", strconv.FormatInt(clk.Now().Add(40*time.Second).Unix(), 10))
		w.WriteHeader(http.StatusTooManyRequests)
		io.WriteString(w, `{"errorCode":"E0000047","errorSummary":"API call exceeded rate limit due to too many requests."}`)
		return true
	}
	var waits []Progress
	real := time.Now()
	lines, err := pullAll(t, Options{Instance: f.instance(clk), Clock: clk, Query: connector.LogQuery{Since: "2026-11-01T00:00:00Z", Until: "2026-11-02T00:00:00Z", Limit: 2},
		Progress: func(p Progress) {
			if p.Wait > 0 {
				waits = append(waits, p)
			}
		}})
	if err != nil {
		t.Fatal(err)
	}
	if len(lines) != 3 {
		t.Errorf("got %d events, want 3", len(lines))
	}
	if len(waits) != 1 || waits[0].Wait != 40*time.Second || !strings.Contains(waits[0].Why, "rate limit") {
		t.Errorf("waits %+v, want one of 40s for the rate limit", waits)
	}
	if got := clk.Now().Sub(start); got < 40*time.Second {
		t.Errorf("the clock moved %s, want at least the 40s reset", got)
	}
	if time.Since(real) > 10*time.Second {
		t.Errorf("the pull slept for real")
	}
	// The second page was asked twice, with the same cursor.
	if len(f.reqs) != 3 || f.reqs[1].Get("after") != f.reqs[2].Get("after") {
		t.Errorf("requests %v", f.reqs)
	}
}

// TestPullRateLimitTooLong: a reset further away than the policy waits
// fails, naming the wait.
func TestPullRateLimitTooLong(t *testing.T) {
	f := newFakeLog(t, 3)
	clk := clock.NewVirtual(start)
	f.hook = func(n int, w http.ResponseWriter, r *http.Request) bool {
		w.Header().Set("X-Rate-Limit-Remaining", "0")
		w.Header().Set("X-Rate-Limit-Reset", strconv.FormatInt(clk.Now().Add(time.Hour).Unix(), 10))
		w.WriteHeader(http.StatusTooManyRequests)
		return true
	}
	_, err := pullAll(t, Options{Instance: f.instance(clk), Clock: clk, Query: connector.LogQuery{Since: "2026-11-01T00:00:00Z"}})
	if err == nil || !strings.Contains(err.Error(), "asked to wait 1h0m0s") {
		t.Fatalf("err = %v, want the vendor's wait named", err)
	}
}

func TestPullRefusesOtherOrigin(t *testing.T) {
	f := newFakeLog(t, 3)
	f.hook = func(n int, w http.ResponseWriter, r *http.Request) bool {
		w.Header().Add("Link", `<https://evil.example/api/v1/logs?after=2>; rel="next"`)
		io.WriteString(w, "["+evLine(0)+"]")
		return true
	}
	lines, err := pullAll(t, Options{Instance: f.instance(nil), Query: connector.LogQuery{Since: "2026-11-01T00:00:00Z"}})
	if err == nil || !strings.Contains(err.Error(), "another origin (https://evil.example)") {
		t.Fatalf("err = %v, want the next link refused", err)
	}
	if len(lines) != 0 || len(f.reqs) != 1 {
		t.Errorf("lines %d, requests %d", len(lines), len(f.reqs))
	}
}

func TestPullBadFilter(t *testing.T) {
	f := newFakeLog(t, 3)
	_, err := pullAll(t, Options{Instance: f.instance(nil), Query: connector.LogQuery{Since: "2026-11-01T00:00:00Z", Filter: "bogus"}})
	if err == nil || err.Error() != "GET /api/v1/logs: Invalid search criteria. (status 400)" {
		t.Fatalf("err = %v", err)
	}
	if len(f.reqs) != 1 {
		t.Errorf("a 400 is not retried: %d requests", len(f.reqs))
	}
}

// TestPullResume: a pull interrupted after its first page leaves a valid
// file; a crash mid-write leaves a torn line; --append cuts it and resumes
// from the last published time without duplicates.
func TestPullResume(t *testing.T) {
	f := newFakeLog(t, 5)
	path := filepath.Join(t.TempDir(), "events.ndjson")
	ctx, cancel := context.WithCancel(context.Background())
	opts := Options{Instance: f.instance(nil), Query: connector.LogQuery{Since: "2026-11-01T00:00:00Z", Limit: 2},
		Progress: func(p Progress) {
			if p.Pages == 1 {
				cancel()
			}
		}}
	res, err := ToFile(ctx, opts, path, false)
	if !errors.Is(err, context.Canceled) || res.Events != 2 {
		t.Fatalf("interrupted pull: %v, %d events", err, res.Events)
	}
	if got := readUUIDs(t, path); strings.Join(got, ",") != "u-000,u-001" {
		t.Fatalf("after the interruption: %v", got)
	}
	// A crash in the middle of a write.
	fh, _ := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	fh.WriteString(`{"uuid":"u-002","publ`)
	fh.Close()

	f.reqs = nil
	opts.Progress = nil
	res, err = ToFile(context.Background(), opts, path, true)
	if err != nil {
		t.Fatal(err)
	}
	if res.Resumed == nil || res.Resumed.Last != "2026-11-01T00:01:00.000Z" || res.Resumed.Torn == 0 {
		t.Errorf("resumed from %+v", res.Resumed)
	}
	if got := f.reqs[0].Get("since"); got != "2026-11-01T00:01:00.000Z" {
		t.Errorf("resumed since %q", got)
	}
	if got := readUUIDs(t, path); strings.Join(got, ",") != "u-000,u-001,u-002,u-003,u-004" {
		t.Errorf("after --append: %v", got)
	}
	// Appending again adds nothing.
	res, err = ToFile(context.Background(), opts, path, true)
	if err != nil || res.Events != 0 {
		t.Errorf("second --append: %v, %d events", err, res.Events)
	}
}

// readUUIDs reads the uuids of a file line by line (duplicates kept),
// checking that the file decodes.
func readUUIDs(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, l := range strings.Split(strings.TrimSuffix(string(b), "\n"), "\n") {
		var h struct{ UUID string }
		if err := json.Unmarshal([]byte(l), &h); err != nil {
			t.Fatalf("%s: line %q: %v", path, l, err)
		}
		lines = append(lines, h.UUID)
	}
	s, err := event.Open([]string{path}, event.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var out []string
	for {
		ev, err := s.Next()
		if errors.Is(err, io.EOF) {
			if len(out) != len(lines) {
				t.Errorf("%s holds duplicates: %v", path, lines)
			}
			return lines
		}
		if err != nil {
			t.Fatalf("%s is not a valid events file: %v", path, err)
		}
		out = append(out, ev.UUID)
	}
}

// hookClock is a virtual clock that calls onSleep at each wait.
type hookClock struct {
	*clock.Virtual
	onSleep func(d time.Duration)
}

func (c hookClock) Sleep(ctx context.Context, d time.Duration) error {
	c.onSleep(d)
	return c.Virtual.Sleep(ctx, d)
}

// TestFollow: an empty page's next link is the cursor of the next poll,
// asked for after the poll interval on the clock.
func TestFollow(t *testing.T) {
	f := newFakeLog(t, 2)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sleeps := 0
	clk := hookClock{clock.NewVirtual(start), func(d time.Duration) {
		if d != 30*time.Second {
			t.Errorf("waited %s between polls, want 30s", d)
		}
		sleeps++
		switch sleeps {
		case 1:
			f.add(2) // a new event while polling
		case 3:
			cancel()
		}
	}}
	p, err := New(Options{Instance: f.instance(clk), Clock: clk, Follow: true, PollInterval: 30 * time.Second,
		Query: connector.LogQuery{Since: "2026-11-01T00:00:00Z", Limit: 10}})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for {
		ls, err := p.Next(ctx)
		if err != nil {
			if !errors.Is(err, context.Canceled) {
				t.Fatal(err)
			}
			break
		}
		for _, l := range ls {
			got = append(got, l.UUID)
		}
	}
	if strings.Join(got, ",") != "u-000,u-001,u-002" {
		t.Errorf("followed %v", got)
	}
	// Each poll asked the previous page's next link.
	if a := f.reqs[2].Get("after"); a != "2" {
		t.Errorf("the poll after the new event asked after=%s", a)
	}
}

// TestReader: the okta: source's stream decodes as NDJSON.
func TestReader(t *testing.T) {
	f := newFakeLog(t, 5)
	p, err := New(Options{Instance: f.instance(nil), Query: connector.LogQuery{Since: "2026-11-01T00:00:00Z", Limit: 2}})
	if err != nil {
		t.Fatal(err)
	}
	r := p.Reader(context.Background())
	defer r.Close()
	s, err := event.Decode(r, "okta:2026-11-01T00:00:00Z", event.Options{})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for {
		_, err := s.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		n++
	}
	if n != 5 {
		t.Errorf("decoded %d events, want 5", n)
	}
}

func TestFilter(t *testing.T) {
	cases := []struct {
		name, filter string
		types        []string
		want, err    string
	}{
		{name: "none"},
		{name: "filter only", filter: `eventType sw "user."`, want: `eventType sw "user."`},
		{name: "one type", types: []string{"user.lifecycle.deactivate"}, want: `eventType eq "user.lifecycle.deactivate"`},
		{name: "types ORed", types: []string{"a.b", "c.d"}, want: `eventType eq "a.b" or eventType eq "c.d"`},
		{name: "filter and types", filter: `outcome.result eq "SUCCESS"`, types: []string{"a.b", "c.d"},
			want: `(outcome.result eq "SUCCESS") and (eventType eq "a.b" or eventType eq "c.d")`},
		{name: "a quote in a type", types: []string{`a" or "1`}, err: "is not an event type"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := Filter(c.filter, c.types)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("err = %v, want %q", err, c.err)
				}
				return
			}
			if err != nil || got != c.want {
				t.Errorf("Filter = %q, %v; want %q", got, err, c.want)
			}
		})
	}
}

func TestParseSource(t *testing.T) {
	cases := []struct{ in, since, until, err string }{
		{in: "okta:2026-11-01T00:00:00Z", since: "2026-11-01T00:00:00Z"},
		{in: "okta:2026-11-01T00:00:00Z..2026-11-02T00:00:00.500Z", since: "2026-11-01T00:00:00Z", until: "2026-11-02T00:00:00.500Z"},
		{in: "okta:", err: "want okta:SINCE"},
		{in: "okta:yesterday", err: "not an RFC 3339 time"},
		{in: "okta:2026-11-02T00:00:00Z..2026-11-01T00:00:00Z", err: "is not after"},
	}
	for _, c := range cases {
		s, err := ParseSource(c.in)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%s: err = %v, want %q", c.in, err, c.err)
			}
			continue
		}
		if err != nil || s.Since != c.since || s.Until != c.until {
			t.Errorf("%s: %+v, %v", c.in, s, err)
		}
	}
}

func TestReadTail(t *testing.T) {
	dir := t.TempDir()
	var b bytes.Buffer
	// Enough events to take several chunks, the last three at one time.
	for i := 0; i < 3000; i++ {
		fmt.Fprintf(&b, `{"uuid":"a-%d","published":"2026-11-01T00:00:%02d.000Z","eventType":"x"}`+"\n", i, min(i/100, 59))
	}
	for i := 0; i < 3; i++ {
		fmt.Fprintf(&b, `{"uuid":"b-%d","published":"2026-11-01T01:00:00.000Z","eventType":"x"}`+"\n", i)
	}
	path := filepath.Join(dir, "e.ndjson")
	os.WriteFile(path, b.Bytes(), 0o644)
	tl, err := ReadTail(path)
	if err != nil {
		t.Fatal(err)
	}
	if tl.Last != "2026-11-01T01:00:00.000Z" || !tl.UUIDs["b-0"] || !tl.UUIDs["b-2"] || tl.UUIDs["a-10"] || tl.Torn != 0 || tl.Size != int64(b.Len()) {
		t.Errorf("tail %+v (%d uuids)", tl, len(tl.UUIDs))
	}
	missing, err := ReadTail(filepath.Join(dir, "none.ndjson"))
	if err != nil || missing.Last != "" {
		t.Errorf("missing file: %+v, %v", missing, err)
	}
}
