package apply

import (
	"errors"

	"github.com/jml-dev/jml/pkg/plan"
)

// Guardrail checks, before anything is called, the plan of the triggers
// an apply is about to run — the saved plan, or one made now exactly as
// jml plan makes it — against limit (guardrails.maxDeprovisionsPerApply):
// above it, the apply is refused, naming the count, unless allow
// (--allow-mass-deprovision). The plan's blast radius is set to what it
// was checked against, for the confirmation that shows it.
func Guardrail(p *plan.Plan, limit int, allow bool) error {
	guard := p.Summary.BlastRadius
	if guard == nil {
		guard = plan.NewBlastRadius(limit)
	}
	guard.Limit = limit
	guard.Exceeded = guard.Users > guard.Limit
	if guard.Exceeded && !allow {
		return errors.New(guard.Message())
	}
	return nil
}
