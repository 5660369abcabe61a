package sdk

import "context"

// AuthRule is USER_AUTHENTICATION_RULE: whether a user may authenticate at
// all. The core applies it at obtain (no tokens are minted for a refused
// user), at refresh, and when authenticating a request with a user lookup.
type AuthRule interface {
	// Allow reports whether user may authenticate. The default rule allows
	// exactly the active users.
	Allow(ctx context.Context, user User) (bool, error)
}
