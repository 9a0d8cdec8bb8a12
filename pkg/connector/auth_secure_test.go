package connector

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/jml-dev/jml/pkg/effect"
)

// TestCredentialsAsSentAreSecrets: for every auth kind, each credential
// the connector sends — the Authorization header exactly as sent, the
// token request's client authentication, a signed assertion, a fetched
// access or refresh token — is in the set's Redactor before it reaches
// the server, and the server's echo of all of it redacts to nothing.
func TestCredentialsAsSentAreSecrets(t *testing.T) {
	vars := map[string]string{"TOKEN": "canary-static-token-1", "USER": "canary-user", "PASS": "canary-pass:w0rd/é",
		"CID": "canary client/id", "CSECRET": "canary-client-secret+&="}
	cases := []struct {
		name, auth string
		// leaked are values that must not survive Redact, besides
		// everything the server saw.
		leaked []string
	}{
		{name: "ssws", auth: `{type: ssws, token: {env: TOKEN}}`, leaked: []string{"canary-static-token-1"}},
		{name: "bearer", auth: `{type: bearer, token: {env: TOKEN}}`, leaked: []string{"canary-static-token-1"}},
		{name: "basic", auth: `{type: basic, username: {env: USER}, password: {env: PASS}}`, leaked: []string{"canary-pass:w0rd/é"}},
		{name: "basic with a literal username", auth: `{type: basic, username: svc, password: {env: PASS}}`, leaked: []string{"canary-pass:w0rd/é", "svc:canary-pass:w0rd/é"}},
		{name: "oauth2", auth: `{type: oauth2, tokenURL: TOKENURL, clientID: {env: CID}, clientSecret: {env: CSECRET}}`,
			leaked: []string{"canary-client-secret+&=", "canary-access-token", "canary-refresh-token"}},
		{name: "oauth2 private_key_jwt", auth: `{type: oauth2, tokenURL: TOKENURL, clientID: 0oa-canary, privateKey: {file: key.pem}, keyID: k1}`,
			leaked: []string{"canary-access-token", "canary-refresh-token"}},
		{name: "serviceAccount", auth: `{type: serviceAccount, credentials: {file: sa.json}, subject: admin@acme.com}`,
			leaked: []string{"canary-access-token"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var (
				mu   sync.Mutex
				seen []string // every credential-bearing value the server got
				set  *Set
			)
			// registered fails the test unless v is already a secret: the
			// moment a credential reaches the server, it must be one.
			registered := func(what, v string) {
				mu.Lock()
				seen = append(seen, v)
				mu.Unlock()
				if got := set.Redactor().Redact(v); strings.Contains(got, strings.TrimPrefix(strings.TrimPrefix(v, "Bearer "), "Basic ")) {
					t.Errorf("%s %q reached the server before it was a secret (redacts to %q)", what, v, got)
				}
			}
			mux := http.NewServeMux()
			mux.HandleFunc("/token", func(w http.ResponseWriter, r *http.Request) {
				if a := r.Header.Get("Authorization"); a != "" {
					registered("the token request's Authorization", a)
				}
				r.ParseForm()
				if a := r.PostForm.Get("assertion"); a != "" {
					registered("the assertion", a)
				}
				if a := r.PostForm.Get("client_assertion"); a != "" {
					registered("the client assertion", a)
				}
				w.Header().Set("Content-Type", "application/json")
				w.Write([]byte(`{"access_token":"canary-access-token","refresh_token":"canary-refresh-token","expires_in":3600}`))
			})
			mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
				registered("the API request's Authorization", r.Header.Get("Authorization"))
				// A careless vendor: every header back, in the error.
				h, _ := json.Marshal(r.Header)
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusUnauthorized)
				json.NewEncoder(w).Encode(map[string]string{"message": "denied: " + string(h)})
			})
			srv := httptest.NewServer(mux)
			t.Cleanup(srv.Close)
			dir := t.TempDir()
			var pemText string
			if c.name == "serviceAccount" {
				p, _ := saKeyFile(t, dir, srv.URL+"/token", false)
				var k struct {
					PrivateKey string `json:"private_key"`
				}
				data, _ := os.ReadFile(p)
				json.Unmarshal(data, &k)
				pemText = k.PrivateKey
			}
			if c.name == "oauth2 private_key_jwt" {
				pemText = strings.TrimSpace(writePEMKey(t, dir, "key.pem", "rsa")) // {file:} drops the final newline
			}
			auth := strings.ReplaceAll(c.auth, "TOKENURL", srv.URL+"/token")
			cfg := loadConfig(t, "connectors:\n  api:\n    type: http\n    allowInsecure: true\n    baseURL: "+srv.URL+"\n    auth: "+auth+"\n")
			var err error
			set, err = New(cfg, Options{Getenv: env(vars), BaseDir: dir})
			if err != nil {
				t.Fatal(err)
			}
			_, err = get(t.Context(), set, "api", "/users/1")
			if err == nil {
				t.Fatal("the echo server's 401 is not an error")
			}
			mu.Lock()
			defer mu.Unlock()
			if len(seen) == 0 {
				t.Fatal("the server saw no credential: the test proves nothing")
			}
			red := set.Redactor()
			values := append(append([]string{}, seen...), c.leaked...)
			if pemText != "" {
				values = append(values, pemText)
				for _, l := range strings.Split(strings.TrimSpace(pemText), "\n") {
					if !strings.HasPrefix(l, "-----") {
						values = append(values, l)
					}
				}
			}
			for _, v := range values {
				if got := red.Redact(v); got != "***" {
					t.Errorf("%q redacts to %q, want ***", v, got)
				}
			}
			msg := err.Error()
			if got := red.Redact(msg); got == msg || strings.Contains(got, "canary") {
				t.Errorf("the echoed error keeps a credential after redaction: %s", got)
			}
		})
	}
}

