package history

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
)

// Queue statuses: an event jml serve acknowledged waits (queued), is held
// by the hourly guardrail for a human (held; jml serve approve makes it
// queued again, approved), and ends done (its runs ended: success,
// filtered, or failed/halted and left to jml resume) or, when it could
// not be run at all (its runs could not be decided: the history failed),
// stays queued for the next try.
const (
	QueueQueued = "queued"
	QueueHeld   = "held"
	QueueDone   = "done"
)

// QueueItem is one event of the serve queue.
type QueueItem struct {
	UUID      string `json:"uuid"`
	EventType string `json:"eventType"`
	Published string `json:"published,omitempty"`
	// UserKey is the user the event is about (apply.UserKey): the events
	// of one user run one after another.
	UserKey string `json:"user"`
	// EventJSON is the LogEvent as received.
	EventJSON  string    `json:"-"`
	Status     string    `json:"status"`
	ReceivedAt time.Time `json:"receivedAt"`
	UpdatedAt  time.Time `json:"updatedAt"`
	// AdmittedAt is when the guardrail let the event run; its People
	// count in the hour after it.
	AdmittedAt time.Time `json:"admittedAt,omitzero"`
	// Approved is set by jml serve approve: the guardrail lets it pass.
	Approved bool `json:"approved,omitempty"`
	// People are the people the event's runs deprovision, as counted by
	// the guardrail (plan.BlastRadius.People, as JSON).
	People string `json:"-"`
	// Detail says why an event is held, or how its runs ended.
	Detail string `json:"detail,omitempty"`
}

const queueColumns = `uuid, event_type, published, user_key, event, status, received_at, updated_at, admitted_at, approved, people, detail`

func scanQueue(sc interface{ Scan(...any) error }) (*QueueItem, error) {
	var it QueueItem
	var rec, upd, adm string
	var approved int
	if err := sc.Scan(&it.UUID, &it.EventType, &it.Published, &it.UserKey, &it.EventJSON, &it.Status, &rec, &upd, &adm, &approved, &it.People, &it.Detail); err != nil {
		return nil, err
	}
	it.ReceivedAt, it.UpdatedAt, it.AdmittedAt, it.Approved = parseTime(rec), parseTime(upd), parseTime(adm), approved != 0
	return &it, nil
}

// Enqueue stores the events of one delivery, in one transaction, each
// with status queued; an event whose uuid is already in the queue (a
// redelivery) is left as it is. It returns how many were new. Queue
// writes are not fenced by the apply lock: receiving an event is not a
// call.
func (s *Store) Enqueue(ctx context.Context, items []QueueItem, now time.Time) (added int, err error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	for _, it := range items {
		res, err := tx.ExecContext(ctx, s.q(`INSERT INTO event_queue (`+queueColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, '', 0, '', '')
			ON CONFLICT (uuid) DO NOTHING`), it.UUID, it.EventType, it.Published, it.UserKey, it.EventJSON, QueueQueued, fmtTime(now), fmtTime(now))
		if err != nil {
			return 0, err
		}
		if n, _ := res.RowsAffected(); n > 0 {
			added++
		}
	}
	return added, tx.Commit()
}

// QueueFilter selects queue items.
type QueueFilter struct {
	// Status, when set, keeps the items of that status.
	Status string
	// Limit, when > 0, keeps the first Limit.
	Limit int
}

// Queue lists queue items in the order they are taken: by published
// time, then arrival, then uuid.
func (s *Store) Queue(ctx context.Context, f QueueFilter) ([]*QueueItem, error) {
	q := `SELECT ` + queueColumns + ` FROM event_queue`
	var args []any
	if f.Status != "" {
		q += ` WHERE status = ?`
		args = append(args, f.Status)
	}
	q += ` ORDER BY published, received_at, uuid`
	if f.Limit > 0 {
		q += fmt.Sprintf(` LIMIT %d`, f.Limit)
	}
	rows, err := s.db.QueryContext(ctx, s.q(q), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*QueueItem
	for rows.Next() {
		it, err := scanQueue(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, it)
	}
	return out, rows.Err()
}

// QueueDepth counts the queue's items per status.
func (s *Store) QueueDepth(ctx context.Context) (map[string]int, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT status, COUNT(*) FROM event_queue GROUP BY status`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]int{QueueQueued: 0, QueueHeld: 0, QueueDone: 0}
	for rows.Next() {
		var st string
		var n int
		if err := rows.Scan(&st, &n); err != nil {
			return nil, err
		}
		out[st] = n
	}
	return out, rows.Err()
}

// Admit records that the guardrail let a queued event run at now, with
// the people its runs deprovision.
func (s *Store) Admit(ctx context.Context, uuid, people string, now time.Time) error {
	return s.setQueue(ctx, `UPDATE event_queue SET admitted_at = ?, people = ?, detail = '', updated_at = ? WHERE uuid = ?`, fmtTime(now), people, fmtTime(now), uuid)
}

// Hold holds a queued event for a human, saying why.
func (s *Store) Hold(ctx context.Context, uuid, why string, now time.Time) error {
	return s.setQueue(ctx, `UPDATE event_queue SET status = ?, detail = ?, updated_at = ? WHERE uuid = ? AND status = ?`, QueueHeld, why, fmtTime(now), uuid, QueueQueued)
}

// Finish marks an event done, with how its runs ended.
func (s *Store) Finish(ctx context.Context, uuid, detail string, now time.Time) error {
	return s.setQueue(ctx, `UPDATE event_queue SET status = ?, detail = ?, updated_at = ? WHERE uuid = ?`, QueueDone, detail, fmtTime(now), uuid)
}

func (s *Store) setQueue(ctx context.Context, query string, args ...any) error {
	res, err := s.db.ExecContext(ctx, s.q(query), args...)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return fmt.Errorf("event %v is not in the queue (or not in the state expected)", args[len(args)-2])
	}
	return nil
}

