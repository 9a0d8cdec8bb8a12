package history

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jml-dev/jml/pkg/effect"
	"github.com/jml-dev/jml/pkg/engine"
	"github.com/jml-dev/jml/pkg/event"
	"github.com/jml-dev/jml/pkg/verify"
)

// The history keeps JSON in some columns: runs.trace (the finished run,
// card by card), runs.error, and calls.error. That JSON has types of its
// own, below, apart from the engine's: a history written by an older jml
// must keep reading (jml history show, resume, apply converging), so an
// engine field renamed must not rename a stored one. Engine values become
// rows, and rows engine values, only in this file: traceOf and run,
// errorOf and info, callErrorOf.
//
// The other JSON columns hold what jml did not shape: runs.event is the
// Okta LogEvent as received, calls.input and calls.output the values sent
// to and answered by the vendor. verify_results.result holds a
// VerifyRecord, made from a verify matrix here too.
//
// Each row records the RowFormat it was written in (the row_format column,
// migration 3; rows older than that column are format 1). Within a format,
// fields may be added, never renamed or removed, and readers ignore fields
// they do not know. Anything else is the next RowFormat: this jml refuses
// to read a row of a format it does not know (ErrRowFormat) rather than
// misread it.

// RowFormat is the version of the JSON this jml writes in history rows.
const RowFormat = 1

// ErrRowFormat is returned for a row written in a RowFormat this jml
// does not know (by a newer jml).
var ErrRowFormat = errors.New("recorded by a newer jml")

func checkFormat(what string, format int) error {
	if format > RowFormat {
		return fmt.Errorf("%s: %w (history row format %d; this jml reads format %d): upgrade jml to read it", what, ErrRowFormat, format, RowFormat)
	}
	return nil
}

// TraceRecord is runs.trace: a finished run as the engine traced it.
type TraceRecord struct {
	ID        string `json:"id"`
	Flow      string `json:"flow"`
	EventUUID string `json:"eventUuid,omitempty"`
	EventType string `json:"eventType,omitempty"`
	// Mode is apply or dry-run (or plan, test).
	Mode string `json:"mode"`
	// Status is success, filtered, halted or failed.
	Status    string         `json:"status"`
	StartedAt time.Time      `json:"startedAt"`
	EndedAt   time.Time      `json:"endedAt"`
	Error     *ErrorRecord   `json:"error"`
	Cards     []*CardRecord  `json:"cards"`
	Changes   []ChangeRecord `json:"changes"`
	// ResumedFrom is the run this one continues.
	ResumedFrom string `json:"resumedFrom,omitempty"`
	// Simulated lists what the run took from the simulated world where
	// apply asks the real app (a dry-run's).
	Simulated []string `json:"simulated,omitempty"`
}

// CardRecord is one card of a trace, as it ran or was skipped.
type CardRecord struct {
	// Path is the card's full path (helper chain and forEach index
	// included), the key of its journal entries (calls.card).
	Path   string `json:"path"`
	ID     string `json:"id,omitempty"`
	Name   string `json:"name,omitempty"`
	Kind   string `json:"kind"`
	Flow   string `json:"flow"`
	Action string `json:"action,omitempty"`
	// Branch names the arm a nested card ran in (then, else, case X,
	// default, try, catch, item N, call).
	Branch string `json:"branch,omitempty"`
	// Status is success, failed, skipped, filtered or halted.
	Status   string `json:"status"`
	Write    bool   `json:"write,omitempty"`
	Attempts int    `json:"attempts,omitempty"`
	// ReusedFrom is the run whose recorded outputs answered this card.
	ReusedFrom string         `json:"reusedFrom,omitempty"`
	Input      map[string]any `json:"input,omitempty"`
	Output     any            `json:"output,omitempty"`
	Error      *ErrorRecord   `json:"error,omitempty"`
	// Taken is the arm an if or switch card ran (then, else, case VALUE,
	// default), and Value what chose it (the condition, the switch's
	// value). Rows written before Taken existed name the arm in Message:
	// cardsFrom reads it from there.
	Taken string `json:"taken,omitempty"`
	Value any    `json:"value,omitempty"`
	// Message is a halt's message, or why the card was skipped.
	Message   string    `json:"message,omitempty"`
	StartedAt time.Time `json:"startedAt"`
	// Duration is in nanoseconds.
	Duration int64         `json:"duration"`
	Children []*CardRecord `json:"children,omitempty"`
}

