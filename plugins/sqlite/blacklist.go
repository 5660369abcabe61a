package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/jwtd/jwtd/plugins/sqlstore"
	"github.com/jwtd/jwtd/sdk"
)

// BlacklistConfig is the [plugins.blacklist_store.config] table of the
// SQLite blacklist store.
type BlacklistConfig struct {
	// Path is the database file, created if absent. Required. It may be the
	// user store's file: the tables differ.
	Path string `json:"path"`
	// SweepInterval is how often a background sweep drops rows whose token
	// has expired (FlushExpired), as a Go duration. Default "1h"; "0"
	// disables the sweep (then run `jwtd flush-expired` from cron).
	SweepInterval string `json:"sweep_interval"`
	// BusyTimeout is how long a write waits for another connection's or
	// process's lock, as a Go duration. Default "5s".
	BusyTimeout string `json:"busy_timeout"`
	// Django keeps the blacklist in Simple JWT's token_blacklist tables of
	// a Django SQLite database (created by Django's migrations, never by
	// jwtd), so that a token blacklisted on either side is refused by
	// both; the table keys are sqlstore.DjangoTables'. Default false.
	Django bool `json:"django"`
	// GroupCommit commits concurrent Blacklist and AddOutstanding calls
	// together, one transaction and one fsync for many (groupcommit.go);
	// each call is still answered only once its write is durable. Default
	// true; false commits each call on its own (one fsync per write), the
	// old path, kept for comparison. The Django tables (django = true)
	// always commit each call on its own.
	GroupCommit *bool `json:"group_commit"`
	sqlstore.DjangoTables
}

// blacklistMigrations is the blacklist schema, one step per version. The
// tables keep Simple JWT's outstanding/blacklisted split, but never the raw
// token: a leaked database holds no usable credential. Times are Unix
// milliseconds, so expiry comparisons are plain integer range scans over the
// expires_at indexes.
var blacklistMigrations = [][]string{{`
CREATE TABLE jwtd_outstanding_tokens (
	jti        TEXT PRIMARY KEY NOT NULL,
	user_id    TEXT NOT NULL,
	token_type TEXT NOT NULL,
	created_at INTEGER NOT NULL,
	expires_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX jwtd_outstanding_tokens_expires_at ON jwtd_outstanding_tokens (expires_at);
CREATE TABLE jwtd_blacklisted_tokens (
	jti            TEXT PRIMARY KEY NOT NULL,
	user_id        TEXT NOT NULL,
	token_type     TEXT NOT NULL,
	blacklisted_at INTEGER NOT NULL,
	expires_at     INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX jwtd_blacklisted_tokens_expires_at ON jwtd_blacklisted_tokens (expires_at);
`}}

// BlacklistStore is an sdk.BlacklistStore on SQLite. Blacklist is a single
// INSERT ... ON CONFLICT DO NOTHING, so exactly one of any number of
// concurrent calls with one JTI, from any number of connections or processes
// sharing the file, reports true.
//
// Durability: connections run with synchronous=FULL. In WAL mode NORMAL
// would already survive SIGKILL of the process (the WAL is in the OS page
// cache), but it may lose the last commits on power loss or a kernel crash;
// a lost blacklist row would revive a rotated or logged-out refresh token,
// so the store pays an fsync per write transaction for durability across
// machine failures too. With group commit (the default, groupcommit.go)
// concurrent writes share one transaction and its fsync. Reads
// (IsBlacklisted, the hot path) are not affected.
//
// It is safe for concurrent use. Close stops the sweep and closes the
// database; calls after Close return errors wrapping sdk.ErrUnavailable.
type BlacklistStore struct {
	// SessionTables give the store sdk.SessionStore (sessions.go).
	*sqlstore.SessionTables

	db          *sql.DB // the writer (one connection)
	ro          *sql.DB // the read pool (IsBlacklisted, Export, Ping)
	isBlacklist *sql.Stmt
	blacklist   *sql.Stmt
	outstanding *sql.Stmt
	// group, when group commit is on, makes Blacklist's and
	// AddOutstanding's writes.
	group *committer
	// The failed-login counters (sdk.LoginFailureStore), on the writer and
	// the read pool.
	*sqlstore.FailureCounters
	feeds feedStop // feed.go

	stopSweep func() // StartSweep's stop
	closeOnce sync.Once
	closeErr  error
}

