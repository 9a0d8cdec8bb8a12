package cli

import (
	"context"
	"fmt"

	"github.com/jml-dev/jml/pkg/apply"
	"github.com/jml-dev/jml/pkg/effect"
	"github.com/jml-dev/jml/pkg/temporal"
)

// applyTemporalRun is jml apply --temporal: one workflow per flow each
// event fires, started on the Temporal frontend for jml worker to run.
// Before anything starts it is the apply every other is: the plan made
// against the simulated world, the guardrail on the people it would
// deprovision (--allow-mass-deprovision) and the confirmation
// (--auto-approve) — nothing reaches Temporal before them. It prints each
// workflow's id and run id; Temporal refuses a second start for the same
// event and flow.
func applyTemporalRun(o *ApplyOptions) error {
	io := o.IO
	if o.At != "" || o.Window != "" || o.Flow != "" {
		return usageError{fmt.Errorf("--temporal takes EVENTS only (not --at, --window or --flow)")}
	}
	if len(o.Args) == 1 && isPlanFile(io.Path(o.Args[0])) {
		return usageError{fmt.Errorf("--temporal takes EVENTS, not a saved plan")}
	}
	proj, _, err := loadForReplay(loadOptions{IO: io, Color: o.Color, Config: o.Config})
	if err != nil {
		return err
	}
	// Where to start the workflows is checked before the plan and the
	// confirmation: a bad temporal: section is said before anything is asked.
	conn, queue, err := temporalConn(io, proj, temporalFlags{o.Temporal, o.Namespace, o.TaskQueue}, &effect.Redactor{})
	if err != nil {
		return err
	}
	j := &applyJob{io: io, color: o.Color, ApplyFlags: o.ApplyFlags, clock: o.Clock, proj: proj}
	if err := j.fromArgs(o); err != nil {
		return err
	}
	p, err := j.plan()
	if err != nil {
		return err
	}
	if err := apply.Guardrail(p, proj.Graph.MaxDeprovisions(), j.AllowMassDeprovision); err != nil {
		return err
	}
	if err := j.confirm(p); err != nil {
		return err
	}
	c, err := temporal.Dial(conn, nil)
	if err != nil {
		return err
	}
	defer c.Close()
	ctx := context.Background()
	for _, ev := range j.events {
		runs, err := temporal.Start(ctx, c, queue, proj.Graph, ev)
		for _, r := range runs {
			fmt.Fprintf(io.Out, "started %s (run %s)\n", r.GetID(), r.GetRunID())
		}
		if err != nil {
			return err
		}
	}
	return nil
}
