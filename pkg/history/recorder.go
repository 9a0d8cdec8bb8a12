package history

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/jml-dev/jml/pkg/clock"
	"github.com/jml-dev/jml/pkg/effect"
	"github.com/jml-dev/jml/pkg/engine"
	"github.com/jml-dev/jml/pkg/event"
)

// Recorder writes runs and their calls to a Store as they happen. It is an
// engine.Observer (runs start and finish) and wraps the effector (a
// journal entry before each call, its outcome after). A call is made only
// once its journal entry is written: if the store fails, the call fails
// (code "history") and nothing is done unrecorded.
type Recorder struct {
	Store *Store
	// Next hears every observer event after the recorder.
	Next engine.Observer
	// Secrets are replaced by *** in everything written.
	Secrets []string
	// Redactor, when set before the first run, redacts instead of
	// Secrets: the apply's one registry of secrets, which grows as the
	// connectors fetch tokens and sign assertions.
	Redactor *effect.Redactor
	// Digest is the digest of the flows and config the runs use.
	Digest string
	Clock  clock.Clock
	// Remote says that the runs are driven by another process than the
	// one journaling their calls — a Temporal workflow, whose activities
	// any worker may run: each journal entry then takes its sequence
	// number and flow from the store (BeginCall with Seq 0), not from what
	// this process saw of the run.
	Remote bool
	// OnFail, when set before the first run, is called once, with the
	// first error writing the history (Err), when it happens — under the
	// recorder's lock: it must not block.
	OnFail func(error)

	redactor *effect.Redactor
	mu       sync.Mutex
	events   map[string]*event.Event
	seq      map[string]int
	flows    map[string]string
	reuse    map[string]map[string]Done
	err      error
}

// NewRecorder returns a recorder writing to s.
func NewRecorder(s *Store, next engine.Observer, secrets []string, digest string) *Recorder {
	if next == nil {
		next = engine.NopObserver{}
	}
	return &Recorder{Store: s, Next: next, Secrets: secrets, Digest: digest, Clock: clock.Real{}, redactor: effect.NewRedactor(secrets),
		events: map[string]*event.Event{}, seq: map[string]int{}, flows: map[string]string{}, reuse: map[string]map[string]Done{}}
}

// Event registers an event, so that its runs record it (and its user).
func (r *Recorder) Event(ev *event.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events[ev.UUID] = ev
}

// Forget drops an event registered by Event once its runs have ended:
// a recorder that lasts (jml serve) does not keep every event it saw.
func (r *Recorder) Forget(uuid string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.events, uuid)
}

// Reuse makes run runID answer the calls of done from the record instead
// of calling (a resume).
func (r *Recorder) Reuse(runID string, done map[string]Done) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.reuse[runID] = done
}

// Err returns the first error writing the history.
func (r *Recorder) Err() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.err
}

func (r *Recorder) fail(err error) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.err == nil {
		r.err = fmt.Errorf("writing the history %s: %v", r.Store.Where, err)
		if r.OnFail != nil {
			r.OnFail(r.err)
		}
	}
	return r.err
}

// redact replaces the secrets in s, raw or JSON-escaped.
func (r *Recorder) redact(s string) string {
	rd := r.redactor
	if r.Redactor != nil {
		rd = r.Redactor
	} else if rd == nil { // a Recorder not made by NewRecorder
		rd = effect.NewRedactor(r.Secrets)
	}
	return rd.Redact(s)
}

func (r *Recorder) json(v any) string {
	if v == nil {
		return ""
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprintf("%q", fmt.Sprint(v))
	}
	return r.redact(string(b))
}

// UserOf returns the login and Okta id of an event's user (its first User
// target).
func UserOf(ev *event.Event) (login, id string) {
	if ev == nil {
		return "", ""
	}
	if t := ev.Target("User"); t != nil {
		login, _ = t["alternateId"].(string)
		id, _ = t["id"].(string)
	}
	return login, id
}

// RunStarted records the run as running.
func (r *Recorder) RunStarted(run *engine.Run) {
	r.mu.Lock()
	ev := r.events[run.EventUUID]
	if r.flows == nil { // a Recorder not made by NewRecorder
		r.flows = map[string]string{}
	}
	r.flows[run.ID] = run.Flow
	r.mu.Unlock()
	if err := r.insertRun(run, ev, Workflow{}); err != nil {
		r.fail(err)
	}
	r.Next.RunStarted(run)
}

// Workflow names the Temporal workflow execution that runs a run.
type Workflow struct {
	ID, RunID string
}

// RunStartedOn records as running a run that workflow wf runs, for event
// ev (nil for a schedule's run): RunStarted for a run driven by another
// process (Remote), which hears nothing of it but this.
//
// It is idempotent for one workflow execution: a run already recorded
// with wf's run id (the activity that recorded it was tried again) is
// left as it is. A run id another run holds (an apply of the same event
// took it meanwhile) is ErrRunTaken, which, concerning that run alone,
// is not the recorder's failure (Err).
func (r *Recorder) RunStartedOn(run *engine.Run, ev *event.Event, wf Workflow) error {
	if ours, err := r.holder(run.ID, wf); ours || err != nil {
		return err
	}
	if err := r.insertRun(run, ev, wf); err != nil {
		// Another insert of the id came first: whose it is decides.
		if ours, herr := r.holder(run.ID, wf); ours || herr != nil {
			return herr
		}
		return r.fail(err)
	}
	return nil
}

