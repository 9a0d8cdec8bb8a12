package compile

import (
	"regexp"
	"sort"
	"strings"

	"github.com/jml-dev/jml/pkg/ast"
	"github.com/jml-dev/jml/pkg/catalog"
)

var (
	// accountIDFromRE is the one form accountIdFrom takes: an attribute of
	// the user's Okta profile, whose variable names are letters, digits and
	// underscores.
	accountIDFromRE = regexp.MustCompile(`^user\.profile\.[A-Za-z_][A-Za-z0-9_]*$`)
	// identRE finds the names in a malformed value, for a did-you-mean.
	identRE = regexp.MustCompile(`[A-Za-z_][A-Za-z0-9_]*`)
)

// checkAccountIDFrom reports (check account-id-from) an accountIdFrom that
// jml verify could not use: not written user.profile.NAME, or on an
// instance of a type that holds no accounts jml verify reads (the
// catalogue's Account of the type; its test holds the types with a
// deprovision action to having one), or on Okta, where the attribute is
// read from.
func (c *compiler) checkAccountIDFrom(con ast.Connector) {
	from := con.AccountIDFrom
	if from.IsZero() {
		return
	}
	if !accountIDFromRE.MatchString(from.Value) {
		msg := "connector %q: accountIdFrom must name an attribute of the user's Okta profile as user.profile.NAME (e.g. user.profile.githubUsername), not %q"
		args := []any{con.Name.Value, from.Value}
		// The attribute meant is most likely the last name written:
		// githubUsername, ${{ user.profile.githubUsername }}.
		if names := identRE.FindAllString(from.Value, -1); len(names) > 0 {
			msg += "; did you mean %q?"
			args = append(args, "user.profile."+names[len(names)-1])
		}
		c.ds.Errorf(from.Range, "account-id-from", msg, args...)
		return
	}
	typ := con.Type.Value
	if typ == "okta" {
		c.ds.Errorf(from.Range, "account-id-from", "connector %q: accountIdFrom does not apply to an okta instance: Okta is where jml verify reads the attribute from", con.Name.Value)
		return
	}
	types := accountTypes()
	for _, t := range types {
		if t == typ {
			return
		}
	}
	c.ds.Errorf(from.Range, "account-id-from", "connector %q: accountIdFrom on a %s instance, which holds no user account jml verify reads; it applies to %s instances", con.Name.Value, typ, strings.Join(types, ", "))
}

// accountTypes are the connector types accountIdFrom applies to: those
// whose accounts jml verify reads (catalog.Account) but okta, sorted.
func accountTypes() []string {
	var out []string
	for _, con := range catalog.All() {
		if con.Type != "okta" && con.Account != nil {
			out = append(out, con.Type)
		}
	}
	sort.Strings(out)
	return out
}
