package temporal

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCrashSafeCards: every action card of the quickstart's flows gets
// the timeout, and a retry unless it has one (then it keeps its own).
func TestCrashSafeCards(t *testing.T) {
	for file, want := range map[string]struct{ cards, retries int }{
		// sessions, slack (its own retry), google, notify; ticket is a call.
		"flows/leaver.yaml": {4, 4},
		// record (its own retry).
		"flows/open-offboarding-ticket.yaml": {1, 1},
	} {
		data, err := os.ReadFile(filepath.Join(repoRoot, "examples/quickstart", file))
		if err != nil {
			t.Fatal(err)
		}
		got := string(crashSafeCards(t, file, data))
		if c := strings.Count(got, "timeout: "+callTimeout+"\n"); c != want.cards {
			t.Errorf("%s: %d cards with timeout: %s, want %d\n%s", file, c, callTimeout, want.cards, got)
		}
		if c := strings.Count(got, "retry:"); c != want.retries {
			t.Errorf("%s: %d retry: keys, want %d (one per card)\n%s", file, c, want.retries, got)
		}
		if strings.Count(got, "retry: "+callRetry) != want.retries-strings.Count(string(data), "retry:") {
			t.Errorf("%s: a card's own retry was replaced or doubled\n%s", file, got)
		}
	}
}
