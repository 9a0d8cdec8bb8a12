package event_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/jml-dev/jml/bench/tenant"
	"github.com/jml-dev/jml/pkg/event"
)

// outcome is what one Next returned, as the skim must leave it: an error,
// or an event's identity and what a replay reads of it.
type outcome struct {
	Err                        string
	ErrFile                    string
	ErrLine, ErrCol            int
	UUID, Type, Published, Src string
	Users                      []map[string]string
	Target, Actor              map[string]string
	HasTarget                  bool
	Partial                    bool
	Raw                        map[string]any // full events only
	PublishedOK                bool
	PublishedUnix              int64
	ChangedNil                 bool
}

// person keeps the fields of an actor or target that the skim keeps.
func person(m map[string]any) map[string]string {
	if m == nil {
		return nil
	}
	out := map[string]string{}
	for _, k := range []string{"id", "type", "alternateId", "displayName"} {
		if s, ok := m[k].(string); ok {
			out[k] = s
		}
	}
	return out
}

// run decodes data to the end and returns what each Next gave, the stats
// and the skipped errors.
func run(t testing.TB, data []byte, name string, opts event.Options) ([]outcome, event.Stats, []string) {
	t.Helper()
	s, err := event.Decode(bytes.NewReader(data), name, opts)
	if err != nil {
		t.Fatal(err)
	}
	var out []outcome
	for calls := 0; ; calls++ {
		if calls > len(data)+2 {
			t.Fatalf("Next does not end")
		}
		e, err := s.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			o := outcome{Err: err.Error()}
			var de *event.DecodeError
			if errors.As(err, &de) {
				o.ErrFile, o.ErrLine, o.ErrCol = de.File, de.Line, de.Column
			}
			out = append(out, o)
			break
		}
		o := outcome{UUID: e.UUID, Type: e.EventType, Published: e.Published, Src: e.Source, Partial: e.Partial,
			Target: person(e.Target("User")), Actor: person(e.Actor()), ChangedNil: e.Changed() == nil}
		_, o.HasTarget = e.Raw["target"].([]any)
		for _, u := range e.Users() {
			o.Users = append(o.Users, person(u))
		}
		if ts, ok := e.PublishedTime(); ok {
			o.PublishedOK, o.PublishedUnix = true, ts.UnixNano()
		}
		if !e.Partial {
			o.Raw = e.Raw
		}
		out = append(out, o)
	}
	var skipped []string
	for _, de := range s.Skipped() {
		skipped = append(skipped, de.Error())
	}
	return out, s.Stats(), skipped
}

// compareSkim decodes data in full and with want, and fails when anything
// a replay sees differs: events, errors and their positions, stats.
func compareSkim(t testing.TB, data []byte, name string, keepGoing bool, want func(string) bool) event.Stats {
	t.Helper()
	full, fullStats, fullSkipped := run(t, data, name, event.Options{KeepGoing: keepGoing})
	skim, skimStats, skimSkipped := run(t, data, name, event.Options{KeepGoing: keepGoing, Want: want})
	if fullStats.Partial != 0 {
		t.Fatalf("%s: a full decode returned %d partial events", name, fullStats.Partial)
	}
	partial := 0
	for i := range skim {
		if skim[i].Partial {
			partial++
			if want(skim[i].Type) {
				t.Fatalf("%s: event %d (%s) is wanted but partial", name, i, skim[i].Type)
			}
			if i < len(full) {
				// Partial events keep only what a replay reads; compare
				// that, and ChangedNil (no changedAttributes) is not kept.
				skim[i].Raw, skim[i].ChangedNil = full[i].Raw, full[i].ChangedNil
			}
			skim[i].Partial = false
		}
	}
	if partial != skimStats.Partial {
		t.Fatalf("%s: %d partial events, Stats.Partial %d", name, partial, skimStats.Partial)
	}
	skimStats.Partial = 0
	if !reflect.DeepEqual(full, skim) {
		for i := 0; i < max(len(full), len(skim)); i++ {
			var f, s outcome
			if i < len(full) {
				f = full[i]
			}
			if i < len(skim) {
				s = skim[i]
			}
			if !reflect.DeepEqual(f, s) {
				t.Fatalf("%s (KeepGoing %v): Next %d differs:\nfull %+v\nskim %+v", name, keepGoing, i, f, s)
			}
		}
	}
	if fullStats != skimStats {
		t.Fatalf("%s (KeepGoing %v): Stats %+v in full, %+v skimmed", name, keepGoing, fullStats, skimStats)
	}
	if !reflect.DeepEqual(fullSkipped, skimSkipped) {
		t.Fatalf("%s (KeepGoing %v): skipped %q in full, %q skimmed", name, keepGoing, fullSkipped, skimSkipped)
	}
	return fullStats
}

func never(string) bool { return false }

// lifecycle wants what a joiner/mover/leaver repository takes.
func lifecycle(typ string) bool {
	return strings.HasPrefix(typ, "user.lifecycle.") || typ == "user.account.update_profile"
}

