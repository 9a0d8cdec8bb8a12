package history

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/jml-dev/jml/pkg/effect"
)

// jml verify keeps, for each user it read, the latest verdict: the row of
// the matrix that named them (verify_results, migration 5), so that the
// web view can show it beside the user's runs. A later verify of the user
// replaces it; nothing else is kept of older ones.

// verifyKey is the key of a user's verify result: the login without
// case, else the Okta id (else the key given).
func verifyKey(r *VerifyRecord) string {
	if strings.Contains(r.User, "@") || r.ID == "" {
		return strings.ToLower(r.User)
	}
	return r.ID
}

// RecordVerify stores the records, each replacing the user's previous
// one; red (nil: none) redacts the secrets from what is written, as the
// Recorder does for runs.
func (s *Store) RecordVerify(ctx context.Context, recs []*VerifyRecord, red *effect.Redactor) error {
	for _, r := range recs {
		b, err := json.Marshal(r)
		if err != nil {
			return err
		}
		login := r.User
		if !strings.Contains(login, "@") {
			login = ""
		}
		result := red.Redact(string(b))
		if _, err := s.write(ctx, `INSERT INTO verify_results (user_key, user_login, user_id, checked_at, source, result, row_format) VALUES (?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (user_key) DO UPDATE SET user_login = excluded.user_login, user_id = excluded.user_id, checked_at = excluded.checked_at,
			source = excluded.source, result = excluded.result, row_format = excluded.row_format`,
			verifyKey(r), login, r.ID, fmtTime(r.CheckedAt), red.Redact(r.Source), result, RowFormat); err != nil {
			return err
		}
	}
	return nil
}

// ErrNoVerify is returned for a user no recorded jml verify named.
var ErrNoVerify = errors.New("no jml verify of this user was recorded")

// LatestVerify returns the latest verify result of a user, given by login
// (without case) or Okta id.
func (s *Store) LatestVerify(ctx context.Context, user string) (*VerifyRecord, error) {
	var result string
	var format int
	err := s.db.QueryRowContext(ctx, s.q(`SELECT result, row_format FROM verify_results
		WHERE LOWER(user_login) = LOWER(?) OR user_id = ? OR user_key = LOWER(?)
		ORDER BY checked_at DESC LIMIT 1`), user, user, user).Scan(&result, &format)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("%s: %w", user, ErrNoVerify)
	}
	if err != nil {
		return nil, err
	}
	if err := checkFormat("verify of "+user, format); err != nil {
		return nil, err
	}
	var r VerifyRecord
	if err := json.Unmarshal([]byte(result), &r); err != nil {
		return nil, fmt.Errorf("verify of %s: the recorded result is not readable: %v", user, err)
	}
	return &r, nil
}
