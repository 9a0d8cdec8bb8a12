package pull

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"time"

	"github.com/jml-dev/jml/pkg/clock"
	"github.com/jml-dev/jml/pkg/compile"
	"github.com/jml-dev/jml/pkg/connector"
	"github.com/jml-dev/jml/pkg/effect"
	"github.com/jml-dev/jml/pkg/engine"
)

// DefaultRetry is how a pull retries a failed page: five tries, 1s
// doubling, and a vendor's wait (Okta's X-Rate-Limit-Reset is at most a
// minute away) honoured up to two minutes.
var DefaultRetry = compile.RetryPolicy{Attempts: 5, Interval: time.Second, Backoff: 2, MaxInterval: 2 * time.Minute}

// Options configure a pull.
type Options struct {
	// Instance is the okta connector instance read.
	Instance *connector.Instance
	Query    connector.LogQuery
	// Clock waits between retries and polls (default: the real clock).
	Clock clock.Clock
	// Retry is the retry policy of one page (default DefaultRetry).
	Retry *compile.RetryPolicy
	// Follow keeps polling once the log is read: an empty page's next
	// link is the cursor of the next poll, asked for after PollInterval
	// (default connector.PollWait). A query with an until ends anyway.
	Follow       bool
	PollInterval time.Duration
	// Seen reports uuids already written (a resumed pull's last events):
	// they are dropped, as are uuids this pull already returned.
	Seen func(uuid string) bool
	// Progress, when set, hears each page read and each wait.
	Progress func(Progress)
}

// Progress is what a pull has done so far.
type Progress struct {
	Pages, Events, Duplicates int
	// Last is the published time of the last event returned.
	Last string
	// Wait, when not zero, is a wait starting now, and Why says why
	// ("rate limited …", "polling").
	Wait time.Duration
	Why  string
}

// Line is one event as the API sent it (one line, no newline), with its
// uuid and published time.
type Line struct {
	Raw       json.RawMessage
	UUID      string
	Published string
}

// Puller reads a query's events.
type Puller struct {
	opts  Options
	pager *connector.LogPager
	seen  map[string]struct{}
	prog  Progress
	done  bool
}

// New starts a pull.
func New(opts Options) (*Puller, error) {
	if opts.Clock == nil {
		opts.Clock = clock.Real{}
	}
	if opts.Retry == nil {
		r := DefaultRetry
		opts.Retry = &r
	}
	if opts.PollInterval <= 0 {
		opts.PollInterval = connector.PollWait
	}
	pg, err := connector.NewLogPager(opts.Instance, opts.Query)
	if err != nil {
		return nil, err
	}
	return &Puller{opts: opts, pager: pg, seen: map[string]struct{}{}}, nil
}

// Progress returns the counts so far.
func (p *Puller) Progress() Progress { return p.prog }

