package compile

import (
	"fmt"
	"strings"
	"testing"

	"github.com/jml-dev/jml/pkg/ast"
	"github.com/jml-dev/jml/pkg/catalog"
	"github.com/jml-dev/jml/pkg/diag"
	"github.com/jml-dev/jml/pkg/source"
)

// TestRetryNonIdempotentFollowsTheCatalogue retries every write of the
// catalogue: retry-non-idempotent warns for exactly the writes the
// catalogue says may repeat (neither idempotent nor deduplicated).
func TestRetryNonIdempotentFollowsTheCatalogue(t *testing.T) {
	for _, c := range catalog.All() {
		for _, a := range c.Actions {
			if a.Effect == catalog.Read {
				continue
			}
			name := c.Type + "." + a.Name
			t.Run(name, func(t *testing.T) {
				var with []string
				for _, in := range a.Inputs {
					if in.Required {
						with = append(with, in.Name+": "+sample(in.Name, in.Type))
					}
				}
				src := flowHead + "name: f\ntrigger: {event: user.lifecycle.create}\nsteps:\n" +
					"  - action: " + name + "\n" +
					"    with: {" + strings.Join(with, ", ") + "}\n" +
					"    retry: {attempts: 3, interval: 1s}\n"
				var got []string
				for _, w := range warnings(t, compileAllTypes(t, src)) {
					if strings.HasPrefix(w, "retry-non-idempotent@") {
						got = append(got, w)
					}
				}
				if want := a.MayRepeat(); (len(got) > 0) != want {
					t.Fatalf("retry-non-idempotent warnings %v, want a warning: %v (idempotent %v, dedupe %q)", got, want, a.Idempotent, a.Dedupe)
				}
			})
		}
	}
}

// sample is a literal of the type for a required input.
func sample(name string, typ catalog.Type) string {
	switch {
	case name == "method":
		return "POST"
	case typ == catalog.Number:
		return "1"
	case typ == catalog.Boolean:
		return "true"
	case typ == catalog.Object:
		return "{}"
	case typ == catalog.List:
		return "[]"
	}
	return "x"
}

func TestRetryNonIdempotentReadsALiteralMethod(t *testing.T) {
	src := flowHead + `name: f
trigger: {event: user.lifecycle.create}
steps:
  - action: http.request
    with: {method: get, path: /users}
    retry: {attempts: 3, interval: 1s}
  - action: http.request
    with: {method: POST, path: /users}
    retry: {attempts: 3, interval: 1s}
  - action: http.request
    with: {method: "${{ user.id == '' ? 'GET' : 'PUT' }}", path: /users}
    retry: {attempts: 3, interval: 1s}
  - action: slack.postMessage
    with: {channel: "#it", text: hi}
    retry: {attempts: 3, interval: 1s}
  - action: servicenow.createRecord
    with: {table: sc_task, fields: {}}
    retry: {attempts: 3, interval: 1s}
`
	ds := compileAllTypes(t, src)
	got := warnings(t, ds)
	want := "retry-non-idempotent@f.yaml:11 retry-non-idempotent@f.yaml:14 retry-non-idempotent@f.yaml:17"
	if strings.Join(got, " ") != want {
		t.Fatalf("warnings\n got %v\nwant %v", got, want)
	}
	for _, d := range ds {
		if d.Range.Start.Line == 17 && (!strings.Contains(d.Message, "slack.postMessage is a write that is not idempotent and jml cannot deduplicate it") ||
			!strings.Contains(d.Message, "a second, identical message")) {
			t.Errorf("message %q", d.Message)
		}
	}
}

// compileAllTypes compiles one flow (flows/f.yaml) against a jml.yaml with
// an instance of every connector type, named after its type.
func compileAllTypes(t *testing.T, src string) diag.Diagnostics {
	t.Helper()
	var cfg strings.Builder
	cfg.WriteString("apiVersion: jml/v1\nkind: Config\nconnectors:\n")
	for _, typ := range catalog.Types() {
		if typ == "table" { // the table the samples name (sample)
			fmt.Fprintf(&cfg, "  table: {type: table, tables: {x: {columns: {c: string}}}}\n")
			continue
		}
		fmt.Fprintf(&cfg, "  %s: {type: %s}\n", typ, typ)
	}
	cf, ds := source.Parse("jml.yaml", []byte(cfg.String()))
	if ds.HasErrors() {
		t.Fatal(ds)
	}
	f, ds := source.Parse("flows/f.yaml", []byte(src))
	if ds.HasErrors() {
		t.Fatal(ds)
	}
	_, ds = compileChecked(t, ast.DecodeConfig(cf), []*ast.Flow{ast.DecodeFlow(f)})
	return ds
}
