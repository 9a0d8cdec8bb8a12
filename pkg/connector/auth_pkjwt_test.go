package connector

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	josejwt "github.com/go-jose/go-jose/v4/jwt"

	"github.com/jml-dev/jml/pkg/effect"
)

// newKey makes an RSA or P-256 key.
func newKey(t *testing.T, kind string) crypto.Signer {
	t.Helper()
	var k crypto.Signer
	var err error
	if kind == "ec" {
		k, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	} else {
		k, err = rsa.GenerateKey(rand.Reader, 2048)
	}
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// writePEMKey writes a new private key (PKCS#8 PEM) to dir/name and
// returns the PEM.
func writePEMKey(t *testing.T, dir, name, kind string) string {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(newKey(t, kind))
	if err != nil {
		t.Fatal(err)
	}
	p := string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
	if err := os.WriteFile(filepath.Join(dir, name), []byte(p), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// oktaTokenServer is Okta's org authorization server as its service-app
// guide describes it: POST /oauth2/v1/token with grant_type
// client_credentials, scope, client_assertion_type jwt-bearer and a
// client_assertion signed by the app's registered key (here: verified
// with pub), iss = sub = client id, aud = the token URL.
type oktaTokenServer struct {
	srv      *httptest.Server
	pub      crypto.PublicKey
	clientID string
	// dpop makes it answer as an app that requires DPoP.
	dpop bool

	mu       sync.Mutex
	forms    []url.Values
	claims   []map[string]any
	headers  []jose.Header
	apiAuths []string
}

func newOktaTokenServer(t *testing.T, pub crypto.PublicKey, clientID string) *oktaTokenServer {
	ts := &oktaTokenServer{pub: pub, clientID: clientID}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /oauth2/v1/token", func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		ts.mu.Lock()
		defer ts.mu.Unlock()
		ts.forms = append(ts.forms, r.PostForm)
		fail := func(code, desc string) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(400)
			json.NewEncoder(w).Encode(map[string]string{"error": code, "error_description": desc})
		}
		if ts.dpop {
			fail("invalid_dpop_proof", "The DPoP proof JWT header is missing.")
			return
		}
		if r.PostForm.Get("grant_type") != "client_credentials" || r.PostForm.Get("client_assertion_type") != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer" {
			fail("invalid_request", "grant_type or client_assertion_type")
			return
		}
		if r.PostForm.Has("client_secret") {
			fail("invalid_client", "a service app takes no client secret")
			return
		}
		tok, err := josejwt.ParseSigned(r.PostForm.Get("client_assertion"), []jose.SignatureAlgorithm{jose.RS256, jose.ES256})
		if err != nil {
			fail("invalid_client", "not a signed JWT: "+err.Error())
			return
		}
		var c map[string]any
		if err := tok.Claims(ts.pub, &c); err != nil {
			fail("invalid_client", "The client_assertion signature is invalid.")
			return
		}
		ts.claims, ts.headers = append(ts.claims, c), append(ts.headers, tok.Headers[0])
		if c["iss"] != ts.clientID || c["sub"] != ts.clientID || c["aud"] != "http://"+r.Host+"/oauth2/v1/token" {
			fail("invalid_client", "iss, sub or aud")
			return
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"token_type": "Bearer", "expires_in": 3600, "access_token": "okta-at-" + r.PostForm.Get("client_assertion")[:8],
			"scope": r.PostForm.Get("scope")})
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		ts.mu.Lock()
		ts.apiAuths = append(ts.apiAuths, r.Header.Get("Authorization"))
		ts.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"id":"00u1","status":"ACTIVE","profile":{}}`))
	})
	ts.srv = httptest.NewServer(mux)
	t.Cleanup(ts.srv.Close)
	return ts
}

// TestOktaPrivateKeyJWT: an okta instance with auth {type: oauth2,
// clientID, privateKey, keyID, scopes} asks {baseURL}/oauth2/v1/token for
// a token with a client assertion the server verifies with the public key,
// caches it, and sends it as a bearer token; the key, the assertion and
// the token are secrets.
func TestOktaPrivateKeyJWT(t *testing.T) {
	cases := []struct {
		name, kind, key string // key: "pem" or "jwk"
		keyID, wantKid  string
		wantAlg         string
		scopes          string
		wantScope       string
		derived         []string
	}{
		{name: "RSA PEM, kid from keyID, scopes given", kind: "rsa", key: "pem", keyID: "kid-1", wantKid: "kid-1", wantAlg: "RS256",
			scopes: "[okta.users.manage, okta.sessions.manage]", wantScope: "okta.users.manage okta.sessions.manage", derived: []string{"okta.groups.read"}},
		{name: "EC JWK, kid from the JWK, scopes derived", kind: "ec", key: "jwk", wantKid: "jwk-kid", wantAlg: "ES256",
			wantScope: "okta.users.read okta.groups.manage", derived: []string{"okta.users.read", "okta.groups.manage"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			key := newKey(t, c.kind)
			var raw []byte
			if c.key == "jwk" {
				raw, _ = json.Marshal(jose.JSONWebKey{Key: key, KeyID: "jwk-kid", Use: "sig"})
			} else {
				der, _ := x509.MarshalPKCS8PrivateKey(key)
				raw = pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
			}
			os.WriteFile(filepath.Join(dir, "okta.key"), raw, 0o600)
			ts := newOktaTokenServer(t, key.Public(), "0oa1service")
			conf := "connectors:\n  okta:\n    type: okta\n    baseURL: " + ts.srv.URL + "\n    allowInsecure: true\n" +
				"    auth:\n      type: oauth2\n      clientID: 0oa1service\n      privateKey: {file: okta.key}\n"
			if c.keyID != "" {
				conf += "      keyID: " + c.keyID + "\n"
			}
			if c.scopes != "" {
				conf += "      scopes: " + c.scopes + "\n"
			}
			s, err := New(loadConfig(t, conf), Options{BaseDir: dir, Getenv: env(nil), Scopes: map[string][]string{"okta": c.derived}})
			if err != nil {
				t.Fatal(err)
			}
			for range 3 {
				if _, err := s.Do(t.Context(), effect.Request{Instance: "okta", Type: "okta", Action: "getUser", Input: map[string]any{"userId": "00u1"}}); err != nil {
					t.Fatal(err)
				}
			}
			ts.mu.Lock()
			defer ts.mu.Unlock()
			if len(ts.claims) != 1 {
				t.Fatalf("%d verified token requests for 3 calls, want 1 (cached)", len(ts.claims))
			}
			f, cl, h := ts.forms[0], ts.claims[0], ts.headers[0]
			if got := f.Get("scope"); got != c.wantScope {
				t.Errorf("scope %q, want %q", got, c.wantScope)
			}
			if f.Has("client_id") {
				t.Errorf("client_id sent beside the assertion: %v", f)
			}
			if h.KeyID != c.wantKid || h.Algorithm != c.wantAlg {
				t.Errorf("header kid %q alg %q, want %q %q", h.KeyID, h.Algorithm, c.wantKid, c.wantAlg)
			}
			iat, _ := cl["iat"].(float64)
			exp, _ := cl["exp"].(float64)
			if jti, _ := cl["jti"].(string); len(jti) < 16 || exp <= iat || exp-iat > 3600 || time.Unix(int64(iat), 0).Sub(time.Now()).Abs() > time.Minute {
				t.Errorf("claims %v: want a jti, iat now, exp after iat by at most an hour", cl)
			}
			tok := "okta-at-" + f.Get("client_assertion")[:8]
			for i, a := range ts.apiAuths {
				if a != "Bearer "+tok {
					t.Errorf("API call %d: Authorization %q", i, a)
				}
			}
			red := s.Redactor()
			for _, v := range []string{string(raw), f.Get("client_assertion"), tok} {
				if got := red.Redact("x " + v + " y"); strings.Contains(got, v) {
					t.Errorf("%.40q is not a secret", v)
				}
			}
		})
	}
}

// TestOktaPrivateKeyJWTRefusals: a bad key, a wrong key, a missing token
// URL off Okta, an app requiring DPoP — each a clear error, none showing
// the key.
func TestOktaPrivateKeyJWTRefusals(t *testing.T) {
	dir := t.TempDir()
	pemKey := writePEMKey(t, dir, "key.pem", "rsa")
	os.WriteFile(filepath.Join(dir, "public.pem"), []byte("-----BEGIN PUBLIC KEY-----\nMIIB\n-----END PUBLIC KEY-----\n"), 0o600)
	pub, _ := json.Marshal(jose.JSONWebKey{Key: newKey(t, "ec").Public(), KeyID: "k"})
	os.WriteFile(filepath.Join(dir, "public.jwk"), pub, 0o600)
	other := newKey(t, "rsa")

	t.Run("config", func(t *testing.T) {
		for _, c := range []struct{ name, conn, want string }{
			{"a public key", "type: okta\n    baseURL: https://acme.okta.com\n    auth: {type: oauth2, clientID: c, privateKey: {file: public.pem}}", "auth.privateKey: the private key cannot be parsed"},
			{"a public JWK", "type: okta\n    baseURL: https://acme.okta.com\n    auth: {type: oauth2, clientID: c, privateKey: {file: public.jwk}}", "auth.privateKey: the JWK is a public key"},
			{"no token URL off Okta", "type: http\n    baseURL: https://hr.example.com\n    auth: {type: oauth2, clientID: c, privateKey: {file: key.pem}}", "auth.tokenURL is missing"},
		} {
			t.Run(c.name, func(t *testing.T) {
				_, err := New(loadConfig(t, "connectors:\n  api:\n    "+c.conn+"\n"), Options{BaseDir: dir, Getenv: env(nil)})
				if err == nil || !strings.Contains(err.Error(), c.want) {
					t.Fatalf("error %v, want %q", err, c.want)
				}
				if strings.Contains(err.Error(), "MII") {
					t.Errorf("the error shows the key: %v", err)
				}
			})
		}
	})
	for _, c := range []struct {
		name string
		dpop bool
		pub  crypto.PublicKey
		want string
	}{
		{name: "the app requires DPoP", dpop: true, want: "requires DPoP-bound tokens (\"Require Demonstrating Proof of Possession (DPoP) header in token requests\"): set dpop: true"},
		{name: "a key the app does not have", pub: other.Public(), want: "The client_assertion signature is invalid."},
	} {
		t.Run(c.name, func(t *testing.T) {
			ts := newOktaTokenServer(t, c.pub, "0oa1")
			ts.dpop = c.dpop
			s, err := New(loadConfig(t, "connectors:\n  okta:\n    type: okta\n    allowInsecure: true\n    baseURL: "+ts.srv.URL+
				"\n    auth: {type: oauth2, clientID: 0oa1, privateKey: {file: key.pem}}\n"), Options{BaseDir: dir, Getenv: env(nil)})
			if err != nil {
				t.Fatal(err)
			}
			_, err = s.Do(t.Context(), effect.Request{Instance: "okta", Type: "okta", Action: "getUser", Input: map[string]any{"userId": "00u1"}})
			var e *effect.Error
			if !errors.As(err, &e) || e.Code != "unauthorized" || !strings.Contains(e.Message, c.want) {
				t.Fatalf("error %#v, want unauthorized saying %q", err, c.want)
			}
			if strings.Contains(s.Redactor().Redact(err.Error()), strings.Split(pemKey, "\n")[1]) || len(ts.apiAuths) != 0 {
				t.Errorf("the key shows, or the API was called without a token")
			}
		})
	}
}
