package history

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
)

// storePairs opens, per back end, two handles on one new history: the
// writer, and a second one that sees only what the writer committed —
// what a crash of the writer's process would leave.
func storePairs(t *testing.T) map[string]func(t *testing.T) (w, r *Store) {
	open := func(t *testing.T, url string) *Store {
		s, err := Open(context.Background(), url, "")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
	return map[string]func(t *testing.T) (*Store, *Store){
		"sqlite": func(t *testing.T) (*Store, *Store) {
			url := "sqlite://" + filepath.Join(t.TempDir(), "h.db")
			return open(t, url), open(t, url)
		},
		"postgres": func(t *testing.T) (*Store, *Store) {
			url := postgresURL(t)
			return open(t, url), open(t, url)
		},
	}
}

// gate makes the store's groups deterministic: the first group of a phase
// (its first writer alone) does not commit until want more writers have
// queued behind it; a group of a given size can be held open before its
// commit (the crash point).
type gate struct {
	mu       sync.Mutex
	want     int
	queued   chan struct{} // closed when want writers wait
	holdSize int
	held     chan struct{} // closed when the held group is about to commit
	release  chan struct{}
	leading  chan struct{} // closed when a group of one is about to commit
	once     sync.Once
}

func (g *gate) arm(s *Store, want, holdSize int) {
	g.mu.Lock()
	g.want, g.holdSize = want, holdSize
	g.queued, g.held, g.release = make(chan struct{}), make(chan struct{}), make(chan struct{})
	g.leading, g.once = make(chan struct{}), sync.Once{}
	g.mu.Unlock()
	s.batch.Lock()
	s.batch.queued = func(n int) {
		g.mu.Lock()
		defer g.mu.Unlock()
		if n == g.want {
			close(g.queued)
		}
	}
	s.batch.beforeCommit = func(n int) {
		g.mu.Lock()
		queued, held, release, leading, hold := g.queued, g.held, g.release, g.leading, n == g.holdSize
		g.mu.Unlock()
		if n == 1 {
			g.once.Do(func() { close(leading) })
			<-queued
		}
		if hold {
			close(held)
			<-release
		}
	}
	s.batch.Unlock()
}

func (s *Store) commitCount() int {
	s.batch.Lock()
	defer s.batch.Unlock()
	return s.batch.commits
}

// TestGroupCommit: concurrent writers share transactions (fewer commits
// than writes), each returns only once its own write is committed, and a
// crash between groups loses nothing a writer was told was written.
func TestGroupCommit(t *testing.T) {
	for name, pair := range storePairs(t) {
		t.Run(name, func(t *testing.T) {
			s, other := pair(t)
			ctx := context.Background()
			const n = 16
			if err := s.InsertRun(ctx, run("r", "leaver", "e", "u", StatusRunning, t0)); err != nil {
				t.Fatal(err)
			}
			calls := make([]*CallRow, n)
			for i := range calls {
				calls[i] = &CallRow{RunID: "r", Seq: i + 1, Card: fmt.Sprint(i), Action: "a.b", Attempt: 1, Input: "{}", Status: CallPending, StartedAt: t0}
			}

			// Phase 1: n journal entries at once. The first writer
			// commits alone once the n-1 others wait; they go in one
			// more transaction.
			g := &gate{}
			g.arm(s, n-1, -1)
			before := s.commitCount()
			var wg sync.WaitGroup
			errs := make([]error, n)
			for i := range calls {
				wg.Add(1)
				go func() {
					defer wg.Done()
					errs[i] = s.BeginCall(ctx, calls[i])
				}()
			}
			wg.Wait()
			for i, err := range errs {
				if err != nil {
					t.Fatalf("BeginCall %d: %v", i+1, err)
				}
			}
			if got := s.commitCount() - before; got != 2 {
				t.Fatalf("%d writes at once took %d commits, want 2 (one alone, then the %d that waited)", n, got, n-1)
			}
			if rows, err := other.Calls(ctx, "r"); err != nil || len(rows) != n {
				t.Fatalf("another handle reads %d entries (%v), want %d", len(rows), err, n)
			}

			// Phase 2: n outcomes at once; the group of n-1 is held open
			// before its commit: the crash point.
			g.arm(s, n-1, n-1)
			var mu sync.Mutex
			returned := map[int]error{}
			for i := range calls {
				wg.Add(1)
				go func() {
					defer wg.Done()
					c := *calls[i]
					c.Status, c.Output = CallSuccess, `{"ok":true}`
					err := s.EndCall(ctx, &c)
					mu.Lock()
					returned[c.Seq] = err
					mu.Unlock()
				}()
			}
			<-g.held
			mu.Lock()
			acked := map[int]error{}
			for k, v := range returned {
				acked[k] = v
			}
			mu.Unlock()
			if len(acked) != 1 {
				t.Fatalf("%d writers returned before their group committed, want only the first alone: %v", len(acked), acked)
			}
			// What a crash now would leave: every entry, and the one
			// outcome acknowledged — no other.
			rows, err := other.Calls(ctx, "r")
			if err != nil || len(rows) != n {
				t.Fatalf("at the crash point another handle reads %d entries (%v), want %d", len(rows), err, n)
			}
			for _, c := range rows {
				err, ok := acked[c.Seq]
				switch {
				case ok && err == nil && c.Status != CallSuccess:
					t.Errorf("call %d: its writer was told its outcome is written, the history says %s", c.Seq, c.Status)
				case !ok && c.Status != CallPending:
					t.Errorf("call %d: its outcome (%s) is visible before its writer was told", c.Seq, c.Status)
				}
			}
			close(g.release)
			wg.Wait()
			for seq, err := range returned {
				if err != nil {
					t.Errorf("EndCall %d: %v", seq, err)
				}
			}
			rows, err = other.Calls(ctx, "r")
			if err != nil || len(rows) != n {
				t.Fatalf("after the commit: %d entries (%v), want %d", len(rows), err, n)
			}
			for _, c := range rows {
				if c.Status != CallSuccess {
					t.Errorf("call %d: %s after its group committed, want success", c.Seq, c.Status)
				}
			}
		})
	}
}

// TestGroupCommitFailsAlone: a write that fails in a group (a duplicate
// run id, an entry of a run never recorded) fails alone; the others of its
// group are written.
func TestGroupCommitFailsAlone(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		if err := s.InsertRun(ctx, run("r", "leaver", "e", "u", StatusRunning, t0)); err != nil {
			t.Fatal(err)
		}
		writes := []struct {
			name string
			bad  bool
			do   func() error
		}{
			{"a duplicate run", true, func() error { return s.InsertRun(ctx, run("r", "leaver", "e", "u", StatusRunning, t0)) }},
			{"a call of run r", false, func() error {
				return s.BeginCall(ctx, &CallRow{RunID: "r", Seq: 1, Card: "c", Action: "a.b", Attempt: 1, Input: "{}", Status: CallPending, StartedAt: t0})
			}},
			{"a call of no run", true, func() error {
				return s.BeginCall(ctx, &CallRow{RunID: "nope", Seq: 1, Card: "c", Action: "a.b", Attempt: 1, Input: "{}", Status: CallPending, StartedAt: t0})
			}},
			{"another run", false, func() error { return s.InsertRun(ctx, run("r2", "leaver", "e2", "u", StatusRunning, t0)) }},
			{"another call of run r", false, func() error {
				return s.BeginCall(ctx, &CallRow{RunID: "r", Seq: 2, Card: "d", Action: "a.b", Attempt: 1, Input: "{}", Status: CallPending, StartedAt: t0})
			}},
		}
		// A first write leads alone and commits once all the others
		// wait: they are one group.
		g := &gate{}
		g.arm(s, len(writes), -1)
		lead := make(chan error)
		go func() { lead <- s.InsertRun(ctx, run("lead", "leaver", "e0", "u", StatusRunning, t0)) }()
		<-g.leading
		errs := make([]error, len(writes))
		var wg sync.WaitGroup
		for i, w := range writes {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs[i] = w.do()
			}()
		}
		wg.Wait()
		if err := <-lead; err != nil {
			t.Fatal(err)
		}
		for i, w := range writes {
			if (errs[i] != nil) != w.bad {
				t.Errorf("%s: error %v, want an error: %v", w.name, errs[i], w.bad)
			}
		}
		if calls, _ := s.Calls(ctx, "r"); len(calls) != 2 {
			t.Errorf("run r has %d calls, want 2", len(calls))
		}
		if r, err := s.Run(ctx, "r2"); err != nil || r == nil {
			t.Errorf("run r2: %v", err)
		}
	})
}
