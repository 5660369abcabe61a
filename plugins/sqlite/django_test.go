package sqlite_test

import (
	"testing"
	"time"

	"github.com/jwtd/jwtd/internal/dbtest"
	"github.com/jwtd/jwtd/plugins/sqlite"
	"github.com/jwtd/jwtd/plugins/sqlstore/sqlstoretest"
	"github.com/jwtd/jwtd/sdk"
	"github.com/jwtd/jwtd/sdk/sdktest"
)

// djangoDB is a database file with Django's exact SQLite DDL for auth and
// Simple JWT's token_blacklist.
func djangoDB(t *testing.T) string {
	path := dbPath(t)
	dbtest.ApplyDjangoDDL(t, rawDB(t, path), "sqlite")
	return path
}

func djangoBlacklist(t *testing.T, path string) sdk.BlacklistStore {
	t.Helper()
	s, err := sqlite.NewBlacklistStore(t.Context(), sdk.Config{"path": path, "django": true, "sweep_interval": "0"})
	if err != nil {
		t.Fatalf("NewBlacklistStore(django): %v", err)
	}
	t.Cleanup(func() { s.(interface{ Close() error }).Close() })
	return s
}

// TestDjango: on Django's exact SQLite DDL, rows Django writes are read by
// jwtd and the other way round (sqlstoretest.TestDjango).
func TestDjango(t *testing.T) {
	path := djangoDB(t)
	sqlstoretest.TestDjango(t, sqlstoretest.Env{
		Raw:    rawDB(t, path),
		Rebind: func(q string) string { return q },
		Time:   func(t time.Time) any { return t.UTC().Format("2006-01-02 15:04:05.000000") },
		Users: func(t *testing.T, extra sdk.Config) sdk.UserStore {
			cfg := cheapArgon2(sdk.Config{"path": path, "django": true})
			for k, v := range extra {
				cfg[k] = v
			}
			return openUsers(t, cfg)
		},
		Blacklist: func(t *testing.T) sdk.BlacklistStore { return djangoBlacklist(t, path) },
	})
}

// The conformance kit against the blacklist on Simple JWT's tables.
func TestConformanceDjangoBlacklist(t *testing.T) {
	path := djangoDB(t)
	sdktest.TestBlacklistStore(t, func(t *testing.T) sdk.BlacklistStore { return djangoBlacklist(t, path) })
}

// The failed-login counters on a Django database: a table of jwtd's own
// beside Django's.
func TestConformanceDjangoLoginFailures(t *testing.T) {
	path := djangoDB(t)
	sdktest.TestLoginFailureStore(t, func(t *testing.T) sdk.LoginFailureStore {
		return djangoBlacklist(t, path).(sdk.LoginFailureStore)
	})
}
