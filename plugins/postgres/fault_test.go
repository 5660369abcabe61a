package postgres_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jwtd/jwtd/internal/pgtest"
	"github.com/jwtd/jwtd/plugins/sqlstore/sqlstoretest"
	"github.com/jwtd/jwtd/sdk"
	"github.com/jwtd/jwtd/sdk/sdktest"
)

// TestFaults: PostgreSQL down, hanging and crashed (sqlstoretest.TestFaults),
// on jwtd's own schema and on Django's.
func TestFaults(t *testing.T) {
	for _, django := range []bool{false, true} {
		t.Run(map[bool]string{false: "native", true: "django"}[django], func(t *testing.T) {
			srv := pgtest.Start(t)
			dsn := newDB(t, srv, django)
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

// Out of process, a PostgreSQL outage reaches the host as ErrUnavailable
// (503), and the same plugin process serves again once it is back.
func TestOutOfProcessDownAndBack(t *testing.T) {
	srv := pgtest.Start(t)
	dsn := newDB(t, srv, false)
	h := outOfProcess(t)
	ctx := context.Background()
	cfg := sdk.Config{"dsn": dsn, "query_timeout": "700ms", "connect_timeout": "700ms"}
	users, err := h.UserStore(ctx, spec(t, "user_store", merge(userConfig(dsn, false), cfg)))
	if err != nil {
		t.Fatal(err)
	}
	bl, err := h.BlacklistStore(ctx, spec(t, "blacklist_store", cfg))
	if err != nil {
		t.Fatal(err)
	}
	u, err := sdktest.Admin(t, users).CreateUser(ctx, sdk.NewUser{Username: "gina", Password: "pw", IsActive: true})
	if err != nil {
		t.Fatal(err)
	}
	srv.Stop()
	if _, err := users.LookupUser(ctx, "id", u.ID); !errors.Is(err, sdk.ErrUnavailable) {
		t.Fatalf("LookupUser with PostgreSQL down: %v; want ErrUnavailable", err)
	}
	if listed, err := bl.IsBlacklisted(ctx, "x"); listed || !errors.Is(err, sdk.ErrUnavailable) {
		t.Fatalf("IsBlacklisted with PostgreSQL down = %v, %v; want ErrUnavailable", listed, err)
	}
	srv.Restart()
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, err1 := users.LookupUser(ctx, "id", u.ID)
		_, err2 := bl.IsBlacklisted(ctx, "x")
		if err1 == nil && err2 == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("plugin did not recover: %v / %v", err1, err2)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func merge(cfg, extra sdk.Config) sdk.Config {
	for k, v := range extra {
		cfg[k] = v
	}
	return cfg
}
