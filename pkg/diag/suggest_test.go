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
		{"tiemout", "timeout", true},
		{"rtery", "retry", true},
		{"x", "", false},
		{"banana", "", false},
	} {
		got, ok := Closest(tt.in, cands)
		if got != tt.want || ok != tt.ok {
			t.Errorf("Closest(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
	for _, tt := range []struct {
		a, b string
		want int
	}{
		{"", "", 0},
		{"name", "name", 0},
		{"nmae", "name", 1},
		{"ab", "ba", 1},
		{"abc", "ca", 3},
		{"kitten", "sitting", 3},
		{"ïé", "éï", 1},
		{"retries", "retry", 3},
	} {
		if got := Distance(tt.a, tt.b); got != tt.want {
			t.Errorf("Distance(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
	if SuggestLimit(1) != 1 || SuggestLimit(8) != 3 || SuggestLimit(40) != 3 {
		t.Errorf("SuggestLimit: %d %d %d", SuggestLimit(1), SuggestLimit(8), SuggestLimit(40))
	}
}
