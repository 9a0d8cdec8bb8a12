// Package plan is the plan of SPEC §7: the change set of a replay per
// event and flow, with the digest of the repository it was computed from.
// A Plan holds engine values; its JSON document (formatVersion 1, what
// `jml plan -o` saves and `jml apply` reads) has types of its own in
// wire.go, whose field names are a contract other tools consume: fields
// may be added, never renamed.
//
// plan depends on engine (for runs and changes) only.
package plan

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"

	"github.com/jml-dev/jml/pkg/engine"
)

// FormatVersion is the version of the plan JSON (JSONPlan).
const FormatVersion = 1

// Plan is a saved or printed plan. It is never encoded as it is: its
// MarshalJSON and UnmarshalJSON go through the document (wire.go), so a
// field added here reaches plan JSON only once JSONPlan has it.
type Plan struct {
	FormatVersion int
	Digest        string
	// Files maps each file the digest covers (jml.yaml and every flow, by
	// path relative to the repository root) to its own sha256, so that a
	// stale plan can name what changed.
	Files   map[string]string
	Events  []Event
	Summary Summary
	// Inputs are what apply needs to carry the plan out.
	Inputs *Inputs
}

// Event is one event of the plan and the runs it fired.
type Event struct {
	UUID      string
	EventType string
	Published string
	Runs      []Run
}

// Run is one flow's run for an event.
type Run struct {
	Flow    string
	Status  engine.Status
	Changes []engine.Change
	Error   *engine.ErrorInfo
	// Simulated lists what the run took from the simulated world where
	// apply asks the real app (engine.SimulatedProfile).
	Simulated []string
	// Ignored are the failures of action cards the run went on after
	// (engine.Run.Ignored).
	Ignored []engine.ErrorInfo
}

// Summary counts the plan.
type Summary struct {
	Events  int
	Runs    int
	Changes int
	// ByStatus counts runs per status.
	ByStatus map[engine.Status]int
	// DisabledFlows lists flows that matched some event but are disabled.
	DisabledFlows []string
	// Duplicates counts events dropped because their uuid was seen before.
	Duplicates int
	// Skipped counts malformed events skipped under --keep-going.
	Skipped int
	// BlastRadius is how many distinct users the plan's runs would
	// deprovision (deactivate, suspend, disable, clear sessions…), against
	// the guardrail apply enforces. Its JSON is part of the document.
	BlastRadius *BlastRadius
}

// BlastRadius counts the people a plan deprovisions.
type BlastRadius struct {
	// Users is the number of distinct people with at least one planned
	// deprovisioning change (see CountDeprovisions).
	Users int `json:"users"`
	// Limit is guardrails.maxDeprovisionsPerApply.
	Limit int `json:"maxDeprovisionsPerApply"`
	// Exceeded is true when Users > Limit: apply would refuse without
	// --allow-mass-deprovision.
	Exceeded bool `json:"exceeded"`
	// CountedBy says which key gave the count: "okta user id" (the
	// events' users), or INSTANCE.INPUT of the writes (slack.email).
	CountedBy string `json:"countedBy,omitempty"`
	// by holds, per key, the distinct values seen.
	by map[string]map[string]bool
}

// eventUserKey is the key of the events' Okta user ids.
const eventUserKey = "okta user id"

// NewBlastRadius returns an empty count against limit.
func NewBlastRadius(limit int) *BlastRadius {
	return &BlastRadius{Limit: limit, by: map[string]map[string]bool{}}
}

// CountDeprovisions adds an event's runs to the plan's blast radius (made
// with limit on first use). subject reports, for an INSTANCE.ACTION that
// deprovisions, the input naming the person. It is the one count of the
// guardrail: plan shows it, apply refuses by it.
func (p *Plan) CountDeprovisions(oktaID string, runs []*engine.Run, subject func(action string) (string, bool), limit int) {
	if p.Summary.BlastRadius == nil {
		p.Summary.BlastRadius = NewBlastRadius(limit)
	}
	p.Summary.BlastRadius.Count(oktaID, runs, subject)
}

// Count adds the deprovisioning changes of one event's runs. A person is
// distinct by Okta id and by every account the deprovisioning writes
// target: the count is the largest number of distinct values along any one
// key — the event user's Okta id, or one instance's subject input
// (slack.email, google.userKey…). So one person named two ways (by id in
// Okta, by email in Slack) counts once, and 60 events that repeat one Okta
// id but whose writes target 60 emails count 60.
func (b *BlastRadius) Count(oktaID string, runs []*engine.Run, subject func(action string) (string, bool)) {
	add := func(key, v string) {
		if v == "" {
			return
		}
		if strings.Contains(v, "@") {
			v = strings.ToLower(strings.TrimSpace(v))
		}
		if b.by[key] == nil {
			b.by[key] = map[string]bool{}
		}
		b.by[key][v] = true
	}
	for _, r := range runs {
		for _, c := range r.Changes {
			in, ok := subject(c.Action)
			if !ok {
				continue
			}
			add(eventUserKey, oktaID)
			inst, _, _ := strings.Cut(c.Action, ".")
			v := c.With[in]
			s, isStr := v.(string)
			if !isStr && v != nil {
				s = fmt.Sprint(v)
			}
			add(inst+"."+in, s)
		}
	}
	b.tally()
}

// People returns the distinct people counted, per key (the event users'
// Okta ids, or INSTANCE.INPUT): what AddPeople takes back, so that a
// count can be kept over a time window (jml serve's hourly guardrail) by
// the same rule.
func (b *BlastRadius) People() map[string][]string {
	out := map[string][]string{}
	for k, vs := range b.by {
		for v := range vs {
			out[k] = append(out[k], v)
		}
		sort.Strings(out[k])
	}
	return out
}