// NewBlacklistStore opens (creating and migrating if needed) the blacklist
// database named by cfg's "path" and starts its background sweep. It is an
// sdk.Factory[sdk.BlacklistStore]; the result is a *BlacklistStore.
func NewBlacklistStore(ctx context.Context, cfg sdk.Config) (sdk.BlacklistStore, error) {
	if django, _ := cfg["django"].(bool); django {
		return openDjangoBlacklist(ctx, cfg)
	}
	return OpenBlacklistStore(ctx, cfg)
}

// openDjangoBlacklist serves Simple JWT's tables (django = true) through
// sqlstore's Django blacklist on the store's single writer connection,
// with synchronous=FULL as the native blacklist.
func openDjangoBlacklist(ctx context.Context, cfg sdk.Config) (sdk.BlacklistStore, error) {
	c, busy, sweep, err := decodeBlacklistConfig(cfg)
	if err != nil {
		return nil, err
	}
	db, err := openDB(ctx, c.Path, busy, "FULL")
	if err != nil {
		return nil, err
	}
	if err := sqlstore.Migrate(ctx, dialect{}, db, sqlstore.LoginFailuresComponent, loginFailureMigrations); err != nil {
		db.Close()
		return nil, err
	}
	if err := sqlstore.Migrate(ctx, dialect{}, db, sqlstore.SessionsComponent, sqlstore.SessionMigrations(dialect{})); err != nil {
		db.Close()
		return nil, err
	}
	// The call's own deadline (the host's call_timeout) bounds each call;
	// busy_timeout bounds the wait for a lock within it.
	s, err := sqlstore.OpenDjangoBlacklist(ctx, dialect{}, db, c.DjangoTables, busy+time.Second, sweep)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlite blacklist: %w", err)
	}
	return s, nil
}

// decodeBlacklistConfig decodes and checks cfg.
func decodeBlacklistConfig(cfg sdk.Config) (c BlacklistConfig, busy, sweep time.Duration, err error) {
	if err = cfg.Decode(&c); err != nil {
		return c, 0, 0, fmt.Errorf("sqlite blacklist: %w", err)
	}
	if busy, err = parseBusyTimeout(c.BusyTimeout); err != nil {
		return c, 0, 0, err
	}
	if sweep, err = sqlstore.CheckBlacklistKeys("sqlite", c.SweepInterval, c.Django, c.DjangoTables); err != nil {
		return c, 0, 0, err
	}
	return c, busy, sweep, nil
}

// OpenBlacklistStore is NewBlacklistStore returning the concrete type, for
// callers that need Export or Close without a type assertion.
//
// With django = true use NewBlacklistStore: the Django tables are served by
// another type, and OpenBlacklistStore refuses the key.
func OpenBlacklistStore(ctx context.Context, cfg sdk.Config) (*BlacklistStore, error) {
	c, busy, sweep, err := decodeBlacklistConfig(cfg)
	if err != nil {
		return nil, err
	}
	if c.Django {
		return nil, fmt.Errorf("%w: sqlite blacklist: django = true is served by NewBlacklistStore (no Export)", sdk.ErrInvalidConfig)
	}
	db, err := openDB(ctx, c.Path, busy, "FULL")
	if err != nil {
		return nil, err
	}
	s := &BlacklistStore{db: db}
	if err := s.init(ctx, c.Path, busy); err != nil {
		db.Close()
		if s.ro != nil {
			s.ro.Close()
		}
		return nil, err
	}
	if c.GroupCommit == nil || *c.GroupCommit {
		s.group = newCommitter(db, s.blacklist, s.outstanding)
		s.SessionTables.WithTxRunner(s.group.runTx)
	}
	s.stopSweep = sqlstore.StartSweep(sweep, s.FlushExpired, "sqlite blacklist: sweep failed")
	return s, nil
}

