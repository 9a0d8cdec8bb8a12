package project

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/jml-dev/jml/pkg/diag"
)

// rawAnswer is everything validate prints, and the diagnostics
// Normalize drops as duplicates.
type rawAnswer struct {
	Diags        diag.Diagnostics
	Files        int
	Flows, Cards int
	Scopes       map[string][]string
}

// loadRaw loads dir and returns every diagnostic, sorted by all they hold
// but not deduplicated (Normalize's duplicates are also the cache's to
// keep). Not in the order Load returned them: the schema phase reports a
// file's errors in an order of its own from one run to the next, cache
// or not; the compile phase's order is compile's tests' (compileChecked).
func loadRaw(t *testing.T, dir string, cache bool) (rawAnswer, *Project) {
	t.Helper()
	return loadRawOpts(t, Options{Dir: dir, WorkDir: dir, Cache: cache, Build: "test", now: indexClock})
}

// loadRawOpts is loadRaw with other options.
func loadRawOpts(t *testing.T, opts Options) (rawAnswer, *Project) {
	t.Helper()
	p, ds := Load(opts)
	ds = append(diag.Diagnostics(nil), ds...)
	key := func(d diag.Diagnostic) string {
		return fmt.Sprintf("%s\x00%08d\x00%08d\x00%v\x00%d\x00%s\x00%s\x00%s", d.Range.File, d.Range.Start.Line, d.Range.Start.Column, d.Range.End, d.Severity, d.Code, d.Message, d.Detail)
	}
	sort.SliceStable(ds, func(i, j int) bool { return key(ds[i]) < key(ds[j]) })
	a := rawAnswer{Diags: ds, Files: p.FileCount, Scopes: p.Scopes()}
	a.Flows, a.Cards = p.Stats()
	return a, p
}

// replace returns an edit that replaces old by new in a file's text,
// once, failing the test when the text has no old.
func replace(old, new string) func(t *testing.T, src string) string {
	return func(t *testing.T, src string) string {
		t.Helper()
		if !strings.Contains(src, old) {
			t.Fatalf("no %q to replace", old)
		}
		return strings.Replace(src, old, new, 1)
	}
}

// Two http: flows beside the flow library's, for the path cases.
const (
	httpA = `apiVersion: jml/v1
kind: Flow
name: web-a
trigger:
  http: {path: /hooks/a}
steps:
  - return: {ok: true}
`
	httpB = `apiVersion: jml/v1
kind: Flow
name: web-b
trigger:
  http: {path: /hooks/b}
steps:
  - return: {ok: true}
`
)

// anotherLeaver is a second leaver, for the service accounts the flow
// library's leaver leaves out.
const anotherLeaver = `apiVersion: jml/v1
kind: Flow
name: another-leaver
trigger:
  event: user.lifecycle.deactivate
  when: 'user.alternateId.endsWith("@svc.acme.com")'
steps:
  - action: okta.clearUserSessions
    with: {userId: "${{ user.id }}"}
`

// deprovisionFirst is a helper that disables a Slack account: called
// before the leaver revokes the Okta sessions, it is a leaver-order
// warning at its card.
const deprovisionFirst = `apiVersion: jml/v1
kind: Flow
name: deprovision-first
trigger:
  helper: {}
steps:
  - action: slack.deactivateUser
    with: {email: "${{ user.alternateId }}"}
`