// AddPeople adds people counted before (People of another count) and
// counts again.
func (b *BlastRadius) AddPeople(people map[string][]string) {
	if b.by == nil {
		b.by = map[string]map[string]bool{}
	}
	for k, vs := range people {
		if b.by[k] == nil {
			b.by[k] = map[string]bool{}
		}
		for _, v := range vs {
			b.by[k][v] = true
		}
	}
	b.tally()
}

// tally sets Users, CountedBy and Exceeded from the people counted.
func (b *BlastRadius) tally() {
	b.Users, b.CountedBy = 0, ""
	keys := make([]string, 0, len(b.by))
	for k := range b.by {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if n := len(b.by[k]); n > b.Users || n == b.Users && k == eventUserKey {
			b.Users, b.CountedBy = n, k
		}
	}
	b.Exceeded = b.Users > b.Limit
}

// Message is the guardrail's refusal (or, under the limit, its count).
func (b *BlastRadius) Message() string {
	by := ""
	if b.CountedBy != "" {
		by = " (distinct " + b.CountedBy + "s)"
	}
	if !b.Exceeded {
		return fmt.Sprintf("guardrail maxDeprovisionsPerApply: %d distinct people deprovisioned%s, within the limit of %d", b.Users, by, b.Limit)
	}
	return fmt.Sprintf("guardrail maxDeprovisionsPerApply: these events would deprovision %d distinct people%s, more than the limit of %d; nothing was called (use --allow-mass-deprovision if this is really intended)", b.Users, by, b.Limit)
}

// Inputs are the inputs of a saved plan: the events (raw LogEvents) and
// what selected the flows.
type Inputs struct {
	Events []map[string]any `json:"events"`
	Flow   string           `json:"flow,omitempty"`
	At     string           `json:"at,omitempty"`
}

// New returns an empty plan for a repository digest.
func New(digest string, files map[string]string) *Plan {
	if files == nil {
		files = map[string]string{}
	}
	return &Plan{FormatVersion: FormatVersion, Digest: digest, Files: files, Events: []Event{}, Summary: NewSummary()}
}

// NewSummary returns empty counts: an empty (not nil) map and list, so
// that the document shows {} and [].
func NewSummary() Summary {
	return Summary{ByStatus: map[engine.Status]int{}, DisabledFlows: []string{}}
}

// NewEvent makes an event of the plan from one trigger's runs, ordered by
// flow name.
func NewEvent(uuid, eventType, published string, runs []*engine.Run) Event {
	ev := Event{UUID: uuid, EventType: eventType, Published: published, Runs: []Run{}}
	sorted := append([]*engine.Run{}, runs...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].Flow < sorted[j].Flow })
	for _, r := range sorted {
		changes := r.Changes
		if changes == nil {
			changes = []engine.Change{}
		}
		ev.Runs = append(ev.Runs, Run{Flow: r.Flow, Status: r.Status, Changes: changes, Error: r.Error, Simulated: r.Simulated, Ignored: r.Ignored()})
	}
	return ev
}

// Count adds an event's runs, changes and statuses, and the disabled
// flows it matched, to the summary. It does not count the event itself
// (summary.events counts events read, and a schedule instant is not one).
// A summary is aggregates only: a streamed plan keeps it, not its events.
func (s *Summary) Count(ev Event, disabled []string) {
	if s.ByStatus == nil {
		s.ByStatus = map[engine.Status]int{}
	}
	for _, r := range ev.Runs {
		s.Runs++
		s.Changes += len(r.Changes)
		s.ByStatus[r.Status]++
	}
	added := false
	for _, d := range disabled {
		if !contains(s.DisabledFlows, d) {
			s.DisabledFlows = append(s.DisabledFlows, d)
			added = true
		}
	}
	if added {
		sort.Strings(s.DisabledFlows)
	}
}

// Add records an event's runs (runs ordered by flow name) and the disabled
// flows it matched.
func (p *Plan) Add(uuid, eventType, published string, runs []*engine.Run, disabled []string) {
	ev := NewEvent(uuid, eventType, published, runs)
	p.Summary.Count(ev, disabled)
	p.Summary.Events++
	p.Events = append(p.Events, ev)
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

// Digest computes the repository digest: sha256 over each file's path and
// raw bytes, in path order (any byte changed, a comment included, changes
// it). It also returns each file's own sha256.
func Digest(files map[string][]byte) (string, map[string]string) {
	paths := make([]string, 0, len(files))
	for p := range files {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	h := sha256.New()
	each := make(map[string]string, len(files))
	for _, p := range paths {
		sum := sha256.Sum256(files[p])
		each[p] = "sha256:" + hex.EncodeToString(sum[:])
		h.Write([]byte(p))
		h.Write([]byte{0})
		h.Write(sum[:])
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil)), each
}

// Stale returns the files whose digest differs between a saved plan and
// the current repository (added, removed or changed), sorted.
func Stale(saved, current map[string]string) []string {
	var out []string
	for p, d := range saved {
		if current[p] != d {
			out = append(out, p)
		}
	}
	for p := range current {
		if _, ok := saved[p]; !ok {
			out = append(out, p)
		}
	}
	sort.Strings(out)
	return out
}

// HasChanges reports whether any run would make a change.
func (p *Plan) HasChanges() bool { return p.Summary.Changes > 0 }
