package compile

import (
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/jml-dev/jml/pkg/catalog"
	"github.com/jml-dev/jml/pkg/source"
)

// checkScopes reports (check missing-scope, a warning) an instance whose
// auth lists scopes: explicitly when an action the flows use there needs
// one the list lacks — the vendor would refuse the call with a 403 (Google
// users.signOut needs admin.directory.user.security, which the usual
// admin.directory.user does not give). The warning names every scope the
// flows need, what auth.scopes should hold. An instance without scopes:
// requests exactly those (catalog.ScopesFor), so it is never warned.
func (c *compiler) checkScopes() {
	if c.cfg == nil {
		return
	}
	sums := make([]*Summary, len(c.names))
	for i, name := range c.names {
		sums[i] = c.sums[name]
	}
	used := usedActions(sums)
	for _, con := range c.cfg.Connectors {
		typ := con.Type.Value
		auth := source.Get(con.Node, "auth")
		given := source.Resolve(source.Get(auth, "scopes"))
		if !catalog.RequestsScopes(typ) || given == nil {
			continue
		}
		granted := scalars(given)
		cat, ok := c.connector(typ)
		if !ok {
			continue
		}
		need := catalog.ScopesFor(typ, used[con.Name.Value])
		for _, a := range used[con.Name.Value] {
			act, ok := cat.Action(a)
			if !ok {
				continue
			}
			for _, s := range act.Scopes {
				if !coveredBy(granted, s) {
					c.ds.Warnf(c.cfg.File.Range(given), "missing-scope", "connector %q: the flows call %s.%s, which needs the scope %s; auth.scopes does not grant it, so %s would refuse the call (403); the flows need: %s",
						con.Name.Value, con.Name.Value, a, s, catalog.Vendor(typ), strings.Join(need, ", "))
				}
			}
		}
	}
}

func coveredBy(granted []string, need string) bool {
	for _, g := range granted {
		if catalog.Covers(g, need) {
			return true
		}
	}
	return false
}

// scalars are the values of a sequence node's scalar items.
func scalars(n *yaml.Node) []string {
	var out []string
	for _, e := range n.Content {
		if e = source.Resolve(e); e != nil && e.Kind == yaml.ScalarNode {
			out = append(out, e.Value)
		}
	}
	return out
}
