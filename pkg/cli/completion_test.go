package cli

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/jml-dev/jml/pkg/history"
)

// completionRepo is a repository whose jml.yaml names its history, with
// runs: run-a (halted, then resumed to success by run-a2), run-b
// (failed), run-c (running: its process died), run-d (a dry-run, halted),
// started a minute apart in that order.
func completionRepo(t *testing.T) *globals {
	t.Helper()
	dir := t.TempDir()
	cfg := "apiVersion: jml/v1\nkind: Config\nhistory: sqlite://.jml/runs.db\nconnectors:\n  slack: {type: slack, auth: {type: bearer, token: {env: S}}}\n"
	if err := os.WriteFile(filepath.Join(dir, "jml.yaml"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	s, err := history.Open(ctx, "sqlite://.jml/runs.db", dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	t0 := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	for i, r := range []struct{ id, event, flow, mode, status, from string }{
		{"run-a", "e1", "leaver", "apply", "halted", ""},
		{"run-a2", "e1", "leaver", "apply", "success", "run-a"},
		{"run-b", "e2", "leaver", "apply", "failed", ""},
		{"run-c", "e3", "leaver", "apply", "", ""},
		{"run-d", "e4", "leaver", "dry-run", "halted", ""},
	} {
		row := &history.RunRow{ID: r.id, Event: r.event, EventType: "user.lifecycle.deactivate", User: r.event + "@acme.com", Flow: r.flow, Mode: r.mode,
			Status: history.StatusRunning, StartedAt: t0.Add(time.Duration(i) * time.Minute), ResumedFrom: r.from}
		if err := s.InsertRun(ctx, row); err != nil {
			t.Fatal(err)
		}
		if r.status != "" {
			if err := s.FinishRun(ctx, r.id, r.status, row.StartedAt.Add(time.Second), "", ""); err != nil {
				t.Fatal(err)
			}
		}
	}
	ios, _, _, _ := Test()
	ios.WorkDir = dir
	return &globals{io: ios}
}

// TestCompleteRuns: run ids newest first with what each run was; resume
// offers only what it can continue; what was typed, the RUN arguments
// already given and how many a command takes narrow the list.
func TestCompleteRuns(t *testing.T) {
	g := completionRepo(t)
	noURL := func() string { return "" }
	ids := func(c []cobra.Completion) []string {
		var out []string
		for _, s := range c {
			out = append(out, strings.SplitN(s, "\t", 2)[0])
		}
		return out
	}
	tests := []struct {
		name       string
		unfinished bool
		max        int
		args       []string
		typed      string
		want       []string
	}{
		{"every run, newest first", false, 1, nil, "", []string{"run-d", "run-c", "run-b", "run-a2", "run-a"}},
		{"typed", false, 1, nil, "run-a", []string{"run-a2", "run-a"}},
		{"one RUN only", false, 1, []string{"run-a"}, "", nil},
		{"resume: the unfinished apply runs", true, 0, nil, "", []string{"run-c", "run-b"}},
		{"resume: not twice", true, 0, []string{"run-c"}, "", []string{"run-b"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, dir := completeRun(g, noURL, tt.unfinished, tt.max)(nil, tt.args, tt.typed)
			if !reflect.DeepEqual(ids(got), tt.want) {
				t.Errorf("completed %q, want %q", got, tt.want)
			}
			if dir&cobra.ShellCompDirectiveNoFileComp == 0 {
				t.Errorf("directive %v offers files", dir)
			}
			if len(got) > 0 && dir&cobra.ShellCompDirectiveKeepOrder == 0 {
				t.Errorf("directive %v lets the shell sort the runs", dir)
			}
		})
	}
	got, _ := completeRun(g, noURL, false, 1)(nil, nil, "run-b")
	if want := []cobra.Completion{"run-b\tleaver user.lifecycle.deactivate e2@acme.com failed 2026-01-05 09:02:00Z"}; !reflect.DeepEqual(got, want) {
		t.Errorf("description %q, want %q", got, want)
	}
}

// TestCompleteRunsCreateNothing: a TAB where there is no history yet —
// or no repository — offers nothing and creates no file.
func TestCompleteRunsCreateNothing(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "jml.yaml"), []byte("apiVersion: jml/v1\nkind: Config\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ios, _, _, _ := Test()
	ios.WorkDir = dir
	g := &globals{io: ios}
	for _, url := range []string{"", "sqlite://other.db"} {
		got, _ := completeRun(g, func() string { return url }, false, 1)(nil, nil, "")
		if len(got) != 0 {
			t.Errorf("%q: completed %q", url, got)
		}
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("files after a TAB: %v, want only jml.yaml", entries)
	}
	ios.WorkDir = t.TempDir() // no jml.yaml anywhere above (a temp dir)
	if got, _ := completeFlow(g)(nil, nil, ""); len(got) != 0 {
		t.Errorf("flows outside a repository: %q", got)
	}
}

// TestBrief: a description beside a completion is its first sentence, cut
// to 60 characters.
func TestBrief(t *testing.T) {
	for in, want := range map[string]string{
		"":                          "",
		"Tell #it.":                 "Tell #it",
		"One. Two.":                 "One",
		strings.Repeat("abcd ", 20): strings.TrimSpace(strings.Repeat("abcd ", 12)) + "…",
	} {
		if got := brief(in); got != want {
			t.Errorf("brief(%q) = %q, want %q", in, got, want)
		}
	}
}
