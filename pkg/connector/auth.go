package connector

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	josejwt "github.com/go-jose/go-jose/v4/jwt"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
	"gopkg.in/yaml.v3"

	"github.com/jml-dev/jml/pkg/effect"
	"github.com/jml-dev/jml/pkg/source"
)

// Authorizer adds credentials to a request.
type Authorizer interface {
	Authorize(ctx context.Context, req *http.Request) error
}

// registrar is an Authorizer whose credentials, in the forms they are
// sent in, are secrets beside the values read from jml.yaml: newAuth hands
// it the run's Redactor before any request, and an Authorizer that makes
// credentials at run time (a token, a signed assertion) adds each to it the
// moment it exists — before it is sent, so that an answer echoing it is
// redacted.
type registrar interface {
	register(r *effect.Redactor)
}

// SSWS is Okta's API token auth: Authorization: SSWS TOKEN.
type SSWS struct{ Token string }

func (a SSWS) header() string { return "SSWS " + a.Token }

// Authorize sets the header.
func (a SSWS) Authorize(_ context.Context, r *http.Request) error {
	r.Header.Set("Authorization", a.header())
	return nil
}

func (a SSWS) register(r *effect.Redactor) { r.Add(a.Token, a.header()) }

// Bearer is Authorization: Bearer TOKEN.
type Bearer struct{ Token string }

func (a Bearer) header() string { return "Bearer " + a.Token }

// Authorize sets the header.
func (a Bearer) Authorize(_ context.Context, r *http.Request) error {
	r.Header.Set("Authorization", a.header())
	return nil
}

func (a Bearer) register(r *effect.Redactor) { r.Add(a.Token, a.header()) }

// Basic is HTTP basic auth.
type Basic struct{ Username, Password string }

// Authorize sets the header.
func (a Basic) Authorize(_ context.Context, r *http.Request) error {
	r.Header.Set("Authorization", basicHeader(a.Username, a.Password))
	return nil
}

// register adds the password, user:password and the header as sent
// (base64 of user:password: the password's own base64 is not in it).
func (a Basic) register(r *effect.Redactor) {
	registerBasic(r, a.Username, a.Password)
}

// basicHeader is the Authorization value of HTTP basic auth, exactly as
// http.Request.SetBasicAuth writes it.
func basicHeader(user, pass string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))
}

func registerBasic(r *effect.Redactor, user, pass string) {
	if pass == "" {
		return
	}
	h := basicHeader(user, pass)
	r.Add(pass, user+":"+pass, strings.TrimPrefix(h, "Basic "), h)
}

// LDAPBind is an LDAP simple bind (activedirectory): the bind DN (or a
// user principal name, which Active Directory accepts too) and its
// password. It authenticates an LDAP connection, never an HTTP request.
type LDAPBind struct{ BindDN, Password string }

// Authorize refuses: an ldapBind credential is for LDAP connectors only.
func (LDAPBind) Authorize(context.Context, *http.Request) error {
	return &effect.Error{Code: "invalid_input", Message: "auth type ldapBind is for LDAP connectors (activedirectory) only"}
}

// None sends no credentials.
type None struct{}

// Authorize does nothing.
func (None) Authorize(context.Context, *http.Request) error { return nil }

// earlyExpiry is how long before its expiry a cached access token is
// fetched again (oauth2.ReuseTokenSourceWithExpiry): a call never starts
// with a token about to lapse mid-request.
const earlyExpiry = time.Minute

// tokenCache is the access token of one credential, shared by every run:
// golang.org/x/oauth2 makes the token request, reads the answer and says
// whether the cached token is still valid; the mutex makes concurrent
// runs share one fetch. The fetch is made with the calling request's
// context (its deadline and cancellation) and the instance's HTTP client
// (redirect pinning).
type tokenCache struct {
	mu  sync.Mutex
	tok *oauth2.Token
}

