package postgres_test

import (
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/jwtd/jwtd/internal/pgtest"
	"github.com/jwtd/jwtd/plugins/postgres"
	"github.com/jwtd/jwtd/plugins/sqlstore/sqlstoretest"
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

// newDB creates a fresh database on srv, with Django's tables when django.
func newDB(t testing.TB, srv *pgtest.Server, django bool) string {
	t.Helper()
	return sqlstoretest.NewDB(t, srv, srv.OpenMulti, "postgres", django)
}

// stores are the package's stores, as its plugin binary serves them; the
// helpers below are sqlstoretest's on them.
var stores = sqlstoretest.Stores{Users: postgres.NewUserStore, Blacklist: postgres.NewBlacklistStore}

var (
	userConfig    = sqlstoretest.UserConfig
	outOfProcess  = sqlstoretest.OutOfProcess
	spec          = sqlstoretest.Spec
	openUsers     = stores.OpenUsers
	openBlacklist = stores.OpenBlacklist
)

// dbName is the database a pgtest DSN names.
func dbName(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		panic(err)
	}
	return strings.TrimPrefix(u.Path, "/")
}
