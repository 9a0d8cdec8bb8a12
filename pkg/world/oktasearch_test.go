package world

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
)

// TestOktaUnmodelledAttributes: the attributes the world refuses as its
// own limit are properties of Okta's User schema (the description the
// project checks against), and a search on one says so; an attribute Okta
// does not have is refused as a wrong search.
func TestOktaUnmodelledAttributes(t *testing.T) {
	data, err := os.ReadFile("../../testdata/vendor-specs/okta-management.json")
	if err != nil {
		t.Fatal(err)
	}
	var spec struct {
		Components struct {
			Schemas map[string]struct {
				Properties map[string]json.RawMessage `json:"properties"`
			} `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(data, &spec); err != nil {
		t.Fatal(err)
	}
	props := spec.Components.Schemas["User"].Properties
	for attr := range oktaUnmodelled {
		name, _, _ := strings.Cut(attr, ".")
		if props[name] == nil {
			t.Errorf("%q is not a property of Okta's User schema", name)
		}
		_, err := parseOktaExpr(`status eq "DEPROVISIONED" and ` + attr + ` lt "2025-12-06T00:00:00.000Z"`)
		if err == nil || !strings.Contains(err.Error(), "the simulated world does not model it") {
			t.Errorf("search on %s: %v", attr, err)
		}
	}
	if _, err := parseOktaExpr(`shoeSize eq "9"`); err == nil || !strings.Contains(err.Error(), `unsupported attribute "shoeSize"`) {
		t.Errorf("search on shoeSize: %v", err)
	}
}
