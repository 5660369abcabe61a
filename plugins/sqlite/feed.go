package sqlite

// The SQLite stores' change feeds (sdk.ChangeFeed).
//
// How a change made by another process is noticed: a feed holds one read
// connection and polls `PRAGMA data_version` on it every feedPoll (10 ms).
// SQLite changes that value whenever another connection — this process's
// writer, the jwtd CLI, Django, sqlite3 — commits to the file, and only
// then, so a value that did not move proves that nothing was committed
// since the previous poll: the feed then sends ChangeSynced for the time
// the poll started. When it moved, the feed reads what changed and sends it
// before ChangeSynced. Propagation is therefore one poll interval plus the
// read, well under the host's 100 ms max lag, whatever process wrote.
//
// What changed:
//
//   - Blacklist: a trigger on jwtd_blacklisted_tokens (created by the first
//     Watch; CREATE TRIGGER IF NOT EXISTS) appends every inserted or
//     updated row's jti and expiry to jwtd_blacklist_changes, whose
//     AUTOINCREMENT seq is never reused and, SQLite having one writer at a
//     time, grows in commit order; the feed reads `seq > last seen`. Any
//     writer is seen, the CLI and raw SQL included, because the trigger
//     lives in the file. Rows older than feedLogRetention are pruned; a
//     feed that falls further behind sees the gap and resynchronises. The
//     Django blacklist tables (django = true) have no feed: jwtd does not
//     add triggers to tables Django's migrations own, so those stores are
//     asked on every call.
//   - Sessions (sdk.SessionFeed): triggers on jwtd_sessions (a session
//     turning revoked) and jwtd_user_not_before (a user's not-before set or
//     moved) append to jwtd_session_changes in the same way, read and
//     pruned with the blacklist's log; the snapshot after ChangeReset adds
//     every revoked session not yet expired and every not-before. These are
//     jwtd's own tables, so every writer (RevokeSession, logout-all, reuse
//     detection, the CLI, raw SQL) is seen.
//   - Users: a user table has no change log, and jwtd adds nothing to one
//     Django owns (Django's SQLite migrations rebuild tables and would drop
//     a trigger silently). Instead the store remembers a digest of every
//     user LookupUser returned while a feed runs (the users a host can have
//     cached; at most feedWatchCap, the oldest forgotten first with a
//     ChangeUser so the host forgets it too) and, when data_version moved,
//     re-reads them in batches and sends ChangeUser for each whose id,
//     username, is_active, password hash or attributes changed, or which is
//     gone. last_login is not compared (a login is not a change that
//     matters to authenticate). The cost is one indexed read per remembered
//     user per poll that saw a commit; with the blacklist in the same file
//     every refresh is such a commit, so remembered users are read at most
//     100 times a second (about 1 µs each).

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/jwtd/jwtd/sdk"
)

const (
	// feedPoll is how often a feed polls data_version.
	feedPoll = 10 * time.Millisecond
	// feedLogRetention is how long blacklist change rows are kept.
	feedLogRetention = 10 * time.Minute
	// feedWatchCap bounds the users a user feed remembers.
	feedWatchCap = 50000
	// feedBatch is the most ids one re-read asks for.
	feedBatch = 500
)

// errFeedGap: the change log was pruned past what this feed had read.
var errFeedGap = fmt.Errorf("%w: sqlite change feed fell behind the change log", sdk.ErrUnavailable)

// feedStop ends a store's running feeds when the store closes: each sends
// ChangeReset, so that an in-process host stops answering from memory
// before Close returns, and returns sdk.ErrUnavailable.
type feedStop struct {
	mu     sync.Mutex
	ch     chan struct{}
	closed bool
	wg     sync.WaitGroup
}

// begin registers a feed; ok is false once the store is closed. Call end
// when the feed returns.
func (f *feedStop) begin() (stop <-chan struct{}, ok bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return nil, false
	}
	if f.ch == nil {
		f.ch = make(chan struct{})
	}
	f.wg.Add(1)
	return f.ch, true
}

func (f *feedStop) end() { f.wg.Done() }

