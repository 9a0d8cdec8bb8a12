package testrun

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jml-dev/jml/pkg/compile"
	"github.com/jml-dev/jml/pkg/project"
)

func TestSubset(t *testing.T) {
	tests := []struct {
		name      string
		want, got any
		ok        bool
	}{
		{"equal strings", "a", "a", true},
		{"int equals float", int64(1), 1.0, true},
		{"string is not number", "1", int64(1), false},
		{"subset of keys", map[string]any{"a": 1}, map[string]any{"a": 1, "b": 2}, true},
		{"missing key", map[string]any{"c": 1}, map[string]any{"a": 1}, false},
		{"null is not missing", map[string]any{"a": nil}, map[string]any{}, false},
		{"null matches null", map[string]any{"a": nil}, map[string]any{"a": nil}, true},
		{"nested subset", map[string]any{"f": map[string]any{"p": "3"}}, map[string]any{"f": map[string]any{"p": "3", "q": 1}}, true},
		{"lists exact length", []any{1}, []any{1, 2}, false},
		{"lists element-wise subset", []any{map[string]any{"id": "x"}}, []any{map[string]any{"id": "x", "n": 1}}, true},
		{"mapping vs scalar", map[string]any{}, "x", false},
		{"empty mapping matches any mapping", map[string]any{}, map[string]any{"a": 1}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Subset(tt.want, tt.got); got != tt.ok {
				t.Errorf("Subset(%v, %v) = %v, want %v", tt.want, tt.got, got, tt.ok)
			}
		})
	}
}

