package connector

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// Where credentials may go. An instance's credentials go to the scheme,
// host and port of its baseURL (the http connector: or an allowedHosts
// entry, same scheme), over TLS unless jml.yaml says allowInsecure: true;
// never to another origin by a redirect.

// pinRedirects returns a copy of c (sharing its transport and connection
// pool) that follows a redirect only within the origin — scheme, host and
// port — of the request that started the chain. A redirect to another
// origin is not followed: the 3xx answer is returned as it is (an error for
// the vendor connectors; status and Location for an http request). Go's
// client drops Authorization only when the host changes, not when the
// scheme or port does: an https → http redirect on the same host would
// send the credentials in the clear.
func pinRedirects(c *http.Client) *http.Client {
	if c == nil {
		c = http.DefaultClient
	}
	cp := *c
	next := c.CheckRedirect
	cp.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if len(via) > 0 && !sameOrigin(req.URL, via[0].URL) {
			return http.ErrUseLastResponse
		}
		if next != nil {
			return next(req, via)
		}
		if len(via) >= 10 {
			return errors.New("stopped after 10 redirects")
		}
		return nil
	}
	return &cp
}

// sameOrigin reports whether a and b have the same scheme, host and port
// (a default port written or not is the same port).
func sameOrigin(a, b *url.URL) bool {
	return strings.EqualFold(a.Scheme, b.Scheme) && strings.EqualFold(a.Hostname(), b.Hostname()) && portOf(a) == portOf(b)
}

// portOf returns u's port, or its scheme's default.
func portOf(u *url.URL) string {
	if p := u.Port(); p != "" {
		return p
	}
	switch strings.ToLower(u.Scheme) {
	case "http":
		return "80"
	case "https":
		return "443"
	}
	return ""
}

// checkSandboxURL refuses a --sandbox URL that is not https or plain http
// to a loopback host (isLoopback, as email allows plain SMTP): `jml sandbox` listens on loopback, and what apply
// sends it (the flows' data, a bearer token) must not cross a network in
// the clear.
func checkSandboxURL(raw string) error {
	if raw == "" {
		return nil
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return fmt.Errorf("--sandbox %q is not a URL (http://127.0.0.1:PORT)", raw)
	}
	switch strings.ToLower(u.Scheme) {
	case "https":
		return nil
	case "http":
		if isLoopback(u.Hostname()) {
			return nil
		}
		return fmt.Errorf("--sandbox %s: plain http:// only to a loopback host (127.0.0.1, [::1], localhost), where jml sandbox listens; use https:// for any other", redactURL(*u))
	}
	return fmt.Errorf("--sandbox %s: not an http(s) URL", redactURL(*u))
}

// allowInsecure reports whether jml.yaml sets allowInsecure: true.
func allowInsecure(inst *Instance) bool {
	b, _ := strconv.ParseBool(inst.Settings["allowInsecure"])
	return b
}

// hasCredentials reports whether a sends any.
func hasCredentials(a Authorizer) bool {
	switch a.(type) {
	case nil, None, *None:
		return false
	}
	return true
}

// checkInsecure refuses an instance that would send credentials over plain
// http:// — to its baseURL, the Slack Web API or Gmail API root, or a token endpoint —
// unless it sets allowInsecure: true (a test server on loopback). The
// error names the URL's key, never a secret.
func checkInsecure(inst *Instance) error {
	if allowInsecure(inst) {
		return nil
	}
	plain := func(raw string) bool {
		u, err := url.Parse(raw)
		return err == nil && strings.EqualFold(u.Scheme, "http")
	}
	refuse := func(what, raw string) error {
		u, _ := url.Parse(raw)
		return fmt.Errorf("%s %s is plain http://, which would send the credentials in the clear: use https://, or set allowInsecure: true (meant for a test server on loopback)", what, redactURL(*u))
	}
	creds := hasCredentials(inst.Auth) || hasCredentials(inst.WebAPIAuth)
	if creds && inst.BaseURL != nil && strings.EqualFold(inst.BaseURL.Scheme, "http") {
		return refuse("baseURL", inst.BaseURL.String())
	}
	if w := inst.Settings["webAPIURL"]; creds && plain(w) {
		return refuse("webAPIURL", w)
	}
	for _, k := range []string{"gmailURL", "licensingURL"} {
		if g := inst.Settings[k]; creds && plain(g) {
			return refuse(k, g)
		}
	}
	for _, a := range []Authorizer{inst.Auth, inst.WebAPIAuth} {
		tokenURL := ""
		switch x := a.(type) {
		case *OAuth2:
			tokenURL = x.TokenURL
		case *ServiceAccount:
			tokenURL = x.TokenURL
		case *PrivateKeyJWT:
			tokenURL = x.TokenURL
		}
		if plain(tokenURL) {
			return refuse("the token URL", tokenURL)
		}
	}
	return nil
}
