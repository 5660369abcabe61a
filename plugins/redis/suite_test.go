package redis_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jwtd/jwtd/internal/redistest"
	"github.com/jwtd/jwtd/plugins/redis"
	"github.com/jwtd/jwtd/sdk"
)

// runMethodSuite checks every BlacklistStore method, and RevokeUser, against
// one topology, looking at the keys with a raw client where the data model
// matters.
func runMethodSuite(t *testing.T, tg target) {
	ctx := context.Background()

	t.Run("blacklist once then already", func(t *testing.T) {
		t.Parallel()
		s := tg.open(t)
		r := record(t, "1", time.Hour)
		if got, err := s.IsBlacklisted(ctx, r.JTI); err != nil || got {
			t.Fatalf("IsBlacklisted before = %v, %v; want false", got, err)
		}
		if added, err := s.Blacklist(ctx, r); err != nil || !added {
			t.Fatalf("first Blacklist = %v, %v; want true", added, err)
		}
		if added, err := s.Blacklist(ctx, r); err != nil || added {
			t.Fatalf("second Blacklist = %v, %v; want false, nil", added, err)
		}
		if got, err := s.IsBlacklisted(ctx, r.JTI); err != nil || !got {
			t.Fatalf("IsBlacklisted after = %v, %v; want true", got, err)
		}
		if got, err := s.IsBlacklisted(ctx, newJTI(t)); err != nil || got {
			t.Fatalf("IsBlacklisted(other jti) = %v, %v; want false", got, err)
		}
		// The key expires with the token: its TTL ends at exp.
		key := redis.BlacklistKey(s, r.JTI)
		exp, err := tg.raw.PExpireTime(ctx, key).Result()
		if err != nil {
			t.Fatal(err)
		}
		if want := time.Duration(r.ExpiresAt.UnixMilli()) * time.Millisecond; exp != want {
			t.Fatalf("PEXPIRETIME %s = %v, want the token's exp %v", key, exp, want)
		}
	})

	t.Run("leeway extends the key", func(t *testing.T) {
		t.Parallel()
		s := tg.open(t, "leeway", "90s")
		r := record(t, "1", time.Hour)
		if added, err := s.Blacklist(ctx, r); err != nil || !added {
			t.Fatalf("Blacklist = %v, %v", added, err)
		}
		exp, err := tg.raw.PExpireTime(ctx, redis.BlacklistKey(s, r.JTI)).Result()
		if err != nil {
			t.Fatal(err)
		}
		if want := time.Duration(r.ExpiresAt.Add(90*time.Second).UnixMilli()) * time.Millisecond; exp != want {
			t.Fatalf("PEXPIRETIME = %v, want exp+90s = %v", exp, want)
		}
	})

	t.Run("expired token still blacklists once", func(t *testing.T) {
		t.Parallel()
		s := tg.open(t)
		r := record(t, "1", -time.Minute)
		if added, err := s.Blacklist(ctx, r); err != nil || !added {
			t.Fatalf("first Blacklist of an expired token = %v, %v; want true", added, err)
		}
		if added, err := s.Blacklist(ctx, r); err != nil || added {
			t.Fatalf("second Blacklist of an expired token = %v, %v; want false", added, err)
		}
		ttl, err := tg.raw.PTTL(ctx, redis.BlacklistKey(s, r.JTI)).Result()
		if err != nil || ttl <= 0 || ttl > redis.MinBlacklistTTL {
			t.Fatalf("PTTL = %v, %v; want within (0, %v]", ttl, err, redis.MinBlacklistTTL)
		}
	})

	t.Run("concurrent blacklist across two instances", func(t *testing.T) {
		t.Parallel()
		stores := []*redis.BlacklistStore{tg.open(t), tg.open(t)}
		r := record(t, "7", time.Hour)
		var wins atomic.Int32
		var wg sync.WaitGroup
		errs := make(chan error, 20)
		start := make(chan struct{})
		for i := 0; i < 20; i++ {
			wg.Add(1)
			go func(s *redis.BlacklistStore) {
				defer wg.Done()
				<-start
				added, err := s.Blacklist(ctx, r)
				if err != nil {
					errs <- err
				}
				if added {
					wins.Add(1)
				}
			}(stores[i%2])
		}
		close(start)
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Errorf("Blacklist: %v", err)
		}
		if n := wins.Load(); n != 1 {
			t.Fatalf("%d of 20 concurrent Blacklist calls returned true, want exactly 1", n)
		}
	})

	t.Run("outstanding per user, pruned, expiring", func(t *testing.T) {
		t.Parallel()
		s := tg.open(t)
		user := "u-" + newJTI(t)[:8]
		old := record(t, user, -time.Minute) // already expired
		a := record(t, user, time.Hour)
		b := record(t, user, 2*time.Hour)
		for _, r := range []sdk.TokenRecord{old, a, b, a} { // a twice: not an error
			if err := s.AddOutstanding(ctx, r); err != nil {
				t.Fatalf("AddOutstanding(%s): %v", r.JTI, err)
			}
		}
		key := redis.OutstandingKey(s, user)
		members, err := tg.raw.ZRangeWithScores(ctx, key, 0, -1).Result()
		if err != nil {
			t.Fatal(err)
		}
		got := fmt.Sprint(members)
		want := fmt.Sprint([]any{
			fmt.Sprintf("{%v %s}", float64(a.ExpiresAt.UnixMilli()), a.JTI),
			fmt.Sprintf("{%v %s}", float64(b.ExpiresAt.UnixMilli()), b.JTI),
		})
		if got != want {
			t.Fatalf("outstanding set = %s, want %s (expired entry pruned, scored by exp)", got, want)
		}
		exp, err := tg.raw.PExpireTime(ctx, key).Result()
		if err != nil {
			t.Fatal(err)
		}
		if want := time.Duration(b.ExpiresAt.UnixMilli()) * time.Millisecond; exp != want {
			t.Fatalf("set expires at %v, want the latest token's exp %v", exp, want)
		}
		if strings.Count(key, "{") != 1 || !strings.Contains(key, "{u:"+user+"}") {
			t.Fatalf("outstanding key %q is not hash-tagged on the user", key)
		}
	})

	t.Run("revoke user", func(t *testing.T) {
		t.Parallel()
		s := tg.open(t)
		user := "u-" + newJTI(t)[:8]
		other := "u-" + newJTI(t)[:8]
		live1, live2 := record(t, user, time.Hour), record(t, user, 2*time.Hour)
		already := record(t, user, time.Hour)
		foreign := record(t, other, time.Hour)
		for _, r := range []sdk.TokenRecord{live1, live2, already, foreign} {
			if err := s.AddOutstanding(ctx, r); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := s.Blacklist(ctx, already); err != nil {
			t.Fatal(err)
		}
		var revoker redis.UserRevoker = s
		n, err := revoker.RevokeUser(ctx, user, time.Now())
		if err != nil || n != 2 {
			t.Fatalf("RevokeUser = %d, %v; want 2 newly blacklisted", n, err)
		}
		for _, c := range []struct {
			name string
			r    sdk.TokenRecord
			want bool
		}{{"live1", live1, true}, {"live2", live2, true}, {"already", already, true}, {"other user's", foreign, false}} {
			if got, err := s.IsBlacklisted(ctx, c.r.JTI); err != nil || got != c.want {
				t.Errorf("%s token: IsBlacklisted = %v, %v; want %v", c.name, got, err, c.want)
			}
		}
		exp, err := tg.raw.PExpireTime(ctx, redis.BlacklistKey(s, live2.JTI)).Result()
		if err != nil || exp != time.Duration(live2.ExpiresAt.UnixMilli())*time.Millisecond {
			t.Fatalf("revoked key expires at %v, %v; want the token's exp", exp, err)
		}
		if n, err := s.RevokeUser(ctx, user, time.Now()); err != nil || n != 0 {
			t.Fatalf("second RevokeUser = %d, %v; want 0", n, err)
		}
		if n, err := s.RevokeUser(ctx, "nobody-"+newJTI(t), time.Now()); err != nil || n != 0 {
			t.Fatalf("RevokeUser(unknown user) = %d, %v; want 0", n, err)
		}
	})

	t.Run("flush expired and ping", func(t *testing.T) {
		t.Parallel()
		s := tg.open(t)
		if n, err := s.FlushExpired(ctx, time.Now()); err != nil || n != 0 {
			t.Fatalf("FlushExpired = %d, %v; want 0, nil (keys expire by themselves)", n, err)
		}
		if err := s.Ping(ctx); err != nil {
			t.Fatalf("Ping: %v", err)
		}
	})

	t.Run("records the core never sends are refused", func(t *testing.T) {
		t.Parallel()
		s := tg.open(t)
		cases := []struct {
			name string
			r    sdk.TokenRecord
		}{
			{"no jti", sdk.TokenRecord{UserID: "1", ExpiresAt: time.Now().Add(time.Hour)}},
			{"no expiry", sdk.TokenRecord{JTI: newJTI(t), UserID: "1"}},
		}
		for _, c := range cases {
			if _, err := s.Blacklist(ctx, c.r); err == nil || errors.Is(err, sdk.ErrUnavailable) {
				t.Errorf("%s: Blacklist error = %v; want a plain refusal", c.name, err)
			}
			if err := s.AddOutstanding(ctx, c.r); err == nil || errors.Is(err, sdk.ErrUnavailable) {
				t.Errorf("%s: AddOutstanding error = %v; want a plain refusal", c.name, err)
			}
		}
	})

	t.Run("key prefixes keep deployments apart", func(t *testing.T) {
		t.Parallel()
		a := tg.open(t, "key_prefix", "tenant-a:")
		b := tg.open(t, "key_prefix", "tenant-b:")
		r := record(t, "1", time.Hour)
		if added, err := a.Blacklist(ctx, r); err != nil || !added {
			t.Fatalf("Blacklist in a = %v, %v", added, err)
		}
		if got, err := b.IsBlacklisted(ctx, r.JTI); err != nil || got {
			t.Fatalf("b sees a's entry: %v, %v", got, err)
		}
		n, err := tg.raw.Exists(ctx, "tenant-a:bl:"+r.JTI).Result()
		if err != nil || n != 1 {
			t.Fatalf("key tenant-a:bl:%s exists = %d, %v; want 1", r.JTI, n, err)
		}
	})
}

