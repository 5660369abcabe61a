// Command jwtd-plugin-postgres serves jwtd's PostgreSQL user store and
// blacklist store out of process. jwtd starts it; it is not meant to be run
// by hand.
package main

import (
	"github.com/jwtd/jwtd/plugins/postgres"
	"github.com/jwtd/jwtd/sdk/plugin"
)

func main() {
	plugin.Serve(plugin.Set{
		UserStore:      postgres.NewUserStore,
		BlacklistStore: postgres.NewBlacklistStore,
	})
}
