package replay

import (
	"github.com/jml-dev/jml/pkg/compile"
	"github.com/jml-dev/jml/pkg/plan"
)

// Planner turns replay results into a plan: the change set per trigger
// and flow, and the blast radius. It is the one place that does, for
// jml plan, apply's guardrail and confirmation, and plan --compare, so
// that plan's "exceeded" is exactly apply's refusal.
type Planner struct {
	Plan  *plan.Plan
	graph *compile.Graph
	limit int
	// inputs, when kept, collects what apply needs to carry the plan out.
	inputs *plan.Inputs
}

// NewPlanner returns a planner for a repository's graph and digest.
func NewPlanner(g *compile.Graph, digest string, files map[string]string) *Planner {
	return &Planner{Plan: plan.New(digest, files), graph: g, limit: g.MaxDeprovisions()}
}

// KeepInputs makes the planner keep the events (for a saved plan).
func (p *Planner) KeepInputs(flow, at string) {
	p.inputs = &plan.Inputs{Flow: flow, At: at, Events: []map[string]any{}}
}

// Inputs returns the kept inputs, or nil.
func (p *Planner) Inputs() *plan.Inputs { return p.inputs }

// Add records one trigger's runs; a schedule instant that fired nothing
// is left out.
func (p *Planner) Add(r Result) {
	if r.Event == nil && len(r.Runs) == 0 {
		return
	}
	uuid, typ, pub := r.Trigger()
	p.Plan.Add(uuid, typ, pub, r.Runs, r.Disabled)
	oktaID := ""
	if r.Event != nil {
		if t := r.Event.Target("User"); t != nil {
			oktaID, _ = t["id"].(string)
		}
		if oktaID == "" {
			// No Okta id: the event's uuid keeps its user apart.
			oktaID = "event:" + r.Event.UUID
		}
		if p.inputs != nil {
			p.inputs.Events = append(p.inputs.Events, r.Event.Raw)
		}
	} else {
		p.Plan.Summary.Events-- // schedule instants are not events
	}
	p.Plan.CountDeprovisions(oktaID, r.Runs, p.graph.Subject, p.limit)
}

// Finish sets the counts a plan has even without events (a blast radius
// of 0 against the limit).
func (p *Planner) Finish(stats Stats) *plan.Plan {
	if p.Plan.Summary.BlastRadius == nil {
		p.Plan.Summary.BlastRadius = plan.NewBlastRadius(p.limit)
	}
	p.Plan.Summary.Duplicates, p.Plan.Summary.Skipped = stats.Duplicates, stats.Skipped
	return p.Plan
}
