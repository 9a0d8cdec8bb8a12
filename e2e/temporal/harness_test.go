package temporal

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// activityTimeout bounds one activity attempt on the server (start-to-close),
// a Temporal setting, not a wait in test logic.
const activityTimeout = time.Minute

// repoRoot is the jml repository this module sits in (e2e/temporal).
const repoRoot = "../.."

var (
	buildOnce sync.Once
	builtJML  string
	buildErr  error
	buildDir  string
)

// TestMain removes the jml binary built for the tests.
func TestMain(m *testing.M) {
	code := m.Run()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

// jmlBinary builds cmd/jml from the repository's own module (its go.mod,
// not this one's: the binary is exactly the one users get, without the
// Temporal server) once per test binary, and returns its path.
func jmlBinary(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		buildDir, buildErr = os.MkdirTemp("", "jml-e2e-temporal-")
		if buildErr != nil {
			return
		}
		builtJML = filepath.Join(buildDir, "jml")
		cmd := exec.Command("go", "build", "-o", builtJML, "./cmd/jml")
		cmd.Dir = repoRoot
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build ./cmd/jml: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return builtJML
}

// requireCommand skips the test when the jml binary lacks a subcommand or
// one of its flags: the Temporal engine (jml worker, apply --temporal) is
// issue #18's other half, and this scenario waits for it instead of
// failing before it has landed.
func requireCommand(t *testing.T, jml string, args []string, flags ...string) {
	t.Helper()
	out, err := exec.Command(jml, append(args, "--help")...).CombinedOutput()
	if err != nil {
		t.Skipf("jml %s is not there yet (issue #18, the Temporal engine): %v\n%s", strings.Join(args, " "), err, out)
	}
	for _, f := range flags {
		if !bytes.Contains(out, []byte(f)) {
			t.Skipf("jml %s has no %s yet (issue #18, the Temporal engine)", strings.Join(args, " "), f)
		}
	}
}

// leaverEvents writes n user.lifecycle.deactivate events, one per user
// (user001@acme.com …, Okta ids 00uuser001 …), one second apart, as
// NDJSON, and returns their uuids in order.
func leaverEvents(t testing.TB, file string, n int) []string {
	t.Helper()
	var b strings.Builder
	var uuids []string
	t0 := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	for i := 1; i <= n; i++ {
		uuid := fmt.Sprintf("0b0e0000-0000-4000-8000-%012d", i)
		uuids = append(uuids, uuid)
		fmt.Fprintf(&b, `{"uuid":%q,"published":%q,"eventType":"user.lifecycle.deactivate","version":"0","severity":"INFO","displayMessage":"Deactivate Okta User","actor":{"id":"00uadmin","type":"User","alternateId":"admin@acme.com","displayName":"Admin"},"outcome":{"result":"SUCCESS"},"target":[{"id":"00uuser%03d","type":"User","alternateId":"user%03d@acme.com","displayName":"User %03d"}]}`+"\n",
			uuid, t0.Add(time.Duration(i)*time.Second).Format("2006-01-02T15:04:05.000Z"), i, i, i)
	}
	if err := os.WriteFile(file, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return uuids
}

// callTimeout is the timeout: the e2e flows give every action card. On
// Temporal a card's timeout is its activity's start-to-close timeout: how
// long the server waits for an activity lost with a killed worker before
// the workflow learns that the try timed out (a card without one waits 5
// minutes). The sandbox answers in milliseconds, so a try never comes
// near it.
const callTimeout = "5s"

// callRetry is the retry: the e2e flows give every action card that has
// none. A try lost with a killed worker ends as a timeout, which is
// retryable: with it the card tries again (on the other worker) instead of
// failing the run — a lost Okta or Google call would otherwise halt it,
// and a lost notification (onError: continue) would be missing.
const callRetry = "{attempts: 3, interval: 1s}"

// crashSafeCards gives every action card of a flow file a timeout:
// (callTimeout) and, when it has none, a retry: (callRetry), written after
// its action: line at the same indentation. It fails the test when the
// file has no action card, so that a change to the quickstart's layout
// cannot silently leave the cards without them.
func crashSafeCards(t testing.TB, file string, data []byte) []byte {
	t.Helper()
	lines := strings.SplitAfter(string(data), "\n")
	indentOf := func(line string) (int, string) {
		trimmed := strings.TrimLeft(line, " ")
		return len(line) - len(trimmed), trimmed
	}
	var out []string
	n := 0
	for i, line := range lines {
		out = append(out, line)
		indent, trimmed := indentOf(line)
		if strings.HasPrefix(trimmed, "- action:") {
			trimmed, indent = trimmed[2:], indent+2
		}
		if !strings.HasPrefix(trimmed, "action:") {
			continue
		}
		n++
		pad := strings.Repeat(" ", indent)
		out = append(out, pad+"timeout: "+callTimeout+"\n")
		// The card's keys are the lines at its indentation up to the
		// first line indented less (the next card or the end of a list).
		hasRetry := false
		for _, next := range lines[i+1:] {
			ni, nt := indentOf(next)
			if strings.TrimSpace(next) == "" || strings.HasPrefix(nt, "#") {
				continue
			}
			if ni < indent {
				break
			}
			if ni == indent && strings.HasPrefix(nt, "retry:") {
				hasRetry = true
			}
		}
		if !hasRetry {
			out = append(out, pad+"retry: "+callRetry+"\n")
		}
	}
	if n == 0 {
		t.Fatalf("%s: no action card to give a timeout", file)
	}
	return []byte(strings.Join(out, ""))
}

// quickstart copies the quickstart example's config and flows into a new
// directory, with its history in that directory, and returns it. Every
// action card of the copy gets a short timeout and a retry
// (crashSafeCards), locally and on Temporal alike.
func quickstart(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	for _, f := range []string{"jml.yaml", "flows/leaver.yaml", "flows/open-offboarding-ticket.yaml"} {
		data, err := os.ReadFile(filepath.Join(repoRoot, "examples/quickstart", f))
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasPrefix(f, "flows/") {
			data = crashSafeCards(t, f, data)
		}
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, f)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, "events"), 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// startSandbox starts jml sandbox on a loopback port, seeded from the
// events (--seed), and returns its URL once it listens: the sandbox writes
// its URL to a FIFO (--ready-file) when ready, and the test blocks reading
// it; if the sandbox exits first, the FIFO gets its error instead.
func startSandbox(t testing.TB, jml, dir string, events ...string) string {
	t.Helper()
	return startSandboxWith(t, jml, dir, nil, events...)
}

// startSandboxWith is startSandbox with more flags (--world FILE).
func startSandboxWith(t testing.TB, jml, dir string, flags []string, events ...string) string {
	t.Helper()
	ready := filepath.Join(t.TempDir(), "ready")
	if err := syscall.Mkfifo(ready, 0o600); err != nil {
		t.Fatal(err)
	}
	args := append([]string{"sandbox", "--addr", "127.0.0.1:0", "--ready-file", ready}, flags...)
	for _, e := range events {
		args = append(args, "--seed", e)
	}
	p := start(t, jml, dir, "sandbox", args...)
	go func() {
		<-p.done
		// Opening a FIFO read-write never blocks (Linux): this unblocks
		// the reader below when the sandbox died before writing.
		if f, ferr := os.OpenFile(ready, os.O_RDWR, 0); ferr == nil {
			fmt.Fprintf(f, "error: jml sandbox exited: %v\n", p.err)
			f.Close()
		}
	}()
	data, err := os.ReadFile(ready)
	if err != nil {
		t.Fatal(err)
	}
	line := strings.TrimSpace(string(data))
	if !strings.HasPrefix(line, "http://127.0.0.1:") {
		t.Fatalf("jml sandbox: %s\n%s", line, p.out)
	}
	return line
}

// waitPerformed blocks until the sandbox has performed action (INSTANCE.
// ACTION) at least n times: the sandbox answers GET /_world/performed
// only then, so the wait is on the world's own signal, bounded by ctx.
func waitPerformed(ctx context.Context, t testing.TB, url, action string, n int) {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf("%s/_world/performed?action=%s&count=%d", url, action, n), nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("waiting for %d × %s: %v", n, action, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("waiting for %d × %s: %s %s", n, action, resp.Status, b)
	}
}

// worldState is GET /_world: instance → list → items.
type worldState map[string]map[string]any

func getWorld(t testing.TB, url string) worldState {
	t.Helper()
	resp, err := http.Get(url + "/_world")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var w worldState
	if err := json.NewDecoder(resp.Body).Decode(&w); err != nil {
		t.Fatal(err)
	}
	return w
}

// resetWorld posts /_world/reset: back to the seeded state.
func resetWorld(t testing.TB, url string) {
	t.Helper()
	resp, err := http.Post(url+"/_world/reset", "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST /_world/reset: %s", resp.Status)
	}
}

// items are the items of INSTANCE's LIST for which keep is true.
func (w worldState) items(instance, list string, keep func(map[string]any) bool) []map[string]any {
	raw, _ := w[instance][list].([]any)
	var out []map[string]any
	for _, it := range raw {
		m, _ := it.(map[string]any)
		if m != nil && keep(m) {
			out = append(out, m)
		}
	}
	return out
}

// field reads a dotted path (fields.short_description) of an item.
func field(m map[string]any, path string) any {
	var v any = m
	for _, part := range strings.Split(path, ".") {
		mm, _ := v.(map[string]any)
		v = mm[part]
	}
	return v
}

// process is a jml command running in the background.
type process struct {
	name string
	cmd  *exec.Cmd
	out  *bytes.Buffer
	// done is closed when the process has exited, with err its Wait error.
	done chan struct{}
	err  error
}

// start runs jml with args in dir in the background; the test's cleanup
// kills it if it still runs, and its output is logged when the test fails.
func start(t testing.TB, jml, dir, name string, args ...string) *process {
	t.Helper()
	cmd := exec.Command(jml, args...)
	cmd.Dir = dir
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &syncWriter{w: &out}, &syncWriter{w: &out}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &process{name: name, cmd: cmd, out: &out, done: make(chan struct{})}
	go func() { p.err = cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			cmd.Process.Kill()
			<-p.done
		}
		if t.Failed() {
			t.Logf("%s (jml %s):\n%s", name, strings.Join(args, " "), out.String())
		}
	})
	return p
}

// kill ends the process at once (SIGKILL: a crash, no graceful stop) and
// waits for it to be gone.
func (p *process) kill(t testing.TB) {
	t.Helper()
	if err := p.cmd.Process.Kill(); err != nil {
		t.Fatalf("kill %s: %v", p.name, err)
	}
	<-p.done
}

// syncWriter serialises the writes of a child's stdout and stderr.
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(b []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(b)
}

// run runs jml with args in dir to the end and returns its output; a
// non-zero exit fails the test.
func run(t testing.TB, jml, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command(jml, args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("jml %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}
