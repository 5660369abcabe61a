package dbtest

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// DjangoDDLFiles are the fixtures of Django's own DDL (sqlmigrate of each
// migration, kept by internal/djangotest) for db ("postgres", "mysql",
// "sqlite"), in the order Django applies them: auth (with contenttypes),
// then Simple JWT's token_blacklist.
func DjangoDDLFiles(db string) []string {
	_, file, _, _ := runtime.Caller(0)
	dir := filepath.Join(filepath.Dir(file), "..", "djangotest", "testdata", "ddl", db)
	return []string{filepath.Join(dir, "auth.sql"), filepath.Join(dir, "token_blacklist.sql")}
}

// ApplyDjangoDDL runs Django's DDL for db on conn, which must accept
// several statements in one call (pgx's simple protocol; MySQL's
// multiStatements), leaving the tables as Django's migrate leaves them.
func ApplyDjangoDDL(t testing.TB, conn *sql.DB, db string) {
	t.Helper()
	for _, f := range DjangoDDLFiles(db) {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatalf("dbtest: Django DDL fixture: %v", err)
		}
		if _, err := conn.ExecContext(context.Background(), string(b)); err != nil {
			t.Fatalf("dbtest: applying %s: %v", f, err)
		}
	}
}
