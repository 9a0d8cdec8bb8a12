package replay

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/jml-dev/jml/bench/tenant"
	"github.com/jml-dev/jml/pkg/engine"
	"github.com/jml-dev/jml/pkg/project"
)

// bareDecode decodes every line of an NDJSON file into a map[string]any
// with encoding/json, and nothing else: the yardstick of SPEC §11.
func bareDecode(b *testing.B, file string) int {
	data, err := os.ReadFile(file)
	if err != nil {
		b.Fatal(err)
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 16<<20)
	n := 0
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			b.Fatal(err)
		}
		n++
	}
	return n
}

// BenchmarkPlanVsDecode replays a tenant's System Log (bench/tenant: 0.6%
// lifecycle events, the rest sign-ins, MFA and policy events no flow
// takes) from a file through the flow library in plan mode, and reports
// the time against a bare encoding/json decode of the same file in the
// same iteration (SPEC §11: at most 1x) as the metric x-decode, and the
// time per event (flat in the number of events when the replay is
// linear). bench/replay.sh measures the whole CLI, rendering included.
func BenchmarkPlanVsDecode(b *testing.B) {
	p, ds := project.Load(project.Options{Dir: "../../flows"})
	if ds.HasErrors() {
		b.Fatal(ds)
	}
	for _, n := range []int{10_000, 20_000, 40_000} {
		file := filepath.Join(b.TempDir(), "tenant.ndjson")
		if err := os.WriteFile(file, tenant.Bytes(tenant.Options{Events: n, Duplicates: 10}), 0o644); err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			var decodeTime, planTime time.Duration
			runs := 0
			for b.Loop() {
				t0 := time.Now()
				bareDecode(b, file)
				decodeTime += time.Since(t0)

				t1 := time.Now()
				_, err := Run(context.Background(), Options{Graph: p.Graph, Sources: []string{file}, Mode: engine.ModePlan}, func(r Result) error {
					runs += len(r.Runs)
					return nil
				})
				if err != nil {
					b.Fatal(err)
				}
				planTime += time.Since(t1)
			}
			if runs == 0 {
				b.Fatal("no run fired: the benchmark measures nothing")
			}
			b.ReportMetric(float64(planTime)/float64(decodeTime), "x-decode")
			b.ReportMetric(float64(planTime.Nanoseconds())/float64(b.N*n), "ns/event")
		})
	}
}
