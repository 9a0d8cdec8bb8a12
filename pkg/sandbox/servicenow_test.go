package sandbox_test

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/jml-dev/jml/pkg/diag"
	"github.com/jml-dev/jml/pkg/effect"
	"github.com/jml-dev/jml/pkg/world"
)

// describe applies a world description to both worlds of the pair.
func (p *pair) describe(t *testing.T, v map[string]any) {
	t.Helper()
	spec, ds := world.Decode(v, diag.Range{})
	if ds.HasErrors() {
		t.Fatal(ds)
	}
	for _, w := range []*world.World{p.local, p.remote} {
		if err := w.Apply(spec); err != nil {
			t.Fatal(err)
		}
	}
}

// again performs req a second time through the connector only (a retry or
// resume after the first try's answer was lost) and fails unless it
// answers first.
func (p *pair) again(t *testing.T, req effect.Request, first map[string]any) {
	t.Helper()
	got, err := p.clients[req.Instance].Do(context.Background(), req)
	if err != nil {
		t.Fatalf("second %s: %v", req.Name(), err)
	}
	if !reflect.DeepEqual(jsonOf(got), jsonOf(first)) {
		t.Fatalf("second %s answered %s, the first %s", req.Name(), mustJSON(got), mustJSON(first))
	}
}

func TestServiceNowRoundTrip(t *testing.T) {
	for wname, mk := range worlds {
		t.Run(wname, func(t *testing.T) {
			p := newPair(t, mk)
			tests := []effect.Request{
				{Action: "createRecord", Input: map[string]any{"table": "incident", "fields": map[string]any{"short_description": "VPN", "urgency": 2, "sys_id": "x"}}},
				{Action: "createRecord", Input: map[string]any{"table": "incident", "fields": map[string]any{"correlation_id": "mine"}}, IdempotencyKey: "k-flow-set"},
				{Action: "createRecord", Input: map[string]any{"table": "Bad Table", "fields": map[string]any{}}},
				{Action: "getRecord", Input: map[string]any{"table": "incident", "sysId": "0123456789abcdef0123456789abcdef"}},
				{Action: "getRecord", Input: map[string]any{"table": "incident", "sysId": "no/such id"}},
				{Action: "updateRecord", Input: map[string]any{"table": "incident", "sysId": "nope", "fields": map[string]any{"state": "2"}}},
			}
			for _, req := range tests {
				req.Instance = "itsm"
				p.both(t, req)
			}
			p.sameState(t)
		})
	}
}

// TestServiceNowIdempotentCreate: a createRecord tried again with the same
// idempotency key finds the record of the first try by correlation_id.
func TestServiceNowIdempotentCreate(t *testing.T) {
	p := newPair(t, worlds["seeded"])
	req := effect.Request{Instance: "itsm", Action: "createRecord", IdempotencyKey: "evt-9/leaver/ticket",
		Input: map[string]any{"table": "sc_task", "fields": map[string]any{"short_description": "Offboard"}}}
	first, _ := p.both(t, req)
	p.again(t, req, first)
	p.sameState(t)
	if recs := p.remote.Records("itsm", "sc_task", map[string]string{"correlation_id": req.IdempotencyKey}); len(recs) != 1 {
		t.Fatalf("%d records with the key, want 1", len(recs))
	}
	// Another key is another record.
	req.IdempotencyKey = "evt-9/leaver/other"
	second, _ := p.both(t, req)
	if second["sys_id"] == first["sys_id"] {
		t.Fatal("a different key found the first record")
	}
	p.sameState(t)
}

// TestFaultsRoundTrip: an injected fault is answered through the
// connector as in-process: status, code, retryability and Retry-After.
func TestFaultsRoundTrip(t *testing.T) {
	tests := []struct {
		fault world.Fault
		req   effect.Request
	}{
		{world.Fault{Action: "itsm.createRecord", Status: 503, RetryAfter: 2 * time.Second},
			effect.Request{Instance: "itsm", Action: "createRecord", Input: map[string]any{"table": "sc_task", "fields": map[string]any{}}, IdempotencyKey: "k1"}},
		{world.Fault{Action: "itsm.getRecord", Status: 403},
			effect.Request{Instance: "itsm", Action: "getRecord", Input: map[string]any{"table": "sc_task", "sysId": "x"}}},
		{world.Fault{Action: "jira.createIssue", Status: 429, RetryAfter: 3 * time.Second},
			effect.Request{Instance: "jira", Action: "createIssue", Input: map[string]any{"project": "IT", "issueType": "Task", "summary": "s"}, IdempotencyKey: "k2"}},
		{world.Fault{Action: "gh.removeOrgMember", Status: 404},
			effect.Request{Instance: "gh", Action: "removeOrgMember", Input: map[string]any{"org": "acme", "username": "jane.doe"}}},
		{world.Fault{Action: "gh.*", User: "jane.doe", Status: 500},
			effect.Request{Instance: "gh", Action: "getOrgMembership", Input: map[string]any{"org": "acme", "username": "jane.doe"}}},
		{world.Fault{Action: "hr.request", Status: 502, RetryAfter: time.Second},
			effect.Request{Instance: "hr", Action: "request", Input: map[string]any{"method": "PUT", "path": "/x", "body": map[string]any{"a": 1}}}},
		{world.Fault{Action: "hr.request", Latency: time.Second},
			effect.Request{Instance: "hr", Action: "request", Input: map[string]any{"method": "GET", "path": "/slow"}}},
	}
	for _, tt := range tests {
		t.Run(tt.fault.Action, func(t *testing.T) {
			p := newPair(t, worlds["seeded"])
			p.local.AddFaults(tt.fault)
			p.remote.AddFaults(tt.fault)
			tt.req.Attempt = 1
			want, werr := p.local.Do(context.Background(), tt.req)
			got, gerr := p.clients[tt.req.Instance].Do(context.Background(), tt.req)
			we, ge := effect.AsError(werr), effect.AsError(gerr)
			if (we == nil) != (ge == nil) {
				t.Fatalf("in-process %v %v, via sandbox %v %v", want, werr, got, gerr)
			}
			if we != nil && (we.Status != ge.Status || we.Code != ge.Code || we.Retryable != ge.Retryable || we.RetryAfter != ge.RetryAfter) {
				t.Fatalf("in-process %#v, via sandbox %#v", we, ge)
			}
			p.sameState(t)
			// The fault is spent (or not) alike: the next call agrees too.
			p.both(t, tt.req)
			p.sameState(t)
		})
	}
}