// get returns the cached token, or one fetched by fetch. Every token is
// added to red before it is returned.
func (c *tokenCache) get(ctx context.Context, hc *http.Client, red *effect.Redactor, fetch func(context.Context) (*oauth2.Token, error)) (*oauth2.Token, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if hc != nil {
		ctx = context.WithValue(ctx, oauth2.HTTPClient, hc)
	}
	t, err := oauth2.ReuseTokenSourceWithExpiry(c.tok, fetchSource{ctx: ctx, fetch: fetch, red: red}, earlyExpiry).Token()
	if err != nil {
		return nil, tokenError(ctx, err)
	}
	c.tok = t
	return t, nil
}

// fetchSource is an oauth2.TokenSource bound to one request's context.
type fetchSource struct {
	ctx   context.Context
	fetch func(context.Context) (*oauth2.Token, error)
	red   *effect.Redactor
}

func (s fetchSource) Token() (*oauth2.Token, error) {
	t, err := s.fetch(s.ctx)
	if err != nil {
		return nil, err
	}
	idt, _ := t.Extra("id_token").(string)
	s.red.Add(t.AccessToken, "Bearer "+t.AccessToken, "DPoP "+t.AccessToken, t.RefreshToken, idt)
	// x/oauth2 keeps a token without expires_in forever and one with a
	// negative expires_in not at all: take an hour, the lifetime Okta,
	// Google and Microsoft give their access tokens.
	if !t.Expiry.After(time.Now()) {
		t.Expiry = time.Now().Add(time.Hour)
	}
	return t, nil
}

// dpopErrors are the token endpoint's answers to a client that sends no
// DPoP proof to an Okta app that requires one (or a proof it refuses).
var dpopErrors = map[string]bool{"invalid_dpop_proof": true, "use_dpop_nonce": true}

// tokenError turns a failed token request into an *effect.Error: the
// vendor's status and message, a timeout or cancellation of the calling
// request, a connection failure, or an answer without a token.
func tokenError(ctx context.Context, err error) error {
	var re *oauth2.RetrieveError
	switch {
	case errors.As(err, &re) && dpopErrors[re.ErrorCode]:
		return &effect.Error{Code: "unauthorized", Status: re.Response.StatusCode, Message: "token request refused: " + re.ErrorCode + " (" + vendorMessage(re.Body, re.Response.Status) +
			"): the Okta app requires DPoP-bound tokens (\"Require Demonstrating Proof of Possession (DPoP) header in token requests\"): set dpop: true on the instance's auth"}
	case errors.As(err, &re) && re.Response.StatusCode >= 200 && re.Response.StatusCode < 300:
		return &effect.Error{Code: "unauthorized", Message: "token request failed: " + vendorMessage(re.Body, re.ErrorCode)}
	case errors.As(err, &re):
		e := effect.HTTPError(re.Response.StatusCode, "token request failed: "+vendorMessage(re.Body, re.Response.Status))
		if re.Response.StatusCode == 400 || re.Response.StatusCode == 401 {
			e.Code = "unauthorized"
		}
		return e
	case errors.Is(ctx.Err(), context.DeadlineExceeded) || isTimeout(err):
		return &effect.Error{Code: "timeout", Message: "token request: no answer in time", Retryable: true}
	case ctx.Err() != nil:
		return &effect.Error{Code: "canceled", Message: "token request: " + ctx.Err().Error()}
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		return &effect.Error{Code: "connection", Message: "token request: " + unwrapURL(err).Error(), Retryable: true}
	}
	var ee *effect.Error
	if errors.As(err, &ee) {
		return ee
	}
	return &effect.Error{Code: "unauthorized", Message: "token response without access_token (" + err.Error() + ")"}
}

// OAuth2 is the OAuth 2.0 client-credentials grant (RFC 6749 §4.4) with a
// client secret, sent as HTTP basic credentials (RFC 6749 §2.3.1).
type OAuth2 struct {
	TokenURL, ClientID, ClientSecret string
	Scopes                           []string
	HTTP                             *http.Client
	cache                            tokenCache
	// red is the run's Redactor: each access token fetched is added.
	red *effect.Redactor
}

// register adds the client authentication of the token request as sent
// and keeps r for the tokens to come.
func (a *OAuth2) register(r *effect.Redactor) {
	a.red = r
	registerBasic(r, url.QueryEscape(a.ClientID), url.QueryEscape(a.ClientSecret))
}