// Approve releases held events (all of them when uuids is empty and all
// is set): they are queued again, approved, so that the guardrail lets
// them pass. It returns the uuids released; a uuid given that is not held
// is an error, and nothing is released.
func (s *Store) Approve(ctx context.Context, uuids []string, all bool, now time.Time) ([]string, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	if all {
		rows, err := tx.QueryContext(ctx, s.q(`SELECT uuid FROM event_queue WHERE status = ? ORDER BY published, received_at, uuid`), QueueHeld)
		if err != nil {
			return nil, err
		}
		uuids = nil
		for rows.Next() {
			var u string
			if err := rows.Scan(&u); err != nil {
				rows.Close()
				return nil, err
			}
			uuids = append(uuids, u)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	var bad []string
	for _, u := range uuids {
		res, err := tx.ExecContext(ctx, s.q(`UPDATE event_queue SET status = ?, approved = 1, detail = 'approved', updated_at = ? WHERE uuid = ? AND status = ?`),
			QueueQueued, fmtTime(now), u, QueueHeld)
		if err != nil {
			return nil, err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			bad = append(bad, u)
		}
	}
	if len(bad) > 0 {
		return nil, fmt.Errorf("not held in the queue: %s (see jml serve queue)", strings.Join(bad, ", "))
	}
	return uuids, tx.Commit()
}

// PeopleSince returns the People of the events admitted at or after
// since (the guardrail's window).
func (s *Store) PeopleSince(ctx context.Context, since time.Time) ([]string, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT people FROM event_queue WHERE admitted_at >= ? AND people <> '' ORDER BY admitted_at`), fmtTime(since))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var p string
		if err := rows.Scan(&p); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// Ping checks that the store answers.
func (s *Store) Ping(ctx context.Context) error {
	var one int
	err := s.db.QueryRowContext(ctx, `SELECT 1`).Scan(&one)
	if err == sql.ErrNoRows {
		return nil
	}
	return err
}

// LatestFiring returns the newest schedule instant an apply recorded a
// run for (the runs of a firing are keyed schedule@INSTANT: see
// engine.ScheduleKey), or the zero time when there is none. jml serve
// starts its schedule from there: nothing fired is fired again, and a
// firing missed while it was down is caught up.
func (s *Store) LatestFiring(ctx context.Context) (time.Time, error) {
	var key sql.NullString
	err := s.db.QueryRowContext(ctx, s.q(`SELECT MAX(event_uuid) FROM runs WHERE event_uuid LIKE 'schedule@%' AND mode = ?`), "apply").Scan(&key)
	if err != nil || !key.Valid {
		return time.Time{}, err
	}
	t, err := time.Parse(time.RFC3339, strings.TrimPrefix(key.String, "schedule@"))
	if err != nil {
		return time.Time{}, nil
	}
	return t, nil
}
