package serve

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/jml-dev/jml/pkg/apply"
	"github.com/jml-dev/jml/pkg/compile"
	"github.com/jml-dev/jml/pkg/effect"
	"github.com/jml-dev/jml/pkg/engine"
)

// IdempotencyHeader names a request of an http: flow: the same key again
// is the same trigger (http@KEY), so a retried request converges on its
// first run instead of running twice.
const IdempotencyHeader = "Idempotency-Key"

// httpFlows maps each served path to its http: trigger flow, or says
// which paths clash — by compile's one rule, which jml validate reports
// (duplicate-http-path) and which a graph that compiled has already passed.
func httpFlows(g *compile.Graph, hook string) (map[string]*compile.Flow, error) {
	out, clashes := g.HTTPPaths(hook)
	if len(clashes) > 0 {
		why := make([]string, len(clashes))
		for i, c := range clashes {
			why[i] = c.Why
		}
		return nil, fmt.Errorf("http: trigger paths that cannot be served [duplicate-http-path]: %s", strings.Join(why, "; "))
	}
	return out, nil
}

// serveFlow answers a request of an http: trigger flow: the same secret
// as the hook, checked first; the body capped, as JSON (or empty); the
// flow run as jml apply runs one (journaled, converging by run id), and
// its return: as the JSON answer. Unlike a hook delivery, the answer
// waits for the run.
func (s *Server) serveFlow(f *compile.Flow) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !s.authorized(r) {
			writeError(w, http.StatusUnauthorized, "wrong or missing "+s.o.AuthHeader+" header")
			return
		}
		data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.o.MaxBodyBytes))
		if err != nil {
			if mb := (*http.MaxBytesError)(nil); errors.As(err, &mb) {
				writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("the request is larger than %d bytes (serve.maxBodyBytes)", s.o.MaxBodyBytes))
				return
			}
			writeError(w, http.StatusBadRequest, "reading the request: "+err.Error())
			return
		}
		var body any
		if len(bytes.TrimSpace(data)) > 0 {
			d := json.NewDecoder(bytes.NewReader(data))
			d.UseNumber()
			if err := d.Decode(&body); err != nil {
				writeError(w, http.StatusBadRequest, "the body is not JSON: "+err.Error())
				return
			}
			body = effect.Numbers(body)
		}
		query := map[string]any{}
		for k, v := range r.URL.Query() {
			query[k] = v[0]
		}
		id := r.Header.Get(IdempotencyHeader)
		if id == "" {
			b := make([]byte, 12)
			rand.Read(b)
			id = hex.EncodeToString(b)
		}
		key := "http@" + id
		t := engine.Trigger{Key: key, At: s.o.Clock.Now().UTC(),
			Request: map[string]any{"id": id, "method": r.Method, "path": r.URL.Path, "query": query, "body": body}}
		// The run is not the caller's to stop by hanging up: it goes on
		// with the server's context (a drain stops it between cards).
		ctx := s.o.RunContext
		if ctx == nil {
			ctx = context.Background()
		}
		res := apply.RunTrigger(ctx, s.o.Engine, []*compile.Flow{f}, t, apply.Converge(s.o.Store, s.o.Recorder, false))
		switch {
		case res.Err != nil:
			writeError(w, http.StatusServiceUnavailable, res.Err.Error())
		case len(res.Done) > 0:
			d := res.Done[0]
			writeJSON(w, http.StatusConflict, map[string]string{"error": "this " + IdempotencyHeader + " was already answered", "run": d.RunID, "status": d.Status})
		case len(res.Runs) == 0:
			writeError(w, http.StatusServiceUnavailable, "the flow did not run (stopping)")
		default:
			run := res.Runs[0]
			s.o.Metrics.run(run)
			s.o.Log.Info("http flow answered", "flow", run.Flow, "run", run.ID, "status", string(run.Status))
			switch run.Status {
			case engine.StatusSuccess, engine.StatusFiltered:
				out := run.Output
				if out == nil {
					out = map[string]any{}
				}
				writeJSON(w, http.StatusOK, out)
			default:
				msg := string(run.Status)
				if run.Error != nil {
					msg = run.Error.Message
				}
				writeJSON(w, http.StatusInternalServerError, map[string]string{"error": msg, "run": run.ID, "status": string(run.Status)})
			}
		}
	}
}
