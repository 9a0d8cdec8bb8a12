package cli

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jml-dev/jml/pkg/clock"
	"github.com/jml-dev/jml/pkg/history"
	"github.com/jml-dev/jml/pkg/project"
	"github.com/jml-dev/jml/pkg/replay"
	"github.com/jml-dev/jml/pkg/sandbox"
	"github.com/jml-dev/jml/pkg/world"
)

// TestVerifyGolden renders jml verify against the simulated world in every
// format and compares with testdata/golden/verify-* (-update rewrites
// them): the flow library's config with the quickstart deactivation
// (seeded only: every app still active; replayed: every app deprovisioned),
// and testdata/golden/verify-repo, whose world file holds every state of
// every connector type.
func TestVerifyGolden(t *testing.T) {
	t.Parallel()
	flows, err := filepath.Abs("../../flows/jml.yaml")
	if err != nil {
		t.Fatal(err)
	}
	event, _ := filepath.Abs("../../examples/quickstart/events/deactivate.ndjson")
	repo, _ := filepath.Abs("../../testdata/golden/verify-repo")
	users := []string{"jane.doe@acme.com", "00u1bob00002", "ann@acme.com", "ghost@acme.com"}
	tests := []struct {
		name string
		dir  string
		args []string
		code int
	}{
		{"verify-seeded.text", "", []string{"--config", flows, "--from", event, "--simulated"}, ExitError},
		{"verify-seeded.json", "", []string{"--config", flows, "--from", event, "--simulated", "--format", "json"}, ExitError},
		{"verify-seeded.markdown", "", []string{"--config", flows, "--from", event, "--simulated", "--format", "markdown"}, ExitError},
		{"verify-replay.text", "", []string{"--config", flows, "--from", event, "--replay"}, ExitOK},
		{"verify-states.text", repo, append([]string{"--world", "world.yaml"}, users...), ExitError},
		{"verify-states.json", repo, append([]string{"--world", "world.yaml", "--format", "json"}, users...), ExitError},
		{"verify-states.markdown", repo, append([]string{"--world", "world.yaml", "--format", "markdown"}, users...), ExitError},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			io, _, out, errOut := Test()
			if tt.dir != "" {
				io.WorkDir = tt.dir
			}
			code := Run(io, append(append([]string{"verify"}, tt.args...), "--color", "never"), "test")
			if code != tt.code {
				t.Fatalf("exit %d, want %d\n%s%s", code, tt.code, out, errOut)
			}
			golden, _ := filepath.Abs(filepath.Join("../../testdata/golden", tt.name+".golden"))
			if tt.dir != "" {
				golden = filepath.Join(tt.dir, "..", tt.name+".golden")
			}
			got := out.Bytes()
			checkGolden(t, golden, got)
		})
	}
}

// TestVerifyColor: on a colour terminal an orphaned account is a red ✗.
func TestVerifyColor(t *testing.T) {
	t.Parallel()
	flows, _ := filepath.Abs("../../flows/jml.yaml")
	event, _ := filepath.Abs("../../examples/quickstart/events/deactivate.ndjson")
	io, _, out, errOut := Test()
	if code := Run(io, []string{"verify", "--config", flows, "--from", event, "--simulated", "--color", "always"}, "test"); code != ExitError {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	if !strings.Contains(out.String(), "\x1b[1;31m✗ active") {
		t.Errorf("no red ✗ for an orphaned account:\n%q", out.String())
	}
}

// TestVerifyUsage: the command lines verify refuses, with exit 64.
func TestVerifyUsage(t *testing.T) {
	t.Parallel()
	flows, _ := filepath.Abs("../../flows/jml.yaml")
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no user", []string{}, "no user to verify"},
		{"sandbox and simulated", []string{"jane@acme.com", "--sandbox", "http://127.0.0.1:1", "--simulated"}, "give one"},
		{"replay needs events", []string{"jane@acme.com", "--replay"}, "give --from EVENTS"},
		{"bad format", []string{"jane@acme.com", "--format", "xml"}, "--format must be one of text, json, markdown"},
		{"bad parallelism", []string{"jane@acme.com", "--parallelism", "0"}, "--parallelism must be at least 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			io, _, out, errOut := Test()
			code := Run(io, append([]string{"verify", "--config", flows}, tt.args...), "test")
			if code != ExitUsage || !strings.Contains(errOut.String(), tt.want) {
				t.Errorf("exit %d, stderr %q; want %d and %q\n%s", code, errOut, ExitUsage, tt.want, out)
			}
		})
	}
	// Events without a deactivation name no one.
	dir := t.TempDir()
	create := filepath.Join(dir, "create.json")
	os.WriteFile(create, []byte(`{"uuid":"u1","eventType":"user.lifecycle.create","published":"2024-01-01T00:00:00Z","target":[{"id":"00u1","type":"User","alternateId":"a@acme.com"}]}`), 0o644)
	io, _, _, errOut := Test()
	if code := Run(io, []string{"verify", "--config", flows, "--from", create, "--simulated"}, "test"); code != ExitError || !strings.Contains(errOut.String(), "no user.lifecycle.deactivate event") {
		t.Errorf("create event: exit %d, stderr %q", code, errOut)
	}
}

