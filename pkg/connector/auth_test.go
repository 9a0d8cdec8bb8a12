package connector

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jml-dev/jml/pkg/ast"
	"github.com/jml-dev/jml/pkg/effect"
	"github.com/jml-dev/jml/pkg/source"
)

// loadConfig decodes a jml.yaml document.
func loadConfig(t *testing.T, src string) *ast.Config {
	t.Helper()
	f, ds := source.Parse("jml.yaml", []byte("apiVersion: jml/v1\nkind: Config\n"+src))
	if ds.HasErrors() {
		t.Fatal(ds)
	}
	return ast.DecodeConfig(f)
}

// env is a fake environment for Options.Getenv.
func env(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

// recorded is one request a recorder server saw.
type recorded struct {
	Method, RequestURI, Path, Authorization string
	Header                                  http.Header
}

// recorder is an API server that records every request and answers {}.
type recorder struct {
	srv  *httptest.Server
	mu   sync.Mutex
	reqs []recorded
}

func newRecorder(t *testing.T) *recorder {
	r := &recorder{}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.mu.Lock()
		r.reqs = append(r.reqs, recorded{Method: req.Method, RequestURI: req.RequestURI, Path: req.URL.Path,
			Authorization: req.Header.Get("Authorization"), Header: req.Header.Clone()})
		r.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{}`))
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *recorder) requests() []recorded {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]recorded{}, r.reqs...)
}

// get makes a GET through the http connector's request action.
func get(ctx context.Context, s *Set, instance, path string) (map[string]any, error) {
	return s.Do(ctx, effect.Request{Instance: instance, Type: "http", Action: "request",
		Input: map[string]any{"method": "GET", "path": path}})
}

func TestStaticAuthHeaders(t *testing.T) {
	vars := map[string]string{"OKTA_TOKEN": "00aBcD-okta-token", "SCIM_TOKEN": "xoxp-scim-token", "SN_USER": "svc.jml", "SN_PASSWORD": "p@ss:w0rd/é"}
	cases := []struct {
		name, auth, want string
	}{
		{"ssws", `{type: ssws, token: {env: OKTA_TOKEN}}`, "SSWS 00aBcD-okta-token"},
		{"bearer", `{type: bearer, token: {env: SCIM_TOKEN}}`, "Bearer xoxp-scim-token"},
		{"basic", `{type: basic, username: {env: SN_USER}, password: {env: SN_PASSWORD}}`,
			"Basic " + base64.StdEncoding.EncodeToString([]byte("svc.jml:p@ss:w0rd/é"))},
		{"basic with a literal username", `{type: basic, username: svc.jml, password: {env: SN_PASSWORD}}`,
			"Basic " + base64.StdEncoding.EncodeToString([]byte("svc.jml:p@ss:w0rd/é"))},
		{"none", `{type: none}`, ""},
		{"no auth", ``, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rec := newRecorder(t)
			auth := ""
			if c.auth != "" {
				auth = "\n    auth: " + c.auth
			}
			cfg := loadConfig(t, "connectors:\n  api:\n    type: http\n    allowInsecure: true\n    baseURL: "+rec.srv.URL+"/base"+auth+"\n")
			s, err := New(cfg, Options{Getenv: env(vars)})
			if err != nil {
				t.Fatal(err)
			}
			for range 2 {
				if _, err := get(t.Context(), s, "api", "/ping"); err != nil {
					t.Fatal(err)
				}
			}
			reqs := rec.requests()
			if len(reqs) != 2 {
				t.Fatalf("%d requests, want 2", len(reqs))
			}
			for _, r := range reqs {
				if r.Authorization != c.want {
					t.Errorf("Authorization %q, want %q", r.Authorization, c.want)
				}
				if got := r.Header.Values("Authorization"); len(got) > 1 {
					t.Errorf("%d Authorization headers", len(got))
				}
				if r.RequestURI != "/base/ping" {
					t.Errorf("request URI %q", r.RequestURI)
				}
			}
		})
	}
}

// tokenServer is an OAuth 2.0 token endpoint that checks the
// client-credentials request and hands out token-1, token-2…
type tokenServer struct {
	t        *testing.T
	srv      *httptest.Server
	mu       sync.Mutex
	fetches  int
	forms    []url.Values
	creds    [][2]string
	status   int
	body     string
	expires  int
	apiAuths []string
}

func newTokenServer(t *testing.T) *tokenServer {
	ts := &tokenServer{t: t, status: 200, expires: 3600}
	mux := http.NewServeMux()
	mux.HandleFunc("/oauth/token", func(w http.ResponseWriter, r *http.Request) {
		ts.mu.Lock()
		defer ts.mu.Unlock()
		ts.fetches++
		if r.Method != "POST" {
			t.Errorf("token request method %s", r.Method)
		}
		if ct := r.Header.Get("Content-Type"); ct != "application/x-www-form-urlencoded" {
			t.Errorf("token request Content-Type %q", ct)
		}
		if err := r.ParseForm(); err != nil {
			t.Errorf("token request form: %v", err)
		}
		ts.forms = append(ts.forms, r.PostForm)
		u, p, ok := r.BasicAuth()
		if !ok {
			t.Errorf("token request without basic client authentication: %q", r.Header.Get("Authorization"))
		}
		// RFC 6749 §2.3.1: id and secret are form-encoded, then sent as
		// HTTP basic credentials.
		uu, err1 := url.QueryUnescape(u)
		pp, err2 := url.QueryUnescape(p)
		if err1 != nil || err2 != nil {
			t.Errorf("client credentials not form-encoded: %q %q", u, p)
		}
		ts.creds = append(ts.creds, [2]string{uu, pp})
		w.Header().Set("Content-Type", "application/json")
		if ts.status != 200 || ts.body != "" {
			w.WriteHeader(ts.status)
			w.Write([]byte(ts.body))
			return
		}
		json.NewEncoder(w).Encode(map[string]any{"access_token": "token-" + strconv.Itoa(ts.fetches), "token_type": "Bearer", "expires_in": ts.expires})
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		ts.mu.Lock()
		ts.apiAuths = append(ts.apiAuths, r.Header.Get("Authorization"))
		ts.mu.Unlock()
		w.Write([]byte(`{}`))
	})
	ts.srv = httptest.NewServer(mux)
	t.Cleanup(ts.srv.Close)
	return ts
}

func (ts *tokenServer) snapshot() (int, []url.Values, [][2]string, []string) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return ts.fetches, append([]url.Values{}, ts.forms...), append([][2]string{}, ts.creds...), append([]string{}, ts.apiAuths...)
}

func TestOAuth2ClientCredentialsThroughNew(t *testing.T) {
	ts := newTokenServer(t)
	vars := map[string]string{"HR_ID": "jml client/1", "HR_SECRET": "s3cr+t:&%=é-longer"}
	cfg := loadConfig(t, `connectors:
  hr:
    type: http
    baseURL: `+ts.srv.URL+`/api
    allowInsecure: true
    auth:
      type: oauth2
      tokenURL: `+ts.srv.URL+`/oauth/token
      clientID: {env: HR_ID}
      clientSecret: {env: HR_SECRET}
      scopes: [hr.read, hr.write]
`)
	s, err := New(cfg, Options{Getenv: env(vars)})
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if _, err := get(t.Context(), s, "hr", "/employees"); err != nil {
			t.Fatal(err)
		}
	}
	fetches, forms, creds, auths := ts.snapshot()
	if fetches != 1 {
		t.Fatalf("%d token requests for 3 calls, want 1 (the token is cached)", fetches)
	}
	want := url.Values{"grant_type": {"client_credentials"}, "scope": {"hr.read hr.write"}}
	if forms[0].Encode() != want.Encode() {
		t.Errorf("token request form %v, want %v", forms[0], want)
	}
	if creds[0] != [2]string{"jml client/1", "s3cr+t:&%=é-longer"} {
		t.Errorf("client credentials %q", creds[0])
	}
	for i, a := range auths {
		if a != "Bearer token-1" {
			t.Errorf("API call %d: Authorization %q", i+1, a)
		}
	}
	// The client secret is a secret to redact; the client id is too when
	// it comes from a reference.
	if got := s.Secrets(); len(got) != 2 || got[0] != "s3cr+t:&%=é-longer" || got[1] != "jml client/1" {
		t.Errorf("Secrets() = %q", got)
	}
}

// TestOAuth2TokenRefresh: x/oauth2 reuses a token until a minute before
// it expires (earlyExpiry), then fetches a new one; a token without a
// usable expires_in counts as an hour's. Time passes by moving the cached
// token's expiry, not by sleeping.
func TestOAuth2TokenRefresh(t *testing.T) {
	cases := []struct {
		name      string
		expiresIn int
		// steps set the cached token's remaining life (0: leave it),
		// then authorize; want is the token sent.
		steps []struct {
			left time.Duration
			want string
		}
	}{
		{name: "an hour: reused, refreshed a minute early", expiresIn: 3600, steps: []struct {
			left time.Duration
			want string
		}{{0, "token-1"}, {0, "token-1"}, {2 * time.Minute, "token-1"}, {61 * time.Second, "token-1"}, {59 * time.Second, "token-2"}, {0, "token-2"}}},
		{name: "thirty seconds: inside the early window, fetched each time", expiresIn: 30, steps: []struct {
			left time.Duration
			want string
		}{{0, "token-1"}, {0, "token-2"}, {0, "token-3"}}},
		{name: "no expires_in: an hour", expiresIn: 0, steps: []struct {
			left time.Duration
			want string
		}{{0, "token-1"}, {0, "token-1"}, {30 * time.Second, "token-2"}}},
		{name: "negative expires_in: an hour", expiresIn: -5, steps: []struct {
			left time.Duration
			want string
		}{{0, "token-1"}, {0, "token-1"}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ts := newTokenServer(t)
			ts.expires = c.expiresIn
			a := &OAuth2{TokenURL: ts.srv.URL + "/oauth/token", ClientID: "id", ClientSecret: "secret", HTTP: ts.srv.Client()}
			for i, st := range c.steps {
				if st.left != 0 {
					a.cache.tok.Expiry = time.Now().Add(st.left)
				}
				req := httptest.NewRequest("GET", "https://api.example.com/x", nil)
				if err := a.Authorize(t.Context(), req); err != nil {
					t.Fatalf("step %d: %v", i, err)
				}
				if got := req.Header.Get("Authorization"); got != "Bearer "+st.want {
					t.Fatalf("step %d (%s left): Authorization %q, want Bearer %s", i, st.left, got, st.want)
				}
			}
			_, forms, _, _ := ts.snapshot()
			if _, ok := forms[0]["scope"]; ok {
				t.Errorf("scope sent without scopes: %v", forms[0])
			}
		})
	}
}

// Concurrent runs share one token fetch (run with -race).
func TestOAuth2ConcurrentAuthorize(t *testing.T) {
	ts := newTokenServer(t)
	a := &OAuth2{TokenURL: ts.srv.URL + "/oauth/token", ClientID: "id", ClientSecret: "secret", HTTP: ts.srv.Client()}
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req := httptest.NewRequest("GET", "https://api.example.com/x", nil)
			if err := a.Authorize(context.Background(), req); err != nil {
				t.Error(err)
			} else if got := req.Header.Get("Authorization"); got != "Bearer token-1" {
				t.Errorf("Authorization %q", got)
			}
		}()
	}
	wg.Wait()
	if n, _, _, _ := ts.snapshot(); n != 1 {
		t.Errorf("%d token requests, want 1", n)
	}
}

func TestOAuth2TokenErrors(t *testing.T) {
	const secret = "very-secret-client-secret"
	cases := []struct {
		name      string
		status    int
		body      string
		down      bool
		code      string
		retryable bool
		msg       string
	}{
		{name: "invalid_client", status: 401, body: `{"error":"invalid_client","error_description":"Client authentication failed"}`,
			code: "unauthorized", msg: "Client authentication failed"},
		{name: "invalid_scope", status: 400, body: `{"error":"invalid_scope"}`, code: "unauthorized", msg: "invalid_scope"},
		{name: "forbidden", status: 403, body: `{"error":"access_denied"}`, code: "forbidden", msg: "access_denied"},
		{name: "rate limited", status: 429, body: `{"error":"slow_down"}`, code: "rate_limited", retryable: true},
		{name: "server error", status: 503, body: `upstream unavailable`, code: "server_error", retryable: true, msg: "upstream unavailable"},
		{name: "no access_token", status: 200, body: `{"token_type":"Bearer"}`, code: "unauthorized", msg: "without access_token"},
		{name: "not JSON", status: 200, body: `<html>`, code: "unauthorized"},
		{name: "unreachable", down: true, code: "connection", retryable: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ts := newTokenServer(t)
			ts.status, ts.body = c.status, c.body
			tokenURL := ts.srv.URL + "/oauth/token"
			if c.down {
				down := httptest.NewServer(http.NotFoundHandler())
				tokenURL = down.URL + "/oauth/token"
				down.Close()
			}
			in := &Instance{Name: "hr", Type: "http", BaseURL: mustURL(t, ts.srv.URL+"/api"), HTTP: ts.srv.Client(),
				Auth: &OAuth2{TokenURL: tokenURL, ClientID: "id", ClientSecret: secret, HTTP: ts.srv.Client()}}
			_, err := in.Call(t.Context(), "GET", "/employees", nil, nil, nil)
			e, ok := err.(*effect.Error)
			if !ok {
				t.Fatalf("error %T %v, want *effect.Error", err, err)
			}
			if e.Code != c.code || e.Retryable != c.retryable {
				t.Errorf("code %q retryable %v, want %q %v (%v)", e.Code, e.Retryable, c.code, c.retryable, e)
			}
			if !strings.Contains(e.Message, "token") || !strings.Contains(e.Message, c.msg) {
				t.Errorf("message %q does not say the token request failed with %q", e.Message, c.msg)
			}
			if strings.Contains(e.Error(), secret) {
				t.Errorf("the error shows the client secret: %v", e)
			}
			if _, _, _, api := ts.snapshot(); len(api) != 0 {
				t.Errorf("the API was called without a token")
			}
			if c.down {
				return
			}
			// A failed fetch is not cached: the next call tries again.
			ts.mu.Lock()
			ts.status, ts.body = 200, ""
			ts.mu.Unlock()
			if _, err := in.Call(t.Context(), "GET", "/employees", nil, nil, nil); err != nil {
				t.Fatalf("after the token endpoint recovered: %v", err)
			}
			if _, _, _, api := ts.snapshot(); len(api) != 1 || api[0] != "Bearer token-2" {
				t.Errorf("API calls %q, want one with token-2", api)
			}
		})
	}
}

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// saKeyFile writes a Google service-account key file and returns its
// path and key.
func saKeyFile(t *testing.T, dir, tokenURI string, pkcs1 bool) (string, *rsa.PrivateKey) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	var block *pem.Block
	if pkcs1 {
		block = &pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}
	} else {
		der, err := x509.MarshalPKCS8PrivateKey(key)
		if err != nil {
			t.Fatal(err)
		}
		block = &pem.Block{Type: "PRIVATE KEY", Bytes: der}
	}
	data, _ := json.Marshal(map[string]string{
		"type": "service_account", "project_id": "acme-jml", "private_key_id": "abc123",
		"private_key": string(pem.EncodeToMemory(block)), "client_email": "jml@acme-jml.iam.gserviceaccount.com",
		"client_id": "1234567890", "token_uri": tokenURI,
	})
	p := filepath.Join(dir, "sa.json")
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p, key
}

// verifyJWT checks an RS256 JWT's signature and returns its header and
// claims.
func verifyJWT(t *testing.T, jwt string, pub *rsa.PublicKey) (map[string]any, map[string]any) {
	t.Helper()
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		t.Fatalf("assertion %q is not a JWT", jwt)
	}
	enc := base64.RawURLEncoding
	var header, claims map[string]any
	for i, v := range []*map[string]any{&header, &claims} {
		b, err := enc.DecodeString(parts[i])
		if err != nil {
			t.Fatalf("JWT part %d: %v", i, err)
		}
		if err := json.Unmarshal(b, v); err != nil {
			t.Fatalf("JWT part %d: %v", i, err)
		}
	}
	sig, err := enc.DecodeString(parts[2])
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if err := rsa.VerifyPKCS1v15(pub, crypto.SHA256, sum[:], sig); err != nil {
		t.Errorf("the assertion's signature does not verify: %v", err)
	}
	return header, claims
}

func TestServiceAccount(t *testing.T) {
	cases := []struct {
		name, extra string
		pkcs1       bool
		scope, sub  string
	}{
		{name: "subject and scopes", pkcs1: false,
			extra: "      subject: admin@acme.com\n      scopes: [https://www.googleapis.com/auth/admin.directory.user, https://www.googleapis.com/auth/admin.datatransfer]\n",
			scope: "https://www.googleapis.com/auth/admin.directory.user https://www.googleapis.com/auth/admin.datatransfer", sub: "admin@acme.com"},
		{name: "PKCS#1 key, default scopes, no subject", pkcs1: true, scope: strings.Join(googleScopes, " ")},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var (
				mu         sync.Mutex
				assertions []string
				apiAuth    []string
			)
			mux := http.NewServeMux()
			mux.HandleFunc("/token", func(w http.ResponseWriter, r *http.Request) {
				r.ParseForm()
				if g := r.PostForm.Get("grant_type"); g != "urn:ietf:params:oauth:grant-type:jwt-bearer" {
					t.Errorf("grant_type %q", g)
				}
				mu.Lock()
				assertions = append(assertions, r.PostForm.Get("assertion"))
				mu.Unlock()
				w.Header().Set("Content-Type", "application/json") // as Google's token endpoint answers
				w.Write([]byte(`{"access_token":"ya29.google-token","expires_in":3599,"token_type":"Bearer"}`))
			})
			mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				apiAuth = append(apiAuth, r.Header.Get("Authorization"))
				mu.Unlock()
				w.Write([]byte(`{"primaryEmail":"jane@acme.com","suspended":false}`))
			})
			srv := httptest.NewServer(mux)
			t.Cleanup(srv.Close)
			dir := t.TempDir()
			tokenURL := srv.URL + "/token"
			_, key := saKeyFile(t, dir, tokenURL, c.pkcs1)
			cfg := loadConfig(t, `connectors:
  gws:
    type: google
    baseURL: `+srv.URL+`
    allowInsecure: true
    auth:
      type: serviceAccount
      credentials: {file: sa.json}
`+c.extra)
			s, err := New(cfg, Options{BaseDir: dir, Getenv: env(nil)})
			if err != nil {
				t.Fatal(err)
			}
			before := time.Now().Unix()
			for range 2 {
				if _, err := s.Do(t.Context(), effect.Request{Instance: "gws", Type: "google", Action: "getUser", Input: map[string]any{"userKey": "jane@acme.com"}}); err != nil {
					t.Fatal(err)
				}
			}
			after := time.Now().Unix()
			mu.Lock()
			defer mu.Unlock()
			if len(assertions) != 1 {
				t.Fatalf("%d token requests for 2 calls, want 1", len(assertions))
			}
			for _, a := range apiAuth {
				if a != "Bearer ya29.google-token" {
					t.Errorf("API Authorization %q", a)
				}
			}
			header, claims := verifyJWT(t, assertions[0], &key.PublicKey)
			if header["alg"] != "RS256" || header["typ"] != "JWT" {
				t.Errorf("JWT header %v", header)
			}
			if claims["iss"] != "jml@acme-jml.iam.gserviceaccount.com" || claims["aud"] != tokenURL || claims["scope"] != c.scope {
				t.Errorf("claims %v", claims)
			}
			if sub, ok := claims["sub"]; c.sub == "" && ok || c.sub != "" && sub != c.sub {
				t.Errorf("sub %v, want %q", sub, c.sub)
			}
			iat, _ := claims["iat"].(float64)
			exp, _ := claims["exp"].(float64)
			if int64(iat) < before || int64(iat) > after || exp-iat != 3600 {
				t.Errorf("iat %v exp %v (issued between %d and %d, for an hour)", iat, exp, before, after)
			}
		})
	}
}

func TestServiceAccountBadCredentials(t *testing.T) {
	const canary = "CANARY-key-material"
	rsaPEM := func(typ string) string {
		return string(pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: []byte(canary)}))
	}
	keyJSON := func(m map[string]string) string { b, _ := json.Marshal(m); return string(b) }
	cases := []struct{ name, content, want string }{
		{"not JSON", canary + " not json", "not JSON"},
		{"no private_key", keyJSON(map[string]string{"client_email": "x@y", "private_key_id": canary}), "no client_email or private_key"},
		{"not PEM", keyJSON(map[string]string{"client_email": "x@y", "private_key": canary}), "not PEM"},
		{"unparsable key", keyJSON(map[string]string{"client_email": "x@y", "private_key": rsaPEM("PRIVATE KEY")}), "cannot be parsed"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			os.WriteFile(filepath.Join(dir, "sa.json"), []byte(c.content), 0o600)
			cfg := loadConfig(t, "connectors:\n  gws:\n    type: google\n    auth: {type: serviceAccount, credentials: {file: sa.json}, subject: admin@acme.com}\n")
			_, err := New(cfg, Options{BaseDir: dir, Getenv: env(nil)})
			if err == nil {
				t.Fatal("New accepted bad service-account credentials")
			}
			msg := err.Error()
			if !strings.Contains(msg, `connector "gws"`) || !strings.Contains(msg, "auth.credentials") || !strings.Contains(msg, c.want) {
				t.Errorf("error %q does not name the instance, auth.credentials and %q", msg, c.want)
			}
			if strings.Contains(msg, canary) {
				t.Errorf("error %q shows the key file's content", msg)
			}
		})
	}
}
