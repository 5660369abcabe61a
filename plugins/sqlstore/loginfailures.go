package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"sync/atomic"
	"time"

	"github.com/jwtd/jwtd/sdk"
)

// LoginFailuresComponent names the failed-login counters' schema in
// jwtd_schema, for every SQL store (SQLite's too): a component of its own,
// so the counters' history does not depend on the blacklist's.
const LoginFailuresComponent = "login_failures"

// loginFailureMigrations: one row per counter, expires_at in Unix
// milliseconds. Keys are the host's opaque hashes (at most 128 bytes).
func loginFailureMigrations(d Dialect) [][]string {
	t, q := d.Types(), d.Quote
	return [][]string{{
		"CREATE TABLE jwtd_login_failures (" + q("key") + " " + t.Key + " NOT NULL PRIMARY KEY, " + q("count") + " " + t.BigInt +
			" NOT NULL, expires_at " + t.BigInt + " NOT NULL)" + t.TableSuffix,
		"CREATE INDEX jwtd_login_failures_expires_at ON jwtd_login_failures (expires_at)",
	}}
}

// loginFailureSweepEvery: one AddLoginFailure in this many also deletes
// expired counters, so a spray of usernames cannot grow the table beyond
// what one window's failures hold, without a goroutine.
const loginFailureSweepEvery = 256

// FailureCounters is sdk.LoginFailureStore on the jwtd_login_failures
// table: the SQL blacklist stores embed it (SQLite's native blacklist
// too), so the counters are written once for every database.
type FailureCounters struct {
	c                          *conn
	upsert, read, clear, sweep string
	adds                       atomic.Uint64
}

// NewFailureCountersOn is the failed-login counters on pools the caller
// opened, with jwtd_login_failures already created (LoginFailureMigrations
// or the caller's own DDL of it): writes through db, reads through ro (db
// when nil), each call bounded by queryTimeout (0: by the caller's
// deadline only). The caller keeps the pools.
func NewFailureCountersOn(d Dialect, db, ro *sql.DB, queryTimeout time.Duration) *FailureCounters {
	return newFailureCounters(&conn{d: d, db: db, ro: ro, queryTimeout: queryTimeout})
}

func newFailureCounters(cn *conn) *FailureCounters {
	d := cn.d
	q := d.Quote
	i := "CAST(? AS " + d.Types().IntCast + ")"
	k, c, e := q("key"), "jwtd_login_failures."+q("count"), "jwtd_login_failures.expires_at"
	// A missing or expired counter restarts at 1 with a new window; a live
	// one is incremented and keeps its end. count is assigned first, so
	// that it reads the old expires_at on MySQL too.
	return &FailureCounters{
		c: cn,
		upsert: d.Rebind("INSERT INTO jwtd_login_failures (" + k + ", " + q("count") + ", expires_at) VALUES (?, 1, " + i + ")" +
			d.OnConflictUpdate(k, q("count")+" = CASE WHEN "+e+" <= "+i+" THEN 1 ELSE "+c+" + 1 END, "+
				"expires_at = CASE WHEN "+e+" <= "+i+" THEN "+i+" ELSE "+e+" END")),
		read:  d.Rebind("SELECT " + q("count") + ", expires_at FROM jwtd_login_failures WHERE " + k + " = ? AND expires_at > " + i),
		clear: d.Rebind("DELETE FROM jwtd_login_failures WHERE " + k + " = ?"),
		sweep: d.Rebind("DELETE FROM jwtd_login_failures WHERE expires_at <= " + i),
	}
}

// AddLoginFailure counts one failure on key (sdk.LoginFailureStore): one
// upsert and the read of its result in one transaction, whose row lock
// orders concurrent calls, so n concurrent calls on a fresh key see
// exactly 1..n. Committed before it returns.
func (s *FailureCounters) AddLoginFailure(ctx context.Context, key string, window time.Duration) (sdk.LoginFailureCount, error) {
	ms := window.Milliseconds()
	if window%time.Millisecond != 0 {
		ms++
	}
	if ms < 1 {
		return sdk.LoginFailureCount{}, errors.New("sql blacklist: login failure window must be at least 1ms")
	}
	ctx, cancel := s.c.ctx(ctx)
	defer cancel()
	lf := s
	now := time.Now().UnixMilli()
	var count, ends int64
	var err error
	for attempt := 0; attempt < 3; attempt++ {
		if count, ends, err = s.addOnce(ctx, key, now, ms); err == nil || !s.c.d.IsRetryable(err) || ctx.Err() != nil {
			break
		}
	}
	if err != nil {
		return sdk.LoginFailureCount{}, s.c.unavailable("add login failure", err)
	}
	if lf.adds.Add(1)%loginFailureSweepEvery == 0 {
		if _, err := s.c.exec(ctx, lf.sweep, now); err != nil {
			return sdk.LoginFailureCount{}, s.c.unavailable("sweep login failures", err)
		}
	}
	return sdk.LoginFailureCount{Count: int(count), ResetIn: time.Duration(ends-now) * time.Millisecond}, nil
}

func (s *FailureCounters) addOnce(ctx context.Context, key string, now, ms int64) (count, ends int64, err error) {
	tx, err := s.c.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, 0, err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, s.upsert, key, now+ms, now, now, now+ms); err != nil {
		return 0, 0, err
	}
	if err := tx.QueryRowContext(ctx, s.read, key, now).Scan(&count, &ends); err != nil {
		return 0, 0, err
	}
	return count, ends, tx.Commit()
}

// LoginFailures reads key's live counter.
func (s *FailureCounters) LoginFailures(ctx context.Context, key string) (sdk.LoginFailureCount, error) {
	ctx, cancel := s.c.ctx(ctx)
	defer cancel()
	now := time.Now().UnixMilli()
	var count, ends int64
	err := s.c.queryRow(ctx, s.read, []any{key, now}, &count, &ends)
	switch {
	case isNoRows(err):
		return sdk.LoginFailureCount{}, nil
	case err != nil:
		return sdk.LoginFailureCount{}, s.c.unavailable("read login failures", err)
	}
	return sdk.LoginFailureCount{Count: int(count), ResetIn: time.Duration(ends-now) * time.Millisecond}, nil
}

// ClearLoginFailures deletes key's counter.
func (s *FailureCounters) ClearLoginFailures(ctx context.Context, key string) error {
	ctx, cancel := s.c.ctx(ctx)
	defer cancel()
	if _, err := s.c.exec(ctx, s.clear, key); err != nil {
		return s.c.unavailable("clear login failures", err)
	}
	return nil
}

// Interface guards.
var (
	_ sdk.LoginFailureStore = (*FailureCounters)(nil)
	_ sdk.LoginFailureStore = (*BlacklistStore)(nil)
)
