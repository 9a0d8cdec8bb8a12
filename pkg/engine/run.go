package engine

import (
	"time"
)

// Mode says what a run is for.
type Mode string

// The modes.
const (
	ModeDryRun Mode = "dry-run"
	ModePlan   Mode = "plan"
	ModeApply  Mode = "apply"
	ModeTest   Mode = "test"
)

// Status is how a run ended (SPEC §7).
type Status string

// The run statuses.
const (
	StatusSuccess  Status = "success"
	StatusFiltered Status = "filtered"
	StatusHalted   Status = "halted"
	StatusFailed   Status = "failed"
)

// Failed reports whether a run that ended so fails the command that ran
// it (dry-run, apply and resume exit 1): halted or failed. A filtered run
// did what its flow said.
func (s Status) Failed() bool {
	return s == StatusHalted || s == StatusFailed
}

// CardStatus is how one card ended.
type CardStatus string

// The card statuses.
const (
	CardSuccess  CardStatus = "success"
	CardFailed   CardStatus = "failed"
	CardSkipped  CardStatus = "skipped"
	CardFiltered CardStatus = "filtered"
	CardHalted   CardStatus = "halted"
)

// ErrorInfo is a failure as flows see it (`error` in catch and handlers).
type ErrorInfo struct {
	Card      string `json:"card"`
	Action    string `json:"action,omitempty"`
	Message   string `json:"message"`
	Status    int    `json:"status"`
	Code      string `json:"code"`
	Retryable bool   `json:"retryable"`
	Attempts  int    `json:"attempts"`
}

// Value returns the error as the CEL `error` variable.
func (e *ErrorInfo) Value() map[string]any {
	if e == nil {
		return nil
	}
	return map[string]any{
		"card": e.Card, "action": e.Action, "message": e.Message, "status": int64(e.Status),
		"code": e.Code, "retryable": e.Retryable, "attempts": int64(e.Attempts),
	}
}

// Change is one write that succeeded (SPEC §7 plan JSON).
type Change struct {
	Card   string         `json:"card"`
	Action string         `json:"action"`
	With   map[string]any `json:"with"`
	// Via lists the helper flows the write was made in, outermost first.
	Via []string `json:"via"`
	// Path is the card's full path (helper chain and forEach index
	// included); it identifies the write for idempotency.
	Path string `json:"path"`
}

// CardTrace is one card as it ran (or was skipped).
type CardTrace struct {
	Path   string `json:"path"`
	ID     string `json:"id,omitempty"`
	Name   string `json:"name,omitempty"`
	Kind   string `json:"kind"`
	Flow   string `json:"flow"`
	Action string `json:"action,omitempty"`
	// Branch names the arm a nested card ran in: then, else, case X,
	// default, try, catch, item N, call.
	Branch   string     `json:"branch,omitempty"`
	Status   CardStatus `json:"status"`
	Write    bool       `json:"write,omitempty"`
	Attempts int        `json:"attempts,omitempty"`
	// ReusedFrom is set when the action was not called because an earlier
	// run it resumes had already done it: that run's id (its recorded
	// outputs are the card's outputs).
	ReusedFrom string         `json:"reusedFrom,omitempty"`
	Input      map[string]any `json:"input,omitempty"`
	Output     any            `json:"output,omitempty"`
	Error      *ErrorInfo     `json:"error,omitempty"`
	// Taken is the arm an if or switch card ran: then, else, case VALUE
	// (the key of the case that matched) or default; "" for other cards,
	// and for one whose expression could not be evaluated or that never
	// ran. Its nested cards have it as their Branch; the cards of the arms
	// not taken are not traced.
	Taken string `json:"taken,omitempty"`
	// Value is what chose Taken: an if's condition (true or false), a
	// switch's value (absent when null).
	Value any `json:"value,omitempty"`
	// Message is a halt's message, or why a card was skipped (for an if
	// or a switch, Taken again, as it was before Taken existed).
	Message   string        `json:"message,omitempty"`
	StartedAt time.Time     `json:"startedAt"`
	Duration  time.Duration `json:"duration"`
	Children  []*CardTrace  `json:"children,omitempty"`
}

// Run is one execution of one flow for one trigger.
type Run struct {
	ID        string       `json:"id"`
	Flow      string       `json:"flow"`
	EventUUID string       `json:"eventUuid,omitempty"`
	EventType string       `json:"eventType,omitempty"`
	Mode      Mode         `json:"mode"`
	Status    Status       `json:"status"`
	StartedAt time.Time    `json:"startedAt"`
	EndedAt   time.Time    `json:"endedAt"`
	Error     *ErrorInfo   `json:"error"`
	Cards     []*CardTrace `json:"cards"`
	Changes   []Change     `json:"changes"`
	// ResumedFrom is the run this one continues (jml resume, or an apply
	// converging on an unfinished run).
	ResumedFrom string `json:"resumedFrom,omitempty"`
	// Simulated lists what the run took from the simulated world where
	// apply asks the real app, and may see otherwise (SimulatedProfile).
	Simulated []string `json:"simulated,omitempty"`
	// Output is what a top-level return: ended the run with (an http:
	// trigger flow's answer), or nil.
	Output map[string]any `json:"output,omitempty"`
}

// Ignored lists the failures of the run's action cards that the run went
// on after — a card with onError: continue, a failure a try's catch
// caught — in trace order; the failure that ended the run (Error) is not
// one. A plan shows them: a run that succeeds while a deprovisioning card
// failed did not do all of its job.
func (r *Run) Ignored() []ErrorInfo {
	var out []ErrorInfo
	var walk func(cards []*CardTrace)
	walk = func(cards []*CardTrace) {
		for _, ct := range cards {
			if ct.Kind == "action" && ct.Status == CardFailed && ct.Error != nil &&
				(r.Error == nil || ct.Error.Card != r.Error.Card || ct.Error.Message != r.Error.Message) {
				out = append(out, *ct.Error)
			}
			walk(ct.Children)
		}
	}
	walk(r.Cards)
	return out
}

// Observer hears what the engine does, as it happens. Calls for one run
// come from one goroutine, in order — except the cards of a concurrent
// forEach in apply, whose items run on goroutines of their own (their
// changes are still reported in item order, after the loop): an observer
// used in apply must be safe for concurrent use.
type Observer interface {
	RunStarted(r *Run)
	CardStarted(r *Run, c *CardTrace)
	CardFinished(r *Run, c *CardTrace)
	ChangePlanned(r *Run, ch Change)
	RunFinished(r *Run)
}

// NopObserver ignores everything.
type NopObserver struct{}

// RunStarted does nothing.
func (NopObserver) RunStarted(*Run) {}

// CardStarted does nothing.
func (NopObserver) CardStarted(*Run, *CardTrace) {}

// CardFinished does nothing.
func (NopObserver) CardFinished(*Run, *CardTrace) {}

// ChangePlanned does nothing.
func (NopObserver) ChangePlanned(*Run, Change) {}

// RunFinished does nothing.
func (NopObserver) RunFinished(*Run) {}

// FilteredByTrigger reports whether r is a run its trigger's when:
// stopped (possible only when the filter read the user's profile: the run
// exists for its read). Such a run did not fire.
func FilteredByTrigger(r *Run) bool {
	if r.Status != StatusFiltered || len(r.Cards) == 0 {
		return false
	}
	return r.Cards[len(r.Cards)-1].Path == "trigger.when"
}
