package compile

import (
	"net"
	"net/url"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/jml-dev/jml/pkg/ast"
	"github.com/jml-dev/jml/pkg/source"
)

// checkInsecure reports (check insecure-credentials) a connector that
// would send credentials over plain http:// — to its baseURL, its Slack
// webAPIURL, its Gmail gmailURL or its OAuth tokenURL — without allowInsecure: true, which the
// real connectors refuse when apply builds them (pkg/connector
// checkInsecure); and, as a warning, allowInsecure: true on a baseURL that
// is not on loopback, where credentials would cross a network in clear
// text.
func (c *compiler) checkInsecure(con ast.Connector) {
	f := c.cfg.File
	creds := hasCredentials(source.Get(con.Node, "auth")) || hasCredentials(source.Get(con.Node, "webAPIAuth"))
	urls := []*yaml.Node{source.Get(con.Node, "baseURL"), source.Get(con.Node, "webAPIURL"), source.Get(con.Node, "gmailURL"), source.Get(con.Node, "licensingURL"),
		source.Get(source.Get(con.Node, "auth"), "tokenURL"), source.Get(source.Get(con.Node, "webAPIAuth"), "tokenURL")}
	for i, n := range urls {
		u := plainHTTP(n)
		if u == nil || (i < 4 && !creds) {
			continue
		}
		if !con.AllowInsecure {
			c.ds.Errorf(f.Range(source.Resolve(n)), "insecure-credentials", "connector %q: %s is plain http://, which would send the credentials in the clear; use https://, or set allowInsecure: true for a test server on loopback", con.Name.Value, u.Redacted())
			continue
		}
		if !loopback(u.Hostname()) {
			c.ds.Warnf(f.Range(source.Resolve(n)), "insecure-credentials", "connector %q: allowInsecure: true sends the credentials in the clear to %s, which is not on loopback", con.Name.Value, u.Host)
		}
	}
}

// hasCredentials reports whether an auth: node sends any.
func hasCredentials(auth *yaml.Node) bool {
	if auth == nil {
		return false
	}
	t := source.Resolve(source.Get(auth, "type"))
	return t == nil || (t.Value != "none" && t.Value != "")
}

// plainHTTP returns the URL of a scalar node when it is http://.
func plainHTTP(n *yaml.Node) *url.URL {
	n = source.Resolve(n)
	if n == nil || n.Kind != yaml.ScalarNode {
		return nil
	}
	u, err := url.Parse(n.Value)
	if err != nil || !strings.EqualFold(u.Scheme, "http") {
		return nil
	}
	return u
}

// loopback reports whether host is this machine, as the connectors
// decide it: localhost, 127.0.0.0/8 or ::1.
func loopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
