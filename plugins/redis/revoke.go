package redis

import (
	"context"
	"errors"
	"strconv"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// UserRevoker is an optional capability of this store, beyond
// sdk.BlacklistStore: blacklist every outstanding token of one user in one
// call ("log out everywhere", or after an account compromise). Hosts discover
// it by type assertion; a store without it has no per-user index, and the
// fallback is CHECK_REVOKE_TOKEN (changing the password revokes the user's
// tokens).
type UserRevoker interface {
	// RevokeUser blacklists every token of userID recorded by AddOutstanding
	// that has not expired at now, and returns how many it newly blacklisted
	// (tokens already blacklisted are not counted).
	RevokeUser(ctx context.Context, userID string, now time.Time) (int, error)
}

// RevokeUser blacklists every unexpired outstanding token of userID. It reads
// the user's outstanding set (one Cluster slot, thanks to its hash tag) and
// writes the blacklist keys in one pipeline, each with blacklistScript so
// that tokens already blacklisted keep their entry and the change feed
// hears of each new one. Each write is atomic on its own; the
// whole is not a transaction (on Cluster the keys live on different nodes),
// but repeating the call after an error is safe.
func (b *BlacklistStore) RevokeUser(ctx context.Context, userID string, now time.Time) (int, error) {
	members, err := b.client.ZRangeArgsWithScores(ctx, goredis.ZRangeArgs{
		Key:     b.outstandingKey(userID),
		ByScore: true,
		Start:   "(" + strconv.FormatInt(now.UnixMilli(), 10),
		Stop:    "+inf",
	}).Result()
	if err != nil {
		return 0, unavailable("revoke user", err)
	}
	if len(members) == 0 {
		return 0, nil
	}
	cmds := make([]*goredis.Cmd, len(members))
	_, err = b.client.Pipelined(ctx, func(p goredis.Pipeliner) error {
		for i, m := range members {
			jti, _ := m.Member.(string)
			// The score already holds the token's expiry plus leeway.
			at := time.UnixMilli(int64(m.Score))
			if floor := b.now().Add(minBlacklistTTL); at.Before(floor) {
				at = floor
			}
			nonce, err := newNonce()
			if err != nil {
				return err
			}
			cmds[i] = blacklistScript.Eval(ctx, p, []string{b.blacklistKey(jti)}, nonce, at.UnixMilli(), b.feedChannel())
		}
		return nil
	})
	added := 0
	for _, c := range cmds {
		if c == nil {
			break
		}
		n, e := c.Int()
		if e != nil && !errors.Is(e, goredis.Nil) {
			return added, unavailable("revoke user", e)
		}
		added += n // 0: already blacklisted
	}
	if err != nil && !errors.Is(err, goredis.Nil) {
		return added, unavailable("revoke user", err)
	}
	return added, nil
}
