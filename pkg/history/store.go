package history

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver
	_ "modernc.org/sqlite"             // the "sqlite" database/sql driver

	"github.com/jml-dev/jml/pkg/source"
)

// DefaultURL is the history store when jml.yaml names none.
const DefaultURL = "sqlite://.jml/history.db"

// timeLayout is how times are stored: UTC with a fixed-width fraction, so
// that text order is time order in both back ends.
const timeLayout = "2006-01-02T15:04:05.000000000Z"

func fmtTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(timeLayout)
}

func parseTime(s string) time.Time {
	t, _ := time.Parse(timeLayout, s)
	return t
}

// Store is a history database: SQLite or PostgreSQL.
type Store struct {
	db       *sql.DB
	postgres bool
	// path is the SQLite file; schema the PostgreSQL schema the store's
	// tables are in (each schema is a history of its own).
	path   string
	schema string
	// Where names the store for messages, without credentials.
	Where string

	mu sync.Mutex
	// holder is the lock this store holds, if any: its writes are fenced
	// by it (write).
	holder *Lock
	// batch group-commits the writes (write).
	batch writeBatch
}

// SQLiteFile is the file of a sqlite: history URL ("" when it names
// none), a relative path resolved against baseDir; ok is false for a URL
// of another kind. The default URL ("") is a SQLite file.
func SQLiteFile(rawURL, baseDir string) (path string, ok bool) {
	if rawURL == "" {
		rawURL = DefaultURL
	}
	if !strings.HasPrefix(rawURL, "sqlite:") {
		return "", false
	}
	p := strings.TrimPrefix(strings.TrimPrefix(rawURL, "sqlite:"), "//")
	if p != "" && !filepath.IsAbs(p) && baseDir != "" {
		p = filepath.Join(baseDir, p)
	}
	return p, true
}

// Open opens (creating it if needed) the store at rawURL and applies the
// pending migrations. A relative sqlite path is relative to baseDir (the
// directory of jml.yaml).
func Open(ctx context.Context, rawURL, baseDir string) (*Store, error) {
	if rawURL == "" {
		rawURL = DefaultURL
	}
	var s *Store
	switch {
	case strings.HasPrefix(rawURL, "sqlite://"), strings.HasPrefix(rawURL, "sqlite:"):
		p, _ := SQLiteFile(rawURL, baseDir)
		if p == "" {
			return nil, fmt.Errorf("history URL %q names no file (sqlite://PATH)", rawURL)
		}
		// The history holds every run's inputs and outputs (logins,
		// profiles, tickets): the directory is the owner's alone (0700),
		// the database file too (0600; SQLite gives its -wal and -shm
		// files the same mode).
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			return nil, fmt.Errorf("history: %v", err)
		}
		if f, err := os.OpenFile(p, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600); err == nil {
			f.Close()
		} else if !errors.Is(err, fs.ErrExist) {
			return nil, fmt.Errorf("history: %v", err)
		}
		// busy_timeout makes concurrent writers wait instead of failing,
		// and comes first: switching a new file to WAL takes its lock
		// too, and two processes opening it at once must wait for each
		// other. WAL lets readers (jml history) work while an apply
		// writes; _txlock=immediate takes the write lock at BEGIN, so two
		// transactions never deadlock upgrading a read lock (and two
		// processes migrating a new file run one after the other).
		dsn := "file:" + p + "?_pragma=busy_timeout(30000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)&_txlock=immediate"
		db, err := sql.Open("sqlite", dsn)
		if err != nil {
			return nil, fmt.Errorf("history %s: %v", p, err)
		}
		// One connection: SQLite has one writer anyway, and this keeps
		// every write in order without SQLITE_BUSY.
		db.SetMaxOpenConns(1)
		s = &Store{db: db, path: p, Where: p}
	case strings.HasPrefix(rawURL, "postgres://"), strings.HasPrefix(rawURL, "postgresql://"):
		db, err := sql.Open("pgx", rawURL)
		if err != nil {
			return nil, fmt.Errorf("history %s: %v", redactURL(rawURL), err)
		}
		db.SetMaxOpenConns(8)
		s = &Store{db: db, postgres: true, Where: redactURL(rawURL)}
		// The schema names the advisory locks: taken before the tables
		// exist, they cannot live in them.
		if err := db.QueryRowContext(ctx, `SELECT COALESCE(current_schema(), '')`).Scan(&s.schema); err != nil {
			db.Close()
			return nil, fmt.Errorf("history %s: %v", s.Where, err)
		}
	default:
		return nil, fmt.Errorf("history URL %q: use sqlite://PATH or postgres://…", redactURL(rawURL))
	}
	if err := s.migrate(ctx); err != nil {
		s.db.Close()
		return nil, fmt.Errorf("history %s: %v", s.Where, err)
	}
	return s, nil
}

