// Command jwtd-plugin-mysql serves jwtd's MySQL/MariaDB user store and
// blacklist store out of process. jwtd starts it; it is not meant to be
// run by hand.
package main

import (
	"github.com/jwtd/jwtd/plugins/mysql"
	"github.com/jwtd/jwtd/sdk/plugin"
)

func main() {
	plugin.Serve(plugin.Set{
		UserStore:      mysql.NewUserStore,
		BlacklistStore: mysql.NewBlacklistStore,
	})
}
