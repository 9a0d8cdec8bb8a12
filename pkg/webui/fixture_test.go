package webui_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/jml-dev/jml/pkg/cli"
	"github.com/jml-dev/jml/pkg/clock"
	"github.com/jml-dev/jml/pkg/compile"
	"github.com/jml-dev/jml/pkg/event"
	"github.com/jml-dev/jml/pkg/history"
	"github.com/jml-dev/jml/pkg/project"
	"github.com/jml-dev/jml/pkg/replay"
	"github.com/jml-dev/jml/pkg/sandbox"
	"github.com/jml-dev/jml/pkg/world"
)

// The fixture: a repository whose leaver flow clears Okta sessions,
// deactivates Slack (retried: a 429 first for Jane) and opens a ticket
// through a helper flow, applied for real (jml apply --sandbox, the CLI
// in process) against a sandbox with faults:
//
//   - Jane (jane.doe@acme.com): Slack answers 429 once, the retry
//     succeeds: success, a 429 in the journal. Verified afterwards (jml
//     verify --sandbox): her verify matrix is recorded.
//   - Bob (bob.smith@acme.com): Slack answers 500, twice: halted at the
//     slack card, resumable.
//   - Mallory: her login and the error Okta answers for her hold markup
//     (xssLogin, xssMessage): halted at the first card.
//   - Ann: a joiner event the leaver does not take; the joiner flow runs.
//     Okta refuses to list her groups (403, an injected fault); the card
//     goes on (onError: continue), but the forEach over the groups it
//     read then has no list to go over: failed, at the forEach, with the
//     groups card's vendor error in its card.
//
// Each back end (SQLite always, PostgreSQL with JML_TEST_POSTGRES_URL)
// is filled once per test binary and shared by the tests, read-only.
const (
	xssScript  = `<script>alert(1)</script>`
	xssImg     = `"><img src=x onerror=alert(1)>`
	xssLogin   = `m` + xssScript + xssImg + `@acme.com`
	xssMessage = `no such session ` + xssScript + ` ` + xssImg
	janeLogin  = "jane.doe@acme.com"
	bobLogin   = "bob.smith@acme.com"
)

var fixtureFiles = map[string]string{
	"jml.yaml": `apiVersion: jml/v1
kind: Config
flows: flows/
connectors:
  okta: {type: okta, baseURL: 'https://acme.okta.com', auth: {type: ssws, token: {env: OKTA_API_TOKEN}}}
  slack: {type: slack, auth: {type: bearer, token: {env: SLACK_TOKEN}}}
  itsm: {type: servicenow, baseURL: 'https://acme.service-now.com', auth: {type: basic, username: jml, password: {env: SN_PASSWORD}}}
`,
	"world.yaml": `apiVersion: jml/v1
kind: World
faults:
  - {action: slack.deactivateUser, user: jane.doe@acme.com, status: 429, times: 1}
  - {action: slack.deactivateUser, user: bob.smith@acme.com, status: 500, message: Backend Error}
  - {action: okta.clearUserSessions, user: 00u3mal00003, status: 400, message: 'no such session <script>alert(1)</script> "><img src=x onerror=alert(1)>'}
  - {action: okta.listUserGroups, user: 00u4ann00004, status: 403, message: You do not have permission to perform the requested action}
`,
	"flows/leaver.yaml": `apiVersion: jml/v1
kind: Flow
name: leaver
trigger: {event: user.lifecycle.deactivate}
steps:
  - id: sessions
    action: okta.clearUserSessions
    with: {userId: "${{ user.id }}"}
  - id: slack
    action: slack.deactivateUser
    with: {email: "${{ user.alternateId }}"}
    retry: {attempts: 2, interval: 1ms}
  - id: ticket
    call: open-ticket
    with: {login: "${{ user.alternateId }}"}
`,
	"flows/open-ticket.yaml": `apiVersion: jml/v1
kind: Flow
name: open-ticket
trigger: {helper: {}}
inputs:
  login: {type: string, required: true}
outputs:
  number: {type: string}
steps:
  - id: record
    action: itsm.createRecord
    with: {table: sc_task, fields: {short_description: "Offboard ${{ inputs.login }}"}}
  - return: {number: "${{ steps.record.output.number }}"}
`,
	"flows/joiner.yaml": `apiVersion: jml/v1
kind: Flow
name: joiner
trigger: {event: user.lifecycle.create}
steps:
  - id: groups
    action: okta.listUserGroups
    with: {userId: "${{ user.id }}"}
    onError: continue
  - id: welcome
    action: itsm.createRecord
    with: {table: sc_task, fields: {short_description: "Welcome ${{ user.alternateId }}"}}
  - id: each_group
    forEach: steps.groups.output.groups
    as: g
    do:
      - id: note
        action: itsm.createRecord
        with: {table: sc_task, fields: {short_description: "Group ${{ g.profile.name }}"}}
`,
	"events/events.ndjson": strings.Join([]string{
		event1("0001", "2026-11-02T09:00:00.000Z", "user.lifecycle.deactivate", "00u1jane0001", janeLogin),
		event1("0002", "2026-11-02T09:05:00.000Z", "user.lifecycle.deactivate", "00u2bob00002", bobLogin),
		event1("0003", "2026-11-02T09:10:00.000Z", "user.lifecycle.deactivate", "00u3mal00003", xssLogin),
		event1("0004", "2026-11-02T09:15:00.000Z", "user.lifecycle.create", "00u4ann00004", "ann@acme.com"),
	}, "\n") + "\n",
}

