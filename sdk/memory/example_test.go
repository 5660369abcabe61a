package memory_test

import (
	"context"
	"fmt"
	"time"

	"github.com/jwtd/jwtd/sdk"
	"github.com/jwtd/jwtd/sdk/memory"
)

// A host finds the optional LoginFailureStore capability on a blacklist
// store by type assertion, and counts in its own memory without it.
func ExampleLoginFailureStore() {
	ctx := context.Background()
	var bl sdk.BlacklistStore = memory.NewBlacklistStore()
	failures, shared := bl.(sdk.LoginFailureStore)
	if !shared {
		failures = memory.NewLoginFailureStore(0, nil)
	}
	for range 3 {
		failures.AddLoginFailure(ctx, "u:5f3c", 10*time.Minute)
	}
	n, _ := failures.LoginFailures(ctx, "u:5f3c")
	fmt.Println(shared, n.Count, n.ResetIn > 9*time.Minute)
	failures.ClearLoginFailures(ctx, "u:5f3c")
	n, _ = failures.LoginFailures(ctx, "u:5f3c")
	fmt.Println(n.Count)
	// Output:
	// true 3 true
	// 0
}
