// Command jwtd-plugin-redis serves jwtd's Redis blacklist store out of
// process. jwtd starts it; it is not meant to be run by hand.
package main

import (
	"github.com/jwtd/jwtd/plugins/redis"
	"github.com/jwtd/jwtd/sdk/plugin"
)

func main() {
	plugin.Serve(plugin.Set{BlacklistStore: redis.NewBlacklistStore})
}
