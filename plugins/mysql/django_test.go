package mysql_test

import (
	"testing"
	"time"

	gomysql "github.com/go-sql-driver/mysql"

	"github.com/jwtd/jwtd/internal/mariadbtest"
	"github.com/jwtd/jwtd/plugins/sqlstore/sqlstoretest"
	"github.com/jwtd/jwtd/sdk"
)

// TestDjango: on Django's exact MySQL DDL (from MariaDB), rows Django
// writes are read by jwtd and the other way round
// (sqlstoretest.TestDjango).
func TestDjango(t *testing.T) {
	srv := mariadbtest.Start(t)
	dsn := newDB(t, srv, true)
	cfg, err := gomysql.ParseDSN(dsn)
	if err != nil {
		t.Fatal(err)
	}
	sqlstoretest.TestDjango(t, sqlstoretest.Env{
		Raw:    srv.Open(t, cfg.DBName),
		Rebind: func(q string) string { return q },
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
