package sandbox

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jml-dev/jml/pkg/catalog"
	"github.com/jml-dev/jml/pkg/diag"
	"github.com/jml-dev/jml/pkg/effect"
	"github.com/jml-dev/jml/pkg/world"
)

// MaxBody bounds a request body the sandbox reads.
const MaxBody = 1 << 20

// MaxWorldOutput is the default bound of GET /_world's answer.
const MaxWorldOutput = 16 << 20

// Options configure a Server.
type Options struct {
	// Latency delays every vendor call (not /_world).
	Latency time.Duration
	// MaxWorldOutput bounds GET /_world (default MaxWorldOutput).
	MaxWorldOutput int
	// Logs are the events okta instances serve at GET /api/v1/logs (the
	// --seed events, each a LogEvent as decoded).
	Logs []map[string]any
}

// Server is the sandbox HTTP handler.
type Server struct {
	mu       sync.Mutex
	world    *world.World
	seeded   *world.World
	types    map[string]string
	handlers map[string]http.Handler
	// gates check an instance's API requests before its routes
	// (Instance.Gate); written only by New.
	gates    map[string]func(http.ResponseWriter, *http.Request) bool
	latency  time.Duration
	maxWorld int
	// smtpURLs are the SMTP listeners of email instances (StartSMTP).
	smtpURLs map[string]string
	// performed counts the actions the served world performed
	// ("slack.deactivateUser"), since the start or the last reset; changed
	// is closed and replaced whenever a count grows (GET /_world/performed).
	performed map[string]int
	changed   chan struct{}
	// logs are Options.Logs in published order.
	logs []logEvent
}

// New serves w for the given instances. The state at this moment is what
// POST /_world/reset returns to.
func New(instances []world.Instance, w *world.World, opts Options) *Server {
	s := &Server{world: w, seeded: w.Clone(), types: map[string]string{}, handlers: map[string]http.Handler{}, latency: opts.Latency,
		maxWorld: opts.MaxWorldOutput, logs: newLogs(opts.Logs)}
	if s.maxWorld <= 0 {
		s.maxWorld = MaxWorldOutput
	}
	s.watch(w)
	for _, in := range instances {
		s.types[in.Name] = in.Type
		mux := http.NewServeMux()
		if r := routesFor(in.Type); r != nil {
			r(&Instance{s: s, Name: in.Name, Type: in.Type}, mux)
		}
		s.handlers[in.Name] = mux
	}
	return s
}

// watch counts what w performs, from zero.
func (s *Server) watch(w *world.World) {
	s.mu.Lock()
	s.performed, s.changed = map[string]int{}, make(chan struct{})
	s.mu.Unlock()
	w.OnPerformed(func(instance, action string) {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.performed[instance+"."+action]++
		close(s.changed)
		s.changed = make(chan struct{})
	})
}

// waitPerformed serves GET /_world/performed?action=INSTANCE.ACTION&count=N:
// it answers {"action": …, "performed": n} once the world has performed
// the action at least N times since the start or the last reset (an
// effect in the state, whatever late answer a fault adds), or at once
// without count. A test waits on it instead of polling /_world; the
// request's own deadline bounds the wait.
func (s *Server) waitPerformed(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		http.Error(w, "use GET", http.StatusMethodNotAllowed)
		return
	}
	action := r.URL.Query().Get("action")
	want := 0
	if c := r.URL.Query().Get("count"); c != "" {
		n, err := strconv.Atoi(c)
		if err != nil || n < 0 {
			writeJSON(w, http.StatusBadRequest, map[string]any{"message": fmt.Sprintf("count %q: want a number of calls, 0 or more", c)})
			return
		}
		want = n
	}
	if !strings.Contains(action, ".") {
		writeJSON(w, http.StatusBadRequest, map[string]any{"message": fmt.Sprintf("action %q: want INSTANCE.ACTION, as a fault names it (slack.deactivateUser)", action)})
		return
	}
	for {
		s.mu.Lock()
		n, changed := s.performed[action], s.changed
		s.mu.Unlock()
		if n >= want {
			writeJSON(w, http.StatusOK, map[string]any{"action": action, "performed": n})
			return
		}
		select {
		case <-changed:
		case <-r.Context().Done():
			return
		}
	}
}

