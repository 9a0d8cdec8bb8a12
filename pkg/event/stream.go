package event

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// hookEventType is the eventType of an Okta Event Hook delivery envelope.
const hookEventType = "com.okta.event_hook"

// maxSkipped caps the errors [Stream.Skipped] keeps; Stats.Skipped counts
// them all.
const maxSkipped = 100

// stdinName is how standard input is named in Source and errors.
const stdinName = "<stdin>"

// Options tune how events are read.
type Options struct {
	// KeepGoing skips bad lines and events (counted in Stats.Skipped,
	// the first of them kept by Skipped) instead of stopping at the first.
	// NDJSON goes on at the next line and an array at its next element;
	// only where the JSON structure itself breaks (a missing comma, an
	// unclosed string or bracket outside NDJSON) is the rest of that
	// source given up, as one skip.
	KeepGoing bool
	// Stdin is read for the source "-".
	Stdin io.Reader
	// WorkDir: relative paths are opened relative to it, and paths in
	// Source and in errors are shown relative to it when they are inside
	// it, and as given otherwise. Empty: the process's directory.
	WorkDir string
	// Want, when set, is asked about each LogEvent's eventType before the
	// event is decoded. An event it turns down is skimmed instead: its
	// bytes are checked as strictly as a full decode checks them (bad
	// input is the same error, at the same place), but only what a replay
	// reads of an event no flow takes is kept (see Event.Partial). Hook
	// deliveries, and events the skim is not sure of, are decoded in full.
	// A replay passes the event types its flows can take (SPEC §11).
	Want func(eventType string) bool
	// Remote opens a source with a scheme, "okta:SINCE[..UNTIL]" (see
	// IsRemote), as an NDJSON stream: the okta connector's System Log
	// pull. It is called when the source's turn comes, not by Open. Nil:
	// such a source is an error.
	Remote func(source string) (io.ReadCloser, error)
}

// IsRemote reports whether an EVENTS argument is a remote source
// (okta:SINCE[..UNTIL]) rather than a path.
func IsRemote(source string) bool { return strings.HasPrefix(source, "okta:") }

// Stats counts what a Stream has read so far.
type Stats struct {
	Read       int // distinct events returned
	Duplicates int // events dropped because their uuid was seen before
	Skipped    int // bad lines or events skipped (with Options.KeepGoing)
	// Partial counts the events of Read returned partial: Options.Want
	// turned them down and they were not decoded in full.
	Partial int
}

// Stream reads events from one or more sources, in order. It is not safe
// for concurrent use.
type Stream struct {
	opts    Options
	inputs  []input // sources not opened yet
	cur     *scanner
	curName string
	closer  io.Closer // the open file, if any
	queue   []item    // what the last value held: one event, or a hook delivery's
	seen    uuidSet   // the uuids returned, to drop duplicates
	stats   Stats
	skipped []*DecodeError
	err     error      // sticky: io.EOF, the first error, or errClosed
	skim    *skimState // with Options.Want, shared by the sources
}

type input struct {
	path   string    // the file to open; "" when r or remote is set
	remote bool      // opened by Options.Remote
	name   string    // shown in Source and errors
	r      io.Reader // standard input or Decode's reader
	mode   mode
}

type item struct {
	ev  *Event
	err *DecodeError
}

var errClosed = errors.New("event: Next on a closed Stream")

