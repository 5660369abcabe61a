package pgtest_test

import (
	"context"
	"testing"

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

	dbtest.CheckLifecycle(t, s, func() int { return s.Port }, db, func() {
		// Freeze returns only once the postmaster and every backend have
		// stopped: kill(2) returns earlier.
		for _, pid := range append(dbtest.Children(s.Pid()), s.Pid()) {
			if stopped, err := dbtest.Stopped(pid); err != nil || !stopped {
				t.Fatalf("Freeze returned with process %d of postgres still running (%v)", pid, err)
			}
		}
	})
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
