package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"runtime"
	"strings"
	"time"

	"github.com/mattn/go-sqlite3"

	"github.com/jwtd/jwtd/sdk"
)

// defaultBusyTimeout is how long a connection waits for another connection's
// (or process's) write lock before failing with "database is locked".
const defaultBusyTimeout = 5 * time.Second

// driverName is the database/sql driver the stores open: mattn/go-sqlite3
// with a connect hook that sets the per-connection pragmas no DSN option
// covers.
const driverName = "sqlite3_jwtd"

func init() {
	sql.Register(driverName, &sqlite3.SQLiteDriver{ConnectHook: func(c *sqlite3.SQLiteConn) error {
		// temp_store: sorts and temporary b-trees stay in memory. Not set:
		// mmap_size, which measured no faster for these point lookups (the
		// cost is SQLite's per-transaction WAL locking, two fcntl(2) calls,
		// plus cgo) and turns a disk I/O error into SIGBUS.
		_, err := c.Exec("PRAGMA temp_store = MEMORY", nil)
		return err
	}})
}

// readConns is the size of the read pool. A request that finds every
// connection busy waits in database/sql's queue, which costs more than the
// query, so the pool is as large as the concurrency a daemon on a few cores
// sees; idle connections are kept (never closed and reopened, which would
// re-run the pragmas and start with a cold page cache).
func readConns() int {
	return max(16, 4*runtime.GOMAXPROCS(0))
}

// openDB opens path in WAL mode with foreign keys on, the given busy timeout
// and synchronous level ("FULL" or "NORMAL") for writes. Write transactions
// are BEGIN IMMEDIATE (_txlock): they take the write lock at their start, so
// two read-then-write transactions cannot deadlock on a lock upgrade that
// busy_timeout cannot resolve.
//
// This pool is the store's writer and has a single connection: SQLite takes
// one writer at a time anyway, and queueing writers in Go (FIFO, cancelled by
// their context) is cheaper and fairer than several connections polling the
// write lock through busy_timeout's sleeps. Hot reads go through the pool
// openReader opens once the schema is migrated: query_only connections that
// run in parallel with each other and with the writer (WAL readers take no
// write lock), so a slow fsyncing write never holds up a read.
func openDB(ctx context.Context, path string, busy time.Duration, synchronous string) (*sql.DB, error) {
	if path == "" {
		return nil, fmt.Errorf("%w: sqlite: path is required", sdk.ErrInvalidConfig)
	}
	if path == ":memory:" || strings.HasPrefix(path, "file:") || strings.ContainsRune(path, '?') {
		// A pooled :memory: database is a different empty database per
		// connection; URIs and '?' would mix with the driver's options.
		return nil, fmt.Errorf("%w: sqlite: path %q must be a plain file path", sdk.ErrInvalidConfig, path)
	}
	if err := createPrivate(path); err != nil {
		return nil, fmt.Errorf("%w: sqlite: create %s: %v", sdk.ErrUnavailable, path, err)
	}
	q := url.Values{}
	q.Set("_busy_timeout", fmt.Sprint(busy.Milliseconds()))
	q.Set("_journal_mode", "WAL")
	q.Set("_foreign_keys", "on")
	q.Set("_synchronous", synchronous)
	q.Set("_txlock", "immediate")
	db, err := sql.Open(driverName, path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("%w: sqlite: open %s: %v", sdk.ErrUnavailable, path, err)
	}
	return db, nil
}

// openReader opens the read pool on path, already opened (and so in WAL
// mode) by openDB. query_only makes any write through it an error, so a
// write that strays onto the read pool fails loudly instead of bypassing the
// writer's queue and its synchronous level.
func openReader(ctx context.Context, path string, busy time.Duration) (*sql.DB, error) {
	q := url.Values{}
	q.Set("_busy_timeout", fmt.Sprint(busy.Milliseconds()))
	q.Set("_query_only", "1")
	q.Set("_foreign_keys", "on")
	db, err := sql.Open(driverName, path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	n := readConns()
	db.SetMaxOpenConns(n)
	db.SetMaxIdleConns(n)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("%w: sqlite: open %s: %v", sdk.ErrUnavailable, path, err)
	}
	return db, nil
}

// createPrivate creates path with mode 0600 if it does not exist. SQLite
// would create it 0644, and the file holds password hashes; SQLite gives the
// -wal and -shm files the mode of the database file, so they follow.
func createPrivate(path string) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return nil
	}
	if err != nil {
		return err
	}
	return f.Close()
}

// parseBusyTimeout reads a Go duration ("5s"); empty means the default.
func parseBusyTimeout(s string) (time.Duration, error) {
	if s == "" {
		return defaultBusyTimeout, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("%w: sqlite: busy_timeout %q: want a duration such as \"5s\"", sdk.ErrInvalidConfig, s)
	}
	return d, nil
}

// unavailable wraps a database failure as sdk.ErrUnavailable, so that the
// request needing it fails closed with 503 and succeeds again once the
// database answers.
func unavailable(op string, err error) error {
	return fmt.Errorf("%w: sqlite: %s: %w", sdk.ErrUnavailable, op, err)
}

// quote returns name as a quoted SQL identifier; name is already checked
// (sqlstore.CheckIdentifier).
func quote(name string) string {
	return `"` + name + `"`
}

// isNoRows reports sql.ErrNoRows.
func isNoRows(err error) bool {
	return errors.Is(err, sql.ErrNoRows)
}