func (s *BlacklistStore) init(ctx context.Context, path string, busy time.Duration) error {
	if err := sqlstore.Migrate(ctx, dialect{}, s.db, sqlstore.BlacklistComponent, blacklistMigrations); err != nil {
		return err
	}
	if err := sqlstore.Migrate(ctx, dialect{}, s.db, sqlstore.LoginFailuresComponent, loginFailureMigrations); err != nil {
		return err
	}
	if err := sqlstore.Migrate(ctx, dialect{}, s.db, sqlstore.SessionsComponent, sqlstore.SessionMigrations(dialect{})); err != nil {
		return err
	}
	var err error
	if s.ro, err = openReader(ctx, path, busy); err != nil {
		return err
	}
	// The call's own deadline bounds each call, busy_timeout the wait for
	// the write lock within it, as for the blacklist's own calls.
	s.FailureCounters = sqlstore.NewFailureCountersOn(dialect{}, s.db, s.ro, 0)
	if s.SessionTables, err = sqlstore.NewSessions(dialect{}, s.db, s.ro, busy+time.Second); err != nil {
		return err
	}
	// Each statement is prepared once here and reused by every call;
	// database/sql re-prepares it lazily on each pooled connection.
	prepare := func(db *sql.DB, q string) *sql.Stmt {
		if err != nil {
			return nil
		}
		var st *sql.Stmt
		st, err = db.PrepareContext(ctx, q)
		return st
	}
	s.isBlacklist = prepare(s.ro, `SELECT 1 FROM jwtd_blacklisted_tokens WHERE jti = ?`)
	s.blacklist = prepare(s.db, `INSERT INTO jwtd_blacklisted_tokens (jti, user_id, token_type, blacklisted_at, expires_at)
		VALUES (?, ?, ?, ?, ?) ON CONFLICT (jti) DO NOTHING`)
	s.outstanding = prepare(s.db, `INSERT INTO jwtd_outstanding_tokens (jti, user_id, token_type, created_at, expires_at)
		VALUES (?, ?, ?, ?, ?) ON CONFLICT (jti) DO NOTHING`)
	if err != nil {
		return unavailable("prepare", err)
	}
	return nil
}

// checkRecord refuses records the core never sends: a JTI is the key, and a
// record without expiry would never leave the table.
func checkRecord(t sdk.TokenRecord) error {
	if t.JTI == "" {
		return errors.New("sqlite blacklist: token record without jti")
	}
	if t.ExpiresAt.IsZero() {
		return errors.New("sqlite blacklist: token record without expiry")
	}
	return nil
}

// AddOutstanding records t; a JTI already recorded keeps its first record.
func (s *BlacklistStore) AddOutstanding(ctx context.Context, t sdk.TokenRecord) error {
	if err := checkRecord(t); err != nil {
		return err
	}
	created := t.IssuedAt
	if created.IsZero() {
		created = time.Now()
	}
	args := [5]any{t.JTI, t.UserID, t.TokenType, created.UnixMilli(), t.ExpiresAt.UnixMilli()}
	if s.group != nil {
		_, err := s.group.write(ctx, false, args)
		return err
	}
	if _, err := s.outstanding.ExecContext(ctx, args[:]...); err != nil {
		return unavailable("add outstanding", err)
	}
	return nil
}

