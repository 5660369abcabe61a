package postgres_test

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jwtd/jwtd/host/pluginhost"
	"github.com/jwtd/jwtd/internal/dbtest"
	"github.com/jwtd/jwtd/internal/pgtest"
	"github.com/jwtd/jwtd/plugins/postgres"
	"github.com/jwtd/jwtd/sdk"
	"github.com/jwtd/jwtd/sdk/plugin"
)

// The test binary doubles as the plugin binary (go-plugin's own pattern):
// started by a pluginhost.Host, it finds the handshake cookie and serves
// exactly what cmd/jwtd-plugin-postgres serves.
func TestMain(m *testing.M) {
	if runRole() {
		return
	}
	if plugin.Launched() {
		plugin.Serve(plugin.Set{UserStore: postgres.NewUserStore, BlacklistStore: postgres.NewBlacklistStore})
		return
	}
	os.Exit(m.Run())
}

var dbSeq atomic.Int32

// newDB creates a fresh database on srv, with Django's tables when django.
func newDB(t testing.TB, srv *pgtest.Server, django bool) string {
	t.Helper()
	name := fmt.Sprintf("t%d", dbSeq.Add(1))
	dsn := srv.CreateDatabase(t, name)
	if django {
		dbtest.ApplyDjangoDDL(t, srv.OpenMulti(t, name), "postgres")
	}
	return dsn
}

// userConfig is a user store config with cheap hashes: the formats are the
// same as with the defaults.
func userConfig(dsn string, django bool) sdk.Config {
	return sdk.Config{
		"dsn": dsn, "django": django,
		"pbkdf2_iterations": 1000,
		"argon2_time_cost":  1, "argon2_memory_cost": 64, "argon2_parallelism": 1,
	}
}

// outOfProcess starts the plugin as a real process through the host's
// plugin launcher.
func outOfProcess(t *testing.T) *pluginhost.Host {
	t.Helper()
	h := pluginhost.New(nil)
	t.Cleanup(func() { h.Close() })
	return h
}

func spec(t *testing.T, name string, cfg sdk.Config) pluginhost.Spec {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return pluginhost.Spec{Name: name, Path: self, Config: cfg, CallTimeout: 5 * time.Second}
}

func openUsers(t testing.TB, cfg sdk.Config) sdk.UserStore {
	t.Helper()
	s, err := postgres.NewUserStore(context.Background(), cfg)
	if err != nil {
		t.Fatalf("NewUserStore: %v", err)
	}
	t.Cleanup(func() { s.(interface{ Close() error }).Close() })
	return s
}

func openBlacklist(t testing.TB, cfg sdk.Config) sdk.BlacklistStore {
	t.Helper()
	s, err := postgres.NewBlacklistStore(context.Background(), cfg)
	if err != nil {
		t.Fatalf("NewBlacklistStore: %v", err)
	}
	t.Cleanup(func() { s.(interface{ Close() error }).Close() })
	return s
}

func randSuffix(t testing.TB) string {
	return fmt.Sprintf("-%d-%d", dbSeq.Add(1), time.Now().UnixNano()%1e6)
}

// dbName is the database a pgtest DSN names.
func dbName(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		panic(err)
	}
	return strings.TrimPrefix(u.Path, "/")
}
