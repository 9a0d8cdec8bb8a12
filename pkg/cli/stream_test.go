package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jml-dev/jml/pkg/plan"
)

// streamRepo is a repository with one leaver flow, and n deactivations of
// distinct users as NDJSON lines.
func streamRepo(t *testing.T, n int) (string, []string) {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		"jml.yaml": "apiVersion: jml/v1\nkind: Config\nconnectors:\n  slack: {type: slack, auth: {type: bearer, token: {env: S}}}\n",
		"flows/leaver.yaml": "apiVersion: jml/v1\nkind: Flow\nname: leaver\ntrigger: {event: user.lifecycle.deactivate}\nsteps:\n" +
			"  - action: slack.deactivateUser\n    with: {email: \"${{ user.alternateId }}\"}\n",
	}
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	lines := make([]string, n)
	for i := range lines {
		lines[i] = fmt.Sprintf(`{"uuid":"s-%04d","eventType":"user.lifecycle.deactivate","published":"2026-01-05T09:00:00Z","target":[{"id":"00u%04d","type":"User","alternateId":"u%04d@acme.com"}]}`+"\n", i, i, i)
	}
	return dir, lines
}

// feeder is standard input that gives one NDJSON line per Read and, before
// giving line k, checks that the event of line k-2 is already on standard
// output: the renderer wrote it before the replay read much further. (One
// line of slack: a decoder may look one line ahead.)
type feeder struct {
	lines   []string
	i, off  int
	out     *bytes.Buffer
	written func(i int) string
	late    []int
}

func (f *feeder) Read(p []byte) (int, error) {
	if f.i >= len(f.lines) {
		return 0, io.EOF
	}
	if f.off == 0 && f.i >= 2 && !bytes.Contains(f.out.Bytes(), []byte(f.written(f.i-2))) {
		f.late = append(f.late, f.i-2)
	}
	n := copy(p, f.lines[f.i][f.off:])
	f.off += n
	if f.off == len(f.lines[f.i]) {
		f.i, f.off = f.i+1, 0
	}
	return n, nil
}

// TestOutputStreams: plan and dry-run, in text and json, write each event
// as it finishes, not once every event is in (SPEC §11: memory flat in the
// number of events).
func TestOutputStreams(t *testing.T) {
	t.Parallel()
	const n = 40
	dir, lines := streamRepo(t, n)
	tests := []struct {
		name    string
		args    []string
		written func(i int) string
	}{
		{"plan text", []string{"plan", "-"}, func(i int) string { return fmt.Sprintf("event s-%04d ", i) }},
		{"plan json", []string{"plan", "-", "--format", "json"}, func(i int) string { return fmt.Sprintf(`"uuid": "s-%04d"`, i) }},
		{"plan json -o", []string{"plan", "-", "--format", "json", "-o", "plan.json"}, func(i int) string { return fmt.Sprintf(`"uuid": "s-%04d"`, i) }},
		{"dry-run text", []string{"dry-run", "-"}, func(i int) string { return fmt.Sprintf("event s-%04d ", i) }},
		{"dry-run json", []string{"dry-run", "-", "--format", "json"}, func(i int) string { return fmt.Sprintf(`"uuid": "s-%04d"`, i) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ios, _, out, errOut := Test()
			ios.WorkDir = dir
			f := &feeder{lines: lines, out: out, written: tt.written}
			ios.In = f
			code := Run(ios, append(tt.args, "--color", "never"), "test")
			if code != ExitOK {
				t.Fatalf("exit %d\n%s", code, errOut)
			}
			if f.i != n {
				t.Fatalf("read %d lines of %d", f.i, n)
			}
			if len(f.late) > 0 {
				t.Errorf("events %v were not written before the replay read two lines further", f.late)
			}
			if !strings.Contains(out.String(), tt.written(n-1)) {
				t.Errorf("the last event is missing:\n%s", out)
			}
		})
	}
}

// TestPlanFileWholeOrNothing: -o streams into a temporary file beside the
// plan and puts it in place only once the plan is whole: a replay that
// fails half-way leaves the previous plan file as it was and no temporary
// file; one that succeeds saves the same document --format json prints,
// with the inputs.
func TestPlanFileWholeOrNothing(t *testing.T) {
	t.Parallel()
	dir, lines := streamRepo(t, 3)
	events := filepath.Join(dir, "events.ndjson")
	bad := filepath.Join(dir, "bad.ndjson")
	if err := os.WriteFile(events, []byte(strings.Join(lines, "")), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bad, []byte(lines[0]+"{\"uuid\": oops\n"+lines[1]), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	if err := os.Mkdir(out, 0o755); err != nil {
		t.Fatal(err)
	}
	saved := filepath.Join(out, "plan.json")
	run := func(args ...string) (int, string) {
		ios, _, stdout, errOut := Test()
		ios.WorkDir = dir
		code := Run(ios, append(args, "--color", "never"), "test")
		return code, stdout.String() + errOut.String()
	}
	if code, o := run("plan", events, "--format", "json", "-o", saved); code != ExitOK {
		t.Fatalf("exit %d\n%s", code, o)
	}
	first, err := os.ReadFile(saved)
	if err != nil {
		t.Fatal(err)
	}
	p, err := plan.Decode(first)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Events) != 3 || p.Inputs == nil || len(p.Inputs.Events) != 3 || p.Inputs.Events[2]["uuid"] != "s-0002" {
		t.Fatalf("saved plan: %d events, inputs %+v", len(p.Events), p.Inputs)
	}
	// The -o file is the printed document plus its inputs.
	_, printed := run("plan", events, "--format", "json")
	var a, b map[string]json.RawMessage
	if err := json.Unmarshal(first, &a); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(printed), &b); err != nil {
		t.Fatal(err)
	}
	delete(a, "inputs")
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	if !bytes.Equal(ja, jb) {
		t.Errorf("-o without its inputs differs from --format json:\n%s\n%s", ja, jb)
	}
	if info, err := os.Stat(saved); err != nil || info.Mode().Perm() != 0o644 {
		t.Errorf("plan file mode %v (%v), want 0644", info.Mode(), err)
	}

	if code, o := run("plan", bad, "-o", saved); code == ExitOK {
		t.Fatalf("a malformed event: exit 0\n%s", o)
	}
	if now, _ := os.ReadFile(saved); !bytes.Equal(now, first) {
		t.Errorf("a failed plan changed the saved plan")
	}
	if entries, _ := os.ReadDir(out); len(entries) != 1 {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("files beside the plan: %v, want only plan.json", names)
	}
}
