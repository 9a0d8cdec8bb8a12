package replay

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/jml-dev/jml/bench/tenant"
	"github.com/jml-dev/jml/pkg/engine"
)

// triggerLine is all a plan or a trace takes from one Result, as JSON.
func triggerLine(t *testing.T, r Result) string {
	uuid, typ, pub := r.Trigger()
	rec := map[string]any{"uuid": uuid, "type": typ, "published": pub, "disabled": r.Disabled, "runs": r.Runs}
	if r.Event != nil {
		rec["source"] = r.Event.Source
		// The planner counts the blast radius by the target user's id.
		if u := r.Event.Target("User"); u != nil {
			rec["targetUser"] = u["id"]
		}
	}
	b, err := json.Marshal(rec)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// replayLines replays sources through the repository in dir and returns a
// line per trigger, the stats and the malformed events skipped.
func replayLines(t *testing.T, dir string, sources []string, decodeAll, keepGoing bool, mode engine.Mode) ([]string, Stats) {
	t.Helper()
	p := load(t, dir)
	var lines []string
	stats, err := Run(context.Background(), Options{Graph: p.Graph, Sources: sources, Mode: mode, DecodeAll: decodeAll, KeepGoing: keepGoing},
		func(r Result) error {
			lines = append(lines, triggerLine(t, r))
			return nil
		})
	if err != nil {
		lines = append(lines, "error: "+err.Error())
	}
	return lines, stats
}

// samePlan replays sources with and without the pre-filter and fails on
// any difference in what plan and dry-run show. It returns the stats of
// the pre-filtered replay.
func samePlan(t *testing.T, dir string, sources []string, keepGoing bool) Stats {
	t.Helper()
	var stats Stats
	for _, mode := range []engine.Mode{engine.ModePlan, engine.ModeDryRun} {
		full, fullStats := replayLines(t, dir, sources, true, keepGoing, mode)
		skim, skimStats := replayLines(t, dir, sources, false, keepGoing, mode)
		if fullStats.Partial != 0 {
			t.Errorf("DecodeAll: %d partial events", fullStats.Partial)
		}
		stats = skimStats
		skimStats.Partial = 0
		if !reflect.DeepEqual(fullStats, skimStats) {
			t.Errorf("%s: stats %+v with every event decoded, %+v pre-filtered", mode, fullStats, skimStats)
		}
		if len(full) != len(skim) {
			t.Fatalf("%s: %d triggers with every event decoded, %d pre-filtered", mode, len(full), len(skim))
		}
		for i := range full {
			if full[i] != skim[i] {
				t.Fatalf("%s: trigger %d differs\nfull:        %s\npre-filtered: %s", mode, i, full[i], skim[i])
			}
		}
	}
	return stats
}

// TestPrefilterRecordedEvents: the recorded events give the same plan
// with and without the pre-filter, through the flow library and the
// enterprise example.
func TestPrefilterRecordedEvents(t *testing.T) {
	for _, tc := range []struct{ repo, events string }{
		{"../../flows", "../../testdata/events"},
		{"../../flows", "../../flows/events"},
		{"../../examples/enterprise", "../../examples/enterprise/events"},
		{"../../examples/quickstart", "../../testdata/events"},
	} {
		t.Run(tc.repo+" "+tc.events, func(t *testing.T) {
			st := samePlan(t, tc.repo, []string{tc.events}, false)
			if st.Read == 0 {
				t.Error("no event read")
			}
		})
	}
}

// TestPrefilterTenantLog: a tenant's log (mostly events no flow takes, a
// few duplicates and one malformed line of each kind) gives the same plan
// and counts with and without the pre-filter, and most events are not
// decoded (SPEC §11).
func TestPrefilterTenantLog(t *testing.T) {
	log := tenant.Bytes(tenant.Options{Events: 4000, Duplicates: 20})
	lines := strings.SplitAfter(string(log), "\n")
	// A malformed session event and a malformed deactivation: reported
	// alike whether or not a flow takes them.
	bad := []string{`{"uuid":"bad-1","eventType":"user.session.start","actor":{"id":1,}}` + "\n",
		`{"uuid":"bad-2","eventType":"user.lifecycle.deactivate","n":1e999}` + "\n"}
	lines = append(lines[:100], append(bad, lines[100:]...)...)
	file := filepath.Join(t.TempDir(), "tenant.ndjson")
	if err := os.WriteFile(file, []byte(strings.Join(lines, "")), 0o644); err != nil {
		t.Fatal(err)
	}
	st := samePlan(t, "../../flows", []string{file}, true)
	if st.Skipped != 2 || st.Duplicates == 0 {
		t.Errorf("stats %+v, want 2 skipped and some duplicates", st)
	}
	if st.Partial < st.Read*95/100 {
		t.Errorf("%d of %d events partial: the pre-filter decodes what no flow takes", st.Partial, st.Read)
	}
	// Without --keep-going, the first malformed line stops both at the
	// same place with the same error.
	samePlan(t, "../../flows", []string{file}, false)
}

// TestPrefilterSeedsFromEveryEvent: a user named only by an event no flow
// takes (a sign-in) is still in the world when a later flow reads them,
// as SPEC §6 seeds the world from every event.
func TestPrefilterSeedsFromEveryEvent(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("jml.yaml", `apiVersion: jml/v1
kind: Config
connectors:
  okta: {type: okta, auth: {type: ssws, token: {env: T}}}
  slack: {type: slack, auth: {type: bearer, token: {env: S}}}
`)
	write("flows/leaver.yaml", `apiVersion: jml/v1
kind: Flow
name: leaver
trigger: {event: user.lifecycle.deactivate}
steps:
  - id: boss
    action: okta.getUser
    with: {userId: "boss@acme.com"}
  - id: bossSlack
    action: slack.lookupUserByEmail
    with: {email: "${{ steps.boss.output.profile.email }}"}
  - action: slack.postMessage
    with: {channel: "${{ steps.bossSlack.output.id }}", text: "${{ user.alternateId }} has left"}
`)
	write("events/log.ndjson", `{"uuid":"s-1","published":"2026-01-05T09:00:00Z","eventType":"user.session.start","actor":{"id":"00uboss","type":"User","alternateId":"boss@acme.com","displayName":"The Boss"},"target":[{"id":"lae1","type":"AuthenticatorEnrollment"}]}
{"uuid":"d-1","published":"2026-01-05T10:00:00Z","eventType":"user.lifecycle.deactivate","actor":{"id":"00uadmin","type":"User","alternateId":"admin@acme.com"},"target":[{"id":"00ujane","type":"User","alternateId":"jane@acme.com","displayName":"Jane"}]}
`)
	lines, _ := replayLines(t, dir, []string{filepath.Join(dir, "events")}, false, false, engine.ModePlan)
	var leaver struct {
		Runs []struct {
			Status  string
			Changes []any
		}
	}
	if len(lines) == 2 {
		_ = json.Unmarshal([]byte(lines[1]), &leaver)
	}
	if len(leaver.Runs) != 1 || leaver.Runs[0].Status != "success" || len(leaver.Runs[0].Changes) != 1 {
		t.Fatalf("the leaver did not find the boss a sign-in named:\n%s", strings.Join(lines, "\n"))
	}
	samePlan(t, dir, []string{filepath.Join(dir, "events")}, false)
}

// TestTakes: the pre-filter asks engine.Takes once per event type.
func TestTakes(t *testing.T) {
	p := load(t, "../../flows")
	want := takes(p.Graph)
	for typ, w := range map[string]bool{
		"user.lifecycle.deactivate": true, "user.lifecycle.create": true, "user.account.update_profile": true,
		"user.session.start": false, "user.lifecycle.suspend": false, "": false,
	} {
		if got := want(typ); got != w {
			t.Errorf("takes(%q) = %v, want %v", typ, got, w)
		}
		if got := want(typ); got != w {
			t.Errorf("takes(%q), remembered, = %v, want %v", typ, got, w)
		}
	}
}
