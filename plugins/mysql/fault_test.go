package mysql_test

import (
	"testing"

	"github.com/jwtd/jwtd/internal/mariadbtest"
	"github.com/jwtd/jwtd/plugins/sqlstore/sqlstoretest"
	"github.com/jwtd/jwtd/sdk"
)

// TestFaults: MariaDB down, hanging and crashed (sqlstoretest.TestFaults),
// on jwtd's own schema and on Django's.
func TestFaults(t *testing.T) {
	for _, django := range []bool{false, true} {
		t.Run(map[bool]string{false: "native", true: "django"}[django], func(t *testing.T) {
			srv := mariadbtest.Start(t)
			dsn := newDB(t, srv, django)
			merge := func(cfg, extra sdk.Config) sdk.Config {
				for k, v := range extra {
					cfg[k] = v
				}
				return cfg
			}
			sqlstoretest.TestFaults(t, sqlstoretest.FaultEnv{
				Server: srv,
				Users: func(t *testing.T, extra sdk.Config) sdk.UserStore {
					return openUsers(t, merge(userConfig(dsn, django), extra))
				},
				Blacklist: func(t *testing.T, extra sdk.Config) sdk.BlacklistStore {
					return openBlacklist(t, merge(sdk.Config{"dsn": dsn, "django": django, "sweep_interval": "0"}, extra))
				},
			})
		})
	}
}
