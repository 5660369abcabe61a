package redis_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jwtd/jwtd/internal/redistest"
	"github.com/jwtd/jwtd/plugins/redis"
	"github.com/jwtd/jwtd/sdk"
)

// failBound is how long a call against a dead or paused Redis may take before
// the test calls it hanging: far above read_timeout × (1 + go-redis's 3
// retries) with the 300ms timeouts below, far below "forever".
const failBound = 5 * time.Second

// everyOp runs each store method once and returns its error by name.
func everyOp(ctx context.Context, t *testing.T, s *redis.BlacklistStore) map[string]error {
	r := record(t, "9", time.Hour)
	errs := map[string]error{}
	added, err := s.Blacklist(ctx, r)
	if added && err != nil {
		t.Errorf("Blacklist returned true alongside %v", err)
	}
	errs["Blacklist"] = err
	listed, err := s.IsBlacklisted(ctx, r.JTI)
	if listed && err != nil {
		t.Errorf("IsBlacklisted returned true alongside %v", err)
	}
	errs["IsBlacklisted"] = err
	errs["AddOutstanding"] = s.AddOutstanding(ctx, r)
	_, errs["FlushExpired"] = s.FlushExpired(ctx, time.Now())
	_, errs["RevokeUser"] = s.RevokeUser(ctx, "9", time.Now())
	errs["Ping"] = s.Ping(ctx)
	return errs
}

// Redis down: every method fails closed with ErrUnavailable, promptly; Redis
// back: the same store instance works again without being rebuilt.
func TestRedisDownAndBack(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	tg := target{addrs: []string{srv.Addr}}
	s := tg.open(t, "dial_timeout", "300ms", "read_timeout", "300ms", "write_timeout", "300ms")
	ctx := context.Background()

	before := record(t, "9", time.Hour)
	if added, err := s.Blacklist(ctx, before); err != nil || !added {
		t.Fatalf("Blacklist while up = %v, %v", added, err)
	}

	srv.Stop()
	for op, err := range timed(t, func() map[string]error { return everyOp(ctx, t, s) }) {
		if !errors.Is(err, sdk.ErrUnavailable) {
			t.Errorf("%s with Redis down: %v; want an error wrapping sdk.ErrUnavailable", op, err)
		}
	}

	srv.Restart()
	if err := s.Ping(ctx); err != nil {
		t.Fatalf("Ping after Redis restarted: %v", err)
	}
	for op, err := range everyOp(ctx, t, s) {
		if err != nil {
			t.Errorf("%s after Redis restarted: %v", op, err)
		}
	}
	after := record(t, "9", time.Hour)
	if added, err := s.Blacklist(ctx, after); err != nil || !added {
		t.Fatalf("Blacklist after restart = %v, %v", added, err)
	}
	if listed, err := s.IsBlacklisted(ctx, after.JTI); err != nil || !listed {
		t.Fatalf("IsBlacklisted after restart = %v, %v", listed, err)
	}
}

