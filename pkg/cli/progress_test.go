package cli

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jml-dev/jml/pkg/clock"
	"github.com/jml-dev/jml/pkg/engine"
)

// TestProgressETA: beside the events done, the runs and the rate, the
// progress line shows the remaining events at the mean time per event so
// far, by the injected clock, written as every duration is
// (view.Duration); none once every event is done, and nothing at all off
// a terminal.
func TestProgressETA(t *testing.T) {
	t0 := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	steps := []struct {
		at   time.Duration // since the start, when the event is done
		runs int           // runs finished with it (one failed on the third)
		want string
	}{
		{2 * time.Second, 1, "\r\x1b[K1/4 events, 1 runs done, 0 failed, 0.5 runs/s, ETA 6s "},
		{3 * time.Second, 2, "\r\x1b[K2/4 events, 3 runs done, 0 failed, 1.0 runs/s, ETA 3s "},
		{150 * time.Second, 1, "\r\x1b[K3/4 events, 4 runs done, 1 failed, 0.0 runs/s, ETA 50s "},
		{151 * time.Second, 1, "\r\x1b[K4/4 events, 5 runs done, 1 failed, 0.0 runs/s "},
	}
	for _, on := range []bool{true, false} {
		clk := clock.NewVirtual(t0)
		var b strings.Builder
		p := &progress{w: &b, on: on, total: 4, clock: clk, start: clk.Now()}
		for i, s := range steps {
			clk.Set(t0.Add(s.at))
			for r := 0; r < s.runs; r++ {
				st := engine.StatusSuccess
				if i == 2 {
					st = engine.StatusHalted
				}
				p.RunFinished(&engine.Run{Status: st})
			}
			b.Reset()
			p.eventDone()
			want := s.want
			if !on {
				want = ""
			}
			if b.String() != want {
				t.Errorf("on=%v, event %d: %q, want %q", on, i+1, b.String(), want)
			}
		}
	}
}

// TestProgressETAScale: a long apply's ETA reads as minutes, not
// nanoseconds.
func TestProgressETAScale(t *testing.T) {
	t0 := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	clk := clock.NewVirtual(t0)
	var b strings.Builder
	p := &progress{w: &b, on: true, total: 1000, clock: clk, start: t0}
	clk.Set(t0.Add(1234 * time.Millisecond))
	p.eventDone()
	if !strings.HasSuffix(b.String(), ", ETA 20m33s ") {
		t.Errorf("%q, want an ETA of 20m33s (999 × 1.234s = 1232.8s)", b.String())
	}
}

// TestApplyProgressClock: apply's progress line reads the clock its
// options inject (a virtual one: no time passes, so every ETA is 0s, and
// the rate is the runs over the millisecond floor), on a terminal only.
func TestApplyProgressClock(t *testing.T) {
	t.Parallel()
	f := newFakeOkta(t)
	dir := applyRepo(t, f.URL, 25, 3)
	for _, tty := range []bool{true, false} {
		ios, _, _, errOut := Test()
		ios.WorkDir, ios.ErrTTY = dir, tty
		ios.Getenv = func(k string) string { return map[string]string{"OKTA_API_TOKEN": canary}[k] }
		g := &globals{io: ios, color: "never"}
		cmd := newApplyCmd(g, func(o *ApplyOptions) error {
			o.Clock = clock.NewVirtual(time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC))
			return applyRun(o)
		})
		cmd.SetArgs([]string{"events.ndjson", "--auto-approve", "--parallelism", "1", "--history", "sqlite://" + filepath.Join(t.TempDir(), "h.db")})
		cmd.SilenceUsage, cmd.SilenceErrors = true, true
		err := cmd.Execute()
		if exitCode(err) != ExitError {
			t.Fatalf("tty=%v: %v (the fake refuses every call)\n%s", tty, err, errOut)
		}
		got := errOut.String()
		for _, want := range []string{"1/3 events, 1 runs done, 1 failed, 1000.0 runs/s, ETA 0s ", "2/3 events, 2 runs done, 2 failed, 2000.0 runs/s, ETA 0s ", "3/3 events, 3 runs done, 3 failed, 3000.0 runs/s \n"} {
			if strings.Contains(got, want) != tty {
				t.Errorf("tty=%v: progress %q in standard error: %v\n%q", tty, want, !tty, got)
			}
		}
	}
}
