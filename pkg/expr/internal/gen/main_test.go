package main

import (
	"bytes"
	"os"
	"strings"
	"testing"
)

// TestTableMatchesDescription fails when the committed logtypes.go is not
// what gen writes from the committed Okta description.
func TestTableMatchesDescription(t *testing.T) {
	spec, err := os.ReadFile("../../../../testdata/vendor-specs/okta-management.json")
	if err != nil {
		t.Fatal(err)
	}
	want, err := Generate(spec)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("../../logtypes.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("pkg/expr/logtypes.go differs from what testdata/vendor-specs/okta-management.json gives: run go generate ./pkg/expr")
	}
}

const minimal = `{"info": {"title": "T", "version": "1"}, "components": {"schemas": {
	"LogEvent": {"type": "object", "properties": {
		"uuid": {"type": "string"},
		"severity": {"$ref": "#/components/schemas/Sev"},
		"n": {"type": "integer"}, "x": {"type": "number"}, "b": {"type": "boolean"},
		"free": {"type": "object", "additionalProperties": true},
		"target": {"type": "array", "items": {"$ref": "#/components/schemas/LogTarget"}},
		"tags": {"type": "array", "items": {"type": "string"}},
		"inline": {"type": "object", "properties": {"a": {"type": "string"}}}}},
	"LogTarget": {"type": "object", "properties": {"id": {"type": "string"}, "parent": {"$ref": "#/components/schemas/LogTarget"}}},
	"LogClient": {"type": "object", "properties": {"id": {"type": "string"}}},
	"Sev": {"type": "string", "enum": ["INFO"]}}}}`

func TestGenerate(t *testing.T) {
	// LogClient, which a seen field is of, is not reached from LogEvent.
	if _, err := Generate([]byte(minimal)); err == nil || !strings.Contains(err.Error(), "has no LogClient") {
		t.Fatalf("Generate = %v; want an error about LogClient, absent", err)
	}
	spec := strings.Replace(minimal, `"uuid": {"type": "string"},`, `"uuid": {"type": "string"}, "client": {"$ref": "#/components/schemas/LogClient"},`, 1)
	spec = strings.Replace(spec, `"LogClient": {"type": "object", "properties": {"id": {"type": "string"}}}`,
		`"LogClient": {"type": "object", "properties": {"id": {"type": "string"}}}, "LogIpAddress": {"type": "object", "properties": {"ip": {"type": "string"}}}`, 1)
	src, err := Generate([]byte(spec))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`// From T 1, components.schemas.LogEvent.`,
		`{"uuid", "string"},`,
		`{"severity", "string"},`,
		`{"n", "int"},`, `{"x", "double"},`, `{"b", "bool"},`,
		`{"free", "dyn"},`,
		`{"target", "list(LogTarget)"},`,
		`{"tags", "list(string)"},`,
		`{"inline", "LogEventInline"},`,
		`{"LogEventInline", []logField{`,
		`{"parent", "LogTarget"},`,
		`{"insertionTimestamp", "string"}, // not in the description`,
	} {
		if !strings.Contains(string(src), want) {
			t.Errorf("output lacks %s:\n%s", want, src)
		}
	}
}

func TestGenerateErrors(t *testing.T) {
	cases := []struct{ name, from, to, msg string }{
		{"not JSON", `{"info"`, `{"info"]`, "decoding"},
		{"no LogEvent", `"LogEvent": {`, `"Other": {`, "no components.schemas.LogEvent"},
		{"allOf", `"x": {"type": "number"}`, `"x": {"allOf": [{"type": "number"}]}`, "LogEvent.x: allOf"},
		{"unknown type", `"x": {"type": "number"}`, `"x": {"type": "decimal"}`, `type "decimal"`},
		{"no type", `"x": {"type": "number"}`, `"x": {}`, `type ""`},
		{"unresolved $ref", `"#/components/schemas/Sev"`, `"#/components/schemas/Nope"`, "unresolved $ref"},
		{"described now, seen before", `"uuid": {"type": "string"},`, `"uuid": {"type": "string"}, "insertionTimestamp": {"type": "string"},`, "now lists it"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			spec := strings.Replace(minimal, tc.from, tc.to, 1)
			if spec == minimal {
				t.Fatalf("%q is not in the test description", tc.from)
			}
			_, err := Generate([]byte(spec))
			if err == nil || !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("Generate = %v; want an error containing %q", err, tc.msg)
			}
		})
	}
}
