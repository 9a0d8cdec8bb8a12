package temporal

import (
	"context"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"

	"github.com/jml-dev/jml/pkg/apply"
	"github.com/jml-dev/jml/pkg/clock"
	"github.com/jml-dev/jml/pkg/compile"
	"github.com/jml-dev/jml/pkg/effect"
	"github.com/jml-dev/jml/pkg/engine"
	"github.com/jml-dev/jml/pkg/event"
	"github.com/jml-dev/jml/pkg/history"
	"github.com/jml-dev/jml/pkg/replay"
)

const testDigest = "sha256:flows-and-config"

func store(t *testing.T) *history.Store {
	t.Helper()
	s, err := history.Open(context.Background(), "sqlite://"+filepath.Join(t.TempDir(), "history.db"), "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func recorder(s *history.Store) *history.Recorder {
	rec := history.NewRecorder(s, nil, nil, testDigest)
	rec.Clock = clock.NewVirtual(t0)
	return rec
}

// applyLocally applies ev's flow as jml apply does, recording in s:
// converging (or resuming, with decide) through the recorder's journal.
func applyLocally(t *testing.T, g *compile.Graph, s *history.Store, fx effect.Effector, decide func(*history.Recorder) apply.Decide) []*engine.Run {
	t.Helper()
	rec := recorder(s)
	eng := replay.Engine(replay.Setup{Graph: g, Effector: rec.Effector(fx), Clock: clock.NewVirtual(t0), Observer: rec, Mode: engine.ModeApply})
	var runs []*engine.Run
	apply.Run(context.Background(), eng, []*event.Event{ev(t)}, apply.Options{Decide: decide(rec)}, func(r apply.Result) {
		if r.Err != nil {
			t.Fatal(r.Err)
		}
		runs = append(runs, r.Runs...)
	})
	if err := rec.Err(); err != nil {
		t.Fatal(err)
	}
	return runs
}

func converge(s *history.Store) func(*history.Recorder) apply.Decide {
	return func(rec *history.Recorder) apply.Decide { return apply.Converge(s, rec, false) }
}

// onTemporalRecorded runs the flow as a workflow whose worker records in s.
func onTemporalRecorded(t *testing.T, g *compile.Graph, s *history.Store, fx effect.Effector) (*engine.Run, string) {
	t.Helper()
	env := testEnv()
	env.SetStartTime(t0)
	rec := recorder(s)
	NewFlows(g, fx).WithHistory(rec).Register(env)
	env.ExecuteWorkflow(WorkflowName, input(g, "leaver"))
	if !env.IsWorkflowCompleted() {
		t.Fatal("workflow did not complete")
	}
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	var r engine.Run
	if err := env.GetWorkflowResult(&r); err != nil {
		t.Fatal(err)
	}
	if err := rec.Err(); err != nil {
		t.Fatal(err)
	}
	return &r, "default-test-workflow-id"
}

// rows is what the history holds of a run, without what differs between
// two recordings of the same run — when it happened and how long the
// calls took — and with the calls in card order: the items of a
// concurrent forEach are journaled in the order they are made.
func rows(t *testing.T, s *history.Store, id string) string {
	t.Helper()
	ctx := context.Background()
	r, err := s.Run(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "run %s flow=%s event=%s type=%s user=%s/%s mode=%s status=%s resumed=%q digest=%s format=%d\n",
		r.ID, r.Flow, r.Event, r.EventType, r.User, r.UserID, r.Mode, r.Status, r.ResumedFrom, r.Digest, r.Format)
	fmt.Fprintf(&b, "error %s\nevent %s\ntrace %s\n", r.Error, r.EventJSON, r.Trace)
	calls, err := s.Calls(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for i, c := range calls {
		if c.Seq != i+1 {
			t.Errorf("run %s: call %d has seq %d", id, i+1, c.Seq)
		}
		lines = append(lines, fmt.Sprintf("call %s try %d %s flow=%s key=%s in=%s status=%s out=%s err=%s reused=%q",
			c.Card, c.Attempt, c.Action, c.Flow, c.IdempotencyKey, c.Input, c.Status, c.Output, c.Error, c.ReusedFrom))
	}
	sort.Strings(lines)
	b.WriteString(strings.Join(lines, "\n"))
	return b.String()
}

// TestWorkflowRecordsLikeLocalApply: a worker with a history store records
// the workflow's run as jml apply records the same run — the run row, its
// trace, and each try of each call journaled — plus the workflow's id.
func TestWorkflowRecordsLikeLocalApply(t *testing.T) {
	g := graph(t, leaverSrc, ticketSrc)
	tests := []struct {
		name   string
		script map[string][]*effect.Error
		status string
	}{
		{"happy path", nil, "success"},
		{"two 503 then success", map[string][]*effect.Error{
			"slack.deactivateUser": {effect.HTTPError(503, "down"), effect.HTTPError(503, "down")}}, "success"},
		{"retries spent: halted", map[string][]*effect.Error{
			"slack.deactivateUser": {effect.HTTPError(503, "down"), effect.HTTPError(503, "down"), effect.HTTPError(503, "down")}}, "halted"},
		{"a failing helper halts the caller", map[string][]*effect.Error{
			"itsm.createRecord": {effect.HTTPError(400, "bad table")}}, "halted"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clone := func() map[string][]*effect.Error {
				m := map[string][]*effect.Error{}
				for k, v := range tt.script {
					m[k] = append([]*effect.Error(nil), v...)
				}
				return m
			}
			ls, ts := store(t), store(t)
			want := applyLocally(t, g, ls, &fake{script: clone()}, converge(ls))
			got, wfID := onTemporalRecorded(t, g, ts, &fake{script: clone()})
			if len(want) != 1 || got.ID != want[0].ID {
				t.Fatalf("workflow run %s, local runs %v", got.ID, want)
			}
			if g, w := rows(t, ts, got.ID), rows(t, ls, want[0].ID); g != w {
				t.Errorf("the workflow's history differs from the local apply's\n got:\n%s\nwant:\n%s", g, w)
			}
			if !strings.Contains(rows(t, ts, got.ID), "status="+tt.status) {
				t.Errorf("run not recorded as %s:\n%s", tt.status, rows(t, ts, got.ID))
			}
			r, err := ts.Run(context.Background(), got.ID)
			if err != nil {
				t.Fatal(err)
			}
			if r.WorkflowID != wfID || r.WorkflowRunID == "" {
				t.Errorf("run recorded on workflow %q run %q, want %q and its run id", r.WorkflowID, r.WorkflowRunID, wfID)
			}
			l, _ := ls.Run(context.Background(), want[0].ID)
			if l.WorkflowID != "" || l.WorkflowRunID != "" {
				t.Errorf("a local run recorded on workflow %q run %q", l.WorkflowID, l.WorkflowRunID)
			}
		})
	}
}

// TestResumeTemporalRunLocally: a run halted on Temporal is resumed by jml
// resume (locally), which reuses its successful calls from the journal the
// worker wrote and makes only the rest.
func TestResumeTemporalRunLocally(t *testing.T) {
	g := graph(t, leaverSrc, ticketSrc)
	s := store(t)
	down := map[string][]*effect.Error{"slack.deactivateUser": {effect.HTTPError(503, "down"), effect.HTTPError(503, "down"), effect.HTTPError(503, "down")}}
	halted, _ := onTemporalRecorded(t, g, s, &fake{script: down})
	if halted.Status != engine.StatusHalted {
		t.Fatalf("run %s, want halted", halted.Status)
	}
	ctx := context.Background()
	unfinished, err := apply.Unfinished(ctx, s, 0)
	if err != nil || len(unfinished) != 1 || unfinished[0].ID != halted.ID {
		t.Fatalf("jml resume --all would resume %v (%v), want %s", unfinished, err, halted.ID)
	}
	r, err := apply.Resumable(ctx, s, halted.ID)
	if err != nil {
		t.Fatal(err)
	}
	prep, err := apply.PrepareResume([]*history.RunRow{r}, func(f string) bool { return g.Flows[f] != nil })
	if err != nil || len(prep.Events) != 1 {
		t.Fatalf("prepare: %v %v", prep, err)
	}
	fx := &fake{}
	runs := applyLocally(t, g, s, fx, func(rec *history.Recorder) apply.Decide { return apply.Resume(s, rec, prep.Runs) })
	if len(runs) != 1 || runs[0].Status != engine.StatusSuccess || runs[0].ResumedFrom != halted.ID {
		t.Fatalf("resume: %+v", runs)
	}
	for _, c := range fx.calls {
		if c == "okta.getUser" || c == "okta.clearUserSessions" {
			t.Errorf("the resume called %s again: %v", c, fx.calls)
		}
	}
	calls, err := s.Calls(ctx, runs[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	reused := 0
	for _, c := range calls {
		if c.Status == history.CallReused {
			reused++
			if c.ReusedFrom != halted.ID {
				t.Errorf("call %s reused from %q, want %s", c.Card, c.ReusedFrom, halted.ID)
			}
		}
	}
	if reused != 2 {
		t.Errorf("%d calls reused, want 2 (okta.getUser, okta.clearUserSessions): %v", reused, fx.calls)
	}
	if fx.calls[0] != "slack.deactivateUser" {
		t.Errorf("the resume's first call is %s, want the failed slack.deactivateUser", fx.calls[0])
	}
}

// TestRunningWorkflowIsNotTakenOver: a run its workflow is still running
// is neither resumed by jml resume (RUN or --all) nor taken over by a
// local apply of the same event.
func TestRunningWorkflowIsNotTakenOver(t *testing.T) {
	g := graph(t, leaverSrc, ticketSrc)
	s := store(t)
	ctx := context.Background()
	row := &history.RunRow{ID: engine.RunID("ev-1", "leaver"), Flow: "leaver", Event: "ev-1", EventType: "user.lifecycle.deactivate",
		Mode: "apply", Status: history.StatusRunning, StartedAt: t0, EventJSON: deactivation, WorkflowID: "jml/ev-1/leaver", WorkflowRunID: "r1"}
	if err := s.InsertRun(ctx, row); err != nil {
		t.Fatal(err)
	}
	if _, err := apply.Resumable(ctx, s, row.ID); err == nil || !strings.Contains(err.Error(), "running on Temporal (workflow jml/ev-1/leaver)") {
		t.Errorf("jml resume RUN: %v", err)
	}
	if u, err := apply.Unfinished(ctx, s, 0); err != nil || len(u) != 0 {
		t.Errorf("jml resume --all takes %v (%v)", u, err)
	}
	fx := &fake{}
	rec := recorder(s)
	eng := replay.Engine(replay.Setup{Graph: g, Effector: rec.Effector(fx), Clock: clock.NewVirtual(t0), Observer: rec, Mode: engine.ModeApply})
	apply.Run(ctx, eng, []*event.Event{ev(t)}, apply.Options{Decide: apply.Converge(s, rec, false)}, func(r apply.Result) {
		if r.Err == nil || !strings.Contains(r.Err.Error(), "running on Temporal") || len(r.Runs) != 0 {
			t.Errorf("a local apply of the event: %v, %d runs", r.Err, len(r.Runs))
		}
	})
	if len(fx.calls) != 0 {
		t.Errorf("calls made: %v", fx.calls)
	}
	if r, _ := s.Run(ctx, row.ID); r.Status != history.StatusRunning {
		t.Errorf("the workflow's run is now %s", r.Status)
	}
}

// TestRunIDTakenMeanwhile: when the id allocated to a workflow's run is
// taken before the run is recorded (an apply of the same event recorded
// its run between the two activities), the run makes no call, leaves the
// other run's row alone, and fails the workflow saying why; the worker's
// recorder is still sound for the next runs.
func TestRunIDTakenMeanwhile(t *testing.T) {
	g := graph(t, leaverSrc, ticketSrc)
	s := store(t)
	ctx := context.Background()
	env := testEnv()
	env.SetStartTime(t0)
	fx := &fake{}
	rec := recorder(s)
	NewFlows(g, fx).WithHistory(rec).Register(env)
	var allocated string
	env.SetOnActivityCompletedListener(func(info *activity.Info, result converter.EncodedValue, err error) {
		if info.ActivityType.Name != RunIDActivity || result.Get(&allocated) != nil {
			return
		}
		other := &history.RunRow{ID: allocated, Flow: "leaver", Event: "ev-1", EventType: "user.lifecycle.deactivate", Mode: "apply", Status: "success", StartedAt: t0}
		if err := s.InsertRun(ctx, other); err != nil {
			t.Error(err)
		}
	})
	env.ExecuteWorkflow(WorkflowName, input(g, "leaver"))
	err := env.GetWorkflowError()
	if allocated != engine.RunID("ev-1", "leaver") {
		t.Fatalf("allocated %q", allocated)
	}
	if err == nil || !strings.Contains(err.Error(), "another run holds this id") {
		t.Fatalf("workflow error %v", err)
	}
	if len(fx.calls) != 0 {
		t.Errorf("calls made: %v", fx.calls)
	}
	row, err := s.Run(ctx, allocated)
	if err != nil || row.Status != "success" || row.WorkflowID != "" || row.Trace != "" {
		t.Errorf("the other run's row: %+v, %v", row, err)
	}
	if calls, _ := s.Calls(ctx, allocated); len(calls) != 0 {
		t.Errorf("calls journaled under the other run: %d", len(calls))
	}
	if err := rec.Err(); err != nil {
		t.Errorf("the recorder failed: %v", err)
	}
}
