package temporal

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.temporal.io/server/temporaltest"
)

// The cost measurement's switches (bench/temporal.sh passes them).
var (
	cost       = flag.Bool("cost", false, "measure what the Temporal path costs per run against a local apply (TestCost)")
	costRounds = flag.Int("rounds", 3, "TestCost: rounds, each one local apply and one Temporal run")
	costN      = flag.Int("leavers", leavers, "TestCost: leaver events a round")
	costLat    = flag.Duration("latency", 0, "TestCost: jml sandbox --latency, each vendor call's delay")
)

// usage is what one side of a round took: the wall time, and the CPU
// time (user + system) of the jml processes (apply; on Temporal also the
// worker) and of this test process (on Temporal: the in-process server).
type usage struct {
	wall, jmlCPU, selfCPU time.Duration
}

func cpu(p *os.ProcessState) time.Duration { return p.UserTime() + p.SystemTime() }

func selfCPU(t testing.TB) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		t.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// command is jml with args, run in dir.
func command(jml, dir string, args ...string) *exec.Cmd {
	cmd := exec.Command(jml, args...)
	cmd.Dir = dir
	return cmd
}

// stop ends a long-running jml (SIGTERM: a graceful stop) and waits for
// it, so that its CPU time can be read.
func (p *process) stop(t testing.TB) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatalf("stop %s: %v", p.name, err)
	}
	<-p.done
}

