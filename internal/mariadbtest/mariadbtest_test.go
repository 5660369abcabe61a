package mariadbtest_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/jwtd/jwtd/internal/dbtest"

	"github.com/jwtd/jwtd/internal/mariadbtest"
)

func TestStartCreateRestartFreeze(t *testing.T) {
	s := mariadbtest.Start(t)
	s.CreateDatabase(t, "harness")
	db := s.Open(t, "harness")
	ctx := context.Background()
	if _, err := db.ExecContext(ctx, "CREATE TABLE t (v varchar(10)) ENGINE=InnoDB; INSERT INTO t VALUES ('kept')"); err != nil {
		t.Fatal(err)
	}
	var cs string
	if err := db.QueryRowContext(ctx, "SELECT @@character_set_database").Scan(&cs); err != nil || cs != "utf8mb4" {
		t.Fatalf("character set %q, %v; want utf8mb4", cs, err)
	}

	// A tmpdir of its own, beside its data directory: at start mariadbd
	// deletes the "#sql" files in its tmpdir, which in a shared /tmp
	// belong to other servers' temporary tables.
	var tmpdir string
	if err := db.QueryRowContext(ctx, "SELECT @@tmpdir").Scan(&tmpdir); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(filepath.Join(filepath.Dir(tmpdir), "data")); tmpdir == filepath.Clean(os.TempDir()) || err != nil || !st.IsDir() {
		t.Fatalf("tmpdir %q is not the server's own, beside its data directory (%v)", tmpdir, err)
	}

	dbtest.CheckLifecycle(t, s, func() int { return s.Port }, db, func() {
		// Freeze returns only once every thread of mariadbd has stopped:
		// kill(2) returns earlier, and the threads still running meanwhile
		// answer queries (sqlstoretest.TestFaults saw logins succeed on a
		// "frozen" server).
		if stopped, err := dbtest.Stopped(s.Pid()); err != nil || !stopped {
			t.Fatalf("Freeze returned with threads of mariadbd still running (%v)", err)
		}
	})
}
