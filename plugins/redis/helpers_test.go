package redis_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/jwtd/jwtd/plugins/redis"
	"github.com/jwtd/jwtd/sdk"
)

// target is one Redis topology under test: how to build a store on it (with
// extra config keys) and a raw client to check what the store wrote.
type target struct {
	addrs []string
	extra sdk.Config // keys every store of this target needs (master_name)
	raw   goredis.UniversalClient
}

// config returns the target's config plus kv (key, value pairs).
func (tg target) config(kv ...any) sdk.Config {
	cfg := sdk.Config{"addrs": toAny(tg.addrs)}
	for k, v := range tg.extra {
		cfg[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		cfg[kv[i].(string)] = kv[i+1]
	}
	return cfg
}

// open builds a store on the target, closed when the test ends.
func (tg target) open(t testing.TB, kv ...any) *redis.BlacklistStore {
	t.Helper()
	s, err := redis.New(context.Background(), tg.config(kv...))
	if err != nil {
		t.Fatalf("redis.New: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// toAny turns a string list into the []any a TOML decoder hands over.
func toAny(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// rawClient is a plain go-redis client for checks behind the store's back.
func rawClient(t testing.TB, addrs []string) goredis.UniversalClient {
	t.Helper()
	c := goredis.NewUniversalClient(&goredis.UniversalOptions{Addrs: addrs})
	t.Cleanup(func() { c.Close() })
	return c
}

// newJTI returns a fresh random jti, as Simple JWT's uuid4().hex.
func newJTI(t testing.TB) string {
	t.Helper()
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b[:])
}

// record is a refresh token record for user expiring in ttl from now.
func record(t testing.TB, user string, ttl time.Duration) sdk.TokenRecord {
	now := time.Now()
	return sdk.TokenRecord{
		JTI:       newJTI(t),
		UserID:    user,
		TokenType: "refresh",
		IssuedAt:  now,
		ExpiresAt: now.Add(ttl).Truncate(time.Second),
	}
}