// redactURL hides the passwords of a database URL, in its userinfo and in
// its query (?password=, ?sslpassword=), even when it does not parse.
func redactURL(raw string) string { return source.RedactURL(raw) }

// Close releases the lock the store holds, if any, and closes the
// database.
func (s *Store) Close() error {
	s.mu.Lock()
	l := s.holder
	s.mu.Unlock()
	l.Release()
	return s.db.Close()
}

// q rewrites ? placeholders as $1, $2… for PostgreSQL.
func (s *Store) q(query string) string {
	if !s.postgres {
		return query
	}
	var b strings.Builder
	n := 0
	for _, r := range query {
		if r == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// migrations are applied in order, each once, in a transaction; the
// version applied is recorded in schema_migrations. Never edit one that
// has shipped: add the next.
var migrations = []string{
	// 1: runs and the call journal.
	`CREATE TABLE runs (
		id           TEXT PRIMARY KEY,
		flow         TEXT NOT NULL,
		event_uuid   TEXT NOT NULL DEFAULT '',
		event_type   TEXT NOT NULL DEFAULT '',
		user_login   TEXT NOT NULL DEFAULT '',
		user_id      TEXT NOT NULL DEFAULT '',
		mode         TEXT NOT NULL,
		status       TEXT NOT NULL,
		started_at   TEXT NOT NULL,
		ended_at     TEXT NOT NULL DEFAULT '',
		resumed_from TEXT NOT NULL DEFAULT '',
		error        TEXT NOT NULL DEFAULT '',
		event        TEXT NOT NULL DEFAULT '',
		trace        TEXT NOT NULL DEFAULT '',
		digest       TEXT NOT NULL DEFAULT ''
	);
	CREATE INDEX runs_event_flow ON runs (event_uuid, flow);
	CREATE INDEX runs_started ON runs (started_at);
	CREATE TABLE calls (
		run_id          TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
		seq             INTEGER NOT NULL,
		card            TEXT NOT NULL,
		action          TEXT NOT NULL,
		attempt         INTEGER NOT NULL,
		idempotency_key TEXT NOT NULL,
		input           TEXT NOT NULL,
		status          TEXT NOT NULL,
		output          TEXT NOT NULL DEFAULT '',
		error           TEXT NOT NULL DEFAULT '',
		reused_from     TEXT NOT NULL DEFAULT '',
		started_at      TEXT NOT NULL,
		duration_ns     BIGINT NOT NULL DEFAULT 0,
		PRIMARY KEY (run_id, seq)
	)`,
	// 2: the lock one apply (or resume) holds while it runs.
	`CREATE TABLE locks (
		name      TEXT PRIMARY KEY,
		owner     TEXT NOT NULL,
		host      TEXT NOT NULL,
		pid       INTEGER NOT NULL,
		acquired  TEXT NOT NULL,
		heartbeat TEXT NOT NULL
	)`,
	// 3: the RowFormat of each row's JSON (wire.go); the rows written
	// before are format 1.
	`ALTER TABLE runs ADD COLUMN row_format INTEGER NOT NULL DEFAULT 1;
	ALTER TABLE calls ADD COLUMN row_format INTEGER NOT NULL DEFAULT 1`,
	// 4: the events jml serve received and acknowledged, each once by
	// uuid, until they are applied (queue.go).
	`CREATE TABLE event_queue (
		uuid        TEXT PRIMARY KEY,
		event_type  TEXT NOT NULL,
		published   TEXT NOT NULL DEFAULT '',
		user_key    TEXT NOT NULL DEFAULT '',
		event       TEXT NOT NULL,
		status      TEXT NOT NULL,
		received_at TEXT NOT NULL,
		updated_at  TEXT NOT NULL,
		admitted_at TEXT NOT NULL DEFAULT '',
		approved    INTEGER NOT NULL DEFAULT 0,
		people      TEXT NOT NULL DEFAULT '',
		detail      TEXT NOT NULL DEFAULT ''
	);
	CREATE INDEX event_queue_status ON event_queue (status, published, received_at);
	CREATE INDEX event_queue_admitted ON event_queue (admitted_at)`,
	// 5: the reads of the web view (query.go): runs newest first under
	// each filter, a page at a time after a (started_at, id) cursor, and
	// counted by status and day; the calls of a period, timed by flow and
	// card without reading the runs (calls.flow, the run's flow, filled in
	// for the calls recorded before); and the latest jml verify of each
	// user (verify.go).
	`CREATE INDEX runs_started_id ON runs (started_at, id, status);
	CREATE INDEX runs_flow_started ON runs (flow, started_at, id);
	CREATE INDEX runs_status_started ON runs (status, started_at, id);
	CREATE INDEX runs_type_started ON runs (event_type, started_at, id);
	CREATE INDEX runs_login_started ON runs (LOWER(user_login), started_at, id);
	CREATE INDEX runs_userid_started ON runs (user_id, started_at, id);
	CREATE INDEX runs_resumed_from ON runs (resumed_from);
	ALTER TABLE calls ADD COLUMN flow TEXT NOT NULL DEFAULT '';
	UPDATE calls SET flow = COALESCE((SELECT runs.flow FROM runs WHERE runs.id = calls.run_id), '');
	CREATE INDEX calls_started ON calls (started_at, status, flow, card, action, duration_ns);
	CREATE TABLE verify_results (
		user_key   TEXT PRIMARY KEY,
		user_login TEXT NOT NULL DEFAULT '',
		user_id    TEXT NOT NULL DEFAULT '',
		checked_at TEXT NOT NULL,
		source     TEXT NOT NULL DEFAULT '',
		result     TEXT NOT NULL,
		row_format INTEGER NOT NULL DEFAULT 1
	);
	CREATE INDEX verify_results_login ON verify_results (LOWER(user_login));
	CREATE INDEX verify_results_id ON verify_results (user_id)`,
	// 6: the per-day totals of the web view's overview (rollup.go),
	// filled from the runs and calls stored before.
	rollupMigration(),
	// 7: the run that resumed a run (ResumedBy), found by the index
	// whatever the plan: PostgreSQL's generic plan of a prepared
	// statement took resumed_from = $1 for the common '' and walked every
	// run newest first (100 ms on 100,000 runs).
	`DROP INDEX runs_resumed_from;
	CREATE INDEX runs_resumed_from ON runs (resumed_from, started_at, id)`,
	// 8: a run found by a prefix of its id (history show, resume, the web
	// view's /runs/PREFIX) and the next free id (NewRunID) read the ids
	// as a byte-ordered range. SQLite's primary key is in that order;
	// PostgreSQL's follows the database's collation, which neither a
	// prefix range nor LIKE can use, so it gets an index in "C" order
	// (0.35-1.3 s a lookup on 100,000 runs without it).
	postgresOnly + `
	CREATE INDEX runs_id_bytes ON runs ((id COLLATE "C"))`,
	// 9: the Temporal workflow that ran a run (jml worker): its id and
	// run id, '' for a run jml ran itself.
	`ALTER TABLE runs ADD COLUMN workflow_id TEXT NOT NULL DEFAULT '';
	ALTER TABLE runs ADD COLUMN workflow_run_id TEXT NOT NULL DEFAULT ''`,
	// 10: the rows of the table connectors' tables (tables.go): data is
	// the row's columns as a JSON object.
	`CREATE TABLE table_rows (
		instance TEXT NOT NULL,
		tbl      TEXT NOT NULL,
		id       TEXT NOT NULL,
		data     TEXT NOT NULL,
		created  TEXT NOT NULL,
		updated  TEXT NOT NULL,
		PRIMARY KEY (instance, tbl, id)
	);
	CREATE INDEX table_rows_created ON table_rows (instance, tbl, created, id)`,
}

// postgresOnly starts a migration statement that SQLite skips.
const postgresOnly = "-- postgres only"

// migrate applies the pending migrations, with the bootstrap of
// schema_migrations, in one transaction that holds the store's migration
// lock: on PostgreSQL a transaction-level advisory lock (the tables it
// would lock may not exist yet), on SQLite the write lock BEGIN IMMEDIATE
// takes. Processes opening a new store at once run it one after the other;
// the later ones find nothing to do.
func (s *Store) migrate(ctx context.Context) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if s.postgres {
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, advisoryKey(s.schema, "\x00migrate")); err != nil {
			return err
		}
	}
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)`); err != nil {
		return err
	}
	var applied sql.NullInt64
	if err := tx.QueryRowContext(ctx, `SELECT MAX(version) FROM schema_migrations`).Scan(&applied); err != nil {
		return err
	}
	if int(applied.Int64) >= len(migrations) {
		return nil // nothing to write: the transaction is rolled back
	}
	for i, m := range migrations {
		v := i + 1
		if v <= int(applied.Int64) {
			continue
		}
		for _, stmt := range strings.Split(m, ";") {
			stmt = strings.TrimSpace(stmt)
			if stmt == "" {
				continue
			}
			if rest, ok := strings.CutPrefix(stmt, postgresOnly); ok {
				if !s.postgres {
					continue
				}
				stmt = rest
			}
			if _, err := tx.ExecContext(ctx, stmt); err != nil {
				return fmt.Errorf("migration %d: %v", v, err)
			}
		}
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)`), v, fmtTime(time.Now())); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// Version returns the schema version applied.
func (s *Store) Version(ctx context.Context) (int, error) {
	var v sql.NullInt64
	err := s.db.QueryRowContext(ctx, `SELECT MAX(version) FROM schema_migrations`).Scan(&v)
	return int(v.Int64), err
}

