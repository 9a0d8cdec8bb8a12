package connector_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/mail"
	"strings"
	"testing"

	"github.com/jml-dev/jml/pkg/effect"
)

const gmJane = "/gmail/v1/users/jane.doe@acme.com"

func TestGmailClient(t *testing.T) {
	runGMSClientCases(t, "google", []gmsClientCase{
		{name: "addDelegate", action: "addDelegate", input: map[string]any{"userKey": "jane.doe@acme.com", "delegateEmail": "boss@acme.com"},
			calls: []gmsExchange{{method: "POST", path: gmJane + "/settings/delegates", body: `{"delegateEmail":"boss@acme.com"}`,
				resp: `{"delegateEmail":"boss@acme.com","verificationStatus":"accepted"}`}},
			want: map[string]any{}},
		{name: "addDelegate already a delegate (409) is done", action: "addDelegate", input: map[string]any{"userKey": "jane.doe@acme.com", "delegateEmail": "boss@acme.com"},
			calls: []gmsExchange{{method: "POST", path: gmJane + "/settings/delegates", body: `{"delegateEmail":"boss@acme.com"}`,
				status: 409, resp: gErr(409, "Delegate already exists.")}},
			want: map[string]any{}},
		{name: "addDelegate outside the domain fails", action: "addDelegate", input: map[string]any{"userKey": "jane.doe@acme.com", "delegateEmail": "x@other.com"},
			calls: []gmsExchange{{method: "POST", path: gmJane + "/settings/delegates", body: `{"delegateEmail":"x@other.com"}`,
				status: 400, resp: gErr(400, "Invalid delegate")}},
			err: &effect.Error{Status: 400, Code: "invalid_input"}, errMsg: "Invalid delegate"},
		{name: "removeDelegate", action: "removeDelegate", input: map[string]any{"userKey": "jane.doe@acme.com", "delegateEmail": "boss@acme.com"},
			calls: []gmsExchange{{method: "DELETE", path: gmJane + "/settings/delegates/boss@acme.com", status: 204}},
			want:  map[string]any{}},
		{name: "removeDelegate not a delegate (404) is done", action: "removeDelegate", input: map[string]any{"userKey": "jane.doe@acme.com", "delegateEmail": "boss@acme.com"},
			calls: []gmsExchange{{method: "DELETE", path: gmJane + "/settings/delegates/boss@acme.com", status: 404, resp: gErr(404, "Requested entity was not found.")}},
			want:  map[string]any{}},
		{name: "removeDelegate unknown mailbox fails", action: "removeDelegate", input: map[string]any{"userKey": "ghost@acme.com", "delegateEmail": "boss@acme.com"},
			calls: []gmsExchange{{method: "DELETE", path: "/gmail/v1/users/ghost@acme.com/settings/delegates/boss@acme.com", status: 404, resp: g404}},
			err:   &effect.Error{Status: 404, Code: "not_found"}, errMsg: "userKey"},
		{name: "setAutoForwarding registers the address, then forwards", action: "setAutoForwarding",
			input: map[string]any{"userKey": "jane.doe@acme.com", "emailAddress": "boss@acme.com"},
			calls: []gmsExchange{
				{method: "POST", path: gmJane + "/settings/forwardingAddresses", body: `{"forwardingEmail":"boss@acme.com"}`,
					resp: `{"forwardingEmail":"boss@acme.com","verificationStatus":"accepted"}`},
				{method: "PUT", path: gmJane + "/settings/autoForwarding", body: `{"enabled":true,"emailAddress":"boss@acme.com","disposition":"leaveInInbox"}`,
					resp: `{"enabled":true,"emailAddress":"boss@acme.com","disposition":"leaveInInbox"}`},
			},
			want: map[string]any{}},
		{name: "setAutoForwarding address already registered (409)", action: "setAutoForwarding",
			input: map[string]any{"userKey": "jane.doe@acme.com", "emailAddress": "boss@acme.com", "disposition": "archive"},
			calls: []gmsExchange{
				{method: "POST", path: gmJane + "/settings/forwardingAddresses", body: `{"forwardingEmail":"boss@acme.com"}`, status: 409, resp: gErr(409, "Forwarding address already exists.")},
				{method: "PUT", path: gmJane + "/settings/autoForwarding", body: `{"enabled":true,"emailAddress":"boss@acme.com","disposition":"archive"}`, resp: `{}`},
			},
			want: map[string]any{}},
		{name: "setAutoForwarding bad disposition", action: "setAutoForwarding",
			input: map[string]any{"userKey": "jane.doe@acme.com", "emailAddress": "boss@acme.com", "disposition": "shred"},
			err:   &effect.Error{Status: 400, Code: "invalid_input"}, errMsg: "disposition"},
		{name: "setAutoForwarding unverified address fails", action: "setAutoForwarding",
			input: map[string]any{"userKey": "jane.doe@acme.com", "emailAddress": "x@other.com"},
			calls: []gmsExchange{
				{method: "POST", path: gmJane + "/settings/forwardingAddresses", body: `{"forwardingEmail":"x@other.com"}`,
					resp: `{"forwardingEmail":"x@other.com","verificationStatus":"pending"}`},
				{method: "PUT", path: gmJane + "/settings/autoForwarding", body: `{"enabled":true,"emailAddress":"x@other.com","disposition":"leaveInInbox"}`,
					status: 400, resp: gErr(400, "Unverified forwarding address")},
			},
			err: &effect.Error{Status: 400, Code: "invalid_input"}, errMsg: "Unverified"},
		{name: "setVacation", action: "setVacation",
			input: map[string]any{"userKey": "jane.doe@acme.com", "subject": "Gone", "message": "<b>Ask Bob</b>", "contentType": "HTML",
				"start": "2024-01-01T00:00:00Z", "end": "2024-02-01T00:00:00+01:00", "restrictToDomain": true},
			calls: []gmsExchange{{method: "PUT", path: gmJane + "/settings/vacation",
				body: `{"enableAutoReply":true,"responseSubject":"Gone","responseBodyHtml":"<b>Ask Bob</b>","restrictToDomain":true,"startTime":"1704067200000","endTime":"1706742000000"}`,
				resp: `{"enableAutoReply":true}`}},
			want: map[string]any{}},
		{name: "setVacation bad time", action: "setVacation",
			input: map[string]any{"userKey": "jane.doe@acme.com", "subject": "Gone", "message": "m", "start": "tomorrow"},
			err:   &effect.Error{Status: 400, Code: "invalid_input"}, errMsg: "RFC 3339"},
		{name: "sendGmail header injection refused", action: "sendGmail",
			input: map[string]any{"userKey": "jane.doe@acme.com", "to": "boss@acme.com", "subject": "hi\r\nBcc: everyone@acme.com", "body": "x"},
			err:   &effect.Error{Status: 400, Code: "invalid_input"}, errMsg: "line break"},
	})
}

