package webui

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/jml-dev/jml/pkg/graph"
	"github.com/jml-dev/jml/pkg/history"
	"github.com/jml-dev/jml/pkg/project"
)

func TestRateClass(t *testing.T) {
	for _, tc := range []struct {
		rate float64
		want string
	}{{-1, "none"}, {0, "bad"}, {0.8999, "bad"}, {0.9, "warn"}, {0.9899, "warn"}, {0.99, "ok"}, {1, "ok"}} {
		if got := RateClass(tc.rate); got != tc.want {
			t.Errorf("RateClass(%v) = %q, want %q", tc.rate, got, tc.want)
		}
	}
}

// TestFill: each card of the drawing is coloured by its rate, keyed by
// its node ID and its step id; a card that did not run is "none", the
// trigger has the runs' rate.
func TestFill(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "flows"), 0o755)
	os.WriteFile(filepath.Join(dir, "jml.yaml"), []byte("apiVersion: jml/v1\nkind: Config\nflows: flows/\nconnectors:\n  okta: {type: okta, baseURL: 'https://acme.okta.com', auth: {type: ssws, token: {env: T}}}\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "flows", "f.yaml"), []byte(`apiVersion: jml/v1
kind: Flow
name: f
trigger: {event: user.lifecycle.deactivate}
steps:
  - id: a
    action: okta.clearUserSessions
    with: {userId: "${{ user.id }}"}
  - forEach: "[1, 2]"
    as: x
    do:
      - action: okta.clearUserSessions
        with: {userId: "${{ user.id }}"}
  - id: c
    action: okta.clearUserSessions
    with: {userId: "${{ user.id }}"}
`), 0o644)
	proj, ds := project.Load(project.Options{Dir: dir, WorkDir: dir})
	if ds.HasErrors() {
		t.Fatal(ds.Err())
	}
	d, err := graph.Build(proj.Graph, "f", graph.Options{})
	if err != nil {
		t.Fatal(err)
	}
	rates := &history.FlowRates{Runs: 100, Run: history.CardRate{OK: 95, Failed: 5}, Cards: map[string]*history.CardRate{
		"steps[0]": {OK: 100}, "steps[1]": {OK: 99, Failed: 1}, "steps[1].do[0]": {OK: 180, Failed: 20},
	}}
	got, rows := fill(proj.Graph, d, rates)
	ids := map[string]string{}
	for _, n := range d.Nodes() {
		ids[n.Path] = n.ID
	}
	want := map[string]string{"trigger": "warn", ids["steps[0]"]: "ok", "a": "ok", ids["steps[1]"]: "ok", ids["steps[1].do[0]"]: "warn", ids["steps[2]"]: "none", "c": "none"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("fill %v, want %v", got, want)
	}
	var labels []string
	for _, r := range rows {
		labels = append(labels, r.Label+" "+r.Rate+" "+r.Class)
	}
	if strings.Join(labels, "; ") != "a 100.0% ok; steps[1] 99.0% ok; steps[1].do[0] 90.0% warn; c no runs none" {
		t.Errorf("rows %q", labels)
	}
}

func TestCheckSVG(t *testing.T) {
	good := `<svg xmlns="http://www.w3.org/2000/svg" class="flow-graph" viewBox="0 0 10 10"><defs><marker id="m"><path d="M0 0"/></marker></defs>` +
		`<g class="node write ok" data-card="a"><rect x="1" y="1" width="2" height="2"/><text x="1" y="1">a &lt;b&gt;</text><title>t</title></g>` +
		`<path class="edge" d="M0 0L1 1" marker-end="url(#m)"/></svg>`
	if got, err := checkSVG([]byte(`<?xml version="1.0"?>` + "\n" + good + "\n")); err != nil || string(got) != good {
		t.Errorf("a drawing refused: %v\n%s", err, got)
	}
	for name, bad := range map[string]string{
		"script":         `<svg><script>alert(1)</script></svg>`,
		"handler":        `<svg><g onload="alert(1)"></g></svg>`,
		"link":           `<svg><a href="javascript:alert(1)"><text>x</text></a></svg>`,
		"use href":       `<svg><use href="#x"/></svg>`,
		"xlink":          `<svg><image xlink:href="http://x/y.png"/></svg>`,
		"style element":  `<svg><style>g{}</style></svg>`,
		"style attr":     `<svg><g style="fill:red"></g></svg>`,
		"foreign":        `<svg><foreignObject><div>x</div></foreignObject></svg>`,
		"two roots":      `<svg></svg><svg></svg>`,
		"not svg":        `<div></div>`,
		"text outside":   `<svg></svg><script>alert(1)</script>`,
		"malformed":      `<svg><g></svg>`,
		"doctype":        `<!DOCTYPE svg><svg></svg>`,
		"empty":          ``,
		"entity":         `<svg><text>&xxe;</text></svg>`,
		"upper handler":  `<svg><g ONCLICK="x"></g></svg>`,
		"trailing text":  `<svg></svg>hello`,
		"comment prefix": `<!-- c --><div></div>`,
	} {
		if _, err := checkSVG([]byte(bad)); err == nil {
			t.Errorf("%s: accepted %s", name, bad)
		}
	}
}

// TestRunsChart: a bar per day and status, stacked, scaled to the
// busiest day; days without runs have no bar.
func TestRunsChart(t *testing.T) {
	from := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	c := runsChart([]history.DayCount{{Day: "2026-11-01", Status: "failed", Runs: 1}, {Day: "2026-11-01", Status: "success", Runs: 3}, {Day: "2026-11-03", Status: "success", Runs: 2}, {Day: "2026-11-03", Status: "custom", Runs: 2}}, from, 3)
	if c.Max != 4 || c.Empty || len(c.Bars) != 4 {
		t.Fatalf("chart %+v", c)
	}
	var got []string
	for _, b := range c.Bars {
		got = append(got, b.Status+" "+b.Y+" "+b.H+" "+b.Title)
	}
	want := []string{"success 44.0 96.0 2026-11-01: 3 success", "failed 12.0 32.0 2026-11-01: 1 failed",
		"success 76.0 64.0 2026-11-03: 2 success", "custom 12.0 64.0 2026-11-03: 2 custom"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("bars:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if e := runsChart(nil, from, 7); !e.Empty || len(e.Bars) != 0 || e.Max != 0 {
		t.Errorf("empty chart %+v", e)
	}
}