// World returns the world currently served.
func (s *Server) World() *world.World {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.world
}

// ServeHTTP routes /_world, /_world/reset and /INSTANCE/….
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if status, msg := refuse(r); status != 0 {
		writeJSON(w, status, map[string]any{"message": msg})
		return
	}
	switch r.URL.Path {
	case "/_world":
		if r.Method != http.MethodGet {
			http.Error(w, "use GET", http.StatusMethodNotAllowed)
			return
		}
		b, err := json.MarshalIndent(s.World().State(), "", "  ")
		if err != nil {
			writeJSON(w, http.StatusInternalServerError, map[string]any{"message": err.Error()})
			return
		}
		if len(b) > s.maxWorld {
			writeJSON(w, http.StatusInsufficientStorage, map[string]any{"message": fmt.Sprintf("the world's state is %d bytes, more than the %d /_world answers", len(b), s.maxWorld)})
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(append(b, '\n'))
		return
	case "/_world/faults":
		s.addFaults(w, r)
		return
	case "/_world/reset":
		if r.Method != http.MethodPost {
			http.Error(w, "use POST", http.StatusMethodNotAllowed)
			return
		}
		fresh := s.seeded.Clone()
		s.watch(fresh)
		s.mu.Lock()
		s.world = fresh
		s.mu.Unlock()
		writeJSON(w, http.StatusOK, map[string]any{"reset": true})
		return
	case "/_world/performed":
		s.waitPerformed(w, r)
		return
	}
	if name, ok := strings.CutPrefix(r.URL.Path, "/_smtp/"); ok {
		s.serveSMTPURL(w, r, name)
		return
	}
	name, rest, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	h, ok := s.handlers[name]
	if !ok {
		writeJSON(w, http.StatusNotFound, map[string]any{"message": fmt.Sprintf("no connector instance %q in this sandbox (instances: %s)", name, strings.Join(s.names(), ", "))})
		return
	}
	typ := s.types[name]
	if !strings.HasSuffix(rest, "oauth2/token") && rest != "oauth2/v1/token" && strings.TrimSpace(r.Header.Get("Authorization")) == "" {
		writeError(w, typ, &effect.Error{Status: 401, Code: "unauthorized", Message: "missing Authorization header"})
		return
	}
	if g := s.gates[name]; g != nil && !strings.HasSuffix(rest, "oauth2/token") && rest != "oauth2/v1/token" && !g(w, r) {
		return
	}
	if s.latency > 0 {
		t := time.NewTimer(s.latency)
		select {
		case <-r.Context().Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
	r2 := r.Clone(r.Context())
	r2.URL.Path = "/" + rest
	r2.URL.RawPath = ""
	if rp := r.URL.RawPath; rp != "" {
		if _, rrest, ok := strings.Cut(strings.TrimPrefix(rp, "/"), "/"); ok {
			r2.URL.RawPath = "/" + rrest
		}
	}
	if typ == "okta" {
		// Okta sends its rate-limit headers on every answer; the sandbox
		// has no limit of its own (its 429s are faults), so Remaining
		// stays high until a fault's 429 sets it to 0.
		oktaRateHeaders(w, oktaRateLimit-1, time.Now().Add(time.Minute))
	}
	r2.Body = http.MaxBytesReader(w, r.Body, MaxBody)
	h.ServeHTTP(w, r2)
}

// refuse keeps the sandbox a loopback-only tool in every sense: it has no
// real authentication and its control endpoints change what an apply
// sees, so a web page must not reach it. A request is refused unless its
// Host is a loopback name with the port the sandbox listens on (no DNS
// rebinding), its Origin, when a browser sends one, is such a loopback
// origin too, and a POST to a control endpoint says Content-Type
// application/json (a cross-site form cannot).
func refuse(r *http.Request) (int, string) {
	port := ""
	if a, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr); ok {
		_, port, _ = net.SplitHostPort(a.String())
	}
	if !loopbackHost(r.Host, port) {
		return http.StatusMisdirectedRequest, fmt.Sprintf("Host %q: the sandbox answers only loopback names (127.0.0.1, localhost, [::1]) with its own port", r.Host)
	}
	if o := r.Header.Get("Origin"); o != "" {
		u, err := url.Parse(o)
		if err != nil || u.Scheme != "http" || !loopbackHost(u.Host, port) {
			return http.StatusForbidden, fmt.Sprintf("Origin %q: the sandbox answers no web page but its own loopback origin", o)
		}
	}
	if r.Method == http.MethodPost && strings.HasPrefix(r.URL.Path, "/_world/") {
		mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
		if err != nil || mt != "application/json" {
			return http.StatusUnsupportedMediaType, "control endpoints take Content-Type: application/json"
		}
	}
	return 0, ""
}

// loopbackHost reports whether hostport names a loopback host and, when
// port is known, that port.
func loopbackHost(hostport, port string) bool {
	h, p, err := net.SplitHostPort(hostport)
	if err != nil {
		return false
	}
	if port != "" && p != port {
		return false
	}
	if h == "localhost" {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// addFaults serves POST /_world/faults: a JSON body {"faults": [...]} in
// the world file's fault syntax adds faults now (after those already
// there); GET lists them with the calls each still applies to.
func (s *Server) addFaults(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet:
		writeJSON(w, http.StatusOK, map[string]any{"faults": faultList(s.World().Faults())})
		return
	case http.MethodPost:
	default:
		http.Error(w, "use GET or POST", http.StatusMethodNotAllowed)
		return
	}
	var body map[string]any
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, MaxBody))
	dec.UseNumber()
	if err := dec.Decode(&body); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]any{"message": "the body must be a JSON object {\"faults\": [...]}: " + err.Error()})
		return
	}
	for k := range body {
		if k != "faults" {
			writeJSON(w, http.StatusBadRequest, map[string]any{"message": fmt.Sprintf("unknown key %q: send {\"faults\": [...]}", k)})
			return
		}
	}
	spec, ds := world.Decode(effect.Numbers(body).(map[string]any), diag.Range{})
	if ds.HasErrors() {
		writeJSON(w, http.StatusBadRequest, map[string]any{"message": ds.Err().Error()})
		return
	}
	world := s.World()
	if ds := spec.Check(world.Instances()); ds.HasErrors() {
		writeJSON(w, http.StatusBadRequest, map[string]any{"message": ds.Err().Error()})
		return
	}
	world.AddFaults(spec.Faults...)
	writeJSON(w, http.StatusOK, map[string]any{"added": len(spec.Faults)})
}

