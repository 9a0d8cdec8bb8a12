package history

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"time"
)

// ApplyLock is the name of the lock an apply or a resume holds: one at a
// time per history, or a second one would take the first one's running
// runs for interrupted ones and resume them.
const ApplyLock = "apply"

// StaleAfter is how long a lock's heartbeat may be silent before another
// process takes the lock over (its holder is presumed gone).
const StaleAfter = 2 * time.Minute

// HeartbeatEvery is how often a held lock's heartbeat is written.
const HeartbeatEvery = 15 * time.Second

// Lock is a lock held in the history.
type Lock struct {
	s      *Store
	name   string
	owner  string
	cancel context.CancelFunc
	done   chan struct{}
}

// LockedError says who holds a lock.
type LockedError struct {
	Host      string
	PID       int
	Acquired  time.Time
	Heartbeat time.Time
}

func (e *LockedError) Error() string {
	return fmt.Sprintf("another jml apply or resume is running on this history (pid %d on %s, since %s, last seen %s); wait for it to finish — a lock whose holder died is taken over after %s, or at once on the same host",
		e.PID, e.Host, e.Acquired.UTC().Format(time.RFC3339), e.Heartbeat.UTC().Format(time.RFC3339), StaleAfter)
}

// LockOptions are for tests: the clock, and how to tell whether a process
// of this host is alive.
type LockOptions struct {
	Now   func() time.Time
	Alive func(pid int) bool
	Host  string
	PID   int
}

func (o *LockOptions) defaults() {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Alive == nil {
		o.Alive = processAlive
	}
	if o.Host == "" {
		o.Host, _ = os.Hostname()
	}
	if o.PID == 0 {
		o.PID = os.Getpid()
	}
}

// Acquire takes the named lock, or returns a *LockedError naming its
// holder. A lock is taken over when its heartbeat is older than StaleAfter,
// or when it was taken on this host by a process that no longer exists
// (killed, crashed). While held, a heartbeat is written every
// HeartbeatEvery until Release.
func (s *Store) Acquire(ctx context.Context, name string, opts LockOptions) (*Lock, error) {
	opts.defaults()
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		return nil, err
	}
	owner := hex.EncodeToString(b)
	now := opts.Now()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	if s.postgres {
		if _, err := tx.ExecContext(ctx, `LOCK TABLE locks IN EXCLUSIVE MODE`); err != nil {
			return nil, err
		}
	}
	var host, acquired, beat string
	var pid int
	err = tx.QueryRowContext(ctx, s.q(`SELECT host, pid, acquired, heartbeat FROM locks WHERE name = ?`), name).Scan(&host, &pid, &acquired, &beat)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO locks (name, owner, host, pid, acquired, heartbeat) VALUES (?, ?, ?, ?, ?, ?)`),
			name, owner, opts.Host, opts.PID, fmtTime(now), fmtTime(now)); err != nil {
			return nil, err
		}
	case err != nil:
		return nil, err
	default:
		stale := now.Sub(parseTime(beat)) > StaleAfter
		dead := host == opts.Host && !opts.Alive(pid)
		if !stale && !dead {
			return nil, &LockedError{Host: host, PID: pid, Acquired: parseTime(acquired), Heartbeat: parseTime(beat)}
		}
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE locks SET owner = ?, host = ?, pid = ?, acquired = ?, heartbeat = ? WHERE name = ?`),
			owner, opts.Host, opts.PID, fmtTime(now), fmtTime(now), name); err != nil {
			return nil, err
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	hctx, cancel := context.WithCancel(context.Background())
	l := &Lock{s: s, name: name, owner: owner, cancel: cancel, done: make(chan struct{})}
	go l.heartbeat(hctx, opts.Now)
	return l, nil
}

func (l *Lock) heartbeat(ctx context.Context, now func() time.Time) {
	defer close(l.done)
	t := time.NewTicker(HeartbeatEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			_, _ = l.s.db.ExecContext(ctx, l.s.q(`UPDATE locks SET heartbeat = ? WHERE name = ? AND owner = ?`), fmtTime(now()), l.name, l.owner)
		}
	}
}

// Release gives the lock up (if it is still this holder's).
func (l *Lock) Release() error {
	if l == nil {
		return nil
	}
	l.cancel()
	<-l.done
	_, err := l.s.db.ExecContext(context.Background(), l.s.q(`DELETE FROM locks WHERE name = ? AND owner = ?`), l.name, l.owner)
	return err
}
