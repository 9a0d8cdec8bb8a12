package history

import (
	"context"
	"strings"
	"testing"
)

// TestOpenMasksPasswords: a password in a history URL, in its userinfo or
// its query, never shows in an error, even when the URL does not parse.
func TestOpenMasksPasswords(t *testing.T) {
	for _, raw := range []string{
		"mysql://jml:SECRET1@db/jml?password=SECRET2",
		"postgres://jml:SECRET1@db:port/jml?password=SECRET2",
		"postgres://jml:SECRET1@127.0.0.1:1/jml?sslmode=nonsense&sslpassword=SECRET2",
	} {
		t.Run(raw, func(t *testing.T) {
			s, err := Open(context.Background(), raw, t.TempDir())
			if err == nil {
				s.Close()
				t.Fatal("Open succeeded")
			}
			if msg := err.Error(); strings.Contains(msg, "SECRET") || !strings.Contains(msg, "***") {
				t.Errorf("error %q shows a password or masks none", msg)
			}
		})
	}
	if got, want := redactURL("postgres://jml@db/jml?password=SECRET"), "postgres://jml@db/jml?password=***"; got != want {
		t.Errorf("redactURL = %q, want %q", got, want)
	}
}
