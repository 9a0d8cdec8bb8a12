package sandbox_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	josejwt "github.com/go-jose/go-jose/v4/jwt"

	"github.com/jml-dev/jml/pkg/ast"
	"github.com/jml-dev/jml/pkg/clock"
	"github.com/jml-dev/jml/pkg/connector"
	"github.com/jml-dev/jml/pkg/effect"
	"github.com/jml-dev/jml/pkg/sandbox"
	"github.com/jml-dev/jml/pkg/source"
	"github.com/jml-dev/jml/pkg/world"
)

// TestOktaPrivateKeyJWTAgainstTheSandbox: under --sandbox an okta
// instance with a private_key_jwt auth asks the sandbox's token endpoint
// for a token — no secret read, a key made for the run — and calls the
// API with it.
func TestOktaPrivateKeyJWTAgainstTheSandbox(t *testing.T) {
	w := world.New(instances(), clock.NewVirtual(epoch))
	w.SeedEvent([]world.User{jane}, "user.session.start", "")
	sb := sandbox.New(instances(), w, sandbox.Options{})
	var mu sync.Mutex
	var seen []string // method path Authorization-scheme
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.Method+" "+r.URL.Path+" "+strings.SplitN(r.Header.Get("Authorization"), "-", 2)[0])
		mu.Unlock()
		sb.ServeHTTP(rw, r)
	}))
	t.Cleanup(srv.Close)
	f, ds := source.Parse("jml.yaml", []byte(`apiVersion: jml/v1
kind: Config
connectors:
  okta:
    type: okta
    baseURL: https://acme.okta.com
    auth: {type: oauth2, clientID: 0oa1svc, privateKey: {file: /nonexistent/okta.pem}, keyID: k1}
`))
	if ds.HasErrors() {
		t.Fatal(ds)
	}
	set, err := connector.New(ast.DecodeConfig(f), connector.Options{SandboxURL: srv.URL, Scopes: map[string][]string{"okta": {"okta.users.read"}}})
	if err != nil {
		t.Fatal(err)
	}
	out, err := set.Do(t.Context(), effect.Request{Instance: "okta", Type: "okta", Action: "getUser", Input: map[string]any{"userId": jane.ID}})
	if err != nil {
		t.Fatal(err)
	}
	if out["id"] != jane.ID {
		t.Errorf("getUser = %v", out)
	}
	mu.Lock()
	defer mu.Unlock()
	want := []string{"POST /okta/oauth2/v1/token ", "GET /okta/api/v1/users/" + jane.ID + " Bearer sandbox"}
	if strings.Join(seen, "\n") != strings.Join(want, "\n") {
		t.Errorf("requests:\n%s\nwant:\n%s", strings.Join(seen, "\n"), strings.Join(want, "\n"))
	}
}

// TestOktaTokenEndpoint: the sandbox's token endpoint refuses, as Okta
// does, a request that is not a service app's client-credentials grant
// with a well-formed client assertion.
func TestOktaTokenEndpoint(t *testing.T) {
	srv := serve(t)
	tokenURL := srv.URL + "/okta/oauth2/v1/token"
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	sign := func(c map[string]any) string {
		s, _ := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: key}, (&jose.SignerOptions{}).WithType("JWT"))
		raw, _ := josejwt.Signed(s).Claims(c).Serialize()
		return raw
	}
	now := time.Now()
	good := func() map[string]any {
		return map[string]any{"iss": "0oa1", "sub": "0oa1", "aud": tokenURL, "jti": "j-" + time.Now().Format(time.RFC3339Nano),
			"iat": now.Unix(), "exp": now.Add(5 * time.Minute).Unix()}
	}
	with := func(k string, v any) string {
		c := good()
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
		return sign(c)
	}
	form := func(assertion string, edit func(url.Values)) url.Values {
		v := url.Values{"grant_type": {"client_credentials"}, "scope": {"okta.users.manage okta.groups.read"},
			"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"}, "client_assertion": {assertion}}
		if edit != nil {
			edit(v)
		}
		return v
	}
	reused := sign(good())
	cases := []struct {
		name   string
		form   url.Values
		status int
		err    string
	}{
		{"a well-formed request", form(sign(good()), nil), 200, ""},
		{"the same jti twice: first", form(reused, nil), 200, ""},
		{"the same jti twice: second", form(reused, nil), 401, "already been used"},
		{"a client secret", form(sign(good()), func(v url.Values) { v.Set("client_secret", "s") }), 401, "private_key_jwt only"},
		{"another grant", form(sign(good()), func(v url.Values) { v.Set("grant_type", "password") }), 400, "unsupported_grant_type"},
		{"no assertion type", form(sign(good()), func(v url.Values) { v.Del("client_assertion_type") }), 401, "client_assertion_type"},
		{"not a JWT", form("abc.def", nil), 401, "not a signed JWT"},
		{"sub is not iss", form(with("sub", "someone"), nil), 401, "iss and sub"},
		{"another audience", form(with("aud", "https://acme.okta.com/oauth2/default/v1/token"), nil), 401, "audience"},
		{"expired", form(with("exp", now.Add(-time.Minute).Unix()), nil), 401, "expired"},
		{"exp two hours on", form(with("exp", now.Add(2*time.Hour).Unix()), nil), 401, "too far"},
		{"no jti", form(with("jti", nil), nil), 401, "jti"},
		{"no scope", form(sign(good()), func(v url.Values) { v.Del("scope") }), 400, "invalid_scope"},
		{"a custom scope", form(sign(good()), func(v url.Values) { v.Set("scope", "okta.users.read hr.read") }), 400, "Custom scopes"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp, err := http.PostForm(tokenURL, c.form)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var body map[string]any
			json.NewDecoder(resp.Body).Decode(&body)
			if resp.StatusCode != c.status {
				t.Fatalf("status %d, want %d: %v", resp.StatusCode, c.status, body)
			}
			if c.status == 200 {
				if at, _ := body["access_token"].(string); at == "" || body["token_type"] != "Bearer" || body["scope"] != c.form.Get("scope") {
					t.Errorf("token answer %v", body)
				}
				return
			}
			if s, _ := json.Marshal(body); !strings.Contains(string(s), c.err) || body["error"] == nil {
				t.Errorf("answer %s, want an OAuth error saying %q", s, c.err)
			}
		})
	}
}
