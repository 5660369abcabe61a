package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/jwtd/jwtd/sdk"
)

// sessionsComponent names the sessions' schema in jwtd_schema.
const sessionsComponent = "sessions"

// SessionMigrations is the schema of sdk.SessionStore on d: sessions (one
// row each, revoked 0/1, instants in Unix milliseconds), rotations (one
// row per consumed token, keyed by it, which makes consuming a token
// unique), and each user's "not before". The SQLite store applies them
// through its own migrator.
func SessionMigrations(d Dialect) [][]string {
	t := d.Types()
	return [][]string{{
		"CREATE TABLE jwtd_sessions (id " + t.Key + " NOT NULL PRIMARY KEY, user_id " + t.Key + " NOT NULL, " +
			"created_at " + t.BigInt + " NOT NULL, last_used_at " + t.BigInt + " NOT NULL, expires_at " + t.BigInt + " NOT NULL, " +
			"client_addr " + t.Key + " NOT NULL, user_agent " + t.Key + " NOT NULL, revoked " + t.BigInt + " NOT NULL, " +
			"current_jti " + t.Key + " NOT NULL)" + t.TableSuffix,
		"CREATE INDEX jwtd_sessions_user_id ON jwtd_sessions (user_id)",
		"CREATE INDEX jwtd_sessions_expires_at ON jwtd_sessions (expires_at)",
		"CREATE TABLE jwtd_session_rotations (parent_jti " + t.Key + " NOT NULL PRIMARY KEY, session_id " + t.Key + " NOT NULL, " +
			"child_jti " + t.Key + " NOT NULL, rotated_at " + t.BigInt + " NOT NULL, expires_at " + t.BigInt + " NOT NULL)" + t.TableSuffix,
		"CREATE INDEX jwtd_session_rotations_expires_at ON jwtd_session_rotations (expires_at)",
		"CREATE TABLE jwtd_user_not_before (user_id " + t.Key + " NOT NULL PRIMARY KEY, not_before " + t.BigInt + " NOT NULL)" + t.TableSuffix,
	}}
}

// SessionTables is sdk.SessionStore on SQL tables (SessionMigrations). Every
// change is one statement or one transaction whose first statement is a
// conditional UPDATE of the session row: its row lock orders a rotation
// against another rotation or a revocation of the same session, and the
// condition is evaluated again on the row as the winner left it, on
// PostgreSQL, MySQL (InnoDB's locking read) and SQLite (one writer) alike.
type SessionTables struct {
	c *conn
	q sessionSQL
}

type sessionSQL struct {
	create, rotate, recordRotation, session, rotation, childUsed string
	revoke, revokeUser, notBefore, readNotBefore                 string
	list, listAll, flushSessions, flushRotations                 string
}

// NewSessions serves sdk.SessionStore on db (whose tables the caller has
// migrated), each call bounded by queryTimeout. The SQL blacklist stores
// build theirs themselves; SQLite's native store uses this.
func NewSessions(d Dialect, db *sql.DB, queryTimeout time.Duration) *SessionTables {
	return newSessions(&conn{d: d, db: db, queryTimeout: queryTimeout})
}

func newSessions(c *conn) *SessionTables {
	d := c.d
	i := "CAST(? AS " + d.Types().IntCast + ")"
	cols := "id, user_id, created_at, last_used_at, expires_at, client_addr, user_agent"
	return &SessionTables{c: c, q: sessionSQL{
		create: d.Rebind("INSERT INTO jwtd_sessions (" + cols + ", revoked, current_jti) VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?)"),
		rotate: d.Rebind("UPDATE jwtd_sessions SET current_jti = ?, last_used_at = " + i +
			" WHERE id = ? AND user_id = ? AND revoked = 0 AND expires_at > " + i + " AND current_jti = ?"),
		recordRotation: d.Rebind("INSERT INTO jwtd_session_rotations (parent_jti, session_id, child_jti, rotated_at, expires_at) VALUES (?, ?, ?, ?, ?)"),
		session:        d.Rebind("SELECT user_id, revoked, expires_at FROM jwtd_sessions WHERE id = ?"),
		rotation:       d.Rebind("SELECT child_jti, rotated_at FROM jwtd_session_rotations WHERE parent_jti = ? AND session_id = ?"),
		childUsed:      d.Rebind("SELECT COUNT(*) FROM jwtd_session_rotations WHERE parent_jti = ? AND session_id = ?"),
		revoke:         d.Rebind("UPDATE jwtd_sessions SET revoked = 1 WHERE id = ? AND user_id = ? AND revoked = 0"),
		revokeUser:     d.Rebind("UPDATE jwtd_sessions SET revoked = 1 WHERE user_id = ? AND revoked = 0"),
		notBefore: d.Rebind("INSERT INTO jwtd_user_not_before (user_id, not_before) VALUES (?, " + i + ")" +
			d.OnConflictUpdate("user_id", "not_before = CASE WHEN jwtd_user_not_before.not_before < "+i+" THEN "+i+" ELSE jwtd_user_not_before.not_before END")),
		readNotBefore:  d.Rebind("SELECT not_before FROM jwtd_user_not_before WHERE user_id = ?"),
		list:           d.Rebind("SELECT " + cols + " FROM jwtd_sessions WHERE user_id = ? AND revoked = 0 AND expires_at > " + i + " ORDER BY created_at, id"),
		listAll:        d.Rebind("SELECT " + cols + " FROM jwtd_sessions WHERE revoked = 0 AND expires_at > " + i + " ORDER BY created_at, id"),
		flushSessions:  d.Rebind("DELETE FROM jwtd_sessions WHERE expires_at < " + i),
		flushRotations: d.Rebind("DELETE FROM jwtd_session_rotations WHERE expires_at < " + i),
	}}
}

