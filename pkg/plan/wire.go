package plan

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"

	"github.com/jml-dev/jml/pkg/engine"
)

// The plan document (SPEC §7) has types of its own, apart from the Plan
// the CLI builds from engine runs — as Terraform keeps jsonplan beside
// plans.Plan. Their JSON field names are a contract: `jml plan -o` writes
// them, `jml apply PLANFILE` and other tools read them, and a plan file
// written by an older jml of the same formatVersion must keep reading. So
// no engine type appears in them, and engine values become plan JSON (and
// back) in one place: toJSON and fromJSON. Renaming an engine field breaks
// the build there instead of silently changing stored plans.
//
// Within a formatVersion, fields may be added, never renamed or removed,
// and readers ignore the fields they do not know. Anything else is the next
// formatVersion, which this jml refuses by name (Decode).

// JSONPlan is the plan document: what `jml plan -o` saves and `jml plan
// --format json` prints.
type JSONPlan struct {
	FormatVersion int `json:"formatVersion"`
	// Digest is the sha256 of jml.yaml and every flow file (Digest).
	Digest string `json:"digest"`
	// Files maps each of those files, by path relative to the repository
	// root, to its own sha256.
	Files   map[string]string `json:"files"`
	Events  []JSONEvent       `json:"events"`
	Summary JSONSummary       `json:"summary"`
	// Inputs are what apply needs to carry the plan out (plan -o only).
	Inputs *Inputs `json:"inputs,omitempty"`
}

// JSONEvent is one event of the document and the runs it fired, ordered
// by flow name.
type JSONEvent struct {
	UUID      string    `json:"uuid"`
	EventType string    `json:"eventType"`
	Published string    `json:"published"`
	Runs      []JSONRun `json:"runs"`
}

// JSONRun is one flow's run for an event.
type JSONRun struct {
	Flow string `json:"flow"`
	// Status is success, filtered, halted or failed.
	Status  string       `json:"status"`
	Changes []JSONChange `json:"changes"`
	// Error is null unless the run halted or failed.
	Error *JSONError `json:"error"`
	// Simulated lists what the run took from the simulated world where
	// apply asks the real app (the user's Okta profile): where this plan
	// may differ from apply. Absent when nothing was.
	Simulated []string `json:"simulated,omitempty"`
	// Ignored are the failures of action cards the run went on after (an
	// onError: continue, a try's catch): what the run did not do though
	// it may have succeeded. Absent when none.
	Ignored []JSONError `json:"ignored,omitempty"`
}

// JSONChange is one write that would succeed, in execution order.
type JSONChange struct {
	// Card is the card's id (else its path in its flow).
	Card string `json:"card"`
	// Action is INSTANCE.ACTION.
	Action string         `json:"action"`
	With   map[string]any `json:"with"`
	// Via lists the helper flows the write is made in, outermost first.
	Via []string `json:"via"`
	// Path is the card's full path, helper chain and forEach index
	// included.
	Path string `json:"path"`
}

// JSONError is why a run halted or failed.
type JSONError struct {
	Card      string `json:"card"`
	Action    string `json:"action,omitempty"`
	Message   string `json:"message"`
	Status    int    `json:"status"`
	Code      string `json:"code"`
	Retryable bool   `json:"retryable"`
	Attempts  int    `json:"attempts"`
}

func jsonError(e engine.ErrorInfo) JSONError {
	return JSONError{Card: e.Card, Action: e.Action, Message: e.Message, Status: e.Status, Code: e.Code,
		Retryable: e.Retryable, Attempts: e.Attempts}
}

func errorInfo(e JSONError) engine.ErrorInfo {
	return engine.ErrorInfo{Card: e.Card, Action: e.Action, Message: e.Message, Status: e.Status, Code: e.Code,
		Retryable: e.Retryable, Attempts: e.Attempts}
}

// JSONSummary counts the document.
type JSONSummary struct {
	Events        int            `json:"events"`
	Runs          int            `json:"runs"`
	Changes       int            `json:"changes"`
	ByStatus      map[string]int `json:"byStatus"`
	DisabledFlows []string       `json:"disabledFlows"`
	Duplicates    int            `json:"duplicates"`
	Skipped       int            `json:"skipped"`
	// BlastRadius is plan's own type (no engine value in it): its JSON
	// field names are part of this contract too.
	BlastRadius *BlastRadius `json:"blastRadius,omitempty"`
}

// toJSON is the one place a Plan (and the engine values it holds) becomes
// the plan document; the streaming Writer uses its parts (eventJSON,
// summaryJSON), one event at a time.
func toJSON(p *Plan) *JSONPlan {
	d := &JSONPlan{FormatVersion: FormatVersion, Digest: p.Digest, Files: p.Files, Inputs: p.Inputs, Summary: summaryJSON(p.Summary)}
	if p.Events != nil {
		d.Events = make([]JSONEvent, 0, len(p.Events))
	}
	for _, ev := range p.Events {
		d.Events = append(d.Events, eventJSON(ev))
	}
	return d
}

