package serve

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/jml-dev/jml/pkg/history"
)

const offboardAPI = `apiVersion: jml/v1
kind: Flow
name: offboard-api
trigger: {http: {path: /api/offboard}}
steps:
  - if: request.body.email == ""
    then: [{halt: "no email"}]
  - action: slack.deactivateUser
    with: {email: "${{ request.body.email }}"}
  - return: {deactivated: "${{ request.body.email }}", dryRun: "${{ request.query.dry }}"}
`

func (f *fixture) call(path, auth, key, body string) (int, map[string]any) {
	f.t.Helper()
	req, _ := http.NewRequest("POST", f.ts.URL+path, strings.NewReader(body))
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	if key != "" {
		req.Header.Set(IdempotencyHeader, key)
	}
	resp, err := f.ts.Client().Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

func TestHTTPFlow(t *testing.T) {
	f := newFixture(t, 25, "flows/offboard-api.yaml", offboardAPI)
	delivery(t, f.world, 1) // seeds user01 in Slack
	tests := []struct {
		name, path, auth, key, body string
		status                      int
		want                        map[string]any
	}{
		{"no secret", "/api/offboard", "", "", `{"email":"user01@acme.com"}`, 401, map[string]any{"error": "wrong or missing Authorization header"}},
		{"not JSON", "/api/offboard", secret, "", `{"email":`, 400, nil},
		{"the flow's return is the answer", "/api/offboard?dry=no", secret, "k1", `{"email":"user01@acme.com"}`, 200, map[string]any{"deactivated": "user01@acme.com", "dryRun": "no"}},
		{"the same Idempotency-Key: not run twice", "/api/offboard", secret, "k1", `{"email":"user01@acme.com"}`, 409, nil},
		{"a halted run is a 500 with its message", "/api/offboard", secret, "", `{"email":""}`, 500, map[string]any{"error": "no email"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, got := f.call(tt.path, tt.auth, tt.key, tt.body)
			if status != tt.status {
				t.Fatalf("%d %v; want %d", status, got, tt.status)
			}
			for k, v := range tt.want {
				if got[k] != v {
					t.Fatalf("%s = %v, want %v (%v)", k, got[k], v, got)
				}
			}
		})
	}
	if active, _ := f.slackActive("user01@acme.com"); active {
		t.Fatal("the flow did not deactivate user01")
	}
	runs, _ := f.store.Runs(t.Context(), history.Filter{Flow: "offboard-api"})
	// One run per request, k1's under its key (the retry made none).
	keyed := 0
	for _, r := range runs {
		if r.Event == "http@k1" {
			keyed++
		}
	}
	if len(runs) != 2 || keyed != 1 {
		t.Fatalf("%d runs, %d of them http@k1", len(runs), keyed)
	}
}

func TestHTTPFlowPaths(t *testing.T) {
	tests := []struct{ name, files, want string }{
		{"serve's own path", strings.ReplaceAll(offboardAPI, "/api/offboard", "/healthz"), `flow "offboard-api": path /healthz is serve's`},
		{"the hook's path", strings.ReplaceAll(offboardAPI, "/api/offboard", DefaultPath), `flow "offboard-api": path /hooks/okta is the event hook's`},
	}
	// The project does not validate (duplicate-http-path, the rule of
	// compile.Graph.HTTPPaths), and serve refuses the graph by that rule.
	check := func(t *testing.T, want string, files ...string) {
		_, proj, ds := loadProjectDiags(t, 25, files...)
		found := false
		for _, d := range ds {
			found = found || (d.Code == "duplicate-http-path" && strings.Contains(d.Message, want))
		}
		if !found {
			t.Errorf("diagnostics %v, want duplicate-http-path: %s", ds, want)
		}
		if _, err := httpFlows(proj.Graph, DefaultPath); err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "[duplicate-http-path]") {
			t.Fatalf("error: %v", err)
		}
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { check(t, tt.want, "flows/a.yaml", tt.files) })
	}
	check(t, `flows "offboard-api" and "offboard-too": both at path /api/offboard`,
		"flows/a.yaml", offboardAPI, "flows/b.yaml", strings.ReplaceAll(offboardAPI, "name: offboard-api", "name: offboard-too"))
}