// TestVerifyLiveSecrets: against the vendors, an instance whose secret is
// not set is an error in its column, named once, and never stops the
// others.
func TestVerifyLiveSecrets(t *testing.T) {
	t.Parallel()
	repo, _ := filepath.Abs("../../testdata/golden/verify-repo/jml.yaml")
	io, _, out, errOut := Test()
	code := Run(io, []string{"verify", "--config", repo, "--color", "never", "--history", "sqlite://" + filepath.Join(t.TempDir(), "h.db"), "jane.doe@acme.com", "bob@acme.com"}, "test")
	if code != ExitError {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	s := out.String()
	for _, want := range []string{
		`! okta (jane.doe@acme.com, bob@acme.com): connector "okta": auth.token: environment variable OKTA_API_TOKEN is not set`,
		`? ghe (jane.doe@acme.com, bob@acme.com): not checked: no org: in jml.yaml`,
		`? gh (jane.doe@acme.com, bob@acme.com): not checked: okta could not be read: no user.profile.githubUsername to look the account up by`,
		"10 failed reads, 6 not checked,",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("output lacks %q:\n%s", want, s)
		}
	}
}

// TestVerifyLiveRedacts: against a vendor that echoes the token back in
// its error, verify prints *** instead — in every format.
func TestVerifyLiveRedacts(t *testing.T) {
	t.Parallel()
	const secret = "s3cr3t-okta-token-value"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprintf(w, `{"errorCode":"E0000011","errorSummary":"Invalid token provided: %s"}`, strings.TrimPrefix(r.Header.Get("Authorization"), "SSWS "))
	}))
	defer srv.Close()
	dir := t.TempDir()
	os.Mkdir(filepath.Join(dir, "flows"), 0o755)
	cfg := filepath.Join(dir, "jml.yaml")
	os.WriteFile(cfg, []byte("apiVersion: jml/v1\nkind: Config\nflows: flows/\nconnectors:\n  okta: {type: okta, baseURL: '"+srv.URL+"', allowInsecure: true, auth: {type: ssws, token: {env: OKTA_TOKEN}}}\n"), 0o644)
	for _, format := range []string{"text", "json", "markdown"} {
		io, _, out, errOut := Test()
		io.Getenv = func(k string) string {
			if k == "OKTA_TOKEN" {
				return secret
			}
			return ""
		}
		code := Run(io, []string{"verify", "--config", cfg, "--format", format, "jane@acme.com"}, "test")
		if code != ExitError {
			t.Fatalf("%s: exit %d\n%s%s", format, code, out, errOut)
		}
		if strings.Contains(out.String()+errOut.String(), secret) || !strings.Contains(out.String(), "Invalid token provided: ***") {
			t.Errorf("%s: the token is not redacted:\n%s%s", format, out, errOut)
		}
	}
	// The matrix is recorded, redacted, in the store beside jml.yaml.
	s, err := history.Open(context.Background(), "", dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	rec, err := s.LatestVerify(context.Background(), "jane@acme.com")
	if err != nil || rec.Okta == nil || rec.Okta.State != "error" || !strings.Contains(rec.Okta.Detail, "Invalid token provided: ***") || rec.Source != "vendors" {
		t.Fatalf("recorded %+v, %v", rec, err)
	}
	db, _ := os.ReadFile(filepath.Join(dir, ".jml", "history.db"))
	wal, _ := os.ReadFile(filepath.Join(dir, ".jml", "history.db-wal"))
	if len(db) == 0 || strings.Contains(string(db)+string(wal), secret) {
		t.Errorf("the store holds the token (or nothing)")
	}
}

