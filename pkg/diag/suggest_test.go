package diag

import "testing"

func TestClosest(t *testing.T) {
	cands := []string{"retry", "timeout", "onError", "clearUserSessions", "endsWith", "deactivateUser"}
	for _, tt := range []struct {
		in, want string
		ok       bool
	}{
		{"retries", "retry", true},
		{"timout", "timeout", true},
		{"onerror", "onError", true},
		{"endswith", "endsWith", true},
		{"clearSessions", "clearUserSessions", true},
		{"deactivate", "deactivateUser", true},
		{"x", "", false},
		{"banana", "", false},
	} {
		got, ok := Closest(tt.in, cands)
		if got != tt.want || ok != tt.ok {
			t.Errorf("Closest(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
	if SuggestLimit(1) != 1 || SuggestLimit(8) != 3 || SuggestLimit(40) != 3 {
		t.Errorf("SuggestLimit: %d %d %d", SuggestLimit(1), SuggestLimit(8), SuggestLimit(40))
	}
}
