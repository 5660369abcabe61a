package sdk

import "context"

// Pinger is an optional interface of any plugin: Ping reports whether the
// plugin and what stands behind it (a database, a Redis server) can answer
// now. /readyz and `jwtd check-config` use it; a plugin without it counts as
// ready while its process answers.
type Pinger interface {
	Ping(ctx context.Context) error
}
