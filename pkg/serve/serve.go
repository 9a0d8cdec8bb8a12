package serve

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/jml-dev/jml/pkg/apply"
	"github.com/jml-dev/jml/pkg/clock"
	"github.com/jml-dev/jml/pkg/compile"
	"github.com/jml-dev/jml/pkg/engine"
	"github.com/jml-dev/jml/pkg/event"
	"github.com/jml-dev/jml/pkg/history"
	"github.com/jml-dev/jml/pkg/plan"
	"github.com/jml-dev/jml/pkg/replay"
)

// Defaults of the serve: section of jml.yaml.
const (
	DefaultPath         = compile.DefaultHookPath
	DefaultAuthHeader   = "Authorization"
	DefaultMaxBodyBytes = 1 << 20
	DefaultWorkers      = 4
	// Window is the hourly guardrail's sliding window.
	Window = time.Hour
	// VerificationHeader is the header of Okta's one-time verification
	// request; the answer is {"verification": its value}.
	VerificationHeader = "X-Okta-Verification-Challenge"
)

// Options configure a Server.
type Options struct {
	Store *history.Store
	Graph *compile.Graph
	// Engine runs the flows in apply mode, journaling through Recorder
	// (the CLI sets both up as jml apply does).
	Engine   *engine.Engine
	Recorder *history.Recorder
	// Digest and Files are the repository's (plan.Digest), for the
	// guardrail's simulation.
	Digest string
	Files  map[string]string
	Clock  clock.Clock
	Log    *slog.Logger
	// Path is the event hook's path; AuthHeader and AuthSecret the header
	// Okta sends and its value.
	Path, AuthHeader, AuthSecret string
	MaxBodyBytes                 int64
	Workers                      int
	// MaxPerHour is the hourly guardrail's limit.
	MaxPerHour int
	// Metrics, when set, is told about deliveries and runs.
	Metrics *Metrics
	// Rescan is how often the queue is read again without a delivery
	// (events approved by another process); 0 means 5s.
	Rescan time.Duration
	// RunContext is the context http: flow runs go on in (the server's,
	// not the caller's); nil means context.Background().
	RunContext context.Context
	// Start, when set, is given each queued event instead of running its
	// flows here (jml serve --temporal: it starts the event's workflows);
	// its answer is the event's outcome. An error leaves the event queued
	// for the next pass. A start that finds the event's workflows already
	// started must answer as if it had started them.
	Start func(ctx context.Context, ev *event.Event) (outcome string, err error)
}

// Server receives deliveries and applies the queued events.
type Server struct {
	o      Options
	secret [32]byte
	wake   chan struct{}

	mu       sync.Mutex
	busy     map[string]bool // users with an event running
	inflight map[string]bool // event uuids running
	running  sync.WaitGroup
	sem      chan struct{}
	fatal    chan error
	// lastTick is the last minute the schedule fired up to.
	lastTick time.Time
	// flows are the http: trigger flows by path.
	flows map[string]*compile.Flow
}

