package redis_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jwtd/jwtd/plugins/redis"
	"github.com/jwtd/jwtd/sdk"
)

// The factory takes the [plugins.blacklist_store.config] table as jwtd.toml
// holds it. It validates strictly but does not connect, so a typo is caught
// at start even while Redis is down.
func ExampleNewBlacklistStore() {
	ctx := context.Background()
	_, err := redis.NewBlacklistStore(ctx, sdk.Config{
		"addrs":        []any{"127.0.0.1:6379"},
		"password_env": "REDIS_PASSWORD",
		"dial_timout":  "1s", // typo
	})
	fmt.Println(errors.Is(err, sdk.ErrInvalidConfig))
	fmt.Println(err)

	store, err := redis.NewBlacklistStore(ctx, sdk.Config{
		"addrs":        []any{"10.0.0.1:7000", "10.0.0.2:7000", "10.0.0.3:7000"}, // Cluster
		"key_prefix":   "jwtd-prod:",
		"read_timeout": "500ms",
		"leeway":       "30s",
	})
	fmt.Println(err)
	defer store.(*redis.BlacklistStore).Close()
	// Output:
	// true
	// redis blacklist store: jwtd: invalid plugin config: json: unknown field "dial_timout"
	// <nil>
}

// RevokeUser is an optional capability: find it by type assertion.
func ExampleUserRevoker() {
	ctx := context.Background()
	var store sdk.BlacklistStore // as built by the host
	if r, ok := store.(redis.UserRevoker); ok {
		n, err := r.RevokeUser(ctx, "42", time.Now())
		if err != nil {
			fmt.Println("revoke failed:", err) // wraps sdk.ErrUnavailable
			return
		}
		fmt.Println("revoked", n, "tokens")
	}
}
