package sdk

import (
	"context"
	"time"
)

// TokenRecord is what a blacklist store keeps of a refresh or sliding
// token: never the raw token, only its identity, owner and lifetime.
type TokenRecord struct {
	// JTI is the token's unique id (the JTI_CLAIM value).
	JTI string
	// UserID is the token's user id claim, as a string.
	UserID string
	// TokenType is the token's type claim ("refresh", "sliding", ...).
	TokenType string
	// IssuedAt is the token's iat.
	IssuedAt time.Time
	// ExpiresAt is when the record becomes useless, as the core decides it:
	// the token's exp plus the core's leeway (tokens are accepted that long
	// past exp), and for a sliding token the latest expiry any refreshed copy
	// of it can reach (sliding refresh keeps the jti), plus leeway. A store
	// must keep the record until ExpiresAt and may drop it after (FlushExpired,
	// or an expiring key); it needs no leeway of its own.
	ExpiresAt time.Time
}

// BlacklistStore is Simple JWT's token_blacklist app: outstanding tokens and
// the blacklist. Implementations must be safe for concurrent use, also across
// several jwtd processes sharing one store.
type BlacklistStore interface {
	// AddOutstanding records a refresh or sliding token that was issued.
	// Recording the same JTI twice is not an error.
	AddOutstanding(ctx context.Context, t TokenRecord) error

	// Blacklist blacklists t.JTI at least until t.ExpiresAt unless it is already
	// blacklisted, atomically: of any number of concurrent calls with one JTI,
	// across every process sharing the store, exactly one returns true. A call
	// that finds the JTI already blacklisted returns false and no error. The
	// core builds refresh-token rotation's single-use guarantee on this.
	Blacklist(ctx context.Context, t TokenRecord) (added bool, err error)

	// IsBlacklisted reports whether jti is blacklisted. An entry whose token
	// has expired may be reported either way: the core rejects expired tokens
	// before asking.
	IsBlacklisted(ctx context.Context, jti string) (bool, error)

	// FlushExpired drops outstanding and blacklisted entries whose
	// ExpiresAt is before now (Simple JWT's flushexpiredtokens) and returns how
	// many it dropped. Stores whose entries expire by themselves return 0.
	FlushExpired(ctx context.Context, now time.Time) (int, error)
}
