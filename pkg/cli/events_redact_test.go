package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/jml-dev/jml/pkg/redact"
)

// TestRedactPlansTheSame: the enterprise example's flows plan the real
// recordings (examples/enterprise/events, testdata/events) and their
// redaction alike: the same events, the same flows with the same
// statuses, the same writes (card, action, path) in the same order, and
// the same summary — only the values drawn from personal data differ.
func TestRedactPlansTheSame(t *testing.T) {
	t.Parallel()
	dir, err := filepath.Abs("../../examples/enterprise")
	if err != nil {
		t.Fatal(err)
	}
	sources := []string{"events/", "../../testdata/events/"}
	red := filepath.Join(t.TempDir(), "redacted.ndjson")

	ios, _, out, errOut := Test()
	ios.WorkDir = dir
	ios.Getenv = func(k string) string {
		if k == "KEY" {
			return "a test key of enough bytes"
		}
		return ""
	}
	if code := Run(ios, append([]string{"events", "redact", "--key-env", "KEY", "-o", red}, sources...), "test"); code != ExitOK {
		t.Fatalf("redact: exit %d: %s", code, errOut)
	}
	// No email or IP address of the recordings is left.
	redBytes, _ := os.ReadFile(red)
	for _, src := range []string{"events/okta-sdk-java__logs-subset.ndjson", "events/user.lifecycle.deactivate.ndjson"} {
		b, err := os.ReadFile(filepath.Join(dir, src))
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range redact.Emails(string(b)) {
			if bytes.Contains(redBytes, []byte(e)) {
				t.Errorf("%s: %s left", src, e)
			}
		}
		for _, a := range redact.IPs(string(b)) {
			if !redact.Documentation(a) && bytes.Contains(redBytes, []byte(`"`+a.String()+`"`)) {
				t.Errorf("%s: %s left", src, a)
			}
		}
	}
	plan := func(args ...string) planShape {
		t.Helper()
		out.Reset()
		if code := Run(ios, append([]string{"plan", "--format", "json"}, args...), "test"); code != ExitOK {
			t.Fatalf("plan %v: exit %d: %s", args, code, errOut)
		}
		var p planShape
		if err := json.Unmarshal(out.Bytes(), &p); err != nil {
			t.Fatal(err)
		}
		// The originals hold the same event twice (a file and its hook
		// delivery); redact writes each event once.
		delete(p.Summary, "duplicates")
		return p
	}
	orig := plan(sources...)
	got := plan(red)
	if !reflect.DeepEqual(orig, got) {
		a, _ := json.MarshalIndent(orig, "", " ")
		b, _ := json.MarshalIndent(got, "", " ")
		t.Errorf("the redacted recording plans differently:\n%s\nvs\n%s", a, b)
	}
	if orig.Summary["runs"] == float64(0) {
		t.Error("no flow fired: the comparison says nothing")
	}
}

// planShape is what of a plan does not depend on personal data.
type planShape struct {
	Events []struct {
		UUID, EventType, Published string
		Runs                       []struct {
			Flow, Status string
			Changes      []struct{ Card, Action, Path string }
		}
	}
	Summary map[string]any
}
