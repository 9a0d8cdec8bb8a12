package connector

import (
	"context"
	"fmt"
	"net/url"
	"regexp"
	"strings"

	"github.com/jml-dev/jml/pkg/effect"
)

// serviceNowClient performs servicenow actions with the Table API
// (/api/now/table/{table}): every answer is {"result": record} with the
// record's fields as text.
type serviceNowClient struct{ in *Instance }

func newServiceNow(in *Instance) Client { return &serviceNowClient{in: in} }

// snTable is a ServiceNow table name (incident, sc_task, u_custom,
// x_scope_table); checking it keeps a table input from reaching another
// endpoint of the instance.
var snTable = regexp.MustCompile(`^[a-z0-9_]+$`)

// snRead are the query parameters of every read: reference fields as their
// sys_id rather than {link, value}, as the world keeps them.
var snRead = url.Values{"sysparm_exclude_reference_link": {"true"}}

// Do performs one action.
func (c *serviceNowClient) Do(ctx context.Context, req effect.Request) (map[string]any, error) {
	switch req.Action {
	case "getRecord", "createRecord", "updateRecord":
	default:
		return nil, Unsupported(c.in.Type, req.Action)
	}
	v, err := Require(req.Input, "table")
	if err != nil {
		return nil, err
	}
	table := strings.TrimSpace(v[0])
	if !snTable.MatchString(table) {
		return nil, effect.HTTPError(400, "Invalid table "+table)
	}
	path := "/api/now/table/" + Seg(table)
	switch req.Action {
	case "getRecord":
		v, err := Require(req.Input, "sysId")
		if err != nil {
			return nil, err
		}
		rec, err := c.record(ctx, "GET", path+"/"+Seg(strings.TrimSpace(v[0])), snRead, nil)
		if err != nil {
			return nil, err
		}
		return map[string]any{"sys_id": String(rec, "sys_id"), "number": String(rec, "number"), "fields": rec}, nil
	case "createRecord":
		fields, err := snFields(req.Input)
		if err != nil {
			return nil, err
		}
		if _, set := fields["correlation_id"]; !set && req.IdempotencyKey != "" {
			// The Table API has no idempotency key: the record carries ours
			// in correlation_id, and a retried or resumed create finds the
			// record the first try made instead of making a second one.
			found, err := c.byCorrelation(ctx, path, req.IdempotencyKey)
			if err != nil || found != nil {
				return found, err
			}
			fields["correlation_id"] = req.IdempotencyKey
		}
		rec, err := c.record(ctx, "POST", path, nil, fields)
		if err != nil {
			return nil, err
		}
		return map[string]any{"sys_id": String(rec, "sys_id"), "number": String(rec, "number")}, nil
	default: // updateRecord
		v, err := Require(req.Input, "sysId")
		if err != nil {
			return nil, err
		}
		fields, err := snFields(req.Input)
		if err != nil {
			return nil, err
		}
		rec, err := c.record(ctx, "PATCH", path+"/"+Seg(strings.TrimSpace(v[0])), nil, fields)
		if err != nil {
			return nil, err
		}
		return map[string]any{"sys_id": String(rec, "sys_id"), "number": String(rec, "number")}, nil
	}
}

// snFields returns a copy of the fields input without sys_id and number,
// which ServiceNow generates.
func snFields(in map[string]any) (map[string]any, error) {
	f, ok := in["fields"].(map[string]any)
	if !ok {
		return nil, &effect.Error{Status: 400, Code: "invalid_input", Message: `input "fields" is required and must be an object`}
	}
	out := make(map[string]any, len(f))
	for k, v := range f {
		if k != "sys_id" && k != "number" {
			out[k] = v
		}
	}
	return out, nil
}

// record makes a call answered by {"result": {record}}.
func (c *serviceNowClient) record(ctx context.Context, method, path string, query url.Values, body any) (map[string]any, error) {
	resp, err := c.in.Call(ctx, method, path, query, body, nil)
	if err != nil {
		return nil, err
	}
	o, err := resp.Object()
	if err != nil {
		return nil, err
	}
	rec, ok := o["result"].(map[string]any)
	if !ok {
		return nil, &effect.Error{Status: resp.Status, Code: "bad_response", Message: "the ServiceNow answer has no result record"}
	}
	return rec, nil
}

// byCorrelation returns {sys_id, number} of the first record of the table
// whose correlation_id is key, or nil.
func (c *serviceNowClient) byCorrelation(ctx context.Context, path, key string) (map[string]any, error) {
	if strings.Contains(key, "^") {
		// An encoded query: ^ separates conditions, so a key holding one
		// cannot be looked up (jml's keys are hex digits).
		return nil, &effect.Error{Code: "invalid_input", Message: fmt.Sprintf("idempotency key %q cannot be a ServiceNow query value", key)}
	}
	q := url.Values{
		"sysparm_query":                  {"correlation_id=" + key},
		"sysparm_limit":                  {"1"},
		"sysparm_fields":                 {"sys_id,number"},
		"sysparm_exclude_reference_link": {"true"},
	}
	resp, err := c.in.Call(ctx, "GET", path, q, nil, nil)
	if err != nil {
		return nil, err
	}
	o, err := resp.Object()
	if err != nil {
		return nil, err
	}
	l, ok := o["result"].([]any)
	if !ok {
		return nil, &effect.Error{Status: resp.Status, Code: "bad_response", Message: "the ServiceNow answer has no result list"}
	}
	if len(l) == 0 {
		return nil, nil
	}
	rec, _ := l[0].(map[string]any)
	return map[string]any{"sys_id": String(rec, "sys_id"), "number": String(rec, "number")}, nil
}
