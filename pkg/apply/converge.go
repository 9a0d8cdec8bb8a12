package apply

import (
	"context"
	"fmt"

	"github.com/jml-dev/jml/pkg/engine"
	"github.com/jml-dev/jml/pkg/history"
)

// Converge is the Decide of an apply that records its runs: per (event,
// flow) it skips what an earlier apply finished (success or filtered),
// resumes what was left halted, failed or interrupted (its succeeded calls
// are answered from the record, not made again), and starts the rest.
// With force, every run starts from scratch (the idempotency keys are the
// same, so a record-creating call still finds its first record).
func Converge(s *history.Store, rec *history.Recorder, force bool) Decide {
	return func(ctx context.Context, t Trigger, flow string) (Decision, error) {
		last, err := s.Latest(ctx, t.Key, flow, string(engine.ModeApply))
		if err != nil {
			return Decision{}, fmt.Errorf("reading the history: %v", err)
		}
		if last != nil && !force && last.Finished() {
			return Decision{Done: &Done{Flow: flow, RunID: last.ID, Status: last.Status}}, nil
		}
		if t.Event != nil {
			rec.Event(t.Event)
		}
		id, err := s.NewRunID(ctx, engine.RunID(t.Key, flow))
		if err != nil {
			return Decision{}, fmt.Errorf("reading the history: %v", err)
		}
		if last == nil || force {
			return Decision{RunID: id}, nil
		}
		return resume(ctx, s, rec, last, id)
	}
}

// resume prepares run id to continue run last: the calls last (and the
// runs it resumed) made are answered from the record. A run its process
// left "running" is marked interrupted.
func resume(ctx context.Context, s *history.Store, rec *history.Recorder, last *history.RunRow, id string) (Decision, error) {
	if err := last.HeldByWorkflow(); err != nil {
		return Decision{}, err
	}
	done, err := s.Reusable(ctx, last.ID)
	if err != nil {
		return Decision{}, fmt.Errorf("reading the history: %v", err)
	}
	if last.Status == history.StatusRunning {
		if err := s.MarkInterrupted(ctx, last.ID); err != nil {
			return Decision{}, fmt.Errorf("writing the history: %v", err)
		}
	}
	rec.Reuse(id, done)
	return Decision{RunID: id, ResumedFrom: last.ID}, nil
}

// Resume is the Decide of `jml resume`: the runs given (by event uuid and
// flow) continue from their failed card; every other flow is left alone.
func Resume(s *history.Store, rec *history.Recorder, runs map[string]*history.RunRow) Decide {
	return func(ctx context.Context, t Trigger, flow string) (Decision, error) {
		last := runs[t.Key+"\x00"+flow]
		if last == nil {
			return Decision{Skip: true}, nil
		}
		// The runs were chosen before the lock was taken: read the chain's
		// newest run again, under the lock, so that a run another apply
		// finished meanwhile is not resumed from a stale record.
		latest, err := s.Latest(ctx, t.Key, flow, string(engine.ModeApply))
		if err != nil {
			return Decision{}, fmt.Errorf("reading the history: %v", err)
		}
		if latest != nil && latest.ID != last.ID {
			if latest.Finished() {
				return Decision{Done: &Done{Flow: flow, RunID: latest.ID, Status: latest.Status}}, nil
			}
			last = latest
		}
		if t.Event != nil {
			rec.Event(t.Event)
		}
		id, err := s.NewRunID(ctx, engine.RunID(t.Key, flow))
		if err != nil {
			return Decision{}, fmt.Errorf("reading the history: %v", err)
		}
		return resume(ctx, s, rec, last, id)
	}
}
