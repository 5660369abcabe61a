package batch_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc"

	"github.com/jwtd/jwtd/host/batch"
	"github.com/jwtd/jwtd/sdk"
	"github.com/jwtd/jwtd/sdk/memory"
	"github.com/jwtd/jwtd/sdk/wire"
)

// wireCalls is a round trip's stand-in below the batcher: it counts calls
// by method and takes rtt each; with unsupported set, the batch methods
// answer errors.ErrUnsupported as an old plugin would.
type wireCalls struct {
	rtt         time.Duration
	unsupported bool
	mu          sync.Mutex
	n           map[string]int
}

func (w *wireCalls) intercept(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoke grpc.UnaryInvoker, opts ...grpc.CallOption) error {
	m := wire.Method(method)
	w.mu.Lock()
	w.n[m]++
	w.mu.Unlock()
	time.Sleep(w.rtt)
	if w.unsupported && (m == "IsBlacklistedMany" || m == "LookupUsers") {
		return errors.ErrUnsupported
	}
	return invoke(ctx, method, req, reply, cc, opts...)
}

func (w *wireCalls) count(methods ...string) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := 0
	for _, m := range methods {
		n += w.n[m]
	}
	return n
}

// hammer runs workers goroutines making per calls each and returns the
// number of calls.
func hammer(workers, per int, call func(w, i int)) int {
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range per {
				call(w, i)
			}
		})
	}
	wg.Wait()
	return workers * per
}

func TestIsBlacklistedBatches(t *testing.T) {
	for _, unsupported := range []bool{false, true} {
		t.Run(fmt.Sprintf("unsupported=%v", unsupported), func(t *testing.T) {
			ctx := context.Background()
			store := memory.NewBlacklistStore()
			for i := range 50 {
				if _, err := store.Blacklist(ctx, sdk.TokenRecord{JTI: fmt.Sprintf("j%d", i), ExpiresAt: time.Now().Add(time.Hour)}); err != nil {
					t.Fatal(err)
				}
			}
			e, err := wire.Local(wire.KindBlacklistStore, store)
			if err != nil {
				t.Fatal(err)
			}
			wc := &wireCalls{rtt: 2 * time.Millisecond, unsupported: unsupported, n: map[string]int{}}
			bl := wire.BlacklistStore(batch.Wrap(e.With(wc.intercept)))
			var wrong atomic.Int32
			n := hammer(32, 20, func(w, i int) {
				k := (w*20 + i) % 100 // j0..j49 blacklisted, j50..j99 not
				black, err := bl.IsBlacklisted(ctx, fmt.Sprintf("j%d", k))
				if err != nil || black != (k < 50) {
					wrong.Add(1)
				}
			})
			if wrong.Load() > 0 {
				t.Fatalf("%d of %d answers wrong", wrong.Load(), n)
			}
			calls := wc.count("IsBlacklisted", "IsBlacklistedMany")
			t.Logf("%d requests, %d round trips (%.2f per request)", n, calls, float64(calls)/float64(n))
			if !unsupported && calls > n/4 {
				t.Errorf("%d round trips for %d concurrent requests; batching should share most", calls, n)
			}
		})
	}
}

func TestLookupUserBatchesKeepEachError(t *testing.T) {
	ctx := context.Background()
	users := memory.NewUserStore()
	var ids []string
	for i := range 10 {
		u, err := users.CreateUser(ctx, sdk.NewUser{Username: fmt.Sprintf("u%d", i), Password: "pw", IsActive: true})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, u.ID)
	}
	e, err := wire.Local(wire.KindUserStore, users)
	if err != nil {
		t.Fatal(err)
	}
	wc := &wireCalls{rtt: 2 * time.Millisecond, n: map[string]int{}}
	us := wire.UserStore(batch.Wrap(e.With(wc.intercept)))
	var wrong atomic.Int32
	n := hammer(32, 10, func(w, i int) {
		if (w+i)%3 == 0 {
			if _, err := us.LookupUser(ctx, "id", "no-such-id"); !errors.Is(err, sdk.ErrUserNotFound) {
				wrong.Add(1)
			}
			return
		}
		id := ids[(w+i)%len(ids)]
		u, err := us.LookupUser(ctx, "id", id)
		if err != nil || u.ID != id {
			wrong.Add(1)
		}
	})
	if wrong.Load() > 0 {
		t.Fatalf("%d of %d lookups wrong", wrong.Load(), n)
	}
	if calls := wc.count("LookupUser", "LookupUsers"); calls > n/4 {
		t.Errorf("%d round trips for %d concurrent lookups", calls, n)
	}
}

// TestQuietCallsGoAlone: one caller at a time is never held back or
// batched.
func TestQuietCallsGoAlone(t *testing.T) {
	e, err := wire.Local(wire.KindBlacklistStore, memory.NewBlacklistStore())
	if err != nil {
		t.Fatal(err)
	}
	wc := &wireCalls{n: map[string]int{}}
	bl := wire.BlacklistStore(batch.Wrap(e.With(wc.intercept)))
	for range 10 {
		if _, err := bl.IsBlacklisted(context.Background(), "x"); err != nil {
			t.Fatal(err)
		}
	}
	if wc.count("IsBlacklisted") != 10 || wc.count("IsBlacklistedMany") != 0 {
		t.Fatalf("calls %v", wc.n)
	}
}