// holder says who holds run id in the store: no run (false, nil), the run
// of workflow execution wf (true, nil), or another run (ErrRunTaken).
func (r *Recorder) holder(id string, wf Workflow) (ours bool, err error) {
	got, gerr := r.Store.Run(context.Background(), id)
	if gerr != nil || got.ID != id {
		return false, nil
	}
	if wf.RunID != "" && got.WorkflowRunID == wf.RunID {
		return true, nil
	}
	return false, fmt.Errorf("run %s: %w", id, ErrRunTaken)
}

// ErrRunTaken is returned for a run whose id another run holds.
var ErrRunTaken = errors.New("another run holds this id in the history (an apply of the same event took it)")

func (r *Recorder) insertRun(run *engine.Run, ev *event.Event, wf Workflow) error {
	row := &RunRow{ID: run.ID, Flow: run.Flow, Event: run.EventUUID, EventType: run.EventType, Mode: string(run.Mode),
		Status: StatusRunning, StartedAt: r.Clock.Now(), ResumedFrom: run.ResumedFrom, Digest: r.Digest,
		WorkflowID: wf.ID, WorkflowRunID: wf.RunID}
	row.User, row.UserID = UserOf(ev)
	if ev != nil {
		row.EventJSON = r.json(ev.Raw)
	}
	return r.Store.InsertRun(context.Background(), row)
}

// CardStarted passes the card on.
func (r *Recorder) CardStarted(run *engine.Run, c *engine.CardTrace) { r.Next.CardStarted(run, c) }

// CardFinished passes the card on.
func (r *Recorder) CardFinished(run *engine.Run, c *engine.CardTrace) { r.Next.CardFinished(run, c) }

// ChangePlanned passes the change on.
func (r *Recorder) ChangePlanned(run *engine.Run, ch engine.Change) { r.Next.ChangePlanned(run, ch) }

// RunFinished records how the run ended, with its whole trace.
func (r *Recorder) RunFinished(run *engine.Run) {
	r.finishRun(run)
	r.mu.Lock()
	delete(r.seq, run.ID)
	delete(r.flows, run.ID)
	delete(r.reuse, run.ID)
	r.mu.Unlock()
	r.Next.RunFinished(run)
}

// RunFinishedOn records how a run a workflow ran ended (RunStartedOn).
func (r *Recorder) RunFinishedOn(run *engine.Run) error { return r.finishRun(run) }

func (r *Recorder) finishRun(run *engine.Run) error {
	errJSON := ""
	if run.Error != nil {
		errJSON = r.json(errorOf(run.Error))
	}
	// The history keeps when the run really happened (a dry-run's trace is
	// on the virtual clock of the event's time).
	if err := r.Store.FinishRun(context.Background(), run.ID, string(run.Status), r.Clock.Now(), errJSON, r.json(traceOf(run))); err != nil {
		return r.fail(err)
	}
	return nil
}

// Effector wraps inner: every call is journaled before it is made and its
// outcome after; a call a resumed run already made is answered from the
// record.
func (r *Recorder) Effector(inner effect.Effector) effect.Effector {
	return &journal{r: r, inner: inner}
}

type journal struct {
	r     *Recorder
	inner effect.Effector
}

func (j *journal) Do(ctx context.Context, req effect.Request) (map[string]any, error) {
	r := j.r
	if err := r.Err(); err != nil {
		return nil, &effect.Error{Code: "history", Message: err.Error()}
	}
	r.mu.Lock()
	seq, flow := 0, "" // Remote: placed by the store (BeginCall)
	if !r.Remote {
		r.seq[req.RunID]++
		seq, flow = r.seq[req.RunID], r.flows[req.RunID]
	}
	done, reused := r.reuse[req.RunID][req.Card]
	r.mu.Unlock()
	name := req.Instance + "." + req.Action
	c := &CallRow{RunID: req.RunID, Flow: flow, Seq: seq, Card: req.Card, Action: name, Attempt: req.Attempt,
		IdempotencyKey: req.IdempotencyKey, Input: r.json(req.Input), Status: CallPending, StartedAt: r.Clock.Now()}

	if reused && done.Action == name {
		out := map[string]any{}
		if done.Output != "" {
			if err := json.Unmarshal([]byte(done.Output), &out); err != nil {
				return nil, &effect.Error{Code: "history", Message: fmt.Sprintf("the recorded outputs of %s in run %s are not JSON: %v", req.Card, done.RunID, err)}
			}
		}
		c.Status, c.Output, c.ReusedFrom = CallReused, done.Output, done.RunID
		if err := r.Store.BeginCall(context.Background(), c); err != nil {
			return nil, &effect.Error{Code: "history", Message: r.fail(err).Error()}
		}
		if ci := effect.CallInfoFrom(ctx); ci != nil {
			ci.ReusedFrom = done.RunID
		}
		return out, nil
	}

	// Write-ahead: the entry exists before the call is made.
	if err := r.Store.BeginCall(context.Background(), c); err != nil {
		return nil, &effect.Error{Code: "history", Message: r.fail(err).Error()}
	}
	start := time.Now()
	out, err := j.inner.Do(ctx, req)
	c.Duration = time.Since(start)
	if err != nil {
		c.Status, c.Error = CallFailed, r.json(callErrorOf(effect.AsError(err)))
	} else {
		c.Status, c.Output = CallSuccess, r.json(out)
		if out == nil {
			c.Output = "{}"
		}
	}
	// The outcome is recorded even when the run's context was cancelled:
	// the call happened.
	if werr := r.Store.EndCall(context.Background(), c); werr != nil {
		r.fail(werr)
	}
	return out, err
}
