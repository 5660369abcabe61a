package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/jwtd/jwtd/plugins/sqlstore"
	"github.com/jwtd/jwtd/sdk"
)

// Dialect is PostgreSQL's sqlstore.Dialect, on pgx through database/sql.
type Dialect struct{}

// Name is "postgres".
func (Dialect) Name() string { return "postgres" }

// Open parses dsn with pgx (URL or key=value form; sslmode, sslrootcert
// and the other TLS keys work as in libpq) and opens a pool on it.
func (Dialect) Open(dsn string, connectTimeout time.Duration) (*sql.DB, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		// pgx's message may quote the DSN, password and all.
		return nil, fmt.Errorf("%w: dsn: not a valid PostgreSQL connection string (not shown: it may hold a password)", sdk.ErrInvalidConfig)
	}
	cfg.ConnectTimeout = connectTimeout
	return stdlib.OpenDB(*cfg), nil
}

// Rebind turns the n-th "?" into "$n". The stores' queries hold no "?"
// inside literals.
func (Dialect) Rebind(query string) string {
	var b strings.Builder
	n := 0
	for _, r := range query {
		if r == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// Quote uses double quotes.
func (Dialect) Quote(ident string) string { return `"` + ident + `"` }

// OnConflictDoNothing is ON CONFLICT (col) DO NOTHING.
func (Dialect) OnConflictDoNothing(col string) string { return " ON CONFLICT (" + col + ") DO NOTHING" }

// OnConflictUpdate is ON CONFLICT (col) DO UPDATE SET set.
func (Dialect) OnConflictUpdate(col, set string) string {
	return " ON CONFLICT (" + col + ") DO UPDATE SET " + set
}

// InsertID appends RETURNING: PostgreSQL has no last-insert id.
func (d Dialect) InsertID(ctx context.Context, db *sql.DB, query, idCol string, args ...any) (int64, error) {
	var id int64
	err := db.QueryRowContext(ctx, query+" RETURNING "+d.Quote(idCol), args...).Scan(&id)
	return id, err
}

// IsUniqueViolation: SQLSTATE 23505.
func (Dialect) IsUniqueViolation(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23505"
}

// IsRetryable: deadlock (40P01) or serialization failure (40001), or an
// error pgx marks safe to retry because nothing reached the server.
func (Dialect) IsRetryable(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code == "40P01" || pe.Code == "40001"
	}
	return pgconn.SafeToRetry(err)
}

// JSONText is col->>'key'.
func (Dialect) JSONText(col, key string) string { return "(" + col + "->>'" + key + "')" }

// TimeArg passes the time itself: timestamptz.
func (Dialect) TimeArg(t time.Time) any { return t.UTC() }

// UUIDArg passes the canonical text, which PostgreSQL reads as uuid.
func (Dialect) UUIDArg(canonical string) any { return canonical }

// IsBoolType: boolean columns are "BOOL".
func (Dialect) IsBoolType(dbType string) bool { return strings.EqualFold(dbType, "BOOL") }

// Types of jwtd's own tables.
func (Dialect) Types() sqlstore.Types {
	return sqlstore.Types{
		AutoID: "BIGSERIAL PRIMARY KEY", UUIDKey: "UUID PRIMARY KEY",
		Name: "VARCHAR(150)", Key: "VARCHAR(255)", Text: "TEXT",
		Bool: "BOOLEAN", True: "TRUE", Time: "TIMESTAMPTZ", JSON: "JSONB", BigInt: "BIGINT", IntCast: "BIGINT",
	}
}

// LockSchema takes a session advisory lock, released by unlock.
func (Dialect) LockSchema(ctx context.Context, conn *sql.Conn) (func(), error) {
	const key = 0x6a777464 // "jwtd"
	if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock($1)", key); err != nil {
		return func() {}, err
	}
	return func() { _, _ = conn.ExecContext(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", key) }, nil
}

var _ sqlstore.Dialect = Dialect{}
