package connector

import (
	"crypto"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	josejwt "github.com/go-jose/go-jose/v4/jwt"
	"golang.org/x/oauth2"

	"github.com/jml-dev/jml/pkg/effect"
)

// dpopVerifier checks DPoP proofs as RFC 9449 §4.3 asks a server to,
// written apart from the client's code: typ dpop+jwt, an asymmetric alg,
// a public jwk in the header that verifies the signature, htm and htu of
// the request, iat within a minute, a jti never seen, the nonce the server
// gave, and ath the hash of the token presented (none at the token
// endpoint). It returns the key's thumbprint (what the token is bound to).
type dpopVerifier struct {
	mu   sync.Mutex
	jtis map[string]bool
}

func (v *dpopVerifier) verify(proof, method, htu, token, nonce string) (string, error) {
	tok, err := josejwt.ParseSigned(proof, []jose.SignatureAlgorithm{jose.ES256, jose.RS256})
	if err != nil {
		return "", fmt.Errorf("not a signed JWT: %v", err)
	}
	h := tok.Headers[0]
	if h.ExtraHeaders["typ"] != "dpop+jwt" {
		return "", fmt.Errorf("typ %v", h.ExtraHeaders["typ"])
	}
	if h.JSONWebKey == nil || !h.JSONWebKey.IsPublic() || !h.JSONWebKey.Valid() {
		return "", errors.New("no public jwk in the header")
	}
	var c map[string]any
	if err := tok.Claims(h.JSONWebKey.Key, &c); err != nil {
		return "", fmt.Errorf("signature: %v", err)
	}
	iat, _ := c["iat"].(float64)
	jti, _ := c["jti"].(string)
	switch {
	case c["htm"] != method:
		return "", fmt.Errorf("htm %v, want %s", c["htm"], method)
	case c["htu"] != htu:
		return "", fmt.Errorf("htu %v, want %s", c["htu"], htu)
	case time.Since(time.Unix(int64(iat), 0)).Abs() > time.Minute:
		return "", fmt.Errorf("iat %v", c["iat"])
	case jti == "":
		return "", errors.New("no jti")
	}
	if n, _ := c["nonce"].(string); n != nonce {
		return "", fmt.Errorf("nonce %q, want %q", n, nonce)
	}
	want := ""
	if token != "" {
		s := sha256.Sum256([]byte(token))
		want = base64.RawURLEncoding.EncodeToString(s[:])
	}
	if a, _ := c["ath"].(string); a != want {
		return "", fmt.Errorf("ath %q, want %q", a, want)
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.jtis == nil {
		v.jtis = map[string]bool{}
	}
	if v.jtis[jti] {
		return "", errors.New("jti replayed")
	}
	v.jtis[jti] = true
	tp, err := h.JSONWebKey.Thumbprint(crypto.SHA256)
	return base64.RawURLEncoding.EncodeToString(tp), err
}

// dpopOkta is an Okta org requiring DPoP at its token endpoint and its
// API, each demanding a nonce of a proof without the current one.
type dpopOkta struct {
	srv *httptest.Server
	v   dpopVerifier

	mu                 sync.Mutex
	tokenReqs, apiReqs int
	bound              map[string]string // token → jkt
	proofs             []string
	errs               []string
}

const (
	asNonce = "as-nonce-1"
	rsNonce = "rs-nonce-1"
)

func newDPoPOkta(t *testing.T) *dpopOkta {
	o := &dpopOkta{bound: map[string]string{}}
	mux := http.NewServeMux()
	writeErr := func(w http.ResponseWriter, status int, code, desc string) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		json.NewEncoder(w).Encode(map[string]string{"error": code, "error_description": desc})
	}
	mux.HandleFunc("POST /oauth2/v1/token", func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		o.mu.Lock()
		defer o.mu.Unlock()
		o.tokenReqs++
		p := r.Header.Get("DPoP")
		o.proofs = append(o.proofs, p)
		if p == "" {
			writeErr(w, 400, "invalid_dpop_proof", "The DPoP proof JWT header is missing.")
			return
		}
		if !strings.Contains(p, ".") || !strings.Contains(string(mustPayload(p)), `"nonce"`) {
			w.Header().Set("DPoP-Nonce", asNonce)
			writeErr(w, 400, "use_dpop_nonce", "Authorization server requires nonce in DPoP proof.")
			return
		}
		jkt, err := o.v.verify(p, "POST", "http://"+r.Host+"/oauth2/v1/token", "", asNonce)
		if err != nil {
			o.errs = append(o.errs, "token: "+err.Error())
			writeErr(w, 400, "invalid_dpop_proof", err.Error())
			return
		}
		at := fmt.Sprintf("dpop-at-%d", o.tokenReqs)
		o.bound[at] = jkt
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"token_type": "DPoP", "expires_in": 3600, "access_token": at, "scope": r.PostForm.Get("scope")})
	})
	mux.HandleFunc("/api/v1/", func(w http.ResponseWriter, r *http.Request) {
		o.mu.Lock()
		defer o.mu.Unlock()
		o.apiReqs++
		at, ok := strings.CutPrefix(r.Header.Get("Authorization"), "DPoP ")
		p := r.Header.Get("DPoP")
		o.proofs = append(o.proofs, p)
		if !ok || o.bound[at] == "" {
			w.WriteHeader(401)
			return
		}
		if !strings.Contains(string(mustPayload(p)), `"nonce"`) {
			w.Header().Set("WWW-Authenticate", `DPoP error="use_dpop_nonce", error_description="Resource server requires nonce in DPoP proof"`)
			w.Header().Set("DPoP-Nonce", rsNonce)
			w.WriteHeader(401)
			return
		}
		jkt, err := o.v.verify(p, r.Method, "http://"+r.Host+r.URL.EscapedPath(), at, rsNonce)
		if err == nil && jkt != o.bound[at] {
			err = errors.New("the proof's key is not the token's")
		}
		if err != nil {
			o.errs = append(o.errs, "api: "+err.Error())
			w.Header().Set("WWW-Authenticate", `DPoP error="invalid_dpop_proof"`)
			w.WriteHeader(401)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"id":"00u1","status":"ACTIVE","profile":{}}`))
	})
	o.srv = httptest.NewServer(mux)
	t.Cleanup(o.srv.Close)
	return o
}

// mustPayload is the decoded payload of a compact JWT (nil if it is not one).
func mustPayload(jwt string) []byte {
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		return nil
	}
	b, _ := base64.RawURLEncoding.DecodeString(parts[1])
	return b
}

// TestOktaDPoP: auth {type: oauth2, privateKey, dpop: true} gets a
// DPoP-bound token — a proof on the token request, sent again with the
// authorization server's nonce when it demands one — and calls the API
// with Authorization: DPoP and a fresh proof per request (htm, htu without
// the query, ath, the resource server's nonce after its challenge, the
// same key as the token's), the token fetched once; every proof verifies,
// no jti repeats, and the proofs and the token are secrets.
func TestOktaDPoP(t *testing.T) {
	dir := t.TempDir()
	writePEMKey(t, dir, "key.pem", "ec")
	o := newDPoPOkta(t)
	s, err := New(loadConfig(t, "connectors:\n  okta:\n    type: okta\n    allowInsecure: true\n    baseURL: "+o.srv.URL+
		"\n    auth: {type: oauth2, clientID: 0oa1, privateKey: {file: key.pem}, scopes: [okta.users.read], dpop: true}\n"), Options{BaseDir: dir, Getenv: env(nil)})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		if _, err := s.Do(t.Context(), effect.Request{Instance: "okta", Type: "okta", Action: "getUser", Input: map[string]any{"userId": "00u1"}}); err != nil {
			t.Fatalf("getUser %d: %v (server: %v)", i, err, o.errs)
		}
	}
	if _, err := s.Do(t.Context(), effect.Request{Instance: "okta", Type: "okta", Action: "clearUserSessions", Input: map[string]any{"userId": "00u1"}}); err != nil {
		t.Fatalf("clearUserSessions (DELETE with a query): %v (server: %v)", err, o.errs)
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if len(o.errs) > 0 {
		t.Fatalf("proofs refused: %v", o.errs)
	}
	// token: one without the nonce, one with; API: the first challenged,
	// then every request with the remembered nonce.
	if o.tokenReqs != 2 || o.apiReqs != 5 {
		t.Errorf("%d token requests and %d API requests, want 2 and 5", o.tokenReqs, o.apiReqs)
	}
	red := s.Redactor()
	for _, p := range append(o.proofs, "dpop-at-2", "DPoP dpop-at-2") {
		if red.Redact("x "+p+" x") != "x *** x" {
			t.Errorf("not a secret: %.30s…", p)
		}
	}
}

// TestDPoPNonceOnce: a token endpoint that demands a nonce again and
// again gets the request twice, then the error; a resource server the
// same.
func TestDPoPNonceOnce(t *testing.T) {
	var tokenReqs, apiReqs int
	mux := http.NewServeMux()
	mux.HandleFunc("POST /oauth2/v1/token", func(w http.ResponseWriter, r *http.Request) {
		tokenReqs++
		w.Header().Set("DPoP-Nonce", fmt.Sprint("n", tokenReqs))
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(400)
		w.Write([]byte(`{"error":"use_dpop_nonce","error_description":"Authorization server requires nonce in DPoP proof."}`))
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	dir := t.TempDir()
	writePEMKey(t, dir, "key.pem", "ec")
	s, err := New(loadConfig(t, "connectors:\n  okta:\n    type: okta\n    allowInsecure: true\n    baseURL: "+srv.URL+
		"\n    auth: {type: oauth2, clientID: 0oa1, privateKey: {file: key.pem}, scopes: [okta.users.read], dpop: true}\n"), Options{BaseDir: dir, Getenv: env(nil)})
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.Do(t.Context(), effect.Request{Instance: "okta", Type: "okta", Action: "getUser", Input: map[string]any{"userId": "00u1"}})
	var e *effect.Error
	if !errors.As(err, &e) || e.Code != "unauthorized" || !strings.Contains(e.Message, "use_dpop_nonce") || tokenReqs != 2 || apiReqs != 0 {
		t.Fatalf("error %#v after %d token requests, want unauthorized use_dpop_nonce after 2", err, tokenReqs)
	}
}

// TestDPoPResourceNonceOnce: a resource server that challenges every
// request is asked twice per call, and the call fails with its 401.
func TestDPoPResourceNonceOnce(t *testing.T) {
	d, err := NewDPoP()
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n++
		w.Header().Set("WWW-Authenticate", `DPoP error="use_dpop_nonce"`)
		w.Header().Set("DPoP-Nonce", fmt.Sprint("n", n))
		w.WriteHeader(401)
	}))
	defer srv.Close()
	in := &Instance{Name: "x", Type: "okta", HTTP: srv.Client(), Limiter: newLimiter(nil, "okta", false),
		Auth: &PrivateKeyJWT{DPoP: d, cache: tokenCache{tok: tokenOf("at", "DPoP")}}}
	in.BaseURL, _ = urlParse(srv.URL)
	_, err = in.Call(t.Context(), "GET", "/api/v1/users/x", nil, nil, nil)
	var e *effect.Error
	if !errors.As(err, &e) || e.Status != 401 || n != 2 {
		t.Fatalf("error %#v after %d requests, want a 401 after 2", err, n)
	}
}

// TestDPoPNoKeyInOutput: the DPoP key is made for the process and never
// read from, or written to, anything: New with dpop: true leaves nothing
// in the directory.
func TestDPoPNoKeyInOutput(t *testing.T) {
	dir := t.TempDir()
	writePEMKey(t, dir, "key.pem", "rsa")
	if _, err := New(loadConfig(t, "connectors:\n  okta:\n    type: okta\n    baseURL: https://acme.okta.com\n    auth: {type: oauth2, clientID: c, privateKey: {file: key.pem}, dpop: true}\n"), Options{BaseDir: dir, Getenv: env(nil)}); err != nil {
		t.Fatal(err)
	}
	if es, _ := os.ReadDir(dir); len(es) != 1 {
		t.Errorf("files: %v", es)
	}
	_, err := New(loadConfig(t, "connectors:\n  api:\n    type: http\n    baseURL: https://a.example.com\n    auth: {type: oauth2, clientID: c, clientSecret: {env: S}, tokenURL: https://a.example.com/t, dpop: true}\n"), Options{BaseDir: dir, Getenv: env(map[string]string{"S": "secret"})})
	if err == nil || !strings.Contains(err.Error(), "auth.dpop: only with a privateKey") {
		t.Errorf("dpop with a client secret: %v", err)
	}
}

func tokenOf(at, typ string) *oauth2.Token {
	return &oauth2.Token{AccessToken: at, TokenType: typ, Expiry: time.Now().Add(time.Hour)}
}

func urlParse(s string) (*url.URL, error) { return url.Parse(s) }
