package replay

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/jml-dev/jml/pkg/engine"
	"github.com/jml-dev/jml/pkg/project"
)

func load(t *testing.T, dir string) *project.Project {
	t.Helper()
	p, ds := project.Load(project.Options{Dir: dir})
	if ds.HasErrors() {
		t.Fatal(ds)
	}
	return p
}

// TestRecordedEventsThroughTheLibrary replays every real recorded event and
// hook delivery of testdata/events through the flows/ library: no run may
// halt or fail, and every deactivation must produce a complete leaver run.
func TestRecordedEventsThroughTheLibrary(t *testing.T) {
	p := load(t, "../../flows")
	var results []Result
	stats, err := Run(context.Background(), Options{Graph: p.Graph, Sources: []string{"../../testdata/events"}, Mode: engine.ModePlan},
		func(r Result) error { results = append(results, r); return nil })
	if err != nil {
		t.Fatal(err)
	}
	if stats.Read != 15 || stats.Duplicates != 3 {
		t.Errorf("read %d events, %d duplicates; want 15 and 3", stats.Read, stats.Duplicates)
	}
	deactivations := 0
	for _, r := range results {
		for _, run := range r.Runs {
			if run.Status != engine.StatusSuccess && run.Status != engine.StatusFiltered {
				t.Errorf("event %s: %s %s: %+v", r.Event.UUID, run.Flow, run.Status, run.Error)
			}
		}
		if r.Event.EventType != "user.lifecycle.deactivate" {
			continue
		}
		deactivations++
		if len(r.Runs) != 1 || r.Runs[0].Flow != "leaver" {
			t.Errorf("deactivation %s fired %d runs", r.Event.UUID, len(r.Runs))
			continue
		}
		var got []string
		for _, c := range r.Runs[0].Changes {
			got = append(got, c.Action)
		}
		want := []string{"okta.clearUserSessions", "slack.deactivateUser", "google.suspendUser", "google.signOutUser",
			"microsoft.disableUser", "microsoft.revokeSignInSessions", "salesforce.freezeUser", "itsm.createRecord", "slack.postMessage"}
		if strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("deactivation %s: leaver changes\n got %v\nwant %v", r.Event.UUID, got, want)
		}
	}
	if deactivations != 3 {
		t.Errorf("%d deactivations, want 3", deactivations)
	}
}

// TestDeterministic: the same events, world and flows give byte-identical runs.
func TestDeterministic(t *testing.T) {
	p := load(t, "../../flows")
	replay := func() string {
		var b strings.Builder
		_, err := Run(context.Background(), Options{Graph: p.Graph, Sources: []string{"../../testdata/events"}, Mode: engine.ModeDryRun},
			func(r Result) error {
				out, _ := json.Marshal(r.Runs)
				b.Write(out)
				return nil
			})
		if err != nil {
			t.Fatal(err)
		}
		return b.String()
	}
	if a, b := replay(), replay(); a != b {
		t.Error("two replays of the same input differ")
	}
}

// TestScheduleAt fires the contractor sweep at its cron minute only.
func TestScheduleAt(t *testing.T) {
	p := load(t, "../../flows")
	fire := func(at string, end string) []string {
		a, _ := time.Parse(time.RFC3339, at)
		opts := Options{Graph: p.Graph, Mode: engine.ModePlan, At: &a}
		if end != "" {
			e, _ := time.Parse(time.RFC3339, end)
			opts.AtEnd = &e
		}
		var fired []string
		if _, err := Run(context.Background(), opts, func(r Result) error {
			for _, run := range r.Runs {
				fired = append(fired, r.At.Format("15:04")+" "+run.Flow+" "+string(run.Status))
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		return fired
	}
	if got := fire("2026-01-05T02:00:00Z", ""); len(got) != 1 || !strings.HasPrefix(got[0], "02:00 contractor-expiry-sweep") {
		t.Errorf("at 02:00: %v", got)
	}
	if got := fire("2026-01-05T02:01:00Z", ""); len(got) != 0 {
		t.Errorf("at 02:01: %v", got)
	}
	// Monday 2026-01-05: the nightly sweep and the weekly report.
	if got := fire("2026-01-05T00:00:00Z", "2026-01-06T00:00:00Z"); strings.Join(got, "; ") != "02:00 contractor-expiry-sweep filtered; 07:00 inactive-accounts-report filtered" {
		t.Errorf("over a Monday: %v", got)
	}
	// Tuesday: the sweep only.
	if got := fire("2026-01-06T00:00:00Z", "2026-01-07T00:00:00Z"); len(got) != 1 || !strings.HasPrefix(got[0], "02:00 contractor-expiry-sweep") {
		t.Errorf("over a Tuesday: %v", got)
	}
}