// ErrorRecord is runs.error, and the error of a traced card.
type ErrorRecord struct {
	Card      string `json:"card"`
	Action    string `json:"action,omitempty"`
	Message   string `json:"message"`
	Status    int    `json:"status"`
	Code      string `json:"code"`
	Retryable bool   `json:"retryable"`
	Attempts  int    `json:"attempts"`
}

// ChangeRecord is one write the run made.
type ChangeRecord struct {
	Card   string         `json:"card"`
	Action string         `json:"action"`
	With   map[string]any `json:"with"`
	Via    []string       `json:"via"`
	Path   string         `json:"path"`
}

// CallError is calls.error: how one try of a connector call failed.
type CallError struct {
	Code      string `json:"code"`
	Message   string `json:"message"`
	Retryable bool   `json:"retryable"`
	// Status is the HTTP status (0 when the call got no response).
	Status int `json:"status"`
}

// traceOf makes the runs.trace record of a run.
func traceOf(r *engine.Run) *TraceRecord {
	t := &TraceRecord{ID: r.ID, Flow: r.Flow, EventUUID: r.EventUUID, EventType: r.EventType, Mode: string(r.Mode),
		Status: string(r.Status), StartedAt: r.StartedAt, EndedAt: r.EndedAt, Error: errorOf(r.Error),
		Cards: cardsOf(r.Cards), ResumedFrom: r.ResumedFrom, Simulated: r.Simulated}
	if r.Changes != nil {
		t.Changes = make([]ChangeRecord, 0, len(r.Changes))
	}
	for _, c := range r.Changes {
		t.Changes = append(t.Changes, ChangeRecord{Card: c.Card, Action: c.Action, With: c.With, Via: c.Via, Path: c.Path})
	}
	return t
}

func cardsOf(cs []*engine.CardTrace) []*CardRecord {
	if cs == nil {
		return nil
	}
	out := make([]*CardRecord, 0, len(cs))
	for _, c := range cs {
		if c == nil {
			out = append(out, nil)
			continue
		}
		out = append(out, &CardRecord{Path: c.Path, ID: c.ID, Name: c.Name, Kind: c.Kind, Flow: c.Flow, Action: c.Action,
			Branch: c.Branch, Status: string(c.Status), Write: c.Write, Attempts: c.Attempts, ReusedFrom: c.ReusedFrom,
			Input: c.Input, Output: c.Output, Error: errorOf(c.Error), Taken: c.Taken, Value: c.Value, Message: c.Message, StartedAt: c.StartedAt,
			Duration: int64(c.Duration), Children: cardsOf(c.Children)})
	}
	return out
}

// run is the engine run a trace record holds.
func (t *TraceRecord) run() *engine.Run {
	r := &engine.Run{ID: t.ID, Flow: t.Flow, EventUUID: t.EventUUID, EventType: t.EventType, Mode: engine.Mode(t.Mode),
		Status: engine.Status(t.Status), StartedAt: t.StartedAt, EndedAt: t.EndedAt, Error: t.Error.info(),
		Cards: cardsFrom(t.Cards), ResumedFrom: t.ResumedFrom, Simulated: t.Simulated}
	if t.Changes != nil {
		r.Changes = make([]engine.Change, 0, len(t.Changes))
	}
	for _, c := range t.Changes {
		r.Changes = append(r.Changes, engine.Change{Card: c.Card, Action: c.Action, With: c.With, Via: c.Via, Path: c.Path})
	}
	return r
}

