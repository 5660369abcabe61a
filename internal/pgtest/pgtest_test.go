package pgtest_test

import (
	"context"
	"testing"
	"time"

	"github.com/jwtd/jwtd/internal/dbtest"
	"github.com/jwtd/jwtd/internal/pgtest"
)

func TestStartCreateRestartFreeze(t *testing.T) {
	s := pgtest.Start(t)
	s.CreateDatabase(t, "harness")
	db := s.Open(t, "harness")
	ctx := context.Background()
	if _, err := db.ExecContext(ctx, "CREATE TABLE t (v text); INSERT INTO t VALUES ('kept')"); err != nil {
		t.Fatal(err)
	}

	port := s.Port
	s.Stop()
	if s.Running() {
		t.Fatal("Running after Stop")
	}
	if err := db.PingContext(ctx); err == nil {
		t.Fatal("a stopped server still answers")
	}
	s.Stop() // a second Stop is harmless
	s.Restart()
	if s.Port != port {
		t.Fatalf("Restart moved the server from port %d to %d", port, s.Port)
	}
	// The data directory survives: a committed row is still there.
	var v string
	if err := db.QueryRowContext(ctx, "SELECT v FROM t").Scan(&v); err != nil || v != "kept" {
		t.Fatalf("after restart: %q, %v; want the committed row", v, err)
	}

	s.Freeze()
	// Freeze returns only once the postmaster and every backend have
	// stopped: kill(2) returns earlier.
	for _, pid := range append(dbtest.Children(s.Pid()), s.Pid()) {
		if stopped, err := dbtest.Stopped(pid); err != nil || !stopped {
			t.Fatalf("Freeze returned with process %d of postgres still running (%v)", pid, err)
		}
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

func TestDSNNamesDatabase(t *testing.T) {
	s := pgtest.Start(t)
	dsn := s.CreateDatabase(t, "Mixed Case")
	if dsn != s.DSN("Mixed%20Case") && dsn != s.DSN("Mixed Case") {
		t.Fatalf("CreateDatabase DSN %q", dsn)
	}
	var name string
	if err := s.Open(t, "Mixed Case").QueryRow("SELECT current_database()").Scan(&name); err != nil || name != "Mixed Case" {
		t.Fatalf("current_database = %q, %v", name, err)
	}
}
