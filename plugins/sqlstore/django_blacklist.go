package sqlstore

import (
	"context"
	"fmt"
	"time"

	"github.com/jwtd/jwtd/sdk"
)

// DjangoTables are the config keys of the Django blacklist (django =
// true): Simple JWT's token_blacklist tables and the users table its
// outstanding tokens refer to. The defaults fit a project with Django's
// auth.User and rest_framework_simplejwt.token_blacklist installed.
type DjangoTables struct {
	// OutstandingTable default "token_blacklist_outstandingtoken".
	OutstandingTable string `json:"outstanding_table"`
	// BlacklistedTable default "token_blacklist_blacklistedtoken".
	BlacklistedTable string `json:"blacklisted_table"`
	// UserTable is AUTH_USER_MODEL's table, which outstanding tokens'
	// user_id refers to. Default "auth_user".
	UserTable string `json:"user_table"`
	// UserIDColumn is its primary key. Default "id".
	UserIDColumn string `json:"user_id_column"`
	// UserIDType is "integer" (default) or "uuid", as the user store's
	// id_type.
	UserIDType string `json:"user_id_type"`
}

// DjangoTokenText is what the Django blacklist writes into
// token_blacklist_outstandingtoken.token, a NOT NULL column where Simple
// JWT keeps the raw token: jwtd keeps no raw tokens, so Django's admin
// shows this text (with the token type) beside the token's jti, user and
// times. Simple JWT never reads the column back.
const DjangoTokenText = "jwtd: %s token, raw value not stored"

// djangoTables is the blacklist on Simple JWT's tables. Blacklisting is
// Simple JWT's own two steps — the outstanding row (get or create by jti),
// then a blacklisted row pointing at it — each an insert-if-absent on a
// unique column (outstanding jti, blacklisted token_id), so exactly one of
// any number of concurrent calls, from jwtd or from Django, adds the
// blacklisted row, and Django's check (a blacklisted row whose token has
// this jti) sees what jwtd wrote and the other way round.
type djangoTables struct {
	c      *conn
	idType IDType

	insertOutstanding, extendOutstanding, insertBlacklisted, isBlacklistedSQL string
	deleteBlacklisted, deleteOutstanding, pingSQL                             []string
}

func newDjangoTables(ctx context.Context, c *conn, cfg DjangoTables) (*djangoTables, error) {
	def := func(v, d string) string {
		if v == "" {
			return d
		}
		return v
	}
	ot := def(cfg.OutstandingTable, "token_blacklist_outstandingtoken")
	bt := def(cfg.BlacklistedTable, "token_blacklist_blacklistedtoken")
	ut := def(cfg.UserTable, "auth_user")
	uid := def(cfg.UserIDColumn, "id")
	for _, kv := range [][2]string{{"outstanding_table", ot}, {"blacklisted_table", bt}, {"user_table", ut}, {"user_id_column", uid}} {
		if err := checkIdentifier(kv[0], kv[1]); err != nil {
			return nil, err
		}
	}
	idType, err := parseIDType(cfg.UserIDType)
	if err != nil {
		return nil, err
	}
	d := c.d
	q := d.Quote
	t := &djangoTables{c: c, idType: idType}
	t.insertOutstanding = d.Rebind("INSERT INTO " + q(ot) + " (jti, token, created_at, expires_at, user_id) VALUES (?, ?, ?, ?, " +
		"(SELECT u." + q(uid) + " FROM " + q(ut) + " u WHERE u." + q(uid) + " = ?))" + d.OnConflictDoNothing("jti"))
	// Blacklisting may be asked to keep a token longer than the
	// outstanding row says (the core's exp + leeway, longer for sliding
	// tokens), and the row's expires_at is what every sweep (jwtd's and
	// Django's flushexpiredtokens) deletes by: it only ever moves later.
	t.extendOutstanding = d.Rebind("UPDATE " + q(ot) + " SET expires_at = ? WHERE jti = ? AND expires_at < ?")
	t.insertBlacklisted = d.Rebind("INSERT INTO " + q(bt) + " (blacklisted_at, token_id) SELECT ?, o.id FROM " + q(ot) + " o WHERE o.jti = ?" +
		d.OnConflictDoNothing("token_id"))
	t.isBlacklistedSQL = d.Rebind("SELECT 1 FROM " + q(bt) + " b JOIN " + q(ot) + " o ON o.id = b.token_id WHERE o.jti = ? LIMIT 1")
	// Simple JWT's flushexpiredtokens deletes outstanding tokens expired
	// by now, their blacklisted rows with them (a cascade Django runs
	// itself: the foreign key has no ON DELETE in the database).
	t.deleteBlacklisted = []string{d.Rebind("DELETE FROM " + q(bt) + " WHERE token_id IN (SELECT o.id FROM " + q(ot) + " o WHERE o.expires_at <= ?)")}
	t.deleteOutstanding = []string{d.Rebind("DELETE FROM " + q(ot) + " WHERE expires_at <= ?")}
	t.pingSQL = []string{
		"SELECT id, jti, token, created_at, expires_at, user_id FROM " + q(ot) + " WHERE 1 = 0",
		"SELECT id, token_id, blacklisted_at FROM " + q(bt) + " WHERE 1 = 0",
		"SELECT " + q(uid) + " FROM " + q(ut) + " WHERE 1 = 0",
	}
	cctx, cancel := c.ctx(ctx)
	defer cancel()
	for _, query := range t.pingSQL {
		rows, err := c.db.QueryContext(cctx, query)
		if err != nil {
			return nil, fmt.Errorf("%w: %s blacklist: Simple JWT's token_blacklist tables (run Django's migrate with rest_framework_simplejwt.token_blacklist installed, or check the table keys): %v",
				sdk.ErrInvalidConfig, d.Name(), err)
		}
		rows.Close()
	}
	return t, nil
}

