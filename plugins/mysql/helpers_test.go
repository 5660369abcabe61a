package mysql_test

import (
	"os"
	"testing"

	"github.com/jwtd/jwtd/internal/mariadbtest"
	"github.com/jwtd/jwtd/plugins/mysql"
	"github.com/jwtd/jwtd/plugins/sqlstore/sqlstoretest"
	"github.com/jwtd/jwtd/sdk/plugin"
)

// The test binary doubles as the plugin binary (go-plugin's own pattern):
// started by a pluginhost.Host, it finds the handshake cookie and serves
// exactly what cmd/jwtd-plugin-mysql serves.
func TestMain(m *testing.M) {
	if plugin.Launched() {
		plugin.Serve(plugin.Set{UserStore: mysql.NewUserStore, BlacklistStore: mysql.NewBlacklistStore})
		return
	}
	os.Exit(m.Run())
}

// newDB creates a fresh database on srv, with Django's tables when django.
func newDB(t testing.TB, srv *mariadbtest.Server, django bool) string {
	t.Helper()
	return sqlstoretest.NewDB(t, srv, srv.Open, "mysql", django)
}

// stores are the package's stores, as its plugin binary serves them; the
// helpers below are sqlstoretest's on them.
var stores = sqlstoretest.Stores{Users: mysql.NewUserStore, Blacklist: mysql.NewBlacklistStore}

var (
	userConfig    = sqlstoretest.UserConfig
	outOfProcess  = sqlstoretest.OutOfProcess
	spec          = sqlstoretest.Spec
	openUsers     = stores.OpenUsers
	openBlacklist = stores.OpenBlacklist
)
