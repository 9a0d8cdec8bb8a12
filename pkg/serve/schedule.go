package serve

import (
	"context"
	"time"

	"github.com/jml-dev/jml/pkg/apply"
	"github.com/jml-dev/jml/pkg/engine"
	"github.com/jml-dev/jml/pkg/replay"
)

// Schedules fires the schedule: flows on their cron, minute by minute,
// until ctx is done, sleeping on the server's clock.
//
// The policy (docs/serve.md, "Schedules"): a firing is recorded like
// jml apply --at records it (runs keyed schedule@INSTANT, converging by
// run id), so nothing is fired twice, across restarts too; serve starts
// from the newest firing in the history, and of the firings it missed
// while down (up to a week back) it fires, per flow, only the latest —
// once. A history with no firing starts at the current minute.
func (s *Server) Schedules(ctx context.Context, runCtx context.Context) {
	for ctx.Err() == nil {
		if err := s.Tick(runCtx, s.o.Clock.Now()); err != nil && ctx.Err() == nil {
			s.o.Log.Error("schedule", "error", err.Error())
		}
		now := s.o.Clock.Now()
		next := now.Truncate(time.Minute).Add(time.Minute)
		if s.o.Clock.Sleep(ctx, next.Sub(now)) != nil {
			return
		}
	}
}

// Tick fires the schedule flows due after the last firing, up to now's
// minute, by the catch-up policy of Schedules.
func (s *Server) Tick(ctx context.Context, now time.Time) error {
	cur := now.UTC().Truncate(time.Minute)
	s.mu.Lock()
	last := s.lastTick
	s.mu.Unlock()
	if last.IsZero() {
		l, err := s.o.Store.LatestFiring(ctx)
		if err != nil {
			return err
		}
		last = l
		if last.IsZero() {
			last = cur.Add(-time.Minute)
		}
	}
	if !cur.After(last) {
		return nil
	}
	from := last.Add(time.Minute)
	if cur.Sub(from) > replay.MaxWindowMinutes*time.Minute {
		from = cur.Add(-replay.MaxWindowMinutes * time.Minute)
	}
	// Per flow, its latest due instant in [from, cur].
	latest := map[string]time.Time{}
	for m := from; !m.After(cur); m = m.Add(time.Minute) {
		for _, f := range s.o.Engine.ScheduledAt(m).Flows {
			latest[f.Name] = m
		}
	}
	var instants []time.Time
	seen := map[time.Time]bool{}
	for m := from; !m.After(cur); m = m.Add(time.Minute) {
		for _, at := range latest {
			if at.Equal(m) && !seen[m] {
				seen[m] = true
				instants = append(instants, m)
			}
		}
	}
	if len(instants) > 0 {
		converge := apply.Converge(s.o.Store, s.o.Recorder, false)
		decide := func(ctx context.Context, t apply.Trigger, flow string) (apply.Decision, error) {
			if at, ok := latest[flow]; !ok || engine.ScheduleKey(at) != t.Key {
				return apply.Decision{Skip: true}, nil // caught up at its latest instant only
			}
			return converge(ctx, t, flow)
		}
		apply.Run(ctx, s.o.Engine, nil, apply.Options{Decide: decide, Instants: instants}, func(r apply.Result) {
			for _, run := range r.Runs {
				s.o.Metrics.run(run)
				s.o.Log.Info("schedule fired", "at", r.At.Format(time.RFC3339), "flow", run.Flow, "run", run.ID, "status", string(run.Status))
			}
			if r.Err != nil {
				s.o.Log.Error("schedule", "at", r.At.Format(time.RFC3339), "error", r.Err.Error())
			}
		})
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
	s.mu.Lock()
	s.lastTick = cur
	s.mu.Unlock()
	return nil
}