func (t *djangoTables) addOutstanding(ctx context.Context, r sdk.TokenRecord) error {
	created := r.IssuedAt
	if created.IsZero() {
		created = time.Now()
	}
	// A user id that cannot be a key of the users table, or a user that is
	// gone, is recorded as NULL, which the column allows (on_delete
	// SET_NULL).
	uid, ok := t.idType.arg(t.c.d, r.UserID)
	if !ok {
		uid = nil
	}
	_, err := t.c.exec(ctx, t.insertOutstanding, r.JTI, fmt.Sprintf(DjangoTokenText, r.TokenType),
		t.c.d.TimeArg(created), t.c.d.TimeArg(r.ExpiresAt), uid)
	if err != nil {
		return t.c.unavailable("add outstanding", err)
	}
	return nil
}

func (t *djangoTables) blacklist(ctx context.Context, r sdk.TokenRecord) (bool, error) {
	if err := t.addOutstanding(ctx, r); err != nil {
		return false, err
	}
	// The row may predate this call (Django issued the token, or jwtd
	// recorded it at issue with its bare exp): the insert above kept its
	// expires_at, so extend it to this record's retention.
	exp := t.c.d.TimeArg(r.ExpiresAt)
	if _, err := t.c.exec(ctx, t.extendOutstanding, exp, r.JTI, exp); err != nil {
		return false, t.c.unavailable("blacklist", err)
	}
	res, err := t.c.exec(ctx, t.insertBlacklisted, t.c.d.TimeArg(time.Now()), r.JTI)
	if err != nil {
		return false, t.c.unavailable("blacklist", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, t.c.unavailable("blacklist", err)
	}
	return n == 1, nil
}

func (t *djangoTables) isBlacklisted(ctx context.Context, jti string) (bool, error) {
	var one int
	err := t.c.queryRow(ctx, t.isBlacklistedSQL, []any{jti}, &one)
	switch {
	case err == nil:
		return true, nil
	case isNoRows(err):
		return false, nil
	}
	return false, t.c.unavailable("is blacklisted", err)
}

func (t *djangoTables) flushExpired(ctx context.Context, now time.Time) (int, error) {
	tx, err := t.c.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, t.c.unavailable("flush expired", err)
	}
	defer tx.Rollback()
	total := 0
	for _, query := range append(t.deleteBlacklisted, t.deleteOutstanding...) {
		res, err := tx.ExecContext(ctx, query, t.c.d.TimeArg(now))
		if err != nil {
			return 0, t.c.unavailable("flush expired", err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return 0, t.c.unavailable("flush expired", err)
		}
		total += int(n)
	}
	if err := tx.Commit(); err != nil {
		return 0, t.c.unavailable("flush expired", err)
	}
	return total, nil
}

func (t *djangoTables) ping(ctx context.Context) error {
	for _, query := range t.pingSQL[:2] {
		rows, err := t.c.db.QueryContext(ctx, query)
		if err != nil {
			return t.c.unavailable("ping", err)
		}
		rows.Close()
	}
	return nil
}
