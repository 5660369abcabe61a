package redis

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/jwtd/jwtd/sdk"
)

// minBlacklistTTL is the shortest life a blacklist key gets, even for a token
// that is at or past its expiry when blacklisted. The core checks exp before
// it blacklists, so a token can expire between the check and the write; if
// the key then expired at once, a second concurrent rotation of that token
// would find no key and succeed too. Holding every key at least this long
// keeps "exactly one true" for calls that race around the expiry instant.
const minBlacklistTTL = 5 * time.Second

// blacklistScript blacklists KEYS[1] unless it exists, storing a per-call
// nonce (ARGV[1]) and expiring at ARGV[2] (Unix ms), and publishes the new
// entry on the change feed's channel ARGV[3] in the same script, so every
// jwtd watching the feed learns it (feed.go). It returns 1 when the key
// holds this call's nonce afterwards. The nonce makes the call idempotent:
// when go-redis retries after a lost reply, the retry recognises its own
// earlier write and still returns 1, where a bare SET NX would return "already
// blacklisted" and no caller at all would win the rotation.
var blacklistScript = goredis.NewScript(`
local v = redis.call('GET', KEYS[1])
if v == false then
  redis.call('SET', KEYS[1], ARGV[1], 'PXAT', ARGV[2])
  redis.call('PUBLISH', ARGV[3], 'b|' .. ARGV[2] .. '|' .. KEYS[1])
  return 1
end
if v == ARGV[1] then
  return 1
end
return 0
`)

// outstandingScript adds member ARGV[2] with score ARGV[1] (its expiry, Unix
// ms) to the sorted set KEYS[1], drops members that expired before ARGV[3]
// (now, Unix ms), and makes the set itself expire with its latest member, so
// a user who stops logging in leaves nothing behind. One key, so it runs on
// one Cluster slot.
var outstandingScript = goredis.NewScript(`
redis.call('ZADD', KEYS[1], 'NX', ARGV[1], ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. ARGV[3])
local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
if last[2] then
  redis.call('PEXPIREAT', KEYS[1], last[2])
end
return 1
`)

// BlacklistStore is an sdk.BlacklistStore on Redis, shared by every jwtd
// instance pointed at the same Redis and key prefix. It is safe for
// concurrent use.
//
// Data model, per key prefix P (default "jwtd:"):
//
//   - P bl:<jti> — a string whose presence means "blacklisted". Written once
//     (atomically, unless present) and set to expire when the token does,
//     plus the configured leeway, so nothing ever needs flushing.
//   - P {u:<user id>}:out — a sorted set of the user's outstanding token
//     jtis scored by their expiry (Unix ms). Pruned of expired members on
//     every add and expiring with its latest member. The braces are a Redis
//     Cluster hash tag: all of a user's per-user data lives in one slot, so
//     per-user operations (RevokeUser) work on Cluster.
//
// Every Redis error, timeout or cancelled context is returned wrapped in
// sdk.ErrUnavailable, so that the core fails closed (503) and recovers on its
// own once Redis answers again.
type BlacklistStore struct {
	client goredis.UniversalClient
	prefix string
	leeway time.Duration
	now    func() time.Time
}

// NewBlacklistStore builds a BlacklistStore from its jwtd.toml table; it is
// the sdk.Factory registered as the built-in "redis" and served by the
// plugin binary. It validates the config (unknown keys, bad durations,
// conflicting options and unreadable password or TLS files are errors wrapping
// sdk.ErrInvalidConfig) but does not connect: a Redis that is down at start
// makes requests fail with 503 until it is up, and Ping (/readyz) tells.
func NewBlacklistStore(ctx context.Context, cfg sdk.Config) (sdk.BlacklistStore, error) {
	return New(ctx, cfg)
}

// New is NewBlacklistStore returning the concrete type, for callers that want
// RevokeUser or Close without a type assertion (tests, the migration
// command).
func New(_ context.Context, cfg sdk.Config) (*BlacklistStore, error) {
	s, err := parseConfig(cfg)
	if err != nil {
		return nil, err
	}
	return &BlacklistStore{
		client: goredis.NewUniversalClient(s.opts),
		prefix: s.prefix,
		leeway: s.leeway,
		now:    time.Now,
	}, nil
}

// blacklistKey is the key whose presence blacklists jti.
func (b *BlacklistStore) blacklistKey(jti string) string {
	return b.prefix + "bl:" + jti
}

// outstandingKey is the user's outstanding-token set, hash-tagged on the
// user so that it maps to one Cluster slot.
func (b *BlacklistStore) outstandingKey(userID string) string {
	return b.prefix + "{u:" + userID + "}:out"
}