// New returns a server; Run starts its workers, Handler its endpoints. It
// fails when http: flows' paths clash.
func New(o Options) (*Server, error) {
	if o.Path == "" {
		o.Path = DefaultPath
	}
	if o.AuthHeader == "" {
		o.AuthHeader = DefaultAuthHeader
	}
	if o.MaxBodyBytes <= 0 {
		o.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if o.Workers <= 0 {
		o.Workers = DefaultWorkers
	}
	if o.Clock == nil {
		o.Clock = clock.Real{}
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Rescan <= 0 {
		o.Rescan = 5 * time.Second
	}
	s := &Server{o: o, secret: sha256.Sum256([]byte(o.AuthSecret)), wake: make(chan struct{}, 1),
		busy: map[string]bool{}, inflight: map[string]bool{}, sem: make(chan struct{}, o.Workers), fatal: make(chan error, 1)}
	if o.Graph != nil {
		flows, err := httpFlows(o.Graph, o.Path)
		if err != nil {
			return nil, err
		}
		s.flows = flows
	}
	return s, nil
}

// Fatal reports the history failing under the journal: the recorder then
// refuses every call (it never calls unrecorded), so serve must stop —
// its events stay queued, and the next start takes them up.
func (s *Server) Fatal() <-chan error { return s.fatal }

// Path is the event hook's path.
func (s *Server) Path() string { return s.o.Path }

// authorized compares the header with the secret in constant time (of
// their hashes: the length of the secret does not show either).
func (s *Server) authorized(r *http.Request) bool {
	got := sha256.Sum256([]byte(r.Header.Get(s.o.AuthHeader)))
	return s.o.AuthSecret != "" && subtle.ConstantTimeCompare(got[:], s.secret[:]) == 1
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}

// ServeHook is the event hook endpoint: GET answers Okta's one-time
// verification, POST takes a delivery. Both need the secret, checked
// before the body is read.
func (s *Server) ServeHook(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	result := s.serveHook(w, r)
	s.o.Metrics.delivery(result, time.Since(start))
}

func (s *Server) serveHook(w http.ResponseWriter, r *http.Request) string {
	if r.Method != http.MethodGet && r.Method != http.MethodPost {
		w.Header().Set("Allow", "GET, POST")
		writeError(w, http.StatusMethodNotAllowed, "use POST for deliveries, GET for the verification")
		return "bad_method"
	}
	if !s.authorized(r) {
		s.o.Log.Warn("delivery refused: wrong or missing authorization", "header", s.o.AuthHeader, "remote", r.RemoteAddr)
		writeError(w, http.StatusUnauthorized, "wrong or missing "+s.o.AuthHeader+" header")
		return "unauthorized"
	}
	if r.Method == http.MethodGet {
		c := r.Header.Get(VerificationHeader)
		if c == "" {
			writeError(w, http.StatusBadRequest, "a GET is Okta's one-time verification: the "+VerificationHeader+" header is missing")
			return "bad_request"
		}
		s.o.Log.Info("event hook verified")
		writeJSON(w, http.StatusOK, map[string]string{"verification": c})
		return "verified"
	}
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.o.MaxBodyBytes))
	if err != nil {
		if mb := (*http.MaxBytesError)(nil); errors.As(err, &mb) {
			writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("the delivery is larger than %d bytes (serve.maxBodyBytes)", s.o.MaxBodyBytes))
			return "too_large"
		}
		writeError(w, http.StatusBadRequest, "reading the delivery: "+err.Error())
		return "bad_request"
	}
	items, err := Items(data)
	if err != nil {
		s.o.Log.Warn("delivery refused: bad envelope", "error", err.Error())
		writeError(w, http.StatusBadRequest, err.Error())
		return "bad_request"
	}
	added, err := s.o.Store.Enqueue(r.Context(), items, s.o.Clock.Now())
	if err != nil {
		// Not acknowledged: Okta delivers it again.
		s.o.Log.Error("delivery not queued", "error", err.Error())
		writeError(w, http.StatusServiceUnavailable, "the queue could not store the delivery; retry")
		return "error"
	}
	s.o.Metrics.received(added, len(items)-added)
	s.o.Log.Info("delivery queued", "events", len(items), "new", added, "oktaRequestId", r.Header.Get("X-Okta-Request-Id"))
	s.Kick()
	writeJSON(w, http.StatusOK, map[string]int{"queued": added, "duplicates": len(items) - added})
	return "ok"
}

// Items decodes a delivery (an Okta Event Hook envelope, or LogEvents as
// the EVENTS files hold them) into queue items.
func Items(data []byte) ([]history.QueueItem, error) {
	st, err := event.Decode(bytes.NewReader(data), "delivery", event.Options{})
	if err != nil {
		return nil, err
	}
	defer st.Close()
	var items []history.QueueItem
	for {
		ev, err := st.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		raw, err := json.Marshal(ev.Raw)
		if err != nil {
			return nil, err
		}
		items = append(items, history.QueueItem{UUID: ev.UUID, EventType: ev.EventType, Published: ev.Published,
			UserKey: apply.UserKey(ev), EventJSON: string(raw)})
	}
	return items, nil
}

