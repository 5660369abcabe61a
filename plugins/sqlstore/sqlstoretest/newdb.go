package sqlstoretest

import (
	"database/sql"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/jwtd/jwtd/internal/dbtest"
)

// DBServer is the part of a SQL test server (pgtest.Server,
// mariadbtest.Server) that NewDB uses.
type DBServer interface {
	// CreateDatabase creates database name and returns its DSN.
	CreateDatabase(t testing.TB, name string) string
}

// dbSeq numbers the databases NewDB creates, so that the tests of one
// binary sharing a server never meet.
var dbSeq atomic.Int32

// NewDB creates a fresh database on srv and returns its DSN. With django it
// also applies Django's DDL for dialect ("postgres", "mysql";
// dbtest.ApplyDjangoDDL) through openMulti, a connection to the new
// database that runs several statements in one Exec.
func NewDB(t testing.TB, srv DBServer, openMulti func(t testing.TB, db string) *sql.DB, dialect string, django bool) string {
	t.Helper()
	name := fmt.Sprintf("t%d", dbSeq.Add(1))
	dsn := srv.CreateDatabase(t, name)
	if django {
		dbtest.ApplyDjangoDDL(t, openMulti(t, name), dialect)
	}
	return dsn
}
