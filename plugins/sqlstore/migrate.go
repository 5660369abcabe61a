package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// schemaTable records each component's schema version: jwtd's own tables
// only. Several components (the user store, the blacklist) share one
// database and each has its own history.
const schemaTable = "jwtd_schema"

// migrate brings component to len(steps), every step a list of statements,
// under the dialect's migration lock so that two processes starting on one
// new database apply each step exactly once. It only ever creates tables
// of its own: a step's CREATE TABLE fails on a table of the same name that
// jwtd did not create. A database newer than this code is refused rather
// than written to.
func migrate(ctx context.Context, c *conn, component string, steps [][]string) error {
	fail := func(err error) error { return c.unavailable("migrate "+component, err) }
	cn, err := c.db.Conn(ctx)
	if err != nil {
		return fail(err)
	}
	defer cn.Close()
	unlock, err := c.d.LockSchema(ctx, cn)
	if err != nil {
		return fail(err)
	}
	defer unlock()
	t := c.d.Types()
	q := c.d.Quote
	_, err = cn.ExecContext(ctx, "CREATE TABLE IF NOT EXISTS "+q(schemaTable)+" ("+
		q("component")+" "+t.Key+" NOT NULL PRIMARY KEY, "+q("version")+" INTEGER NOT NULL)"+t.TableSuffix)
	if err != nil {
		return fail(err)
	}
	var version int
	err = cn.QueryRowContext(ctx, c.d.Rebind("SELECT "+q("version")+" FROM "+q(schemaTable)+" WHERE "+q("component")+" = ?"), component).Scan(&version)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fail(err)
	}
	if version > len(steps) {
		return fmt.Errorf("%s: %s schema version %d is newer than this jwtd knows (%d)", c.d.Name(), component, version, len(steps))
	}
	for i := version; i < len(steps); i++ {
		for _, stmt := range steps[i] {
			if _, err := cn.ExecContext(ctx, stmt); err != nil {
				return fmt.Errorf("%s: migrate %s to version %d: %w", c.d.Name(), component, i+1, err)
			}
		}
		// Recorded per step: on MySQL DDL commits by itself, so a failed
		// later step must not make an applied one run again.
		if i == 0 {
			_, err = cn.ExecContext(ctx, c.d.Rebind("INSERT INTO "+q(schemaTable)+" ("+q("component")+", "+q("version")+") VALUES (?, ?)"), component, i+1)
		} else {
			_, err = cn.ExecContext(ctx, c.d.Rebind("UPDATE "+q(schemaTable)+" SET "+q("version")+" = ? WHERE "+q("component")+" = ?"), i+1, component)
		}
		if err != nil {
			return fail(err)
		}
	}
	return nil
}

// Migrate is migrate on a pool the caller opened (SQLite's writer): it
// brings component to len(steps) under d's LockSchema.
func Migrate(ctx context.Context, d Dialect, db *sql.DB, component string, steps [][]string) error {
	return migrate(ctx, &conn{d: d, db: db}, component, steps)
}

// SchemaVersion returns the version recorded for component, 0 when none:
// for tests and diagnostics.
func SchemaVersion(ctx context.Context, d Dialect, db *sql.DB, component string) (int, error) {
	var v int
	err := db.QueryRowContext(ctx, d.Rebind("SELECT "+d.Quote("version")+" FROM "+d.Quote(schemaTable)+" WHERE "+d.Quote("component")+" = ?"), component).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return v, err
}
