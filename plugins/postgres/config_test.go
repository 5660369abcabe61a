package postgres_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jwtd/jwtd/internal/pgtest"
	"github.com/jwtd/jwtd/plugins/postgres"
	"github.com/jwtd/jwtd/plugins/sqlstore/sqlstoretest"
	"github.com/jwtd/jwtd/sdk"
)

// TestConfigRefusals: a bad config is a start-up error naming the key,
// wrapping sdk.ErrInvalidConfig, and never quoting the DSN (it may hold a
// password).
func TestConfigRefusals(t *testing.T) {
	const secret = "s3cr3t-pw"
	cases := []struct {
		name string
		cfg  sdk.Config
		want string
	}{
		{"no dsn", sdk.Config{}, "exactly one of dsn"},
		{"two dsn sources", sdk.Config{"dsn": "postgres://x", "dsn_env": "X"}, "exactly one of dsn"},
		{"unset dsn_env", sdk.Config{"dsn_env": "JWTD_TEST_NO_SUCH_VAR"}, "JWTD_TEST_NO_SUCH_VAR is not set"},
		{"missing dsn_file", sdk.Config{"dsn_file": "/nonexistent/dsn"}, "dsn_file"},
		{"unparsable dsn", sdk.Config{"dsn": "postgres://u:" + secret + "@host:notaport/db"}, "not shown"},
		{"bad timeout", sdk.Config{"dsn": "postgres://localhost/db", "query_timeout": "soon"}, "query_timeout"},
		{"negative pool", sdk.Config{"dsn": "postgres://localhost/db", "max_open_conns": -1}, "max_open_conns"},
		{"unknown key", sdk.Config{"dsn": "postgres://localhost/db", "tabel": "x"}, "tabel"},
		{"bad identifier", sdk.Config{"dsn": "postgres://localhost/db", "table": "users; drop"}, "plain SQL identifier"},
		{"django with migrate", sdk.Config{"dsn": "postgres://localhost/db", "django": true, "migrate": true}, "never alters"},
		{"unknown hasher", sdk.Config{"dsn": "postgres://localhost/db", "hasher": "md5"}, "hasher"},
		{"unknown id type", sdk.Config{"dsn": "postgres://localhost/db", "id_type": "string"}, "id_type"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := postgres.NewUserStore(context.Background(), tc.cfg)
			if !errors.Is(err, sdk.ErrInvalidConfig) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v; want ErrInvalidConfig mentioning %q", err, tc.want)
			}
			if strings.Contains(err.Error(), secret) {
				t.Fatalf("error quotes the password: %v", err)
			}
		})
	}
	_, err := postgres.NewBlacklistStore(context.Background(), sdk.Config{"dsn": "postgres://localhost/db", "user_table": "x"})
	if !errors.Is(err, sdk.ErrInvalidConfig) || !strings.Contains(err.Error(), "django = true") {
		t.Fatalf("Django table keys without django: %v", err)
	}
}

// TestDSNSources: dsn_env and dsn_file work, and a database that is not
// there is ErrUnavailable (503), not a config error.
func TestDSNSources(t *testing.T) {
	srv := pgtest.Start(t)
	dsn := newDB(t, srv, false)
	t.Setenv("JWTD_TEST_PG_DSN", dsn)
	file := filepath.Join(t.TempDir(), "dsn")
	if err := os.WriteFile(file, []byte(dsn+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, cfg := range []sdk.Config{{"dsn_env": "JWTD_TEST_PG_DSN"}, {"dsn_file": file}} {
		s := openBlacklist(t, cfg)
		if err := s.(sdk.Pinger).Ping(context.Background()); err != nil {
			t.Fatalf("%v: %v", cfg, err)
		}
	}
	srv.Stop()
	_, err := postgres.NewBlacklistStore(context.Background(), sdk.Config{"dsn": dsn, "connect_timeout": "500ms"})
	if !errors.Is(err, sdk.ErrUnavailable) {
		t.Fatalf("database down at start: %v; want ErrUnavailable", err)
	}
}

// TestUUIDKeysAndEmailLogin: a custom user model with a UUID primary key
// (Django's UUIDField: native uuid on PostgreSQL) and email as the login
// field, served as it is.
func TestUUIDKeysAndEmailLogin(t *testing.T) {
	srv := pgtest.Start(t)
	dsn := newDB(t, srv, false)
	db := srv.Open(t, dbName(dsn))
	if _, err := db.Exec(`CREATE TABLE "accounts_user" ("id" uuid NOT NULL PRIMARY KEY, "password" varchar(128) NOT NULL, "last_login" timestamp with time zone NULL,
		"username" varchar(150) NOT NULL UNIQUE, "email" varchar(254) NOT NULL UNIQUE, "is_active" boolean NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	sqlstoretest.TestUUIDUsers(t, stores, dsn, func(id string) string { return id })
}
