package history

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestApplyLock(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		now := t0
		clock := func() time.Time { return now }
		alive := map[int]bool{100: true, 200: true}
		opts := func(host string, pid int) LockOptions {
			return LockOptions{Now: clock, Alive: func(p int) bool { return alive[p] }, Host: host, PID: pid}
		}

		first, err := s.Acquire(ctx, ApplyLock, opts("ci-1", 100))
		if err != nil {
			t.Fatal(err)
		}
		// A second process, on this host or another, is refused and told who.
		for _, o := range []LockOptions{opts("ci-1", 200), opts("ci-2", 300)} {
			_, err := s.Acquire(ctx, ApplyLock, o)
			var le *LockedError
			if !errors.As(err, &le) || le.PID != 100 || le.Host != "ci-1" {
				t.Fatalf("second acquire from %s: %v, want a LockedError naming pid 100 on ci-1", o.Host, err)
			}
		}
		// Released: free again.
		if err := first.Release(); err != nil {
			t.Fatal(err)
		}
		second, err := s.Acquire(ctx, ApplyLock, opts("ci-2", 300))
		if err != nil {
			t.Fatalf("after release: %v", err)
		}
		// The holder was killed (kill -9): on its host, the lock is taken
		// over at once; from another host only once the heartbeat is stale.
		alive[300] = false
		if _, err := s.Acquire(ctx, ApplyLock, opts("ci-1", 100)); err == nil {
			t.Fatal("another host took a fresh lock over")
		}
		third, err := s.Acquire(ctx, ApplyLock, opts("ci-2", 400))
		if err != nil {
			t.Fatalf("same host, dead holder: %v", err)
		}
		// The old holder's release does not free the new holder's lock.
		if err := second.Release(); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Acquire(ctx, ApplyLock, opts("ci-1", 100)); err == nil {
			t.Fatal("a stale holder's release freed the new holder's lock")
		}
		// A silent heartbeat: taken over from anywhere.
		now = now.Add(StaleAfter + time.Second)
		fourth, err := s.Acquire(ctx, ApplyLock, opts("ci-1", 100))
		if err != nil {
			t.Fatalf("stale lock: %v", err)
		}
		third.Release()
		fourth.Release()
	})
}