// TestCacheEveryKindOfChange: after one change of each kind to a
// repository whose answers are all in the cache, validate with the cache
// gives exactly what it gives without (every diagnostic, in order, the
// counts and the scopes); only the flows a change can affect compile
// again; and the run after is answered whole from the cache.
func TestCacheEveryKindOfChange(t *testing.T) {
	t.Parallel()
	const all = -1 // every flow compiles again: the interfaces changed
	cases := []struct {
		name string
		// file is the file changed, under the repository; edit returns
		// its new text ("" removes it).
		file string
		edit func(t *testing.T, src string) string
		// units is how many flows compile again.
		units int
		// same: the change leaves the answer as it was (else it must
		// change it, or the case proves little).
		same bool
		// prep edits the repository before the cache is filled.
		prep map[string]func(t *testing.T, src string) string
		// cutoff: every file's answer and unit are what they were, so the
		// repository's answer is found by answers, the units the cache
		// had not decoded nor the checks across flows run (compileUnits).
		cutoff bool
	}{
		{name: "body edit", file: "leaver.yaml", edit: replace("oauthTokens: true", "oauthTokens: false"), units: 1, same: true, cutoff: true},
		{name: "body edit with an error", file: "leaver.yaml", edit: replace("okta.clearUserSessions", "okta.clearUserSession"), units: 1},
		{name: "comment above everything", file: "leaver.yaml", edit: func(t *testing.T, src string) string { return "# moved down a line\n" + src }, units: 1,
			prep: map[string]func(*testing.T, string) string{"leaver.yaml": replace("with: {userId: \"${{ user.id }}\", oauthTokens: true}", "with: {userId: \"${{ user.id }}\", oauthTokens: true, bogus: 1}")}},
		{name: "comment at the end", file: "mover.yaml", edit: func(t *testing.T, src string) string { return src + "# the end\n" }, units: 1, same: true, cutoff: true},
		{name: "helper renamed", file: "open-offboarding-ticket.yaml", edit: replace("name: open-offboarding-ticket", "name: open-offboarding-tickets"), units: all},
		{name: "helper input renamed", file: "open-offboarding-ticket.yaml", edit: replace("  reason:\n", "  why:\n"), units: all},
		{name: "helper input added, required", file: "open-offboarding-ticket.yaml", edit: replace("inputs:\n", "inputs:\n  manager:\n    type: string\n    required: true\n"), units: all},
		{name: "helper input made required", file: "open-offboarding-ticket.yaml", edit: replace("required: false", "required: true"), units: all, same: true},
		{name: "helper output removed", file: "open-offboarding-ticket.yaml", edit: replace("  number:\n    type: string\n", ""), units: all},
		{name: "helper body edit", file: "open-offboarding-ticket.yaml", edit: replace("priority: \"3\"", "priority: \"2\""), units: 1, same: true, cutoff: true},
		{name: "helper made an event flow", file: "open-offboarding-ticket.yaml", edit: replace("  helper: {}", "  event: user.lifecycle.create"), units: all},
		{name: "onError flow removed", file: "leaver.yaml", edit: replace("    onError: {flow: leaver-error-handler}\n", ""), units: 1, same: true},
		{name: "onError flow that deprovisions removed", file: "leaver.yaml", edit: replace("    onError: {flow: leaver-error-handler}\n", ""), units: 1,
			prep: map[string]func(*testing.T, string) string{
				"leaver-error-handler.yaml": replace("steps:\n", "steps:\n  - action: okta2.deactivateUser\n    with: {userId: \"${{ user.id }}\"}\n"),
				"jml.yaml":                  replace("  okta:\n", "  okta2:\n    type: okta\n  okta:\n"),
			}},
		{name: "onError flow added", file: "joiner.yaml", edit: replace("steps:\n", "steps:\n  - action: slack.postMessage\n    with: {channel: \"#x\", text: hi}\n    onError: {flow: leaver-error-handler}\n"), units: 1},
		{name: "onError flow unknown", file: "leaver.yaml", edit: replace("onError: {flow: leaver-error-handler}", "onError: {flow: leaver-error-handlr}"), units: 1},
		{name: "http path collides", file: "web-b.yaml", edit: replace("/hooks/b", "/hooks/a"), units: 1},
		{name: "http path reserved", file: "web-a.yaml", edit: replace("/hooks/a", "/healthz"), units: 1},
		{name: "leaver disabled", file: "leaver.yaml", edit: replace("name: leaver\n", "name: leaver\nenabled: false\n"), units: 1},
		{name: "leaver's when changed", file: "leaver.yaml", edit: replace(`!user.alternateId.endsWith("@svc.acme.com")`, `user.alternateId.endsWith("@acme.com")`), units: 1,
			prep: map[string]func(*testing.T, string) string{"leaver.yaml": replace("jml:ignore leaver-coverage", "see leaver-coverage")}},
		{name: "leaver's when negated by another's", file: "another-leaver.yaml", edit: replace(`'user.alternateId.endsWith("@svc.acme.com")'`, `'!user.alternateId.endsWith("@svc.acme.com")'`), units: 1,
			prep: map[string]func(*testing.T, string) string{
				"leaver.yaml":         replace("jml:ignore leaver-coverage", "see leaver-coverage"),
				"another-leaver.yaml": func(*testing.T, string) string { return anotherLeaver },
			}},
		{name: "leaver silenced, when it was not", file: "leaver.yaml", edit: replace("see leaver-coverage", "jml:ignore leaver-coverage"), units: 1,
			prep: map[string]func(*testing.T, string) string{"leaver.yaml": replace("jml:ignore leaver-coverage", "see leaver-coverage")}},
		{name: "leaver's ignore removed", file: "leaver.yaml", edit: replace("jml:ignore leaver-coverage", "see leaver-coverage"), units: 1},
		{name: "leaver's top-level continueIf", file: "leaver.yaml", edit: replace("steps:\n", "steps:\n  - continueIf: user.profile.department != \"Board\"\n"), units: 1},
		{name: "sessions revoked last", file: "leaver.yaml", edit: replace("  - id: sessions\n    action: okta.clearUserSessions\n    with: {userId: \"${{ user.id }}\", oauthTokens: true}\n", ""), units: 1},
		{name: "# jml:ignore added to a helper's card", file: "deprovision-first.yaml", edit: replace("  - action: slack.deactivateUser\n", "  - action: slack.deactivateUser # jml:ignore leaver-order\n"), units: 1,
			prep: map[string]func(*testing.T, string) string{
				"deprovision-first.yaml": func(*testing.T, string) string { return deprovisionFirst },
				"leaver.yaml":            replace("steps:\n", "steps:\n  - call: deprovision-first\n"),
			}},
		{name: "# jml:ignore added to a helper's top level", file: "deprovision-first.yaml", edit: replace("trigger:", "# jml:ignore leaver-order\ntrigger:"), units: 1,
			prep: map[string]func(*testing.T, string) string{
				"deprovision-first.yaml": func(*testing.T, string) string { return deprovisionFirst },
				"leaver.yaml":            replace("steps:\n", "steps:\n  - call: deprovision-first\n"),
			}},
		{name: "a helper's top-level continueIf", file: "deprovision-first.yaml", edit: replace("steps:\n", "steps:\n  - continueIf: user.profile.department != \"Board\"\n"), units: 1,
			prep: map[string]func(*testing.T, string) string{
				"deprovision-first.yaml": func(*testing.T, string) string { return deprovisionFirst },
				"leaver.yaml":            replace("steps:\n", "steps:\n  - call: deprovision-first\n"),
			}},
		{name: "call cycle", file: "open-offboarding-ticket.yaml", edit: replace("  - return:\n", "  - call: open-offboarding-ticket\n    with: {login: x}\n  - return:\n"), units: 1},
		{name: "flow name duplicated", file: "mover.yaml", edit: replace("name: mover\n", "name: joiner\n"), units: all},
		{name: "YAML error", file: "mover.yaml", edit: replace("steps:", "steps: ["), units: all},
		{name: "schema error", file: "mover.yaml", edit: replace("steps:", "stepz:"), units: 0},
		{name: "time zone unknown", file: "contractor-expiry-sweep.yaml", edit: func(t *testing.T, src string) string {
			if !strings.Contains(src, "timezone:") {
				return replace("schedule: {cron:", "schedule: {timezone: Mars/Olympus, cron:")(t, src)
			}
			return strings.Replace(src, "timezone: ", "timezone: Mars/", 1)
		}, units: 1},
		{name: "jml.yaml connector removed", file: "jml.yaml", edit: replace("  salesforce:\n    type: salesforce\n", "  salesforce2:\n    type: salesforce\n"), units: all},
		{name: "jml.yaml comment", file: "jml.yaml", edit: func(t *testing.T, src string) string { return src + "# the end\n" }, units: all, same: true},
		{name: "file removed", file: "mover.yaml", edit: func(t *testing.T, src string) string { return "" }, units: all},
		{name: "helper removed", file: "leaver-error-handler.yaml", edit: func(t *testing.T, src string) string { return "" }, units: all},
		{name: "file added", file: "zz-new.yaml", edit: func(t *testing.T, src string) string { return strings.Replace(httpA, "web-a", "web-z", 1) }, units: all},
		{name: "leaver added", file: "another-leaver.yaml", edit: func(t *testing.T, src string) string { return anotherLeaver }, units: all},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			copyTree(t, "../../flows", dir)
			writeFile(t, filepath.Join(dir, "web-a.yaml"), httpA)
			writeFile(t, filepath.Join(dir, "web-b.yaml"), httpB)
			for file, edit := range tc.prep {
				src, _ := os.ReadFile(filepath.Join(dir, file))
				writeFile(t, filepath.Join(dir, file), edit(t, string(src)))
			}
			before, _ := loadRaw(t, dir, false)
			if _, p := loadRaw(t, dir, true); p.Cached() {
				t.Fatal("a cold run answered from the cache")
			}
			if _, p := loadRaw(t, dir, true); !p.Cached() {
				t.Fatal("the cache does not answer the repository before the change")
			}
			path := filepath.Join(dir, tc.file)
			src, _ := os.ReadFile(path)
			if next := tc.edit(t, string(src)); next == "" {
				if err := os.Remove(path); err != nil {
					t.Fatal(err)
				}
			} else {
				writeFile(t, path, next)
			}
			want, _ := loadRaw(t, dir, false)
			got, p := loadRaw(t, dir, true)
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("the cache changed the answer\n got %+v\nwant %+v", got, want)
			}
			if changed := !reflect.DeepEqual(want, before); changed == tc.same {
				t.Errorf("the change changed the answer: %v, want %v\nbefore %+v\nafter  %+v", changed, !tc.same, before, want)
			}
			if p.Cached() {
				t.Error("answered whole from the cache after a change")
			}
			if p.answered != tc.cutoff {
				t.Errorf("answered by answers: %v, want %v", p.answered, tc.cutoff)
			}
			n := want.Flows
			compiled := p.cache.misses["unit"]
			switch {
			case tc.units == all && compiled != n:
				t.Errorf("%d flows compiled again, want all %d (hits %v, misses %v)", compiled, n, p.cache.hits, p.cache.misses)
			case tc.units != all && compiled != tc.units:
				t.Errorf("%d flows compiled again, want %d (hits %v, misses %v)", compiled, tc.units, p.cache.hits, p.cache.misses)
			}
			again, p := loadRaw(t, dir, true)
			if !reflect.DeepEqual(again, want) || !p.Cached() {
				t.Errorf("the run after the change: cached %v, answer %+v, want %+v", p.Cached(), again, want)
			}
		})
	}
}

// TestCacheOneFileChangedEverywhere: over the flow library, every example
// and every validate case (errors of every kind), each file in turn is
// changed (a line added above everything, which moves every position in
// it), and validate with the cache answers exactly as without it.
func TestCacheOneFileChangedEverywhere(t *testing.T) {
	t.Parallel()
	edits := 0
	for name, dir := range cacheRepos(t) {
		files, _ := filepath.Glob(filepath.Join(dir, "*.yaml"))
		more, _ := filepath.Glob(filepath.Join(dir, "flows", "*.yaml"))
		files = append(files, more...)
		loadRaw(t, dir, true)
		for _, f := range files {
			src, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			writeFile(t, f, "# edited\n"+string(src))
			want, _ := loadRaw(t, dir, false)
			got, p := loadRaw(t, dir, true)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%s, %s changed: the cache changed the answer\n got %+v\nwant %+v", name, filepath.Base(f), got, want)
			}
			if p.Cached() {
				t.Errorf("%s, %s changed: answered whole from the cache", name, filepath.Base(f))
			}
			edits++
		}
	}
	if edits < 150 {
		t.Errorf("only %d edits", edits)
	}
}