// Authorize sets a bearer token, fetching or refreshing it when needed.
func (a *OAuth2) Authorize(ctx context.Context, r *http.Request) error {
	tok, err := a.cache.get(ctx, a.HTTP, a.red, a.fetch)
	if err != nil {
		return err
	}
	r.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	return nil
}

func (a *OAuth2) fetch(ctx context.Context) (*oauth2.Token, error) {
	c := clientcredentials.Config{ClientID: a.ClientID, ClientSecret: a.ClientSecret, TokenURL: a.TokenURL,
		Scopes: a.Scopes, AuthStyle: oauth2.AuthStyleInHeader}
	return c.Token(ctx)
}

// assertionType is client_assertion_type of private_key_jwt (RFC 7523 §2.2).
const assertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

// assertionLifetime is how long a client assertion is valid: Okta takes
// at most an hour; each token request signs a new one.
const assertionLifetime = 5 * time.Minute

// PrivateKeyJWT is the OAuth 2.0 client-credentials grant with
// private_key_jwt client authentication (RFC 7523 §2.2, OpenID Connect
// Core §9): the client proves itself with a JWT signed by its private key
// — iss and sub the client id, aud the token URL, a fresh jti, exp five
// minutes on. It is the only client authentication Okta accepts for a
// service app's scoped tokens (okta.users.manage, …).
type PrivateKeyJWT struct {
	TokenURL, ClientID string
	// KeyID is the kid of the header: the key's id registered with the
	// app (a JWK's own kid when empty).
	KeyID  string
	Key    crypto.Signer
	Scopes []string
	HTTP   *http.Client
	// Now is the clock of the assertions (time.Now when nil).
	Now func() time.Time
	// DPoP, when set, makes every token request and API request carry a
	// DPoP proof, and the token DPoP-bound (auth dpop: true).
	DPoP  *DPoP
	cache tokenCache
	// raw is the key as configured (PEM or JWK), a secret; red is the
	// run's Redactor, to which each assertion and token is added.
	raw string
	red *effect.Redactor
}

// register adds the key as configured and keeps r for the assertions
// and tokens to come.
func (a *PrivateKeyJWT) register(r *effect.Redactor) {
	a.red = r
	registerKey(r, a.raw)
	if a.DPoP != nil {
		a.DPoP.red = r
	}
}

// Authorize sets the token, fetching or refreshing it when needed: a
// bearer token, or a DPoP-bound one with a proof of this request.
func (a *PrivateKeyJWT) Authorize(ctx context.Context, r *http.Request) error {
	tok, err := a.cache.get(ctx, a.HTTP, a.red, a.fetch)
	if err != nil {
		return err
	}
	if a.DPoP != nil && strings.EqualFold(tok.Type(), "DPoP") {
		return a.DPoP.authorize(r, tok.AccessToken)
	}
	r.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	return nil
}

// challenged reports whether the answer to req asks for it once more with
// a fresh proof (a DPoP nonce): see challenger.
func (a *PrivateKeyJWT) challenged(req *http.Request, resp *http.Response) bool {
	return a.DPoP != nil && a.DPoP.challenged(req, resp)
}

// Assertion signs the client assertion of a token request made at now.
func (a *PrivateKeyJWT) Assertion(now time.Time) (string, error) {
	jti := make([]byte, 16)
	if _, err := rand.Read(jti); err != nil {
		return "", err
	}
	return signJWT(a.Key, a.KeyID, map[string]any{
		"iss": a.ClientID, "sub": a.ClientID, "aud": a.TokenURL, "jti": hex.EncodeToString(jti),
		"iat": now.Unix(), "exp": now.Add(assertionLifetime).Unix(),
	})
}

