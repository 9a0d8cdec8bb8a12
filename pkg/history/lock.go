package history

import (
	"context"
	"crypto/rand"
	"database/sql"
	"database/sql/driver"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/fnv"
	"os"
	"sync"
	"time"
)

// ApplyLock is the name of the lock an apply or a resume holds: one at a
// time per history, or a second one would take the first one's running
// runs for interrupted ones and resume them.
const ApplyLock = "apply"

// HeartbeatEvery is how often a held lock is checked and its row's
// heartbeat written.
const HeartbeatEvery = 15 * time.Second

// ErrLockLost is the error of a lock its holder no longer holds: its
// session with the server ended, its lock file was replaced, or another
// apply took it over. The holder's writes to the history fail with it, so
// a call is never made after.
var ErrLockLost = errors.New("history lock lost")

// errTakenOver is why a holder's lock row no longer names it.
var errTakenOver = fmt.Errorf("%w: another apply took over", ErrLockLost)

// Lock is a lock held in the history, for as long as its holder lives.
//
// What decides who holds it is the store's own locking, never a process
// id: on PostgreSQL a session-level advisory lock held by a connection of
// its own, which the server frees when the session ends (Release, the
// process dies, the connection drops); on SQLite an exclusive lock on a
// file beside the database (history.db.lock), which the kernel frees when
// the process dies — whatever its PID namespace or host. The row in the
// locks table says who holds it (for the message a second apply gets) and
// is the fencing token: each of the holder's writes checks, in its own
// transaction, that the row still names it.
type Lock struct {
	s     *Store
	name  string
	owner string
	now   func() time.Time
	held  heldLock

	mu       sync.Mutex
	err      error
	lost     chan struct{}
	cancel   context.CancelFunc
	done     chan struct{}
	released sync.Once
}

// heldLock is the store's own lock under a Lock: a locked file, or an
// advisory lock's session.
type heldLock interface {
	// check returns an error when the lock is no longer held.
	check(ctx context.Context) error
	// unlock gives it up.
	unlock() error
}

// LockedError says who holds a lock. Host and PID are who wrote the lock's
// row, for people to read; they decide nothing.
type LockedError struct {
	Host      string
	PID       int
	Acquired  time.Time
	Heartbeat time.Time
}

func (e *LockedError) Error() string {
	const wait = "wait for it to finish; the lock is freed when it ends or its process dies"
	if e.Host == "" && e.PID == 0 {
		return "another jml apply or resume is running on this history (it has not said who yet); " + wait
	}
	return fmt.Sprintf("another jml apply or resume is running on this history (pid %d on %s, since %s, last heartbeat %s); %s",
		e.PID, e.Host, e.Acquired.UTC().Format(time.RFC3339), e.Heartbeat.UTC().Format(time.RFC3339), wait)
}

// LockOptions are for tests: the clock, and the host and pid written in
// the lock's row (for information only).
type LockOptions struct {
	Now  func() time.Time
	Host string
	PID  int
}

func (o *LockOptions) defaults() {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Host == "" {
		o.Host, _ = os.Hostname()
	}
	if o.PID == 0 {
		o.PID = os.Getpid()
	}
}

// Acquire takes the named lock, or returns a *LockedError naming its
// holder. It never waits and never takes a lock over: the lock is free
// once its holder released it or died. While held, it is checked and its
// heartbeat written every HeartbeatEvery until Release; a lock found lost
// is reported by Err, Lost and Context, and fails every later write of
// the holder.
func (s *Store) Acquire(ctx context.Context, name string, opts LockOptions) (*Lock, error) {
	opts.defaults()
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		return nil, err
	}
	var held heldLock
	var err error
	if s.postgres {
		held, err = s.lockAdvisory(ctx, name)
	} else {
		held, err = s.lockFile(name)
	}
	if err != nil {
		return nil, fmt.Errorf("history lock: %w", err)
	}
	if held == nil {
		return nil, s.lockedError(ctx, name)
	}
	l := &Lock{s: s, name: name, owner: hex.EncodeToString(b), now: opts.Now, held: held,
		lost: make(chan struct{}), done: make(chan struct{})}
	// The row is anyone's who holds the store's lock: a row left by a
	// holder that died is overwritten. A lost holder's write waits for
	// this one or fails on it (the fence).
	now := fmtTime(opts.Now())
	if _, err := s.db.ExecContext(ctx, s.q(`INSERT INTO locks (name, owner, host, pid, acquired, heartbeat) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, host = excluded.host, pid = excluded.pid, acquired = excluded.acquired, heartbeat = excluded.heartbeat`),
		name, l.owner, opts.Host, opts.PID, now, now); err != nil {
		held.unlock()
		return nil, fmt.Errorf("history lock: %w", err)
	}
	s.mu.Lock()
	s.holder = l
	s.mu.Unlock()
	hctx, cancel := context.WithCancel(context.Background())
	l.cancel = cancel
	go l.heartbeat(hctx)
	return l, nil
}

// lockedError names the holder of the lock, from its row.
func (s *Store) lockedError(ctx context.Context, name string) error {
	var host, acquired, beat string
	var pid int
	err := s.db.QueryRowContext(ctx, s.q(`SELECT host, pid, acquired, heartbeat FROM locks WHERE name = ?`), name).Scan(&host, &pid, &acquired, &beat)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("history lock: %w", err)
	}
	// No row: the holder has the lock and is about to write it.
	return &LockedError{Host: host, PID: pid, Acquired: parseTime(acquired), Heartbeat: parseTime(beat)}
}

// lockFile takes the SQLite store's lock: the file beside the database.
func (s *Store) lockFile(name string) (heldLock, error) {
	p := s.path + ".lock"
	if name != ApplyLock {
		p = s.path + "." + name + ".lock"
	}
	f, err := lockFile(p)
	if f == nil {
		return nil, err // a nil *fileLock is not a nil heldLock
	}
	return f, err
}

