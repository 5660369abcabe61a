package redis

import (
	"context"

	goredis "github.com/redis/go-redis/v9"
)

// ClientOf exposes the store's go-redis client, so tests can check which
// topology a config built.
func ClientOf(b *BlacklistStore) goredis.UniversalClient { return b.client }

// OutstandingKey exposes a user's outstanding-set key to tests that check it
// with a raw client.
func OutstandingKey(b *BlacklistStore, userID string) string { return b.outstandingKey(userID) }

// BlacklistKey exposes a jti's blacklist key likewise.
func BlacklistKey(b *BlacklistStore, jti string) string { return b.blacklistKey(jti) }

// MinBlacklistTTL is the floor on a blacklist key's life.
const MinBlacklistTTL = minBlacklistTTL

// RevokeSessionAs runs the revocation script with a given nonce, as a
// go-redis retry of one call would.
func RevokeSessionAs(b *BlacklistStore, ctx context.Context, userID, id, nonce string) (int, error) {
	return revokeSessionScript.Run(ctx, b.client, []string{b.sessionKey(userID, id)}, userID, nonce, b.feedChannel(), id).Int()
}