func event1(n, published, typ, id, login string) string {
	login = strings.NewReplacer(`"`, `\"`).Replace(login)
	return `{"uuid":"7f1c0a2e-0000-4000-8000-00000000` + n + `","published":"` + published + `","eventType":"` + typ +
		`","version":"0","severity":"INFO","displayMessage":"x","actor":{"id":"00uadmin","type":"User","alternateId":"admin@acme.com","displayName":"Admin"},` +
		`"outcome":{"result":"SUCCESS"},"target":[{"id":"` + id + `","type":"User","alternateId":"` + login + `","displayName":"Someone"}]}`
}

// eventUUID is the uuid of the fixture's event n (1…4).
func eventUUID(n string) string { return "7f1c0a2e-0000-4000-8000-00000000" + n }

// fixture is one filled store.
type fixture struct {
	Store *history.Store
	Graph *compile.Graph
	// URL is the store's URL, Dir the repository.
	URL, Dir string
	// Jane, Bob, Mal and Ann are the ids of their runs.
	Jane, Bob, Mal, Ann string
}

var (
	fixtureMu sync.Mutex
	fixtures  = map[string]*fixture{}
	// cleanups run when the test binary ends (TestMain).
	cleanups []func()
)

func TestMain(m *testing.M) {
	code := m.Run()
	for i := len(cleanups) - 1; i >= 0; i-- {
		cleanups[i]()
	}
	os.Exit(code)
}

// backends are the stores the tests run against: SQLite always,
// PostgreSQL when JML_TEST_POSTGRES_URL names a server.
func backends() []string {
	if os.Getenv("JML_TEST_POSTGRES_URL") != "" {
		return []string{"sqlite", "postgres"}
	}
	return []string{"sqlite"}
}

// forEachBackend runs test on the fixture of every back end.
func forEachBackend(t *testing.T, test func(t *testing.T, f *fixture)) {
	t.Helper()
	if os.Getenv("JML_TEST_POSTGRES_URL") == "" {
		t.Log("JML_TEST_POSTGRES_URL is not set: SQLite only (.ci/run sets it)")
	}
	for _, b := range backends() {
		t.Run(b, func(t *testing.T) { test(t, getFixture(t, b)) })
	}
}

func getFixture(t *testing.T, backend string) *fixture {
	t.Helper()
	fixtureMu.Lock()
	defer fixtureMu.Unlock()
	if f := fixtures[backend]; f != nil {
		return f
	}
	f, err := buildFixture(backend)
	if err != nil {
		t.Fatalf("the %s fixture: %v", backend, err)
	}
	fixtures[backend] = f
	return f
}

