package sqlite_test

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/jwtd/jwtd/plugins/sqlite"
	"github.com/jwtd/jwtd/sdk"
)

// TestReadPoolSettings: the pools the hot reads go through have the
// connection settings the stores rely on: query_only (a write that strays
// onto them fails instead of skipping the writer's queue and its
// synchronous level) and in-memory temporary storage.
func TestReadPoolSettings(t *testing.T) {
	ctx := context.Background()
	bl := openBlacklist(t, dbPath(t))
	us := openUsers(t, cheapArgon2(sdk.Config{"path": dbPath(t)}))
	for _, tc := range []struct {
		name  string
		db    *sql.DB
		write string
	}{
		{"blacklist", sqlite.ReadPool(bl), `INSERT INTO jwtd_blacklisted_tokens VALUES ('x', '1', 'refresh', 0, 0)`},
		{"users", sqlite.UserReadPool(us), `DELETE FROM jwtd_users`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := tc.db.ExecContext(ctx, tc.write); err == nil {
				t.Errorf("%s through the read pool succeeded; want a query_only error", tc.write)
			}
			for pragma, want := range map[string]int64{"query_only": 1, "temp_store": 2} {
				var got int64
				if err := tc.db.QueryRowContext(ctx, "PRAGMA "+pragma).Scan(&got); err != nil {
					t.Fatalf("PRAGMA %s: %v", pragma, err)
				}
				if got != want {
					t.Errorf("PRAGMA %s = %d, want %d", pragma, got, want)
				}
			}
		})
	}
}

// TestConcurrentWritersQueue: writers wait for each other in the store's
// single writer connection, not in SQLite's busy handler, so many
// concurrent fsyncing writes all succeed even with a busy timeout far
// shorter than one write, and a read is never refused meanwhile.
func TestConcurrentWritersQueue(t *testing.T) {
	ctx := context.Background()
	s, err := sqlite.OpenBlacklistStore(ctx, sdk.Config{"path": dbPath(t), "sweep_interval": "0", "busy_timeout": "1ms"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	const writers, each = 16, 8
	exp := time.Now().Add(time.Hour)
	var wg sync.WaitGroup
	errs := make(chan error, writers*each*2)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				jti := fmt.Sprintf("w%d-%d", w, i)
				if err := s.AddOutstanding(ctx, record(jti, exp)); err != nil {
					errs <- fmt.Errorf("AddOutstanding %s: %w", jti, err)
				}
				if ok, err := s.Blacklist(ctx, record(jti, exp)); err != nil || !ok {
					errs <- fmt.Errorf("Blacklist %s = %v, %v", jti, ok, err)
				}
				if _, err := s.IsBlacklisted(ctx, "absent"); err != nil {
					errs <- fmt.Errorf("IsBlacklisted during writes: %w", err)
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	for w := range writers {
		for i := range each {
			jti := fmt.Sprintf("w%d-%d", w, i)
			if ok, err := s.IsBlacklisted(ctx, jti); err != nil || !ok {
				t.Errorf("IsBlacklisted(%s) = %v, %v after the writes", jti, ok, err)
			}
		}
	}
}