// Kick wakes the workers: there may be work.
func (s *Server) Kick() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Run applies queued events until ctx is done — those queued before it
// started first (a restart resumes them, as jml resume would) — then waits
// for the runs in flight to end (runCtx ends them early: they stop between
// cards and stay queued for the next start).
func (s *Server) Run(ctx, runCtx context.Context) {
	for {
		if err := s.Dispatch(runCtx); err != nil && ctx.Err() == nil {
			s.o.Log.Error("reading the queue", "error", err.Error())
		}
		t := time.NewTimer(s.o.Rescan)
		select {
		case <-ctx.Done():
			t.Stop()
			s.running.Wait()
			return
		case <-s.wake:
		case <-t.C:
		}
		t.Stop()
	}
}

// Wait waits for the runs started by Dispatch to end.
func (s *Server) Wait() { s.running.Wait() }

// Dispatch starts the queued events that can start now: at most Workers at
// once, one at a time per user (in published order), each past the hourly
// guardrail or held by it. It does not wait for them (Wait does).
func (s *Server) Dispatch(ctx context.Context) error {
	// The queue is read under the lock that a finishing run takes after
	// marking its event done: an event read as queued is either still
	// in flight here, or not run yet — never taken twice.
	s.mu.Lock()
	defer s.mu.Unlock()
	items, err := s.o.Store.Queue(ctx, history.QueueFilter{Status: history.QueueQueued, Limit: 10_000})
	if err != nil {
		return err
	}
	// A user's events wait behind a held one: approved later, an old
	// deactivation must not land after that person's newer events.
	held, err := s.o.Store.Queue(ctx, history.QueueFilter{Status: history.QueueHeld})
	if err != nil {
		return err
	}
	blocked := map[string]bool{}
	for _, h := range held {
		blocked[h.UserKey] = true
	}
	for _, it := range items {
		if s.inflight[it.UUID] {
			continue
		}
		if s.busy[it.UserKey] || blocked[it.UserKey] {
			blocked[it.UserKey] = true // later events of the user wait for it
			continue
		}
		if len(s.sem) == cap(s.sem) {
			break
		}
		ev, err := decodeOne(it.EventJSON)
		if err != nil {
			s.o.Log.Error("queued event unreadable", "uuid", it.UUID, "error", err.Error())
			s.o.Store.Finish(ctx, it.UUID, "unreadable: "+err.Error(), s.o.Clock.Now())
			continue
		}
		if it.AdmittedAt.IsZero() {
			held, err := s.admit(ctx, it, ev)
			if err != nil {
				return err
			}
			if held {
				blocked[it.UserKey] = true
				continue
			}
		}
		s.busy[it.UserKey], s.inflight[it.UUID] = true, true
		s.sem <- struct{}{}
		s.running.Add(1)
		go s.apply(ctx, it, ev)
	}
	return nil
}

// admit is the hourly guardrail: it counts the people ev would
// deprovision with those of the events admitted in the last hour, and
// holds ev when that is above the limit and ev adds someone (unless a
// human approved it). Admitted, ev's people count from now on.
func (s *Server) admit(ctx context.Context, it *history.QueueItem, ev *event.Event) (held bool, err error) {
	now := s.o.Clock.Now()
	p, err := replay.Simulate(ctx, s.o.Graph, s.o.Digest, s.o.Files, []*event.Event{ev}, nil, "")
	if err != nil {
		return false, err
	}
	own := p.Summary.BlastRadius
	if own == nil {
		own = plan.NewBlastRadius(s.o.MaxPerHour)
	}
	people := own.People()
	if own.Users > 0 && !it.Approved {
		window, err := s.Window(ctx, now)
		if err != nil {
			return false, err
		}
		before := window.Users
		window.AddPeople(people)
		if window.Users > before && window.Users > s.o.MaxPerHour {
			why := fmt.Sprintf("guardrail maxDeprovisionsPerHour: %d distinct people deprovisioned in the last hour with this event, more than the limit of %d; approve with jml serve approve %s", window.Users, s.o.MaxPerHour, it.UUID)
			if err := s.o.Store.Hold(ctx, it.UUID, why, now); err != nil {
				return false, err
			}
			s.o.Log.Warn("event held by the hourly guardrail", "uuid", it.UUID, "people", window.Users, "limit", s.o.MaxPerHour)
			s.o.Metrics.held()
			return true, nil
		}
	}
	b, _ := json.Marshal(people)
	if own.Users == 0 {
		b = nil
	}
	return false, s.o.Store.Admit(ctx, it.UUID, string(b), now)
}