// stop ends every running feed and waits for them.
func (f *feedStop) stop() {
	f.mu.Lock()
	if !f.closed {
		f.closed = true
		if f.ch != nil {
			close(f.ch)
		}
	}
	f.mu.Unlock()
	f.wg.Wait()
}

// errFeedStoreClosed ends a feed whose store closed.
var errFeedStoreClosed = fmt.Errorf("%w: sqlite change feed: store closed", sdk.ErrUnavailable)

// pollFeed runs the common loop of both feeds on conn: every feedPoll it
// reads data_version and calls round with whether it moved (it always
// moves on the first round); then it sends ChangeSynced for the instant the
// round started. When stop closes it sends ChangeReset and ends.
func pollFeed(ctx context.Context, stop <-chan struct{}, conn *sql.Conn, send func(sdk.Change) error, round func(ctx context.Context, moved bool) error) error {
	t := time.NewTicker(feedPoll)
	defer t.Stop()
	var last int64 = -1
	var lastSync time.Time
	for {
		start := time.Now()
		var v int64
		if err := conn.QueryRowContext(ctx, `PRAGMA data_version`).Scan(&v); err != nil {
			return feedErr(ctx, err)
		}
		moved := v != last
		last = v
		if err := round(ctx, moved); err != nil {
			return feedErr(ctx, err)
		}
		if moved || start.Sub(lastSync) >= sdk.SyncInterval/2 {
			if err := send(sdk.Change{Kind: sdk.ChangeSynced, At: start}); err != nil {
				return err
			}
			lastSync = start
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-stop:
			_ = send(sdk.Change{Kind: sdk.ChangeReset})
			return errFeedStoreClosed
		case <-t.C:
		}
	}
}

func feedErr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if errors.Is(err, sdk.ErrUnavailable) {
		return err
	}
	return unavailable("change feed", err)
}

// blacklistFeedSchema is created by the first Watch, on the writer.
const blacklistFeedSchema = `
CREATE TABLE IF NOT EXISTS jwtd_blacklist_changes (
	seq        INTEGER PRIMARY KEY AUTOINCREMENT,
	jti        TEXT NOT NULL,
	expires_at INTEGER NOT NULL,
	at         INTEGER NOT NULL
);
CREATE TRIGGER IF NOT EXISTS jwtd_blacklisted_tokens_insert_feed AFTER INSERT ON jwtd_blacklisted_tokens
BEGIN
	INSERT INTO jwtd_blacklist_changes (jti, expires_at, at) VALUES (NEW.jti, NEW.expires_at, CAST(strftime('%s','now') AS INTEGER));
END;
CREATE TRIGGER IF NOT EXISTS jwtd_blacklisted_tokens_update_feed AFTER UPDATE ON jwtd_blacklisted_tokens
BEGIN
	INSERT INTO jwtd_blacklist_changes (jti, expires_at, at) VALUES (NEW.jti, NEW.expires_at, CAST(strftime('%s','now') AS INTEGER));
END;
CREATE TABLE IF NOT EXISTS jwtd_session_changes (
	seq        INTEGER PRIMARY KEY AUTOINCREMENT,
	kind       INTEGER NOT NULL,
	user_id    TEXT NOT NULL,
	session_id TEXT NOT NULL,
	not_before INTEGER NOT NULL,
	expires_at INTEGER NOT NULL,
	at         INTEGER NOT NULL
);
CREATE TRIGGER IF NOT EXISTS jwtd_sessions_revoked_feed AFTER UPDATE OF revoked ON jwtd_sessions
WHEN NEW.revoked <> 0 AND OLD.revoked = 0
BEGIN
	INSERT INTO jwtd_session_changes (kind, user_id, session_id, not_before, expires_at, at)
	VALUES (` + sessionRevokedKind + `, NEW.user_id, NEW.id, 0, NEW.expires_at, CAST(strftime('%s','now') AS INTEGER));
END;
CREATE TRIGGER IF NOT EXISTS jwtd_user_not_before_insert_feed AFTER INSERT ON jwtd_user_not_before
BEGIN
	INSERT INTO jwtd_session_changes (kind, user_id, session_id, not_before, expires_at, at)
	VALUES (` + userNotBeforeKind + `, NEW.user_id, '', NEW.not_before, 0, CAST(strftime('%s','now') AS INTEGER));
END;
CREATE TRIGGER IF NOT EXISTS jwtd_user_not_before_update_feed AFTER UPDATE ON jwtd_user_not_before
BEGIN
	INSERT INTO jwtd_session_changes (kind, user_id, session_id, not_before, expires_at, at)
	VALUES (` + userNotBeforeKind + `, NEW.user_id, '', NEW.not_before, 0, CAST(strftime('%s','now') AS INTEGER));
END;
`