// advisoryKey is the PostgreSQL advisory lock key of a lock name in a
// schema: each schema is a history of its own. Advisory locks are per
// database already.
func advisoryKey(schema, name string) int64 {
	h := fnv.New64a()
	fmt.Fprintf(h, "jml history\x00%s\x00%s", schema, name)
	return int64(h.Sum64())
}

// lockAdvisory takes the PostgreSQL store's lock: a session-level advisory
// lock on a connection of the lock's own, out of the pool until Release.
func (s *Store) lockAdvisory(ctx context.Context, name string) (heldLock, error) {
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	a := &advisoryLock{conn: conn, key: advisoryKey(s.schema, name)}
	var ok bool
	if err := conn.QueryRowContext(ctx, `SELECT pg_try_advisory_lock($1)`, a.key).Scan(&ok); err != nil {
		a.discard()
		return nil, err
	}
	if !ok {
		conn.Close()
		return nil, nil
	}
	return a, nil
}

type advisoryLock struct {
	conn *sql.Conn
	key  int64
}

// check asks the server whether this session still holds the lock (a
// bigint key is classid, objid in pg_locks).
func (a *advisoryLock) check(ctx context.Context) error {
	var held bool
	err := a.conn.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid() AND granted
		AND objsubid = 1 AND classid::bigint = $1 AND objid::bigint = $2)`, int64(uint64(a.key)>>32), int64(uint32(a.key))).Scan(&held)
	switch {
	case err != nil:
		return fmt.Errorf("%w: its session with the server: %v", ErrLockLost, err)
	case !held:
		return fmt.Errorf("%w: the server no longer holds it for this session", ErrLockLost)
	}
	return nil
}

func (a *advisoryLock) unlock() error {
	_, err := a.conn.ExecContext(context.Background(), `SELECT pg_advisory_unlock($1)`, a.key)
	if err != nil {
		// The session may still hold it: end the session.
		a.discard()
		return err
	}
	return a.conn.Close()
}

// discard closes the lock's connection instead of returning it to the
// pool, which ends its session and frees whatever it holds.
func (a *advisoryLock) discard() {
	a.conn.Raw(func(any) error { return driver.ErrBadConn })
	a.conn.Close()
}

func (l *Lock) heartbeat(ctx context.Context) {
	defer close(l.done)
	t := time.NewTicker(HeartbeatEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if l.renew(ctx) != nil {
				return
			}
		}
	}
}

// renew checks that the lock is still held and writes its heartbeat; when
// it cannot, the lock is lost.
func (l *Lock) renew(ctx context.Context) error {
	if err := l.Err(); err != nil {
		return err
	}
	if err := l.held.check(ctx); err != nil {
		if ctx.Err() != nil {
			return err // released meanwhile
		}
		return l.lose(err)
	}
	res, err := l.s.db.ExecContext(ctx, l.s.q(`UPDATE locks SET heartbeat = ? WHERE name = ? AND owner = ?`), fmtTime(l.now()), l.name, l.owner)
	if err != nil {
		if ctx.Err() != nil {
			return err // released meanwhile
		}
		return l.lose(fmt.Errorf("%w: writing its heartbeat: %v", ErrLockLost, err))
	}
	if n, err := res.RowsAffected(); err == nil && n != 1 {
		return l.lose(errTakenOver)
	}
	return nil
}

// fence is the check every write of the holder makes, in the write's
// transaction: the lock's row still names this holder. On PostgreSQL the
// row is locked too, so a takeover waits for the write or the write sees
// the takeover; on SQLite the transaction holds the database's one write
// lock.
func (l *Lock) fence(ctx context.Context, tx *sql.Tx) error {
	if err := l.Err(); err != nil {
		return err
	}
	query := `SELECT owner FROM locks WHERE name = ?`
	if l.s.postgres {
		query += ` FOR SHARE`
	}
	var owner string
	err := tx.QueryRowContext(ctx, l.s.q(query), l.name).Scan(&owner)
	switch {
	case errors.Is(err, sql.ErrNoRows) || (err == nil && owner != l.owner):
		return l.lose(errTakenOver)
	case err != nil:
		return err
	}
	return nil
}

// lose records that the lock is lost, once, and returns why.
func (l *Lock) lose(err error) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.err == nil {
		l.err = err
		close(l.lost)
	}
	return l.err
}

// Err returns why the lock was lost (an error wrapping ErrLockLost), or
// nil while it is held.
func (l *Lock) Err() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.err
}

// Lost is closed when the lock is lost.
func (l *Lock) Lost() <-chan struct{} { return l.lost }

// Context returns a context derived from parent that is cancelled, with
// Err as its cause, when the lock is lost: what runs under the lock stops
// before its next card.
func (l *Lock) Context(parent context.Context) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancelCause(parent)
	go func() {
		select {
		case <-l.lost:
			cancel(l.Err())
		case <-ctx.Done():
		}
	}()
	return ctx, func() { cancel(nil) }
}

// Release gives the lock up: its row (if it still names this holder),
// then the store's lock. Releasing twice does nothing.
func (l *Lock) Release() error {
	if l == nil {
		return nil
	}
	var err error
	l.released.Do(func() {
		l.cancel()
		<-l.done
		l.s.mu.Lock()
		if l.s.holder == l {
			l.s.holder = nil
		}
		l.s.mu.Unlock()
		_, err = l.s.db.ExecContext(context.Background(), l.s.q(`DELETE FROM locks WHERE name = ? AND owner = ?`), l.name, l.owner)
		if uerr := l.held.unlock(); err == nil {
			err = uerr
		}
	})
	return err
}