// Run statuses beyond the engine's: a run being recorded (or whose
// process died before it ended), and such a run once a later run took it
// over (resume, or apply converging).
const (
	StatusRunning     = "running"
	StatusInterrupted = "interrupted"
)

// Call statuses.
const (
	CallPending = "pending"
	CallSuccess = "success"
	CallFailed  = "failed"
	CallReused  = "reused"
)

// RunRow is one run as stored.
type RunRow struct {
	ID          string    `json:"id"`
	Flow        string    `json:"flow"`
	Event       string    `json:"event"`
	EventType   string    `json:"eventType"`
	User        string    `json:"user"`
	UserID      string    `json:"userId,omitempty"`
	Status      string    `json:"status"`
	Mode        string    `json:"mode"`
	StartedAt   time.Time `json:"startedAt"`
	EndedAt     time.Time `json:"endedAt"`
	ResumedFrom string    `json:"resumedFrom"`
	// Error is the run's error, an ErrorRecord as JSON ("" when none):
	// see DecodeError.
	Error string `json:"-"`
	// EventJSON is the triggering event (Okta's LogEvent); Trace the
	// finished run, a TraceRecord as JSON: see DecodeTrace.
	EventJSON string `json:"-"`
	Trace     string `json:"-"`
	Digest    string `json:"-"`
	// Format is the RowFormat the row's JSON was written in (InsertRun
	// and FinishRun write RowFormat).
	Format int `json:"-"`
	// WorkflowID and WorkflowRunID name the Temporal workflow execution
	// that ran the run (jml worker); "" for a run jml ran itself.
	WorkflowID    string `json:"workflowId,omitempty"`
	WorkflowRunID string `json:"workflowRunId,omitempty"`
}

