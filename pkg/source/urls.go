package source

import (
	"net/url"
	"strings"
)

// A URL carries a password in two places: its userinfo
// (postgres://jml:PASSWORD@db/jml) and, for PostgreSQL and others, its
// query (postgres://jml@db/jml?password=PASSWORD, ?sslpassword=…). Both are
// found, and masked, here: validate flags a literal one in jml.yaml
// (baseURL, history) and every message that names a URL masks it.

// URLPassword reports whether raw holds a password in its userinfo or
// in a query parameter that names a credential.
func URLPassword(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil {
		return RedactURL(raw) != raw
	}
	if p, ok := u.User.Password(); ok && p != "" {
		return true
	}
	return maskQuery(u.RawQuery) != u.RawQuery
}

// RedactURL returns raw with its passwords replaced by ***: the password
// of its userinfo and the value of every query parameter that names a
// credential (password, sslpassword, token, secret…). A URL that does not
// parse (a bad port, an unescaped character) is masked by its shape, so
// that an error about a malformed URL does not print the password in it.
func RedactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return redactShape(raw)
	}
	out := u.String()
	if _, ok := u.User.Password(); ok {
		u.User = url.User(u.User.Username())
		// The username is escaped in String, so the first @ ends it.
		out = strings.Replace(u.String(), "@", ":***@", 1)
	}
	if q := maskQuery(u.RawQuery); q != u.RawQuery {
		i := strings.LastIndex(out, "?"+u.RawQuery)
		if i >= 0 {
			out = out[:i+1] + q + out[i+1+len(u.RawQuery):]
		}
	}
	return out
}

// maskQuery replaces the values of a raw query's credential parameters
// with ***.
func maskQuery(q string) string {
	if q == "" {
		return q
	}
	parts := strings.Split(q, "&")
	changed := false
	for i, p := range parts {
		k, v, ok := strings.Cut(p, "=")
		if !ok || v == "" || v == "***" {
			continue
		}
		name, err := url.QueryUnescape(k)
		if err != nil {
			name = k
		}
		if secretParam(name) {
			parts[i] = k + "=***"
			changed = true
		}
	}
	if !changed {
		return q
	}
	return strings.Join(parts, "&")
}

// secretParam reports whether a query parameter names a credential:
// password, sslpassword, token, secret, apiKey, …
func secretParam(name string) bool {
	l := strings.ToLower(name)
	return IsCredentialKey(name) || strings.Contains(l, "password") || strings.Contains(l, "passwd") ||
		strings.Contains(l, "secret") || strings.Contains(l, "token")
}

// redactShape masks a URL that does not parse: whatever sits between
// the first colon after the scheme's // and the last @ before the query
// (a password, or more than a password: this errs on the side of hiding),
// and the credential parameters of the query.
func redactShape(raw string) string {
	rest, frag, _ := strings.Cut(raw, "#")
	head, query, hasQuery := strings.Cut(rest, "?")
	if i := strings.Index(head, "://"); i >= 0 {
		auth := head[i+3:]
		if at := strings.LastIndexByte(auth, '@'); at >= 0 {
			if c := strings.IndexByte(auth[:at], ':'); c >= 0 {
				head = head[:i+3] + auth[:c+1] + "***" + auth[at:]
			}
		}
	}
	out := head
	if hasQuery {
		out += "?" + maskQuery(query)
	}
	if frag != "" || strings.Contains(raw, "#") {
		out += "#" + frag
	}
	return out
}
