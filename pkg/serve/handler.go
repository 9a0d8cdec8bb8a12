package serve

import (
	"context"
	"net/http"
	"time"
)

// Handler serves the event hook at its path, and:
//
//   - GET /healthz: 200 while the process is up;
//   - GET /readyz: 200 when the history store answers (the flows are
//     loaded before the server starts), 503 otherwise;
//   - GET /metrics: the Prometheus metrics, when Metrics is set;
//   - each http: trigger flow at its path.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc(s.o.Path, s.ServeHook)
	for p, f := range s.flows {
		mux.HandleFunc(p, s.serveFlow(f))
	}
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := s.o.Store.Ping(ctx); err != nil {
			writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "history store unreachable"})
			return
		}
		if s.o.Engine == nil || s.o.Graph == nil {
			writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "flows not loaded"})
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"status": "ready", "flows": len(s.o.Graph.Names)})
	})
	if s.o.Metrics != nil {
		mux.Handle("GET /metrics", s.o.Metrics.Handler())
	}
	return mux
}
