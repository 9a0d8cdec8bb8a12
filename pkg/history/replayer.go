package history

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/jml-dev/jml/pkg/effect"
)

// Journaled answers the calls of a replay of a recorded run from that
// run's journal: a call today's flow makes at the same card, with the same
// action and inputs, gets the answer the run got (its output, or its
// error, attempt by attempt). Writes are passed to next as well (a plan's
// simulated world keeps their effects) but answered from the record, so
// the ids the run really got flow on. A call the run did not make goes to
// next alone (the simulated world, which marks its answers simulated).
//
// It is what `jml history diff` reads with: the run's own reads, never the
// simulated world's guesses, decide today's branches.
func Journaled(calls []*CallRow, isWrite func(action string, input map[string]any) bool, next effect.Effector) effect.Effector {
	j := &journaled{next: next, isWrite: isWrite, byKey: map[string][]*CallRow{}}
	for _, c := range calls {
		switch c.Status {
		case CallSuccess, CallReused, CallFailed:
			k := c.Card + "\x00" + c.Action
			j.byKey[k] = append(j.byKey[k], c)
		}
	}
	return j
}

type journaled struct {
	next    effect.Effector
	isWrite func(string, map[string]any) bool
	byKey   map[string][]*CallRow
}

func (j *journaled) Do(ctx context.Context, req effect.Request) (map[string]any, error) {
	c := j.match(req)
	if c == nil {
		return j.next.Do(ctx, req)
	}
	if j.isWrite(req.Name(), req.Input) {
		// The world keeps the write's effect for later unrecorded reads;
		// its answer is not used: the record is what happened.
		_, _ = j.next.Do(ctx, req)
	}
	if c.Status == CallFailed {
		ce, err := c.DecodeError()
		if err != nil {
			return nil, &effect.Error{Code: "history", Message: err.Error()}
		}
		if ce == nil {
			return nil, &effect.Error{Code: "error", Message: fmt.Sprintf("failed (recorded in run %s)", c.RunID)}
		}
		return nil, &effect.Error{Status: ce.Status, Code: ce.Code, Message: ce.Message, Retryable: ce.Retryable}
	}
	out := map[string]any{}
	if c.Output != "" {
		if err := json.Unmarshal([]byte(c.Output), &out); err != nil {
			return nil, &effect.Error{Code: "history", Message: fmt.Sprintf("the recorded outputs of %s in run %s are not JSON: %v", c.Card, c.RunID, err)}
		}
	}
	return out, nil
}

// match finds the recorded try that answers req: same card and action,
// the same inputs, and the same attempt (else the last recorded one).
func (j *journaled) match(req effect.Request) *CallRow {
	tries := j.byKey[req.Card+"\x00"+req.Name()]
	if len(tries) == 0 {
		return nil
	}
	in, err := json.Marshal(req.Input)
	if err != nil {
		return nil
	}
	var same []*CallRow
	for _, c := range tries {
		if sameJSON(c.Input, in) {
			same = append(same, c)
		}
	}
	if len(same) == 0 {
		return nil
	}
	if req.Attempt >= 1 && req.Attempt <= len(same) {
		return same[req.Attempt-1]
	}
	return same[len(same)-1]
}

// sameJSON compares a recorded JSON text with today's, as values.
func sameJSON(recorded string, today []byte) bool {
	var a, b any
	if json.Unmarshal([]byte(recorded), &a) != nil || json.Unmarshal(today, &b) != nil {
		return false
	}
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}