// Open returns a Stream over sources, read in the order given: files
// (.json, .ndjson, .jsonl; any other file is sniffed), directories (their
// .json, .ndjson and .jsonl files, recursively, sorted by path; hidden
// entries skipped) and "-" for opts.Stdin. It checks that every source
// exists, and lists directories, before any event is read; the error names
// the source.
func Open(sources []string, opts Options) (*Stream, error) {
	s := newStream(opts)
	stdin := false
	for _, src := range sources {
		if src == "-" {
			switch {
			case opts.Stdin == nil:
				return nil, errors.New("event source -: standard input is not available")
			case stdin:
				return nil, errors.New("event source -: standard input given more than once")
			}
			stdin = true
			s.inputs = append(s.inputs, input{name: stdinName, r: opts.Stdin, mode: modeAuto})
			continue
		}
		if src == "" {
			return nil, errors.New("event source: empty path")
		}
		if IsRemote(src) {
			if opts.Remote == nil {
				return nil, fmt.Errorf("event source %s: reading events from Okta is not available here", src)
			}
			s.inputs = append(s.inputs, input{name: src, remote: true, mode: modeLines})
			continue
		}
		// A relative path is relative to WorkDir (the process's directory
		// in the CLI; a test's directory in tests).
		if !filepath.IsAbs(src) && opts.WorkDir != "" {
			src = filepath.Join(opts.WorkDir, src)
		}
		name := opts.display(src)
		fi, err := os.Stat(src)
		if err != nil {
			return nil, fmt.Errorf("event source %s: %w", name, pathErr(err))
		}
		if !fi.IsDir() {
			s.inputs = append(s.inputs, input{path: src, name: name, mode: modeFor(src)})
			continue
		}
		files, err := listDir(src)
		if err != nil {
			return nil, fmt.Errorf("event source %s: %w", name, err)
		}
		for _, f := range files {
			s.inputs = append(s.inputs, input{path: f, name: opts.display(f), mode: modeFor(f)})
		}
	}
	return s, nil
}

// Decode returns a Stream over one source read from r, shown as name in
// Source and errors (as given, not made relative). When name ends in
// .ndjson or .jsonl, r is read as NDJSON; otherwise the format is sniffed:
// a JSON array, or a single value (LogEvent or hook delivery), or one
// value a line when the first value starts and ends on one line. The
// Stream does not close r.
func Decode(r io.Reader, name string, opts Options) (*Stream, error) {
	if r == nil {
		return nil, errors.New("event: Decode of a nil reader")
	}
	if name == "" {
		name = "<input>"
	}
	s := newStream(opts)
	s.inputs = []input{{name: name, r: r, mode: modeFor(name)}}
	return s, nil
}

func newStream(opts Options) *Stream {
	return &Stream{opts: opts}
}

// modeFor chooses the scanner mode from a file name.
func modeFor(name string) mode {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".ndjson", ".jsonl":
		return modeLines
	}
	return modeAuto
}

func isEventFile(name string) bool {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".json", ".ndjson", ".jsonl":
		return true
	}
	return false
}

// listDir lists the event files under root, sorted by path.
func listDir(root string) ([]string, error) {
	var files []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if path != root && strings.HasPrefix(d.Name(), ".") {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.IsDir() || !isEventFile(d.Name()) {
			return nil
		}
		if d.Type()&fs.ModeSymlink != 0 {
			// Follow a link to a file, not to a directory (no cycles).
			fi, err := os.Stat(path)
			if err != nil || !fi.Mode().IsRegular() {
				return nil
			}
		} else if !d.Type().IsRegular() {
			return nil
		}
		files = append(files, path)
		return nil
	})
	if err != nil {
		return nil, pathErr(err)
	}
	slices.SortFunc(files, func(a, b string) int {
		return strings.Compare(filepath.ToSlash(a), filepath.ToSlash(b))
	})
	return files, nil
}

// pathErr drops the operation and path from an *fs.PathError, which the
// caller names itself.
func pathErr(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// display shows path relative to WorkDir when it is inside it.
func (o Options) display(path string) string {
	if o.WorkDir == "" {
		return path
	}
	wd, err := filepath.Abs(o.WorkDir)
	if err != nil {
		return path
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return path
	}
	rel, err := filepath.Rel(wd, abs)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return path
	}
	return rel
}