func (a *PrivateKeyJWT) fetch(ctx context.Context) (*oauth2.Token, error) {
	now := time.Now
	if a.Now != nil {
		now = a.Now
	}
	jwt, err := a.Assertion(now())
	if err != nil {
		return nil, &effect.Error{Code: "unauthorized", Message: "signing the client assertion: " + err.Error()}
	}
	// The assertion is a credential until it expires: a secret before it
	// is sent.
	a.red.Add(jwt)
	// No client_id: the assertion names the client (RFC 7523 §3), as in
	// Okta's documented request.
	c := clientcredentials.Config{TokenURL: a.TokenURL, Scopes: a.Scopes, AuthStyle: oauth2.AuthStyleInParams,
		EndpointParams: url.Values{"client_assertion_type": {assertionType}, "client_assertion": {jwt}}}
	if a.DPoP == nil {
		return c.Token(ctx)
	}
	// The token request goes through the instance's client (its redirect
	// pinning, its transport) with the proof added by DPoP's transport.
	hc, _ := ctx.Value(oauth2.HTTPClient).(*http.Client)
	if hc == nil {
		hc = http.DefaultClient
	}
	dc := *hc
	dc.Transport = a.DPoP.transport(hc.Transport)
	t, err := c.Token(context.WithValue(ctx, oauth2.HTTPClient, &dc))
	var re *oauth2.RetrieveError
	if errors.As(err, &re) && dpopErrors[re.ErrorCode] {
		return nil, &effect.Error{Code: "unauthorized", Status: re.Response.StatusCode, Message: "token request refused the DPoP proof: " + re.ErrorCode + " (" + vendorMessage(re.Body, re.Response.Status) + ")"}
	}
	return t, err
}

// signJWT signs claims as a compact JWS (typ JWT) with the algorithm the
// key calls for: RS256 for RSA, ES256/ES384/ES512 for P-256/P-384/P-521.
func signJWT(key crypto.Signer, kid string, claims map[string]any) (string, error) {
	alg, err := keyAlgorithm(key)
	if err != nil {
		return "", err
	}
	opts := (&jose.SignerOptions{}).WithType("JWT")
	if kid != "" {
		opts = opts.WithHeader("kid", kid)
	}
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key}, opts)
	if err != nil {
		return "", err
	}
	return josejwt.Signed(s).Claims(claims).Serialize()
}

// keyAlgorithm is the JWS algorithm of a private key.
func keyAlgorithm(key crypto.Signer) (jose.SignatureAlgorithm, error) {
	switch k := key.(type) {
	case *rsa.PrivateKey:
		return jose.RS256, nil
	case *ecdsa.PrivateKey:
		switch k.Curve {
		case elliptic.P256():
			return jose.ES256, nil
		case elliptic.P384():
			return jose.ES384, nil
		case elliptic.P521():
			return jose.ES512, nil
		}
	}
	return "", fmt.Errorf("the private key is %T: it must be RSA or EC (P-256, P-384, P-521)", key)
}

// ParsePrivateKey reads a private key as Okta's admin console gives it — a
// JWK (JSON) or PEM (PKCS#8, PKCS#1 RSA or SEC 1 EC) — and returns it with
// the JWK's kid, if any.
func ParsePrivateKey(raw string) (crypto.Signer, string, error) {
	raw = strings.TrimSpace(raw)
	if strings.HasPrefix(raw, "{") {
		var jwk jose.JSONWebKey
		if err := jwk.UnmarshalJSON([]byte(raw)); err != nil {
			return nil, "", fmt.Errorf("the private key is not a JWK: %v", err)
		}
		k, ok := jwk.Key.(crypto.Signer)
		if !ok || jwk.IsPublic() {
			return nil, "", fmt.Errorf("the JWK is a public key: give the private one")
		}
		_, err := keyAlgorithm(k)
		return k, jwk.KeyID, err
	}
	block, _ := pem.Decode([]byte(raw))
	if block == nil {
		return nil, "", fmt.Errorf("the private key is neither PEM nor a JWK")
	}
	var key any
	var err error
	if key, err = x509.ParsePKCS8PrivateKey(block.Bytes); err != nil {
		if key, err = x509.ParsePKCS1PrivateKey(block.Bytes); err != nil {
			if key, err = x509.ParseECPrivateKey(block.Bytes); err != nil {
				return nil, "", fmt.Errorf("the private key cannot be parsed (PKCS#8, PKCS#1 or SEC 1 PEM)")
			}
		}
	}
	k, ok := key.(crypto.Signer)
	if !ok {
		return nil, "", fmt.Errorf("the private key is %T: it must be RSA or EC", key)
	}
	_, err = keyAlgorithm(k)
	return k, "", err
}