// TestCost measures what running leavers on Temporal costs against a local
// apply: in each round the same N leaver events (the quickstart's flows,
// as in the scenario) run once through jml apply --sandbox and once through
// jml apply --temporal and one jml worker on a fresh in-process server,
// each side against its own fresh jml sandbox; it reports per run, for
// each side, the wall time (apply started → every run done) and the CPU
// time of the jml processes, min/median/max over the rounds, and their
// ratios. The worker is started before the clock (a service already up)
// and stopped after it; its CPU includes its start. Only with -cost
// (bench/temporal.sh): it is a measurement, not a check.
func TestCost(t *testing.T) {
	if !*cost {
		t.Skip("a measurement: run with -args -cost (bench/temporal.sh)")
	}
	jml := jmlBinary(t)
	n := *costN
	var local, onTemporal []usage
	load := func() string {
		b, _ := os.ReadFile("/proc/loadavg")
		f := strings.Fields(string(b))
		if len(f) < 3 {
			return "?"
		}
		return strings.Join(f[:3], " ")
	}
	t.Logf("load average before: %s", load())
	for round := 1; round <= *costRounds; round++ {
		t.Run(fmt.Sprintf("round%d/local", round), func(t *testing.T) {
			dir := quickstart(t)
			leaverEvents(t, filepath.Join(dir, "events/leavers.ndjson"), n)
			url := startSandboxWith(t, jml, dir, []string{"--latency", costLat.String()}, "events")
			startedAt := time.Now()
			cmd := command(jml, dir, "apply", "--sandbox", url, "--auto-approve", "--allow-mass-deprovision", "events/leavers.ndjson")
			out, err := cmd.CombinedOutput()
			wall := time.Since(startedAt)
			if err != nil {
				t.Fatalf("jml apply: %v\n%s", err, out)
			}
			checkOnce(t, getWorld(t, url), n)
			u := usage{wall: wall, jmlCPU: cpu(cmd.ProcessState)}
			local = append(local, u)
			t.Logf("local: wall %s, jml CPU %s (load %s)", u.wall, u.jmlCPU, load())
		})
		t.Run(fmt.Sprintf("round%d/temporal", round), func(t *testing.T) {
			dir := quickstart(t)
			uuids := leaverEvents(t, filepath.Join(dir, "events/leavers.ndjson"), n)
			url := startSandboxWith(t, jml, dir, []string{"--latency", costLat.String()}, "events")
			ts := temporaltest.NewServer(temporaltest.WithT(t))
			c := ts.GetDefaultClient()
			temporalFlags := []string{"--temporal", ts.GetFrontendHostPort(), "--namespace", ts.GetDefaultNamespace(), "--task-queue", taskQueue}
			w := start(t, jml, dir, "worker", append([]string{"worker", "--sandbox", url}, temporalFlags...)...)
			self0 := selfCPU(t)
			startedAt := time.Now()
			cmd := command(jml, dir, append([]string{"apply", "--auto-approve", "--allow-mass-deprovision", "events/leavers.ndjson"}, temporalFlags...)...)
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("jml apply --temporal: %v\n%s", err, out)
			}
			ctx := context.Background()
			for _, u := range uuids {
				if err := c.GetWorkflow(ctx, "jml/"+u+"/leaver", "").Get(ctx, nil); err != nil {
					t.Fatalf("workflow jml/%s/leaver: %v", u, err)
				}
			}
			wall := time.Since(startedAt)
			self := selfCPU(t) - self0
			w.stop(t)
			checkOnce(t, getWorld(t, url), n)
			u := usage{wall: wall, jmlCPU: cpu(cmd.ProcessState) + cpu(w.cmd.ProcessState), selfCPU: self}
			onTemporal = append(onTemporal, u)
			t.Logf("temporal: wall %s, jml CPU %s (apply %s, worker %s), server (this process) CPU %s (load %s)",
				u.wall, u.jmlCPU, cpu(cmd.ProcessState), cpu(w.cmd.ProcessState), u.selfCPU, load())
		})
	}
	if len(local) == 0 || len(local) != len(onTemporal) {
		t.Fatalf("%d local and %d Temporal rounds measured", len(local), len(onTemporal))
	}
	type stat struct{ min, med, max float64 }
	stats := func(us []usage, f func(usage) time.Duration) stat {
		var v []float64
		for _, u := range us {
			v = append(v, float64(f(u))/float64(time.Millisecond)/float64(n))
		}
		sort.Float64s(v)
		return stat{v[0], v[len(v)/2], v[len(v)-1]}
	}
	wall := func(u usage) time.Duration { return u.wall }
	jmlCPU := func(u usage) time.Duration { return u.jmlCPU }
	server := func(u usage) time.Duration { return u.selfCPU }
	lw, tw := stats(local, wall), stats(onTemporal, wall)
	lc, tc := stats(local, jmlCPU), stats(onTemporal, jmlCPU)
	sc := stats(onTemporal, server)
	t.Logf("%d leavers, %d rounds, sandbox latency %s; ms per run, min/median/max:", n, len(local), *costLat)
	t.Logf("  wall     local %.2f/%.2f/%.2f  temporal %.2f/%.2f/%.2f  ratio of medians %.2fx", lw.min, lw.med, lw.max, tw.min, tw.med, tw.max, tw.med/lw.med)
	t.Logf("  jml CPU  local %.2f/%.2f/%.2f  temporal %.2f/%.2f/%.2f  ratio of medians %.2fx", lc.min, lc.med, lc.max, tc.min, tc.med, tc.max, tc.med/lc.med)
	// Each round's own ratio (the two sides of a round ran back to back,
	// under the same load).
	ratios := func(f func(usage) time.Duration) stat {
		var v []float64
		for i := range local {
			v = append(v, float64(f(onTemporal[i]))/float64(f(local[i])))
		}
		sort.Float64s(v)
		return stat{v[0], v[len(v)/2], v[len(v)-1]}
	}
	rw, rc := ratios(wall), ratios(jmlCPU)
	t.Logf("  ratio per round, min/median/max: wall %.2f/%.2f/%.2fx, jml CPU %.2f/%.2f/%.2fx", rw.min, rw.med, rw.max, rc.min, rc.med, rc.max)
	t.Logf("  server CPU (in-process, Temporal side only) %.2f/%.2f/%.2f", sc.min, sc.med, sc.max)
	t.Logf("load average after: %s", load())
}