func cardsFrom(cs []*CardRecord) []*engine.CardTrace {
	if cs == nil {
		return nil
	}
	out := make([]*engine.CardTrace, 0, len(cs))
	for _, c := range cs {
		if c == nil {
			out = append(out, nil)
			continue
		}
		out = append(out, &engine.CardTrace{Path: c.Path, ID: c.ID, Name: c.Name, Kind: c.Kind, Flow: c.Flow, Action: c.Action,
			Branch: c.Branch, Status: engine.CardStatus(c.Status), Write: c.Write, Attempts: c.Attempts, ReusedFrom: c.ReusedFrom,
			Input: c.Input, Output: c.Output, Error: c.Error.info(), Taken: c.taken(), Value: c.Value, Message: c.Message,
			StartedAt: c.StartedAt, Duration: time.Duration(c.Duration), Children: cardsFrom(c.Children)})
	}
	return out
}

// taken is the arm an if or switch card ran. A row written before Taken
// existed has it only in Message, which for such a card that ran held
// nothing else.
func (c *CardRecord) taken() string {
	if c.Taken != "" || (c.Kind != "if" && c.Kind != "switch") || c.Status == string(engine.CardSkipped) {
		return c.Taken
	}
	return c.Message
}

// errorOf makes the record of an engine error (nil for none).
func errorOf(e *engine.ErrorInfo) *ErrorRecord {
	if e == nil {
		return nil
	}
	return &ErrorRecord{Card: e.Card, Action: e.Action, Message: e.Message, Status: e.Status, Code: e.Code,
		Retryable: e.Retryable, Attempts: e.Attempts}
}

// info is the engine error a record holds (nil for none).
func (e *ErrorRecord) info() *engine.ErrorInfo {
	if e == nil {
		return nil
	}
	return &engine.ErrorInfo{Card: e.Card, Action: e.Action, Message: e.Message, Status: e.Status, Code: e.Code,
		Retryable: e.Retryable, Attempts: e.Attempts}
}

// callErrorOf makes the calls.error record of a connector error.
func callErrorOf(e *effect.Error) CallError {
	return CallError{Code: e.Code, Message: e.Message, Retryable: e.Retryable, Status: e.Status}
}

// DecodeTrigger returns what the run was run for, as jml resume and
// history diff run it again: the event it recorded (and no instant), or,
// for a schedule firing (Event schedule@INSTANT, engine.ScheduleKey), nil
// and the instant.
func (r *RunRow) DecodeTrigger() (*event.Event, time.Time, error) {
	if inst, ok := strings.CutPrefix(r.Event, "schedule@"); ok {
		t, err := time.Parse(time.RFC3339, inst)
		if err != nil {
			return nil, time.Time{}, fmt.Errorf("run %s: schedule instant %q: %v", r.ID, inst, err)
		}
		return nil, t.UTC(), nil
	}
	if r.EventJSON == "" {
		return nil, time.Time{}, fmt.Errorf("run %s recorded no event (a schedule run?): it cannot be replayed", r.ID)
	}
	s, err := event.Decode(strings.NewReader(r.EventJSON+"\n"), "run "+r.ID, event.Options{})
	if err != nil {
		return nil, time.Time{}, err
	}
	defer s.Close()
	ev, err := s.Next()
	if err != nil {
		return nil, time.Time{}, err
	}
	return ev, time.Time{}, nil
}

// DecodeTrace returns the finished run recorded in runs.trace (nil when
// the run never finished).
func (r *RunRow) DecodeTrace() (*engine.Run, error) {
	if r.Trace == "" {
		return nil, nil
	}
	if err := checkFormat("run "+r.ID, r.Format); err != nil {
		return nil, err
	}
	var t TraceRecord
	if err := json.Unmarshal([]byte(r.Trace), &t); err != nil {
		return nil, fmt.Errorf("run %s: the recorded trace is not readable: %v", r.ID, err)
	}
	return t.run(), nil
}

