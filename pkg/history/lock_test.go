package history

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jml-dev/jml/pkg/effect"
)

// noSuchPID is a pid no process has: above Linux's highest pid_max.
const noSuchPID = 1<<22 + 1

// lockBackends gives, per back end, the URL of a new empty history: every
// Open of it is another process's view of the same store (another
// connection, another open file).
func lockBackends() map[string]func(t *testing.T) string {
	return map[string]func(t *testing.T) string{
		"sqlite":   func(t *testing.T) string { return "sqlite://" + filepath.Join(t.TempDir(), "h.db") },
		"postgres": postgresURL,
	}
}

func openURL(t *testing.T, url string) *Store {
	t.Helper()
	s, err := Open(context.Background(), url, "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func forEachLockBackend(t *testing.T, test func(t *testing.T, url string)) {
	for name, newURL := range lockBackends() {
		t.Run(name, func(t *testing.T) { test(t, newURL(t)) })
	}
}

func wantLocked(t *testing.T, err error, host string, pid int) {
	t.Helper()
	var le *LockedError
	if !errors.As(err, &le) || le.Host != host || le.PID != pid {
		t.Fatalf("acquire: %v; want a LockedError naming pid %d on %s", err, pid, host)
	}
	if !strings.Contains(err.Error(), fmt.Sprintf("pid %d on %s", pid, host)) {
		t.Fatalf("message %q does not name the holder", err)
	}
}

// TestLockIgnoresPIDs: containers sharing a volume have the same hostname
// and PID namespaces of their own, so a holder's pid may not exist in the
// next one's namespace. That is no proof of death: the second apply is
// refused while the first holds the lock, and nothing but Release (or the
// holder's death) frees it.
func TestLockIgnoresPIDs(t *testing.T) {
	forEachLockBackend(t, func(t *testing.T, url string) {
		ctx := context.Background()
		a, b := openURL(t, url), openURL(t, url)
		first, err := a.Acquire(ctx, ApplyLock, LockOptions{Host: "jml-0", PID: noSuchPID})
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range []LockOptions{
			{Host: "jml-0", PID: os.Getpid()}, // the same hostname, another PID namespace
			{Host: "jml-1", PID: 7},           // another host
			{Host: "jml-0", PID: os.Getpid(), Now: func() time.Time { return time.Now().Add(24 * time.Hour) }}, // long after
		} {
			_, err := b.Acquire(ctx, ApplyLock, o)
			wantLocked(t, err, "jml-0", noSuchPID)
		}
		// A second lock on the same store is refused too.
		_, err = a.Acquire(ctx, ApplyLock, LockOptions{Host: "jml-0", PID: 2})
		wantLocked(t, err, "jml-0", noSuchPID)

		if err := first.Release(); err != nil {
			t.Fatal(err)
		}
		second, err := b.Acquire(ctx, ApplyLock, LockOptions{Host: "jml-1", PID: 7})
		if err != nil {
			t.Fatalf("after release: %v", err)
		}
		// The first holder's release again frees nothing.
		if err := first.Release(); err != nil {
			t.Fatal(err)
		}
		_, err = a.Acquire(ctx, ApplyLock, LockOptions{})
		wantLocked(t, err, "jml-1", 7)
		if err := second.Release(); err != nil {
			t.Fatal(err)
		}
	})
}

// TestLockHelperProcess is not a test: it is the other process of
// TestLockAcrossProcesses, holding the lock of the history at
// $JML_LOCK_HELPER_URL until it is killed (or its standard input closes).
func TestLockHelperProcess(t *testing.T) {
	url := os.Getenv("JML_LOCK_HELPER_URL")
	if url == "" {
		t.Skip("the helper process of TestLockAcrossProcesses")
	}
	s, err := Open(context.Background(), url, "")
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	if _, err := s.Acquire(context.Background(), ApplyLock, LockOptions{Host: "jml-helper"}); err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	fmt.Println("held")
	io.Copy(io.Discard, os.Stdin)
	os.Exit(0)
}

// TestLockAcrossProcesses: a lock held by another process refuses this
// one, naming it; once that process is killed (kill -9: no Release), the
// kernel (SQLite's lock file) or the server (PostgreSQL's session) frees
// the lock and the next apply takes it.
func TestLockAcrossProcesses(t *testing.T) {
	forEachLockBackend(t, func(t *testing.T, url string) {
		ctx := context.Background()
		s := openURL(t, url)
		helper := exec.Command(os.Args[0], "-test.run=^TestLockHelperProcess$")
		helper.Env = append(os.Environ(), "JML_LOCK_HELPER_URL="+url)
		stdin, err := helper.StdinPipe()
		if err != nil {
			t.Fatal(err)
		}
		defer stdin.Close()
		stdout, err := helper.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		var stderr strings.Builder
		helper.Stderr = &stderr
		if err := helper.Start(); err != nil {
			t.Fatal(err)
		}
		line, err := bufio.NewReader(stdout).ReadString('\n')
		if line != "held\n" {
			helper.Process.Kill()
			helper.Wait()
			t.Fatalf("helper: %q %v\n%s", line, err, stderr.String())
		}

		_, err = s.Acquire(ctx, ApplyLock, LockOptions{Host: "jml-helper"})
		wantLocked(t, err, "jml-helper", helper.Process.Pid)

		if err := helper.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		helper.Wait() // its files are closed: the kernel freed its flock
		if s.postgres {
			waitSessionsGone(t, s)
		}
		l, err := s.Acquire(ctx, ApplyLock, LockOptions{})
		if err != nil {
			t.Fatalf("after the holder was killed: %v", err)
		}
		if err := l.Release(); err != nil {
			t.Fatal(err)
		}
	})
}

// waitSessionsGone waits until no session holds the apply lock of s's
// schema: the server frees a dead client's session when it reads the
// closed connection, shortly after the client died. It waits by taking
// the lock, blocking (pg_advisory_lock), then giving it back.
func waitSessionsGone(t *testing.T, s *Store) {
	t.Helper()
	ctx := context.Background()
	conn, err := s.db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	key := advisoryKey(s.schema, ApplyLock)
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, key); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_unlock($1)`, key); err != nil {
		t.Fatal(err)
	}
}

// TestLockSessionEnded (PostgreSQL): the holder's session ends (its
// connection dropped, the server restarted, an administrator terminated
// it) while the holder lives on. The server freed the lock, so another
// apply takes it; the first one's next journal write fails, and its
// heartbeat finds the lock lost.
func TestLockSessionEnded(t *testing.T) {
	url := postgresURL(t)
	ctx := context.Background()
	a, b := openURL(t, url), openURL(t, url)
	first, err := a.Acquire(ctx, ApplyLock, LockOptions{Host: "jml-0", PID: 100})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.InsertRun(ctx, run("run-1", "leaver", "e1", "u", StatusRunning, t0)); err != nil {
		t.Fatal(err)
	}
	if _, err := b.db.ExecContext(ctx, `SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND classid::bigint = $1 AND objid::bigint = $2`,
		int64(uint64(first.held.(*advisoryLock).key)>>32), int64(uint32(first.held.(*advisoryLock).key))); err != nil {
		t.Fatal(err)
	}
	waitSessionsGone(t, b)
	second, err := b.Acquire(ctx, ApplyLock, LockOptions{Host: "jml-0", PID: 200})
	if err != nil {
		t.Fatalf("after the holder's session ended: %v", err)
	}
	// Before its heartbeat noticed: the fence.
	err = a.BeginCall(ctx, &CallRow{RunID: "run-1", Seq: 1, Card: "steps[0]", Action: "slack.deactivateUser", Attempt: 1, Input: "{}", Status: CallPending, StartedAt: t0})
	if !errors.Is(err, ErrLockLost) || !strings.Contains(err.Error(), "another apply took over") {
		t.Fatalf("journal write of a holder whose session ended: %v; want history lock lost: another apply took over", err)
	}
	if first.Err() == nil {
		t.Fatal("the fence failed a write but the lock is not marked lost")
	}
	if err := first.Release(); err != nil {
		t.Logf("release of a lost lock: %v", err)
	}
	// The old holder's release frees nothing of the new holder's.
	_, err = a.Acquire(ctx, ApplyLock, LockOptions{})
	wantLocked(t, err, "jml-0", 200)
	second.Release()
}

// TestLockLost: a heartbeat that cannot renew the lock marks it lost; the
// holder is told (Err, Lost, its Context), and its next journal write
// fails, so the recorder refuses the next call.
func TestLockLost(t *testing.T) {
	tests := []struct {
		name     string
		backend  string // "" for every back end
		sabotage func(t *testing.T, s, other *Store, l *Lock)
		want     string
	}{
		{name: "another holder's row", sabotage: func(t *testing.T, s, other *Store, l *Lock) {
			mustExec(t, other, `UPDATE locks SET owner = ?, pid = ? WHERE name = ?`, "someone-else", 300, ApplyLock)
		}, want: "history lock lost: another apply took over"},
		{name: "row deleted", sabotage: func(t *testing.T, s, other *Store, l *Lock) {
			mustExec(t, other, `DELETE FROM locks`)
		}, want: "history lock lost: another apply took over"},
		{name: "heartbeat not written", sabotage: func(t *testing.T, s, other *Store, l *Lock) {
			mustExec(t, other, `ALTER TABLE locks RENAME TO locks_gone`)
		}, want: "history lock lost: writing its heartbeat"},
		{name: "lock file removed", backend: "sqlite", sabotage: func(t *testing.T, s, other *Store, l *Lock) {
			if err := os.Remove(s.path + ".lock"); err != nil {
				t.Fatal(err)
			}
		}, want: "history lock lost: its lock file"},
		{name: "session ended", backend: "postgres", sabotage: func(t *testing.T, s, other *Store, l *Lock) {
			l.held.(*advisoryLock).conn.Raw(func(dc any) error {
				return dc.(interface{ Close() error }).Close()
			})
		}, want: "history lock lost: its session with the server"},
	}
	for _, tt := range tests {
		for backend, newURL := range lockBackends() {
			if tt.backend != "" && tt.backend != backend {
				continue
			}
			t.Run(tt.name+"/"+backend, func(t *testing.T) {
				url := newURL(t)
				ctx := context.Background()
				s, other := openURL(t, url), openURL(t, url)
				now := t0
				l, err := s.Acquire(ctx, ApplyLock, LockOptions{Now: func() time.Time { return now }, Host: "jml-0", PID: 100})
				if err != nil {
					t.Fatal(err)
				}
				defer l.Release()
				lctx, stop := l.Context(ctx)
				defer stop()
				if err := s.InsertRun(ctx, run("run-1", "leaver", "e1", "u", StatusRunning, t0)); err != nil {
					t.Fatal(err)
				}
				// A heartbeat that renews writes the injected clock's time.
				now = t0.Add(HeartbeatEvery)
				if err := l.renew(ctx); err != nil {
					t.Fatal(err)
				}
				var beat string
				if err := other.db.QueryRowContext(ctx, other.q(`SELECT heartbeat FROM locks WHERE name = ?`), ApplyLock).Scan(&beat); err != nil || beat != fmtTime(now) {
					t.Fatalf("heartbeat %q, %v; want %s", beat, err, fmtTime(now))
				}

				tt.sabotage(t, s, other, l)
				now = now.Add(HeartbeatEvery)
				err = l.renew(ctx)
				if !errors.Is(err, ErrLockLost) || !strings.Contains(err.Error(), tt.want) {
					t.Fatalf("renew: %v; want %q", err, tt.want)
				}
				if !errors.Is(l.Err(), ErrLockLost) {
					t.Fatalf("Err() = %v after a failed renew", l.Err())
				}
				select {
				case <-l.Lost():
				default:
					t.Fatal("Lost() is not closed")
				}
				<-lctx.Done()
				if cause := context.Cause(lctx); !errors.Is(cause, ErrLockLost) {
					t.Fatalf("the lock's context ended with %v", cause)
				}

				// The journal refuses the next call: the inner effector is
				// never reached.
				rec := NewRecorder(s, nil, nil, "")
				called := false
				eff := rec.Effector(effectorFunc(func(context.Context, effect.Request) (map[string]any, error) {
					called = true
					return map[string]any{}, nil
				}))
				_, err = eff.Do(ctx, effect.Request{RunID: "run-1", Card: "steps[0]", Instance: "slack", Action: "deactivateUser", Attempt: 1})
				var ee *effect.Error
				if !errors.As(err, &ee) || ee.Code != "history" || !strings.Contains(ee.Message, "history lock lost") || called {
					t.Fatalf("call after the lock was lost: %v (called %v); want a history error and no call", err, called)
				}
				// Every write of the holder fails.
				for what, err := range map[string]error{
					"InsertRun":       s.InsertRun(ctx, run("run-2", "leaver", "e2", "u", StatusRunning, t0)),
					"FinishRun":       s.FinishRun(ctx, "run-1", "success", t0, "", "{}"),
					"MarkInterrupted": s.MarkInterrupted(ctx, "run-1"),
				} {
					if !errors.Is(err, ErrLockLost) {
						t.Errorf("%s after the lock was lost: %v", what, err)
					}
				}
			})
		}
	}
}

func mustExec(t *testing.T, s *Store, query string, args ...any) {
	t.Helper()
	if _, err := s.db.ExecContext(context.Background(), s.q(query), args...); err != nil {
		t.Fatal(err)
	}
}

// TestLockFence: a write of a holder that lost its lock, racing the
// takeover, is either made before the takeover or refused; writes of a
// store holding no lock (dry-run --history, jml history) are not fenced.
func TestLockFence(t *testing.T) {
	forEachLockBackend(t, func(t *testing.T, url string) {
		ctx := context.Background()
		a, b, reader := openURL(t, url), openURL(t, url), openURL(t, url)
		first, err := a.Acquire(ctx, ApplyLock, LockOptions{Host: "jml-0", PID: 100})
		if err != nil {
			t.Fatal(err)
		}
		if err := a.InsertRun(ctx, run("run-1", "leaver", "e1", "u", StatusRunning, t0)); err != nil {
			t.Fatal(err)
		}
		// Its lock is lost the way a dead holder's is: b takes over.
		first.held.unlock()
		if _, ok := first.held.(*advisoryLock); ok {
			waitSessionsGone(t, b)
		}
		second, err := b.Acquire(ctx, ApplyLock, LockOptions{Host: "jml-1", PID: 200})
		if err != nil {
			t.Fatal(err)
		}
		defer second.Release()
		if err := a.BeginCall(ctx, &CallRow{RunID: "run-1", Seq: 1, Card: "c", Action: "a.b", Attempt: 1, Input: "{}", Status: CallPending, StartedAt: t0}); !errors.Is(err, ErrLockLost) {
			t.Fatalf("journal write after the takeover: %v", err)
		}
		if calls, _ := reader.Calls(ctx, "run-1"); len(calls) != 0 {
			t.Fatalf("a fenced write was made: %+v", calls)
		}
		// The new holder writes; a store with no lock writes.
		if err := b.MarkInterrupted(ctx, "run-1"); err != nil {
			t.Fatal(err)
		}
		if err := reader.InsertRun(ctx, run("run-2", "leaver", "e2", "u", "success", t0)); err != nil {
			t.Fatal(err)
		}
		if r, err := reader.Run(ctx, "run-1"); err != nil || r.Status != StatusInterrupted {
			t.Fatalf("run-1: %+v, %v", r, err)
		}
	})
}

func TestLockedErrorMessage(t *testing.T) {
	tests := []struct {
		name string
		err  *LockedError
		want string
	}{
		{"holder recorded", &LockedError{Host: "ci-1", PID: 4242, Acquired: t0, Heartbeat: t0.Add(15 * time.Second)},
			"another jml apply or resume is running on this history (pid 4242 on ci-1, since 2026-11-01T09:00:00Z, last heartbeat 2026-11-01T09:00:15Z); wait for it to finish; the lock is freed when it ends or its process dies"},
		{"holder not recorded yet", &LockedError{},
			"another jml apply or resume is running on this history (it has not said who yet); wait for it to finish; the lock is freed when it ends or its process dies"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.err.Error(); got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}
