package connector_test

import (
	"net/url"
	"testing"
	"time"

	"github.com/jml-dev/jml/pkg/effect"
)

func snErr(msg string) map[string]any {
	return map[string]any{"error": map[string]any{"message": msg, "detail": "Record doesn't exist or ACL restricts the record retrieval"}, "status": "failure"}
}

func TestServiceNowClient(t *testing.T) {
	read := url.Values{"sysparm_exclude_reference_link": {"true"}}
	lookup := func(key string) url.Values {
		return url.Values{"sysparm_query": {"correlation_id=" + key}, "sysparm_limit": {"1"}, "sysparm_fields": {"sys_id,number"}, "sysparm_exclude_reference_link": {"true"}}
	}
	rec := map[string]any{"sys_id": "abc", "number": "INC0010001", "short_description": "VPN down", "caller_id": "u1"}
	runRV(t, "servicenow", []rvCase{
		{name: "getRecord",
			req:   effect.Request{Action: "getRecord", Input: map[string]any{"table": "incident", "sysId": "abc"}},
			calls: []rvCall{{method: "GET", path: "/api/now/table/incident/abc", query: read, resp: map[string]any{"result": rec}}},
			want:  map[string]any{"sys_id": "abc", "number": "INC0010001", "fields": rec}},
		{name: "createRecord without key",
			req:   effect.Request{Action: "createRecord", Input: map[string]any{"table": "incident", "fields": map[string]any{"short_description": "VPN down", "sys_id": "mine"}}},
			calls: []rvCall{{method: "POST", path: "/api/now/table/incident", body: map[string]any{"short_description": "VPN down"}, status: 201, resp: map[string]any{"result": rec}}},
			want:  map[string]any{"sys_id": "abc", "number": "INC0010001"}},
		{name: "createRecord looks the key up, then creates with it",
			req: effect.Request{Action: "createRecord", Input: map[string]any{"table": "sc_task", "fields": map[string]any{"short_description": "x"}}, IdempotencyKey: "jml-k1"},
			calls: []rvCall{
				{method: "GET", path: "/api/now/table/sc_task", query: lookup("jml-k1"), resp: map[string]any{"result": []any{}}},
				{method: "POST", path: "/api/now/table/sc_task", body: map[string]any{"short_description": "x", "correlation_id": "jml-k1"}, status: 201,
					resp: map[string]any{"result": map[string]any{"sys_id": "s1", "number": "SCTASK0010001"}}},
			},
			want: map[string]any{"sys_id": "s1", "number": "SCTASK0010001"}},
		{name: "createRecord again finds the first record",
			req: effect.Request{Action: "createRecord", Input: map[string]any{"table": "sc_task", "fields": map[string]any{"short_description": "x"}}, IdempotencyKey: "jml-k1"},
			calls: []rvCall{{method: "GET", path: "/api/now/table/sc_task", query: lookup("jml-k1"),
				resp: map[string]any{"result": []any{map[string]any{"sys_id": "s1", "number": "SCTASK0010001"}}}}},
			want: map[string]any{"sys_id": "s1", "number": "SCTASK0010001"}},
		{name: "createRecord with the flow's correlation_id",
			req: effect.Request{Action: "createRecord", Input: map[string]any{"table": "sc_task", "fields": map[string]any{"correlation_id": "HR-1"}}, IdempotencyKey: "jml-k1"},
			calls: []rvCall{{method: "POST", path: "/api/now/table/sc_task", body: map[string]any{"correlation_id": "HR-1"}, status: 201,
				resp: map[string]any{"result": map[string]any{"sys_id": "s2", "number": "SCTASK0010002"}}}},
			want: map[string]any{"sys_id": "s2", "number": "SCTASK0010002"}},
		{name: "updateRecord escapes the sys_id",
			req:   effect.Request{Action: "updateRecord", Input: map[string]any{"table": "incident", "sysId": "a/b c", "fields": map[string]any{"state": "2"}}},
			calls: []rvCall{{method: "PATCH", path: "/api/now/table/incident/a%2Fb%20c", body: map[string]any{"state": "2"}, resp: map[string]any{"result": rec}}},
			want:  map[string]any{"sys_id": "abc", "number": "INC0010001"}},
		{name: "404",
			req:   effect.Request{Action: "getRecord", Input: map[string]any{"table": "incident", "sysId": "nope"}},
			calls: []rvCall{{method: "GET", path: "/api/now/table/incident/nope", status: 404, resp: snErr("No Record found")}},
			err:   &effect.Error{Status: 404, Code: "not_found"}, msg: "No Record found"},
		{name: "429 with Retry-After",
			req: effect.Request{Action: "createRecord", Input: map[string]any{"table": "incident", "fields": map[string]any{}}, IdempotencyKey: "k"},
			calls: []rvCall{{method: "GET", path: "/api/now/table/incident", status: 429, respHeader: map[string]string{"Retry-After": "2"},
				resp: snErr("Rate limit exceeded")}},
			err: &effect.Error{Status: 429, Code: "rate_limited", Retryable: true, RetryAfter: 2 * time.Second}, msg: "Rate limit"},
		{name: "500",
			req:   effect.Request{Action: "updateRecord", Input: map[string]any{"table": "incident", "sysId": "abc", "fields": map[string]any{}}},
			calls: []rvCall{{method: "PATCH", path: "/api/now/table/incident/abc", status: 500, resp: snErr("Internal error")}},
			err:   &effect.Error{Status: 500, Code: "server_error", Retryable: true}, msg: "Internal error"},
		{name: "invalid table is refused before any call",
			req: effect.Request{Action: "getRecord", Input: map[string]any{"table": "../sys_user", "sysId": "abc"}},
			err: &effect.Error{Status: 400, Code: "invalid_input"}, msg: "Invalid table"},
		{name: "missing fields",
			req: effect.Request{Action: "createRecord", Input: map[string]any{"table": "incident"}},
			err: &effect.Error{Status: 400, Code: "invalid_input"}, msg: "fields"},
		{name: "unknown action",
			req: effect.Request{Action: "deleteRecord", Input: map[string]any{"table": "incident"}},
			err: &effect.Error{Status: 501, Code: "unsupported"}},
	})
}

func TestServiceNowClientTimeout(t *testing.T) {
	rvTimeout(t, "servicenow", effect.Request{Action: "getRecord", Input: map[string]any{"table": "incident", "sysId": "abc"}})
}
