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
}

var oktaAlgs = []jose.SignatureAlgorithm{jose.RS256, jose.RS384, jose.RS512, jose.ES256, jose.ES384, jose.ES512}

func (o *oktaAPI) token(w http.ResponseWriter, r *http.Request) {
	fail := func(status int, code, desc string) {
		writeJSON(w, status, map[string]any{"error": code, "error_description": desc})
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
	writeJSON(w, http.StatusOK, map[string]any{"token_type": "Bearer", "expires_in": 3600, "access_token": at, "scope": strings.Join(scopes, " ")})
}
