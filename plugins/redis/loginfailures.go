package redis

import (
	"context"
	"errors"
	"fmt"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/jwtd/jwtd/sdk"
)

// addFailureScript increments the counter KEYS[1] and, when it has no expiry
// yet (just created, or left without one by a crash between commands in an
// older version), makes it expire ARGV[1] ms from now. It returns the count
// and the milliseconds left. One key and one script: atomic, and on one
// Cluster slot.
var addFailureScript = goredis.NewScript(`
local n = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {n, ttl}
`)

// readFailuresScript returns the counter KEYS[1] and its milliseconds left,
// or {0, 0} when there is none.
var readFailuresScript = goredis.NewScript(`
local n = redis.call('GET', KEYS[1])
if n == false then
  return {0, 0}
end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  ttl = 0
end
return {tonumber(n), ttl}
`)

// errBadWindow refuses a window the host never sends: PEXPIRE 0 would
// delete the counter it just counted.
var errBadWindow = errors.New("redis blacklist store: login failure window must be at least 1ms")

// loginFailureKey is the counter for the host's opaque key. Each operation
// touches this one key, so it works on Cluster without a hash tag.
func (b *BlacklistStore) loginFailureKey(key string) string {
	return b.prefix + "lf:" + key
}

// AddLoginFailure counts one failure on key in one script (INCR, and
// PEXPIRE when the counter is new). A go-redis retry after a lost reply may
// count a failure twice, which errs towards locking sooner, never later.
func (b *BlacklistStore) AddLoginFailure(ctx context.Context, key string, window time.Duration) (sdk.LoginFailureCount, error) {
	ms := window.Milliseconds()
	if window%time.Millisecond != 0 {
		ms++ // round up: never shorter than asked
	}
	if ms < 1 {
		return sdk.LoginFailureCount{}, errBadWindow
	}
	res, err := addFailureScript.Run(ctx, b.client, []string{b.loginFailureKey(key)}, ms).Int64Slice()
	if err != nil {
		return sdk.LoginFailureCount{}, unavailable("add login failure", err)
	}
	return failureCount(res)
}

// LoginFailures reads key's counter and its time left.
func (b *BlacklistStore) LoginFailures(ctx context.Context, key string) (sdk.LoginFailureCount, error) {
	res, err := readFailuresScript.Run(ctx, b.client, []string{b.loginFailureKey(key)}).Int64Slice()
	if err != nil {
		return sdk.LoginFailureCount{}, unavailable("read login failures", err)
	}
	return failureCount(res)
}

// ClearLoginFailures deletes key's counter.
func (b *BlacklistStore) ClearLoginFailures(ctx context.Context, key string) error {
	if err := b.client.Del(ctx, b.loginFailureKey(key)).Err(); err != nil {
		return unavailable("clear login failures", err)
	}
	return nil
}

// failureCount turns a script's {count, ms left} into the sdk type.
func failureCount(res []int64) (sdk.LoginFailureCount, error) {
	if len(res) != 2 {
		return sdk.LoginFailureCount{}, fmt.Errorf("%w: redis login failures: unexpected reply %v", sdk.ErrUnavailable, res)
	}
	if res[0] <= 0 {
		return sdk.LoginFailureCount{}, nil
	}
	return sdk.LoginFailureCount{Count: int(res[0]), ResetIn: time.Duration(res[1]) * time.Millisecond}, nil
}

// Interface guard.
var _ sdk.LoginFailureStore = (*BlacklistStore)(nil)
