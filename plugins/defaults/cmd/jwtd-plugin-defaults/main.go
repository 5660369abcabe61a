// Command jwtd-plugin-defaults serves jwtd's default authentication rule
// (active users only) and default claim serializer (nothing extra) out of
// process. jwtd starts it; it is not meant to be run by hand.
package main

import (
	"github.com/jwtd/jwtd/plugins/defaults"
	"github.com/jwtd/jwtd/sdk/plugin"
)

func main() {
	plugin.Serve(plugin.Set{
		AuthRule:        defaults.NewAuthRule,
		ClaimSerializer: defaults.NewClaimSerializer,
	})
}
