package mysql

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/jwtd/jwtd/plugins/sqlstore"
	"github.com/jwtd/jwtd/sdk"
)

// Dialect is MySQL's and MariaDB's sqlstore.Dialect, on
// go-sql-driver/mysql.
type Dialect struct{}

// Name is "mysql".
func (Dialect) Name() string { return "mysql" }

// Open parses dsn (user:password@tcp(host:3306)/db?tls=true...) and opens
// a pool on it. Whatever the DSN says, times are read as time.Time in UTC
// (parseTime, loc=UTC: Django stores UTC with USE_TZ), and arguments are
// interpolated client-side, which saves a prepare round trip per query.
func (Dialect) Open(dsn string, connectTimeout time.Duration) (*sql.DB, error) {
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		return nil, fmt.Errorf("%w: dsn: not a valid MySQL data source name (not shown: it may hold a password)", sdk.ErrInvalidConfig)
	}
	cfg.Timeout = connectTimeout
	cfg.ParseTime = true
	cfg.Loc = time.UTC
	cfg.InterpolateParams = true
	// Rows affected must count changed rows only: an insert-if-absent that
	// finds its key reports 0.
	cfg.ClientFoundRows = false
	if cfg.Params == nil {
		cfg.Params = map[string]string{}
	}
	// Session time zone UTC, so that CURRENT_TIMESTAMP and stored
	// DATETIMEs agree with Django's.
	cfg.Params["time_zone"] = "'+00:00'"
	conn, err := mysql.NewConnector(cfg)
	if err != nil {
		return nil, fmt.Errorf("%w: dsn: %v", sdk.ErrInvalidConfig, err)
	}
	return sql.OpenDB(conn), nil
}

// Rebind keeps "?".
func (Dialect) Rebind(query string) string { return query }

// Quote uses backticks.
func (Dialect) Quote(ident string) string { return "`" + ident + "`" }

// OnConflictDoNothing is ON DUPLICATE KEY UPDATE col = col: a no-op update
// that counts as zero rows affected. (INSERT IGNORE would also turn other
// errors, a NULL into a NOT NULL column, into warnings.)
func (d Dialect) OnConflictDoNothing(col string) string {
	return " ON DUPLICATE KEY UPDATE " + d.Quote(col) + " = " + d.Quote(col)
}

// OnConflictUpdate is ON DUPLICATE KEY UPDATE set (assigned left to right).
func (Dialect) OnConflictUpdate(col, set string) string { return " ON DUPLICATE KEY UPDATE " + set }

// InsertID uses the last insert id.
func (Dialect) InsertID(ctx context.Context, db *sql.DB, query, idCol string, args ...any) (int64, error) {
	res, err := db.ExecContext(ctx, query, args...)
	if err != nil {
		return 0, err
	}
	return res.LastInsertId()
}

// IsUniqueViolation: ER_DUP_ENTRY (1062).
func (Dialect) IsUniqueViolation(err error) bool {
	var me *mysql.MySQLError
	return errors.As(err, &me) && me.Number == 1062
}

// IsRetryable: a deadlock (1213, which InnoDB reports between concurrent
// inserts of one unique key), or a pooled connection found broken.
func (Dialect) IsRetryable(err error) bool {
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		return me.Number == 1213
	}
	return errors.Is(err, driver.ErrBadConn) || errors.Is(err, mysql.ErrInvalidConn)
}

// JSONText is JSON_UNQUOTE(JSON_EXTRACT(col, '$."key"')).
func (Dialect) JSONText(col, key string) string {
	return `JSON_UNQUOTE(JSON_EXTRACT(` + col + `, '$."` + key + `"'))`
}

// TimeArg passes the time in UTC, as Django stores DATETIME(6) with USE_TZ.
func (Dialect) TimeArg(t time.Time) any { return t.UTC() }

// UUIDArg is 32 hex digits: Django's UUIDField is char(32) on MySQL.
func (Dialect) UUIDArg(canonical string) any { return strings.ReplaceAll(canonical, "-", "") }

// IsBoolType: Django's BooleanField is bool, i.e. tinyint(1).
func (Dialect) IsBoolType(dbType string) bool {
	return strings.EqualFold(dbType, "TINYINT") || strings.EqualFold(dbType, "BOOL") || strings.EqualFold(dbType, "BOOLEAN")
}

// Types of jwtd's own tables (InnoDB, utf8mb4).
func (Dialect) Types() sqlstore.Types {
	return sqlstore.Types{
		AutoID: "BIGINT AUTO_INCREMENT PRIMARY KEY", UUIDKey: "CHAR(32) PRIMARY KEY",
		Name: "VARCHAR(150)", Key: "VARCHAR(255)", Text: "LONGTEXT",
		Bool: "BOOL", True: "TRUE", Time: "DATETIME(6)", JSON: "JSON", BigInt: "BIGINT", IntCast: "SIGNED",
		TableSuffix: " ENGINE=InnoDB DEFAULT CHARSET=utf8mb4",
	}
}

// LockSchema takes a named lock (GET_LOCK), released by unlock.
func (Dialect) LockSchema(ctx context.Context, conn *sql.Conn) (func(), error) {
	var got sql.NullInt64
	if err := conn.QueryRowContext(ctx, "SELECT GET_LOCK('jwtd_schema', 60)").Scan(&got); err != nil {
		return func() {}, err
	}
	if got.Int64 != 1 {
		return func() {}, errors.New("timed out waiting for another process's schema migration")
	}
	return func() {
		var r sql.NullInt64
		_ = conn.QueryRowContext(context.WithoutCancel(ctx), "SELECT RELEASE_LOCK('jwtd_schema')").Scan(&r)
	}, nil
}

var _ sqlstore.Dialect = Dialect{}
