package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"
	"time"

	"github.com/jwtd/jwtd/sdk"
)

// ConnConfig is the connection part of both stores' config tables.
type ConnConfig struct {
	// DSN is the database's data source name in the driver's form (a
	// postgres:// URL or key=value string for PostgreSQL;
	// user:pass@tcp(host:3306)/db for MySQL). TLS is set there, as the
	// driver's DSN allows (sslmode=verify-full; tls=true). Exactly one of
	// dsn, dsn_env and dsn_file is required. The DSN may hold a password:
	// it is never logged or put into an error.
	DSN string `json:"dsn"`
	// DSNEnv names an environment variable holding the DSN (for a plugin
	// binary, list it in the section's env too).
	DSNEnv string `json:"dsn_env"`
	// DSNFile names a file holding the DSN (trailing newlines dropped).
	DSNFile string `json:"dsn_file"`
	// MaxOpenConns bounds the pool. Default 10.
	MaxOpenConns int `json:"max_open_conns"`
	// ConnMaxLifetime closes connections older than this, so that a
	// failover or a DNS change is picked up. Default "30m".
	ConnMaxLifetime string `json:"conn_max_lifetime"`
	// ConnectTimeout bounds one connection attempt. Default "5s".
	ConnectTimeout string `json:"connect_timeout"`
	// QueryTimeout bounds every store call; a database slower than this is
	// unavailable (503) for that call. Default "3s", below the host's
	// default call_timeout, so that the store's own error reaches the host.
	QueryTimeout string `json:"query_timeout"`
}

// Defaults of ConnConfig.
const (
	DefaultMaxOpenConns    = 10
	DefaultConnMaxLifetime = 30 * time.Minute
	DefaultConnectTimeout  = 5 * time.Second
	DefaultQueryTimeout    = 3 * time.Second
)

// conn is an opened pool and its settings.
type conn struct {
	d  Dialect
	db *sql.DB
	// ro, when set, is a separate read-only pool the reads go through
	// (SQLite's: readers run beside its single writer connection).
	ro           *sql.DB
	queryTimeout time.Duration
}

// reader is the pool reads go through.
func (c *conn) reader() *sql.DB {
	if c.ro != nil {
		return c.ro
	}
	return c.db
}

// close closes the pool(s).
func (c *conn) close() error {
	if c.ro != nil && c.ro != c.db {
		return errors.Join(c.ro.Close(), c.db.Close())
	}
	return c.db.Close()
}

// open resolves the DSN, opens the pool with c's settings and pings it.
func open(ctx context.Context, d Dialect, c ConnConfig, what string) (*conn, error) {
	dsn, err := resolveDSN(c)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", d.Name(), what, err)
	}
	durations := []struct {
		key string
		v   string
		def time.Duration
		out *time.Duration
	}{
		{"conn_max_lifetime", c.ConnMaxLifetime, DefaultConnMaxLifetime, new(time.Duration)},
		{"connect_timeout", c.ConnectTimeout, DefaultConnectTimeout, new(time.Duration)},
		{"query_timeout", c.QueryTimeout, DefaultQueryTimeout, new(time.Duration)},
	}
	for _, p := range durations {
		if *p.out, err = parseDuration(p.key, p.v, p.def); err != nil {
			return nil, fmt.Errorf("%s %s: %w", d.Name(), what, err)
		}
	}
	if c.MaxOpenConns < 0 {
		return nil, fmt.Errorf("%w: %s %s: max_open_conns %d is negative", sdk.ErrInvalidConfig, d.Name(), what, c.MaxOpenConns)
	}
	pool := c.MaxOpenConns
	if pool == 0 {
		pool = DefaultMaxOpenConns
	}
	db, err := d.Open(dsn, *durations[1].out)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", d.Name(), what, err)
	}
	db.SetMaxOpenConns(pool)
	db.SetMaxIdleConns(pool)
	db.SetConnMaxLifetime(*durations[0].out)
	cn := &conn{d: d, db: db, queryTimeout: *durations[2].out}
	pctx, cancel := cn.ctx(ctx)
	defer cancel()
	if err := db.PingContext(pctx); err != nil {
		db.Close()
		return nil, cn.unavailable("connect", err)
	}
	return cn, nil
}