// TestPlainHTTPCredentials: an instance that would send credentials over
// plain http:// is refused when it is built, naming it, unless it says
// allowInsecure: true; --sandbox URLs are plain http on loopback only.
func TestPlainHTTPCredentials(t *testing.T) {
	vars := map[string]string{"T": "some-token-value", "S": "some-client-secret"}
	tests := []struct {
		name, connectors, sandbox, want string
	}{
		{name: "https with credentials", connectors: "type: okta\n    baseURL: https://acme.okta.com\n    auth: {type: ssws, token: {env: T}}"},
		{name: "http with credentials", connectors: "type: okta\n    baseURL: http://acme.okta.com\n    auth: {type: ssws, token: {env: T}}",
			want: `connector "api": baseURL http://acme.okta.com is plain http://, which would send the credentials in the clear: use https://, or set allowInsecure: true`},
		{name: "HTTP in capitals", connectors: "type: http\n    baseURL: HTTP://127.0.0.1:9\n    auth: {type: bearer, token: {env: T}}",
			want: `connector "api": baseURL http://127.0.0.1:9 is plain http://`},
		{name: "http on loopback still needs allowInsecure", connectors: "type: http\n    baseURL: http://127.0.0.1:9\n    auth: {type: bearer, token: {env: T}}",
			want: `connector "api": baseURL http://127.0.0.1:9 is plain http://`},
		{name: "http with allowInsecure", connectors: "type: http\n    baseURL: http://127.0.0.1:9\n    allowInsecure: true\n    auth: {type: bearer, token: {env: T}}"},
		{name: "http without credentials", connectors: "type: http\n    baseURL: http://status.example.com\n    auth: {type: none}"},
		{name: "http without auth", connectors: "type: http\n    baseURL: http://status.example.com"},
		{name: "oauth2 token URL over http", connectors: "type: http\n    baseURL: https://hr.example.com\n    auth: {type: oauth2, tokenURL: http://hr.example.com/token, clientID: jml, clientSecret: {env: S}}",
			want: `connector "api": the token URL http://hr.example.com/token is plain http://`},
		{name: "slack Web API over http", connectors: "type: slack\n    auth: {type: bearer, token: {env: T}}\n    webAPIURL: http://slack.internal",
			want: `connector "api": webAPIURL http://slack.internal is plain http://`},
		{name: "Gmail API over http", connectors: "type: google\n    auth: {type: bearer, token: {env: T}}\n    gmailURL: http://gmail.internal",
			want: `connector "api": gmailURL http://gmail.internal is plain http://`},
		{name: "licensing API over http", connectors: "type: google\n    auth: {type: bearer, token: {env: T}}\n    licensingURL: http://licensing.internal",
			want: `connector "api": licensingURL http://licensing.internal is plain http://`},
		{name: "slack webAPIAuth over http", connectors: "type: slack\n    baseURL: http://slack.internal\n    webAPIAuth: {type: bearer, token: {env: T}}",
			want: `connector "api": baseURL http://slack.internal is plain http://`},
		{name: "sandbox on loopback", sandbox: "http://127.0.0.1:8787", connectors: "type: okta\n    baseURL: https://acme.okta.com\n    auth: {type: ssws, token: {env: T}}"},
		{name: "sandbox on localhost", sandbox: "http://localhost:8787/", connectors: "type: okta\n    baseURL: https://acme.okta.com"},
		{name: "sandbox on ::1", sandbox: "http://[::1]:8787", connectors: "type: okta\n    baseURL: https://acme.okta.com"},
		{name: "sandbox over https anywhere", sandbox: "https://sandbox.example.com", connectors: "type: okta\n    baseURL: https://acme.okta.com"},
		{name: "sandbox over http elsewhere", sandbox: "http://sandbox.example.com:8787", connectors: "type: okta\n    baseURL: https://acme.okta.com",
			want: "--sandbox http://sandbox.example.com:8787: plain http:// only to a loopback host"},
		{name: "sandbox not http", sandbox: "ftp://127.0.0.1", connectors: "type: okta\n    baseURL: https://acme.okta.com", want: "not an http(s) URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := loadConfig(t, "connectors:\n  api:\n    "+tt.connectors+"\n")
			_, err := New(cfg, Options{Getenv: env(vars), SandboxURL: tt.sandbox})
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tt.want != "" && err == nil:
				t.Fatalf("built, want %q", tt.want)
			case tt.want != "" && !strings.Contains(err.Error(), tt.want):
				t.Fatalf("error %q, want %q", err, tt.want)
			}
			if err != nil && strings.Contains(err.Error(), "some-") {
				t.Errorf("the error shows a secret: %v", err)
			}
		})
	}
}

