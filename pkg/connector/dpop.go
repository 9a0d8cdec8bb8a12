package connector

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	josejwt "github.com/go-jose/go-jose/v4/jwt"

	"github.com/jml-dev/jml/pkg/effect"
)

// DPoP (OAuth 2.0 Demonstrating Proof of Possession, RFC 9449), as Okta's
// "Configure OAuth 2.0 Demonstrating Proof-of-Possession" guide describes
// it for an app with "Require Demonstrating Proof of Possession (DPoP)
// header in token requests": every token request and every API request
// carries a DPoP header, a JWT (typ dpop+jwt) signed by a key whose public
// half is in its header; the token is bound to that key (its thumbprint,
// cnf.jkt), so a token that leaks is useless without the key.
//
// The key is an EC P-256 key made for the process and never written
// anywhere: Okta registers no DPoP key with the app (the guide: the DPoP
// JWK is separate from the client-authentication key, and the client
// generates it), it binds each token to the key that proved it, and a
// token outlives no process here — the cache is in memory. Nothing to
// configure, store or rotate.

// dpopNonceError is the error code of an answer that demands a nonce
// (RFC 9449 §8, §9): a token endpoint's 400 {"error":"use_dpop_nonce"}, a
// resource server's 401 WWW-Authenticate: DPoP error="use_dpop_nonce".
const dpopNonceError = "use_dpop_nonce"

// DPoP signs proofs with one key and remembers the newest nonce each
// server gave (the authorization server's and each resource server's are
// kept apart: RFC 9449 §8 lets them differ).
type DPoP struct {
	key *ecdsa.PrivateKey
	jwk jose.JSONWebKey
	// Now is the clock of iat (time.Now when nil).
	Now func() time.Time
	mu  sync.Mutex
	// nonces by "as "+origin (token endpoint) or "rs "+origin (API).
	nonces map[string]string
	red    *effect.Redactor
}

// NewDPoP makes a DPoP signer with a fresh P-256 key.
func NewDPoP() (*DPoP, error) {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	return &DPoP{key: k, jwk: jose.JSONWebKey{Key: k.Public(), Algorithm: string(jose.ES256)}, nonces: map[string]string{}}, nil
}

// htu is the htu claim of a request to u: the URL without query and
// fragment (RFC 9449 §4.2).
func htu(u *url.URL) string {
	return strings.ToLower(u.Scheme) + "://" + strings.ToLower(u.Host) + u.EscapedPath()
}

// ath is the hash of an access token in a proof: base64url (no padding)
// of its SHA-256 (RFC 9449 §4.2).
func ath(token string) string {
	h := sha256.Sum256([]byte(token))
	return base64.RawURLEncoding.EncodeToString(h[:])
}

// Proof signs a proof of a request: htm, htu, iat, a fresh jti, the nonce
// when one is given and ath when token is. Each proof is added to the
// Redactor before it is returned.
func (d *DPoP) Proof(method string, u *url.URL, token, nonce string) (string, error) {
	jti := make([]byte, 16)
	if _, err := rand.Read(jti); err != nil {
		return "", err
	}
	now := time.Now
	if d.Now != nil {
		now = d.Now
	}
	claims := map[string]any{"htm": method, "htu": htu(u), "iat": now().Unix(), "jti": hex.EncodeToString(jti)}
	if nonce != "" {
		claims["nonce"] = nonce
	}
	if token != "" {
		claims["ath"] = ath(token)
	}
	opts := (&jose.SignerOptions{EmbedJWK: true}).WithType("dpop+jwt")
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: d.key}, opts)
	if err != nil {
		return "", err
	}
	p, err := josejwt.Signed(s).Claims(claims).Serialize()
	if err != nil {
		return "", err
	}
	d.red.Add(p)
	return p, nil
}

// nonce returns the newest nonce of a server; setNonce keeps one.
func (d *DPoP) nonce(key string) string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.nonces[key]
}

func (d *DPoP) setNonce(key, n string) {
	if n == "" {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.nonces[key] = n
}

func origin(u *url.URL) string { return strings.ToLower(u.Scheme + "://" + u.Host) }

// authorize sets Authorization: DPoP and a proof of req bound to token.
func (d *DPoP) authorize(req *http.Request, token string) error {
	p, err := d.Proof(req.Method, req.URL, token, d.nonce("rs "+origin(req.URL)))
	if err != nil {
		return &effect.Error{Code: "unauthorized", Message: "signing the DPoP proof: " + err.Error()}
	}
	req.Header.Set("Authorization", "DPoP "+token)
	req.Header.Set("DPoP", p)
	return nil
}

// challenged keeps a resource server's DPoP-Nonce and reports whether its
// answer asks for the request again with it: a 401 whose WWW-Authenticate
// says DPoP error="use_dpop_nonce" (RFC 9449 §9). A nonce sent on a
// successful answer is kept too, for the next request.
func (d *DPoP) challenged(req *http.Request, resp *http.Response) bool {
	n := resp.Header.Get("DPoP-Nonce")
	d.setNonce("rs "+origin(req.URL), n)
	if resp.StatusCode != http.StatusUnauthorized || n == "" {
		return false
	}
	for _, v := range resp.Header.Values("WWW-Authenticate") {
		if strings.HasPrefix(strings.ToLower(strings.TrimSpace(v)), "dpop ") && strings.Contains(v, dpopNonceError) {
			return true
		}
	}
	return false
}

// transport is the RoundTripper of the token requests: each gets a proof
// (htm POST, htu the token URL, the authorization server's newest nonce)
// and, when the answer is 400 use_dpop_nonce with a DPoP-Nonce, is sent
// once more with a new proof carrying that nonce. x/oauth2 makes the
// request and reads the answer; this is the one place the proof is added.
func (d *DPoP) transport(base http.RoundTripper) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport
	}
	return dpopTransport{d: d, base: base}
}

type dpopTransport struct {
	d    *DPoP
	base http.RoundTripper
}

func (t dpopTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	key := "as " + origin(req.URL)
	send := func(nonce string) (*http.Response, error) {
		p, err := t.d.Proof(req.Method, req.URL, "", nonce)
		if err != nil {
			return nil, fmt.Errorf("signing the DPoP proof: %v", err)
		}
		r := req.Clone(req.Context())
		if req.GetBody != nil {
			if r.Body, err = req.GetBody(); err != nil {
				return nil, err
			}
		}
		r.Header.Set("DPoP", p)
		return t.base.RoundTrip(r)
	}
	resp, err := send(t.d.nonce(key))
	if err != nil {
		return nil, err
	}
	n := resp.Header.Get("DPoP-Nonce")
	t.d.setNonce(key, n)
	if resp.StatusCode != http.StatusBadRequest || n == "" || req.GetBody == nil {
		return resp, nil
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxResponseBytes))
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	if !strings.Contains(string(body), `"`+dpopNonceError+`"`) {
		resp.Body = io.NopCloser(strings.NewReader(string(body)))
		return resp, nil
	}
	return send(n)
}