// Next returns the next event. It returns io.EOF when every source is
// read, a *DecodeError for bad input (unless Options.KeepGoing), or an
// error opening or reading a source. After an error, Next keeps returning
// it.
func (s *Stream) Next() (*Event, error) {
	for {
		if s.err != nil {
			return nil, s.err
		}
		if len(s.queue) > 0 {
			it := s.queue[0]
			s.queue[0] = item{}
			s.queue = s.queue[1:]
			if it.err != nil {
				if err := s.bad(it.err); err != nil {
					return nil, err
				}
				continue
			}
			if s.seen.add(it.ev.UUID) {
				s.stats.Duplicates++
				continue
			}
			s.stats.Read++
			if it.ev.Partial {
				s.stats.Partial++
			}
			return it.ev, nil
		}
		if s.cur == nil {
			if len(s.inputs) == 0 {
				s.err = io.EOF
				continue
			}
			if err := s.openNext(); err != nil {
				s.err = err
				continue
			}
		}
		v, err := s.cur.next()
		var de *DecodeError
		switch {
		case err == nil:
			s.queue = s.expand(v)
		case err == io.EOF:
			s.closeCur()
		case errors.As(err, &de):
			if err := s.bad(de); err != nil {
				return nil, err
			}
		default:
			s.closeCur()
			s.err = err
		}
	}
}

// bad records bad input: skipped with KeepGoing, else the end of the Stream.
func (s *Stream) bad(de *DecodeError) error {
	if !s.opts.KeepGoing {
		s.closeCur()
		s.queue = nil
		s.err = de
		return de
	}
	s.stats.Skipped++
	if len(s.skipped) < maxSkipped {
		s.skipped = append(s.skipped, de)
	}
	return nil
}

func (s *Stream) openNext() error {
	in := s.inputs[0]
	s.inputs = s.inputs[1:]
	r := in.r
	if in.remote {
		rc, err := s.opts.Remote(in.name)
		if err != nil {
			return fmt.Errorf("event source %s: %w", in.name, err)
		}
		s.closer = rc
		r = rc
	} else if in.path != "" {
		f, err := os.Open(in.path)
		if err != nil {
			return fmt.Errorf("event source %s: %w", in.name, pathErr(err))
		}
		s.closer = f
		r = f
	}
	s.cur = newScanner(r, in.name, in.mode)
	if s.opts.Want != nil {
		if s.skim == nil {
			s.skim = newSkimState(s.opts.Want)
		}
		s.cur.skim = s.skim
	}
	s.curName = in.name
	return nil
}

func (s *Stream) closeCur() error {
	s.cur = nil
	if s.closer == nil {
		return nil
	}
	err := s.closer.Close()
	s.closer = nil
	return err
}

// Stats returns the counts so far.
func (s *Stream) Stats() Stats { return s.stats }

// Skipped returns the bad input skipped with Options.KeepGoing, the first
// 100 of Stats.Skipped.
func (s *Stream) Skipped() []*DecodeError { return slices.Clone(s.skipped) }

// Close closes the file being read, if any; Next then fails. Close does
// not close Options.Stdin or Decode's reader.
func (s *Stream) Close() error {
	err := s.closeCur()
	s.inputs, s.queue = nil, nil
	s.err = errClosed
	return err
}

// expand turns one decoded top-level value or array element into events
// (several for a hook delivery) and errors.
func (s *Stream) expand(v value) []item {
	// A .json file's first value (usually its only one) is the file
	// itself; so is a multi-line document's on standard input. Everything
	// else is named by its line.
	src := s.curName + ":" + strconv.Itoa(v.line)
	if v.top && v.first && (v.mode == modeDoc || strings.EqualFold(filepath.Ext(s.curName), ".json")) {
		src = s.curName
	}
	col := v.col
	if v.mode == modeLines && v.top {
		col = 0 // the line is the event
	}
	fail := func(format string, args ...any) []item {
		return []item{{err: &DecodeError{File: s.curName, Line: v.line, Column: col, Msg: fmt.Sprintf(format, args...)}}}
	}
	if v.sk != nil {
		return []item{{ev: v.sk.event(src)}}
	}
	keys := 0
	x, err := convertNumbers(v.v, &keys)
	if err != nil {
		return fail("%s", err)
	}
	if keys != v.members {
		// Rare: only now is the value read again, to say where.
		line, col, msg := duplicateKey(v)
		return []item{{err: &DecodeError{File: s.curName, Line: line, Column: col, Msg: msg}}}
	}
	obj, ok := x.(map[string]any)
	if !ok {
		return fail("expected a LogEvent object, found %s", jsonKind(x))
	}
	if obj["eventType"] == hookEventType {
		return expandHook(obj, src, func(format string, args ...any) item { return fail(format, args...)[0] })
	}
	ev, msg := newEvent(obj, src)
	if msg != "" {
		return fail("%s", msg)
	}
	return []item{{ev: ev}}
}

