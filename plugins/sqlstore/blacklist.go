package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/jwtd/jwtd/sdk"
)

// BlacklistConfig is the [plugins.blacklist_store.config] table of the SQL
// blacklist stores.
type BlacklistConfig struct {
	ConnConfig

	// Django keeps the blacklist in Simple JWT's token_blacklist tables
	// (created by Django's migrations, never by jwtd), so that a refresh
	// token blacklisted through jwtd is refused by Django's refresh view and
	// one blacklisted by Django is refused by jwtd. Default false: jwtd's
	// own tables.
	Django bool `json:"django"`
	// DjangoTables names the tables and the users table the outstanding
	// tokens refer to, for django = true (see DjangoTables).
	DjangoTables

	// Migrate creates jwtd's own tables at start: the blacklist tables
	// (django false) and the failed-login counters (jwtd_login_failures,
	// also with django: a table of jwtd's own beside Django's). Default
	// true; with false they must exist.
	Migrate *bool `json:"migrate"`
	// SweepInterval is how often a background sweep drops rows whose token
	// has expired (FlushExpired), as a Go duration. Default "1h"; "0"
	// disables it (then run `jwtd flush-expired`, or Django's
	// flushexpiredtokens, from cron).
	SweepInterval string `json:"sweep_interval"`
}

// DefaultSweepInterval is the background sweep's period when unset.
const DefaultSweepInterval = time.Hour

// CheckBlacklistKeys checks the config keys every SQL blacklist store
// (SQLite's too) shares, naming the database db in its errors, and returns
// the sweep interval: sweep_interval (default DefaultSweepInterval, "0"
// disables), and the Django table keys, which need django = true.
func CheckBlacklistKeys(db, sweepInterval string, django bool, tables DjangoTables) (time.Duration, error) {
	sweep := DefaultSweepInterval
	if sweepInterval != "" {
		var err error
		sweep, err = time.ParseDuration(sweepInterval)
		if err != nil || sweep < 0 {
			return 0, fmt.Errorf("%w: %s blacklist: sweep_interval %q: want a duration such as \"1h\", or \"0\" to disable", sdk.ErrInvalidConfig, db, sweepInterval)
		}
	}
	if !django && tables != (DjangoTables{}) {
		return 0, fmt.Errorf("%w: %s blacklist: the Django table keys need django = true", sdk.ErrInvalidConfig, db)
	}
	return sweep, nil
}

// BlacklistComponent names jwtd's own blacklist schema in jwtd_schema,
// for every SQL store (SQLite's too).
const BlacklistComponent = "blacklist"

// blacklistMigrations is jwtd's own blacklist schema, one step per
// version. The tables keep Simple JWT's outstanding/blacklisted split, but
// never the raw token: a leaked database holds no usable credential. Times
// are Unix milliseconds, so expiry comparisons are plain integer range
// scans over the expires_at indexes.
func blacklistMigrations(d Dialect) [][]string {
	t := d.Types()
	table := func(name, at string) []string {
		return []string{
			"CREATE TABLE " + name + " (jti " + t.Key + " NOT NULL PRIMARY KEY, user_id " + t.Key + " NOT NULL, token_type " + t.Key +
				" NOT NULL, " + at + " " + t.BigInt + " NOT NULL, expires_at " + t.BigInt + " NOT NULL)" + t.TableSuffix,
			"CREATE INDEX " + name + "_expires_at ON " + name + " (expires_at)",
		}
	}
	return [][]string{append(table("jwtd_outstanding_tokens", "created_at"), table("jwtd_blacklisted_tokens", "blacklisted_at")...)}
}

// tokenTables is the part of the blacklist that differs between jwtd's
// own tables and Simple JWT's.
type tokenTables interface {
	addOutstanding(ctx context.Context, t sdk.TokenRecord) error
	blacklist(ctx context.Context, t sdk.TokenRecord) (bool, error)
	isBlacklisted(ctx context.Context, jti string) (bool, error)
	flushExpired(ctx context.Context, now time.Time) (int, error)
	ping(ctx context.Context) error
}

// BlacklistStore is an sdk.BlacklistStore on a SQL database. Blacklist is
// an insert-if-absent on a unique key, so exactly one of any number of
// concurrent calls with one JTI, from any number of processes sharing the
// database, reports true; it returns only after the database committed
// the row.
//
// It is safe for concurrent use. Close stops the sweep and closes the
// pool; calls after Close return errors wrapping sdk.ErrUnavailable.
type BlacklistStore struct {
	// SessionTables give the store sdk.SessionStore (sessions.go).
	*SessionTables
	// FailureCounters give it sdk.LoginFailureStore (loginfailures.go).
	*FailureCounters

	c      *conn
	tables tokenTables

	stopSweep func() // StartSweep's stop
	closeOnce sync.Once
	closeErr  error
}

