// Package redis is jwtd's Redis blacklist store: an sdk.BlacklistStore on
// redis/go-redis/v9's universal client, so that any number of jwtd instances
// share one blacklist and a token revoked through one is refused by all.
//
// It is the built-in "redis" (use = "redis" in [plugins.blacklist_store])
// and is also served out of process by cmd/jwtd-plugin-redis. One config
// selects the topology: a single server (one address), Redis Cluster
// (several addresses, or cluster = true) or Sentinel (master_name plus the
// Sentinels' addresses). See Config for every key and README.md for when to
// choose Redis and a snippet per topology.
//
// Blacklist entries are keys that expire with their tokens (plus leeway), so
// FlushExpired has nothing to do; blacklisting is one atomic script, so
// refresh-token rotation stays single-use across instances; outstanding
// tokens are kept per user in a hash-tagged sorted set, which gives the
// optional UserRevoker capability ("revoke all of a user's tokens") in one
// call, on Cluster too. Every Redis failure is an error wrapping
// sdk.ErrUnavailable: the service fails closed with 503 and recovers without
// a restart.
package redis
