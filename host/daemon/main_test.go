package daemon_test

import (
	"os"
	"testing"

	"github.com/jwtd/jwtd/sdk/plugin"
)

// TestMain: started by jwtd's plugin host (go-plugin's handshake cookie in
// the environment), the test binary is a plugin process serving the real
// SQLite user store behind a probe (hashbound_test.go); otherwise it runs
// the tests.
func TestMain(m *testing.M) {
	if plugin.Launched() {
		plugin.Serve(plugin.Set{UserStore: probedSQLiteUsers, BlacklistStore: testBlacklist})
		return
	}
	os.Exit(m.Run())
}
