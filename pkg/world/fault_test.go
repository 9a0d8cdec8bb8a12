package world

import (
	"context"
	"testing"
	"time"

	"github.com/jml-dev/jml/pkg/effect"
)

func TestFaults(t *testing.T) {
	type try struct {
		call    string
		in      map[string]any
		timeout time.Duration
		status  int    // expected error status; 0 with code "" = success
		code    string // expected error code
		retry   time.Duration
		elapsed time.Duration // virtual time the call took
	}
	deactivate := map[string]any{"email": "jane.doe@acme.com"}
	tests := []struct {
		name   string
		faults []Fault
		tries  []try
		check  func(t *testing.T, w *World)
	}{
		{
			name:   "after: the action is done, then the answer times out",
			faults: []Fault{{Action: "itsm.createRecord", Timeout: true, After: true, Times: 1}},
			tries: []try{
				{call: "itsm.createRecord", in: map[string]any{"table": "sc_task", "fields": map[string]any{}}, timeout: 10 * time.Second, code: "timeout", elapsed: 10 * time.Second},
				{call: "itsm.createRecord", in: map[string]any{"table": "sc_task", "fields": map[string]any{}}},
			},
			check: func(t *testing.T, w *World) {
				// Both calls made a record: the first answer was lost, not
				// the work.
				if n := len(w.Records("itsm", "sc_task", nil)); n != 2 {
					t.Errorf("%d records, want 2", n)
				}
			},
		},
		{
			name:   "status with times and retryAfter, then the action runs",
			faults: []Fault{{Action: "slack.deactivateUser", Status: 429, Times: 2, RetryAfter: time.Second}},
			tries: []try{
				{call: "slack.deactivateUser", in: deactivate, status: 429, code: "rate_limited", retry: time.Second},
				{call: "slack.deactivateUser", in: deactivate, status: 429, code: "rate_limited", retry: time.Second},
				{call: "slack.deactivateUser", in: deactivate},
			},
			check: func(t *testing.T, w *World) {
				if fs := w.Faults(); fs[0].Left != 0 {
					t.Errorf("left %d", fs[0].Left)
				}
			},
		},
		{
			name:   "a failed call does not perform the action",
			faults: []Fault{{Action: "slack.deactivateUser", Status: 503, Times: 1}},
			tries: []try{
				{call: "slack.deactivateUser", in: deactivate, status: 503, code: "server_error"},
			},
			check: func(t *testing.T, w *World) {
				if got := mustDo(t, w, "slack.lookupUserByEmail", deactivate)["active"]; got != true {
					t.Errorf("active %v after a failed deactivate", got)
				}
			},
		},
		{
			name:   "status without times applies to every call",
			faults: []Fault{{Action: "google.suspendUser", Status: 404}},
			tries: []try{
				{call: "google.suspendUser", in: map[string]any{"userKey": "jane.doe@acme.com"}, status: 404, code: "not_found"},
				{call: "google.suspendUser", in: map[string]any{"userKey": "jane.doe@acme.com"}, status: 404, code: "not_found"},
				{call: "google.signOutUser", in: map[string]any{"userKey": "jane.doe@acme.com"}},
			},
			check: func(t *testing.T, w *World) {
				if fs := w.Faults(); fs[0].Left != -1 {
					t.Errorf("left %d, want -1 (unlimited)", fs[0].Left)
				}
			},
		},
		{
			name:   "latency below the timeout delays, then the action runs",
			faults: []Fault{{Action: "itsm.createRecord", Latency: 200 * time.Millisecond}},
			tries: []try{
				{call: "itsm.createRecord", in: map[string]any{"table": "incident", "fields": map[string]any{}}, elapsed: 200 * time.Millisecond},
			},
			check: func(t *testing.T, w *World) {
				if n := len(w.Records("itsm", "incident", nil)); n != 1 {
					t.Errorf("%d records", n)
				}
			},
		},
		{
			name:   "latency at or above the request timeout times out after the timeout",
			faults: []Fault{{Action: "itsm.createRecord", Latency: 5 * time.Second}},
			tries: []try{
				{call: "itsm.createRecord", in: map[string]any{"table": "incident", "fields": map[string]any{}}, timeout: 2 * time.Second,
					code: "timeout", elapsed: 2 * time.Second},
				{call: "itsm.createRecord", in: map[string]any{"table": "incident", "fields": map[string]any{}}, timeout: 5 * time.Second,
					code: "timeout", elapsed: 5 * time.Second},
			},
			check: func(t *testing.T, w *World) {
				if n := len(w.Records("itsm", "incident", nil)); n != 0 {
					t.Errorf("%d records after timeouts", n)
				}
			},
		},
		{
			name:   "latency above the default timeout",
			faults: []Fault{{Action: "okta.getUser", Latency: time.Minute}},
			tries: []try{
				{call: "okta.getUser", in: map[string]any{"userId": jane.ID}, code: "timeout", elapsed: DefaultTimeout},
			},
		},
		{
			name:   "timeout uses the request timeout, else 30s",
			faults: []Fault{{Action: "okta.*", Timeout: true, Times: 2}},
			tries: []try{
				{call: "okta.getUser", in: map[string]any{"userId": jane.ID}, timeout: 10 * time.Second, code: "timeout", elapsed: 10 * time.Second},
				{call: "okta.deactivateUser", in: map[string]any{"userId": jane.ID}, code: "timeout", elapsed: 30 * time.Second},
				{call: "okta.getUser", in: map[string]any{"userId": jane.ID}},
			},
			check: func(t *testing.T, w *World) {
				if got := mustDo(t, w, "okta.getUser", map[string]any{"userId": jane.ID})["status"]; got != "ACTIVE" {
					t.Errorf("status %v after a timed-out deactivate", got)
				}
			},
		},
		{
			name:   "user filter matches any string input, case-insensitively",
			faults: []Fault{{Action: "slack.*", User: "Jane.Doe@acme.com", Status: 500}},
			tries: []try{
				{call: "slack.deactivateUser", in: map[string]any{"email": "bob@acme.com"}},
				{call: "slack.deactivateUser", in: deactivate, status: 500, code: "server_error"},
				{call: "slack.inviteToChannel", in: map[string]any{"channel": "#x", "email": "jane.doe@acme.com"}, status: 500, code: "server_error"},
			},
		},
		{
			name: "the first matching fault with tries left applies",
			faults: []Fault{
				{Action: "okta.getUser", Status: 503, Times: 1, Message: "Okta is down"},
				{Action: "okta.getUser", User: "bob@acme.com", Status: 403},
				{Action: "okta.*", Status: 500, Times: 1},
			},
			tries: []try{
				{call: "okta.getUser", in: map[string]any{"userId": "bob@acme.com"}, status: 503, code: "server_error"},
				{call: "okta.getUser", in: map[string]any{"userId": "bob@acme.com"}, status: 403, code: "forbidden"},
				{call: "okta.getUser", in: map[string]any{"userId": jane.ID}, status: 500, code: "server_error"},
				{call: "okta.getUser", in: map[string]any{"userId": jane.ID}},
			},
		},
		{
			name:   "latency then status",
			faults: []Fault{{Action: "sf.freezeUser", Latency: time.Second, Status: 502, Times: 1}},
			tries: []try{
				{call: "sf.freezeUser", in: map[string]any{"username": "jane.doe@acme.com"}, status: 502, code: "server_error", elapsed: time.Second},
				{call: "sf.freezeUser", in: map[string]any{"username": "jane.doe@acme.com"}},
			},
		},
		{
			name:   "faults on other instances do not apply",
			faults: []Fault{{Action: "itsm.createRecord", Status: 500}},
			tries: []try{
				{call: "jira.createIssue", in: map[string]any{"project": "IT", "issueType": "Task", "summary": "s"}},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, clk := seeded(t)
			w.AddFaults(tt.faults...)
			for i, tr := range tt.tries {
				before := clk.Now()
				_, err := doReq(w, effect.Request{Input: tr.in, Timeout: tr.timeout}, tr.call)
				if took := clk.Now().Sub(before); took != tr.elapsed {
					t.Errorf("try %d: took %s, want %s", i+1, took, tr.elapsed)
				}
				if tr.code == "" {
					if err != nil {
						t.Fatalf("try %d: unexpected error %v", i+1, err)
					}
					continue
				}
				if err == nil {
					t.Fatalf("try %d: no error, want %s", i+1, tr.code)
				}
				if err.Status != tr.status || err.Code != tr.code || err.RetryAfter != tr.retry {
					t.Errorf("try %d: got %#v, want status %d code %s retryAfter %s", i+1, err, tr.status, tr.code, tr.retry)
				}
				if want := tr.code == "timeout" || tr.status == 429 || tr.status >= 500; err.Retryable != want {
					t.Errorf("try %d: retryable %v", i+1, err.Retryable)
				}
			}
			if tt.check != nil {
				tt.check(t, w)
			}
		})
	}
}

func TestFaultMessage(t *testing.T) {
	w, _ := seeded(t)
	w.AddFaults(Fault{Action: "okta.getUser", Status: 503, Times: 1, Message: "Okta is down"}, Fault{Action: "okta.getUser", Status: 429})
	for _, want := range []string{"Okta is down", "rate limit exceeded (injected fault)"} {
		_, err := do(w, "okta.getUser", map[string]any{"userId": jane.ID})
		if err == nil || err.Message != want {
			t.Errorf("got %v, want message %q", err, want)
		}
	}
}

func TestCancelledContext(t *testing.T) {
	w, _ := seeded(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := w.Do(ctx, effect.Request{Instance: "okta", Action: "getUser", Input: map[string]any{"userId": jane.ID}})
	if _, ok := err.(*effect.Error); !ok {
		t.Fatalf("got %T %v, want an *effect.Error", err, err)
	}
}