// Finished reports whether the run ended as a success or filtered run:
// nothing is left to do for its (event, flow).
func (r *RunRow) Finished() bool { return r.Status == "success" || r.Status == "filtered" }

// HeldByWorkflow returns an error saying so when the run is running on
// Temporal: its workflow, not this process, continues it, so that no
// apply or resume may take it over (nil otherwise). A run whose workflow
// was terminated stays running; jml apply --force starts it again.
func (r *RunRow) HeldByWorkflow() error {
	if r.WorkflowID == "" || r.Status != StatusRunning {
		return nil
	}
	return fmt.Errorf("run %s is running on Temporal (workflow %s): its workflow continues it, not this jml; if that workflow was terminated, jml apply --force EVENTS --flow %s runs the flow again", r.ID, r.WorkflowID, r.Flow)
}

// CallRow is one journal entry: one try of one connector call.
type CallRow struct {
	RunID string `json:"runId"`
	// Flow is the run's flow ("" in a row an older jml wrote).
	Flow           string `json:"-"`
	Seq            int    `json:"seq"`
	Card           string `json:"card"`
	Action         string `json:"action"`
	Attempt        int    `json:"attempt"`
	IdempotencyKey string `json:"idempotencyKey"`
	// Input and Output are the values sent and answered, as JSON; Error
	// a CallError as JSON (see DecodeError).
	Input      string        `json:"input"`
	Status     string        `json:"status"`
	Output     string        `json:"output,omitempty"`
	Error      string        `json:"error,omitempty"`
	ReusedFrom string        `json:"reusedFrom,omitempty"`
	StartedAt  time.Time     `json:"startedAt"`
	Duration   time.Duration `json:"duration"`
	// Format is the RowFormat the row's JSON was written in (BeginCall
	// writes RowFormat).
	Format int `json:"-"`
}