// Next returns the next events not seen before: at least one, or io.EOF
// when the log is read (without Follow: at a page without a next link, or
// at the first empty page). It retries a failed page by the engine's rule
// and returns the error that stops it.
func (p *Puller) Next(ctx context.Context) ([]Line, error) {
	for try := 1; ; {
		if p.done {
			return nil, io.EOF
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		page, err := p.pager.Next(ctx)
		if errors.Is(err, io.EOF) {
			p.done = true
			return nil, io.EOF
		}
		if err != nil {
			ee := effect.AsError(err)
			req := effect.Request{Instance: p.opts.Instance.Name, Type: "okta", Action: "listLogEvents", IdempotencyKey: "pull " + p.opts.Query.Since}
			wait, stop := engine.RetryWait(ctx, *p.opts.Retry, try, req, ee)
			if stop != nil {
				return nil, stop
			}
			p.report(wait, fmt.Sprintf("retrying (try %d of %d): %s", try+1, p.opts.Retry.Attempts, ee.Message))
			if err := p.opts.Clock.Sleep(ctx, wait); err != nil {
				return nil, err
			}
			try++
			continue
		}
		try = 1
		p.prog.Pages++
		var out []Line
		for _, raw := range page.Events {
			var head struct {
				UUID      any `json:"uuid"`
				Published any `json:"published"`
			}
			if err := json.Unmarshal(raw, &head); err != nil {
				return nil, fmt.Errorf("GET %s: a LogEvent is not JSON: %v", connector.LogsPath, err)
			}
			uuid, _ := head.UUID.(string)
			pub, _ := head.Published.(string)
			if uuid != "" {
				if _, dup := p.seen[uuid]; dup || (p.opts.Seen != nil && p.opts.Seen(uuid)) {
					p.prog.Duplicates++
					continue
				}
				p.seen[uuid] = struct{}{}
			}
			// An event without a uuid is kept: the decoder reports it
			// where it is read, with its line.
			out = append(out, Line{Raw: raw, UUID: uuid, Published: pub})
			p.prog.Events++
			if pub != "" {
				p.prog.Last = pub
			}
		}
		p.report(0, "")
		if len(out) > 0 {
			return out, nil
		}
		if !page.Next {
			p.done = true
			return nil, io.EOF
		}
		if len(page.Events) == 0 {
			if !p.opts.Follow {
				p.done = true
				return nil, io.EOF
			}
			// Okta's polling pattern: an empty page's next link is where
			// the next events will appear; ask again after a while.
			p.report(p.opts.PollInterval, "polling")
			if err := p.opts.Clock.Sleep(ctx, p.opts.PollInterval); err != nil {
				return nil, err
			}
		}
		// A page of duplicates only: read on.
	}
}

func (p *Puller) report(wait time.Duration, why string) {
	if p.opts.Progress == nil {
		return
	}
	pr := p.prog
	pr.Wait, pr.Why = wait, why
	p.opts.Progress(pr)
}

// Reader returns the events as NDJSON, read page by page as the reader
// is read: the okta: event source. ctx bounds the pull.
func (p *Puller) Reader(ctx context.Context) io.ReadCloser {
	ctx, cancel := context.WithCancel(ctx)
	return &reader{p: p, ctx: ctx, cancel: cancel}
}

type reader struct {
	p      *Puller
	ctx    context.Context
	cancel context.CancelFunc
	buf    []byte
	err    error
}

func (r *reader) Read(b []byte) (int, error) {
	for len(r.buf) == 0 {
		if r.err != nil {
			return 0, r.err
		}
		lines, err := r.p.Next(r.ctx)
		if err != nil {
			r.err = err
			continue
		}
		for _, l := range lines {
			r.buf = append(r.buf, l.Raw...)
			r.buf = append(r.buf, '\n')
		}
	}
	n := copy(b, r.buf)
	r.buf = r.buf[n:]
	return n, nil
}

func (r *reader) Close() error {
	r.cancel()
	return nil
}

// Source is a parsed okta:SINCE[..UNTIL] event source.
type Source struct {
	Since, Until string
}

// IsSource reports whether an EVENTS argument is an okta: source.
func IsSource(arg string) bool { return strings.HasPrefix(arg, "okta:") }

// ParseSource reads okta:SINCE[..UNTIL], both RFC 3339 timestamps.
func ParseSource(arg string) (Source, error) {
	rest, ok := strings.CutPrefix(arg, "okta:")
	if !ok {
		return Source{}, fmt.Errorf("event source %q: not okta:SINCE[..UNTIL]", arg)
	}
	since, until, _ := strings.Cut(rest, "..")
	s := Source{Since: since, Until: until}
	if since == "" {
		return s, fmt.Errorf("event source %q: want okta:SINCE[..UNTIL] with RFC 3339 times (okta:2026-11-01T00:00:00Z..2026-11-02T00:00:00Z)", arg)
	}
	if err := CheckTimes(since, until); err != nil {
		return s, fmt.Errorf("event source %q: %v", arg, err)
	}
	return s, nil
}

// CheckTimes checks since and until ("" for none) are RFC 3339 times, in
// order.
func CheckTimes(since, until string) error {
	var ts, tu time.Time
	var err error
	if since != "" {
		if ts, err = time.Parse(time.RFC3339Nano, since); err != nil {
			return fmt.Errorf("since %q is not an RFC 3339 time (2026-11-01T00:00:00Z)", since)
		}
	}
	if until != "" {
		if tu, err = time.Parse(time.RFC3339Nano, until); err != nil {
			return fmt.Errorf("until %q is not an RFC 3339 time (2026-11-02T00:00:00Z)", until)
		}
		if since != "" && !tu.After(ts) {
			return fmt.Errorf("until %s is not after since %s", until, since)
		}
	}
	return nil
}

var typeRE = regexp.MustCompile(`^[A-Za-z0-9_.-]+$`)

// Filter builds the query's filter from --filter and --type: each type an
// `eventType eq "T"`, ORed, ANDed with the filter.
func Filter(filter string, types []string) (string, error) {
	var ors []string
	for _, t := range types {
		t = strings.TrimSpace(t)
		if !typeRE.MatchString(t) {
			return "", fmt.Errorf("--type %q is not an event type (user.lifecycle.deactivate)", t)
		}
		ors = append(ors, fmt.Sprintf("eventType eq %q", t))
	}
	filter = strings.TrimSpace(filter)
	switch {
	case len(ors) == 0:
		return filter, nil
	case filter == "" && len(ors) == 1:
		return ors[0], nil
	case filter == "":
		return strings.Join(ors, " or "), nil
	case len(ors) == 1:
		return "(" + filter + ") and " + ors[0], nil
	}
	return "(" + filter + ") and (" + strings.Join(ors, " or ") + ")", nil
}
