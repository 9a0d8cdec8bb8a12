package history

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"
)

// The per-day totals the web view's overview reads (migration 6), kept as
// runs and calls are written so that a period of 90 days reads 90 days of
// totals rather than every run and call in it:
//
//   - rollup_runs: the runs that started on a day (UTC), by status;
//   - rollup_cards: the calls that started on a day and got an answer
//     (success or failure), by flow, card path (calls.card, forEach item
//     and all) and action: how many, their durations' sum and maximum;
//   - rollup_429: the calls that started on a day and were answered 429,
//     by action (instance.action): how many, in how many runs, the latest.
//
// Each write of a run or a call changes them in its own transaction
// (runInserted, runStatus, callInserted, callOutcome): its old
// contribution out, its new one in. Prune recomputes the days it
// touched from the rows left (rollupFill), and migration 6 fills them
// from the rows already stored the same way. The reads (RunsPerDay,
// SlowestCards, RateLimited) use them for periods of whole days, and the
// runs and calls themselves for any other period.

// rollupTables creates the totals (migration 6).
const rollupTables = `CREATE TABLE rollup_runs (
		day    TEXT NOT NULL,
		status TEXT NOT NULL,
		runs   BIGINT NOT NULL,
		PRIMARY KEY (day, status)
	);
	CREATE TABLE rollup_cards (
		day    TEXT NOT NULL,
		flow   TEXT NOT NULL,
		card   TEXT NOT NULL,
		action TEXT NOT NULL,
		calls  BIGINT NOT NULL,
		sum_ns BIGINT NOT NULL,
		max_ns BIGINT NOT NULL,
		PRIMARY KEY (day, flow, card, action)
	);
	CREATE TABLE rollup_429 (
		day    TEXT NOT NULL,
		action TEXT NOT NULL,
		calls  BIGINT NOT NULL,
		runs   BIGINT NOT NULL,
		last   TEXT NOT NULL,
		PRIMARY KEY (day, action)
	)`

// rollupFill returns the statements that add to the totals the runs and
// calls that cond selects (a condition on started_at, the same column in
// both tables): all of them in migration 6, the days Prune recomputes.
// The 429 pattern and the timed statuses are literals, so that the
// statements run without arguments but cond's.
func rollupFill(cond string) []string {
	return []string{
		`INSERT INTO rollup_runs (day, status, runs)
		SELECT SUBSTR(started_at, 1, 10), status, COUNT(*) FROM runs WHERE ` + cond + `
		GROUP BY SUBSTR(started_at, 1, 10), status`,
		`INSERT INTO rollup_cards (day, flow, card, action, calls, sum_ns, max_ns)
		SELECT SUBSTR(started_at, 1, 10), flow, card, action, COUNT(*), SUM(duration_ns), MAX(duration_ns) FROM calls
		WHERE ` + cond + ` AND status IN ('` + CallSuccess + `', '` + CallFailed + `')
		GROUP BY SUBSTR(started_at, 1, 10), flow, card, action`,
		`INSERT INTO rollup_429 (day, action, calls, runs, last)
		SELECT SUBSTR(started_at, 1, 10), action, COUNT(*), COUNT(DISTINCT run_id), MAX(started_at) FROM calls
		WHERE ` + cond + ` AND status = '` + CallFailed + `' AND error LIKE '` + status429 + `'
		GROUP BY SUBSTR(started_at, 1, 10), action`,
	}
}

// rollupMigration is migration 6: the tables, filled from the rows
// stored before.
func rollupMigration() string {
	return rollupTables + ";\n" + strings.Join(rollupFill("started_at <> ''"), ";\n")
}

// dayOf is the day (UTC) of a stored time: its first ten characters.
func dayOf(stored string) string {
	if len(stored) < 10 {
		return stored
	}
	return stored[:10]
}

// dayBounds are the stored times a day's rows start within: [lo, hi).
func dayBounds(day string) (lo, hi string) {
	t, err := time.Parse("2006-01-02", day)
	if err != nil {
		return day, day
	}
	return fmtTime(t), fmtTime(t.AddDate(0, 0, 1))
}

// wholeDays reports whether [from, to) is a period of whole days (UTC),
// which the totals answer; lo and hi are its first day and the day after
// its last.
func wholeDays(from, to time.Time) (lo, hi string, ok bool) {
	day := 24 * time.Hour
	from, to = from.UTC(), to.UTC()
	if from.IsZero() || !to.After(from) || !from.Truncate(day).Equal(from) || !to.Truncate(day).Equal(to) {
		return "", "", false
	}
	return from.Format("2006-01-02"), to.Format("2006-01-02"), true
}