// expandHook returns the events of an Okta Event Hook delivery in
// published order (stable; events without a valid published last), after
// the errors for its bad events.
func expandHook(obj map[string]any, src string, fail func(string, ...any) item) []item {
	data, _ := obj["data"].(map[string]any)
	list, ok := data["events"].([]any)
	if !ok {
		return []item{fail("event hook delivery (eventType %q) without a data.events array", hookEventType)}
	}
	type timed struct {
		ev *Event
		t  time.Time
		ok bool
	}
	var items []item
	var evs []timed
	for i, e := range list {
		m, ok := e.(map[string]any)
		if !ok {
			items = append(items, fail("event hook delivery, event %d: expected a LogEvent object, found %s", i+1, jsonKind(e)))
			continue
		}
		if m["eventType"] == hookEventType {
			items = append(items, fail("event hook delivery, event %d: a hook delivery inside a hook delivery", i+1))
			continue
		}
		ev, msg := newEvent(m, fmt.Sprintf("%s (event %d)", src, i+1))
		if msg != "" {
			items = append(items, fail("event hook delivery, event %d: %s", i+1, msg))
			continue
		}
		t, ok := ev.PublishedTime()
		evs = append(evs, timed{ev, t, ok})
	}
	slices.SortStableFunc(evs, func(a, b timed) int {
		switch {
		case a.ok && b.ok:
			return a.t.Compare(b.t)
		case a.ok:
			return -1
		case b.ok:
			return 1
		}
		return 0
	})
	for _, e := range evs {
		items = append(items, item{ev: e.ev})
	}
	return items
}

// newEvent checks a LogEvent object; it returns a message when it is not one.
func newEvent(m map[string]any, src string) (*Event, string) {
	uuid, msg := requiredString(m, "uuid")
	if msg != "" {
		return nil, msg
	}
	typ, msg := requiredString(m, "eventType")
	if msg != "" {
		return nil, msg
	}
	pub, _ := m["published"].(string)
	return &Event{UUID: uuid, EventType: typ, Published: pub, Raw: m, Source: src}, ""
}

func requiredString(m map[string]any, key string) (string, string) {
	v, ok := m[key]
	if !ok {
		return "", fmt.Sprintf("LogEvent without %q", key)
	}
	s, ok := v.(string)
	if !ok {
		return "", fmt.Sprintf("LogEvent %q is %s, want a non-empty string", key, jsonKind(v))
	}
	if strings.TrimSpace(s) == "" {
		return "", fmt.Sprintf("LogEvent %q is empty", key)
	}
	return s, ""
}

// convertNumbers replaces, in place, every json.Number with an int64 when
// it is written as an integer that fits, else a float64. It adds the
// number of keys of every object to *keys.
func convertNumbers(v any, keys *int) (any, error) {
	switch x := v.(type) {
	case json.Number:
		if i, err := strconv.ParseInt(string(x), 10, 64); err == nil {
			return i, nil
		}
		f, err := strconv.ParseFloat(string(x), 64)
		if err != nil {
			n := string(x)
			if len(n) > 40 {
				n = n[:37] + "..."
			}
			return nil, fmt.Errorf("number %s is out of range", n)
		}
		return f, nil
	case map[string]any:
		*keys += len(x)
		for k, e := range x {
			c, err := convertNumbers(e, keys)
			if err != nil {
				return nil, err
			}
			if _, num := e.(json.Number); num {
				x[k] = c // only numbers change: do not rehash every key
			}
		}
	case []any:
		for i, e := range x {
			c, err := convertNumbers(e, keys)
			if err != nil {
				return nil, err
			}
			x[i] = c
		}
	}
	return v, nil
}

// jsonKind names the JSON type of a decoded value for messages.
func jsonKind(v any) string {
	switch v.(type) {
	case map[string]any:
		return "an object"
	case []any:
		return "an array"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case nil:
		return "null"
	case json.Number, int64, float64:
		return "a number"
	}
	return fmt.Sprintf("%T", v)
}
