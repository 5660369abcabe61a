package sdktest

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jwtd/jwtd/sdk"
)

// BlacklistOptions adjusts TestBlacklistStore to a store's documented
// behaviour.
type BlacklistOptions struct {
	// SelfExpiring declares a store whose entries expire by themselves (a
	// Redis key TTL): FlushExpired must then return 0 and no error.
	SelfExpiring bool
}

func record(jti string, exp time.Time) sdk.TokenRecord {
	return sdk.TokenRecord{
		JTI: jti, UserID: "42", TokenType: "refresh",
		IssuedAt: exp.Add(-24 * time.Hour).Truncate(time.Second), ExpiresAt: exp.Truncate(time.Second),
	}
}

// TestBlacklistStore runs the blacklist store suite. newStore is called once
// per subtest; stores it returns may share state (JTIs are unique).
func TestBlacklistStore(t *testing.T, newStore func(t *testing.T) sdk.BlacklistStore, opts ...BlacklistOptions) {
	var o BlacklistOptions
	if len(opts) > 0 {
		o = opts[0]
	}
	ctx := context.Background()
	live := time.Now().Add(time.Hour)

	t.Run("AddOutstandingTwice", func(t *testing.T) {
		s := newStore(t)
		r := record(uniqueID("jti-"), live)
		for i := range 2 {
			if err := s.AddOutstanding(ctx, r); err != nil {
				t.Fatalf("AddOutstanding #%d: %v", i+1, err)
			}
		}
		if b, err := s.IsBlacklisted(ctx, r.JTI); err != nil || b {
			t.Fatalf("IsBlacklisted(outstanding only) = %v, %v; want false", b, err)
		}
	})

	t.Run("BlacklistOnce", func(t *testing.T) {
		s := newStore(t)
		r := record(uniqueID("jti-"), live)
		other := uniqueID("jti-")
		steps := []struct {
			name string
			do   func() (bool, error)
			want bool
		}{
			{"not yet blacklisted", func() (bool, error) { return s.IsBlacklisted(ctx, r.JTI) }, false},
			{"first Blacklist adds", func() (bool, error) { return s.Blacklist(ctx, r) }, true},
			{"now blacklisted", func() (bool, error) { return s.IsBlacklisted(ctx, r.JTI) }, true},
			{"second Blacklist finds it", func() (bool, error) { return s.Blacklist(ctx, r) }, false},
			{"other jti untouched", func() (bool, error) { return s.IsBlacklisted(ctx, other) }, false},
			{"empty jti", func() (bool, error) { return s.IsBlacklisted(ctx, "") }, false},
		}
		for _, st := range steps {
			got, err := st.do()
			if err != nil || got != st.want {
				t.Fatalf("%s: got %v, %v; want %v", st.name, got, err, st.want)
			}
		}
	})

	t.Run("BlacklistWithoutOutstanding", func(t *testing.T) {
		s := newStore(t)
		r := record(uniqueID("jti-"), live)
		if added, err := s.Blacklist(ctx, r); err != nil || !added {
			t.Fatalf("Blacklist of a never-recorded token = %v, %v; want true", added, err)
		}
	})

	// A token whose outstanding row was written with its bare exp (by the
	// issuer, or by a Django project sharing the tables) and that is then
	// blacklisted with a longer retention (the core's exp + leeway, longer
	// for sliding tokens) must stay blacklisted until that later time: a
	// sweep in between may not drop it, or a revoked token works again
	// inside the leeway window.
	t.Run("BlacklistExtendsOutstandingExpiry", func(t *testing.T) {
		s := newStore(t)
		exp := time.Now().Add(time.Hour).Truncate(time.Second)
		r := record(uniqueID("jti-"), exp)
		if err := s.AddOutstanding(ctx, r); err != nil {
			t.Fatalf("AddOutstanding: %v", err)
		}
		retained := r
		retained.ExpiresAt = exp.Add(time.Hour)
		if added, err := s.Blacklist(ctx, retained); err != nil || !added {
			t.Fatalf("Blacklist(ExpiresAt = exp + 1h) = %v, %v; want true", added, err)
		}
		if _, err := s.FlushExpired(ctx, exp.Add(time.Minute)); err != nil {
			t.Fatalf("FlushExpired(exp + 1m): %v", err)
		}
		if b, err := s.IsBlacklisted(ctx, r.JTI); err != nil || !b {
			t.Fatalf("after FlushExpired(exp + 1m): IsBlacklisted = %v, %v; want true (kept until exp + 1h)", b, err)
		}
	})

	t.Run("ConcurrentBlacklistExactlyOne", func(t *testing.T) {
		s := newStore(t)
		r := record(uniqueID("jti-"), live)
		const n = 16
		var wins, fails atomic.Int32
		var wg sync.WaitGroup
		start := make(chan struct{})
		for range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				added, err := s.Blacklist(ctx, r)
				switch {
				case err != nil:
					fails.Add(1)
					t.Errorf("concurrent Blacklist: %v", err)
				case added:
					wins.Add(1)
				}
			}()
		}
		close(start)
		wg.Wait()
		if wins.Load() != 1 {
			t.Fatalf("%d of %d concurrent Blacklist calls returned true (%d failed); want exactly 1", wins.Load(), n, fails.Load())
		}
	})

	t.Run("FlushExpired", func(t *testing.T) {
		s := newStore(t)
		now := time.Now()
		expired := record(uniqueID("jti-"), now.Add(-time.Hour))
		alive := record(uniqueID("jti-"), now.Add(time.Hour))
		for _, r := range []sdk.TokenRecord{expired, alive} {
			if err := s.AddOutstanding(ctx, r); err != nil {
				t.Fatalf("AddOutstanding: %v", err)
			}
			if added, err := s.Blacklist(ctx, r); err != nil || !added {
				t.Fatalf("Blacklist(%s) = %v, %v", r.JTI, added, err)
			}
		}
		n, err := s.FlushExpired(ctx, now)
		if err != nil {
			t.Fatalf("FlushExpired: %v", err)
		}
		if o.SelfExpiring {
			if n != 0 {
				t.Fatalf("FlushExpired on a self-expiring store = %d, want 0", n)
			}
		} else if n < 1 {
			t.Fatalf("FlushExpired = %d, want the expired entries dropped (>= 1)", n)
		}
		if b, err := s.IsBlacklisted(ctx, alive.JTI); err != nil || !b {
			t.Fatalf("live token after FlushExpired: IsBlacklisted = %v, %v; want true", b, err)
		}
		if added, err := s.Blacklist(ctx, alive); err != nil || added {
			t.Fatalf("live token after FlushExpired: Blacklist = %v, %v; want false (still there)", added, err)
		}
	})
}
