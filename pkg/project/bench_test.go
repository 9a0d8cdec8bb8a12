package project

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// writeBenchRepo writes a repository of n flow files: copies of the
// library's leaver, renamed, beside the library's jml.yaml and helpers.
func writeBenchRepo(b *testing.B, n int) string {
	b.Helper()
	dir := b.TempDir()
	lib := "../../flows"
	cfg, err := os.ReadFile(filepath.Join(lib, "jml.yaml"))
	if err != nil {
		b.Fatal(err)
	}
	cfgs := strings.Replace(string(cfg), "flows: .", "flows: flows/", 1)
	if err := os.WriteFile(filepath.Join(dir, "jml.yaml"), []byte(cfgs), 0o644); err != nil {
		b.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "flows"), 0o755); err != nil {
		b.Fatal(err)
	}
	entries, _ := filepath.Glob(filepath.Join(lib, "*.yaml"))
	for _, e := range entries {
		if filepath.Base(e) == "jml.yaml" {
			continue
		}
		data, err := os.ReadFile(e)
		if err != nil {
			b.Fatal(err)
		}
		os.WriteFile(filepath.Join(dir, "flows", filepath.Base(e)), data, 0o644)
	}
	leaver, err := os.ReadFile(filepath.Join(lib, "leaver.yaml"))
	if err != nil {
		b.Fatal(err)
	}
	for i := 0; i < n; i++ {
		// Each copy has expressions of its own (another service-account
		// domain, another ticket text), so no compile is shared.
		src := strings.Replace(string(leaver), "name: leaver\n", fmt.Sprintf("name: leaver-%04d\n", i), 1)
		src = strings.ReplaceAll(src, "svc.acme.com", fmt.Sprintf("svc%04d.acme.com", i))
		src = strings.ReplaceAll(src, "Deactivated in Okta by", fmt.Sprintf("Deactivated (%04d) in Okta by", i))
		if err := os.WriteFile(filepath.Join(dir, "flows", fmt.Sprintf("leaver-%04d.yaml", i)), []byte(src), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	return dir
}

// BenchmarkValidate1000Flows is jml validate of a repository of 1,000
// flow files (read, schema, compile, lint). bench/validate.sh compares it
// with a general JSON-Schema CLI on the same files (SPEC §11).
func BenchmarkValidate1000Flows(b *testing.B) {
	dir := writeBenchRepo(b, 1000)
	for b.Loop() {
		p, ds := Load(Options{Dir: dir, Stream: true}) // as validate --no-cache
		if flows, _ := p.Stats(); ds.HasErrors() || flows < 1000 {
			b.Fatalf("the repository does not validate: %v", ds)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*1000), "µs/flow")
}

// BenchmarkValidate1000FlowsWarm is the same validate answered from the
// cache: nothing changed since the last run.
func BenchmarkValidate1000FlowsWarm(b *testing.B) {
	dir := writeBenchRepo(b, 1000)
	opts := Options{Dir: dir, Cache: true, Build: "bench", now: indexClock}
	if _, ds := Load(opts); ds.HasErrors() {
		b.Fatalf("the repository does not validate: %v", ds)
	}
	for b.Loop() {
		p, ds := Load(opts)
		if ds.HasErrors() || !p.Cached() {
			b.Fatalf("not answered from the cache: %v", ds)
		}
	}
}

// BenchmarkValidate1000FlowsOneChanged is validate after one flow file of
// 1,000 changed since the last run: a comment added, or an expression of
// a card edited (which changes the flow's compiled unit).
func BenchmarkValidate1000FlowsOneChanged(b *testing.B) {
	for _, kind := range []string{"comment", "edit"} {
		b.Run(kind, func(b *testing.B) {
			dir := writeBenchRepo(b, 1000)
			opts := Options{Dir: dir, Cache: true, Build: "bench", now: indexClock}
			if _, ds := Load(opts); ds.HasErrors() {
				b.Fatalf("the repository does not validate: %v", ds)
			}
			path := filepath.Join(dir, "flows", "leaver-0000.yaml")
			orig, err := os.ReadFile(path)
			if err != nil {
				b.Fatal(err)
			}
			n := 0
			for b.Loop() {
				b.StopTimer()
				n++
				src := string(orig) + fmt.Sprintf("# change %d\n", n)
				if kind == "edit" {
					src = strings.Replace(string(orig), "Deactivated (0000) in Okta by", fmt.Sprintf("Deactivated (0000, edit %d) in Okta by", n), 1)
				}
				if src == string(orig) {
					b.Fatal("the edit changed nothing")
				}
				if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				p, ds := Load(opts)
				if ds.HasErrors() || p.Cached() {
					b.Fatalf("answered from the cache, or errors: %v", ds)
				}
			}
		})
	}
}

// BenchmarkPackDecode decodes every answer of the pack of a repository of
// 1,000 flows, as a run that finds one file changed does: with
// encoding/json, and with go-json-experiment/json, the cache's codec
// (decodeValue).
func BenchmarkPackDecode(b *testing.B) {
	dir := writeBenchRepo(b, 1000)
	opts := Options{Dir: dir, Cache: true, Build: "bench", now: indexClock}
	p, ds := Load(opts)
	if ds.HasErrors() {
		b.Fatalf("the repository does not validate: %v", ds)
	}
	c := p.cache
	c.packOnce = sync.Once{}
	c.readPack()
	if len(c.packIn) < 2000 {
		b.Fatalf("the pack holds %d answers, want 2,000", len(c.packIn))
	}
	decoders := []struct {
		name   string
		decode func(data []byte, v any) bool
	}{
		{"encoding-json", func(data []byte, v any) bool {
			d := json.NewDecoder(bytes.NewReader(data))
			d.DisallowUnknownFields()
			return d.Decode(v) == nil && !d.More()
		}},
		{"go-json-experiment", decodeValue},
	}
	for _, dec := range decoders {
		b.Run(dec.name, func(b *testing.B) {
			for b.Loop() {
				for _, data := range c.packIn {
					var ue unitEntry
					var fa fileAnswer
					if !dec.decode(data, &ue) && !dec.decode(data, &fa) {
						b.Fatalf("an answer does not decode: %.80s", data)
					}
				}
			}
		})
	}
}