// resolveDSN returns the DSN from exactly one of dsn, dsn_env, dsn_file.
func resolveDSN(c ConnConfig) (string, error) {
	set := 0
	for _, v := range []string{c.DSN, c.DSNEnv, c.DSNFile} {
		if v != "" {
			set++
		}
	}
	if set != 1 {
		return "", fmt.Errorf("%w: set exactly one of dsn, dsn_env and dsn_file", sdk.ErrInvalidConfig)
	}
	switch {
	case c.DSNEnv != "":
		v := os.Getenv(c.DSNEnv)
		if v == "" {
			return "", fmt.Errorf("%w: dsn_env: environment variable %s is not set or empty", sdk.ErrInvalidConfig, c.DSNEnv)
		}
		return v, nil
	case c.DSNFile != "":
		b, err := os.ReadFile(c.DSNFile)
		if err != nil {
			return "", fmt.Errorf("%w: dsn_file: %v", sdk.ErrInvalidConfig, err)
		}
		v := strings.TrimRight(string(b), "\r\n")
		if v == "" {
			return "", fmt.Errorf("%w: dsn_file: %s is empty", sdk.ErrInvalidConfig, c.DSNFile)
		}
		return v, nil
	}
	return c.DSN, nil
}

func parseDuration(key, v string, def time.Duration) (time.Duration, error) {
	if v == "" {
		return def, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("%w: %s %q: want a positive duration such as \"5s\"", sdk.ErrInvalidConfig, key, v)
	}
	return d, nil
}

// ctx bounds one store call by the query timeout; 0 (a store on pools
// the caller opened, with no timeout of its own) leaves the caller's
// deadline alone.
func (c *conn) ctx(ctx context.Context) (context.Context, context.CancelFunc) {
	if c.queryTimeout == 0 {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, c.queryTimeout)
}

// unavailable wraps a database failure as sdk.ErrUnavailable, so that the
// request needing it fails closed with 503 and succeeds again once the
// database answers.
func (c *conn) unavailable(op string, err error) error {
	return fmt.Errorf("%w: %s: %s: %w", sdk.ErrUnavailable, c.d.Name(), op, err)
}

// exec runs a statement, again (up to twice more) when the dialect says
// the failure is one a plain retry resolves (a deadlock between concurrent
// upserts on MySQL).
func (c *conn) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	var res sql.Result
	var err error
	for attempt := 0; attempt < 3; attempt++ {
		res, err = c.db.ExecContext(ctx, query, args...)
		if err == nil || !c.d.IsRetryable(err) || ctx.Err() != nil {
			return res, err
		}
	}
	return res, err
}

// queryRow runs a read and scans its single row; a read is retried once
// when the pool handed out a connection the database had dropped (after
// a database restart), so that the first request after recovery succeeds.
func (c *conn) queryRow(ctx context.Context, query string, args []any, dest ...any) error {
	db := c.reader()
	err := db.QueryRowContext(ctx, query, args...).Scan(dest...)
	if err != nil && !errors.Is(err, sql.ErrNoRows) && ctx.Err() == nil && c.d.IsRetryable(err) {
		err = db.QueryRowContext(ctx, query, args...).Scan(dest...)
	}
	return err
}

// identifier is what a configured table or column name may be. Names are
// spliced into SQL (quoted), so anything else is refused at start.
var identifier = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,62}$`)

// CheckIdentifier refuses a configured table or column name (under config
// key) that is not a plain SQL identifier, with sdk.ErrInvalidConfig.
func CheckIdentifier(key, name string) error { return checkIdentifier(key, name) }

func checkIdentifier(key, name string) error {
	if !identifier.MatchString(name) {
		return fmt.Errorf("%w: %s %q is not a plain SQL identifier", sdk.ErrInvalidConfig, key, name)
	}
	return nil
}
