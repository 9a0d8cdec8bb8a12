package compile

import (
	"reflect"
	"strings"
	"testing"

	"github.com/jml-dev/jml/pkg/ast"
	"github.com/jml-dev/jml/pkg/source"
)

const scopeFlow = `apiVersion: jml/v1
kind: Flow
name: leaver
trigger: {event: user.lifecycle.deactivate}
steps:
  - action: okta.clearUserSessions
    with: {userId: "${{ user.id }}"}
  - action: gws.signOutUser
    with: {userKey: "${{ user.alternateId }}"}
  - action: gws.suspendUser
    with: {userKey: "${{ user.alternateId }}"}
  - action: okta.getUser
    with: {userId: "${{ user.id }}"}
  - action: ms.revokeSignInSessions
    with: {userId: "${{ user.id }}"}
`

// TestScopes: each google and okta instance needs the scopes of the
// actions the flows call there (a scope another covers left out); one that
// lists scopes: missing one is warned (missing-scope) at its scopes:,
// naming the action, the scope and every scope the flows need; microsoft
// requests none.
func TestScopes(t *testing.T) {
	const g = "https://www.googleapis.com/auth/"
	cases := []struct {
		name, gws, okta string
		warnings        []string
	}{
		{name: "derived: no scopes given", gws: "{type: serviceAccount, credentials: {file: sa.json}}", okta: "{type: oauth2, clientID: c, privateKey: {file: k.pem}}"},
		{name: "given and sufficient (a broader scope covers a read)", gws: "{type: serviceAccount, credentials: {file: sa.json}, scopes: [" + g + "admin.directory.user, " + g + "admin.directory.user.security]}",
			okta: "{type: oauth2, clientID: c, privateKey: {file: k.pem}, scopes: [okta.users.manage]}"},
		{name: "the usual Google scopes lack signOut's", gws: "{type: serviceAccount, credentials: {file: sa.json}, scopes: [" + g + "admin.directory.user]}",
			okta: "{type: oauth2, clientID: c, privateKey: {file: k.pem}, scopes: [okta.users.read]}",
			warnings: []string{
				`jml.yaml:4:90: connector "gws": the flows call gws.signOutUser, which needs the scope ` + g + `admin.directory.user.security; auth.scopes does not grant it, so Google would refuse the call (403); the flows need: ` + g + `admin.directory.user, ` + g + `admin.directory.user.security`,
				`jml.yaml:5:123: connector "okta": the flows call okta.clearUserSessions, which needs the scope okta.users.manage; auth.scopes does not grant it, so Okta would refuse the call (403); the flows need: okta.users.manage`,
			}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := "apiVersion: jml/v1\nkind: Config\nconnectors:\n  gws: {type: google, auth: " + c.gws + "}\n  okta: {type: okta, baseURL: https://acme.okta.com, auth: " + c.okta + "}\n  ms: {type: microsoft, auth: {type: oauth2, tokenURL: https://login.microsoftonline.com/t/oauth2/v2.0/token, clientID: c, clientSecret: {env: S}}}\n"
			cf, ds := source.Parse("jml.yaml", []byte(cfg))
			if ds.HasErrors() {
				t.Fatal(ds)
			}
			ff, _ := source.Parse("flows/leaver.yaml", []byte(scopeFlow))
			gr, ds := compileChecked(t, ast.DecodeConfig(cf), []*ast.Flow{ast.DecodeFlow(ff)})
			var got []string
			for _, d := range ds {
				if d.Code != "missing-scope" {
					t.Errorf("unexpected %v", d)
					continue
				}
				got = append(got, d.Range.String()+": "+d.Message)
			}
			if strings.Join(got, "\n") != strings.Join(c.warnings, "\n") {
				t.Errorf("warnings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(c.warnings, "\n"))
			}
			want := map[string][]string{
				"gws":  {g + "admin.directory.user", g + "admin.directory.user.security"},
				"okta": {"okta.users.manage"},
			}
			if s := gr.Scopes(); !reflect.DeepEqual(s, want) {
				t.Errorf("Scopes() = %v, want %v", s, want)
			}
		})
	}
}
