package postgres_test

import (
	"testing"
	"time"

	"github.com/jwtd/jwtd/internal/pgtest"
	"github.com/jwtd/jwtd/plugins/postgres"
	"github.com/jwtd/jwtd/plugins/sqlstore/sqlstoretest"
	"github.com/jwtd/jwtd/sdk"
)

// TestDjango: on Django's exact PostgreSQL DDL, rows Django writes are read
// by jwtd and the other way round (sqlstoretest.TestDjango).
func TestDjango(t *testing.T) {
	srv := pgtest.Start(t)
	dsn := newDB(t, srv, true)
	sqlstoretest.TestDjango(t, sqlstoretest.Env{
		Raw:    srv.Open(t, dbName(dsn)),
		Rebind: postgres.Dialect{}.Rebind,
		Time:   func(t time.Time) any { return t.UTC() },
		Users: func(t *testing.T, extra sdk.Config) sdk.UserStore {
			cfg := userConfig(dsn, true)
			for k, v := range extra {
				cfg[k] = v
			}
			return openUsers(t, cfg)
		},
		Blacklist: func(t *testing.T) sdk.BlacklistStore {
			return openBlacklist(t, sdk.Config{"dsn": dsn, "django": true, "sweep_interval": "0"})
		},
	})
}
