// Command jwtd-example-roles-claims is a jwtd claim-serializer plugin adding
// "roles" and "email" claims and a "user" response field. jwtd launches it;
// it is not run by hand.
package main

import (
	"github.com/jwtd/jwtd/examples/roles-claims/rolesclaims"
	"github.com/jwtd/jwtd/sdk/plugin"
)

func main() {
	plugin.Serve(plugin.Set{ClaimSerializer: rolesclaims.New})
}