// eventJSON is one event of the document.
func eventJSON(ev Event) JSONEvent {
	je := JSONEvent{UUID: ev.UUID, EventType: ev.EventType, Published: ev.Published}
	if ev.Runs != nil {
		je.Runs = make([]JSONRun, 0, len(ev.Runs))
	}
	for _, r := range ev.Runs {
		jr := JSONRun{Flow: r.Flow, Status: string(r.Status), Simulated: r.Simulated}
		if r.Changes != nil {
			jr.Changes = make([]JSONChange, 0, len(r.Changes))
		}
		for _, c := range r.Changes {
			jr.Changes = append(jr.Changes, JSONChange{Card: c.Card, Action: c.Action, With: c.With, Via: c.Via, Path: c.Path})
		}
		if e := r.Error; e != nil {
			x := jsonError(*e)
			jr.Error = &x
		}
		for _, e := range r.Ignored {
			jr.Ignored = append(jr.Ignored, jsonError(e))
		}
		je.Runs = append(je.Runs, jr)
	}
	return je
}

// summaryJSON is the document's summary.
func summaryJSON(s Summary) JSONSummary {
	js := JSONSummary{Events: s.Events, Runs: s.Runs, Changes: s.Changes,
		DisabledFlows: s.DisabledFlows, Duplicates: s.Duplicates, Skipped: s.Skipped,
		BlastRadius: s.BlastRadius}
	if s.ByStatus != nil {
		js.ByStatus = make(map[string]int, len(s.ByStatus))
		for st, n := range s.ByStatus {
			js.ByStatus[string(st)] = n
		}
	}
	return js
}

// fromJSON is the one place the plan document becomes a Plan.
func fromJSON(d *JSONPlan) *Plan {
	p := &Plan{FormatVersion: d.FormatVersion, Digest: d.Digest, Files: d.Files, Inputs: d.Inputs,
		Summary: Summary{Events: d.Summary.Events, Runs: d.Summary.Runs, Changes: d.Summary.Changes,
			DisabledFlows: d.Summary.DisabledFlows, Duplicates: d.Summary.Duplicates, Skipped: d.Summary.Skipped,
			BlastRadius: d.Summary.BlastRadius}}
	if d.Events != nil {
		p.Events = make([]Event, 0, len(d.Events))
	}
	for _, je := range d.Events {
		ev := Event{UUID: je.UUID, EventType: je.EventType, Published: je.Published}
		if je.Runs != nil {
			ev.Runs = make([]Run, 0, len(je.Runs))
		}
		for _, jr := range je.Runs {
			r := Run{Flow: jr.Flow, Status: engine.Status(jr.Status), Simulated: jr.Simulated}
			if jr.Changes != nil {
				r.Changes = make([]engine.Change, 0, len(jr.Changes))
			}
			for _, c := range jr.Changes {
				r.Changes = append(r.Changes, engine.Change{Card: c.Card, Action: c.Action, With: c.With, Via: c.Via, Path: c.Path})
			}
			if e := jr.Error; e != nil {
				ei := errorInfo(*e)
				r.Error = &ei
			}
			for _, e := range jr.Ignored {
				r.Ignored = append(r.Ignored, errorInfo(e))
			}
			ev.Runs = append(ev.Runs, r)
		}
		p.Events = append(p.Events, ev)
	}
	if d.Summary.ByStatus != nil {
		p.Summary.ByStatus = make(map[engine.Status]int, len(d.Summary.ByStatus))
		for s, n := range d.Summary.ByStatus {
			p.Summary.ByStatus[engine.Status(s)] = n
		}
	}
	return p
}

// JSON returns the plan document of p.
func (p *Plan) JSON() *JSONPlan { return toJSON(p) }

// MarshalJSON writes a Plan as its document, so that every encoding of a
// plan — a saved file, --format json — goes through toJSON.
func (p Plan) MarshalJSON() ([]byte, error) { return json.Marshal(toJSON(&p)) }

// UnmarshalJSON reads a plan document (Decode).
func (p *Plan) UnmarshalJSON(data []byte) error {
	d, err := Decode(data)
	if err != nil {
		return err
	}
	*p = *d
	return nil
}

// ErrNotPlan is returned for JSON that is not a plan document.
var ErrNotPlan = errors.New("not a plan file")

// Decode reads a plan document. It refuses a formatVersion other than
// FormatVersion, by name, before reading anything else.
func Decode(data []byte) (*Plan, error) {
	var head struct {
		FormatVersion *int `json:"formatVersion"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNotPlan, err)
	}
	if head.FormatVersion == nil {
		return nil, fmt.Errorf("%w: no formatVersion", ErrNotPlan)
	}
	if *head.FormatVersion != FormatVersion {
		return nil, fmt.Errorf("plan formatVersion %d, this jml reads %d", *head.FormatVersion, FormatVersion)
	}
	var d JSONPlan
	if err := json.Unmarshal(data, &d); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNotPlan, err)
	}
	return fromJSON(&d), nil
}

// Read reads the plan file at path (jml plan -o). It does not check the
// digest: see Stale.
func Read(path string) (*Plan, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	p, err := Decode(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	return p, nil
}