// TestGmailSend checks the RFC 2822 message sendGmail sends in raw, and
// that without userKey it sends as "me" (the instance's subject).
func TestGmailSend(t *testing.T) {
	for _, tc := range []struct {
		name, path, from string
		in               map[string]any
	}{
		{"from a mailbox", gmJane + "/messages/send", "jane.doe@acme.com", map[string]any{"userKey": "jane.doe@acme.com"}},
		{"as the instance's subject", "/gmail/v1/users/me/messages/send", "", map[string]any{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var raw string
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Method != "POST" || r.URL.EscapedPath() != tc.path {
					t.Errorf("got %s %s, want POST %s", r.Method, r.URL.EscapedPath(), tc.path)
				}
				var body map[string]string
				data, _ := io.ReadAll(r.Body)
				if err := json.Unmarshal(data, &body); err != nil || len(body) != 1 {
					t.Errorf("body %s: want only raw", data)
				}
				raw = body["raw"]
				w.Write([]byte(`{"id":"18c1","threadId":"18c1","labelIds":["SENT"]}`))
			}))
			t.Cleanup(srv.Close)
			in := map[string]any{"to": "boss@acme.com", "cc": "bob@acme.com", "bcc": "audit@acme.com", "subject": "Jane Doe – offboarded", "body": "<p>Jane has left.</p>", "contentType": "HTML"}
			for k, v := range tc.in {
				in[k] = v
			}
			out, err := gmsClient(t, "google", srv).Do(context.Background(), effect.Request{Instance: "google", Type: "google", Action: "sendGmail", Input: in, Attempt: 1})
			if err != nil {
				t.Fatal(err)
			}
			if out["id"] != "18c1" || out["threadId"] != "18c1" {
				t.Errorf("outputs %v", out)
			}
			data, err := base64.URLEncoding.DecodeString(raw)
			if err != nil {
				t.Fatalf("raw is not base64url: %v", err)
			}
			msg, err := mail.ReadMessage(strings.NewReader(string(data)))
			if err != nil {
				t.Fatal(err)
			}
			h := msg.Header
			subject, _ := new(mime.WordDecoder).DecodeHeader(h.Get("Subject"))
			if h.Get("From") != tc.from || h.Get("To") != "boss@acme.com" || h.Get("Cc") != "bob@acme.com" || h.Get("Bcc") != "audit@acme.com" || subject != "Jane Doe – offboarded" ||
				!strings.HasPrefix(h.Get("Content-Type"), "text/html") {
				t.Errorf("headers %v (subject %q)", h, subject)
			}
			b, _ := io.ReadAll(msg.Body)
			if body, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(string(b)), "")); err != nil || string(body) != "<p>Jane has left.</p>" {
				t.Errorf("body %q (%v)", body, err)
			}
		})
	}
}
