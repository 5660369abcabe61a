// Command jwtd-example-allowlist is a jwtd authentication-rule plugin that
// allows only active users holding an allowed attribute value (for example a
// group). jwtd launches it; it is not run by hand.
package main

import (
	"github.com/jwtd/jwtd/examples/allowlist-rule/allowlist"
	"github.com/jwtd/jwtd/sdk/plugin"
)

func main() {
	plugin.Serve(plugin.Set{AuthRule: allowlist.New})
}