// TestRedirectsStayInOrigin: a redirect is followed, credentials and all,
// only within the scheme, host and port of the request; to another origin
// it is not followed, so the credentials never go there.
func TestRedirectsStayInOrigin(t *testing.T) {
	var mu sync.Mutex
	got := map[string][]string{} // server → Authorization of each request
	note := func(name string, r *http.Request) {
		mu.Lock()
		got[name] = append(got[name], r.Header.Get("Authorization"))
		mu.Unlock()
	}
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		note("other", r)
		w.Write([]byte(`{"where":"other"}`))
	}))
	t.Cleanup(other.Close)
	otherPort := other.URL[strings.LastIndexByte(other.URL, ':')+1:]
	var origin *httptest.Server
	origin = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		note("origin", r)
		switch r.URL.Path {
		case "/same":
			http.Redirect(w, r, "/final", http.StatusFound)
		case "/port":
			http.Redirect(w, r, other.URL+"/final", http.StatusFound)
		case "/host":
			// Same port, another host name for it: another origin.
			http.Redirect(w, r, "http://localhost:"+origin.URL[strings.LastIndexByte(origin.URL, ':')+1:]+"/final", http.StatusTemporaryRedirect)
		case "/scheme":
			http.Redirect(w, r, "https://127.0.0.1:"+otherPort+"/final", http.StatusMovedPermanently)
		case "/chain":
			http.Redirect(w, r, "/port", http.StatusFound)
		case "/api/v1/users/x":
			http.Redirect(w, r, other.URL+r.URL.Path, http.StatusFound)
		default:
			w.Write([]byte(`{"where":"origin"}`))
		}
	}))
	t.Cleanup(origin.Close)
	tests := []struct {
		path       string
		status     int
		location   string
		originHits int
	}{
		{path: "/same", status: 200, originHits: 2},
		{path: "/port", status: 302, location: other.URL + "/final", originHits: 1},
		{path: "/host", status: 307, originHits: 1},
		{path: "/scheme", status: 301, originHits: 1},
		{path: "/chain", status: 302, location: other.URL + "/final", originHits: 2},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			mu.Lock()
			clear(got)
			mu.Unlock()
			cfg := loadConfig(t, "connectors:\n  api:\n    type: http\n    allowInsecure: true\n    baseURL: "+origin.URL+"\n    auth: {type: bearer, token: {env: T}}\n")
			s, err := New(cfg, Options{Getenv: env(map[string]string{"T": "redirect-token"})})
			if err != nil {
				t.Fatal(err)
			}
			out, err := s.Do(t.Context(), effect.Request{Instance: "api", Type: "http", Action: "request",
				Input: map[string]any{"method": "GET", "path": tt.path, "expect": []any{200, 301, 302, 307}}})
			if err != nil {
				t.Fatal(err)
			}
			if st := out["status"].(int64); st != int64(tt.status) {
				t.Errorf("status %d, want %d", st, tt.status)
			}
			if tt.location != "" {
				if loc := out["headers"].(map[string]any)["Location"]; loc != tt.location {
					t.Errorf("Location %v, want %s", loc, tt.location)
				}
			}
			mu.Lock()
			defer mu.Unlock()
			if len(got["other"]) != 0 || len(got["origin"]) != tt.originHits {
				t.Errorf("requests %v, want %d to the origin and none elsewhere", got, tt.originHits)
			}
			for _, a := range got["origin"] {
				if a != "Bearer redirect-token" {
					t.Errorf("a request to the origin had Authorization %q", a)
				}
			}
		})
	}
	// A vendor connector gets the 3xx as an error, not followed.
	cfg := loadConfig(t, "connectors:\n  okta:\n    type: okta\n    allowInsecure: true\n    baseURL: "+origin.URL+"\n    auth: {type: ssws, token: {env: T}}\n")
	s, err := New(cfg, Options{Getenv: env(map[string]string{"T": "redirect-token"})})
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	clear(got)
	mu.Unlock()
	_, err = s.Do(t.Context(), effect.Request{Instance: "okta", Type: "okta", Action: "getUser", Input: map[string]any{"userId": "x"}})
	if e := effect.AsError(err); e == nil || e.Status != 302 || e.Retryable {
		t.Fatalf("getUser through a cross-origin redirect: %v, want a non-retryable 302", err)
	}
	// NewClient's hand-built instances have the same policy.
	u, _ := url.Parse(origin.URL)
	c, err := NewClient(&Instance{Name: "h", Type: "http", BaseURL: u, Auth: Bearer{Token: "redirect-token"}})
	if err != nil {
		t.Fatal(err)
	}
	out, err := c.Do(t.Context(), effect.Request{Action: "request", Input: map[string]any{"method": "GET", "path": "/port", "expect": []any{302}}})
	if err != nil || out["status"].(int64) != 302 {
		t.Fatalf("NewClient followed a cross-origin redirect: %v %v", out, err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got["other"]) != 0 {
		t.Errorf("the other origin was called: %v", got)
	}
}

