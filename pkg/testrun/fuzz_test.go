package testrun

import (
	"path/filepath"
	"testing"

	"github.com/jml-dev/jml/pkg/source"
)

// FuzzDecodeTest: no test file, however malformed, makes the parser panic;
// a file it accepts has a name and no error diagnostics.
func FuzzDecodeTest(f *testing.F) {
	seeds := []string{
		"apiVersion: jml/v1\nkind: Test\nname: x\nevent: {uuid: a, eventType: user.lifecycle.deactivate}\nexpect: {runs: [{flow: leaver, status: success, changes: [{action: slack.deactivateUser, with: {email: a}}], absent: [{action: slack.postMessage}], outputs: {slack: {}}}], noRuns: [sweep]}\n",
		"apiVersion: jml/v1\nkind: Test\nat: 2026-01-05T02:00:00Z\nworld: {faults: [{action: slack.deactivateUser, status: 500}]}\nexpect: {only: true}\n",
		"apiVersion: jml/v1\nkind: Test\nevent: [{uuid: a, eventType: x}, 3]\nexpect: {runs: [{flow: 3}, {}, [], {flow: leaver, changes: [1, {action: []}], via: {}}]}\n",
		"apiVersion: jml/v1\nkind: Test\nevent: ../nope.json\nworld: nope.yaml\nexpect: []\n",
		"a: &a [*a]\n",
		"kind: Test\nexpect: {runs: [{flow: leaver, error: {message: 1}, outputs: [1]}], noRuns: [[x], {y: 1}]}\n",
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	dir, g := repo(f, nil)
	f.Fuzz(func(t *testing.T, data []byte) {
		file, ds := source.Parse("t.yaml", data)
		if ds.HasErrors() || file.Root == nil {
			return
		}
		l := Decode(file, filepath.Join(dir, "tests"), LoadOptions{Graph: g, WorkDir: dir})
		if l.Test != nil && (l.Test.Name == "" || l.Diagnostics.HasErrors()) {
			t.Fatalf("accepted a test without a name or with errors: %v", l.Diagnostics)
		}
	})
}