// The kinds of jwtd_session_changes rows (sdk.ChangeKind values, spelt in
// the triggers' SQL).
const (
	blacklistedKind    = "3" // sdk.ChangeBlacklisted
	sessionRevokedKind = "5" // sdk.ChangeSessionRevoked
	userNotBeforeKind  = "6" // sdk.ChangeUserNotBefore
)

// SessionsInFeed implements sdk.SessionFeed: the triggers above put every
// session revocation and not-before move of the file in the feed.
func (s *BlacklistStore) SessionsInFeed() bool { return true }

// feedPos is how far a feed has read the two change logs.
type feedPos struct{ black, sess int64 }

// Watch implements sdk.ChangeFeed: every jti blacklisted in the file, by
// any process.
func (s *BlacklistStore) Watch(ctx context.Context, send func(sdk.Change) error) error {
	stop, ok := s.feeds.begin()
	if !ok {
		return errFeedStoreClosed
	}
	defer s.feeds.end()
	if _, err := s.db.ExecContext(ctx, blacklistFeedSchema); err != nil {
		return feedErr(ctx, err)
	}
	conn, err := s.ro.Conn(ctx)
	if err != nil {
		return feedErr(ctx, err)
	}
	defer conn.Close()
	if err := send(sdk.Change{Kind: sdk.ChangeReset}); err != nil {
		return err
	}
	seq, err := s.feedSnapshot(ctx, conn, send)
	if err != nil {
		return err
	}
	lastPrune := time.Now()
	return pollFeed(ctx, stop, conn, send, func(ctx context.Context, moved bool) error {
		if !moved {
			return nil
		}
		if time.Since(lastPrune) > time.Minute {
			lastPrune = time.Now()
			// Any process may prune; a failure only leaves rows longer.
			_, _ = s.db.ExecContext(ctx, `DELETE FROM jwtd_blacklist_changes WHERE at < ?`, time.Now().Add(-feedLogRetention).Unix())
			_, _ = s.db.ExecContext(ctx, `DELETE FROM jwtd_session_changes WHERE at < ?`, time.Now().Add(-feedLogRetention).Unix())
		}
		return s.feedChanges(ctx, conn, &seq, send)
	})
}

// feedSnapshot sends every unexpired blacklisted jti and returns the change
// log position it is consistent with, both read in one WAL snapshot.
func (s *BlacklistStore) feedSnapshot(ctx context.Context, conn *sql.Conn, send func(sdk.Change) error) (pos feedPos, err error) {
	if _, err := conn.ExecContext(ctx, `BEGIN DEFERRED`); err != nil {
		return pos, feedErr(ctx, err)
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), `ROLLBACK`)
	if err := conn.QueryRowContext(ctx, `SELECT (SELECT coalesce(max(seq), 0) FROM jwtd_blacklist_changes), (SELECT coalesce(max(seq), 0) FROM jwtd_session_changes)`).Scan(&pos.black, &pos.sess); err != nil {
		return pos, feedErr(ctx, err)
	}
	now := time.Now().UnixMilli()
	snap := []struct {
		q    string
		args []any
	}{
		{`SELECT ` + blacklistedKind + `, jti, '', 0, expires_at FROM jwtd_blacklisted_tokens WHERE expires_at >= ?`, []any{now}},
		{`SELECT ` + sessionRevokedKind + `, user_id, id, 0, expires_at FROM jwtd_sessions WHERE revoked <> 0 AND expires_at > ?`, []any{now}},
		{`SELECT ` + userNotBeforeKind + `, user_id, '', not_before, 0 FROM jwtd_user_not_before`, nil},
	}
	for _, q := range snap {
		if err := sendRows(ctx, conn, q.q, q.args, send, nil); err != nil {
			return pos, err
		}
	}
	return pos, nil
}