// Window is the hourly guardrail's count: the people deprovisioned by the
// events admitted in the hour up to now.
func (s *Server) Window(ctx context.Context, now time.Time) (*plan.BlastRadius, error) {
	rows, err := s.o.Store.PeopleSince(ctx, now.Add(-Window))
	if err != nil {
		return nil, err
	}
	b := plan.NewBlastRadius(s.o.MaxPerHour)
	for _, r := range rows {
		var p map[string][]string
		if json.Unmarshal([]byte(r), &p) == nil {
			b.AddPeople(p)
		}
	}
	return b, nil
}

// apply runs one event's flows as jml apply does, then marks it done. An
// event whose runs were cut short (shutdown) or could not be decided (the
// history failed) stays queued: the next pass, or the next start, goes on
// with it, converging by run id.
func (s *Server) apply(ctx context.Context, it *history.QueueItem, ev *event.Event) {
	defer func() {
		s.mu.Lock()
		delete(s.busy, it.UserKey)
		delete(s.inflight, it.UUID)
		<-s.sem
		s.mu.Unlock()
		s.running.Done()
		s.Kick()
	}()
	if s.o.Start != nil {
		s.start(ctx, it, ev)
		return
	}
	var res apply.Result
	apply.Run(ctx, s.o.Engine, []*event.Event{ev}, apply.Options{Parallelism: 1, Decide: apply.Converge(s.o.Store, s.o.Recorder, false)},
		func(r apply.Result) { res = r })
	defer s.o.Recorder.Forget(it.UUID)
	if err := s.o.Recorder.Err(); err != nil {
		s.o.Log.Error("event left queued: the history failed", "uuid", it.UUID, "error", err.Error())
		select {
		case s.fatal <- err:
		default:
		}
		return
	}
	if ctx.Err() != nil {
		s.o.Log.Info("event left queued: stopping", "uuid", it.UUID)
		return
	}
	if res.Err != nil {
		s.o.Log.Error("event left queued", "uuid", it.UUID, "error", res.Err.Error())
		return
	}
	for _, r := range res.Runs {
		s.o.Metrics.run(r)
		s.o.Log.Info("run finished", "uuid", it.UUID, "flow", r.Flow, "run", r.ID, "status", string(r.Status))
	}
	if err := s.o.Store.Finish(context.WithoutCancel(ctx), it.UUID, Outcome(res), s.o.Clock.Now()); err != nil {
		s.o.Log.Error("event not marked done", "uuid", it.UUID, "error", err.Error())
	}
}

// start hands the event to Options.Start, then marks it done with the
// outcome; an event whose start failed stays queued.
func (s *Server) start(ctx context.Context, it *history.QueueItem, ev *event.Event) {
	outcome, err := s.o.Start(ctx, ev)
	s.o.Metrics.started(err == nil)
	if err != nil {
		if ctx.Err() != nil {
			s.o.Log.Info("event left queued: stopping", "uuid", it.UUID)
		} else {
			s.o.Log.Error("event left queued: its workflows did not start", "uuid", it.UUID, "error", err.Error())
		}
		return
	}
	s.o.Log.Info("workflows started", "uuid", it.UUID, "outcome", outcome)
	if err := s.o.Store.Finish(context.WithoutCancel(ctx), it.UUID, outcome, s.o.Clock.Now()); err != nil {
		s.o.Log.Error("event not marked done", "uuid", it.UUID, "error", err.Error())
	}
}

// Outcome says how an event's runs ended: "leaver success, mover filtered",
// "no flow", or the flows an earlier apply finished.
func Outcome(r apply.Result) string {
	var parts []string
	for _, run := range r.Runs {
		parts = append(parts, run.Flow+" "+string(run.Status)+" ("+run.ID+")")
	}
	for _, d := range r.Done {
		parts = append(parts, d.Flow+" already "+d.Status+" ("+d.RunID+")")
	}
	if len(parts) == 0 {
		return "no flow takes it"
	}
	sort.Strings(parts)
	return strings.Join(parts, ", ")
}

func decodeOne(raw string) (*event.Event, error) {
	st, err := event.Decode(strings.NewReader(raw), "queue", event.Options{})
	if err != nil {
		return nil, err
	}
	defer st.Close()
	return st.Next()
}
