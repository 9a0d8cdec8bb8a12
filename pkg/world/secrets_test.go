package world

import (
	"strings"
	"testing"

	"github.com/jml-dev/jml/pkg/source"
)

// TestLoadLiteralSecrets: a credential in a world file or an inline world
// is a literal-secret error at its position, masked; made-up values and
// fields named like credentials pass.
func TestLoadLiteralSecrets(t *testing.T) {
	src := `apiVersion: jml/v1
kind: World
slack:
  users:
    - {email: jane@acme.com, displayName: "xoxb-2048-0123456789-abcdefABCDEF"}
hr:
  responses:
    - {method: POST, path: /token, status: 200, body: {access_token: test-token, password: hunter22}}
`
	f, ds := source.Parse("w.yaml", []byte(src))
	if ds.HasErrors() {
		t.Fatal(ds)
	}
	spec, ds := Load(f)
	if spec != nil || len(ds) != 1 {
		t.Fatalf("want one error and no spec, got %v", ds)
	}
	d := ds[0]
	if d.Code != "literal-secret" || d.Range.String() != "w.yaml:5:44" || !strings.HasPrefix(d.Message, `a Slack token ("xoxb-***") in a world file`) || strings.Contains(d.Message, "0123456789") {
		t.Errorf("got %v", d)
	}

	test, ds := source.Parse("t.yaml", []byte("world:\n  slack:\n    users: [{email: a@acme.com, displayName: 'SSWS 00abcDEF1234567890xyz'}]\n"))
	if ds.HasErrors() {
		t.Fatal(ds)
	}
	_, ds = DecodeNode(test, source.Get(test.Root, "world"))
	if len(ds) != 1 || ds[0].Code != "literal-secret" || ds[0].Range.String() != "t.yaml:3:47" {
		t.Fatalf("inline world: got %v", ds)
	}
}
