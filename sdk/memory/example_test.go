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

// A host finds the optional SessionStore capability with sdk.As; a
// rotated token presented again is reported as Reused, with the child it
// was rotated into, and the host then revokes the session.
func ExampleSessionStore() {
	ctx := context.Background()
	var bl sdk.BlacklistStore = memory.NewBlacklistStore()
	sessions, ok := sdk.As[sdk.SessionStore](bl)
	if !ok {
		fmt.Println("no sessions: refuse [tokens] sessions = true")
		return
	}
	now := time.Unix(1_800_000_000, 0)
	s := sdk.Session{ID: "s1", UserID: "42", CreatedAt: now, LastUsedAt: now, ExpiresAt: now.Add(24 * time.Hour)}
	sessions.CreateSession(ctx, s, "jti-1")
	r, _ := sessions.RotateSession(ctx, "42", "s1", "jti-1", "jti-2", now.Add(time.Minute))
	fmt.Println(r.Outcome == sdk.Rotated)
	r, _ = sessions.RotateSession(ctx, "42", "s1", "jti-1", "jti-3", now.Add(time.Hour))
	fmt.Println(r.Outcome == sdk.Reused, r.Child, r.ConsumedAt.Sub(now))
	revoked, _ := sessions.RevokeSession(ctx, "42", "s1")
	st, _ := sessions.SessionState(ctx, "42", "s1", now.Add(time.Hour))
	fmt.Println(revoked, st.Revoked)
	// Output:
	// true
	// true jti-2 1m0s
	// true true
}
