package apply

import (
	"context"
	"fmt"
	"time"

	"github.com/jml-dev/jml/pkg/engine"
	"github.com/jml-dev/jml/pkg/event"
	"github.com/jml-dev/jml/pkg/history"
)

// Unfinished lists the runs jml resume --all continues, newest first: per
// (event, flow), the latest apply run, when it did not finish (halted,
// failed, running or interrupted) — but a run its Temporal workflow is
// still running (HeldByWorkflow). limit, when not 0, looks only at that
// many of the latest apply runs (shell completion).
func Unfinished(ctx context.Context, s *history.Store, limit int) ([]*history.RunRow, error) {
	rows, err := s.Runs(ctx, history.Filter{Mode: string(engine.ModeApply), Limit: limit})
	if err != nil {
		return nil, err
	}
	var runs []*history.RunRow
	seen := map[string]bool{}
	for _, r := range rows { // newest first: the first of each (event, flow) is its latest
		k := r.Event + "\x00" + r.Flow
		if seen[k] {
			continue
		}
		seen[k] = true
		if !r.Finished() && r.HeldByWorkflow() == nil {
			runs = append(runs, r)
		}
	}
	return runs, nil
}

// Resumable is the run jml resume RUN continues: run id (or a unique
// prefix of one), or the newest attempt of its chain when it was resumed
// before. It is an error when the run is not an apply run, or it, or a
// later attempt, finished.
func Resumable(ctx context.Context, s *history.Store, id string) (*history.RunRow, error) {
	r, err := s.Run(ctx, id)
	if err != nil {
		return nil, err
	}
	if r.Mode != string(engine.ModeApply) {
		return nil, fmt.Errorf("run %s is a %s run: only apply runs can be resumed", r.ID, r.Mode)
	}
	latest, err := s.Latest(ctx, r.Event, r.Flow, string(engine.ModeApply))
	if err != nil {
		return nil, err
	}
	if latest != nil && latest.ID != r.ID {
		if latest.Finished() {
			return nil, fmt.Errorf("run %s was already resumed: run %s finished it (%s)", r.ID, latest.ID, latest.Status)
		}
		r = latest // resume the newest attempt of the chain
	}
	if r.Finished() {
		return nil, fmt.Errorf("run %s finished (%s): nothing to resume", r.ID, r.Status)
	}
	if err := r.HeldByWorkflow(); err != nil {
		return nil, err
	}
	return r, nil
}

// Resumption is what resuming runs runs: their triggers — each recorded
// event and schedule instant once, in the order of the runs — and the
// runs keyed as Resume takes them.
type Resumption struct {
	Events   []*event.Event
	Instants []time.Time
	Runs     map[string]*history.RunRow
}

// PrepareResume prepares the runs to resume. hasFlow says whether a flow is
// still in the repository: a run of a flow that is gone cannot be.
func PrepareResume(runs []*history.RunRow, hasFlow func(string) bool) (*Resumption, error) {
	res := &Resumption{Runs: map[string]*history.RunRow{}}
	seen := map[string]bool{}
	for _, r := range runs {
		if !hasFlow(r.Flow) {
			return nil, fmt.Errorf("run %s: flow %q is no longer in the repository", r.ID, r.Flow)
		}
		res.Runs[r.Event+"\x00"+r.Flow] = r
		ev, at, err := r.DecodeTrigger()
		if err != nil {
			return nil, err
		}
		if ev == nil {
			if !seen[r.Event] {
				seen[r.Event] = true
				res.Instants = append(res.Instants, at)
			}
			continue
		}
		if !seen[ev.UUID] {
			seen[ev.UUID] = true
			res.Events = append(res.Events, ev)
		}
	}
	return res, nil
}
