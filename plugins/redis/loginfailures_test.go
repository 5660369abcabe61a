package redis_test

import (
	"context"
	"testing"
	"time"

	"github.com/jwtd/jwtd/internal/redistest"
)

// TestLoginFailureKeys checks what lands in Redis: one prefixed key per
// counter, expiring with its window, never without a TTL.
func TestLoginFailureKeys(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tg := target{addrs: []string{redistest.Start(t).Addr}}
	s := tg.open(t, "key_prefix", "app1:")
	raw := rawClient(t, tg.addrs)
	if _, err := s.AddLoginFailure(ctx, "u:abc", 90*time.Second); err != nil {
		t.Fatal(err)
	}
	ttl, err := raw.PTTL(ctx, "app1:lf:u:abc").Result()
	if err != nil || ttl <= 80*time.Second || ttl > 90*time.Second {
		t.Fatalf("PTTL(app1:lf:u:abc) = %v, %v; want about 90s", ttl, err)
	}
	// A counter stripped of its TTL (say, by a PERSIST) gets one again on the
	// next failure rather than living for ever.
	raw.Persist(ctx, "app1:lf:u:abc")
	if got, err := s.AddLoginFailure(ctx, "u:abc", time.Minute); err != nil || got.Count != 2 || got.ResetIn <= 0 {
		t.Fatalf("AddLoginFailure on a persisted counter = %+v, %v", got, err)
	}
	if ttl, _ := raw.PTTL(ctx, "app1:lf:u:abc").Result(); ttl <= 0 {
		t.Fatalf("counter left without expiry: PTTL %v", ttl)
	}
	if _, err := s.AddLoginFailure(ctx, "u:abc", 0); err == nil {
		t.Fatal("AddLoginFailure with a zero window: want an error")
	}
}
