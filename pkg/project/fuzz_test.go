package project

import (
	"testing"

	"github.com/jml-dev/jml/pkg/source"
)

const fuzzConfig = `apiVersion: jml/v1
kind: Config
connectors:
  okta: {type: okta, auth: {type: ssws, token: {env: T}}}
  slack: {type: slack, auth: {type: bearer, token: {env: S}}}
  itsm: {type: servicenow, auth: {type: basic, username: u, password: {env: P}}}
`

// FuzzValidate runs the whole front end (parse, schema, decode, compile)
// on one arbitrary flow file beside a fixed config and helper: whatever the
// input, it must return diagnostics, never panic.
func FuzzValidate(f *testing.F) {
	seeds := []string{
		"apiVersion: jml/v1\nkind: Flow\nname: a\ntrigger: {event: user.lifecycle.deactivate}\nsteps:\n  - action: slack.deactivateUser\n    with: {email: \"${{ user.alternateId }}\"}\n",
		"apiVersion: jml/v1\nkind: Flow\nname: b\ntrigger: {helper: {}}\ninputs: {x: {type: string}}\nsteps:\n  - if: inputs.x == \"a\"\n    then: [{return: {y: 1}}]\n    else: [{call: b}]\n",
		"apiVersion: jml/v1\nkind: Flow\nname: c\ntrigger: {schedule: {cron: '0 2 * * *'}}\nvars: {a: '[1,2]'}\nsteps:\n  - forEach: vars.a\n    do: [{assign: {b: item_index}}]\n  - try: [{action: okta.getUser, with: {userId: x}}]\n    catch: [{halt: \"${{ error.message }}\"}]\n",
		"apiVersion: jml/v1\nkind: Flow\nname: d\ntrigger: {event: user.*}\nsteps:\n  - switch: user.id\n    cases: {a: [{continueIf: false}]}\n    default: [{halt: {m: \"${{ steps.x.output }}\"}}]\n",
		"a: &a [*a]\n",
		"{",
		"- 1\n",
	}
	for _, s := range seeds {
		f.Add(s)
	}
	cfg, _ := source.Parse("jml.yaml", []byte(fuzzConfig))
	helper, _ := source.Parse("flows/h.yaml", []byte("apiVersion: jml/v1\nkind: Flow\nname: h\ntrigger: {helper: {}}\ninputs: {login: {type: string, required: true}}\noutputs: {n: {type: string}}\nsteps:\n  - return: {n: x}\n"))
	f.Fuzz(func(t *testing.T, src string) {
		file, ds := source.Parse("flows/f.yaml", []byte(src))
		if file.Root == nil && !ds.HasErrors() {
			t.Fatalf("no document and no error for %q", src)
		}
		_, _, _, bds := Build(cfg, []*source.File{helper, file})
		for _, d := range bds {
			if d.Code == "internal" {
				t.Fatalf("internal error: %v", d)
			}
		}
	})
}