// OpenBlacklistStore opens the blacklist store cfg describes
// (BlacklistConfig) on d and starts its background sweep.
func OpenBlacklistStore(ctx context.Context, d Dialect, cfg sdk.Config) (*BlacklistStore, error) {
	var c BlacklistConfig
	if err := cfg.Decode(&c); err != nil {
		return nil, fmt.Errorf("%s blacklist: %w", d.Name(), err)
	}
	sweep, err := CheckBlacklistKeys(d.Name(), c.SweepInterval, c.Django, c.DjangoTables)
	if err != nil {
		return nil, err
	}
	cn, err := open(ctx, d, c.ConnConfig, "blacklist")
	if err != nil {
		return nil, err
	}
	s := &BlacklistStore{c: cn, FailureCounters: newFailureCounters(cn), SessionTables: newSessions(cn)}
	// The failed-login counters and the sessions are tables of jwtd's own,
	// also beside Django's tables; migrate = false means they are there.
	if c.Migrate == nil || *c.Migrate {
		err = migrate(ctx, cn, LoginFailuresComponent, loginFailureMigrations(d))
		if err == nil {
			err = migrate(ctx, cn, SessionsComponent, SessionMigrations(d))
		}
	}
	if err != nil {
		cn.db.Close()
		return nil, err
	}
	if c.Django {
		s.tables, err = newDjangoTables(ctx, cn, c.DjangoTables)
	} else {
		if c.Migrate == nil || *c.Migrate {
			err = migrate(ctx, cn, BlacklistComponent, blacklistMigrations(d))
		}
		s.tables = nativeTables{cn}
	}
	if err == nil {
		err = s.tables.ping(ctx)
	}
	if err != nil {
		cn.db.Close()
		return nil, err
	}
	s.stopSweep = StartSweep(sweep, s.FlushExpired, "sql blacklist: sweep failed", "db", s.c.d.Name())
	return s, nil
}

// OpenDjangoBlacklist is the Django blacklist (Simple JWT's tables) on a
// pool the caller opened, for a store that manages its own connections
// (SQLite's single writer): every call runs under queryTimeout, a
// background sweep runs every sweep (0: none), and Close closes db. The
// caller has created jwtd_login_failures (the failed-login counters) and
// the SessionMigrations tables in its own schema.
func OpenDjangoBlacklist(ctx context.Context, d Dialect, db *sql.DB, tables DjangoTables, queryTimeout, sweep time.Duration) (*BlacklistStore, error) {
	cn := &conn{d: d, db: db, queryTimeout: queryTimeout}
	t, err := newDjangoTables(ctx, cn, tables)
	if err == nil {
		err = t.ping(ctx)
	}
	if err != nil {
		return nil, err
	}
	s := &BlacklistStore{c: cn, tables: t, FailureCounters: newFailureCounters(cn), SessionTables: newSessions(cn)}
	s.stopSweep = StartSweep(sweep, s.FlushExpired, "sql blacklist: sweep failed", "db", s.c.d.Name())
	return s, nil
}

// checkRecord refuses records the core never sends: a JTI is the key, and
// a record without expiry would never leave the table.
func checkRecord(t sdk.TokenRecord) error {
	if t.JTI == "" {
		return errors.New("sql blacklist: token record without jti")
	}
	if t.ExpiresAt.IsZero() {
		return errors.New("sql blacklist: token record without expiry")
	}
	return nil
}

// AddOutstanding records t; a JTI already recorded keeps its first record.
func (s *BlacklistStore) AddOutstanding(ctx context.Context, t sdk.TokenRecord) error {
	if err := checkRecord(t); err != nil {
		return err
	}
	ctx, cancel := s.c.ctx(ctx)
	defer cancel()
	return s.tables.addOutstanding(ctx, t)
}

// Blacklist adds t.JTI to the blacklist unless it is there, and reports
// whether this call added it.
func (s *BlacklistStore) Blacklist(ctx context.Context, t sdk.TokenRecord) (bool, error) {
	if err := checkRecord(t); err != nil {
		return false, err
	}
	ctx, cancel := s.c.ctx(ctx)
	defer cancel()
	return s.tables.blacklist(ctx, t)
}

// IsBlacklisted reports whether jti is blacklisted (expired rows not yet
// swept still count, which the core tolerates).
func (s *BlacklistStore) IsBlacklisted(ctx context.Context, jti string) (bool, error) {
	ctx, cancel := s.c.ctx(ctx)
	defer cancel()
	return s.tables.isBlacklisted(ctx, jti)
}

