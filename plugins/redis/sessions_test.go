package redis_test

import (
	"context"
	"testing"
	"time"

	"github.com/jwtd/jwtd/internal/redistest"
	"github.com/jwtd/jwtd/plugins/redis"
	"github.com/jwtd/jwtd/sdk"
)

// TestRevokeSessionRetry: a retry of a revocation whose reply was lost
// (same nonce) still reports it, another caller does not.
func TestRevokeSessionRetry(t *testing.T) {
	ctx := context.Background()
	s := target{addrs: []string{redistest.Start(t).Addr}}.open(t)
	now := time.Now()
	if err := s.CreateSession(ctx, sdk.Session{ID: "s1", UserID: "7", CreatedAt: now, LastUsedAt: now, ExpiresAt: now.Add(time.Hour)}, "j1"); err != nil {
		t.Fatal(err)
	}
	for i, c := range []struct {
		nonce string
		want  int
	}{{"n1", 1}, {"n1", 1}, {"n2", 0}} {
		if got, err := redis.RevokeSessionAs(s, ctx, "7", "s1", c.nonce); err != nil || got != c.want {
			t.Fatalf("call %d (nonce %s) = %d, %v; want %d", i, c.nonce, got, err, c.want)
		}
	}
	if ok, err := s.RevokeSession(ctx, "7", "s1"); err != nil || ok {
		t.Fatalf("RevokeSession after = %v, %v; want false", ok, err)
	}
}
