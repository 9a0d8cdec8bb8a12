package connector

import (
	"crypto/rsa"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/jml-dev/jml/pkg/effect"
)

// TestGmailTokenSubject: with a service account, each Gmail call goes out
// with a token whose subject is the mailbox's user (domain-wide
// delegation), one token per mailbox, cached; the Directory API keeps the
// instance's subject.
func TestGmailTokenSubject(t *testing.T) {
	var (
		key   *rsa.PrivateKey
		mu    sync.Mutex
		subs  []string
		calls []string
	)
	mux := http.NewServeMux()
	mux.HandleFunc("/token", func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		_, claims := verifyJWT(t, r.PostForm.Get("assertion"), &key.PublicKey)
		mu.Lock()
		sub, _ := claims["sub"].(string)
		subs = append(subs, sub)
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"access_token":"tok-` + sub + `","expires_in":3599,"token_type":"Bearer"}`))
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		calls = append(calls, r.Method+" "+r.URL.EscapedPath()+" "+r.Header.Get("Authorization"))
		mu.Unlock()
		w.Write([]byte(`{"primaryEmail":"jane@acme.com"}`))
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	_, key = saKeyFile(t, dir, srv.URL+"/token", false)
	cfg := loadConfig(t, `connectors:
  gws:
    type: google
    baseURL: `+srv.URL+`
    allowInsecure: true
    auth:
      type: serviceAccount
      credentials: {file: sa.json}
      subject: admin@acme.com
`)
	s, err := New(cfg, Options{BaseDir: dir, Getenv: env(nil)})
	if err != nil {
		t.Fatal(err)
	}
	do := func(action string, in map[string]any) {
		t.Helper()
		if _, err := s.Do(t.Context(), effect.Request{Instance: "gws", Type: "google", Action: action, Input: in}); err != nil {
			t.Fatal(err)
		}
	}
	vac := func(user string) map[string]any {
		return map[string]any{"userKey": user, "subject": "Gone", "message": "m"}
	}
	do("setVacation", vac("jane@acme.com"))
	do("setVacation", vac("bob@acme.com"))
	do("setVacation", vac("Jane@acme.com"))
	do("getUser", map[string]any{"userKey": "jane@acme.com"})
	do("sendGmail", map[string]any{"to": "x@acme.com", "subject": "s", "body": "b"})
	mu.Lock()
	defer mu.Unlock()
	wantSubs := []string{"jane@acme.com", "bob@acme.com", "admin@acme.com"}
	if len(subs) != len(wantSubs) {
		t.Fatalf("token subjects %q, want %q", subs, wantSubs)
	}
	for i := range wantSubs {
		if subs[i] != wantSubs[i] {
			t.Errorf("token subjects %q, want %q", subs, wantSubs)
		}
	}
	want := []string{
		"PUT /gmail/v1/users/jane@acme.com/settings/vacation Bearer tok-jane@acme.com",
		"PUT /gmail/v1/users/bob@acme.com/settings/vacation Bearer tok-bob@acme.com",
		"PUT /gmail/v1/users/Jane@acme.com/settings/vacation Bearer tok-jane@acme.com",
		"GET /admin/directory/v1/users/jane@acme.com Bearer tok-admin@acme.com",
		"POST /gmail/v1/users/me/messages/send Bearer tok-admin@acme.com",
	}
	if len(calls) != len(want) {
		t.Fatalf("calls %q, want %q", calls, want)
	}
	for i := range want {
		if calls[i] != want[i] {
			t.Errorf("call %d: %q, want %q", i, calls[i], want[i])
		}
	}
}

// TestGmailURL: a real instance with the default baseURL calls Gmail at
// gmail.googleapis.com; gmailURL overrides it; a bad one is an error.
func TestGmailURL(t *testing.T) {
	for _, tc := range []struct{ base, setting, want string }{
		{"https://admin.googleapis.com", "", "gmail.googleapis.com"},
		{"https://proxy.acme.com", "", "proxy.acme.com"},
		{"https://admin.googleapis.com", "https://gmail.proxy.acme.com", "gmail.proxy.acme.com"},
	} {
		in := &Instance{Name: "gws", Type: "google", BaseURL: mustURL(t, tc.base), Settings: map[string]string{"gmailURL": tc.setting}}
		g := newGmailAPI(in)
		if g.err != nil || g.in.BaseURL.Host != tc.want {
			t.Errorf("base %s gmailURL %q: host %v (err %v), want %s", tc.base, tc.setting, g.in.BaseURL, g.err, tc.want)
		}
	}
	g := newGmailAPI(&Instance{Name: "gws", Type: "google", BaseURL: mustURL(t, "https://admin.googleapis.com"), Settings: map[string]string{"gmailURL": "ftp://x"}})
	if _, err := g.do(t.Context(), effect.Request{Action: "setVacation", Input: map[string]any{}}); err == nil || g.err == nil {
		t.Errorf("gmailURL ftp://x accepted")
	}
}