// skimSeeds are inputs the skim must leave exactly as a full decode does.
var skimSeeds = []string{
	`{"uuid":"1","eventType":"t"}`,
	`{"uuid":"1","eventType":"t","published":"2020-11-16T18:15:12.862Z"}`,
	`{"uuid":"1","eventType":"t","published":12}`,
	`{"uuid":"1","eventType":"t","published":null,"target":null,"actor":null}`,
	`{"uuid":"1","eventType":"t","target":{},"actor":[]}`,
	`{"uuid":"1","eventType":"t","target":[null,1,"x",[],{"type":"User"},{"id":"00u1","type":"User","alternateId":"a@b.c","displayName":"A","detailEntry":{"x":[1,2]}}]}`,
	`{"uuid":"1","eventType":"t","target":[{"id":"00u1","type":"User"},{"id":"00u1","type":"User","alternateId":"other"}],"actor":{"id":"00u1","type":"User"}}`,
	`{"uuid":"1","eventType":"t","actor":{"id":7,"type":"User","alternateId":null,"displayName":true}}`,
	`{"uuid":"1","eventType":"t","actor":{"id":"00u2","type":"SystemPrincipal","alternateId":"system@okta.com"}}`,
	`{"uuid":"\u0031","eventType":"t\u002e\u0078","published":"2020\u002d01-01T00:00:00Z","actor":{"id":"a\"b","type":"User","alternateId":"\u00e9@x","displayName":"\ud83d\ude00"}}`,
	`{"uuid":"1","eventType":"t","x":"\ud800"}`,
	`{"uuid":"1","eventType":"t","x":"\x"}`,
	`{"uuid":"1","eventType":"t","x":"\u12"}`,
	"{\"uuid\":\"1\",\"eventType\":\"t\",\"x\":\"a\tb\"}",
	`{"uuid":"1","eventType":"t","n":[0,-0,1.5,-1.5e3,1E+2,2e-2,12345678901234567890,1e308,1e309,-1e999,1e-400,0.1e1]}`,
	`{"uuid":"1","eventType":"t","n":01}`,
	`{"uuid":"1","eventType":"t","n":1.}`,
	`{"uuid":"1","eventType":"t","n":.5}`,
	`{"uuid":"1","eventType":"t","n":-}`,
	`{"uuid":"1","eventType":"t","n":1e}`,
	`{"uuid":"1","eventType":"t","n":+1}`,
	`{"uuid":"1","eventType":"t","b":[true,false,null]}`,
	`{"uuid":"1","eventType":"t","b":tru}`,
	`{"uuid":"1","eventType":"t","b":nul}`,
	`{"uuid":"1","eventType":"t","b":truex}`,
	`{"uuid":"1","eventType":"t",}`,
	`{"uuid":"1","eventType":"t","a":[1,]}`,
	`{"uuid":"1","eventType":"t","a":[,1]}`,
	`{"uuid":"1","eventType":"t","a":{"k" 1}}`,
	`{"uuid":"1","eventType":"t","a":{1:1}}`,
	`{"uuid":"1","eventType":"t"}}`,
	`{"uuid":"1","eventType":"t"} x`,
	`{"uuid":"1","eventType":"t","uuid":"2"}`,
	`{"uuid":"1","eventType":"t","eventType":"user.lifecycle.deactivate"}`,
	`{"uuid":"1","eventType":"t","a":{"k":1,"k":2}}`,
	`{"uuid":"1","eventType":"t","a":{"k":1,"\u006b":2}}`,
	`{"uuid":"1","eventType":"t","a":[{"k":1},{"k":2}],"b":{"k":{"k":1}}}`,
	`{"uuid":"1","eventType":"t","actor":{"id":"1","id":"2","type":"User"}}`,
	`{"uuid":"","eventType":"t"}`,
	`{"uuid":" ","eventType":"t"}`,
	`{"uuid":"1","eventType":""}`,
	`{"uuid":"1","eventType":"\u0020"}`,
	`{"uuid":1,"eventType":"t"}`,
	`{"uuid":"1","eventType":["t"]}`,
	`{"eventType":"t"}`,
	`{"uuid":"1"}`,
	`{}`,
	`{"uuid":"1","eventType":"user.lifecycle.deactivate","target":[{"id":"00u1","type":"User"}]}`,
	`{"uuid":"1","eventType":"com.okta.event_hook","data":{"events":[{"uuid":"2","eventType":"t"},{"uuid":"3","eventType":"user.lifecycle.create"}]}}`,
	`{"uuid":"1","eventType":"com.okta.event_hook"}`,
	`{"uuid":"1","eventType":"com.okta.event_hook","data":{"events":[{"uuid":"2","eventType":"com.okta.event_hook"}]}}`,
	`{"uuid":"1","eventType":"t","deep":` + strings.Repeat("[", 70) + strings.Repeat("]", 70) + `}`,
	`{"uuid":"1","eventType":"t","deep":` + strings.Repeat(`{"a":`, 70) + "1" + strings.Repeat("}", 70) + `}`,
	`{"uuid":"1","eventType":"t","deep":` + strings.Repeat("[", 10001) + strings.Repeat("]", 10001) + `}`,
	"{\"uuid\":\"1\",\"eventType\":\"t\",\"x\":\"\xff\"}",
	"{ \"uuid\" : \"1\" ,\t\"eventType\"\r: \"t\" , \"target\" : [ { \"id\" : \"u\" , \"type\" : \"User\" } ] }",
	`[{"uuid":"1","eventType":"t"},{"uuid":"2","eventType":"t","x":1e999},{"uuid":"3","eventType":"t"},{"uuid":"1","eventType":"t"}]`,
	`[{"uuid":"1","eventType":"t"} {"uuid":"2","eventType":"t"}]`,
	"[\n{\"uuid\":\"1\",\n\"eventType\":\"t\"},\n{\"uuid\":\"2\",\"eventType\":\"user.lifecycle.create\"}\n]",
	"{\"uuid\":\"1\",\n\"eventType\":\"t\"}\n{\"uuid\":\"2\",\"eventType\":\"t\"}",
	`{"uuid":"1","eventType":"t"}` + "\n" + `{"uuid":"1","eventType":"t"}` + "\n" + `{"uuid":"1","eventType":"user.lifecycle.create"}`,
	"{\"uuid\":\"a\n\",\"eventType\":\"t\"}\n{\"uuid\":\"b\",\"eventType\":\"t\"}",
	`"just a string" 12 true null`,
	"\xEF\xBB\xBF" + `{"uuid":"1","eventType":"t"}`,
}