// Blacklist adds t.JTI to the blacklist unless it is there, and reports
// whether this call added it. The row is committed (and fsynced) before it
// returns true; with group commit, together with concurrent calls' rows.
func (s *BlacklistStore) Blacklist(ctx context.Context, t sdk.TokenRecord) (bool, error) {
	if err := checkRecord(t); err != nil {
		return false, err
	}
	args := [5]any{t.JTI, t.UserID, t.TokenType, time.Now().UnixMilli(), t.ExpiresAt.UnixMilli()}
	if s.group != nil {
		return s.group.write(ctx, true, args)
	}
	res, err := s.blacklist.ExecContext(ctx, args[:]...)
	if err != nil {
		return false, unavailable("blacklist", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, unavailable("blacklist", err)
	}
	return n == 1, nil
}

// IsBlacklisted reports whether jti is blacklisted (expired rows not yet
// swept still count, which the core tolerates).
func (s *BlacklistStore) IsBlacklisted(ctx context.Context, jti string) (bool, error) {
	var one int
	err := s.isBlacklist.QueryRowContext(ctx, jti).Scan(&one)
	switch {
	case err == nil:
		return true, nil
	case isNoRows(err):
		return false, nil
	default:
		return false, unavailable("is blacklisted", err)
	}
}

// FlushExpired deletes outstanding and blacklisted rows whose ExpiresAt is
// before now, in one transaction, and returns how many rows it deleted.
// ExpiresAt is the core's (exp plus leeway, later for sliding tokens), so a
// row never goes while its token can still be accepted.
func (s *BlacklistStore) FlushExpired(ctx context.Context, now time.Time) (int, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, unavailable("flush expired", err)
	}
	defer tx.Rollback()
	total := 0
	for _, q := range []string{
		`DELETE FROM jwtd_outstanding_tokens WHERE expires_at < ?`,
		`DELETE FROM jwtd_blacklisted_tokens WHERE expires_at < ?`,
	} {
		res, err := tx.ExecContext(ctx, q, now.UnixMilli())
		if err != nil {
			return 0, unavailable("flush expired", err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return 0, unavailable("flush expired", err)
		}
		total += int(n)
	}
	if err := tx.Commit(); err != nil {
		return 0, unavailable("flush expired", err)
	}
	n, err := s.FlushSessions(ctx, now)
	return total + n, err
}

// Export calls fn for every entry whose token has not expired at now: once
// per outstanding record with blacklisted false, and once per blacklisted
// record with blacklisted true (a blacklisted token that is also outstanding
// is seen twice, once each way). It reads one consistent snapshot, so
// `jwtd` can copy a live SQLite blacklist into another store (Redis) by
// calling AddOutstanding or Blacklist there. For a blacklisted record,
// IssuedAt is when it was blacklisted. fn's error stops the export and is
// returned as it is.
func (s *BlacklistStore) Export(ctx context.Context, now time.Time, fn func(rec sdk.TokenRecord, blacklisted bool) error) error {
	conn, err := s.ro.Conn(ctx)
	if err != nil {
		return unavailable("export", err)
	}
	defer conn.Close()
	// A deferred read transaction on the read pool is a WAL snapshot that
	// blocks no writer.
	if _, err := conn.ExecContext(ctx, `BEGIN DEFERRED`); err != nil {
		return unavailable("export", err)
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), `ROLLBACK`)
	for _, part := range []struct {
		query       string
		blacklisted bool
	}{
		{`SELECT jti, user_id, token_type, created_at, expires_at FROM jwtd_outstanding_tokens WHERE expires_at >= ? ORDER BY jti`, false},
		{`SELECT jti, user_id, token_type, blacklisted_at, expires_at FROM jwtd_blacklisted_tokens WHERE expires_at >= ? ORDER BY jti`, true},
	} {
		if err := exportRows(ctx, conn, part.query, now, part.blacklisted, fn); err != nil {
			return err
		}
	}
	return nil
}

func exportRows(ctx context.Context, conn *sql.Conn, query string, now time.Time, blacklisted bool, fn func(sdk.TokenRecord, bool) error) error {
	rows, err := conn.QueryContext(ctx, query, now.UnixMilli())
	if err != nil {
		return unavailable("export", err)
	}
	defer rows.Close()
	for rows.Next() {
		var rec sdk.TokenRecord
		var at, exp int64
		if err := rows.Scan(&rec.JTI, &rec.UserID, &rec.TokenType, &at, &exp); err != nil {
			return unavailable("export", err)
		}
		rec.IssuedAt = time.UnixMilli(at).UTC()
		rec.ExpiresAt = time.UnixMilli(exp).UTC()
		if err := fn(rec, blacklisted); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return unavailable("export", err)
	}
	return nil
}

// Ping checks that the database answers and the blacklist table is there.
func (s *BlacklistStore) Ping(ctx context.Context) error {
	var n int
	if err := s.ro.QueryRowContext(ctx, `SELECT count(*) FROM (SELECT 1 FROM jwtd_blacklisted_tokens LIMIT 1)`).Scan(&n); err != nil {
		return unavailable("ping", err)
	}
	return nil
}

// Close stops the background sweep, waits for it, and closes the database.
// Calling it again returns the first call's result.
func (s *BlacklistStore) Close() error {
	s.closeOnce.Do(func() {
		s.feeds.stop()
		s.stopSweep()
		if s.group != nil {
			s.group.close()
		}
		s.closeErr = errors.Join(s.isBlacklist.Close(), s.blacklist.Close(), s.outstanding.Close(), s.SessionTables.Close(), s.ro.Close(), s.db.Close())
	})
	return s.closeErr
}

// Interface guards.
var (
	_ sdk.BlacklistStore              = (*BlacklistStore)(nil)
	_ sdk.Pinger                      = (*BlacklistStore)(nil)
	_ io.Closer                       = (*BlacklistStore)(nil)
	_ sdk.Factory[sdk.BlacklistStore] = NewBlacklistStore
)
