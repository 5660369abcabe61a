package sqlite_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/jwtd/jwtd/plugins/sqlite"
	"github.com/jwtd/jwtd/sdk"
)

// A user store on its own table, created on first open; the config is the
// [plugins.user_store.config] table of jwtd.toml.
func ExampleNewUserStore() {
	dir, _ := os.MkdirTemp("", "jwtd-example")
	defer os.RemoveAll(dir)
	ctx := context.Background()

	store, err := sqlite.NewUserStore(ctx, sdk.Config{
		"path": filepath.Join(dir, "jwtd.db"),
		// Cheap argon2 for the example; omit for Django's defaults.
		"argon2_time_cost": 1, "argon2_memory_cost": 64, "argon2_parallelism": 1,
	})
	if err != nil {
		panic(err)
	}
	defer store.(*sqlite.UserStore).Close()

	admin := store.(sdk.UserAdmin)
	if _, err := admin.CreateUser(ctx, sdk.NewUser{Username: "alice", Password: "s3cret", IsActive: true}); err != nil {
		panic(err)
	}
	u, err := store.Authenticate(ctx, sdk.Credentials{"username": "alice", "password": "s3cret"})
	fmt.Println(u.ID, u.Username, err)
	_, err = store.Authenticate(ctx, sdk.Credentials{"username": "alice", "password": "wrong"})
	fmt.Println(err)
	// Output:
	// 1 alice <nil>
	// jwtd: invalid credentials
}

// A blacklist store; Blacklist reports true only for the call that added the
// jti, which is what makes refresh-token rotation single-use.
func ExampleNewBlacklistStore() {
	dir, _ := os.MkdirTemp("", "jwtd-example")
	defer os.RemoveAll(dir)
	ctx := context.Background()

	store, err := sqlite.NewBlacklistStore(ctx, sdk.Config{"path": filepath.Join(dir, "jwtd.db"), "sweep_interval": "1h"})
	if err != nil {
		panic(err)
	}
	defer store.(*sqlite.BlacklistStore).Close()

	rec := sdk.TokenRecord{JTI: "3f2a", UserID: "1", TokenType: "refresh", ExpiresAt: time.Now().Add(24 * time.Hour)}
	first, _ := store.Blacklist(ctx, rec)
	second, _ := store.Blacklist(ctx, rec)
	listed, _ := store.IsBlacklisted(ctx, "3f2a")
	fmt.Println(first, second, listed)
	// Output: true false true
}