// registerKey adds a private key as configured: a PEM whole, its base64
// body whole and line by line; a JWK whole and its private members.
func registerKey(r *effect.Redactor, raw string) {
	if raw == "" {
		return
	}
	r.Add(raw, strings.TrimSpace(raw))
	if strings.HasPrefix(strings.TrimSpace(raw), "{") {
		var m map[string]any
		_ = json.Unmarshal([]byte(raw), &m)
		for _, k := range []string{"d", "p", "q", "dp", "dq", "qi"} {
			if v, ok := m[k].(string); ok {
				r.Add(v)
			}
		}
		return
	}
	var body []string
	for _, l := range strings.Split(raw, "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "-----") {
			body = append(body, l)
		}
	}
	r.Add(body...)
	r.Add(strings.Join(body, ""))
}

// ServiceAccount is a Google service account with domain-wide delegation:
// a signed JWT (RS256) exchanged for an access token acting as Subject
// (the JWT bearer grant, RFC 7523 §2.1).
type ServiceAccount struct {
	ClientEmail string
	PrivateKey  *rsa.PrivateKey
	TokenURL    string
	Subject     string
	Scopes      []string
	HTTP        *http.Client
	cache       tokenCache
	// pem is the private key as the key file holds it; red is the run's
	// Redactor, to which each signed assertion and token is added.
	pem string
	red *effect.Redactor
}

// register adds the private key — its PEM, its base64 body whole and
// line by line — and keeps r for the assertions and tokens to come.
func (a *ServiceAccount) register(r *effect.Redactor) {
	a.red = r
	registerKey(r, a.pem)
}

// googleScopes are what a google instance requests when jml.yaml lists no
// scopes and no flow action names any (the flows' actions' scopes
// otherwise: Options.Scopes).
var googleScopes = []string{
	"https://www.googleapis.com/auth/admin.directory.user",
	"https://www.googleapis.com/auth/admin.directory.group.member",
	"https://www.googleapis.com/auth/admin.datatransfer",
}

// ParseServiceAccount reads a service-account key file (JSON).
func ParseServiceAccount(data []byte) (*ServiceAccount, error) {
	var k struct {
		ClientEmail string `json:"client_email"`
		PrivateKey  string `json:"private_key"`
		TokenURI    string `json:"token_uri"`
	}
	if err := json.Unmarshal(data, &k); err != nil {
		return nil, fmt.Errorf("the service-account key is not JSON")
	}
	if k.ClientEmail == "" || k.PrivateKey == "" {
		return nil, fmt.Errorf("the service-account key has no client_email or private_key")
	}
	block, _ := pem.Decode([]byte(k.PrivateKey))
	if block == nil {
		return nil, fmt.Errorf("the service-account private_key is not PEM")
	}
	var key *rsa.PrivateKey
	if pk, err := x509.ParsePKCS8PrivateKey(block.Bytes); err == nil {
		rk, ok := pk.(*rsa.PrivateKey)
		if !ok {
			return nil, fmt.Errorf("the service-account private_key is not an RSA key")
		}
		key = rk
	} else if rk, err := x509.ParsePKCS1PrivateKey(block.Bytes); err == nil {
		key = rk
	} else {
		return nil, fmt.Errorf("the service-account private_key cannot be parsed")
	}
	if k.TokenURI == "" {
		k.TokenURI = "https://oauth2.googleapis.com/token"
	}
	return &ServiceAccount{ClientEmail: k.ClientEmail, PrivateKey: key, TokenURL: k.TokenURI, pem: k.PrivateKey}, nil
}

// Authorize sets a bearer token from a signed assertion.
func (a *ServiceAccount) Authorize(ctx context.Context, r *http.Request) error {
	tok, err := a.cache.get(ctx, a.HTTP, a.red, a.fetch)
	if err != nil {
		return err
	}
	r.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	return nil
}