// expireAt is when an entry for a token expiring at exp may go: exp plus
// leeway, but never sooner than minBlacklistTTL from now.
func (b *BlacklistStore) expireAt(exp time.Time) time.Time {
	at := exp.Add(b.leeway)
	if floor := b.now().Add(minBlacklistTTL); at.Before(floor) {
		return floor
	}
	return at
}

// unavailable wraps a Redis failure so that errors.Is matches both
// sdk.ErrUnavailable (the core's 503) and the cause.
func unavailable(op string, err error) error {
	return fmt.Errorf("%w: redis %s: %w", sdk.ErrUnavailable, op, err)
}

// checkRecord refuses records the core never sends.
func checkRecord(t sdk.TokenRecord) error {
	if t.JTI == "" {
		return errNoJTI
	}
	if t.ExpiresAt.IsZero() {
		return fmt.Errorf("%w (jti %q)", errNoExpiry, t.JTI)
	}
	return nil
}

// AddOutstanding adds t.JTI to its user's outstanding set, scored by its
// expiry plus leeway, pruning that user's expired entries on the way.
// Recording a JTI twice keeps the first score.
func (b *BlacklistStore) AddOutstanding(ctx context.Context, t sdk.TokenRecord) error {
	if err := checkRecord(t); err != nil {
		return err
	}
	score := t.ExpiresAt.Add(b.leeway).UnixMilli()
	now := b.now().UnixMilli()
	err := outstandingScript.Run(ctx, b.client, []string{b.outstandingKey(t.UserID)},
		score, t.JTI, now).Err()
	if err != nil {
		return unavailable("add outstanding", err)
	}
	return nil
}

// Blacklist blacklists t.JTI until its expiry (plus leeway) unless it is
// already blacklisted, in one atomic script: of any number of concurrent
// calls with one JTI, across every jwtd instance sharing this Redis, exactly
// one returns true.
func (b *BlacklistStore) Blacklist(ctx context.Context, t sdk.TokenRecord) (bool, error) {
	if err := checkRecord(t); err != nil {
		return false, err
	}
	nonce, err := newNonce()
	if err != nil {
		return false, err
	}
	at := b.expireAt(t.ExpiresAt).UnixMilli()
	n, err := blacklistScript.Run(ctx, b.client, []string{b.blacklistKey(t.JTI)}, nonce, at, b.feedChannel()).Int()
	if err != nil {
		return false, unavailable("blacklist", err)
	}
	return n == 1, nil
}

// IsBlacklisted reports whether jti's blacklist key exists (EXISTS). An
// expired entry is gone, which the interface allows: the core refuses
// expired tokens before asking.
func (b *BlacklistStore) IsBlacklisted(ctx context.Context, jti string) (bool, error) {
	n, err := b.client.Exists(ctx, b.blacklistKey(jti)).Result()
	if err != nil {
		return false, unavailable("is blacklisted", err)
	}
	return n == 1, nil
}

// FlushExpired returns 0: blacklist keys and outstanding sets expire by
// themselves, and outstanding sets are pruned on every add. It still checks
// that Redis answers, so that `jwtd flush-expired` against a down Redis
// reports the failure instead of a clean "0 flushed".
func (b *BlacklistStore) FlushExpired(ctx context.Context, _ time.Time) (int, error) {
	if err := b.Ping(ctx); err != nil {
		return 0, err
	}
	return 0, nil
}

// Ping checks that Redis answers: every shard's master on Cluster, the
// current master under Sentinel, the server otherwise. /readyz uses it.
func (b *BlacklistStore) Ping(ctx context.Context) error {
	var err error
	if cc, ok := b.client.(*goredis.ClusterClient); ok {
		err = cc.ForEachShard(ctx, func(ctx context.Context, c *goredis.Client) error {
			return c.Ping(ctx).Err()
		})
	} else {
		err = b.client.Ping(ctx).Err()
	}
	if err != nil {
		return unavailable("ping", err)
	}
	return nil
}

// Close closes the connection pool(s). The store cannot be used afterwards.
func (b *BlacklistStore) Close() error {
	return b.client.Close()
}

// newNonce returns 12 random characters identifying one Blacklist call.
func newNonce() (string, error) {
	var raw [9]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return "", fmt.Errorf("redis blacklist store: nonce: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(raw[:]), nil
}

// Interface guards.
var (
	_ sdk.BlacklistStore              = (*BlacklistStore)(nil)
	_ sdk.Pinger                      = (*BlacklistStore)(nil)
	_ io.Closer                       = (*BlacklistStore)(nil)
	_ UserRevoker                     = (*BlacklistStore)(nil)
	_ sdk.Factory[sdk.BlacklistStore] = NewBlacklistStore
)
