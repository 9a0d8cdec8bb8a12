package sandbox_test

import (
	"encoding/json"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/jml-dev/jml/pkg/ast"
	"github.com/jml-dev/jml/pkg/clock"
	"github.com/jml-dev/jml/pkg/connector"
	"github.com/jml-dev/jml/pkg/effect"
	"github.com/jml-dev/jml/pkg/sandbox"
	"github.com/jml-dev/jml/pkg/source"
	"github.com/jml-dev/jml/pkg/world"
)

// emailSandbox serves a world with an email instance "mail" (and an Okta
// one) over HTTP and SMTP, and returns the connectors of a jml.yaml that
// names them, in sandbox mode.
func emailSandbox(t *testing.T) (*httptest.Server, *connector.Set) {
	t.Helper()
	insts := []world.Instance{{Name: "mail", Type: "email"}, {Name: "okta", Type: "okta"}}
	sb := sandbox.New(insts, world.New(insts, clock.NewVirtual(epoch)), sandbox.Options{})
	srv := httptest.NewServer(sb)
	t.Cleanup(srv.Close)
	sm, err := sb.StartSMTP("127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sm.Close() })
	if names := sm.Names(); !reflect.DeepEqual(names, []string{"mail"}) {
		t.Fatalf("SMTP for %q", names)
	}
	if u := sm.URLs()["mail"]; !strings.HasPrefix(u, "smtp://127.0.0.1:") || !strings.HasSuffix(u, "?starttls=false") {
		t.Fatalf("SMTP URL %q", u)
	}
	f, ds := source.Parse("jml.yaml", []byte(`apiVersion: jml/v1
kind: Config
connectors:
  mail:
    type: email
    baseURL: smtps://smtp.acme.com
    from: Acme IT <it@acme.com>
    auth: {type: smtp, username: jml, password: {env: SMTP_PASSWORD}}
  okta:
    type: okta
    baseURL: https://acme.okta.com
`))
	if ds.HasErrors() {
		t.Fatal(ds)
	}
	set, err := connector.New(ast.DecodeConfig(f), connector.Options{SandboxURL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	return srv, set
}

func outbox(t *testing.T, srv *httptest.Server) []map[string]any {
	t.Helper()
	_, body := do(t, "GET", srv.URL+"/_world", "", "")
	var s map[string]struct {
		Outbox []map[string]any `json:"outbox"`
	}
	if err := json.Unmarshal([]byte(body), &s); err != nil {
		t.Fatal(err)
	}
	return s["mail"].Outbox
}

func sendMail(t *testing.T, set *connector.Set, key string, in map[string]any) (map[string]any, *effect.Error) {
	t.Helper()
	out, err := set.Do(t.Context(), effect.Request{Instance: "mail", Type: "email", Action: "send", Input: in, IdempotencyKey: key, Attempt: 1})
	return out, effect.AsError(err)
}

// A message sent by the real email connector against `jml sandbox` shows
// in /_world, in the instance's outbox, with the world's message id.
func TestEmailThroughTheSandbox(t *testing.T) {
	srv, set := emailSandbox(t)
	out, err := sendMail(t, set, "evt-1/joiner/welcome", map[string]any{
		"to": "Jane Doe <jane.doe@acme.com>", "cc": "boss@acme.com, hr@acme.com", "subject": "Bienvenue, Zoë ✓",
		"body": "Hello Jane,\n.\nyour first day is Monday.\n"})
	if err != nil {
		t.Fatal(err)
	}
	// The world's id derives from the idempotency key the Message-ID
	// carries; a message sent without one gets the outbox's counter.
	if out["messageId"] != "<b469b25a71afa738.jml@world.invalid>" {
		t.Errorf("messageId %v", out["messageId"])
	}
	html := `<p>Welcome <b>Bob</b></p>`
	if _, err := sendMail(t, set, "", map[string]any{"to": "bob@acme.com", "subject": "Hi", "body": html, "from": "hr@acme.com"}); err != nil {
		t.Fatal(err)
	}
	got := outbox(t, srv)
	want := []map[string]any{
		{"messageId": "<b469b25a71afa738.jml@world.invalid>", "to": "Jane Doe <jane.doe@acme.com>", "cc": "boss@acme.com, hr@acme.com",
			"from": "Acme IT <it@acme.com>", "subject": "Bienvenue, Zoë ✓", "body": "Hello Jane,\n.\nyour first day is Monday.\n",
			"date": "Mon, 01 Jan 2024 00:00:00 +0000"},
		{"messageId": "<000002.jml@world.invalid>", "to": "bob@acme.com", "from": "hr@acme.com", "subject": "Hi", "body": html,
			"date": "Mon, 01 Jan 2024 00:00:00 +0000"},
	}
	if !reflect.DeepEqual(got, want) {
		g, _ := json.MarshalIndent(got, "", "  ")
		w, _ := json.MarshalIndent(want, "", "  ")
		t.Fatalf("outbox:\n%s\nwant:\n%s", g, w)
	}
}

// World faults answer as SMTP replies: a retryable one as a 4xx the
// connector retries, a permanent one as a 5xx it does not.
func TestEmailSandboxFaults(t *testing.T) {
	srv, set := emailSandbox(t)
	in := map[string]any{"to": "jane.doe@acme.com", "subject": "s", "body": "b"}
	if status, body := do(t, "POST", srv.URL+"/_world/faults", "", `{"faults": [
		{"action": "mail.send", "status": 503, "times": 1},
		{"action": "mail.send", "status": 403, "times": 1},
		{"action": "mail.send", "status": 429, "times": 1}]}`); status != 200 {
		t.Fatalf("faults: %d %s", status, body)
	}
	for _, want := range []struct {
		status    int
		code      string
		retryable bool
	}{{451, "server_error", true}, {550, "forbidden", false}, {451, "server_error", true}} {
		_, err := sendMail(t, set, "", in)
		if err == nil || err.Status != want.status || err.Code != want.code || err.Retryable != want.retryable {
			t.Fatalf("error %v, want status %d, code %s, retryable %v", err, want.status, want.code, want.retryable)
		}
	}
	if out, err := sendMail(t, set, "", in); err != nil || out["messageId"] != "<000001.jml@world.invalid>" {
		t.Fatalf("after the faults: %v %v", out, err)
	}
	if n := len(outbox(t, srv)); n != 1 {
		t.Errorf("%d messages in the outbox, want 1", n)
	}
}

func TestSMTPEndpoint(t *testing.T) {
	srv, _ := emailSandbox(t)
	tests := []struct {
		path     string
		status   int
		contains string
	}{
		{"/_smtp/mail", 200, `"url": "smtp://127.0.0.1:`},
		{"/_smtp/okta", 404, `\"okta\" is a okta instance, not an email one`},
		{"/_smtp/nowhere", 404, `no SMTP listener for \"nowhere\"`},
	}
	for _, tt := range tests {
		status, body := do(t, "GET", srv.URL+tt.path, "", "")
		if status != tt.status || !strings.Contains(body, tt.contains) {
			t.Errorf("GET %s: %d %s\nwant %d containing %s", tt.path, status, body, tt.status, tt.contains)
		}
	}
}

func TestStartSMTPOnlyOnLoopback(t *testing.T) {
	sb := sandbox.New(nil, world.New(nil, clock.NewVirtual(epoch)), sandbox.Options{})
	if _, err := sb.StartSMTP("0.0.0.0"); err == nil || !strings.Contains(err.Error(), "loopback") {
		t.Fatalf("error %v", err)
	}
	sm, err := sb.StartSMTP("127.0.0.1")
	if err != nil || len(sm.URLs()) != 0 {
		t.Fatalf("without email instances: %v %v", sm.URLs(), err)
	}
}
