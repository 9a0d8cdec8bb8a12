package engine

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/jml-dev/jml/pkg/clock"
	"github.com/jml-dev/jml/pkg/effect"
)

// barrier is an effector whose calls wait until `want` of them are in
// flight at once: it proves that a concurrent forEach really overlaps its
// items (a sequential one would never release it).
type barrier struct {
	mu       sync.Mutex
	inflight int
	want     int
	open     chan struct{}
	calls    []string
	failOn   string
}

func (b *barrier) Do(ctx context.Context, req effect.Request) (map[string]any, error) {
	email, _ := req.Input["email"].(string)
	b.mu.Lock()
	b.calls = append(b.calls, email)
	b.inflight++
	if b.inflight == b.want {
		close(b.open)
	}
	b.mu.Unlock()
	select {
	case <-b.open:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if b.failOn != "" && email == b.failOn {
		return nil, &effect.Error{Status: 500, Code: "server_error", Message: "boom"}
	}
	return map[string]any{}, nil
}

const sweepSrc = `name: sweep
trigger: {event: user.lifecycle.deactivate}
vars:
  members: '["a@acme.com", "b@acme.com", "c@acme.com", "d@acme.com", "e@acme.com", "f@acme.com"]'
  last: '""'
steps:
  - forEach: vars.members
    as: m
    concurrency: 3
    do:
      - action: slack.deactivateUser
        with: {email: "${{ m }}"}
      - if: m == "d@acme.com"
        then:
          - assign: {last: m}
  - action: slack.postMessage
    with: {channel: "#it", text: "last ${{ vars.last }}"}
`

func TestForEachConcurrentInApply(t *testing.T) {
	g := graph(t, sweepSrc)
	b := &barrier{want: 3, open: make(chan struct{})}
	e := New(Options{Graph: g, Effector: b, Clock: clock.NewVirtual(t0), Mode: ModeApply})
	r := e.Run(context.Background(), g.Flows["sweep"], Trigger{Event: deactivation(), At: t0})
	if r.Status != StatusSuccess {
		t.Fatalf("status %s: %+v", r.Status, r.Error)
	}
	// Results in item order, whatever order the calls were made in.
	var got []string
	for _, c := range r.Changes {
		got = append(got, fmt.Sprint(c.With["email"], c.With["text"]))
	}
	want := "a@acme.com<nil> b@acme.com<nil> c@acme.com<nil> d@acme.com<nil> e@acme.com<nil> f@acme.com<nil> <nil>last d@acme.com"
	if strings.Join(got, " ") != want {
		t.Fatalf("changes\n got %s\nwant %s", strings.Join(got, " "), want)
	}
	// The trace lists the items in order too.
	var paths []string
	for _, c := range r.Cards[0].Children {
		if c.Kind == "action" {
			paths = append(paths, c.Path)
		}
	}
	if len(paths) != 6 || paths[0] != "steps[0]#0/steps[0].do[0]" || paths[5] != "steps[0]#5/steps[0].do[0]" {
		t.Fatalf("trace paths %v", paths)
	}
}

func TestForEachConcurrentStopsAtTheFirstFailure(t *testing.T) {
	g := graph(t, sweepSrc)
	b := &barrier{want: 3, open: make(chan struct{}), failOn: "b@acme.com"}
	e := New(Options{Graph: g, Effector: b, Clock: clock.NewVirtual(t0), Mode: ModeApply})
	r := e.Run(context.Background(), g.Flows["sweep"], Trigger{Event: deactivation(), At: t0})
	if r.Status != StatusHalted || r.Error == nil || r.Error.Message != "boom" {
		t.Fatalf("status %s, error %+v; want halted by b's failure", r.Status, r.Error)
	}
	// The card after the loop never runs. (Items already started when b
	// failed may finish; no item starts after it.)
	for _, c := range b.calls {
		if c == "" {
			t.Fatalf("calls %v: the card after the loop ran", b.calls)
		}
	}
	if strings.Contains(changes(r), "postMessage") {
		t.Fatalf("changes %s", changes(r))
	}
}

// In plan, the same loop runs its items one after another.
func TestForEachSequentialInPlan(t *testing.T) {
	g := graph(t, sweepSrc)
	fx := &fake{}
	r, _ := run(t, g, fx, "sweep")
	if r.Status != StatusSuccess || fx.names() == "" {
		t.Fatalf("status %s", r.Status)
	}
	var emails []string
	for _, c := range fx.calls {
		if e, ok := c.Input["email"].(string); ok {
			emails = append(emails, e)
		}
	}
	if strings.Join(emails, " ") != "a@acme.com b@acme.com c@acme.com d@acme.com e@acme.com f@acme.com" {
		t.Fatalf("calls %v", emails)
	}
}
