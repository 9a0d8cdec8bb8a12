package sandbox

import (
	"crypto"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	josejwt "github.com/go-jose/go-jose/v4/jwt"
)

// dpopState is the DPoP proof checking of an okta instance (RFC 9449 §4.3,
// Okta's "Configure OAuth 2.0 Demonstrating Proof-of-Possession"): a proof
// is a JWT, typ dpop+jwt, signed (ES256/384/512, RS256/384/512) by the
// public key in its jwk header; htm and htu are the request's method and
// URL without query; iat within a minute of now; a jti never seen; the
// server's nonce — a proof without it is answered use_dpop_nonce with a
// DPoP-Nonce, once per server (token endpoint, API), as Okta's token
// endpoint does; at the API, ath the hash of the token presented.
type dpopState struct {
	mu     sync.Mutex
	jtis   map[string]bool
	tokens map[string]string // access token → jkt
	// nonces of the authorization server and the resource server.
	asNonce, rsNonce string
}

var dpopAlgs = []jose.SignatureAlgorithm{jose.ES256, jose.ES384, jose.ES512, jose.RS256, jose.RS384, jose.RS512}

// dpopWindow is how far iat may be from now.
const dpopWindow = time.Minute

func (d *dpopState) bind(token, jkt string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.tokens == nil {
		d.tokens = map[string]string{}
	}
	d.tokens[token] = jkt
}

func (d *dpopState) bound(token string) string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.tokens[token]
}

// nonce returns the current nonce of the token endpoint (as) or the API.
func (d *dpopState) nonce(as bool) string {
	d.mu.Lock()
	defer d.mu.Unlock()
	p := &d.rsNonce
	if as {
		p = &d.asNonce
	}
	if *p == "" {
		b := make([]byte, 12)
		_, _ = rand.Read(b)
		*p = "sandbox-nonce-" + hex.EncodeToString(b)
	}
	return *p
}

// check verifies proof for a request to htu (token the access token
// presented, "" at the token endpoint) and returns its key's thumbprint;
// on a refusal it writes the answer — the token endpoint's {error,
// error_description} with 400, the API's 401 with WWW-Authenticate — and
// returns false.
func (d *dpopState) check(w http.ResponseWriter, r *http.Request, proof, htu, token string, as bool) (string, bool) {
	nonce := d.nonce(as)
	fail := func(code, desc string) (string, bool) {
		if code == "use_dpop_nonce" {
			w.Header().Set("DPoP-Nonce", nonce)
		}
		if as {
			writeJSON(w, http.StatusBadRequest, map[string]any{"error": code, "error_description": desc})
		} else {
			w.Header().Set("WWW-Authenticate", `DPoP algs="ES256 RS256", error="`+code+`", error_description="`+desc+`"`)
			writeJSON(w, http.StatusUnauthorized, map[string]any{"errorCode": "E0000011", "errorSummary": "Invalid token provided: " + desc})
		}
		return "", false
	}
	tok, err := josejwt.ParseSigned(proof, dpopAlgs)
	if err != nil || len(tok.Headers) != 1 {
		return fail("invalid_dpop_proof", "The DPoP proof is not a signed JWT.")
	}
	h := tok.Headers[0]
	if h.ExtraHeaders["typ"] != "dpop+jwt" {
		return fail("invalid_dpop_proof", "The DPoP proof typ must be dpop+jwt.")
	}
	if h.JSONWebKey == nil || !h.JSONWebKey.IsPublic() || !h.JSONWebKey.Valid() {
		return fail("invalid_dpop_proof", "The DPoP proof must carry a public jwk in its header.")
	}
	var c struct {
		HTM   string `json:"htm"`
		HTU   string `json:"htu"`
		IAT   int64  `json:"iat"`
		JTI   string `json:"jti"`
		Nonce string `json:"nonce"`
		ATH   string `json:"ath"`
	}
	if err := tok.Claims(h.JSONWebKey.Key, &c); err != nil {
		return fail("invalid_dpop_proof", "The DPoP proof signature is invalid.")
	}
	ath := ""
	if token != "" {
		s := sha256.Sum256([]byte(token))
		ath = base64.RawURLEncoding.EncodeToString(s[:])
	}
	switch {
	case c.HTM != r.Method:
		return fail("invalid_dpop_proof", "The DPoP proof htm does not match the request method.")
	case c.HTU != htu:
		return fail("invalid_dpop_proof", "The DPoP proof htu does not match the request URL "+htu+".")
	case time.Since(time.Unix(c.IAT, 0)).Abs() > dpopWindow:
		return fail("invalid_dpop_proof", "The DPoP proof iat is not recent.")
	case c.JTI == "":
		return fail("invalid_dpop_proof", "The DPoP proof must have a jti.")
	case c.ATH != ath:
		return fail("invalid_dpop_proof", "The DPoP proof ath does not match the access token.")
	case c.Nonce != nonce:
		// Before the jti is spent: the retry comes with a new proof.
		return fail("use_dpop_nonce", "Authorization server requires nonce in DPoP proof.")
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.jtis[c.JTI] {
		return fail("invalid_dpop_proof", "The DPoP proof jti has already been used.")
	}
	if d.jtis == nil {
		d.jtis = map[string]bool{}
	}
	d.jtis[c.JTI] = true
	tp, err := h.JSONWebKey.Thumbprint(crypto.SHA256)
	if err != nil {
		return fail("invalid_dpop_proof", "The DPoP proof jwk has no thumbprint.")
	}
	return base64.RawURLEncoding.EncodeToString(tp), true
}