// FlushExpired deletes outstanding and blacklisted rows whose token
// expired before now, and sessions past their end, and returns how many
// rows it deleted.
func (s *BlacklistStore) FlushExpired(ctx context.Context, now time.Time) (int, error) {
	n, err := s.flushTokens(ctx, now)
	if err != nil {
		return 0, err
	}
	m, err := s.FlushSessions(ctx, now)
	return n + m, err
}

func (s *BlacklistStore) flushTokens(ctx context.Context, now time.Time) (int, error) {
	ctx, cancel := s.c.ctx(ctx)
	defer cancel()
	return s.tables.flushExpired(ctx, now)
}

// Ping checks that the database answers and the blacklist tables are
// there.
func (s *BlacklistStore) Ping(ctx context.Context) error {
	ctx, cancel := s.c.ctx(ctx)
	defer cancel()
	return s.tables.ping(ctx)
}

// Close stops the background sweep, waits for it, and closes the pool.
// Calling it again returns the first call's result.
func (s *BlacklistStore) Close() error {
	s.closeOnce.Do(func() {
		s.stopSweep()
		s.closeErr = s.c.db.Close()
	})
	return s.closeErr
}

// nativeTables are jwtd's own jwtd_outstanding_tokens and
// jwtd_blacklisted_tokens.
type nativeTables struct{ c *conn }

func (n nativeTables) insertSQL(table, at string) string {
	return n.c.d.Rebind("INSERT INTO " + table + " (jti, user_id, token_type, " + at + ", expires_at) VALUES (?, ?, ?, ?, ?)" + n.c.d.OnConflictDoNothing("jti"))
}

func (n nativeTables) addOutstanding(ctx context.Context, t sdk.TokenRecord) error {
	created := t.IssuedAt
	if created.IsZero() {
		created = time.Now()
	}
	if _, err := n.c.exec(ctx, n.insertSQL("jwtd_outstanding_tokens", "created_at"), t.JTI, t.UserID, t.TokenType, created.UnixMilli(), t.ExpiresAt.UnixMilli()); err != nil {
		return n.c.unavailable("add outstanding", err)
	}
	return nil
}

func (n nativeTables) blacklist(ctx context.Context, t sdk.TokenRecord) (bool, error) {
	res, err := n.c.exec(ctx, n.insertSQL("jwtd_blacklisted_tokens", "blacklisted_at"), t.JTI, t.UserID, t.TokenType, time.Now().UnixMilli(), t.ExpiresAt.UnixMilli())
	if err != nil {
		return false, n.c.unavailable("blacklist", err)
	}
	added, err := res.RowsAffected()
	if err != nil {
		return false, n.c.unavailable("blacklist", err)
	}
	return added == 1, nil
}

func (n nativeTables) isBlacklisted(ctx context.Context, jti string) (bool, error) {
	var one int
	err := n.c.queryRow(ctx, n.c.d.Rebind("SELECT 1 FROM jwtd_blacklisted_tokens WHERE jti = ?"), []any{jti}, &one)
	switch {
	case err == nil:
		return true, nil
	case isNoRows(err):
		return false, nil
	}
	return false, n.c.unavailable("is blacklisted", err)
}

func (n nativeTables) flushExpired(ctx context.Context, now time.Time) (int, error) {
	total := 0
	for _, table := range []string{"jwtd_outstanding_tokens", "jwtd_blacklisted_tokens"} {
		res, err := n.c.exec(ctx, n.c.d.Rebind("DELETE FROM "+table+" WHERE expires_at < ?"), now.UnixMilli())
		if err != nil {
			return total, n.c.unavailable("flush expired", err)
		}
		k, err := res.RowsAffected()
		if err != nil {
			return total, n.c.unavailable("flush expired", err)
		}
		total += int(k)
	}
	return total, nil
}

func (n nativeTables) ping(ctx context.Context) error {
	var one int
	err := n.c.queryRow(ctx, "SELECT 1 FROM jwtd_blacklisted_tokens WHERE 1 = 0 UNION ALL SELECT 1", nil, &one)
	if err != nil {
		return n.c.unavailable("ping", err)
	}
	return nil
}

// Interface guards.
var (
	_ sdk.BlacklistStore = (*BlacklistStore)(nil)
	_ sdk.Pinger         = (*BlacklistStore)(nil)
	_ io.Closer          = (*BlacklistStore)(nil)
)

// FeedSource returns the store's pool for a dialect's change feed
// (postgres' LISTEN/NOTIFY), and whether the tables are jwtd's own
// (jwtd_blacklisted_tokens): a feed adds a trigger to them, never to
// Django's.
func (s *BlacklistStore) FeedSource() (db *sql.DB, native bool) {
	_, native = s.tables.(nativeTables)
	return s.c.db, native
}
