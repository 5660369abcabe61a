package mariadbtest_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

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

	port := s.Port
	s.Stop()
	if s.Running() {
		t.Fatal("Running after Stop")
	}
	if err := db.PingContext(ctx); err == nil {
		t.Fatal("a stopped server still answers")
	}
	s.Restart()
	if s.Port != port {
		t.Fatalf("Restart moved the server from port %d to %d", port, s.Port)
	}
	// A crash (SIGKILL) loses no committed row.
	var v string
	if err := db.QueryRowContext(ctx, "SELECT v FROM t").Scan(&v); err != nil || v != "kept" {
		t.Fatalf("after restart: %q, %v; want the committed row", v, err)
	}

	s.Freeze()
	// Freeze returns only once every thread of mariadbd has stopped: kill(2)
	// returns earlier, and the threads still running meanwhile answer
	// queries (sqlstoretest.TestFaults saw logins succeed on a "frozen"
	// server).
	if stopped, err := dbtest.Stopped(s.Pid()); err != nil || !stopped {
		t.Fatalf("Freeze returned with threads of mariadbd still running (%v)", err)
	}
	short, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	err := db.QueryRowContext(short, "SELECT v FROM t").Scan(&v)
	cancel()
	if err == nil {
		t.Fatal("a frozen server answered a query")
	}
	s.Thaw()
	if err := db.QueryRowContext(ctx, "SELECT v FROM t").Scan(&v); err != nil {
		t.Fatalf("after Thaw: %v", err)
	}
}
