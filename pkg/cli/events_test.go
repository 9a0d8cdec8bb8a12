package cli

import (
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jml-dev/jml/pkg/clock"
	"github.com/jml-dev/jml/pkg/pull"
	"github.com/jml-dev/jml/pkg/sandbox"
	"github.com/jml-dev/jml/pkg/view"
	"github.com/jml-dev/jml/pkg/world"
)

// pullProject is a repository with one okta instance and a sandbox that
// serves n events as its System Log.
func pullProject(t *testing.T, n int) (dir, url string) {
	t.Helper()
	dir = t.TempDir()
	os.MkdirAll(filepath.Join(dir, "flows"), 0o755)
	os.WriteFile(filepath.Join(dir, "jml.yaml"), []byte("apiVersion: jml/v1\nkind: Config\nflows: flows/\nconnectors:\n  okta:\n    type: okta\n    baseURL: https://acme.okta.com\n    auth: {type: ssws, token: {env: OKTA_API_TOKEN}}\n"), 0o644)
	var logs []map[string]any
	for i := 0; i < n; i++ {
		logs = append(logs, map[string]any{"uuid": fmt.Sprintf("e%d", i), "eventType": "user.session.start", "published": fmt.Sprintf("2026-11-01T00:%02d:00.000Z", i)})
	}
	insts := []world.Instance{{Name: "okta", Type: "okta"}}
	srv := httptest.NewServer(sandbox.New(insts, world.New(insts, clock.Real{}), sandbox.Options{Logs: logs}))
	t.Cleanup(srv.Close)
	return dir, srv.URL
}

// TestEventsPullProgress: the progress line goes to standard error only
// when it is a terminal.
func TestEventsPullProgress(t *testing.T) {
	for _, tty := range []bool{false, true} {
		t.Run(fmt.Sprint("tty=", tty), func(t *testing.T) {
			dir, url := pullProject(t, 5)
			io, _, _, errOut := Test()
			io.WorkDir, io.ErrTTY = dir, tty
			code := Run(io, []string{"events", "pull", "--sandbox", url, "--since", "2026-11-01T00:00:00Z", "--limit", "2", "-o", "e.ndjson"}, "test")
			if code != ExitOK {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			got := errOut.String()
			if shown := strings.Contains(got, "pulling: 4 events, 2 pages, up to 2026-11-01T00:03:00.000Z"); shown != tty {
				t.Errorf("progress shown %v, want %v:\n%q", shown, tty, got)
			}
			if !strings.HasSuffix(got, "pulled 5 events to e.ndjson (4 pages)\n") {
				t.Errorf("stderr %q", got)
			}
			b, _ := os.ReadFile(filepath.Join(dir, "e.ndjson"))
			if n := strings.Count(string(b), "\n"); n != 5 {
				t.Errorf("%d lines", n)
			}
		})
	}
}

// TestEventsPullFlags: flags fill the options (runF).
func TestEventsPullFlags(t *testing.T) {
	io, _, _, _ := Test()
	io.Getenv = func(k string) string {
		if k == "JML_SANDBOX_URL" {
			return "http://127.0.0.1:1"
		}
		return ""
	}
	var got *EventsPullOptions
	cmd := newEventsPullCmd(&globals{io: io}, func(o *EventsPullOptions) error { got = o; return nil })
	cmd.SetArgs([]string{"--since", "2026-11-01T00:00:00Z", "--type", "a.b", "--type", "c.d", "-o", "x.ndjson", "--append", "--follow", "--instance", "okta2"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if got.Since != "2026-11-01T00:00:00Z" || strings.Join(got.Types, ",") != "a.b,c.d" || !got.Append || !got.Follow || got.Instance != "okta2" ||
		got.Sandbox != "http://127.0.0.1:1" || got.Limit != 1000 || got.Out != "x.ndjson" {
		t.Errorf("options %+v", got)
	}
}

// TestPullProgressSafe: what the server sent (a published time, an error
// message) reaches the terminal escaped; only jml's own \r and erase-line
// go raw.
func TestPullProgressSafe(t *testing.T) {
	var b strings.Builder
	p := &pullProgress{raw: &b, text: view.NewSafeWriter(&b, nil), on: true}
	p.show(pull.Progress{Events: 1, Pages: 1, Last: "2026\x1b]52;c;AAAA\x07", Wait: time.Second, Why: "retrying: \x1b[2J"})
	got := b.String()
	if !strings.HasPrefix(got, "\r\x1b[K") || strings.Count(got, "\x1b") != 1 || !strings.Contains(got, `\x1b]52`) {
		t.Errorf("progress %q", got)
	}
}

// TestOktaSourceSeveralInstances: with two okta instances an okta: source
// says which to record with events pull, and pull needs --instance.
func TestOktaSourceSeveralInstances(t *testing.T) {
	dir, url := pullProject(t, 2)
	os.WriteFile(filepath.Join(dir, "jml.yaml"), []byte("apiVersion: jml/v1\nkind: Config\nflows: flows/\nconnectors:\n"+
		"  okta:\n    type: okta\n    baseURL: https://acme.okta.com\n    auth: {type: ssws, token: {env: OKTA_API_TOKEN}}\n"+
		"  okta2:\n    type: okta\n    baseURL: https://acme2.okta.com\n    auth: {type: ssws, token: {env: OKTA2_API_TOKEN}}\n"), 0o644)
	io, _, _, errOut := Test()
	io.WorkDir = dir
	if code := Run(io, []string{"plan", "--sandbox", url, "okta:2026-11-01T00:00:00Z"}, "test"); code != ExitError || !strings.Contains(errOut.String(), "jml events pull --instance NAME") {
		t.Errorf("plan okta: exit %d: %s", code, errOut)
	}
	errOut.Reset()
	if code := Run(io, []string{"events", "pull", "--sandbox", url, "--since", "2026-11-01T00:00:00Z", "-o", "e.ndjson"}, "test"); code != ExitUsage || !strings.Contains(errOut.String(), "name one with --instance") {
		t.Errorf("pull: exit %d: %s", code, errOut)
	}
	errOut.Reset()
	if code := Run(io, []string{"events", "pull", "--sandbox", url, "--instance", "okta", "--since", "2026-11-01T00:00:00Z", "-o", "e.ndjson"}, "test"); code != ExitOK {
		t.Errorf("pull --instance okta: exit %d: %s", code, errOut)
	}
}
