package replay

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jml-dev/jml/pkg/engine"
	"github.com/jml-dev/jml/pkg/event"
	"github.com/jml-dev/jml/pkg/project"
)

// benchEvents is n recorded-shape events: deactivations, creations and
// profile updates of distinct users, as NDJSON.
func benchEvents(b *testing.B, n int) []byte {
	b.Helper()
	deact, err := os.ReadFile("../../examples/quickstart/events/deactivate.ndjson")
	if err != nil {
		b.Fatal(err)
	}
	tmpl := strings.TrimSpace(string(deact))
	var buf bytes.Buffer
	types := []string{"user.lifecycle.deactivate", "user.lifecycle.create", "user.account.update_profile", "user.session.start"}
	for i := 0; i < n; i++ {
		line := strings.Replace(tmpl, "ab62c0bc-2837-11eb-9823-9fb8f750c5a9", fmt.Sprintf("bench-%08d", i), 1)
		line = strings.Replace(line, `"eventType":"user.lifecycle.deactivate"`, fmt.Sprintf(`"eventType":%q`, types[i%len(types)]), 1)
		line = strings.ReplaceAll(line, "john.doe@example.com", fmt.Sprintf("user%06d@example.com", i))
		line = strings.ReplaceAll(line, "00u3m90rxKjGQ0G6L1d6", fmt.Sprintf("00ubench%08d", i))
		buf.WriteString(line)
		buf.WriteByte('\n')
	}
	return buf.Bytes()
}

// BenchmarkPlanVsDecode replays events through the flow library in plan
// mode and reports the time per event against merely decoding the same
// NDJSON (SPEC §11: within 3x), as the metric x-decode.
func BenchmarkPlanVsDecode(b *testing.B) {
	p, ds := project.Load(project.Options{Dir: "../../flows"})
	if ds.HasErrors() {
		b.Fatal(ds)
	}
	data := benchEvents(b, 2000)
	decode := func() int {
		s, err := event.Decode(bytes.NewReader(data), "bench.ndjson", event.Options{})
		if err != nil {
			b.Fatal(err)
		}
		n := 0
		for {
			if _, err := s.Next(); errors.Is(err, io.EOF) {
				break
			} else if err != nil {
				b.Fatal(err)
			}
			n++
		}
		return n
	}
	var decodeTime, planTime time.Duration
	runs := 0
	for b.Loop() {
		t0 := time.Now()
		decode()
		decodeTime += time.Since(t0)

		t1 := time.Now()
		s, err := event.Decode(bytes.NewReader(data), "bench.ndjson", event.Options{})
		if err != nil {
			b.Fatal(err)
		}
		var evs []*event.Event
		for {
			ev, err := s.Next()
			if err != nil {
				break
			}
			evs = append(evs, ev)
		}
		_, err = Run(context.Background(), Options{Graph: p.Graph, Events: evs, Mode: engine.ModePlan}, func(r Result) error {
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
	b.ReportMetric(float64(planTime.Nanoseconds())/float64(b.N*2000), "ns/event")
}
