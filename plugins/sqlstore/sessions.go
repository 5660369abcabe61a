package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/jwtd/jwtd/sdk"
)

// SessionsComponent names the sessions' schema in jwtd_schema, for every
// SQL store (SQLite's too).
const SessionsComponent = "sessions"

// SessionMigrations is the schema of sdk.SessionStore on d: sessions (one
// row each, revoked 0/1, instants in Unix milliseconds), rotations (one
// row per consumed token, keyed by it, which makes consuming a token
// unique), and each user's "not before". The SQLite stores apply them on
// their writer (Migrate).
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
	// ro serves the reads (SessionState on every authenticated request
	// under revoke_access_tokens, listing, the reads after a rotation that
	// did not happen): the pool by default, SQLite's read pool there, so
	// they never queue behind its one writer connection.
	ro *sql.DB
	q  sessionSQL
	// prepared holds the reads prepared once on ro (NewSessions), by
	// query: SQLite's driver parses every unprepared query anew, and
	// SessionState runs on every authenticated request.
	prepared map[string]*sql.Stmt
	// inTx runs a rotation's statements in a transaction: its own by
	// default (ownTx); SQLite's store hands them to its group committer,
	// so a rotation shares the fsync of the blacklist writes beside it.
	inTx func(ctx context.Context, fn func(ctx context.Context, tx *sql.Tx) error) error
}

// WithTxRunner makes the rotation's statements run through run, which
// must execute fn in a write transaction, commit it and return fn's or the
// commit's error; a fn that wrote nothing may share a transaction with
// other writes. It returns s.
func (s *SessionTables) WithTxRunner(run func(ctx context.Context, fn func(ctx context.Context, tx *sql.Tx) error) error) *SessionTables {
	s.inTx = run
	return s
}

// ownTx runs fn in a transaction of its own.
func (s *SessionTables) ownTx(ctx context.Context, fn func(ctx context.Context, tx *sql.Tx) error) error {
	tx, err := s.c.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := fn(ctx, tx); err != nil {
		return err
	}
	return tx.Commit()
}

type sessionSQL struct {
	create, rotate, recordRotation, session, rotation, childUsed string
	revoke, revokeUser, notBefore, readNotBefore                 string
	list, listAll, flushSessions, flushRotations                 string
}

// NewSessions serves sdk.SessionStore on db (whose tables the caller has
// migrated), reading through ro (which may be db), each call bounded by
// queryTimeout. The SQL blacklist stores build theirs themselves; SQLite's
// native store uses this, with its writer and its read pool.
func NewSessions(d Dialect, db, ro *sql.DB, queryTimeout time.Duration) (*SessionTables, error) {
	s := newSessions(&conn{d: d, db: db, queryTimeout: queryTimeout})
	s.ro = ro
	s.prepared = map[string]*sql.Stmt{}
	for _, q := range []string{s.q.session, s.q.readNotBefore} {
		st, err := ro.Prepare(q)
		if err != nil {
			s.Close()
			return nil, s.c.unavailable("prepare session reads", err)
		}
		s.prepared[q] = st
	}
	return s, nil
}

// Close releases the prepared reads (not the pools, which the caller
// owns).
func (s *SessionTables) Close() error {
	for _, st := range s.prepared {
		st.Close()
	}
	return nil
}

// row is query's single-row read on the read pool, prepared when it can be.
func (s *SessionTables) row(ctx context.Context, query string, args []any) *sql.Row {
	if st, ok := s.prepared[query]; ok {
		return st.QueryRowContext(ctx, args...)
	}
	return s.ro.QueryRowContext(ctx, query, args...)
}

// read runs a single-row read on the read pool, retried once as
// conn.queryRow does.
func (s *SessionTables) read(ctx context.Context, query string, args []any, dest ...any) error {
	err := s.row(ctx, query, args).Scan(dest...)
	if err != nil && !errors.Is(err, sql.ErrNoRows) && ctx.Err() == nil && s.c.d.IsRetryable(err) {
		err = s.row(ctx, query, args).Scan(dest...)
	}
	return err
}

func newSessions(c *conn) *SessionTables {
	d := c.d
	i := "CAST(? AS " + d.Types().IntCast + ")"
	cols := "id, user_id, created_at, last_used_at, expires_at, client_addr, user_agent"
	s := &SessionTables{c: c, ro: c.db}
	s.inTx = s.ownTx
	s.q = sessionSQL{
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
	}
	return s
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
	err = s.read(ctx, s.q.rotation, []any{parent, id}, &r.Child, &at)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return sdk.Rotation{Outcome: sdk.Refused}, nil
	case err != nil:
		return sdk.Rotation{}, s.c.unavailable("read rotation", err)
	}
	var n int
	if err := s.read(ctx, s.q.childUsed, []any{r.Child, id}, &n); err != nil {
		return sdk.Rotation{}, s.c.unavailable("read rotation", err)
	}
	r.Outcome, r.ConsumedAt, r.ChildConsumed = sdk.Reused, time.UnixMilli(at), n > 0
	return r, nil
}

func (s *SessionTables) rotateOnce(ctx context.Context, userID, id, parent, child string, now time.Time) (bool, error) {
	rotated := false
	err := s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		rotated = false // a retried fn starts over
		ms := now.UnixMilli()
		res, err := tx.ExecContext(ctx, s.q.rotate, child, ms, id, userID, ms, parent)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			return err // nothing written: Reused or Refused, read after
		}
		// The rotation row lives as long as the session can (its expiry).
		var uid string
		var revoked, expires int64
		if err := tx.QueryRowContext(ctx, s.q.session, id).Scan(&uid, &revoked, &expires); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, s.q.recordRotation, parent, id, child, ms, expires); err != nil {
			return err
		}
		rotated = true
		return nil
	})
	return rotated && err == nil, err
}

// live reports whether session id of userID is live at now.
func (s *SessionTables) live(ctx context.Context, userID, id string, now time.Time) (bool, error) {
	var uid string
	var revoked, expires int64
	err := s.read(ctx, s.q.session, []any{id}, &uid, &revoked, &expires)
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
	rows, err := s.ro.QueryContext(ctx, q, args...)
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
	err := s.read(ctx, s.q.readNotBefore, []any{userID}, &nb)
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
