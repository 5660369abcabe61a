package sdk

import (
	"context"
	"time"
)

// LoginFailureCount is the state of one failed-login counter.
type LoginFailureCount struct {
	// Count is the number of failures recorded in the counter's current
	// window; 0 when there is no live counter.
	Count int
	// ResetIn is how long until the counter's window ends and it reads 0
	// again; 0 when Count is 0. The host answers a locked login with it as
	// Retry-After, so it is a duration (immune to clock skew between the
	// store and the hosts), not an instant.
	ResetIn time.Duration
}

// LoginFailureStore is an optional interface of a BlacklistStore: counters
// of failed logins shared by every jwtd instance that uses the store, so
// that brute-force protection holds across a fleet and across restarts.
//
// Fallback: with a blacklist store that lacks it (or with no blacklist store)
// each jwtd instance counts failures in its own memory, so N instances allow
// up to N times the configured failures and a restart forgets them; jwtd says
// so once in its log at start.
//
// Keys are opaque strings chosen by the host (a hash of the key's kind and
// value: a store never sees a raw username or address); a store must accept
// any key of up to 128 bytes and must not interpret it. Keys never contain
// "{" or "}", so a Redis Cluster store may wrap them in a hash tag.
//
// A counter is a fixed window: the first failure creates it with the given
// window, later failures increment it without moving its end, and once the
// window has passed it is gone (reads as 0). An attacker who keeps failing
// therefore cannot keep a counter alive beyond one window past its first
// failure, which bounds how long anyone can lock a user out.
//
// Implementations must be safe for concurrent use across processes: of n
// concurrent AddLoginFailure calls on a fresh key, the results' counts are
// exactly 1..n. An error (wrap ErrUnavailable when the backing store cannot
// answer) makes the host refuse the login with 503: a login is never let
// through unthrottled because the counters are out of reach.
type LoginFailureStore interface {
	// AddLoginFailure records one failure on key and returns the counter
	// after it. When no live counter exists it starts one that ends window
	// from now; otherwise the window's end stays where it was.
	AddLoginFailure(ctx context.Context, key string, window time.Duration) (LoginFailureCount, error)

	// LoginFailures returns key's live counter, or the zero LoginFailureCount
	// when there is none (never recorded, cleared or its window has passed).
	LoginFailures(ctx context.Context, key string) (LoginFailureCount, error)

	// ClearLoginFailures removes key's counter (a successful login resets
	// its username's count). Clearing a missing key is not an error.
	ClearLoginFailures(ctx context.Context, key string) error
}
