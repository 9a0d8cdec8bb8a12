package serve

import (
	"context"
	"testing"
	"time"

	"github.com/jml-dev/jml/pkg/history"
)

const nightly = `apiVersion: jml/v1
kind: Flow
name: nightly
trigger: {schedule: {cron: "0 2 * * *", timezone: UTC}}
steps:
  - action: slack.postMessage
    with: {channel: "#it", text: "nightly sweep"}
`

// The schedule policy: each firing once, across restarts; a firing missed
// while serve was down caught up once (the latest only).
func TestSchedules(t *testing.T) {
	f := newFixture(t, 25, "flows/nightly.yaml", nightly)
	ctx := context.Background()
	day := time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)
	firings := func() []string {
		t.Helper()
		runs, err := f.store.Runs(ctx, history.Filter{Flow: "nightly"})
		if err != nil {
			t.Fatal(err)
		}
		var keys []string
		for _, r := range runs {
			keys = append(keys, r.Event+" "+r.Status)
		}
		return keys
	}
	steps := []struct {
		name    string
		restart bool
		at      time.Time
		want    []string // newest first
	}{
		{"before its minute nothing fires", false, day.Add(time.Hour + 59*time.Minute), nil},
		{"its minute fires it", false, day.Add(2*time.Hour + 30*time.Second), []string{"schedule@2026-11-02T02:00:00Z success"}},
		{"the same minute again: nothing", false, day.Add(2*time.Hour + 50*time.Second), []string{"schedule@2026-11-02T02:00:00Z success"}},
		{"a restart does not fire it again", true, day.Add(2*time.Hour + 59*time.Second), []string{"schedule@2026-11-02T02:00:00Z success"}},
		{"three nights missed: the latest caught up, once", true, day.Add(3*24*time.Hour + 5*time.Hour), []string{"schedule@2026-11-05T02:00:00Z success", "schedule@2026-11-02T02:00:00Z success"}},
		{"and not again after another restart", true, day.Add(3*24*time.Hour + 6*time.Hour), []string{"schedule@2026-11-05T02:00:00Z success", "schedule@2026-11-02T02:00:00Z success"}},
	}
	for i, st := range steps {
		if st.restart {
			f.srv = f.server()
		} else if i == 0 {
			// A history without a firing starts at the current minute:
			// nothing before it is caught up.
			if err := f.srv.Tick(ctx, day.Add(time.Hour)); err != nil {
				t.Fatal(err)
			}
		}
		f.clk.Set(st.at)
		if err := f.srv.Tick(ctx, st.at); err != nil {
			t.Fatal(err)
		}
		got := firings()
		if len(got) != len(st.want) {
			t.Fatalf("%s: firings %v, want %v", st.name, got, st.want)
		}
		for j := range got {
			if got[j] != st.want[j] {
				t.Fatalf("%s: firings %v, want %v", st.name, got, st.want)
			}
		}
	}
}

// A first start after the cron minute (no firing in the history) does
// not fire what it never saw due.
func TestSchedulesFirstStartNoCatchUp(t *testing.T) {
	f := newFixture(t, 25, "flows/nightly.yaml", nightly)
	at := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	if err := f.srv.Tick(context.Background(), at); err != nil {
		t.Fatal(err)
	}
	if runs, _ := f.store.Runs(context.Background(), history.Filter{Flow: "nightly"}); len(runs) != 0 {
		t.Fatalf("fired: %v", runs)
	}
}