// write makes one of the writes of an apply, and returns once it is
// committed: when the store holds a lock, only while the lock is still
// this store's (Lock.fence, in the same transaction), so a holder that
// lost its lock writes nothing more — and, the journal being written
// first, calls nothing more.
//
// Writes are group-committed: the writes that arrive while a transaction
// commits wait, and go together in the next one (one fence, one commit).
// Each caller still returns only once its own write is committed, so the
// journal's rule holds unchanged: a call's entry is stored before the call
// is made, its outcome before the run goes on. A batch whose transaction
// fails is written again one write per transaction, so that one bad write
// (a duplicate run id, a broken foreign key) fails alone.
func (s *Store) write(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return s.enqueue(ctx, &pendingWrite{query: s.q(query), args: args})
}

// writeRollup is write for a write of a run or a call that changes the
// per-day totals too (rollup.go): fn makes both in the group's
// transaction.
func (s *Store) writeRollup(ctx context.Context, fn writeFn) (sql.Result, error) {
	return s.enqueue(ctx, &pendingWrite{fn: fn})
}

func (s *Store) enqueue(ctx context.Context, w *pendingWrite) (sql.Result, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	w.wake = make(chan struct{})
	s.batch.Lock()
	s.batch.queue = append(s.batch.queue, w)
	if s.batch.queued != nil {
		s.batch.queued(len(s.batch.queue))
	}
	if s.batch.leading {
		s.batch.Unlock()
		<-w.wake
		if !w.lead {
			return w.res, w.err
		}
		s.batch.Lock()
	}
	s.batch.leading = true
	// This writer leads: it commits every write queued so far, its own
	// among them, and hands the lead to the first writer that arrived
	// meanwhile.
	group := s.batch.queue
	s.batch.queue = nil
	s.batch.Unlock()
	s.commit(group)
	s.batch.Lock()
	if len(s.batch.queue) > 0 {
		next := s.batch.queue[0]
		next.lead = true
		close(next.wake)
	} else {
		s.batch.leading = false
	}
	s.batch.Unlock()
	return w.res, w.err
}

// pendingWrite is one write waiting for its group's commit.
type pendingWrite struct {
	query string
	args  []any
	// fn, when set, makes the write instead of query; it changes the
	// per-day totals (rollup.go) unless plain.
	fn    func(context.Context, *sql.Tx) (sql.Result, error)
	plain bool
	res   sql.Result
	err   error
	// wake is closed when the write is committed (or failed), or when
	// its writer is to lead the next group (lead set).
	wake chan struct{}
	lead bool
}

// writeBatch is the queue of writes waiting for the next commit.
type writeBatch struct {
	sync.Mutex
	queue   []*pendingWrite
	leading bool
	// commits counts the transactions committed (tests).
	commits int
	// Tests only: queued, when set, is called (under the lock: it must
	// not block) with the queue's length when a write joins it;
	// beforeCommit with each group's size before its transaction commits
	// (a crash point between groups).
	queued       func(n int)
	beforeCommit func(n int)
}

// commit writes a group in one transaction and wakes its writers (but a
// writer woken to lead, which is not waiting). It runs without the
// writers' contexts: once queued, a write is made or fails, like the
// journal entry of a call that has happened.
func (s *Store) commit(group []*pendingWrite) {
	err := s.commitTx(group)
	for _, w := range group {
		if err == nil {
			break
		}
		w.res = nil
		if len(group) > 1 && !errors.Is(err, ErrLockLost) {
			w.err = s.commitTx([]*pendingWrite{w})
		} else {
			w.err = err
		}
	}
	for _, w := range group {
		if !w.lead {
			select {
			case <-w.wake:
			default:
				close(w.wake)
			}
		}
	}
}

