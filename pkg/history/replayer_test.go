package history

import (
	"context"
	"testing"

	"github.com/jml-dev/jml/pkg/effect"
)

type worldStub struct{ calls []string }

func (w *worldStub) Do(_ context.Context, req effect.Request) (map[string]any, error) {
	w.calls = append(w.calls, req.Name())
	return map[string]any{"from": "world"}, nil
}

// TestJournaled: a replay of a recorded run is answered from its journal,
// attempt by attempt, only for the same card, action and inputs.
func TestJournaled(t *testing.T) {
	calls := []*CallRow{
		{RunID: "r1", Card: "trigger.profile", Action: "okta.getUser", Attempt: 1, Input: `{"userId":"00u1"}`, Status: CallSuccess, Output: `{"profile":{"department":"Sales"}}`},
		{RunID: "r1", Card: "steps[1]", Action: "itsm.createRecord", Attempt: 1, Input: `{"table":"sc_task"}`, Status: CallFailed, Error: `{"status":500,"code":"server_error","message":"Backend Error","retryable":true}`},
		{RunID: "r1", Card: "steps[1]", Action: "itsm.createRecord", Attempt: 2, Input: `{"table":"sc_task"}`, Status: CallSuccess, Output: `{"number":"SCTASK0000042"}`},
		{RunID: "r1", Card: "steps[2]", Action: "slack.postMessage", Attempt: 1, Input: `{"channel":"#it"}`, Status: CallPending},
	}
	w := &worldStub{}
	write := func(action string, _ map[string]any) bool { return action != "okta.getUser" }
	j := Journaled(calls, write, w)
	ctx := context.Background()
	do := func(card, inst, action string, attempt int, in map[string]any) (map[string]any, error) {
		return j.Do(ctx, effect.Request{Card: card, Instance: inst, Action: action, Attempt: attempt, Input: in})
	}

	out, err := do("trigger.profile", "okta", "getUser", 1, map[string]any{"userId": "00u1"})
	if err != nil || out["profile"].(map[string]any)["department"] != "Sales" || len(w.calls) != 0 {
		t.Fatalf("recorded read: %v %v, world calls %v", out, err, w.calls)
	}
	// Other inputs than recorded: the world answers.
	if out, _ := do("trigger.profile", "okta", "getUser", 1, map[string]any{"userId": "00u2"}); out["from"] != "world" {
		t.Fatalf("unrecorded input answered %v", out)
	}
	// The write's tries: the 500 first, then the recorded number; the
	// world sees the write too (its state), but its answer is not used.
	_, err = do("steps[1]", "itsm", "createRecord", 1, map[string]any{"table": "sc_task"})
	if e := effect.AsError(err); e == nil || e.Status != 500 || !e.Retryable || e.Message != "Backend Error" {
		t.Fatalf("attempt 1: %v", err)
	}
	out, err = do("steps[1]", "itsm", "createRecord", 2, map[string]any{"table": "sc_task"})
	if err != nil || out["number"] != "SCTASK0000042" {
		t.Fatalf("attempt 2: %v %v", out, err)
	}
	// A pending entry (the process died mid-call) answers nothing.
	if out, _ := do("steps[2]", "slack", "postMessage", 1, map[string]any{"channel": "#it"}); out["from"] != "world" {
		t.Fatalf("pending call answered %v", out)
	}
	if got := len(w.calls); got != 4 {
		t.Fatalf("world calls %v, want the unrecorded read, both writes' tries and the unanswered call", w.calls)
	}
}
