// Command jwtd is the JWT authentication service: see `jwtd --help` and
// README.md.
package main

import (
	"os"

	"github.com/jwtd/jwtd/host/cli"
)

func main() { os.Exit(cli.Run()) }
