package connector

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/jml-dev/jml/pkg/effect"
)

// TestSlackWebAPIAuth: with webAPIAuth, the Web API gets its own token (a
// bot's) and SCIM keeps the admin's; without it, both get auth's.
func TestSlackWebAPIAuth(t *testing.T) {
	var mu sync.Mutex
	seen := map[string]string{} // path → Authorization
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen[r.URL.Path] = r.Header.Get("Authorization")
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		switch {
		case strings.HasPrefix(r.URL.Path, "/scim/v2/Users") && r.Method == http.MethodGet:
			fmt.Fprint(w, `{"totalResults":1,"Resources":[{"id":"U1","userName":"jane","active":true,"emails":[{"value":"jane@acme.com","primary":true}]}]}`)
		case strings.HasPrefix(r.URL.Path, "/scim/v2/Users/"):
			w.WriteHeader(http.StatusNoContent)
		case r.URL.Path == "/api/chat.postMessage":
			fmt.Fprint(w, `{"ok":true,"channel":"C1","ts":"1700000000.000100"}`)
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	vars := map[string]string{"ADMIN": "xoxp-admin-token", "BOT": "xoxb-bot-token"}
	tests := []struct {
		name, extra, wantWeb string
	}{
		{"one token for both", "", "Bearer xoxp-admin-token"},
		{"a bot token for the Web API", "webAPIAuth: {type: bearer, token: {env: BOT}}", "Bearer xoxb-bot-token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := loadConfig(t, fmt.Sprintf("connectors:\n  slack:\n    type: slack\n    baseURL: %s\n    allowInsecure: true\n    auth: {type: bearer, token: {env: ADMIN}}\n    rateLimit: {requestsPerSecond: 1000, burst: 10}\n    %s\n", srv.URL, tt.extra))
			set, err := New(cfg, Options{Getenv: env(vars), HTTP: srv.Client()})
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			if _, err := set.Do(ctx, effect.Request{Instance: "slack", Action: "deactivateUser", Input: map[string]any{"email": "jane@acme.com"}}); err != nil {
				t.Fatal(err)
			}
			if _, err := set.Do(ctx, effect.Request{Instance: "slack", Action: "postMessage", Input: map[string]any{"channel": "#it", "text": "hi"}}); err != nil {
				t.Fatal(err)
			}
			mu.Lock()
			defer mu.Unlock()
			if got := seen["/scim/v2/Users/U1"]; got != "Bearer xoxp-admin-token" {
				t.Errorf("SCIM got %q", got)
			}
			if got := seen["/api/chat.postMessage"]; got != tt.wantWeb {
				t.Errorf("Web API got %q, want %q", got, tt.wantWeb)
			}
			if tt.extra != "" && !strings.Contains(strings.Join(set.Secrets(), " "), "xoxb-bot-token") {
				t.Errorf("the bot token is not among the secrets to redact: %v", set.Secrets())
			}
		})
	}
}