// Assertion builds the signed JWT (RFC 7523) for the token request.
func (a *ServiceAccount) Assertion(now time.Time) (string, error) {
	scopes := a.Scopes
	if len(scopes) == 0 {
		scopes = googleScopes
	}
	claims := map[string]any{
		"iss": a.ClientEmail, "scope": strings.Join(scopes, " "), "aud": a.TokenURL,
		"iat": now.Unix(), "exp": now.Add(time.Hour).Unix(),
	}
	if a.Subject != "" {
		claims["sub"] = a.Subject
	}
	return signJWT(a.PrivateKey, "", claims)
}

// fetch exchanges a fresh assertion for a token: the JWT bearer grant
// is clientcredentials' request with its grant_type replaced (x/oauth2
// allows that override) and no client authentication — the assertion is
// it.
func (a *ServiceAccount) fetch(ctx context.Context) (*oauth2.Token, error) {
	jwt, err := a.Assertion(time.Now())
	if err != nil {
		return nil, &effect.Error{Code: "unauthorized", Message: "signing the service-account assertion: " + err.Error()}
	}
	// The assertion is a credential for its hour: a secret before it is sent.
	a.red.Add(jwt)
	c := clientcredentials.Config{TokenURL: a.TokenURL, AuthStyle: oauth2.AuthStyleInParams,
		EndpointParams: url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:jwt-bearer"}, "assertion": {jwt}}}
	return c.Token(ctx)
}

func strings_(n *yaml.Node) []string {
	var out []string
	for _, c := range source.Resolve(n).Content {
		out = append(out, c.Value)
	}
	return out
}

// newAuth builds the Authorizer of an instance from its auth: node and
// registers its credentials, as they will be sent, with the resolver's
// Redactor.
func newAuth(n *yaml.Node, inst *Instance, res *resolver) (Authorizer, error) {
	a, err := buildAuth(n, inst, res)
	if err != nil {
		return nil, err
	}
	if rg, ok := a.(registrar); ok {
		rg.register(res.red)
	}
	return a, nil
}

func buildAuth(n *yaml.Node, inst *Instance, res *resolver) (Authorizer, error) {
	if n == nil {
		return None{}, nil
	}
	typ := str(source.Get(n, "type"))
	get := func(key string) (string, error) { return res.secret(source.Get(n, key), key) }
	switch typ {
	case "ssws":
		t, err := get("token")
		return SSWS{Token: t}, err
	case "bearer":
		t, err := get("token")
		return Bearer{Token: t}, err
	case "basic", "smtp": // smtp: the username and password of SMTP AUTH PLAIN (email)
		u, err := get("username")
		if err != nil {
			return nil, err
		}
		p, err := get("password")
		return Basic{Username: u, Password: p}, err
	case "oauth2":
		id, err := get("clientID")
		if err != nil {
			return nil, err
		}
		var scopes []string
		if s := source.Get(n, "scopes"); s != nil {
			scopes = strings_(s)
		}
		if source.Get(n, "privateKey") != nil {
			raw, err := get("privateKey")
			if err != nil {
				return nil, err
			}
			return newPrivateKeyJWT(n, inst, id, raw, scopes)
		}
		if source.Get(n, "dpop") != nil {
			return nil, fmt.Errorf("auth.dpop: only with a privateKey (an Okta service app)")
		}
		sec, err := get("clientSecret")
		if err != nil {
			return nil, err
		}
		return &OAuth2{TokenURL: str(source.Get(n, "tokenURL")), ClientID: id, ClientSecret: sec, Scopes: scopes, HTTP: inst.HTTP}, nil
	case "serviceAccount":
		key, err := get("credentials")
		if err != nil {
			return nil, err
		}
		sa, err := ParseServiceAccount([]byte(key))
		if err != nil {
			return nil, fmt.Errorf("auth.credentials: %v", err)
		}
		sa.Subject, sa.HTTP = str(source.Get(n, "subject")), inst.HTTP
		sa.Scopes = inst.Scopes // what the flows' actions need (catalog.ScopesFor)
		if s := source.Get(n, "scopes"); s != nil {
			sa.Scopes = strings_(s)
		}
		return sa, nil
	case "ldapBind":
		dn, err := get("bindDN")
		if err != nil {
			return nil, err
		}
		p, err := get("password")
		return LDAPBind{BindDN: dn, Password: p}, err
	case "none", "":
		return None{}, nil
	}
	return nil, fmt.Errorf("unknown auth type %q", typ)
}

// newPrivateKeyJWT builds the private_key_jwt client of an oauth2 auth
// with a privateKey. An okta instance's token URL defaults to its org
// authorization server's, {baseURL}/oauth2/v1/token: only that server
// mints tokens with Okta API scopes.
func newPrivateKeyJWT(n *yaml.Node, inst *Instance, clientID, raw string, scopes []string) (*PrivateKeyJWT, error) {
	key, kid, err := ParsePrivateKey(raw)
	if err != nil {
		return nil, fmt.Errorf("auth.privateKey: %v", err)
	}
	if k := str(source.Get(n, "keyID")); k != "" {
		kid = k
	}
	tokenURL := str(source.Get(n, "tokenURL"))
	if tokenURL == "" {
		if inst.Type != "okta" || inst.BaseURL == nil {
			return nil, fmt.Errorf("auth.tokenURL is missing: only okta instances have a default token URL ({baseURL}/oauth2/v1/token)")
		}
		tokenURL = strings.TrimRight(inst.BaseURL.String(), "/") + "/oauth2/v1/token"
	}
	if len(scopes) == 0 {
		scopes = inst.Scopes
	}
	d, err := dpopOf(n)
	if err != nil {
		return nil, err
	}
	return &PrivateKeyJWT{TokenURL: tokenURL, ClientID: clientID, KeyID: kid, Key: key, Scopes: scopes, HTTP: inst.HTTP, DPoP: d, raw: raw}, nil
}

// dpopOf makes the DPoP signer of an auth with dpop: true (nil without).
func dpopOf(n *yaml.Node) (*DPoP, error) {
	v := source.Resolve(source.Get(n, "dpop"))
	if v == nil || v.Value == "false" {
		return nil, nil
	}
	if v.Value != "true" {
		return nil, fmt.Errorf("auth.dpop: true or false, not %q", v.Value)
	}
	d, err := NewDPoP()
	if err != nil {
		return nil, fmt.Errorf("auth.dpop: making the DPoP key: %v", err)
	}
	return d, nil
}

// sandboxAuth is an instance's auth under --sandbox, which reads no
// secret: a bearer token the sandbox accepts, except for an okta oauth2
// auth with a privateKey, which goes through the same private_key_jwt
// flow against the sandbox's token endpoint — with a key made for the
// run (the sandbox checks the assertion's shape and claims, it holds no
// public key), DPoP when the auth says dpop: true, the client id when jml.yaml writes it as a literal, and
// the scopes configured or derived — so that the sandbox sees the
// token request and the scopes a real apply would send.
func sandboxAuth(n *yaml.Node, inst *Instance) Authorizer {
	if inst.Type != "okta" || str(source.Get(n, "type")) != "oauth2" || source.Get(n, "privateKey") == nil {
		return Bearer{Token: "jml-sandbox"}
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return Bearer{Token: "jml-sandbox"}
	}
	id := str(source.Get(n, "clientID"))
	if id == "" {
		id = "jml-sandbox"
	}
	scopes := inst.Scopes
	if s := source.Get(n, "scopes"); s != nil {
		scopes = strings_(s)
	}
	d, err := dpopOf(n)
	if err != nil {
		return Bearer{Token: "jml-sandbox"}
	}
	return &PrivateKeyJWT{TokenURL: strings.TrimRight(inst.BaseURL.String(), "/") + "/oauth2/v1/token", ClientID: id,
		KeyID: str(source.Get(n, "keyID")), Key: key, Scopes: scopes, HTTP: inst.HTTP, DPoP: d}
}