// Redis up but not answering (CLIENT PAUSE): calls give up after the read
// timeout with ErrUnavailable instead of hanging, and work once it answers.
func TestRedisSlow(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	tg := target{addrs: []string{srv.Addr}}
	s := tg.open(t, "read_timeout", "300ms", "write_timeout", "300ms")
	raw := rawClient(t, tg.addrs)
	ctx := context.Background()
	if err := s.Ping(ctx); err != nil {
		t.Fatal(err)
	}

	pause := 6 * time.Second
	if err := raw.Do(ctx, "CLIENT", "PAUSE", pause.Milliseconds(), "ALL").Err(); err != nil {
		t.Fatalf("CLIENT PAUSE: %v", err)
	}
	paused := time.Now()
	errs := timed(t, func() map[string]error {
		r := record(t, "9", time.Hour)
		_, blErr := s.Blacklist(ctx, r)
		_, isErr := s.IsBlacklisted(ctx, r.JTI)
		return map[string]error{"Blacklist": blErr, "IsBlacklisted": isErr}
	})
	for op, err := range errs {
		if !errors.Is(err, sdk.ErrUnavailable) {
			t.Errorf("%s while Redis is paused: %v; want ErrUnavailable", op, err)
		}
	}
	if time.Since(paused) >= pause {
		t.Fatalf("calls returned only after the pause ended: they waited for Redis instead of timing out")
	}

	// A request deadline shorter than read_timeout wins.
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	callStart := time.Now()
	_, err := s.IsBlacklisted(short, newJTI(t))
	if !errors.Is(err, sdk.ErrUnavailable) || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("IsBlacklisted with a 50ms deadline: %v; want ErrUnavailable caused by the deadline", err)
	}
	if d := time.Since(callStart); d >= pause {
		t.Errorf("IsBlacklisted with a 50ms deadline returned after %v, when the pause ended", d)
	}

	time.Sleep(time.Until(paused.Add(pause + 100*time.Millisecond)))
	r := record(t, "9", time.Hour)
	if added, err := s.Blacklist(ctx, r); err != nil || !added {
		t.Fatalf("Blacklist after the pause = %v, %v", added, err)
	}
}

// timed runs fn and fails the test if it took longer than failBound.
func timed(t *testing.T, fn func() map[string]error) map[string]error {
	t.Helper()
	start := time.Now()
	errs := fn()
	if d := time.Since(start); d > failBound {
		t.Fatalf("calls against an unavailable Redis took %v (bound %v): they hang instead of failing", d, failBound)
	}
	return errs
}

// Keys really expire: a blacklist entry and an outstanding set for a token
// that expires a second from now are gone from Redis shortly after, with no
// flush.
func TestKeysExpire(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	tg := target{addrs: []string{srv.Addr}}
	s := tg.open(t)
	raw := rawClient(t, tg.addrs)
	ctx := context.Background()

	r := sdk.TokenRecord{JTI: newJTI(t), UserID: "5", TokenType: "refresh", IssuedAt: time.Now(), ExpiresAt: time.Now().Add(time.Second)}
	if err := s.AddOutstanding(ctx, r); err != nil {
		t.Fatal(err)
	}
	if added, err := s.Blacklist(ctx, r); err != nil || !added {
		t.Fatalf("Blacklist = %v, %v", added, err)
	}
	blKey, outKey := redis.BlacklistKey(s, r.JTI), redis.OutstandingKey(s, "5")
	if n, err := raw.Exists(ctx, blKey, outKey).Result(); err != nil || n != 2 {
		t.Fatalf("EXISTS right after writing = %d, %v; want 2", n, err)
	}

	cases := []struct {
		name string
		key  string
		// by is when the key must be gone: the outstanding set with its
		// token, the blacklist key at its floor (a blacklisted token keeps
		// its entry at least MinBlacklistTTL).
		by time.Time
	}{
		{"outstanding set", outKey, r.ExpiresAt},
		{"blacklist key", blKey, time.Now().Add(redis.MinBlacklistTTL)},
	}
	for _, c := range cases {
		// Redis expires a key when it is touched or by its active cycle
		// (10 times a second); allow a second of slack.
		deadline := c.by.Add(time.Second)
		for {
			n, err := raw.Exists(ctx, c.key).Result()
			if err != nil {
				t.Fatal(err)
			}
			if n == 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s %s still exists after its expiry", c.name, c.key)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	if listed, err := s.IsBlacklisted(ctx, r.JTI); err != nil || listed {
		t.Fatalf("IsBlacklisted after expiry = %v, %v; want false", listed, err)
	}
	// Nothing else of this token is left behind.
	keys, err := raw.Keys(ctx, "*").Result()
	if err != nil || len(keys) != 0 {
		t.Fatalf("keys left after expiry: %v, %v", keys, err)
	}
}
