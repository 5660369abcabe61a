package sqlite_test

import (
	"context"
	"crypto/md5"
	"database/sql"
	"encoding/hex"
	"path/filepath"
	"testing"
	"time"

	_ "github.com/mattn/go-sqlite3"

	"github.com/jwtd/jwtd/plugins/sqlite"
	"github.com/jwtd/jwtd/sdk"
)

// cheapArgon2 keeps new hashes fast in tests (argon2, and pbkdf2_sha256 on
// Django's table); the formats are the same.
func cheapArgon2(cfg sdk.Config) sdk.Config {
	cfg["pbkdf2_iterations"] = 1000
	cfg["argon2_time_cost"] = 1
	cfg["argon2_memory_cost"] = 64
	cfg["argon2_parallelism"] = 1
	return cfg
}

func dbPath(t testing.TB) string {
	return filepath.Join(t.TempDir(), "jwtd.db")
}

func openUsers(t testing.TB, cfg sdk.Config) *sqlite.UserStore {
	t.Helper()
	s, err := sqlite.OpenUserStore(context.Background(), cfg)
	if err != nil {
		t.Fatalf("OpenUserStore: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func openBlacklist(t testing.TB, path string) *sqlite.BlacklistStore {
	t.Helper()
	s, err := sqlite.OpenBlacklistStore(context.Background(), sdk.Config{"path": path, "sweep_interval": "0"})
	if err != nil {
		t.Fatalf("OpenBlacklistStore: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// rawDB opens path directly, as a second process or Django would.
func rawDB(t testing.TB, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite3", path+"?_busy_timeout=5000")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func record(jti string, exp time.Time) sdk.TokenRecord {
	return sdk.TokenRecord{JTI: jti, UserID: "7", TokenType: "refresh", IssuedAt: exp.Add(-time.Hour), ExpiresAt: exp}
}

func openBlacklistForChild(ctx context.Context, path string) (*sqlite.BlacklistStore, error) {
	return sqlite.OpenBlacklistStore(ctx, sdk.Config{"path": path, "sweep_interval": "0"})
}

func md5hex(s string) string {
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}
