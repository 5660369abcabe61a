package sqlite

// The failed-login counters (sdk.LoginFailureStore) are sqlstore's
// (sqlstore.FailureCounters) on SQLite's dialect, embedded in both
// blacklist stores; only their table's SQLite DDL is declared here.

// loginFailureMigrations is the counters' schema: one row per counter,
// expires_at in Unix milliseconds. Keys are the host's opaque hashes. A
// WITHOUT ROWID table: the key is the primary index.
var loginFailureMigrations = [][]string{{`
CREATE TABLE jwtd_login_failures (
	key        TEXT PRIMARY KEY NOT NULL,
	count      INTEGER NOT NULL,
	expires_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX jwtd_login_failures_expires_at ON jwtd_login_failures (expires_at);
`}}
