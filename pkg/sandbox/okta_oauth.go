package sandbox

import (
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"strings"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	josejwt "github.com/go-jose/go-jose/v4/jwt"
)

// oktaAssertionType is the client_assertion_type of private_key_jwt.
const oktaAssertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

// oktaTokens is the org authorization server of an okta instance: POST
// /oauth2/v1/token, the client-credentials grant of a service app with
// private_key_jwt, as Okta's "Implement OAuth for Okta with a service app"
// guide describes it. It holds no public key, so it checks the client
// assertion's shape and claims, not its signature: a signed JWT (RS* or
// ES*), iss = sub (the client id), aud = this token URL, a jti never seen
// before, an exp in the future and at most an hour on; only okta.* scopes.
// It answers as Okta's does: {error, error_description} on a refusal.
type oktaTokens struct {
	mu   sync.Mutex
	jtis map[string]bool
	// scopes are the scopes granted with each token it issued.
	scopes map[string][]string
	// dpop is the proof checking of DPoP: each DPoP-bound token's key
	// thumbprint (cnf.jkt), the proofs' jtis seen, the nonces demanded.
	dpop dpopState
}

var oktaAlgs = []jose.SignatureAlgorithm{jose.RS256, jose.RS384, jose.RS512, jose.ES256, jose.ES384, jose.ES512}

func (o *oktaAPI) token(w http.ResponseWriter, r *http.Request) {
	fail := func(status int, code, desc string) {
		writeJSON(w, status, map[string]any{"error": code, "error_description": desc})
	}
	// A DPoP proof makes the token DPoP-bound (RFC 9449 §5), as an app
	// with "Require DPoP header in token requests" does; the proof is
	// checked first, as Okta does, nonce dance included.
	jkt := ""
	if p := r.Header.Get("DPoP"); p != "" {
		var ok bool
		if jkt, ok = o.tokens.dpop.check(w, r, p, "http://"+r.Host+"/"+o.in.Name+"/oauth2/v1/token", "", true); !ok {
			return
		}
	}
	if err := r.ParseForm(); err != nil {
		fail(400, "invalid_request", "The request body is not a form: "+err.Error())
		return
	}
	f := r.PostForm
	switch {
	case f.Get("grant_type") != "client_credentials":
		fail(400, "unsupported_grant_type", "The authorization grant type is not supported by the authorization server. Configured grant types: [client_credentials].")
		return
	case f.Has("client_secret") || r.Header.Get("Authorization") != "":
		fail(401, "invalid_client", "Client authentication failed: a service app with Okta API scopes authenticates with private_key_jwt only.")
		return
	case f.Get("client_assertion_type") != oktaAssertionType:
		fail(401, "invalid_client", "The client_assertion_type must be "+oktaAssertionType+".")
		return
	}
	tok, err := josejwt.ParseSigned(f.Get("client_assertion"), oktaAlgs)
	if err != nil {
		fail(401, "invalid_client", "The client_assertion is not a signed JWT: "+err.Error())
		return
	}
	var c josejwt.Claims
	if err := tok.UnsafeClaimsWithoutVerification(&c); err != nil {
		fail(401, "invalid_client", "The client_assertion claims cannot be read: "+err.Error())
		return
	}
	aud := "http://" + r.Host + "/" + o.in.Name + "/oauth2/v1/token"
	now := time.Now()
	switch {
	case c.Issuer == "" || c.Subject != c.Issuer:
		fail(401, "invalid_client", "The client_assertion iss and sub must both be the client id.")
		return
	case !c.Audience.Contains(aud):
		fail(401, "invalid_client", "The audience of the client_assertion must be "+aud+".")
		return
	case c.Expiry == nil || !c.Expiry.Time().After(now):
		fail(401, "invalid_client", "The client_assertion token is expired.")
		return
	case c.Expiry.Time().After(now.Add(time.Hour + time.Minute)):
		fail(401, "invalid_client", "The client_assertion token has an expiration too far into the future.")
		return
	case c.ID == "":
		fail(401, "invalid_client", "The client_assertion token must have a jti claim.")
		return
	}
	scopes := strings.Fields(f.Get("scope"))
	if len(scopes) == 0 {
		fail(400, "invalid_scope", "The authorization server resource does not have any configured default scopes, 'scope' must be provided.")
		return
	}
	for _, s := range scopes {
		if !strings.HasPrefix(s, "okta.") {
			fail(400, "invalid_scope", "Custom scopes are not allowed for this request.")
			return
		}
	}
	t := &o.tokens
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.jtis[c.ID] {
		fail(401, "invalid_client", "The client_assertion token has already been used.")
		return
	}
	if t.jtis == nil {
		t.jtis, t.scopes = map[string]bool{}, map[string][]string{}
	}
	t.jtis[c.ID] = true
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	at := "sandbox-okta-" + hex.EncodeToString(b)
	t.scopes[at] = scopes
	typ := "Bearer"
	if jkt != "" {
		typ = "DPoP"
		t.dpop.bind(at, jkt)
	}
	writeJSON(w, http.StatusOK, map[string]any{"token_type": typ, "expires_in": 3600, "access_token": at, "scope": strings.Join(scopes, " ")})
}

// dpopGate checks a request to the Okta API: a DPoP-bound token only as
// Authorization: DPoP with a valid proof of this request by the token's
// key (ath its hash, the resource server's nonce); a DPoP proof or scheme
// with anything else is refused. Bearer tokens the sandbox did not bind
// pass as before.
func (o *oktaAPI) dpopGate(w http.ResponseWriter, r *http.Request) bool {
	d := &o.tokens.dpop
	scheme, tok, _ := strings.Cut(strings.TrimSpace(r.Header.Get("Authorization")), " ")
	want := d.bound(tok)
	refuse := func(desc string) bool {
		w.Header().Set("WWW-Authenticate", `DPoP algs="ES256 RS256", error="invalid_dpop_proof", error_description="`+desc+`"`)
		writeJSON(w, http.StatusUnauthorized, map[string]any{"errorCode": "E0000011", "errorSummary": "Invalid token provided: " + desc})
		return false
	}
	switch {
	case strings.EqualFold(scheme, "DPoP") && want == "":
		return refuse("The access token is not DPoP-bound.")
	case !strings.EqualFold(scheme, "DPoP") && want != "":
		return refuse("A DPoP-bound access token must be sent as Authorization: DPoP, with a DPoP proof.")
	case want == "":
		return true
	}
	p := r.Header.Get("DPoP")
	if p == "" {
		return refuse("The DPoP proof JWT header is missing.")
	}
	jkt, ok := d.check(w, r, p, "http://"+r.Host+r.URL.EscapedPath(), tok, false)
	if !ok {
		return false
	}
	if jkt != want {
		return refuse("The DPoP proof is not signed by the key the access token is bound to.")
	}
	return true
}