func buildFixture(backend string) (*fixture, error) {
	dir, err := os.MkdirTemp("", "jml-webui-")
	if err != nil {
		return nil, err
	}
	cleanups = append(cleanups, func() { os.RemoveAll(dir) })
	for name, body := range fixtureFiles {
		p := filepath.Join(dir, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			return nil, err
		}
	}
	url := "sqlite://" + filepath.Join(dir, "history.db")
	if backend == "postgres" {
		if url, err = postgresSchema(); err != nil {
			return nil, err
		}
	}
	sb, err := startSandbox(dir)
	if err != nil {
		return nil, err
	}
	defer sb.Close()
	run := func(want int, args ...string) error {
		ios, _, out, errOut := cli.Test()
		ios.WorkDir = dir
		if code := cli.Run(ios, args, "test"); code != want {
			return fmt.Errorf("jml %s: exit %d, want %d\n%s%s", strings.Join(args, " "), code, want, out, errOut)
		}
		return nil
	}
	// Jane succeeds, Bob and Mallory halt, Ann fails: exit 1.
	if err := run(cli.ExitError, "apply", "--sandbox", sb.URL, "--history", url, "--auto-approve", "--parallelism", "1", "events/events.ndjson"); err != nil {
		return nil, err
	}
	// Jane is gone everywhere: exit 0.
	if err := run(cli.ExitOK, "verify", "--sandbox", sb.URL, "--history", url, janeLogin); err != nil {
		return nil, err
	}
	proj, ds := project.Load(project.Options{Dir: dir, WorkDir: dir})
	if ds.HasErrors() {
		return nil, ds.Err()
	}
	s, err := history.Open(context.Background(), url, dir)
	if err != nil {
		return nil, err
	}
	cleanups = append(cleanups, func() { s.Close() })
	f := &fixture{Store: s, Graph: proj.Graph, URL: url, Dir: dir}
	for n, id := range map[string]*string{"0001": &f.Jane, "0002": &f.Bob, "0003": &f.Mal, "0004": &f.Ann} {
		rows, _, err := s.RunPage(context.Background(), history.RunQuery{Event: eventUUID(n)})
		if err != nil || len(rows) != 1 {
			return nil, fmt.Errorf("the run of event %s: %d runs, %v", n, len(rows), err)
		}
		*id = rows[0].ID
	}
	return f, nil
}

// startSandbox serves the repository's world (world.yaml, seeded from
// the events) as jml sandbox does.
func startSandbox(dir string) (*httptest.Server, error) {
	proj, ds := project.Load(project.Options{Dir: dir, WorkDir: dir})
	spec, wds := world.LoadFile(filepath.Join(dir, "world.yaml"), "world.yaml")
	if ds = append(ds, wds...); ds.HasErrors() {
		return nil, ds.Err()
	}
	w, err := replay.NewWorld(proj.Graph.Config, spec, clock.Real{})
	if err != nil {
		return nil, err
	}
	s, err := event.Open([]string{filepath.Join(dir, "events")}, event.Options{WorkDir: dir})
	if err != nil {
		return nil, err
	}
	defer s.Close()
	for {
		ev, err := s.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		replay.Seed(w, ev)
	}
	return httptest.NewServer(sandbox.New(replay.Instances(proj.Graph.Config), w, sandbox.Options{})), nil
}

// postgresSchema is the URL of a new schema on the test server, dropped
// when the test binary ends.
func postgresSchema() (string, error) {
	base := os.Getenv("JML_TEST_POSTGRES_URL")
	b := make([]byte, 6)
	rand.Read(b)
	schema := "webui_" + hex.EncodeToString(b)
	admin, err := sql.Open("pgx", base)
	if err != nil {
		return "", err
	}
	defer admin.Close()
	if _, err := admin.Exec("CREATE SCHEMA " + schema); err != nil {
		return "", err
	}
	cleanups = append(cleanups, func() {
		if a, err := sql.Open("pgx", base); err == nil {
			a.Exec("DROP SCHEMA " + schema + " CASCADE")
			a.Close()
		}
	})
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
	}
	return base + sep + "search_path=" + schema, nil
}
