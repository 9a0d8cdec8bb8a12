package compile

import (
	"github.com/jml-dev/jml/pkg/diag"
	"github.com/jml-dev/jml/pkg/source"
)

// exprKeys are the flow keys whose values are bare CEL (or mappings of
// bare CEL): `vars: {token: steps.auth.output.token}` reads a value, it
// does not write one.
var exprKeys = map[string]bool{"when": true, "if": true, "switch": true, "forEach": true, "continueIf": true, "vars": true, "assign": true}

// FlowSecrets reports the literal secrets of a flow file (check
// literal-secret): a credential-shaped value (`Bearer …`, `xoxb-…`, a
// private key…) in any string, or a literal under a credential-named key
// (password, token, apiKey, Authorization…). Secrets live only in jml.yaml,
// as references (SPEC §2); a flow is committed, planned and printed. The
// message and the snippet (view) never show the value.
func FlowSecrets(f *source.File) diag.Diagnostics {
	var ds diag.Diagnostics
	if f == nil || f.Root == nil {
		return ds
	}
	for _, s := range f.FindSecrets(f.Root, source.SecretOptions{Keys: true, ExprKeys: exprKeys}) {
		ds.Errorf(s.Range, "literal-secret", "%s in a flow: secrets never go in flows, which are committed, planned and printed; a connector's credential belongs under its auth: in jml.yaml, as {env: NAME} or {file: PATH}", s.What)
	}
	return ds
}
