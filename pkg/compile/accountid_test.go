package compile

import (
	"strings"
	"testing"

	"github.com/jml-dev/jml/pkg/ast"
	"github.com/jml-dev/jml/pkg/source"
)

func TestAccountIDFrom(t *testing.T) {
	tests := []struct {
		name, typ, from string
		want            string // a part of the message; "" for no diagnostic
	}{
		{"github username", "github", "user.profile.githubUsername", ""},
		{"activedirectory", "activedirectory", "user.profile.samAccountName", ""},
		{"salesforce override", "salesforce", "user.profile.sf_username", ""},
		{"bare attribute", "github", "githubUsername", `not "githubUsername"; did you mean "user.profile.githubUsername"?`},
		{"a template", "github", "${{ user.profile.githubUsername }}", `did you mean "user.profile.githubUsername"?`},
		{"another object", "github", "app.profile.githubUsername", `did you mean "user.profile.githubUsername"?`},
		{"nested", "github", "user.profile.github.username", `did you mean "user.profile.username"?`},
		{"empty", "github", "", `not ""`},
		{"no name at all", "github", "--", `not "--"`},
		{"on okta", "okta", "user.profile.githubUsername", "does not apply to an okta instance: Okta is where jml verify reads the attribute from"},
		{"no accounts", "servicenow", "user.profile.x", "a servicenow instance, which holds no user account jml verify reads; it applies to activedirectory, github, google, microsoft, salesforce, slack instances"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := "apiVersion: jml/v1\nkind: Config\nconnectors:\n  app:\n    type: " + tt.typ + "\n    accountIdFrom: '" + tt.from + "'\n"
			f, ds := source.Parse("jml.yaml", []byte(src))
			if ds.HasErrors() {
				t.Fatal(ds)
			}
			_, ds = Compile(ast.DecodeConfig(f), nil)
			if tt.want == "" {
				if len(ds) > 0 {
					t.Errorf("diagnostics: %v", ds)
				}
				return
			}
			if len(ds) != 1 || ds[0].Code != "account-id-from" || !strings.Contains(ds[0].Message, tt.want) {
				t.Fatalf("diagnostics %v, want one [account-id-from] saying %q", ds, tt.want)
			}
			// At the value: line 6, after "    accountIdFrom: ".
			if r := ds[0].Range; r.Start.Line != 6 || r.Start.Column != 20 {
				t.Errorf("at %+v, want 6:20", r.Start)
			}
		})
	}
}