// TestSkimAgrees checks that skimming changes nothing a replay sees:
// crafted edge cases, the recorded events and a tenant's log, in every
// mode, with everything skimmed and with a joiner/mover/leaver's want.
func TestSkimAgrees(t *testing.T) {
	var inputs [][]byte
	for _, s := range skimSeeds {
		inputs = append(inputs, []byte(s), []byte(s+"\n"+s+"\n"+`{"uuid":"z","eventType":"t"}`))
	}
	files, err := filepath.Glob(filepath.Join(eventsDir, "*.*json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		inputs = append(inputs, data)
	}
	inputs = append(inputs, tenant.Bytes(tenant.Options{Events: 1000, Duplicates: 50}))
	wants := map[string]func(string) bool{"never": never, "lifecycle": lifecycle}
	for i, data := range inputs {
		for _, name := range []string{"x.ndjson", "x.json", "x"} {
			for _, keepGoing := range []bool{false, true} {
				for wname, want := range wants {
					t.Run(fmt.Sprintf("%d/%s/keepGoing=%v/%s", i, name, keepGoing, wname), func(t *testing.T) {
						compareSkim(t, data, name, keepGoing, want)
					})
				}
			}
		}
	}
}

// TestSkimStats: on a tenant's log, the pre-filter leaves the counts of a
// full decode and really skims (SPEC §11).
func TestSkimStats(t *testing.T) {
	data := tenant.Bytes(tenant.Options{Events: 5000, Duplicates: 30})
	st := compareSkim(t, data, "tenant.ndjson", false, lifecycle)
	if st.Read < 4900 || st.Duplicates == 0 || st.Skipped != 0 {
		t.Errorf("Stats %+v: the log is not what the test expects", st)
	}
	_, skimmed, _ := run(t, data, "tenant.ndjson", event.Options{Want: lifecycle})
	if skimmed.Partial < st.Read*95/100 || skimmed.Partial == st.Read {
		t.Errorf("%d of %d events partial, want most but not all", skimmed.Partial, st.Read)
	}
}

// FuzzSkim checks the skim against the full decode on any input.
func FuzzSkim(f *testing.F) {
	for _, s := range skimSeeds {
		f.Add([]byte(s))
	}
	files, _ := filepath.Glob(filepath.Join(eventsDir, "*.*json"))
	for _, file := range files {
		if data, err := os.ReadFile(file); err == nil {
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, name := range []string{"x.ndjson", "x.json"} {
			for _, keepGoing := range []bool{false, true} {
				compareSkim(t, data, name, keepGoing, never)
				compareSkim(t, data, name, keepGoing, lifecycle)
			}
		}
	})
}

// BenchmarkSkim decodes a tenant's log in full and with a
// joiner/mover/leaver's want.
func BenchmarkSkim(b *testing.B) {
	data := tenant.Bytes(tenant.Options{Events: 10000})
	for _, bc := range []struct {
		name string
		want func(string) bool
	}{{"full", nil}, {"skim", lifecycle}} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				s, _ := event.Decode(bytes.NewReader(data), "x.ndjson", event.Options{Want: bc.want})
				for {
					if _, err := s.Next(); err != nil {
						break
					}
				}
			}
		})
	}
}
