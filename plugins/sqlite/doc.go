// Package sqlite holds jwtd's built-in SQLite stores: a UserStore (with
// UserAdmin) and a BlacklistStore, both on mattn/go-sqlite3 in WAL mode.
//
// Both are plain sdk implementations built by sdk.Factory functions
// (NewUserStore, NewBlacklistStore) from a plugin config table, so the same
// code runs linked into jwtd (use = "sqlite") and out of process behind the
// sdk's plugin transport.
//
// Both stores may share one database file: each keeps its own tables and its
// own schema version row in jwtd_schema, and every connection sets
// busy_timeout so that the two (and several jwtd processes) wait for each
// other's write locks instead of failing.
//
// Each store opens two pools on its file: a single writer connection, so its
// writes queue in Go in arrival order rather than polling SQLite's write
// lock, and a pool of query_only reader connections for the hot lookups
// (IsBlacklisted, LookupUser), which WAL lets run beside the writer. The
// statements of the hot paths are prepared once per store.
//
// The blacklist's writes are group-committed (group_commit, default true):
// Blacklist and AddOutstanding calls that arrive while a transaction
// commits are committed together in the next one, so one fsync
// (synchronous=FULL) makes many writes durable; every call is still
// answered only once its own write has committed, with its own result, and
// a write that fails fails its own call only. group_commit = false commits
// each call on its own, as before (BENCHMARKS.md compares the two). The
// Django tables (django = true) always commit each call on its own.
//
// The user store also serves an existing Django database as it is: with
// django = true it reads Django's auth_user table, verifies Django's password
// hashes (package passwords), writes new and changed passwords as
// pbkdf2_sha256 (which every Django checks) and upgrades weaker ones on
// login, writes last_login in a form Django reads, and never creates or
// alters the table. The user store is the SQL stores' (plugins/sqlstore)
// on SQLite's dialect, and so are its table mapping and password keys and
// the blacklist's failed-login counters. The blacklist store with django = true keeps
// the blacklist in Simple JWT's token_blacklist tables instead of its own.
//
// Both stores have a change feed (sdk.ChangeFeed, feed.go) that notices
// other processes' writes by polling PRAGMA data_version: the blacklist
// through a trigger-fed change log (not on the Django tables), the user
// store by re-reading the users it returned. With it jwtd answers
// IsBlacklisted and authenticate's lookups from memory.
package sqlite
