package compile

import (
	"strings"
	"testing"

	"github.com/jml-dev/jml/pkg/source"
)

func TestFlowSecrets(t *testing.T) {
	tests := []struct {
		name string
		body string // the flow after its header
		want []string
	}{
		{
			name: "an http header with a bearer token",
			body: `steps:
  - action: hr.request
    with:
      method: GET
      path: /people
      headers: {Authorization: "Bearer abcdef0123456789abcdef"}
`,
			want: []string{`f.yaml:10:33: an authorization header value ("Bearer ***") in a flow`},
		},
		{
			name: "a token in a var, a halt text and a return",
			body: `vars:
  hook: '"https://hooks.example.com/?t=xoxb-2048-0123456789-abcdefABCDEF"'
steps:
  - if: user == null
    then:
      - halt: "stop: ghp_0123456789abcdefABCDEF0123456789abcd"
  - action: okta.getUser
    with: {userId: "${{ user.id }}"}
`,
			want: []string{
				`f.yaml:6:40: a Slack token ("xoxb-***") in a flow`,
				`f.yaml:10:22: a GitHub token ("ghp_***") in a flow`,
			},
		},
		{
			name: "a password under a credential-named key",
			body: `steps:
  - action: hr.request
    with: {method: POST, path: /x, body: {user: jml, password: hunter22}}
`,
			want: []string{`f.yaml:7:64: a literal password ("***") in a flow`},
		},
		{
			name: "expressions and CEL under credential-named keys are not literals",
			body: `vars:
  token: steps.auth.output.token
steps:
  - assign: {secret: 'vars.token + "x"'}
  - action: hr.request
    with: {method: POST, path: /x, headers: {Authorization: "Bearer ${{ vars.token }}"}, body: {password: "${{ vars.secret }}"}}
`,
		},
		{
			name: "placeholders in a description",
			body: `description: Calls the HR API with Authorization Bearer <token>; Basic information only.
steps:
  - action: okta.getUser
    with: {userId: "${{ user.id }}"}
`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := flowHead + "name: f\ntrigger: {event: user.lifecycle.create}\n" + tt.body
			f, ds := source.Parse("f.yaml", []byte(src))
			if ds.HasErrors() {
				t.Fatal(ds)
			}
			var got []string
			for _, d := range FlowSecrets(f) {
				if d.Code != "literal-secret" || strings.Contains(d.Message, "abcdef0123") || strings.Contains(d.Message, "hunter22") {
					t.Errorf("bad diagnostic %v", d)
				}
				msg, _, _ := strings.Cut(d.Message, ": secrets never")
				got = append(got, d.Range.String()+": "+msg)
			}
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Fatalf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}