// commitTx makes the writes of group in one transaction, fenced by the
// lock the store holds; each write's result is set on success.
func (s *Store) commitTx(group []*pendingWrite) error {
	ctx := context.Background()
	s.mu.Lock()
	l := s.holder
	s.mu.Unlock()
	if l != nil {
		if err := l.Err(); err != nil {
			return err
		}
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if l != nil {
		if err := l.fence(ctx, tx); err != nil {
			return err
		}
	}
	for _, w := range group {
		if w.fn != nil && !w.plain {
			if err := s.lockRollups(ctx, tx); err != nil {
				return err
			}
			break
		}
	}
	for _, w := range group {
		var res sql.Result
		var err error
		if w.fn != nil {
			res, err = w.fn(ctx, tx)
		} else {
			res, err = tx.ExecContext(ctx, w.query, w.args...)
		}
		if err != nil {
			return err
		}
		w.res = res
	}
	s.batch.Lock()
	hook := s.batch.beforeCommit
	s.batch.Unlock()
	if hook != nil {
		hook(len(group))
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	s.batch.Lock()
	s.batch.commits++
	s.batch.Unlock()
	return nil
}

// InsertRun records a run that starts.
func (s *Store) InsertRun(ctx context.Context, r *RunRow) error {
	_, err := s.writeRollup(ctx, s.runInserted(r, `INSERT INTO runs (id, flow, event_uuid, event_type, user_login, user_id, mode, status, started_at, ended_at, resumed_from, error, event, trace, digest, row_format, workflow_id, workflow_run_id)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		r.ID, r.Flow, r.Event, r.EventType, r.User, r.UserID, r.Mode, r.Status, fmtTime(r.StartedAt), fmtTime(r.EndedAt), r.ResumedFrom, r.Error, r.EventJSON, r.Trace, r.Digest, RowFormat, r.WorkflowID, r.WorkflowRunID))
	return err
}

// FinishRun records how a run ended.
func (s *Store) FinishRun(ctx context.Context, id, status string, ended time.Time, errJSON, trace string) error {
	res, err := s.writeRollup(ctx, s.runStatus(id, status, "", `UPDATE runs SET status = ?, ended_at = ?, error = ?, trace = ?, row_format = ? WHERE id = ?`, status, fmtTime(ended), errJSON, trace, RowFormat, id))
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return fmt.Errorf("run %s is not in the history", id)
	}
	return nil
}

// BeginCall writes the journal entry of a call about to be made. A call
// whose Seq is 0 is placed by the store, in the transaction that writes
// it: the run's next sequence number, and the run's flow — for a run whose
// calls several processes journal (the activities of a Temporal workflow,
// on any worker), where no one process counts them. BeginCall sets c.Seq
// and c.Flow.
func (s *Store) BeginCall(ctx context.Context, c *CallRow) error {
	place := c.Seq == 0
	_, err := s.writeRollup(ctx, func(ctx context.Context, tx *sql.Tx) (sql.Result, error) {
		if place {
			// Every write of a call holds the store's rollup lock on
			// PostgreSQL (lockRollups), SQLite's write lock on SQLite:
			// no other transaction takes the same number meanwhile.
			if err := tx.QueryRowContext(ctx, s.q(`SELECT COALESCE(MAX(seq), 0) + 1 FROM calls WHERE run_id = ?`), c.RunID).Scan(&c.Seq); err != nil {
				return nil, err
			}
			if err := tx.QueryRowContext(ctx, s.q(`SELECT flow FROM runs WHERE id = ?`), c.RunID).Scan(&c.Flow); err != nil {
				if errors.Is(err, sql.ErrNoRows) {
					return nil, fmt.Errorf("run %s is not in the history", c.RunID)
				}
				return nil, err
			}
		}
		return s.callInserted(c, `INSERT INTO calls (run_id, seq, card, action, attempt, idempotency_key, input, status, output, error, reused_from, started_at, duration_ns, row_format, flow)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			c.RunID, c.Seq, c.Card, c.Action, c.Attempt, c.IdempotencyKey, c.Input, c.Status, c.Output, c.Error, c.ReusedFrom, fmtTime(c.StartedAt), int64(c.Duration), RowFormat, c.Flow)(ctx, tx)
	})
	return err
}

// EndCall records a call's outcome.
func (s *Store) EndCall(ctx context.Context, c *CallRow) error {
	_, err := s.writeRollup(ctx, s.callOutcome(c, `UPDATE calls SET status = ?, output = ?, error = ?, duration_ns = ? WHERE run_id = ? AND seq = ?`,
		c.Status, c.Output, c.Error, int64(c.Duration), c.RunID, c.Seq))
	return err
}

const runColumns = `id, flow, event_uuid, event_type, user_login, user_id, mode, status, started_at, ended_at, resumed_from, error, event, trace, digest, row_format, workflow_id, workflow_run_id`

func scanRun(sc interface{ Scan(...any) error }) (*RunRow, error) {
	var r RunRow
	var started, ended string
	if err := sc.Scan(&r.ID, &r.Flow, &r.Event, &r.EventType, &r.User, &r.UserID, &r.Mode, &r.Status, &started, &ended, &r.ResumedFrom, &r.Error, &r.EventJSON, &r.Trace, &r.Digest, &r.Format, &r.WorkflowID, &r.WorkflowRunID); err != nil {
		return nil, err
	}
	r.StartedAt, r.EndedAt = parseTime(started), parseTime(ended)
	return &r, nil
}

// Filter selects runs.
type Filter struct {
	Flow, Status, Event, User, Mode string
	Since                           time.Time
	// Limit bounds the number of runs (0: all).
	Limit int
}

// Runs lists runs, newest first.
func (s *Store) Runs(ctx context.Context, f Filter) ([]*RunRow, error) {
	var where []string
	var args []any
	add := func(cond string, v any) {
		where = append(where, cond)
		args = append(args, v)
	}
	if f.Flow != "" {
		add("flow = ?", f.Flow)
	}
	if f.Status != "" {
		add("status = ?", f.Status)
	}
	if f.Event != "" {
		add("event_uuid = ?", f.Event)
	}
	if f.User != "" {
		add("(LOWER(user_login) = LOWER(?) OR user_id = ?)", f.User)
		args = append(args, f.User)
	}
	if f.Mode != "" {
		add("mode = ?", f.Mode)
	}
	if !f.Since.IsZero() {
		add("started_at >= ?", fmtTime(f.Since))
	}
	query := `SELECT ` + runColumns + ` FROM runs`
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	query += " ORDER BY started_at DESC, id DESC"
	if f.Limit > 0 {
		query += " LIMIT " + strconv.Itoa(f.Limit)
	}
	rows, err := s.db.QueryContext(ctx, s.q(query), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []*RunRow{}
	for rows.Next() {
		r, err := scanRun(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// ErrNotFound is returned for a run the history does not hold.
var ErrNotFound = errors.New("no such run in the history")

// ErrAmbiguous is returned for a run id prefix more than one run starts
// with.
var ErrAmbiguous = errors.New("more than one run starts with that; give more of the id")

// Run returns one run by id, or by a unique prefix of its id.
func (s *Store) Run(ctx context.Context, id string) (*RunRow, error) {
	r, err := scanRun(s.db.QueryRowContext(ctx, s.q(`SELECT `+runColumns+` FROM runs WHERE id = ?`), id))
	if err == nil {
		return r, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return nil, err
	}
	byID := s.idBytes()
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT `+runColumns+` FROM runs WHERE `+byID+` >= ? AND `+byID+` < ? ORDER BY `+byID+` LIMIT 2`), id, prefixEnd(id))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var found []*RunRow
	for rows.Next() {
		r, err := scanRun(rows)
		if err != nil {
			return nil, err
		}
		found = append(found, r)
	}
	switch len(found) {
	case 0:
		return nil, fmt.Errorf("run %s: %w", id, ErrNotFound)
	case 1:
		return found[0], nil
	}
	return nil, fmt.Errorf("run %s: %w", id, ErrAmbiguous)
}

// idBytes is the run id column compared byte by byte, as a prefix range
// needs: PostgreSQL's text follows the database's collation, in which the
// ids starting with a prefix need not sit together (migration 8 indexes
// this expression); SQLite compares text as bytes already.
func (s *Store) idBytes() string {
	if s.postgres {
		return `(id COLLATE "C")`
	}
	return "id"
}

// prefixEnd is the least string above every string that starts with p, in
// byte order (U+10FFFF is the largest code point; no id holds it).
func prefixEnd(p string) string { return p + "\U0010FFFF" }

// Calls returns a run's journal, in order.
func (s *Store) Calls(ctx context.Context, runID string) ([]*CallRow, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT run_id, flow, seq, card, action, attempt, idempotency_key, input, status, output, error, reused_from, started_at, duration_ns, row_format
		FROM calls WHERE run_id = ? ORDER BY seq`), runID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*CallRow
	for rows.Next() {
		var c CallRow
		var started string
		var dur int64
		if err := rows.Scan(&c.RunID, &c.Flow, &c.Seq, &c.Card, &c.Action, &c.Attempt, &c.IdempotencyKey, &c.Input, &c.Status, &c.Output, &c.Error, &c.ReusedFrom, &started, &dur, &c.Format); err != nil {
			return nil, err
		}
		c.StartedAt, c.Duration = parseTime(started), time.Duration(dur)
		out = append(out, &c)
	}
	return out, rows.Err()
}

// Latest returns the newest run of flow for an event in mode, or nil.
func (s *Store) Latest(ctx context.Context, eventUUID, flow, mode string) (*RunRow, error) {
	r, err := scanRun(s.db.QueryRowContext(ctx, s.q(`SELECT `+runColumns+` FROM runs WHERE event_uuid = ? AND flow = ? AND mode = ? ORDER BY started_at DESC, id DESC LIMIT 1`), eventUUID, flow, mode))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	return r, err
}

// NewRunID returns base if no run has that id yet, else base-2, base-3…
func (s *Store) NewRunID(ctx context.Context, base string) (string, error) {
	var n int
	byID := s.idBytes()
	if err := s.db.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM runs WHERE id = ? OR (`+byID+` >= ? AND `+byID+` < ?)`), base, base+"-", prefixEnd(base+"-")).Scan(&n); err != nil {
		return "", err
	}
	if n == 0 {
		return base, nil
	}
	for i := n + 1; ; i++ {
		id := fmt.Sprintf("%s-%d", base, i)
		var m int
		if err := s.db.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM runs WHERE id = ?`), id).Scan(&m); err != nil {
			return "", err
		}
		if m == 0 {
			return id, nil
		}
	}
}

// Done is a call an earlier run made successfully: its outputs, and the
// run that made it.
type Done struct {
	Action string
	Output string
	RunID  string
}

// Reusable returns, by card path, the calls that succeeded in run id and
// in the runs it resumed (the newest record of a card wins): what a resume
// of run id must not call again.
func (s *Store) Reusable(ctx context.Context, id string) (map[string]Done, error) {
	out := map[string]Done{}
	seen := map[string]bool{}
	for id != "" && !seen[id] {
		seen[id] = true
		r, err := s.Run(ctx, id)
		if err != nil {
			return nil, err
		}
		calls, err := s.Calls(ctx, id)
		if err != nil {
			return nil, err
		}
		for _, c := range calls {
			if err := checkFormat(fmt.Sprintf("run %s call %d", id, c.Seq), c.Format); err != nil {
				return nil, err
			}
			if c.Status != CallSuccess && c.Status != CallReused {
				continue
			}
			if _, ok := out[c.Card]; ok {
				continue
			}
			by := id
			if c.Status == CallReused && c.ReusedFrom != "" {
				by = c.ReusedFrom
			}
			out[c.Card] = Done{Action: c.Action, Output: c.Output, RunID: by}
		}
		id = r.ResumedFrom
	}
	return out, nil
}

// MarkInterrupted records that a run left "running" by a process that
// died is being taken over by a resume.
func (s *Store) MarkInterrupted(ctx context.Context, id string) error {
	_, err := s.writeRollup(ctx, s.runStatus(id, StatusInterrupted, StatusRunning, `UPDATE runs SET status = ? WHERE id = ? AND status = ?`, StatusInterrupted, id, StatusRunning))
	return err
}

// Prune deletes the runs that started before t, and their journals, and
// recomputes the per-day totals of the days they were on (rollup.go).
func (s *Store) Prune(ctx context.Context, before time.Time) (int, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	if err := s.lockRollups(ctx, tx); err != nil {
		return 0, err
	}
	cut := fmtTime(before)
	// The last day touched: the cut's, or a later one a pruned run's
	// calls started on.
	var last sql.NullString
	if err := tx.QueryRowContext(ctx, s.q(`SELECT MAX(started_at) FROM calls WHERE run_id IN (SELECT id FROM runs WHERE started_at < ?)`), cut).Scan(&last); err != nil {
		return 0, err
	}
	lastDay := cut
	if last.Valid && last.String > lastDay {
		lastDay = last.String
	}
	if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM calls WHERE run_id IN (SELECT id FROM runs WHERE started_at < ?)`), cut); err != nil {
		return 0, err
	}
	res, err := tx.ExecContext(ctx, s.q(`DELETE FROM runs WHERE started_at < ?`), cut)
	if err != nil {
		return 0, err
	}
	n, _ := res.RowsAffected()
	if n > 0 {
		if err := s.refillRollups(ctx, tx, lastDay); err != nil {
			return 0, err
		}
	}
	return int(n), tx.Commit()
}