// execer is a transaction, or the database.
type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// lockRollups serializes, on PostgreSQL, the transactions that change the
// totals (processes writing the same history): two of them changing the
// same days' rows in different orders would otherwise deadlock. SQLite's
// transactions are serialized already.
func (s *Store) lockRollups(ctx context.Context, tx execer) error {
	if !s.postgres {
		return nil
	}
	_, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, advisoryKey(s.schema, "\x00rollup"))
	return err
}

// writeFn is a write made in the group's transaction (writeRollup).
type writeFn = func(context.Context, *sql.Tx) (sql.Result, error)

// runInserted inserts a run (query, args: the run r) and counts it in
// rollup_runs.
func (s *Store) runInserted(r *RunRow, query string, args ...any) writeFn {
	return func(ctx context.Context, tx *sql.Tx) (sql.Result, error) {
		res, err := tx.ExecContext(ctx, s.q(query), args...)
		if err != nil {
			return nil, err
		}
		return res, s.countRun(ctx, tx, dayOf(fmtTime(r.StartedAt)), r.Status)
	}
}

// runStatus changes a run's status to status (query, args), only when
// it is from when from is set, and moves the run in rollup_runs from its
// old status to the new one.
func (s *Store) runStatus(id, status, from, query string, args ...any) writeFn {
	return func(ctx context.Context, tx *sql.Tx) (sql.Result, error) {
		var started, old string
		err := tx.QueryRowContext(ctx, s.q(`SELECT started_at, status FROM runs WHERE id = ?`), id).Scan(&started, &old)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return nil, err
		}
		res, err := tx.ExecContext(ctx, s.q(query), args...)
		if err != nil || started == "" || old == status || (from != "" && old != from) {
			return res, err
		}
		// A count left at 0 stays, read as none.
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE rollup_runs SET runs = runs - 1 WHERE day = ? AND status = ?`), dayOf(started), old); err != nil {
			return nil, err
		}
		return res, s.countRun(ctx, tx, dayOf(started), status)
	}
}

func (s *Store) countRun(ctx context.Context, tx *sql.Tx, day, status string) error {
	_, err := tx.ExecContext(ctx, s.q(`INSERT INTO rollup_runs (day, status, runs) VALUES (?, ?, 1)
		ON CONFLICT (day, status) DO UPDATE SET runs = rollup_runs.runs + 1`), day, status)
	return err
}

// callKey is what one call adds to the totals.
type callKey struct {
	started, day       string
	flow, card, action string
	dur                int64
	timed, limited     bool
}

// outcome sets what a call's outcome adds: timed when it got an answer,
// limited when that was a 429 (as status429 matches it).
func (k *callKey) outcome(status, errJSON string, dur int64) {
	k.dur = dur
	k.timed = status == CallSuccess || status == CallFailed
	k.limited = status == CallFailed && strings.Contains(errJSON, strings.Trim(status429, "%"))
}

// callInserted inserts a call (query, args: the call c) and adds it to
// the totals when it was inserted with an outcome.
func (s *Store) callInserted(c *CallRow, query string, args ...any) writeFn {
	return func(ctx context.Context, tx *sql.Tx) (sql.Result, error) {
		res, err := tx.ExecContext(ctx, s.q(query), args...)
		if err != nil {
			return nil, err
		}
		started := fmtTime(c.StartedAt)
		k := callKey{started: started, day: dayOf(started), flow: c.Flow, card: c.Card, action: c.Action}
		k.outcome(c.Status, c.Error, int64(c.Duration))
		return res, s.rollupCall(ctx, tx, c.RunID, c.Seq, k, +1)
	}
}

// callOutcome records a call's outcome (query, args: c's status, error
// and duration) and moves its contribution to the totals.
func (s *Store) callOutcome(c *CallRow, query string, args ...any) writeFn {
	return func(ctx context.Context, tx *sql.Tx) (sql.Result, error) {
		var before callKey
		var status, errJSON string
		err := tx.QueryRowContext(ctx, s.q(`SELECT started_at, flow, card, action, status, error, duration_ns FROM calls WHERE run_id = ? AND seq = ?`), c.RunID, c.Seq).
			Scan(&before.started, &before.flow, &before.card, &before.action, &status, &errJSON, &before.dur)
		found := err == nil
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return nil, err
		}
		res, err := tx.ExecContext(ctx, s.q(query), args...)
		if err != nil || !found {
			return res, err
		}
		before.day = dayOf(before.started)
		before.outcome(status, errJSON, before.dur)
		after := before
		after.outcome(c.Status, c.Error, int64(c.Duration))
		if before == after {
			return res, nil
		}
		if err := s.rollupCall(ctx, tx, c.RunID, c.Seq, before, -1); err != nil {
			return nil, err
		}
		return res, s.rollupCall(ctx, tx, c.RunID, c.Seq, after, +1)
	}
}

// rollupCall adds (sign +1) or takes out (-1) a call's contribution, the
// call's row being as it is after the write.
func (s *Store) rollupCall(ctx context.Context, tx *sql.Tx, runID string, seq int, k callKey, sign int) error {
	exec := func(query string, args ...any) error {
		_, err := tx.ExecContext(ctx, s.q(query), args...)
		return err
	}
	lo, hi := dayBounds(k.day)
	if k.timed {
		if sign > 0 {
			if err := exec(`INSERT INTO rollup_cards (day, flow, card, action, calls, sum_ns, max_ns) VALUES (?, ?, ?, ?, 1, ?, ?)
				ON CONFLICT (day, flow, card, action) DO UPDATE SET calls = rollup_cards.calls + 1, sum_ns = rollup_cards.sum_ns + excluded.sum_ns,
				max_ns = CASE WHEN excluded.max_ns > rollup_cards.max_ns THEN excluded.max_ns ELSE rollup_cards.max_ns END`,
				k.day, k.flow, k.card, k.action, k.dur, k.dur); err != nil {
				return err
			}
		} else {
			// A maximum cannot be taken out: it is read again from the
			// calls left (a call's outcome is seldom rewritten).
			if err := exec(`UPDATE rollup_cards SET calls = calls - 1, sum_ns = sum_ns - ?,
				max_ns = COALESCE((SELECT MAX(duration_ns) FROM calls WHERE started_at >= ? AND started_at < ? AND status IN (?, ?) AND flow = ? AND card = ? AND action = ?), 0)
				WHERE day = ? AND flow = ? AND card = ? AND action = ?`,
				k.dur, lo, hi, CallSuccess, CallFailed, k.flow, k.card, k.action, k.day, k.flow, k.card, k.action); err != nil {
				return err
			}
			if err := exec(`DELETE FROM rollup_cards WHERE day = ? AND flow = ? AND card = ? AND action = ? AND calls <= 0`, k.day, k.flow, k.card, k.action); err != nil {
				return err
			}
		}
	}
	if !k.limited {
		return nil
	}
	// The run counts once a day for an action: when no other call of
	// it that day was answered 429 (the call's row being as it is now).
	var others int
	if err := tx.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM calls WHERE run_id = ? AND seq <> ? AND action = ? AND started_at >= ? AND started_at < ?
		AND status = ? AND error LIKE ?`), runID, seq, k.action, lo, hi, CallFailed, status429).Scan(&others); err != nil {
		return err
	}
	runs := 0
	if others == 0 {
		runs = 1
	}
	if sign > 0 {
		return exec(`INSERT INTO rollup_429 (day, action, calls, runs, last) VALUES (?, ?, 1, ?, ?)
			ON CONFLICT (day, action) DO UPDATE SET calls = rollup_429.calls + 1, runs = rollup_429.runs + excluded.runs,
			last = CASE WHEN excluded.last > rollup_429.last THEN excluded.last ELSE rollup_429.last END`,
			k.day, k.action, runs, k.started)
	}
	if err := exec(`UPDATE rollup_429 SET calls = calls - 1, runs = runs - ?,
		last = COALESCE((SELECT MAX(started_at) FROM calls WHERE started_at >= ? AND started_at < ? AND status = ? AND action = ? AND error LIKE ?), '')
		WHERE day = ? AND action = ?`, runs, lo, hi, CallFailed, k.action, status429, k.day, k.action); err != nil {
		return err
	}
	return exec(`DELETE FROM rollup_429 WHERE day = ? AND action = ? AND calls <= 0`, k.day, k.action)
}

// refillRollups recomputes the totals of the days before the day after
// last (a stored time) from the rows left: what Prune does once it has
// deleted runs.
func (s *Store) refillRollups(ctx context.Context, tx execer, last string) error {
	_, next := dayBounds(dayOf(last))
	for _, table := range []string{"rollup_runs", "rollup_cards", "rollup_429"} {
		if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM `+table+` WHERE day < ?`), dayOf(next)); err != nil {
			return err
		}
	}
	for _, stmt := range rollupFill("started_at < ?") {
		if _, err := tx.ExecContext(ctx, s.q(stmt), next); err != nil {
			return err
		}
	}
	return nil
}
