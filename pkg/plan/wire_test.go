package plan

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/jml-dev/jml/pkg/engine"
)

// v1Fixture is a plan file written by the release before the plan had
// wire types of its own (testdata/compat/README.md). Never regenerate it.
const v1Fixture = "../../testdata/compat/plan-v1.json"

// encode writes a plan as jml plan -o does.
func encode(t *testing.T, p *Plan) []byte {
	t.Helper()
	b, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return append(b, '\n')
}

// diffLines names the first line where got and want differ.
func diffLines(got, want []byte) string {
	g, w := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
	for i := 0; i < len(g) || i < len(w); i++ {
		var a, b string
		if i < len(g) {
			a = g[i]
		}
		if i < len(w) {
			b = w[i]
		}
		if a != b {
			return "line " + strconv.Itoa(i+1) + ":\n got  " + a + "\n want " + b
		}
	}
	return ""
}

// TestReadV1Fixture: the previous release's plan file reads, field by
// field, and writes back byte for byte.
func TestReadV1Fixture(t *testing.T) {
	data, err := os.ReadFile(v1Fixture)
	if err != nil {
		t.Fatal(err)
	}
	p, err := Read(v1Fixture)
	if err != nil {
		t.Fatal(err)
	}
	if p.FormatVersion != 1 || !strings.HasPrefix(p.Digest, "sha256:") || len(p.Files) != 5 || p.Files["flows/leaver.yaml"] == "" {
		t.Fatalf("header: version %d, digest %q, files %v", p.FormatVersion, p.Digest, p.Files)
	}
	if len(p.Events) != 3 {
		t.Fatalf("%d events, want 3", len(p.Events))
	}
	jane, bob, carol := p.Events[0], p.Events[1], p.Events[2]
	if jane.UUID != "7f1c0a2e-0000-4000-8000-000000000001" || jane.EventType != "user.lifecycle.deactivate" || jane.Published != "2024-03-01T09:00:00.000Z" {
		t.Errorf("event %+v", jane)
	}
	// Jane: halted at the ticket, after a write made via the helper.
	r := jane.Runs[0]
	if r.Flow != "leaver" || r.Status != engine.StatusHalted || len(r.Changes) != 2 {
		t.Fatalf("jane's run %+v", r)
	}
	wantChange := engine.Change{Card: "slack", Action: "slack.deactivateUser", With: map[string]any{"email": "jane.doe@acme.com"},
		Via: []string{"offboard-slack"}, Path: "steps[1]/offboard-slack/steps[0]"}
	if !reflect.DeepEqual(r.Changes[1], wantChange) {
		t.Errorf("change %+v, want %+v", r.Changes[1], wantChange)
	}
	if r.Changes[0].Via == nil || len(r.Changes[0].Via) != 0 {
		t.Errorf("a change made in the flow itself: via %#v, want []", r.Changes[0].Via)
	}
	wantErr := engine.ErrorInfo{Card: "ticket", Action: "itsm.createRecord", Message: "Backend Error", Status: 500, Code: "server_error", Retryable: true, Attempts: 1}
	if r.Error == nil || *r.Error != wantErr {
		t.Errorf("error %+v, want %+v", r.Error, wantErr)
	}
	if r := bob.Runs[0]; r.Status != engine.StatusSuccess || len(r.Changes) != 3 || r.Error != nil ||
		r.Changes[2].With["fields"].(map[string]any)["short_description"] != "Offboard bob.smith@acme.com" {
		t.Errorf("bob's run %+v", r)
	}
	if r := carol.Runs[0]; r.Flow != "suspender" || r.Status != engine.StatusFailed || len(r.Changes) != 0 || r.Changes == nil ||
		r.Error == nil || r.Error.Code != "expression" || r.Error.Card != "vars.second" {
		t.Errorf("carol's run %+v", r)
	}
	s := p.Summary
	if s.Events != 3 || s.Runs != 3 || s.Changes != 5 || s.Duplicates != 0 || s.Skipped != 0 ||
		!reflect.DeepEqual(s.ByStatus, map[engine.Status]int{"success": 1, "halted": 1, "failed": 1}) ||
		!reflect.DeepEqual(s.DisabledFlows, []string{"audit"}) {
		t.Errorf("summary %+v", s)
	}
	if b := s.BlastRadius; b == nil || b.Users != 2 || b.Limit != 25 || b.Exceeded {
		t.Errorf("blast radius %+v", b)
	}
	if p.Inputs == nil || len(p.Inputs.Events) != 3 || p.Inputs.Events[2]["uuid"] != "7f1c0a2e-0000-4000-8000-000000000003" || p.Inputs.Flow != "" {
		t.Errorf("inputs %+v", p.Inputs)
	}

	// Written back: the same bytes.
	if got := encode(t, p); !bytes.Equal(got, data) {
		t.Errorf("the fixture does not write back unchanged: %s", diffLines(got, data))
	}
	// json.Unmarshal into a Plan reads the document the same way.
	var q Plan
	if err := json.Unmarshal(data, &q); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(&q, p) {
		t.Errorf("json.Unmarshal and Read differ")
	}
}

