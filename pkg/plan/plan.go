// Package plan is the plan document of SPEC §7: the change set of a replay
// per event and flow, with the digest of the repository it was computed
// from. Its JSON field names are a contract other tools consume; fields
// may be added, never renamed.
//
// plan depends on engine (for runs and changes) only.
package plan

import (
	"crypto/sha256"
	"encoding/hex"
	"sort"

	"github.com/jml-dev/jml/pkg/engine"
)

// FormatVersion is the version of the plan JSON.
const FormatVersion = 1

// Plan is a saved or printed plan.
type Plan struct {
	FormatVersion int    `json:"formatVersion"`
	Digest        string `json:"digest"`
	// Files maps each file the digest covers (jml.yaml and every flow, by
	// path relative to the repository root) to its own sha256, so that a
	// stale plan can name what changed.
	Files   map[string]string `json:"files"`
	Events  []Event           `json:"events"`
	Summary Summary           `json:"summary"`
	// Inputs are what apply needs to carry the plan out.
	Inputs *Inputs `json:"inputs,omitempty"`
}

// Event is one event of the plan and the runs it fired.
type Event struct {
	UUID      string `json:"uuid"`
	EventType string `json:"eventType"`
	Published string `json:"published"`
	Runs      []Run  `json:"runs"`
}

// Run is one flow's run for an event.
type Run struct {
	Flow    string            `json:"flow"`
	Status  engine.Status     `json:"status"`
	Changes []engine.Change   `json:"changes"`
	Error   *engine.ErrorInfo `json:"error"`
}

// Summary counts the plan.
type Summary struct {
	Events  int `json:"events"`
	Runs    int `json:"runs"`
	Changes int `json:"changes"`
	// ByStatus counts runs per status.
	ByStatus map[engine.Status]int `json:"byStatus"`
	// DisabledFlows lists flows that matched some event but are disabled.
	DisabledFlows []string `json:"disabledFlows"`
	// Duplicates counts events dropped because their uuid was seen before.
	Duplicates int `json:"duplicates"`
	// Skipped counts malformed events skipped under --keep-going.
	Skipped int `json:"skipped"`
	// BlastRadius is how many distinct users the plan's runs would
	// deprovision (deactivate, suspend, disable, clear sessions…), against
	// the guardrail apply enforces.
	BlastRadius *BlastRadius `json:"blastRadius,omitempty"`
}

// BlastRadius counts the users a plan deprovisions.
type BlastRadius struct {
	// Users is the number of distinct users (Okta id, else login) with at
	// least one planned deprovisioning change.
	Users int `json:"users"`
	// Limit is guardrails.maxDeprovisionsPerApply.
	Limit int `json:"maxDeprovisionsPerApply"`
	// Exceeded is true when Users > Limit: apply would refuse without
	// --allow-mass-deprovision.
	Exceeded bool `json:"exceeded"`
	users    map[string]bool
}

// CountDeprovisions adds the user of runs that make a deprovisioning change
// (deprovisions reports whether an INSTANCE.ACTION is one) to the blast
// radius, whose limit is limit.
func (p *Plan) CountDeprovisions(user string, runs []*engine.Run, deprovisions func(action string) bool, limit int) {
	b := p.Summary.BlastRadius
	if b == nil {
		b = &BlastRadius{Limit: limit, users: map[string]bool{}}
		p.Summary.BlastRadius = b
	}
	for _, r := range runs {
		for _, c := range r.Changes {
			if deprovisions(c.Action) {
				b.users[user] = true
			}
		}
	}
	b.Users = len(b.users)
	b.Exceeded = b.Users > b.Limit
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
	return &Plan{FormatVersion: FormatVersion, Digest: digest, Files: files, Events: []Event{},
		Summary: Summary{ByStatus: map[engine.Status]int{}, DisabledFlows: []string{}}}
}

// Add records an event's runs (runs ordered by flow name) and the disabled
// flows it matched.
func (p *Plan) Add(uuid, eventType, published string, runs []*engine.Run, disabled []string) {
	ev := Event{UUID: uuid, EventType: eventType, Published: published, Runs: []Run{}}
	sorted := append([]*engine.Run{}, runs...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].Flow < sorted[j].Flow })
	for _, r := range sorted {
		changes := r.Changes
		if changes == nil {
			changes = []engine.Change{}
		}
		ev.Runs = append(ev.Runs, Run{Flow: r.Flow, Status: r.Status, Changes: changes, Error: r.Error})
		p.Summary.Runs++
		p.Summary.Changes += len(changes)
		p.Summary.ByStatus[r.Status]++
	}
	p.Events = append(p.Events, ev)
	p.Summary.Events++
	for _, d := range disabled {
		if !contains(p.Summary.DisabledFlows, d) {
			p.Summary.DisabledFlows = append(p.Summary.DisabledFlows, d)
		}
	}
	sort.Strings(p.Summary.DisabledFlows)
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