// CreateSession inserts the session, live, with first current.
func (s *SessionTables) CreateSession(ctx context.Context, v sdk.Session, first string) error {
	ctx, cancel := s.c.ctx(ctx)
	defer cancel()
	_, err := s.c.exec(ctx, s.q.create, v.ID, v.UserID, v.CreatedAt.UnixMilli(), v.LastUsedAt.UnixMilli(), v.ExpiresAt.UnixMilli(),
		v.ClientAddr, v.UserAgent, first)
	if err != nil {
		return s.c.unavailable("create session", err)
	}
	return nil
}

// RotateSession: the conditional UPDATE and the rotation's row in one
// transaction (Rotated); when the UPDATE matched nothing, reads after it
// say why (Reused or Refused) — any rotation that beat this one has
// committed by then, since the UPDATE waited for its row lock.
func (s *SessionTables) RotateSession(ctx context.Context, userID, id, parent, child string, now time.Time) (sdk.Rotation, error) {
	ctx, cancel := s.c.ctx(ctx)
	defer cancel()
	var rotated bool
	var err error
	for attempt := 0; attempt < 3; attempt++ {
		if rotated, err = s.rotateOnce(ctx, userID, id, parent, child, now); err == nil || !s.c.d.IsRetryable(err) || ctx.Err() != nil {
			break
		}
	}
	if err != nil {
		return sdk.Rotation{}, s.c.unavailable("rotate session", err)
	}
	if rotated {
		return sdk.Rotation{Outcome: sdk.Rotated}, nil
	}
	live, err := s.live(ctx, userID, id, now)
	if err != nil || !live {
		return sdk.Rotation{Outcome: sdk.Refused}, err
	}
	var r sdk.Rotation
	var at int64
	err = s.c.queryRow(ctx, s.q.rotation, []any{parent, id}, &r.Child, &at)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return sdk.Rotation{Outcome: sdk.Refused}, nil
	case err != nil:
		return sdk.Rotation{}, s.c.unavailable("read rotation", err)
	}
	var n int
	if err := s.c.queryRow(ctx, s.q.childUsed, []any{r.Child, id}, &n); err != nil {
		return sdk.Rotation{}, s.c.unavailable("read rotation", err)
	}
	r.Outcome, r.ConsumedAt, r.ChildConsumed = sdk.Reused, time.UnixMilli(at), n > 0
	return r, nil
}

func (s *SessionTables) rotateOnce(ctx context.Context, userID, id, parent, child string, now time.Time) (bool, error) {
	tx, err := s.c.db.BeginTx(ctx, nil)
	if err != nil {
		return false, err
	}
	defer tx.Rollback()
	ms := now.UnixMilli()
	res, err := tx.ExecContext(ctx, s.q.rotate, child, ms, id, userID, ms, parent)
	if err != nil {
		return false, err
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return false, err
	}
	// The rotation row lives as long as the session can (its expiry).
	var uid string
	var revoked, expires int64
	if err := tx.QueryRowContext(ctx, s.q.session, id).Scan(&uid, &revoked, &expires); err != nil {
		return false, err
	}
	if _, err := tx.ExecContext(ctx, s.q.recordRotation, parent, id, child, ms, expires); err != nil {
		return false, err
	}
	return true, tx.Commit()
}

