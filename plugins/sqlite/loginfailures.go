package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"sync/atomic"
	"time"

	"github.com/jwtd/jwtd/sdk"
)

// loginFailuresComponent names the failed-login counters' schema in
// jwtd_schema: a component of its own, so the counters' history does not
// depend on the blacklist's.
const loginFailuresComponent = "login_failures"

// loginFailureMigrations is the counters' schema: one row per counter,
// expires_at in Unix milliseconds. Keys are the host's opaque hashes.
var loginFailureMigrations = []migration{
	func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `
CREATE TABLE jwtd_login_failures (
	key        TEXT PRIMARY KEY NOT NULL,
	count      INTEGER NOT NULL,
	expires_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX jwtd_login_failures_expires_at ON jwtd_login_failures (expires_at);
`)
		return err
	},
}

// loginFailureSweepEvery: one AddLoginFailure in this many also deletes
// expired counters, so a spray of usernames cannot grow the table beyond
// what one window's failures hold (plus this many), without a goroutine.
const loginFailureSweepEvery = 256

// addLoginFailure counts one failure in one UPSERT: a missing or expired
// counter restarts at 1 with a new window, a live one is incremented and
// keeps its end (SET expressions read the row as it was).
const addLoginFailure = `INSERT INTO jwtd_login_failures (key, count, expires_at) VALUES (?1, 1, ?2 + ?3)
ON CONFLICT (key) DO UPDATE SET
	count      = CASE WHEN expires_at <= ?2 THEN 1 ELSE count + 1 END,
	expires_at = CASE WHEN expires_at <= ?2 THEN ?2 + ?3 ELSE expires_at END
RETURNING count, expires_at`

// loginFailureState is what the blacklist store keeps for the capability.
type loginFailureState struct {
	adds atomic.Uint64
}

// AddLoginFailure counts one failure on key (see sdk.LoginFailureStore),
// committed before it returns.
func (s *BlacklistStore) AddLoginFailure(ctx context.Context, key string, window time.Duration) (sdk.LoginFailureCount, error) {
	ms := window.Milliseconds()
	if window%time.Millisecond != 0 {
		ms++
	}
	if ms < 1 {
		return sdk.LoginFailureCount{}, errors.New("sqlite blacklist: login failure window must be at least 1ms")
	}
	now := time.Now()
	var count int
	var ends int64
	if err := s.db.QueryRowContext(ctx, addLoginFailure, key, now.UnixMilli(), ms).Scan(&count, &ends); err != nil {
		return sdk.LoginFailureCount{}, unavailable("add login failure", err)
	}
	if s.failures.adds.Add(1)%loginFailureSweepEvery == 0 {
		if _, err := s.db.ExecContext(ctx, `DELETE FROM jwtd_login_failures WHERE expires_at <= ?`, now.UnixMilli()); err != nil {
			return sdk.LoginFailureCount{}, unavailable("sweep login failures", err)
		}
	}
	return sdk.LoginFailureCount{Count: count, ResetIn: time.UnixMilli(ends).Sub(now)}, nil
}

// LoginFailures reads key's live counter from the read pool.
func (s *BlacklistStore) LoginFailures(ctx context.Context, key string) (sdk.LoginFailureCount, error) {
	now := time.Now()
	var count int
	var ends int64
	err := s.ro.QueryRowContext(ctx, `SELECT count, expires_at FROM jwtd_login_failures WHERE key = ? AND expires_at > ?`,
		key, now.UnixMilli()).Scan(&count, &ends)
	switch {
	case isNoRows(err):
		return sdk.LoginFailureCount{}, nil
	case err != nil:
		return sdk.LoginFailureCount{}, unavailable("read login failures", err)
	}
	return sdk.LoginFailureCount{Count: count, ResetIn: time.UnixMilli(ends).Sub(now)}, nil
}

// ClearLoginFailures deletes key's counter.
func (s *BlacklistStore) ClearLoginFailures(ctx context.Context, key string) error {
	if _, err := s.db.ExecContext(ctx, `DELETE FROM jwtd_login_failures WHERE key = ?`, key); err != nil {
		return unavailable("clear login failures", err)
	}
	return nil
}

// Interface guard.
var _ sdk.LoginFailureStore = (*BlacklistStore)(nil)
