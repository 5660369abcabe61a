package sqlite

import (
	"context"
	"database/sql"

	"github.com/jwtd/jwtd/plugins/sqlstore"
	"github.com/jwtd/jwtd/sdk"
)

// sessionsComponent names the sessions' schema in jwtd_schema (the SQL
// stores' name for it too).
const sessionsComponent = "sessions"

// sessionMigrations are sqlstore's session tables in SQLite's DDL, applied
// by this package's migrator (BEGIN IMMEDIATE, so two processes opening one
// new file apply each step once). The queries are sqlstore's too
// (sqlstore.SessionTables on the single writer connection).
var sessionMigrations = func() []migration {
	var steps []migration
	for _, stmts := range sqlstore.SessionMigrations(dialect{}) {
		steps = append(steps, func(ctx context.Context, tx *sql.Tx) error {
			for _, q := range stmts {
				if _, err := tx.ExecContext(ctx, q); err != nil {
					return err
				}
			}
			return nil
		})
	}
	return steps
}()

// Interface guard: the native store keeps sessions.
var _ sdk.SessionStore = (*BlacklistStore)(nil)
