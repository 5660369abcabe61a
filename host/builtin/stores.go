package builtin

import (
	"github.com/jwtd/jwtd/plugins/defaults"
	"github.com/jwtd/jwtd/plugins/mysql"
	"github.com/jwtd/jwtd/plugins/postgres"
	"github.com/jwtd/jwtd/plugins/redis"
	"github.com/jwtd/jwtd/plugins/sqlite"
)

// registerStores adds the built-in plugins linked into jwtd: the SQLite
// user store and blacklist, the PostgreSQL and MySQL user stores and
// blacklists, the Redis blacklist, and the default rule and
// claim serializer (the same code the plugin binaries serve out of process).
func registerStores(r *Registry) {
	r.UserStores["sqlite"] = sqlite.NewUserStore
	r.BlacklistStores["sqlite"] = sqlite.NewBlacklistStore
	r.BlacklistStores["redis"] = redis.NewBlacklistStore
	r.UserStores["postgres"] = postgres.NewUserStore
	r.BlacklistStores["postgres"] = postgres.NewBlacklistStore
	r.UserStores["mysql"] = mysql.NewUserStore
	r.BlacklistStores["mysql"] = mysql.NewBlacklistStore
	r.AuthRules["default"] = defaults.NewAuthRule
	r.ClaimSerializers["default"] = defaults.NewClaimSerializer
}