// repo writes a small repository and returns its directory and graph.
func repo(t testing.TB, files map[string]string) (string, *compile.Graph) {
	t.Helper()
	dir := t.TempDir()
	base := map[string]string{
		"jml.yaml": `apiVersion: jml/v1
kind: Config
connectors:
  okta: {type: okta, baseURL: https://acme.okta.com, auth: {type: ssws, token: {env: T}}}
  slack: {type: slack, auth: {type: bearer, token: {env: S}}}
`,
		"flows/leaver.yaml": `apiVersion: jml/v1
kind: Flow
name: leaver
trigger: {event: user.lifecycle.deactivate}
steps:
  - id: slack
    action: slack.deactivateUser
    with: {email: "${{ user.alternateId }}"}
  - id: done
    action: slack.postMessage
    with: {channel: "#it", text: "done"}
`,
		"flows/sweep.yaml": `apiVersion: jml/v1
kind: Flow
name: sweep
trigger: {schedule: {cron: "0 2 * * *"}}
steps:
  - action: slack.postMessage
    with: {channel: "#sweep", text: "swept"}
`,
	}
	for k, v := range files {
		base[k] = v
	}
	for name, content := range base {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	proj, ds := project.Load(project.Options{Dir: dir, WorkDir: dir})
	if ds.HasErrors() {
		t.Fatal(ds)
	}
	return dir, proj.Graph
}

const inlineEvent = `
event:
  uuid: ev-1
  eventType: user.lifecycle.deactivate
  target: [{id: 00u1, type: User, alternateId: jane@acme.com}]
`

func TestRunOutcomes(t *testing.T) {
	tests := []struct {
		name  string
		body  string
		want  Outcome
		codes []string
	}{
		{"pass", inlineEvent + "expect: {runs: [{flow: leaver, changes: [{action: slack.deactivateUser}, {action: slack.postMessage}]}]}", Pass, nil},
		{"order matters", inlineEvent + "expect: {runs: [{flow: leaver, changes: [{action: slack.postMessage}, {action: slack.deactivateUser}]}]}", Fail, []string{"change-missing"}},
		{"with is a subset", inlineEvent + "expect: {runs: [{flow: leaver, changes: [{action: slack.deactivateUser, with: {email: joe@acme.com}}]}]}", Fail, []string{"change-missing"}},
		{"absent", inlineEvent + "expect: {runs: [{flow: leaver, absent: [{action: slack.postMessage, with: {channel: '#it'}}]}]}", Fail, []string{"change-present"}},
		{"absent narrowed by with", inlineEvent + "expect: {runs: [{flow: leaver, absent: [{action: slack.postMessage, with: {channel: '#other'}}]}]}", Pass, nil},
		{"run only", inlineEvent + "expect: {runs: [{flow: leaver, only: true, changes: [{action: slack.postMessage}]}]}", Fail, []string{"change-extra"}},
		{"status", inlineEvent + "expect: {runs: [{flow: leaver, status: halted}]}", Fail, []string{"run-status"}},
		{"outputs", inlineEvent + "expect: {runs: [{flow: leaver, outputs: {done: {ts: '1701324017.072163'}}}]}", Pass, nil}, // ts derives from the card's idempotency key
		{"schedule at", "at: 2026-01-05T02:00:00Z\nexpect: {only: true, runs: [{flow: sweep, changes: [{action: slack.postMessage, with: {text: swept}}]}]}", Pass, nil},
		{"schedule not due", "at: 2026-01-05T03:00:00Z\nexpect: {runs: [{flow: sweep}]}", Fail, []string{"run-missing"}},
		{"two events, two runs", `
event:
  - {uuid: a, eventType: user.lifecycle.deactivate, target: [{id: 00u1, type: User, alternateId: a@acme.com}]}
  - {uuid: b, eventType: user.lifecycle.deactivate, target: [{id: 00u2, type: User, alternateId: b@acme.com}]}
expect:
  only: true
  runs:
    - {flow: leaver, changes: [{action: slack.deactivateUser, with: {email: a@acme.com}}]}
    - {flow: leaver, changes: [{action: slack.deactivateUser, with: {email: b@acme.com}}]}
`, Pass, nil},
		{"only forbids other runs", inlineEvent + "at: 2026-01-05T02:00:00Z\nexpect: {only: true, runs: [{flow: leaver}]}", Fail, []string{"unexpected-run"}},
		{"skip", inlineEvent + "skip: later\nexpect: {runs: [{flow: sweep}]}", Skipped, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir, g := repo(t, map[string]string{"tests/t.yaml": "apiVersion: jml/v1\nkind: Test\n" + tt.body})
			l := Load(filepath.Join(dir, "tests/t.yaml"), "tests/t.yaml", LoadOptions{Graph: g, WorkDir: dir})
			if l.Test == nil {
				t.Fatalf("invalid: %v", l.Diagnostics)
			}
			r := Run(context.Background(), l.Test, g)
			if r.Outcome != tt.want {
				t.Fatalf("outcome %s, want %s: %v %s", r.Outcome, tt.want, r.Failures, r.Err)
			}
			var codes []string
			for _, f := range r.Failures {
				codes = append(codes, f.Code)
			}
			if strings.Join(codes, ",") != strings.Join(tt.codes, ",") {
				t.Errorf("failures %v, want codes %v", r.Failures, tt.codes)
			}
		})
	}
}

func TestDiscover(t *testing.T) {
	dir, _ := repo(t, map[string]string{
		"tests/a.yaml":          "apiVersion: jml/v1\nkind: Test\n",
		"tests/sub/b.yml":       "kind: Test\n",
		"tests/worlds/w.yaml":   "apiVersion: jml/v1\nkind: World\n",
		"tests/broken.yaml":     "kind: [\n",
		"tests/notes.md":        "# notes\n",
		"tests/.hidden/c.yaml":  "kind: Test\n",
		"tests/nokind.yaml":     "name: x\n",
		"tests/other-flow.yaml": "kind: Flow\n",
	})
	got, err := Discover([]string{filepath.Join(dir, "tests")})
	if err != nil {
		t.Fatal(err)
	}
	var rel []string
	for _, p := range got {
		r, _ := filepath.Rel(dir, p)
		rel = append(rel, filepath.ToSlash(r))
	}
	want := "tests/a.yaml,tests/broken.yaml,tests/nokind.yaml,tests/sub/b.yml"
	if strings.Join(rel, ",") != want {
		t.Errorf("Discover = %v, want %s", rel, want)
	}
	if _, err := Discover([]string{filepath.Join(dir, "nope")}); err == nil {
		t.Error("Discover of a missing path: no error")
	}
}
