package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"github.com/mattn/go-sqlite3"

	"github.com/jwtd/jwtd/plugins/sqlstore"
)

// dialect is SQLite's sqlstore.Dialect: the user store, the failed-login
// counters and the Django blacklist (Simple JWT's tables, django = true)
// are sqlstore's on it, served on the stores' own single writer connection
// and read pool. The SQLite stores open their files themselves, so Open is
// not used.
type dialect struct{}

func (dialect) Name() string { return "sqlite" }

func (dialect) Open(string, time.Duration) (*sql.DB, error) {
	return nil, errors.New("sqlite: the stores open their files themselves")
}

func (dialect) Rebind(query string) string { return query }

func (dialect) Quote(ident string) string { return quote(ident) }

func (dialect) OnConflictDoNothing(col string) string { return " ON CONFLICT (" + col + ") DO NOTHING" }

func (dialect) OnConflictUpdate(col, set string) string {
	return " ON CONFLICT (" + col + ") DO UPDATE SET " + set
}

func (dialect) InsertID(ctx context.Context, db *sql.DB, query, idCol string, args ...any) (int64, error) {
	res, err := db.ExecContext(ctx, query, args...)
	if err != nil {
		return 0, err
	}
	return res.LastInsertId()
}

func (dialect) IsUniqueViolation(err error) bool {
	var se sqlite3.Error
	return errors.As(err, &se) && se.ExtendedCode == sqlite3.ErrConstraintUnique
}

// IsRetryable: never; busy_timeout already waits for other writers.
func (dialect) IsRetryable(error) bool { return false }

func (dialect) JSONText(col, key string) string {
	return "CAST(json_extract(" + col + `, '$."` + key + `"') AS TEXT)`
}

// TimeArg is Django's SQLite text form, so that Django's own comparisons
// (flushexpiredtokens: expires_at <= now, as text) order it right.
func (dialect) TimeArg(t time.Time) any { return t.UTC().Format(lastLoginLayout) }

// UUIDArg: Django's UUIDField is char(32) on SQLite.
func (dialect) UUIDArg(canonical string) any { return strings.ReplaceAll(canonical, "-", "") }

func (dialect) IsBoolType(dbType string) bool {
	return strings.EqualFold(dbType, "BOOL") || strings.EqualFold(dbType, "BOOLEAN")
}

func (dialect) Types() sqlstore.Types {
	return sqlstore.Types{
		AutoID: "INTEGER PRIMARY KEY AUTOINCREMENT", UUIDKey: "CHAR(32) PRIMARY KEY",
		Name: "TEXT", Key: "TEXT", Text: "TEXT", Bool: "BOOL", True: "1",
		Time: "DATETIME", JSON: "TEXT", JSONCheck: "json_valid", BigInt: "INTEGER", IntCast: "INTEGER",
	}
}

// LockSchema opens a BEGIN IMMEDIATE transaction on conn (the writer's
// single connection): it takes the file's write lock, so two processes
// opening one new file at once apply each migration step exactly once,
// and the steps with their recorded versions commit together. A failed
// step changed nothing (SQLite's DDL is transactional), so the release
// commits what was applied before it; it rolls back when the commit
// fails, so the connection never stays inside a transaction.
func (dialect) LockSchema(ctx context.Context, conn *sql.Conn) (func(), error) {
	if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		return nil, err
	}
	return func() {
		if _, err := conn.ExecContext(context.WithoutCancel(ctx), "COMMIT"); err != nil {
			conn.ExecContext(context.WithoutCancel(ctx), "ROLLBACK")
		}
	}, nil
}

var _ sqlstore.Dialect = dialect{}
