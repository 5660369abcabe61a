package postgres

// The PostgreSQL blacklist's change feed (sdk.ChangeFeed), by LISTEN/NOTIFY.
//
// The first Watch installs a trigger on jwtd_blacklisted_tokens (CREATE OR
// REPLACE, under an advisory lock) that calls pg_notify('jwtd_feed',
// 'b|<expires_at ms>|<jti>') for every inserted or updated row, so every
// writer — any jwtd, the CLI, psql — announces what it blacklists, at
// commit. A feed LISTENs on one connection of its own, then reads the
// snapshot (notifications meanwhile wait on the connection), then relays.
// "Synchronised" marks ride the same queue: every SyncInterval the feed
// commits pg_notify('jwtd_feed', 'sync|<watch id>|<time>') from another
// connection; PostgreSQL delivers notifications in commit order, so when
// its own mark arrives every change committed before the mark's time has
// been relayed. The Django tables (django = true) get no trigger and no
// feed.
//
// Sessions (sdk.SessionFeed): triggers on jwtd_sessions (a session turning
// revoked: 's|<expires_at ms>|<id>|<user_id>') and jwtd_user_not_before
// (set or moved: 'n|<not_before ms>|<user_id>') notify on the same channel,
// and the snapshot adds every revoked session not yet expired and every
// not-before, so the host can answer SessionState from memory.

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/jwtd/jwtd/plugins/sqlstore"
	"github.com/jwtd/jwtd/sdk"
)

// feedChannel is the NOTIFY channel of the blacklist's changes.
const feedChannel = "jwtd_feed"

// feedSchema installs the trigger; run in one transaction under an
// advisory lock, so concurrent first Watches do not collide.
var feedSchema = []string{
	`SELECT pg_advisory_xact_lock(7354023)`,
	`CREATE OR REPLACE FUNCTION jwtd_blacklist_feed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	PERFORM pg_notify('` + feedChannel + `', 'b|' || NEW.expires_at || '|' || NEW.jti);
	RETURN NULL;
END $$`,
	`CREATE OR REPLACE TRIGGER jwtd_blacklisted_tokens_feed AFTER INSERT OR UPDATE ON jwtd_blacklisted_tokens
	FOR EACH ROW EXECUTE FUNCTION jwtd_blacklist_feed()`,
	`CREATE OR REPLACE FUNCTION jwtd_session_revoked_feed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF NEW.revoked <> 0 AND OLD.revoked = 0 THEN
		PERFORM pg_notify('` + feedChannel + `', 's|' || NEW.expires_at || '|' || NEW.id || '|' || NEW.user_id);
	END IF;
	RETURN NULL;
END $$`,
	`CREATE OR REPLACE TRIGGER jwtd_sessions_feed AFTER UPDATE OF revoked ON jwtd_sessions
	FOR EACH ROW EXECUTE FUNCTION jwtd_session_revoked_feed()`,
	`CREATE OR REPLACE FUNCTION jwtd_user_not_before_feed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	PERFORM pg_notify('` + feedChannel + `', 'n|' || NEW.not_before || '|' || NEW.user_id);
	RETURN NULL;
END $$`,
	`CREATE OR REPLACE TRIGGER jwtd_user_not_before_feed AFTER INSERT OR UPDATE ON jwtd_user_not_before
	FOR EACH ROW EXECUTE FUNCTION jwtd_user_not_before_feed()`,
}

// SessionsInFeed implements sdk.SessionFeed: the triggers put every session
// revocation and not-before move, by any writer, on the feed.
func (s blacklistWithFeed) SessionsInFeed() bool { return true }

// blacklistWithFeed is the native blacklist with a change feed.
type blacklistWithFeed struct {
	*sqlstore.BlacklistStore
	db *sql.DB
}

type note struct {
	payload string
	err     error
}

// Watch implements sdk.ChangeFeed.
func (s blacklistWithFeed) Watch(ctx context.Context, send func(sdk.Change) error) error {
	return listen(ctx, s.db, feedChannel, feedSchema, send, func(ctx context.Context, pc *pgx.Conn) error {
		// One snapshot (REPEATABLE READ) for the three reads.
		tx, err := pc.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
		if err != nil {
			return err
		}
		defer tx.Rollback(context.WithoutCancel(ctx))
		now := time.Now().UnixMilli()
		for _, q := range []struct {
			sql  string
			args []any
		}{
			{`SELECT 3, jti, '', 0, expires_at FROM jwtd_blacklisted_tokens WHERE expires_at >= $1`, []any{now}},
			{`SELECT 5, user_id, id, 0, expires_at FROM jwtd_sessions WHERE revoked <> 0 AND expires_at > $1`, []any{now}},
			{`SELECT 6, user_id, '', not_before, 0 FROM jwtd_user_not_before`, nil},
		} {
			if err := snapshotRows(ctx, tx, q.sql, q.args, send); err != nil {
				return err
			}
		}
		return tx.Commit(ctx)
	})
}

