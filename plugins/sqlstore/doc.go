// Package sqlstore is jwtd's SQL user store and blacklist store on
// database/sql, written once for every SQL database behind a small Dialect:
// plugins/postgres (jackc/pgx) and plugins/mysql (go-sql-driver/mysql) are a
// Dialect, a driver and their config. plugins/sqlite serves this user
// store, the failed-login counters (FailureCounters) and the Django
// token_blacklist store on its own Dialect and pools (NewUserStoreOn,
// NewFailureCountersOn, OpenDjangoBlacklist: writes on its single writer
// connection, reads on its read-only pool); only its native blacklist,
// with its group commit, is its own.
//
// The user store (UserStore, with sdk.UserAdmin) serves jwtd's own table
// (created by versioned migrations with migrate = true) or an existing one,
// Django's auth_user first among them (django = true): integer or UUID
// primary keys, any login field, Django's password hashers for new and
// changed passwords, and the upgrade of weaker stored hashes on login as
// Django's check_password does.
//
// The blacklist store (BlacklistStore) keeps jwtd's own tables, or, with
// django = true, Simple JWT's token_blacklist tables, so that a token
// blacklisted on either side is refused on both.
//
// Every call runs under the configured query timeout (the SQLite stores:
// under the caller's deadline, with busy_timeout for the write lock); a database that is
// down, or slower than that, is an error wrapping sdk.ErrUnavailable (503),
// and the next call after it recovers succeeds without a restart.
package sqlstore
