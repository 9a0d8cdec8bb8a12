package connector_test

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/jml-dev/jml/pkg/effect"
)

const (
	sfQuery     = "/services/data/v62.0/query"
	sfUserQ     = "SELECT Id, IsActive FROM User WHERE Username = 'jane.doe@acme.com'"
	sfLoginQ    = "SELECT Id, IsFrozen FROM UserLogin WHERE UserId = '005Hs00000AbCdEIAV'"
	sfUserRecs  = `{"totalSize":1,"done":true,"records":[{"attributes":{"type":"User","url":"/services/data/v62.0/sobjects/User/005Hs00000AbCdEIAV"},"Id":"005Hs00000AbCdEIAV","IsActive":true}]}`
	sfLoginRecs = `{"totalSize":1,"done":true,"records":[{"attributes":{"type":"UserLogin","url":"/services/data/v62.0/sobjects/UserLogin/060Hs00000XyZaBIAV"},"Id":"060Hs00000XyZaBIAV","IsFrozen":false}]}`
	sfNone      = `{"totalSize":0,"done":true,"records":[]}`
)

func sfErr(code, msg string) string { return `[{"message":"` + msg + `","errorCode":"` + code + `"}]` }

func TestSalesforceClient(t *testing.T) {
	q := func(soql string) url.Values { return url.Values{"q": {soql}} }
	jane := map[string]any{"username": "jane.doe@acme.com"}
	userCall := gmsExchange{method: "GET", path: sfQuery, query: q(sfUserQ), resp: sfUserRecs}
	loginCall := gmsExchange{method: "GET", path: sfQuery, query: q(sfLoginQ), resp: sfLoginRecs}
	runGMSClientCases(t, "salesforce", []gmsClientCase{
		{name: "getUser", action: "getUser", input: jane, calls: []gmsExchange{userCall, loginCall},
			want: map[string]any{"id": "005Hs00000AbCdEIAV", "isActive": true, "frozen": false}},
		{name: "getUser escapes the username", action: "getUser", input: map[string]any{"username": `o'brien\' OR Name != '"x"@acme.com`},
			calls: []gmsExchange{{method: "GET", path: sfQuery,
				query: q(`SELECT Id, IsActive FROM User WHERE Username = 'o\'brien\\\' OR Name != \'\"x\"@acme.com'`), resp: sfNone}},
			err: &effect.Error{Status: 404, Code: "not_found"}, errMsg: "o'brien"},
		{name: "getUser unknown", action: "getUser", input: jane,
			calls: []gmsExchange{{method: "GET", path: sfQuery, query: q(sfUserQ), resp: sfNone}},
			err:   &effect.Error{Status: 404, Code: "not_found"}, errMsg: "jane.doe@acme.com"},
		{name: "getUser without a login record", action: "getUser", input: jane,
			calls: []gmsExchange{userCall, {method: "GET", path: sfQuery, query: q(sfLoginQ), resp: sfNone}},
			err:   &effect.Error{Status: 404, Code: "not_found"}, errMsg: "UserLogin"},
		{name: "getUser missing input", action: "getUser", input: map[string]any{},
			err: &effect.Error{Status: 400, Code: "invalid_input"}, errMsg: "username"},
		{name: "getUser malformed query", action: "getUser", input: jane,
			calls: []gmsExchange{{method: "GET", path: sfQuery, query: q(sfUserQ), status: 400,
				resp: sfErr("MALFORMED_QUERY", "unexpected token: OR")}},
			err: &effect.Error{Status: 400, Code: "invalid_input"}, errMsg: "unexpected token"},
		{name: "getUser expired session", action: "getUser", input: jane,
			calls: []gmsExchange{{method: "GET", path: sfQuery, query: q(sfUserQ), status: 401,
				resp: sfErr("INVALID_SESSION_ID", "Session expired or invalid")}},
			err: &effect.Error{Status: 401, Code: "unauthorized"}, errMsg: "Session expired"},
		{name: "getUser 429", action: "getUser", input: jane,
			calls: []gmsExchange{{method: "GET", path: sfQuery, query: q(sfUserQ), status: 429, header: http.Header{"Retry-After": {"3"}},
				resp: sfErr("REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.")}},
			err: &effect.Error{Status: 429, Code: "rate_limited", Retryable: true, RetryAfter: 3 * time.Second}},
		{name: "getUser 500", action: "getUser", input: jane,
			calls: []gmsExchange{{method: "GET", path: sfQuery, query: q(sfUserQ), status: 500, resp: sfErr("UNKNOWN_EXCEPTION", "An unexpected error occurred")}},
			err:   &effect.Error{Status: 500, Code: "server_error", Retryable: true}, errMsg: "unexpected error"},
		{name: "freezeUser", action: "freezeUser", input: jane, calls: []gmsExchange{userCall, loginCall,
			{method: "PATCH", path: "/services/data/v62.0/sobjects/UserLogin/060Hs00000XyZaBIAV", body: `{"IsFrozen":true}`, status: 204}},
			want: map[string]any{}},
		{name: "unfreezeUser", action: "unfreezeUser", input: jane, calls: []gmsExchange{userCall, loginCall,
			{method: "PATCH", path: "/services/data/v62.0/sobjects/UserLogin/060Hs00000XyZaBIAV", body: `{"IsFrozen":false}`, status: 204}},
			want: map[string]any{}},
		{name: "freezeUser unknown", action: "freezeUser", input: jane,
			calls: []gmsExchange{{method: "GET", path: sfQuery, query: q(sfUserQ), resp: sfNone}},
			err:   &effect.Error{Status: 404, Code: "not_found"}},
		{name: "deactivateUser", action: "deactivateUser", input: jane, calls: []gmsExchange{userCall,
			{method: "PATCH", path: "/services/data/v62.0/sobjects/User/005Hs00000AbCdEIAV", body: `{"IsActive":false}`, status: 204}},
			want: map[string]any{}},
		{name: "deactivateUser refused", action: "deactivateUser", input: jane, calls: []gmsExchange{userCall,
			{method: "PATCH", path: "/services/data/v62.0/sobjects/User/005Hs00000AbCdEIAV", body: `{"IsActive":false}`, status: 400,
				resp: sfErr("FIELD_INTEGRITY_EXCEPTION", "You cannot deactivate a user who is the default lead creator")}},
			err: &effect.Error{Status: 400, Code: "invalid_input"}, errMsg: "cannot deactivate"},
	})
}

func TestSalesforceClientTimeout(t *testing.T) {
	testGMSTimeout(t, "salesforce", "freezeUser", map[string]any{"username": "jane.doe@acme.com"})
}