func TestStoreSingleServer(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	addrs := []string{srv.Addr}
	tg := target{addrs: addrs, raw: rawClient(t, addrs)}
	runMethodSuite(t, tg)
}

func TestStoreCluster(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("cluster start-up is slow; skipped under -short")
	}
	c := redistest.StartCluster(t, 3)
	tg := target{addrs: c.Addrs(), raw: rawClient(t, c.Addrs())}
	runMethodSuite(t, tg)

	// A user's outstanding set lives in the slot of its hash tag, so every
	// per-user key of one user is on one node.
	ctx := context.Background()
	s := tg.open(t)
	key := redis.OutstandingKey(s, "42")
	slot, err := tg.raw.ClusterKeySlot(ctx, key).Result()
	if err != nil {
		t.Fatal(err)
	}
	want, err := tg.raw.ClusterKeySlot(ctx, "u:42").Result()
	if err != nil || slot != want {
		t.Fatalf("slot of %q = %d, want the slot of its tag u:42 = %d (%v)", key, slot, want, err)
	}
}

func TestStoreSentinel(t *testing.T) {
	t.Parallel()
	master := redistest.Start(t)
	sentinel := redistest.StartSentinel(t, master, "jwtd-master")
	tg := target{
		addrs: []string{sentinel.Addr},
		extra: sdk.Config{"master_name": "jwtd-master"},
		raw:   rawClient(t, []string{master.Addr}),
	}
	runMethodSuite(t, tg)
}