// sendRows sends each row of q (kind, key, session id, not before, expires
// at; instants in Unix milliseconds, 0 for none) as a Change; with seq it
// also reads a leading seq column and checks that the rows follow *seq
// without a gap.
func sendRows(ctx context.Context, conn *sql.Conn, q string, args []any, send func(sdk.Change) error, seq *int64) error {
	rows, err := conn.QueryContext(ctx, q, args...)
	if err != nil {
		return feedErr(ctx, err)
	}
	defer rows.Close()
	first := true
	for rows.Next() {
		var n, kind, nb, exp int64
		var key, sid string
		dest := []any{&kind, &key, &sid, &nb, &exp}
		if seq != nil {
			dest = append([]any{&n}, dest...)
		}
		if err := rows.Scan(dest...); err != nil {
			return feedErr(ctx, err)
		}
		if seq != nil {
			if first && n != *seq+1 {
				// Rows between were pruned before this feed read them
				// (seq never skips otherwise: AUTOINCREMENT, rolled back
				// with its transaction).
				return errFeedGap
			}
			first = false
			*seq = n
		}
		c := sdk.Change{Kind: sdk.ChangeKind(kind)}
		if exp != 0 {
			c.ExpiresAt = time.UnixMilli(exp)
		}
		switch c.Kind {
		case sdk.ChangeBlacklisted:
			c.JTI = key
		case sdk.ChangeSessionRevoked:
			c.UserID, c.SessionID = key, sid
		case sdk.ChangeUserNotBefore:
			c.UserID, c.NotBefore = key, time.UnixMilli(nb)
		}
		if err := send(c); err != nil {
			return err
		}
	}
	return feedErr0(ctx, rows.Err())
}

func feedErr0(ctx context.Context, err error) error {
	if err == nil {
		return nil
	}
	return feedErr(ctx, err)
}

// feedChanges sends both change logs' rows after pos.
func (s *BlacklistStore) feedChanges(ctx context.Context, conn *sql.Conn, pos *feedPos, send func(sdk.Change) error) error {
	if err := sendRows(ctx, conn, `SELECT seq, `+blacklistedKind+`, jti, '', 0, expires_at FROM jwtd_blacklist_changes WHERE seq > ? ORDER BY seq`, []any{pos.black}, send, &pos.black); err != nil {
		return err
	}
	return sendRows(ctx, conn, `SELECT seq, kind, user_id, session_id, not_before, expires_at FROM jwtd_session_changes WHERE seq > ? ORDER BY seq`, []any{pos.sess}, send, &pos.sess)
}

// userWatch is what a user store's feed remembers: a digest per user id
// LookupUser returned, in the order first seen (for the cap).
type userWatch struct {
	mu       sync.Mutex
	watchers int
	digests  map[string][16]byte
	order    []string
	// stale are users to report as changed at the next round: forgotten
	// over the cap, or read by a lookup that a re-read overtook.
	stale []string
	// rounds counts re-reads. A lookup that read the row before a commit
	// and is noted after the re-read that followed the commit would keep
	// the old state unnoticed; such a lookup sees rounds move and is
	// reported instead.
	rounds uint64
}

// round returns the re-read count, for a lookup to pass to note.
func (w *userWatch) round() uint64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.rounds
}