// TestHTTPAbsoluteURLs: an absolute URL in path keeps the base URL's
// scheme, and its host and port are the base URL's or an allowedHosts
// entry's (an entry without a port: the base URL's port).
func TestHTTPAbsoluteURLs(t *testing.T) {
	tests := []struct {
		name, base, configured, allowed, path, want string
		sandbox                                     bool
	}{
		{name: "the base URL's origin", base: "https://api.example.com/v1", path: "https://api.example.com/v2/x"},
		{name: "default port written", base: "https://api.example.com", path: "https://api.example.com:443/x"},
		{name: "another scheme", base: "https://api.example.com", path: "http://api.example.com/x", want: "keeps the base URL's scheme (https)"},
		{name: "https from an http base", base: "http://127.0.0.1:8080", path: "https://127.0.0.1:8080/x", want: "keeps the base URL's scheme (http)"},
		{name: "another port of the base host", base: "https://api.example.com", path: "https://api.example.com:8443/x", want: `host "api.example.com:8443": port 8443 is neither`},
		{name: "another host", base: "https://api.example.com", path: "https://evil.example.com/x", want: `host "evil.example.com" is neither`},
		{name: "allowed host", base: "https://api.example.com", allowed: "files.example.com", path: "https://files.example.com/x"},
		{name: "allowed host, case-insensitive", base: "https://api.example.com", allowed: "Files.Example.com", path: "HTTPS://FILES.example.com/x"},
		{name: "allowed host on another port", base: "https://api.example.com", allowed: "files.example.com", path: "https://files.example.com:8443/x", want: "port 8443 is neither"},
		{name: "allowed host with its port", base: "https://api.example.com", allowed: "files.example.com:8443", path: "https://files.example.com:8443/x"},
		{name: "allowed host with a port, default port asked", base: "https://api.example.com", allowed: "files.example.com:8443", path: "https://files.example.com/x", want: "port 443 is neither"},
		{name: "wildcard", base: "https://api.example.com", allowed: "*.cdn.example.com", path: "https://eu.cdn.example.com/x"},
		{name: "wildcard is not the apex", base: "https://api.example.com", allowed: "*.cdn.example.com", path: "https://cdn.example.com/x", want: "is neither"},
		{name: "wildcard with a suffix trick", base: "https://api.example.com", allowed: "*.example.com", path: "https://example.com.evil.net/x", want: "is neither"},
		{name: "allowed IPv6 with port", base: "http://127.0.0.1:8080", allowed: "[::1]:9090", path: "http://[::1]:9090/x"},
		{name: "userinfo does not change the host", base: "https://api.example.com", path: "https://api.example.com@evil.example.com/x", want: `"evil.example.com"`},
		{name: "sandbox: held to jml.yaml's baseURL", base: "http://127.0.0.1:8787/hr", configured: "https://hr.example.com", path: "https://hr.example.com/x", sandbox: true},
		{name: "sandbox: the sandbox's own origin is not jml.yaml's", base: "http://127.0.0.1:8787/hr", configured: "https://hr.example.com", path: "http://127.0.0.1:8787/x", sandbox: true, want: "keeps the base URL's scheme (https)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := &Instance{Name: "hr", Type: "http", BaseURL: mustURL(t, tt.base), Sandbox: tt.sandbox,
				Settings: map[string]string{"allowedHosts": tt.allowed}}
			if tt.configured != "" {
				in.Configured = mustURL(t, tt.configured)
			}
			inst, _, _, err := (&httpClient{in: in}).target(tt.path)
			if tt.want != "" {
				if err == nil || !strings.Contains(err.Error(), tt.want) {
					t.Fatalf("error %v, want %q", err, tt.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tt.sandbox && inst.BaseURL.String() != tt.base {
				t.Errorf("sandbox mode sends to %s, want the sandbox %s", inst.BaseURL, tt.base)
			}
		})
	}
}
