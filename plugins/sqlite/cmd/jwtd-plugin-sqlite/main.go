// Command jwtd-plugin-sqlite serves jwtd's SQLite user store and SQLite
// blacklist store out of process. jwtd starts it; it is not meant to be run
// by hand. When both kinds have the same config (the same database file),
// jwtd runs one process for the two.
package main

import (
	"github.com/jwtd/jwtd/plugins/sqlite"
	"github.com/jwtd/jwtd/sdk/plugin"
)

func main() {
	plugin.Serve(plugin.Set{
		UserStore:      sqlite.NewUserStore,
		BlacklistStore: sqlite.NewBlacklistStore,
	})
}