// TestEngineRunsMakeTheV1Document: the same runs, given to Add as the
// engine makes them, give the fixture's bytes: the engine's values reach
// the document under the v1 field names.
func TestEngineRunsMakeTheV1Document(t *testing.T) {
	data, err := os.ReadFile(v1Fixture)
	if err != nil {
		t.Fatal(err)
	}
	old, err := Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	p := New(old.Digest, old.Files)
	none := []string{}
	p.Add("7f1c0a2e-0000-4000-8000-000000000001", "user.lifecycle.deactivate", "2024-03-01T09:00:00.000Z", []*engine.Run{{
		ID: "run-x", Flow: "leaver", Status: engine.StatusHalted, Mode: engine.ModePlan,
		Changes: []engine.Change{
			{Card: "sessions", Action: "okta.clearUserSessions", With: map[string]any{"userId": "00u1jane0001"}, Via: none, Path: "steps[0]"},
			{Card: "slack", Action: "slack.deactivateUser", With: map[string]any{"email": "jane.doe@acme.com"}, Via: []string{"offboard-slack"}, Path: "steps[1]/offboard-slack/steps[0]"},
		},
		Error: &engine.ErrorInfo{Card: "ticket", Action: "itsm.createRecord", Message: "Backend Error", Status: 500, Code: "server_error", Retryable: true, Attempts: 1},
	}}, []string{"audit"})
	p.Add("7f1c0a2e-0000-4000-8000-000000000002", "user.lifecycle.deactivate", "2024-03-01T09:05:00.000Z", []*engine.Run{{
		Flow: "leaver", Status: engine.StatusSuccess,
		Changes: []engine.Change{
			{Card: "sessions", Action: "okta.clearUserSessions", With: map[string]any{"userId": "00u2bob00002"}, Via: none, Path: "steps[0]"},
			{Card: "slack", Action: "slack.deactivateUser", With: map[string]any{"email": "bob.smith@acme.com"}, Via: []string{"offboard-slack"}, Path: "steps[1]/offboard-slack/steps[0]"},
			{Card: "ticket", Action: "itsm.createRecord", With: map[string]any{"table": "sc_task", "fields": map[string]any{"short_description": "Offboard bob.smith@acme.com"}}, Via: none, Path: "steps[2]"},
		},
	}}, []string{"audit"})
	p.Add("7f1c0a2e-0000-4000-8000-000000000003", "user.lifecycle.suspend", "2024-03-01T09:10:00.000Z", []*engine.Run{{
		Flow: "suspender", Status: engine.StatusFailed,
		Error: &engine.ErrorInfo{Card: "vars.second", Message: "evaluating vars.second: index out of bounds: 1", Code: "expression"},
	}}, nil)
	p.Summary.BlastRadius = old.Summary.BlastRadius // counted by the CLI, not by Add
	p.Inputs = old.Inputs
	if got := encode(t, p); !bytes.Equal(got, data) {
		t.Errorf("engine runs do not make the v1 document: %s", diffLines(got, data))
	}
}

// TestDecodeRefuses: another formatVersion, or no plan at all, is refused
// by name before anything else is read.
func TestDecodeRefuses(t *testing.T) {
	tests := []struct {
		name, doc, want string
	}{
		{"a future version", `{"formatVersion": 2, "events": "a shape v1 never had"}`, "plan formatVersion 2, this jml reads 1"},
		{"version 0", `{"formatVersion": 0}`, "plan formatVersion 0, this jml reads 1"},
		{"no version", `{"events": []}`, "not a plan file: no formatVersion"},
		{"not JSON", `{"formatVersion": 1,`, "not a plan file: unexpected end of JSON input"},
		{"a v1 field of the wrong type", `{"formatVersion": 1, "events": {}}`, "not a plan file: json: cannot unmarshal object"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Decode([]byte(tt.doc))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want %q", err, tt.want)
			}
		})
	}
	// Read names the file.
	path := filepath.Join(t.TempDir(), "plan.json")
	if err := os.WriteFile(path, []byte(`{"formatVersion": 7}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Read(path); err == nil || err.Error() != path+": plan formatVersion 7, this jml reads 1" {
		t.Fatalf("Read: %v", err)
	}
}

// TestUnknownFieldsIgnored: a v1 document from a newer jml, with fields
// this one does not know, still reads.
func TestUnknownFieldsIgnored(t *testing.T) {
	p, err := Decode([]byte(`{"formatVersion": 1, "digest": "sha256:x", "later": true, "events": [{"uuid": "e1", "runs": [{"flow": "f", "status": "success", "changes": [], "error": null, "newer": 1}]}], "summary": {"byStatus": {"success": 1}}}`))
	if err != nil {
		t.Fatal(err)
	}
	if p.Digest != "sha256:x" || p.Events[0].Runs[0].Flow != "f" || p.Summary.ByStatus[engine.StatusSuccess] != 1 {
		t.Fatalf("read %+v", p)
	}
}

// A run's ignored failures go into the document and come back from it;
// a run with none has no "ignored" key (the v1 fixture, above, has none).
func TestIgnoredRoundTrips(t *testing.T) {
	p := New("digest", map[string]string{})
	ignored := &engine.ErrorInfo{Card: "device", Action: "google.deleteMobileDevice", Message: "Resource Not Found", Status: 404, Code: "not_found", Attempts: 1}
	p.Add("7f1c0a2e-0000-4000-8000-000000000009", "user.lifecycle.deactivate", "2024-03-01T09:00:00.000Z", []*engine.Run{{
		Flow: "leaver", Status: engine.StatusSuccess,
		Cards: []*engine.CardTrace{{Kind: "try", Status: engine.CardSuccess, Children: []*engine.CardTrace{
			{Kind: "action", Status: engine.CardFailed, Error: ignored},
		}}},
	}}, nil)
	data := encode(t, p)
	if !bytes.Contains(data, []byte(`"ignored": [`)) {
		t.Fatalf("no ignored failures in the document:\n%s", data)
	}
	back, err := Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	if got := back.Events[0].Runs[0].Ignored; len(got) != 1 || got[0] != *ignored {
		t.Errorf("ignored failures read back as %v, want %v", got, *ignored)
	}
}