// snapshotRows sends each row of q: kind (an sdk.ChangeKind), key, session
// id, not before, expires at (Unix milliseconds, 0 for none).
func snapshotRows(ctx context.Context, tx pgx.Tx, q string, args []any, send func(sdk.Change) error) error {
	rows, err := tx.Query(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var kind int32
		var key, sid string
		var nb, exp int64
		if err := rows.Scan(&kind, &key, &sid, &nb, &exp); err != nil {
			return err
		}
		c := sdk.Change{Kind: sdk.ChangeKind(kind)}
		switch c.Kind {
		case sdk.ChangeBlacklisted:
			c.JTI, c.ExpiresAt = key, time.UnixMilli(exp)
		case sdk.ChangeSessionRevoked:
			c.UserID, c.SessionID, c.ExpiresAt = key, sid, time.UnixMilli(exp)
		case sdk.ChangeUserNotBefore:
			c.UserID, c.NotBefore = key, time.UnixMilli(nb)
		}
		if err := send(c); err != nil {
			return err
		}
	}
	return rows.Err()
}

// listen is the loop both feeds share: install the trigger (schema, in one
// transaction), LISTEN on channel with a connection of its own, send
// ChangeReset and the snapshot, then relay the channel's notifications and
// send ChangeSynced when this feed's own marks come back.
func listen(ctx context.Context, db *sql.DB, channel string, schema []string, send func(sdk.Change) error,
	snapshot func(context.Context, *pgx.Conn) error) error {
	if err := install(ctx, db, schema); err != nil {
		return feedErr(ctx, "install trigger", err)
	}
	var raw [8]byte
	_, _ = rand.Read(raw[:])
	id := hex.EncodeToString(raw[:])
	conn, err := db.Conn(ctx)
	if err != nil {
		return feedErr(ctx, "connect", err)
	}
	defer conn.Close()
	return conn.Raw(func(dc any) error {
		pc := dc.(*stdlib.Conn).Conn()
		if _, err := pc.Exec(ctx, "LISTEN "+channel); err != nil {
			return feedErr(ctx, "listen", err)
		}
		// The connection goes back to the pool afterwards: stop listening.
		defer pc.Exec(context.WithoutCancel(ctx), "UNLISTEN "+channel)
		if err := send(sdk.Change{Kind: sdk.ChangeReset}); err != nil {
			return err
		}
		if err := snapshot(ctx, pc); err != nil {
			return feedErr(ctx, "snapshot", err)
		}

		wctx, stop := context.WithCancel(ctx)
		notes := make(chan note, 256)
		waiting := make(chan struct{})
		go func() {
			defer close(waiting)
			for {
				n, err := pc.WaitForNotification(wctx)
				if err != nil {
					select {
					case notes <- note{err: err}:
					case <-wctx.Done():
					}
					return
				}
				select {
				case notes <- note{payload: n.Payload}:
				case <-wctx.Done():
					return
				}
			}
		}()
		// The waiter holds the connection until it stops.
		defer func() { stop(); <-waiting }()

		tick := time.NewTicker(sdk.SyncInterval / 2)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case now := <-tick.C:
				mark := "sync|" + id + "|" + strconv.FormatInt(now.UnixNano(), 10)
				if _, err := db.ExecContext(ctx, `SELECT pg_notify($1, $2)`, channel, mark); err != nil {
					return feedErr(ctx, "sync mark", err)
				}
			case n := <-notes:
				if n.err != nil {
					return feedErr(ctx, "wait", n.err)
				}
				c, ok, err := parseNote(n.payload, id)
				if err != nil {
					return err
				}
				if ok {
					if err := send(c); err != nil {
						return err
					}
				}
			}
		}
	})
}

