package sqlite

import "github.com/jwtd/jwtd/sdk"

// The sessions (sdk.SessionStore) are sqlstore's (sqlstore.SessionTables):
// their tables in SQLite's DDL (sqlstore.SessionMigrations on this
// package's dialect, applied by sqlstore.Migrate under BEGIN IMMEDIATE, so
// two processes opening one new file apply each step once), their queries
// on the single writer connection and the read pool.

// Interface guard: the native store keeps sessions.
var _ sdk.SessionStore = (*BlacklistStore)(nil)
