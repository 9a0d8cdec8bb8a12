package history

import (
	"context"
	"database/sql"
	"errors"
	"time"
)

// TableRow is one row of a table connector's table (migration 10): the
// rules of its values are pkg/table's; the store keeps them as JSON.
type TableRow struct {
	ID string
	// Data is the row's columns, a JSON object.
	Data             string
	Created, Updated time.Time
}

// TableRows returns the rows of one table of one instance, oldest first
// (then by id).
func (s *Store) TableRows(ctx context.Context, instance, table string) ([]TableRow, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT id, data, created, updated FROM table_rows WHERE instance = ? AND tbl = ? ORDER BY created, id`), instance, table)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []TableRow
	for rows.Next() {
		var r TableRow
		var created, updated string
		if err := rows.Scan(&r.ID, &r.Data, &created, &updated); err != nil {
			return nil, err
		}
		r.Created, r.Updated = parseTime(created), parseTime(updated)
		out = append(out, r)
	}
	return out, rows.Err()
}

// TableRow returns one row, or nil when the table has no row of that id.
func (s *Store) TableRow(ctx context.Context, instance, table, id string) (*TableRow, error) {
	r := TableRow{ID: id}
	var created, updated string
	err := s.db.QueryRowContext(ctx, s.q(`SELECT data, created, updated FROM table_rows WHERE instance = ? AND tbl = ? AND id = ?`), instance, table, id).Scan(&r.Data, &created, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	r.Created, r.Updated = parseTime(created), parseTime(updated)
	return &r, nil
}

// InsertTableRow adds a row unless the table has one of its id already
// (a createRow made again under the same idempotency key): added says
// which. Like every write of an apply it is fenced by the lock the store
// holds.
func (s *Store) InsertTableRow(ctx context.Context, instance, table string, r TableRow) (added bool, err error) {
	res, err := s.write(ctx, `INSERT INTO table_rows (instance, tbl, id, data, created, updated) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
		instance, table, r.ID, r.Data, fmtTime(r.Created), fmtTime(r.Updated))
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

// UpdateTableRow replaces a row's data by what merge makes of it, in one
// transaction, and sets its updated time; found is false (and merge not
// called) when the table has no row of that id. An error of merge is
// returned as it is, and nothing is written.
func (s *Store) UpdateTableRow(ctx context.Context, instance, table, id string, now time.Time, merge func(data string) (string, error)) (found bool, err error) {
	var mergeErr error
	_, err = s.enqueue(ctx, &pendingWrite{plain: true, fn: func(ctx context.Context, tx *sql.Tx) (sql.Result, error) {
		found, mergeErr = false, nil
		var data string
		err := tx.QueryRowContext(ctx, s.q(`SELECT data FROM table_rows WHERE instance = ? AND tbl = ? AND id = ?`), instance, table, id).Scan(&data)
		if errors.Is(err, sql.ErrNoRows) {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		found = true
		if data, mergeErr = merge(data); mergeErr != nil {
			return nil, nil
		}
		return tx.ExecContext(ctx, s.q(`UPDATE table_rows SET data = ?, updated = ? WHERE instance = ? AND tbl = ? AND id = ?`), data, fmtTime(now), instance, table, id)
	}})
	if err != nil {
		return false, err
	}
	return found, mergeErr
}

// DeleteTableRow deletes one row; deleted is false when there was none.
func (s *Store) DeleteTableRow(ctx context.Context, instance, table, id string) (deleted bool, err error) {
	res, err := s.write(ctx, `DELETE FROM table_rows WHERE instance = ? AND tbl = ? AND id = ?`, instance, table, id)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

// ClearTable deletes every row of a table and returns how many there were.
func (s *Store) ClearTable(ctx context.Context, instance, table string) (int64, error) {
	res, err := s.write(ctx, `DELETE FROM table_rows WHERE instance = ? AND tbl = ?`, instance, table)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}