// DecodeError returns the error recorded in runs.error (nil when none).
func (r *RunRow) DecodeError() (*engine.ErrorInfo, error) {
	if r.Error == "" {
		return nil, nil
	}
	if err := checkFormat("run "+r.ID, r.Format); err != nil {
		return nil, err
	}
	var e ErrorRecord
	if err := json.Unmarshal([]byte(r.Error), &e); err != nil {
		return nil, fmt.Errorf("run %s: the recorded error is not readable: %v", r.ID, err)
	}
	return e.info(), nil
}

// DecodeError returns the error recorded in calls.error (nil when none).
func (c *CallRow) DecodeError() (*CallError, error) {
	if c.Error == "" {
		return nil, nil
	}
	if err := checkFormat(fmt.Sprintf("run %s call %d", c.RunID, c.Seq), c.Format); err != nil {
		return nil, err
	}
	var e CallError
	if err := json.Unmarshal([]byte(c.Error), &e); err != nil {
		return nil, fmt.Errorf("run %s call %d: the recorded error is not readable: %v", c.RunID, c.Seq, err)
	}
	return &e, nil
}

// cardOutcome is the part of a CardRecord the card rates read
// (query.go: CardRates), decoded alone: a flow's page reads hundreds of
// traces.
type cardOutcome struct {
	Path     string         `json:"path"`
	Flow     string         `json:"flow"`
	Status   string         `json:"status"`
	Children []*cardOutcome `json:"children,omitempty"`
}

// cardOutcomes reads the cards of a runs.trace.
func cardOutcomes(trace string) ([]*cardOutcome, error) {
	var t struct {
		Cards []*cardOutcome `json:"cards"`
	}
	if err := json.Unmarshal([]byte(trace), &t); err != nil {
		return nil, err
	}
	return t.Cards, nil
}

// VerifyRecord is verify_results.result: one user's row of the latest
// jml verify matrix that named them.
type VerifyRecord struct {
	// User is the login (else the key verify was given); ID the Okta
	// user id, when known.
	User string `json:"user"`
	ID   string `json:"id,omitempty"`
	// CheckedAt is when verify ran; Source what it read: "vendors" (the
	// real connectors) or "sandbox URL".
	CheckedAt time.Time `json:"checkedAt"`
	Source    string    `json:"source"`
	// Leaver is verify's verdict on the user (verify.Row.Leaver).
	Leaver bool `json:"leaver"`
	// Okta is the user in the Okta instance (nil without one); Apps the
	// user in every other instance, in jml.yaml order.
	Okta *VerifyCellRecord  `json:"okta,omitempty"`
	Apps []VerifyCellRecord `json:"apps"`
}

// VerifyCellRecord is one user in one instance.
type VerifyCellRecord struct {
	Instance string `json:"instance"`
	Type     string `json:"type,omitempty"`
	State    string `json:"state"`
	Detail   string `json:"detail,omitempty"`
	Orphan   bool   `json:"orphan,omitempty"`
}

// VerifyRecordsOf makes the records of a verify matrix, a row each.
func VerifyRecordsOf(m *verify.Matrix, at time.Time, source string) []*VerifyRecord {
	var out []*VerifyRecord
	for _, r := range m.Rows {
		rec := &VerifyRecord{User: r.User, ID: r.ID, CheckedAt: at.UTC(), Source: source, Leaver: r.Leaver, Apps: []VerifyCellRecord{}}
		if r.Okta != nil {
			c := cellRecord(m.Okta, "okta", *r.Okta)
			rec.Okta = &c
		}
		for i, c := range r.Cells {
			rec.Apps = append(rec.Apps, cellRecord(m.Apps[i].Name, m.Apps[i].Type, c))
		}
		out = append(out, rec)
	}
	return out
}

func cellRecord(instance, typ string, c verify.Cell) VerifyCellRecord {
	return VerifyCellRecord{Instance: instance, Type: typ, State: string(c.State), Detail: c.Detail, Orphan: c.Orphan}
}

// Cell is the verify cell a record holds.
func (c VerifyCellRecord) Cell() verify.Cell {
	return verify.Cell{State: verify.State(c.State), Detail: c.Detail, Orphan: c.Orphan}
}