// TestVerifyRecords: a verify against a sandbox records each user's row
// in the history (--history), the later replacing the earlier; a
// --simulated one records nothing, and a store that cannot be opened is
// a warning, not a failure.
func TestVerifyRecords(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	os.Mkdir(filepath.Join(dir, "flows"), 0o755)
	os.WriteFile(filepath.Join(dir, "jml.yaml"), []byte("apiVersion: jml/v1\nkind: Config\nflows: flows/\nconnectors:\n  okta: {type: okta, baseURL: 'https://acme.okta.com', auth: {type: ssws, token: {env: T}}}\n  slack: {type: slack, auth: {type: bearer, token: {env: T}}}\n"), 0o644)
	world := filepath.Join(dir, "world.yaml")
	os.WriteFile(world, []byte("apiVersion: jml/v1\nkind: World\nokta:\n  users:\n    - {id: 00u1jane0001, login: jane.doe@acme.com, status: DEPROVISIONED}\nslack:\n  users:\n    - {id: U1, email: jane.doe@acme.com}\n"), 0o644)
	url := testSandbox(t, dir, world)
	store := "sqlite://" + filepath.Join(dir, "h.db")
	verifyIn := func(args ...string) (int, string) {
		io, _, out, errOut := Test()
		io.WorkDir = dir
		code := Run(io, append([]string{"verify", "--color", "never"}, args...), "test")
		return code, out.String() + errOut.String()
	}
	if code, out := verifyIn("--sandbox", url, "--history", store, "jane.doe@acme.com"); code != ExitError || !strings.Contains(out, "✗ active") {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	s, err := history.Open(context.Background(), store, "")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	rec, err := s.LatestVerify(context.Background(), "00u1jane0001")
	if err != nil || rec.User != "jane.doe@acme.com" || !rec.Leaver || rec.Source != "sandbox "+url || len(rec.Apps) != 1 || !rec.Apps[0].Orphan {
		t.Fatalf("recorded %+v, %v", rec, err)
	}
	// Simulated: about the simulated world, not recorded.
	if code, out := verifyIn("--world", "world.yaml", "--history", store, "jane.doe@acme.com"); code != ExitError {
		t.Fatalf("simulated: exit %d:\n%s", code, out)
	}
	if again, _ := s.LatestVerify(context.Background(), "jane.doe@acme.com"); !again.CheckedAt.Equal(rec.CheckedAt) {
		t.Errorf("a simulated verify was recorded: %+v", again)
	}
	// A store that cannot be written: the verify still reports, and says so.
	code, out := verifyIn("--sandbox", url, "--history", "sqlite://"+filepath.Join(dir, "world.yaml", "h.db"), "jane.doe@acme.com")
	if code != ExitError || !strings.Contains(out, "✗ active") || !strings.Contains(out, "warning: the verify was not recorded in the history: ") {
		t.Errorf("unwritable store: exit %d:\n%s", code, out)
	}
}

// testSandbox serves the repository in dir's simulated world (seeded from
// the world file) as jml sandbox does, and returns its URL.
func testSandbox(t *testing.T, dir, worldFile string) string {
	t.Helper()
	proj, ds := project.Load(project.Options{Dir: dir, WorkDir: dir})
	spec, wds := world.LoadFile(worldFile, worldFile)
	if ds = append(ds, wds...); ds.HasErrors() {
		t.Fatalf("%v", ds)
	}
	w, err := replay.NewWorld(proj.Graph.Config, spec, clock.Real{})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sandbox.New(replay.Instances(proj.Graph.Config), w, sandbox.Options{}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// TestVerifyNotChecked: a github instance without accountIdFrom is a
// yellow "? not checked", never a green ✓, and the run exits 3; with
// accountIdFrom the GitHub username comes from the Okta profile.
func TestVerifyNotChecked(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	os.Mkdir(filepath.Join(dir, "flows"), 0o755)
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	world := write("world.yaml", "apiVersion: jml/v1\nkind: World\nokta:\n  users:\n    - {id: 00u1jane0001, login: jane.doe@acme.com, status: DEPROVISIONED, profile: {githubUsername: jd-octo}}\ngithub:\n  members:\n    - {org: acme, username: jd-octo}\n")
	head := "apiVersion: jml/v1\nkind: Config\nflows: flows/\nconnectors:\n  okta: {type: okta, baseURL: 'https://acme.okta.com', auth: {type: ssws, token: {env: T}}}\n"
	guess := write("guess.yaml", head+"  github: {type: github, org: acme, auth: {type: bearer, token: {env: T}}}\n")
	keyed := write("jml.yaml", head+"  github: {type: github, org: acme, accountIdFrom: user.profile.githubUsername, auth: {type: bearer, token: {env: T}}}\n")
	tests := []struct {
		name, config string
		code         int
		want         []string
	}{
		{"without accountIdFrom", guess, ExitNotChecked, []string{"\x1b[1;33m? not checked", "no orphaned account, \x1b[1;33m1 not checked"}},
		{"with accountIdFrom", keyed, ExitError, []string{"\x1b[1;31m✗ active"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			io, _, out, errOut := Test()
			code := Run(io, []string{"verify", "--config", tt.config, "--world", world, "--color", "always", "jane.doe@acme.com"}, "test")
			if code != tt.code {
				t.Fatalf("exit %d, want %d\n%s%s", code, tt.code, out, errOut)
			}
			for _, w := range tt.want {
				if !strings.Contains(out.String(), w) {
					t.Errorf("output lacks %q:\n%q", w, out.String())
				}
			}
			if strings.Contains(out.String(), "✓") {
				t.Errorf("a ✓ in:\n%s", out)
			}
		})
	}
}
