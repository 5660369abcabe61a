package sqlstore

import (
	"context"
	"database/sql"
	"time"
)

// Dialect is what differs between SQL databases, as far as these stores
// care. Queries are written once with "?" placeholders and quoted
// identifiers through the Dialect.
type Dialect interface {
	// Name is the database's name in errors and logs ("postgres", "mysql").
	Name() string
	// Open opens a pool on dsn whose connection attempts give up after
	// connectTimeout. The DSN is never put into an error.
	Open(dsn string, connectTimeout time.Duration) (*sql.DB, error)
	// Rebind rewrites a query written with "?" placeholders into the
	// driver's form ($1, $2, ... for PostgreSQL).
	Rebind(query string) string
	// Quote quotes an identifier already checked to be plain.
	Quote(ident string) string
	// OnConflictDoNothing is the clause that makes an INSERT (also an
	// INSERT ... SELECT) a no-op, with zero rows affected, when the unique
	// column col already holds the value.
	OnConflictDoNothing(col string) string
	// OnConflictUpdate is the clause that turns an INSERT into an update of
	// the existing row when the unique column col already holds the value;
	// set is "c1 = expr, c2 = expr", whose expressions read the existing row
	// as table.column, assigned left to right.
	OnConflictUpdate(col, set string) string
	// InsertID runs an INSERT of one row into a table with an integer
	// auto-increment key idCol and returns the new key.
	InsertID(ctx context.Context, db *sql.DB, query, idCol string, args ...any) (int64, error)
	// IsUniqueViolation reports a unique constraint refusing a row.
	IsUniqueViolation(err error) bool
	// IsRetryable reports an error after which the same statement may
	// simply run again: a deadlock or serialization failure, or a broken
	// pooled connection found before anything was sent.
	IsRetryable(err error) bool
	// JSONText is the expression of a JSON column's top-level key as text
	// (a number 7 as "7"); key is a plain identifier.
	JSONText(col, key string) string
	// TimeArg is how a time is passed as a query argument for a column of
	// Django's DateTimeField type, in the form Django itself writes with
	// USE_TZ = True.
	TimeArg(t time.Time) any
	// UUIDArg is a UUID as the database stores Django's UUIDField: the
	// native uuid type, or 32 hex digits in char(32).
	UUIDArg(canonical string) any
	// IsBoolType reports whether a column of this database type name
	// (sql.ColumnType.DatabaseTypeName) holds Django's BooleanField.
	IsBoolType(dbType string) bool
	// Types is the DDL of jwtd's own tables.
	Types() Types
	// LockSchema takes a lock that serializes migrations across processes
	// on conn, and returns its release.
	LockSchema(ctx context.Context, conn *sql.Conn) (unlock func(), err error)
}

// Types are the column types of jwtd's own tables in one database's DDL.
type Types struct {
	// AutoID is an auto-increment integer primary key column's type and
	// constraint ("BIGSERIAL PRIMARY KEY").
	AutoID string
	// UUIDKey is a UUID primary key column's type and constraint.
	UUIDKey string
	// Name is a unique login name's type (a bounded varchar).
	Name string
	// Key is a short unique key (jti, component): varchar(255).
	Key string
	// Text is an unbounded text.
	Text string
	// Bool is a boolean with its literal true for defaults.
	Bool, True string
	// Time is a nullable timestamp in UTC.
	Time string
	// JSON is a JSON document column.
	JSON string
	// JSONCheck, when set, is the function a JSON column's CHECK calls to
	// refuse text that is not JSON (SQLite's json_valid: its JSON column
	// is plain text); such a column also defaults to '{}'.
	JSONCheck string
	// BigInt is a 64-bit integer.
	BigInt string
	// IntCast is the type name CAST(? AS ...) takes for a 64-bit integer
	// argument ("BIGINT"; MySQL's "SIGNED").
	IntCast string
	// TableSuffix ends every CREATE TABLE ("ENGINE=InnoDB ..." on MySQL).
	TableSuffix string
}
