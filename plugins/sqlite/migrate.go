package sqlite

import (
	"context"
	"database/sql"
	"fmt"
)

// migration is one step of a component's schema: SQL run in the same
// transaction that records the new version.
type migration func(ctx context.Context, tx *sql.Tx) error

// schemaTable records each component's schema version. A table rather than
// PRAGMA user_version because several components (the user store, the
// blacklist, a user store per table) share one database file and each has
// its own history.
const schemaTable = `CREATE TABLE IF NOT EXISTS jwtd_schema (
	component TEXT PRIMARY KEY NOT NULL,
	version   INTEGER NOT NULL
)`

// migrate brings component to len(steps): every missing step runs in one
// BEGIN IMMEDIATE transaction that also records the version, so two
// processes opening one new file at once apply each step exactly once, and a
// failed step leaves the schema as it was. A database newer than this code
// is refused rather than written to.
func migrate(ctx context.Context, db *sql.DB, component string, steps []migration) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return unavailable("migrate "+component, err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, schemaTable); err != nil {
		return unavailable("migrate "+component, err)
	}
	var version int
	err = tx.QueryRowContext(ctx, `SELECT version FROM jwtd_schema WHERE component = ?`, component).Scan(&version)
	if err != nil && !isNoRows(err) {
		return unavailable("migrate "+component, err)
	}
	if version > len(steps) {
		return fmt.Errorf("sqlite: %s schema version %d is newer than this jwtd knows (%d)", component, version, len(steps))
	}
	if version == len(steps) {
		return nil
	}
	for i := version; i < len(steps); i++ {
		if err := steps[i](ctx, tx); err != nil {
			return fmt.Errorf("sqlite: migrate %s to version %d: %w", component, i+1, err)
		}
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO jwtd_schema (component, version) VALUES (?, ?)
		ON CONFLICT (component) DO UPDATE SET version = excluded.version`, component, len(steps))
	if err != nil {
		return unavailable("migrate "+component, err)
	}
	if err := tx.Commit(); err != nil {
		return unavailable("migrate "+component, err)
	}
	return nil
}

// schemaVersion returns the schema version recorded for component in
// jwtd_schema, 0 when none (for tests and
// diagnostics).
func schemaVersion(ctx context.Context, db *sql.DB, component string) (int, error) {
	var v int
	err := db.QueryRowContext(ctx, `SELECT version FROM jwtd_schema WHERE component = ?`, component).Scan(&v)
	if isNoRows(err) {
		return 0, nil
	}
	return v, err
}
