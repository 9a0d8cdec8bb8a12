package apply_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/jml-dev/jml/pkg/apply"
	"github.com/jml-dev/jml/pkg/clock"
	"github.com/jml-dev/jml/pkg/effect"
	"github.com/jml-dev/jml/pkg/engine"
	"github.com/jml-dev/jml/pkg/event"
	"github.com/jml-dev/jml/pkg/project"
)

const config = `apiVersion: jml/v1
kind: Config
flows: flows/
connectors:
  okta: {type: okta, baseURL: 'https://acme.okta.com', auth: {type: ssws, token: {env: T}}}
  slack: {type: slack, auth: {type: bearer, token: {env: S}}}
`

var flows = map[string]string{
	// Deprovisions through a helper, and only for acme.com users.
	"leaver.yaml": `apiVersion: jml/v1
kind: Flow
name: leaver
trigger: {event: user.lifecycle.deactivate, when: 'user.alternateId.endsWith("@acme.com")'}
steps:
  - call: cut-access
    with: {login: "${{ user.alternateId }}"}
`,
	"cut-access.yaml": `apiVersion: jml/v1
kind: Flow
name: cut-access
trigger: {helper: {}}
inputs: {login: {type: string, required: true}}
steps:
  - action: slack.deactivateUser
    with: {email: "${{ inputs.login }}"}
`,
	// Fires on the same events but only notifies: no deprovisioning.
	"notify.yaml": `apiVersion: jml/v1
kind: Flow
name: notify
trigger: {event: [user.lifecycle.deactivate, user.lifecycle.create]}
steps:
  - action: slack.postMessage
    with: {channel: "#it", text: "${{ event.eventType }} ${{ user.alternateId }}"}
`,
}

func load(t *testing.T) *project.Project {
	t.Helper()
	dir := t.TempDir()
	write := func(name, body string) {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("jml.yaml", config)
	for name, body := range flows {
		write("flows/"+name, body)
	}
	p, ds := project.Load(project.Options{Dir: dir})
	if ds.HasErrors() {
		t.Fatal(ds)
	}
	return p
}

var n int

// ev makes an event of type typ about the user login (id derived from it).
func ev(t *testing.T, typ, login string) *event.Event {
	t.Helper()
	n++
	line := fmt.Sprintf(`{"uuid":"e%04d","published":"2024-03-01T09:00:00.000Z","eventType":%q,"target":[{"id":"id-%s","type":"User","alternateId":%q}]}`, n, typ, login, login)
	s, err := event.Decode(strings.NewReader(line+"\n"), "test", event.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	e, err := s.Next()
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// recorder is an effector that records the calls, and blocks the first
// call about block until release is closed.
type recorder struct {
	mu      sync.Mutex
	calls   []string
	block   string
	release chan struct{}
	started chan struct{}
}

func (r *recorder) Do(ctx context.Context, req effect.Request) (map[string]any, error) {
	who, _ := req.Input["email"].(string)
	if who == "" {
		who, _ = req.Input["text"].(string)
	}
	if r.block != "" && strings.Contains(who, r.block) {
		r.mu.Lock()
		first := r.started != nil
		ch := r.started
		r.started = nil
		r.mu.Unlock()
		if first {
			close(ch)
			<-r.release
		}
	}
	r.mu.Lock()
	r.calls = append(r.calls, req.Action+" "+who)
	r.mu.Unlock()
	if req.Action == "deactivateUser" && strings.HasPrefix(who, "fail") {
		return nil, errors.New("boom")
	}
	return map[string]any{}, nil
}

// TestRunOrdersEventsOfOneUser: events of one user run in input order even
// while another user's run is stuck; other users are not held up by it.
func TestRunOrdersEventsOfOneUser(t *testing.T) {
	p := load(t)
	rec := &recorder{block: "slow@acme.com", release: make(chan struct{}), started: make(chan struct{})}
	started := rec.started
	eng := engine.New(engine.Options{Graph: p.Graph, Effector: rec, Clock: clock.NewVirtual(clock.Real{}.Now()), Mode: engine.ModeApply})
	events := []*event.Event{
		ev(t, "user.lifecycle.create", "slow@acme.com"),
		ev(t, "user.lifecycle.deactivate", "slow@acme.com"),
		ev(t, "user.lifecycle.deactivate", "fast@acme.com"),
	}
	var mu sync.Mutex
	var order []int
	done := make(chan struct{})
	go func() {
		apply.Run(context.Background(), eng, events, apply.Options{Parallelism: 2}, func(r apply.Result) {
			mu.Lock()
			order = append(order, r.Index)
			mu.Unlock()
			if r.Index == 2 {
				// The fast user finished while the slow one is stuck.
				close(rec.release)
			}
		})
		close(done)
	}()
	<-started
	<-done
	if fmt.Sprint(order) != "[2 0 1]" {
		t.Fatalf("events finished in order %v, want [2 0 1]", order)
	}
	var slow []string
	for _, c := range rec.calls {
		if strings.Contains(c, "slow@") {
			slow = append(slow, c)
		}
	}
	want := []string{"postMessage user.lifecycle.create slow@acme.com", "deactivateUser slow@acme.com", "postMessage user.lifecycle.deactivate slow@acme.com"}
	if fmt.Sprint(slow) != fmt.Sprint(want) {
		t.Fatalf("calls about the slow user\n got %q\nwant %q", slow, want)
	}
}

func TestRunStatusesAndCancellation(t *testing.T) {
	p := load(t)
	rec := &recorder{}
	eng := engine.New(engine.Options{Graph: p.Graph, Effector: rec, Clock: clock.NewVirtual(clock.Real{}.Now()), Mode: engine.ModeApply})
	events := []*event.Event{ev(t, "user.lifecycle.deactivate", "fail@acme.com"), ev(t, "user.lifecycle.deactivate", "ok@acme.com")}
	got := map[string]engine.Status{}
	apply.Run(context.Background(), eng, events, apply.Options{Parallelism: 4}, func(r apply.Result) {
		for _, run := range r.Runs {
			got[r.Event.Target("User")["alternateId"].(string)+" "+run.Flow] = run.Status
		}
	})
	want := map[string]engine.Status{"fail@acme.com leaver": engine.StatusHalted, "fail@acme.com notify": engine.StatusSuccess,
		"ok@acme.com leaver": engine.StatusSuccess, "ok@acme.com notify": engine.StatusSuccess}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("statuses %v, want %v", got, want)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	calls := len(rec.calls)
	apply.Run(ctx, eng, events, apply.Options{Parallelism: 4}, func(apply.Result) {})
	if len(rec.calls) != calls {
		t.Fatalf("a cancelled apply made %d calls", len(rec.calls)-calls)
	}
}