func faultList(fs []world.FaultStatus) []any {
	out := make([]any, len(fs))
	for i, f := range fs {
		o := map[string]any{"action": f.Action, "left": f.Left}
		if f.User != "" {
			o["user"] = f.User
		}
		if f.Status != 0 {
			o["status"] = f.Status
		}
		if f.Latency > 0 {
			o["latency"] = f.Latency.String()
		}
		if f.Timeout {
			o["timeout"] = true
		}
		if f.After {
			o["after"] = true
		}
		out[i] = o
	}
	return out
}

func (s *Server) names() []string {
	out := make([]string, 0, len(s.types))
	for n := range s.types {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Instance is what a vendor's routes need: the instance name and type, and
// a way to run world actions.
type Instance struct {
	s          *Server
	Name, Type string
}

// Gate makes g check every request to the instance's API (not its token
// endpoint) before its route, with the request as it came (its full
// path): g writes the refusal and returns false, or returns true. Set
// while the routes are registered.
func (in *Instance) Gate(g func(w http.ResponseWriter, r *http.Request) bool) {
	if in.s.gates == nil {
		in.s.gates = map[string]func(http.ResponseWriter, *http.Request) bool{}
	}
	in.s.gates[in.Name] = g
}

// Do runs one catalogue action against the world. The idempotency key, when
// the vendor request carries one, is passed along.
func (in *Instance) Do(ctx context.Context, action string, input map[string]any, idempotencyKey string) (map[string]any, *effect.Error) {
	w := in.s.World()
	out, err := w.Do(ctx, effect.Request{Instance: in.Name, Type: in.Type, Action: action, Input: input, Attempt: 1, IdempotencyKey: idempotencyKey})
	if err != nil {
		return nil, effect.AsError(err)
	}
	return out, nil
}

// World returns the world (for lookups the vendor API needs that are not
// catalogue actions, such as a ServiceNow query on correlation_id).
func (in *Instance) World() *world.World { return in.s.World() }

// Error writes a failure in the vendor's error shape, with Retry-After.
func (in *Instance) Error(w http.ResponseWriter, e *effect.Error) { writeError(w, in.Type, e) }

// JSON writes a JSON response.
func (in *Instance) JSON(w http.ResponseWriter, status int, v any) { writeJSON(w, status, v) }

// ReadJSON decodes a JSON request body into an object; an empty body is {}.
// On failure it writes a 400 and returns false.
func (in *Instance) ReadJSON(w http.ResponseWriter, r *http.Request) (map[string]any, bool) {
	data, err := io.ReadAll(r.Body)
	if err != nil {
		in.Error(w, &effect.Error{Status: 400, Code: "invalid_input", Message: "cannot read the request body: " + err.Error()})
		return nil, false
	}
	if strings.TrimSpace(string(data)) == "" {
		return map[string]any{}, true
	}
	var m map[string]any
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil {
		in.Error(w, &effect.Error{Status: 400, Code: "invalid_input", Message: "the request body is not a JSON object: " + err.Error()})
		return nil, false
	}
	return effect.Numbers(m).(map[string]any), true
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

// writeError renders an error as the vendor of typ does.
func writeError(w http.ResponseWriter, typ string, e *effect.Error) {
	status := e.Status
	if status == 0 {
		status = http.StatusInternalServerError
		if e.Code == "timeout" {
			status = http.StatusGatewayTimeout
		}
	}
	switch {
	case typ == "okta" && status == http.StatusTooManyRequests:
		// Okta says when to come back with X-Rate-Limit-Reset (UTC epoch
		// seconds) and Remaining 0, never Retry-After ("Rate limits",
		// developer.okta.com/docs/reference/rl-best-practices).
		wait := e.RetryAfter
		if wait <= 0 {
			wait = time.Second
		}
		oktaRateHeaders(w, 0, time.Now().Add(wait))
	case typ == "slack" && status == http.StatusTooManyRequests:
		slackRetryAfter(w, e)
	case e.RetryAfter > 0:
		w.Header().Set("Retry-After", strconv.Itoa(int((e.RetryAfter+time.Second-1)/time.Second)))
	}
	// The vendor's error body is a fact of its catalogue file.
	body := catalog.ErrorBody(typ, status, e.Code, e.Message)
	writeJSON(w, status, body)
}

// oktaRateLimit is the X-Rate-Limit-Limit the sandbox's okta instances
// announce (Okta's per-minute limit of /api/v1/users endpoints varies by
// plan; 600 is a common one).
const oktaRateLimit = 600

// oktaRateHeaders sets Okta's X-Rate-Limit-Limit, -Remaining and -Reset
// (the UTC epoch second the window resets, rounded up).
func oktaRateHeaders(w http.ResponseWriter, remaining int, reset time.Time) {
	h := w.Header()
	h.Set("X-Rate-Limit-Limit", strconv.Itoa(oktaRateLimit))
	h.Set("X-Rate-Limit-Remaining", strconv.Itoa(remaining))
	sec := reset.Unix()
	if reset.After(time.Unix(sec, 0)) {
		sec++
	}
	h.Set("X-Rate-Limit-Reset", strconv.FormatInt(sec, 10))
}
