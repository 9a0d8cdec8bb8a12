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
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

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

// tokenSource fetches and caches an access token until shortly before it
// expires; concurrent runs share one fetch.
type tokenSource struct {
	mu      sync.Mutex
	token   string
	expires time.Time
	now     func() time.Time
}

// get returns the cached token or one from fetch. fetch is an argument,
// not a field set on first use: that write raced with concurrent runs.
func (t *tokenSource) get(ctx context.Context, fetch func(ctx context.Context) (token string, ttl time.Duration, err error)) (string, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := time.Now
	if t.now != nil {
		now = t.now
	}
	if t.token != "" && now().Before(t.expires) {
		return t.token, nil
	}
	tok, ttl, err := fetch(ctx)
	if err != nil {
		return "", err
	}
	if ttl <= 0 {
		ttl = time.Hour
	}
	// Refresh a minute early (or at half-life for short tokens).
	margin := min(time.Minute, ttl/2)
	t.token, t.expires = tok, now().Add(ttl-margin)
	return tok, nil
}

// OAuth2 is the OAuth 2.0 client-credentials grant (RFC 6749 §4.4).
type OAuth2 struct {
	TokenURL, ClientID, ClientSecret string
	Scopes                           []string
	HTTP                             *http.Client
	src                              tokenSource
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
	tok, err := a.src.get(ctx, a.fetch)
	if err != nil {
		return err
	}
	r.Header.Set("Authorization", "Bearer "+tok)
	return nil
}

func (a *OAuth2) fetch(ctx context.Context) (string, time.Duration, error) {
	form := url.Values{"grant_type": {"client_credentials"}}
	if len(a.Scopes) > 0 {
		form.Set("scope", strings.Join(a.Scopes, " "))
	}
	req, err := http.NewRequestWithContext(ctx, "POST", a.TokenURL, strings.NewReader(form.Encode()))
	if err != nil {
		return "", 0, &effect.Error{Code: "unauthorized", Message: "token request: " + err.Error()}
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	// RFC 6749 §2.3.1: id and secret form-encoded, then HTTP basic.
	req.Header.Set("Authorization", basicHeader(url.QueryEscape(a.ClientID), url.QueryEscape(a.ClientSecret)))
	return tokenResponse(a.HTTP, req, a.red)
}

// tokenResponse posts a token request and reads {access_token, expires_in}.
// The tokens of the answer are added to red before anything uses them.
func tokenResponse(c *http.Client, req *http.Request, red *effect.Redactor) (string, time.Duration, error) {
	resp, err := c.Do(req)
	if err != nil {
		switch ctx := req.Context(); {
		case errors.Is(ctx.Err(), context.DeadlineExceeded) || isTimeout(err):
			return "", 0, &effect.Error{Code: "timeout", Message: "token request: no answer in time", Retryable: true}
		case ctx.Err() != nil:
			return "", 0, &effect.Error{Code: "canceled", Message: "token request: " + ctx.Err().Error()}
		}
		return "", 0, &effect.Error{Code: "connection", Message: "token request: " + unwrapURL(err).Error(), Retryable: true}
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != http.StatusOK {
		e := effect.HTTPError(resp.StatusCode, "token request failed: "+vendorMessage(body, resp.Status))
		if resp.StatusCode == 400 || resp.StatusCode == 401 {
			e.Code = "unauthorized"
		}
		return "", 0, e
	}
	var t struct {
		AccessToken  string `json:"access_token"`
		RefreshToken string `json:"refresh_token"`
		IDToken      string `json:"id_token"`
		ExpiresIn    int64  `json:"expires_in"`
	}
	if err := json.Unmarshal(body, &t); err != nil || t.AccessToken == "" {
		return "", 0, &effect.Error{Code: "unauthorized", Message: "token response without access_token"}
	}
	red.Add(t.AccessToken, "Bearer "+t.AccessToken, t.RefreshToken, t.IDToken)
	return t.AccessToken, time.Duration(t.ExpiresIn) * time.Second, nil
}

// ServiceAccount is a Google service account with domain-wide delegation:
// a signed JWT (RS256) exchanged for an access token acting as Subject.
type ServiceAccount struct {
	ClientEmail string
	PrivateKey  *rsa.PrivateKey
	TokenURL    string
	Subject     string
	Scopes      []string
	HTTP        *http.Client
	src         tokenSource
	// pem is the private key as the key file holds it; red is the run's
	// Redactor, to which each signed assertion and token is added.
	pem string
	red *effect.Redactor
}

// register adds the private key — its PEM, its base64 body whole and
// line by line — and keeps r for the assertions and tokens to come.
func (a *ServiceAccount) register(r *effect.Redactor) {
	a.red = r
	if a.pem == "" {
		return
	}
	r.Add(a.pem, strings.TrimSpace(a.pem))
	var body []string
	for _, l := range strings.Split(a.pem, "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "-----") {
			body = append(body, l)
		}
	}
	r.Add(body...)
	r.Add(strings.Join(body, ""))
}

// googleScopes are what the google connector needs by default.
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
	tok, err := a.src.get(ctx, a.fetch)
	if err != nil {
		return err
	}
	r.Header.Set("Authorization", "Bearer "+tok)
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
	enc := base64.RawURLEncoding
	h, _ := json.Marshal(map[string]string{"alg": "RS256", "typ": "JWT"})
	c, _ := json.Marshal(claims)
	signing := enc.EncodeToString(h) + "." + enc.EncodeToString(c)
	sum := sha256.Sum256([]byte(signing))
	sig, err := rsa.SignPKCS1v15(rand.Reader, a.PrivateKey, crypto.SHA256, sum[:])
	if err != nil {
		return "", err
	}
	return signing + "." + enc.EncodeToString(sig), nil
}

func (a *ServiceAccount) fetch(ctx context.Context) (string, time.Duration, error) {
	jwt, err := a.Assertion(time.Now())
	if err != nil {
		return "", 0, &effect.Error{Code: "unauthorized", Message: "signing the service-account assertion: " + err.Error()}
	}
	// The assertion is a credential for its hour: a secret before it is sent.
	a.red.Add(jwt)
	form := url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:jwt-bearer"}, "assertion": {jwt}}
	req, err := http.NewRequestWithContext(ctx, "POST", a.TokenURL, strings.NewReader(form.Encode()))
	if err != nil {
		return "", 0, &effect.Error{Code: "unauthorized", Message: err.Error()}
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return tokenResponse(a.HTTP, req, a.red)
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
		sec, err := get("clientSecret")
		if err != nil {
			return nil, err
		}
		var scopes []string
		if s := source.Get(n, "scopes"); s != nil {
			scopes = strings_(s)
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