// note remembers u's digest while a feed runs; round is what round
// returned before the lookup read u.
func (w *userWatch) note(u sdk.User, round uint64) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.watchers == 0 {
		return
	}
	if round != w.rounds {
		w.stale = append(w.stale, u.ID)
		delete(w.digests, u.ID)
		return
	}
	if _, ok := w.digests[u.ID]; !ok {
		w.order = append(w.order, u.ID)
	}
	w.digests[u.ID] = userDigest(u)
	if len(w.order) > 2*feedWatchCap {
		// Drop ids forgotten since (changed users), keeping the order.
		kept := w.order[:0]
		for _, id := range w.order {
			if _, ok := w.digests[id]; ok {
				kept = append(kept, id)
			}
		}
		w.order = kept
	}
	for len(w.digests) > feedWatchCap {
		id := w.order[0]
		w.order = w.order[1:]
		if _, ok := w.digests[id]; ok {
			delete(w.digests, id)
			w.stale = append(w.stale, id)
		}
	}
}

// userDigest covers what a host caches of a user, except last_login.
func userDigest(u sdk.User) [16]byte {
	attrs, _ := json.Marshal(u.Attributes)
	h := sha256.New()
	fmt.Fprintf(h, "%q %q %t %q ", u.ID, u.Username, u.IsActive, u.PasswordHash)
	h.Write(attrs)
	var d [16]byte
	copy(d[:], h.Sum(nil))
	return d
}

// Watch implements sdk.ChangeFeed: users this store returned whose row
// another process (or this one) changed or deleted.
func (u *UserStore) Watch(ctx context.Context, send func(sdk.Change) error) error {
	stop, ok := u.feeds.begin()
	if !ok {
		return errFeedStoreClosed
	}
	defer u.feeds.end()
	conn, err := u.ro.Conn(ctx)
	if err != nil {
		return feedErr(ctx, err)
	}
	defer conn.Close()
	w := &u.watch
	w.mu.Lock()
	if w.watchers == 0 {
		w.digests, w.order, w.stale = map[string][16]byte{}, nil, nil
	}
	w.watchers++
	w.mu.Unlock()
	defer func() {
		w.mu.Lock()
		w.watchers--
		w.mu.Unlock()
	}()
	if err := send(sdk.Change{Kind: sdk.ChangeReset}); err != nil {
		return err
	}
	return pollFeed(ctx, stop, conn, send, func(ctx context.Context, moved bool) error {
		return u.feedUsers(ctx, conn, moved, send)
	})
}

// feedUsers sends ChangeUser for the stale users and, when data_version
// moved, re-reads the remembered users and sends it for those that differ
// or are gone.
func (u *UserStore) feedUsers(ctx context.Context, conn *sql.Conn, moved bool, send func(sdk.Change) error) error {
	w := &u.watch
	w.mu.Lock()
	var ids []string
	if moved {
		w.rounds++
		ids = make([]string, 0, len(w.digests))
		for id := range w.digests {
			ids = append(ids, id)
		}
	}
	stale := w.stale
	w.stale = nil
	w.mu.Unlock()
	for _, id := range stale {
		if err := send(sdk.Change{Kind: sdk.ChangeUser, UserID: id}); err != nil {
			return err
		}
	}
	for len(ids) > 0 {
		batch := ids[:min(len(ids), feedBatch)]
		ids = ids[len(batch):]
		users, err := u.UsersByID(ctx, conn, batch)
		if err != nil {
			return err
		}
		now := map[string][16]byte{}
		for _, usr := range users {
			now[usr.ID] = userDigest(usr)
		}
		var changed []string
		w.mu.Lock()
		for _, id := range batch {
			old, ok := w.digests[id]
			if !ok {
				continue
			}
			if d, found := now[id]; !found || d != old {
				// Forget it: the host drops its entry and the next lookup
				// remembers the new state.
				delete(w.digests, id)
				changed = append(changed, id)
			}
		}
		w.mu.Unlock()
		for _, id := range changed {
			if err := send(sdk.Change{Kind: sdk.ChangeUser, UserID: id}); err != nil {
				return err
			}
		}
	}
	return nil
}

// Interface guards.
var (
	_ sdk.ChangeFeed  = (*BlacklistStore)(nil)
	_ sdk.ChangeFeed  = (*UserStore)(nil)
	_ sdk.SessionFeed = (*BlacklistStore)(nil)
)