// live reports whether session id of userID is live at now.
func (s *SessionTables) live(ctx context.Context, userID, id string, now time.Time) (bool, error) {
	var uid string
	var revoked, expires int64
	err := s.c.queryRow(ctx, s.q.session, []any{id}, &uid, &revoked, &expires)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return false, nil
	case err != nil:
		return false, s.c.unavailable("read session", err)
	}
	return uid == userID && revoked == 0 && now.UnixMilli() < expires, nil
}

// RevokeSession revokes one live session of userID.
func (s *SessionTables) RevokeSession(ctx context.Context, userID, id string) (bool, error) {
	ctx, cancel := s.c.ctx(ctx)
	defer cancel()
	res, err := s.c.exec(ctx, s.q.revoke, id, userID)
	if err != nil {
		return false, s.c.unavailable("revoke session", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, s.c.unavailable("revoke session", err)
	}
	return n == 1, nil
}

// RevokeUserSessions revokes userID's sessions and moves its not-before,
// in one transaction.
func (s *SessionTables) RevokeUserSessions(ctx context.Context, userID string, notBefore time.Time) (int, error) {
	ctx, cancel := s.c.ctx(ctx)
	defer cancel()
	var n int64
	var err error
	for attempt := 0; attempt < 3; attempt++ {
		if n, err = s.revokeUserOnce(ctx, userID, notBefore.UnixMilli()); err == nil || !s.c.d.IsRetryable(err) || ctx.Err() != nil {
			break
		}
	}
	if err != nil {
		return 0, s.c.unavailable("revoke user sessions", err)
	}
	return int(n), nil
}

func (s *SessionTables) revokeUserOnce(ctx context.Context, userID string, nb int64) (int64, error) {
	tx, err := s.c.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, s.q.revokeUser, userID)
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, err
	}
	if _, err := tx.ExecContext(ctx, s.q.notBefore, userID, nb, nb, nb); err != nil {
		return 0, err
	}
	return n, tx.Commit()
}

// Sessions lists live sessions, oldest first.
func (s *SessionTables) Sessions(ctx context.Context, userID string, now time.Time) ([]sdk.Session, error) {
	ctx, cancel := s.c.ctx(ctx)
	defer cancel()
	q, args := s.q.list, []any{userID, now.UnixMilli()}
	if userID == "" {
		q, args = s.q.listAll, []any{now.UnixMilli()}
	}
	rows, err := s.c.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, s.c.unavailable("list sessions", err)
	}
	defer rows.Close()
	var out []sdk.Session
	for rows.Next() {
		var v sdk.Session
		var created, used, expires int64
		if err := rows.Scan(&v.ID, &v.UserID, &created, &used, &expires, &v.ClientAddr, &v.UserAgent); err != nil {
			return nil, s.c.unavailable("list sessions", err)
		}
		v.CreatedAt, v.LastUsedAt, v.ExpiresAt = time.UnixMilli(created), time.UnixMilli(used), time.UnixMilli(expires)
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, s.c.unavailable("list sessions", err)
	}
	return out, nil
}

// SessionState reads the session's state and the user's not-before.
func (s *SessionTables) SessionState(ctx context.Context, userID, id string, now time.Time) (sdk.SessionState, error) {
	ctx, cancel := s.c.ctx(ctx)
	defer cancel()
	var st sdk.SessionState
	if id != "" {
		live, err := s.live(ctx, userID, id, now)
		if err != nil {
			return st, err
		}
		st.Revoked = !live
	}
	var nb int64
	err := s.c.queryRow(ctx, s.q.readNotBefore, []any{userID}, &nb)
	switch {
	case err == nil:
		st.NotBefore = time.UnixMilli(nb)
	case !errors.Is(err, sql.ErrNoRows):
		return st, s.c.unavailable("read not before", err)
	}
	return st, nil
}

// FlushSessions deletes sessions and rotations past their expiry; users'
// not-before rows stay (one small row per user who ever revoked all).
func (s *SessionTables) FlushSessions(ctx context.Context, now time.Time) (int, error) {
	ctx, cancel := s.c.ctx(ctx)
	defer cancel()
	total := 0
	for _, q := range []string{s.q.flushSessions, s.q.flushRotations} {
		res, err := s.c.exec(ctx, q, now.UnixMilli())
		if err != nil {
			return 0, s.c.unavailable("flush sessions", err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return 0, s.c.unavailable("flush sessions", err)
		}
		total += int(n)
	}
	return total, nil
}

var _ sdk.SessionStore = (*SessionTables)(nil)
