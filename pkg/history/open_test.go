package history

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
)

// TestConcurrentFirstOpen: processes opening a new store at the same time
// (CI jobs, containers sharing a volume) all get a migrated store; none
// fails creating what another is creating.
func TestConcurrentFirstOpen(t *testing.T) {
	urls := map[string]func(t *testing.T) string{
		"sqlite":   func(t *testing.T) string { return "sqlite://" + filepath.Join(t.TempDir(), "h.db") },
		"postgres": postgresURL,
	}
	for name, newURL := range urls {
		t.Run(name, func(t *testing.T) {
			url := newURL(t)
			const opens = 8
			var wg sync.WaitGroup
			var start sync.WaitGroup
			start.Add(1)
			errs := make([]error, opens)
			for i := range opens {
				wg.Add(1)
				go func() {
					defer wg.Done()
					start.Wait()
					s, err := Open(context.Background(), url, "")
					if err != nil {
						errs[i] = err
						return
					}
					defer s.Close()
					v, err := s.Version(context.Background())
					if err == nil && v != len(migrations) {
						t.Errorf("open %d: schema version %d, want %d", i, v, len(migrations))
					}
					errs[i] = err
				}()
			}
			start.Done()
			wg.Wait()
			for i, err := range errs {
				if err != nil {
					t.Errorf("open %d of %d at once: %v", i, opens, err)
				}
			}
		})
	}
}