// parseNote reads one notification: a blacklisting, this feed's own sync
// mark (another feed's is ignored), or an error for anything else.
func parseNote(p, id string) (sdk.Change, bool, error) {
	kind, rest, _ := strings.Cut(p, "|")
	switch kind {
	case "b":
		ms, jti, ok := strings.Cut(rest, "|")
		exp, err := strconv.ParseInt(ms, 10, 64)
		if ok && err == nil {
			return sdk.Change{Kind: sdk.ChangeBlacklisted, JTI: jti, ExpiresAt: time.UnixMilli(exp)}, true, nil
		}
	case "u":
		return sdk.Change{Kind: sdk.ChangeUser, UserID: rest}, true, nil
	case "s":
		ms, rest, ok1 := strings.Cut(rest, "|")
		id, user, ok2 := strings.Cut(rest, "|")
		exp, err := strconv.ParseInt(ms, 10, 64)
		if ok1 && ok2 && err == nil {
			return sdk.Change{Kind: sdk.ChangeSessionRevoked, UserID: user, SessionID: id, ExpiresAt: time.UnixMilli(exp)}, true, nil
		}
	case "n":
		ms, user, ok := strings.Cut(rest, "|")
		nb, err := strconv.ParseInt(ms, 10, 64)
		if ok && err == nil {
			return sdk.Change{Kind: sdk.ChangeUserNotBefore, UserID: user, NotBefore: time.UnixMilli(nb)}, true, nil
		}
	case "sync":
		who, ns, ok := strings.Cut(rest, "|")
		n, err := strconv.ParseInt(ns, 10, 64)
		if ok && err == nil {
			return sdk.Change{Kind: sdk.ChangeSynced, At: time.Unix(0, n)}, who == id, nil
		}
	}
	return sdk.Change{}, false, fmt.Errorf("%w: postgres change feed: unreadable notification %q", sdk.ErrUnavailable, p)
}

// install runs schema in one transaction.
func install(ctx context.Context, db *sql.DB, schema []string) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for _, q := range schema {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return err
		}
	}
	return tx.Commit()
}

func feedErr(ctx context.Context, op string, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if errors.Is(err, sdk.ErrUnavailable) {
		return err
	}
	return fmt.Errorf("%w: postgres change feed %s: %v", sdk.ErrUnavailable, op, err)
}

var (
	_ sdk.ChangeFeed  = blacklistWithFeed{}
	_ sdk.SessionFeed = blacklistWithFeed{}
)

// userFeedChannel is the NOTIFY channel of user changes.
const userFeedChannel = "jwtd_user_feed"

// userFeedSchema installs a trigger on the users table that announces the
// id of every deleted row and of every updated row whose columns other
// than last_login changed (a login is not a change a cache must drop).
// Its function reads the row as JSON, so one function serves any table
// and column names (the trigger's arguments).
func userFeedSchema(d Dialect, s sqlstore.UserSchema) []string {
	table := d.Quote(s.Table)
	trigger := d.Quote("jwtd_user_feed_" + s.Table)
	return []string{
		`SELECT pg_advisory_xact_lock(7354024)`,
		`CREATE OR REPLACE FUNCTION jwtd_user_feed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP = 'UPDATE' AND (to_jsonb(OLD) - TG_ARGV[1]) = (to_jsonb(NEW) - TG_ARGV[1]) THEN
		RETURN NULL;
	END IF;
	PERFORM pg_notify('` + userFeedChannel + `', 'u|' || (to_jsonb(OLD) ->> TG_ARGV[0]));
	RETURN NULL;
END $$`,
		`CREATE OR REPLACE TRIGGER ` + trigger + ` AFTER UPDATE OR DELETE ON ` + table +
			` FOR EACH ROW EXECUTE FUNCTION jwtd_user_feed(` + quoteLiteral(s.ID) + `, ` + quoteLiteral(s.LastLogin) + `)`,
	}
}

// quoteLiteral is a SQL string literal (column names are checked
// identifiers; this only doubles quotes for safety).
func quoteLiteral(v string) string {
	return "'" + strings.ReplaceAll(v, "'", "''") + "'"
}

// userStoreWithFeed is the user store with a change feed.
type userStoreWithFeed struct {
	*sqlstore.UserStore
	db     *sql.DB
	schema []string
}

// Watch implements sdk.ChangeFeed: users updated (other than last_login)
// or deleted by anyone, Django included.
func (s userStoreWithFeed) Watch(ctx context.Context, send func(sdk.Change) error) error {
	return listen(ctx, s.db, userFeedChannel, s.schema, send, func(context.Context, *pgx.Conn) error { return nil })
}

var _ sdk.ChangeFeed = userStoreWithFeed{}
