// Command jwtd-example-htpasswd is a jwtd user-store plugin over an Apache
// htpasswd file with bcrypt hashes. jwtd launches it; it is not run by hand.
package main

import (
	"github.com/jwtd/jwtd/examples/htpasswd-userstore/htpasswd"
	"github.com/jwtd/jwtd/sdk/plugin"
)

func main() {
	plugin.Serve(plugin.Set{UserStore: htpasswd.New})
}
