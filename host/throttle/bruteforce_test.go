package throttle_test

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jwtd/jwtd/host/throttle"
	"github.com/jwtd/jwtd/sdk"
	"github.com/jwtd/jwtd/sdk/memory"
)

// guard is a Login with brute-force protection only (limits 3 per
// account+address, 5 per account, 8 per address, a one-minute window), on an
// in-memory store with a fake clock.
type guard struct {
	t     *testing.T
	login *throttle.Login
	clock *clock
	store *memory.LoginFailureStore
	locks map[string]int
}

func newGuard(t *testing.T) *guard {
	g := &guard{t: t, clock: newClock(), locks: map[string]int{}}
	g.store = memory.NewLoginFailureStore(0, g.clock.Now)
	bf, err := throttle.NewBruteForce(g.store, throttle.BruteForceConfig{
		Window: time.Minute, MaxFailures: 3, MaxFailuresPerAccount: 5, MaxFailuresPerAddr: 8,
		OnLock: func(scope string) { g.locks[scope]++ },
	})
	if err != nil {
		t.Fatal(err)
	}
	g.login = &throttle.Login{BruteForce: bf}
	return g
}

// try makes one attempt by account from addr with outcome o, and returns
// the error Admit refused it with (nil when admitted).
func (g *guard) try(account, addr string, o throttle.Outcome) error {
	g.t.Helper()
	r := httptest.NewRequest("POST", "/api/token/", nil)
	r.RemoteAddr = addr + ":1234"
	done, err := g.login.Admit(context.Background(), r, account)
	if err != nil {
		return err
	}
	if err := done(context.Background(), o); err != nil {
		g.t.Fatalf("done: %v", err)
	}
	return nil
}

// lockedFor returns the Retry-After of a refusal, or fails the test.
func lockedFor(t *testing.T, err error) time.Duration {
	t.Helper()
	var th *throttle.Throttled
	if !errors.As(err, &th) || th.Reason != throttle.ReasonLocked {
		t.Fatalf("want a lock, got %v", err)
	}
	return th.RetryAfter
}

func TestBruteForce(t *testing.T) {
	const a, b = "192.0.2.1", "192.0.2.2"
	t.Run("account from one address locks after MaxFailures, only there", func(t *testing.T) {
		g := newGuard(t)
		for i := range 3 {
			if err := g.try("alice", a, throttle.Failed); err != nil {
				t.Fatalf("failure %d refused: %v", i+1, err)
			}
			g.clock.Advance(time.Second)
		}
		if ra := lockedFor(t, g.try("alice", a, throttle.Succeeded)); ra != 57*time.Second {
			t.Errorf("Retry-After %v, want the 57s left of the window", ra)
		}
		if err := g.try(" ALICE ", a, throttle.Succeeded); err == nil {
			t.Error("another spelling of the account was admitted")
		}
		if err := g.try("alice", b, throttle.Succeeded); err != nil {
			t.Errorf("the owner at another address was refused: %v", err)
		}
		if g.locks[throttle.ScopeAccountAddr] != 1 {
			t.Errorf("locks %v, want one account_address lock", g.locks)
		}
	})
	t.Run("a lock ends with its window, whatever the attacker does", func(t *testing.T) {
		g := newGuard(t)
		for range 3 {
			g.try("alice", a, throttle.Failed)
		}
		// Retrying while locked is refused before counting, so it does not
		// push the lock out.
		for range 50 {
			g.clock.Advance(time.Second)
			if err := g.try("alice", a, throttle.Failed); err == nil {
				t.Fatal("admitted while locked")
			}
		}
		g.clock.Advance(10 * time.Second)
		if err := g.try("alice", a, throttle.Succeeded); err != nil {
			t.Fatalf("still locked after the window: %v", err)
		}
	})
	t.Run("account locks everywhere after MaxFailuresPerAccount", func(t *testing.T) {
		g := newGuard(t)
		for i := range 5 {
			if err := g.try("alice", "198.51.100."+string(rune('1'+i)), throttle.Failed); err != nil {
				t.Fatalf("failure %d refused: %v", i+1, err)
			}
		}
		lockedFor(t, g.try("alice", b, throttle.Succeeded))
		if err := g.try("bob", b, throttle.Succeeded); err != nil {
			t.Errorf("another account refused: %v", err)
		}
	})
	t.Run("address locks for every account after MaxFailuresPerAddr", func(t *testing.T) {
		g := newGuard(t)
		for i := range 8 {
			if err := g.try("user"+string(rune('a'+i)), a, throttle.Failed); err != nil {
				t.Fatalf("failure %d refused: %v", i+1, err)
			}
		}
		lockedFor(t, g.try("zoe", a, throttle.Succeeded))
		if err := g.try("zoe", b, throttle.Succeeded); err != nil {
			t.Errorf("another address refused: %v", err)
		}
	})
	t.Run("success clears the account's counters, not the address's", func(t *testing.T) {
		g := newGuard(t)
		for range 2 {
			g.try("alice", a, throttle.Failed)
		}
		if err := g.try("alice", a, throttle.Succeeded); err != nil {
			t.Fatal(err)
		}
		for i := range 2 {
			if err := g.try("alice", a, throttle.Failed); err != nil {
				t.Fatalf("failure %d after a success refused: the counter was not reset: %v", i+1, err)
			}
		}
		// The address has 4 failures: 4 more on other accounts lock it
		// (8), although alice's success came in between.
		for i := range 4 {
			g.try("other"+string(rune('a'+i)), a, throttle.Failed)
		}
		lockedFor(t, g.try("zoe", a, throttle.Succeeded))
	})
	t.Run("errors other than bad credentials count nothing", func(t *testing.T) {
		g := newGuard(t)
		for range 10 {
			if err := g.try("alice", a, throttle.Errored); err != nil {
				t.Fatal(err)
			}
		}
		if g.store.Len() != 0 {
			t.Errorf("%d counters after errored attempts; want none", g.store.Len())
		}
	})
}

// downStore is a LoginFailureStore that cannot answer.
type downStore struct{}

func (downStore) AddLoginFailure(context.Context, string, time.Duration) (sdk.LoginFailureCount, error) {
	return sdk.LoginFailureCount{}, errors.New("connection refused")
}

func (downStore) LoginFailures(context.Context, string) (sdk.LoginFailureCount, error) {
	return sdk.LoginFailureCount{}, errors.New("connection refused")
}

func (downStore) ClearLoginFailures(context.Context, string) error {
	return errors.New("connection refused")
}

// TestBruteForceStoreDown: a counter store that cannot answer refuses the
// login as unavailable (the API's 503): never an unchecked attempt.
func TestBruteForceStoreDown(t *testing.T) {
	bf, err := throttle.NewBruteForce(downStore{}, throttle.BruteForceConfig{Window: time.Minute, MaxFailures: 5})
	if err != nil {
		t.Fatal(err)
	}
	l := &throttle.Login{BruteForce: bf}
	_, err = l.Admit(context.Background(), httptest.NewRequest("POST", "/", nil), "alice")
	if !errors.Is(err, sdk.ErrUnavailable) {
		t.Fatalf("Admit with the store down: %v; want sdk.ErrUnavailable", err)
	}
}

// keyStore records the keys it is handed.
type keyStore struct {
	*memory.LoginFailureStore
	keys []string
}

func (k *keyStore) AddLoginFailure(ctx context.Context, key string, w time.Duration) (sdk.LoginFailureCount, error) {
	k.keys = append(k.keys, key)
	return k.LoginFailureStore.AddLoginFailure(ctx, key, w)
}

// TestBruteForceKeysAreOpaque: the store never sees the username or the
// address, and keys carry no Redis hash-tag braces.
func TestBruteForceKeysAreOpaque(t *testing.T) {
	ks := &keyStore{LoginFailureStore: memory.NewLoginFailureStore(0, nil)}
	bf, err := throttle.NewBruteForce(ks, throttle.BruteForceConfig{Window: time.Minute, MaxFailures: 5, MaxFailuresPerAccount: 5, MaxFailuresPerAddr: 5})
	if err != nil {
		t.Fatal(err)
	}
	l := &throttle.Login{BruteForce: bf}
	r := httptest.NewRequest("POST", "/", nil)
	r.RemoteAddr = "203.0.113.77:1"
	done, err := l.Admit(context.Background(), r, "alice@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if err := done(context.Background(), throttle.Failed); err != nil {
		t.Fatal(err)
	}
	if len(ks.keys) != 3 {
		t.Fatalf("keys %q; want 3 counters", ks.keys)
	}
	for _, k := range ks.keys {
		if strings.Contains(k, "alice") || strings.Contains(k, "203.0.113") || strings.ContainsAny(k, "{}") || len(k) > 128 {
			t.Errorf("key %q reveals the account or address, or is not hash-tag safe", k)
		}
	}
}

func TestNewBruteForceRefusesBadConfig(t *testing.T) {
	store := memory.NewLoginFailureStore(0, nil)
	for name, cfg := range map[string]throttle.BruteForceConfig{
		"short window":   {Window: time.Millisecond, MaxFailures: 1},
		"negative limit": {Window: time.Minute, MaxFailures: -1},
	} {
		if _, err := throttle.NewBruteForce(store, cfg); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := throttle.NewBruteForce(nil, throttle.BruteForceConfig{Window: time.Minute}); err == nil {
		t.Error("nil store accepted")
	}
}

// slowAddStore is an in-memory counter store whose AddLoginFailure takes a
// while to land, as a round trip to Redis or SQL does.
type slowAddStore struct {
	*memory.LoginFailureStore
	delay time.Duration
}

func (s slowAddStore) AddLoginFailure(ctx context.Context, key string, w time.Duration) (sdk.LoginFailureCount, error) {
	time.Sleep(s.delay)
	return s.LoginFailureStore.AddLoginFailure(ctx, key, w)
}

// TestBruteForceLockBehindGate: with one hashing slot and an account limit
// of N, N+1 concurrent wrong-password attempts check at most N passwords;
// the rest are locked (429). The old Done freed the slot before counting
// the failure, so the attempt queued behind it re-checked the counter
// before the failure landed and every attempt got through.
func TestBruteForceLockBehindGate(t *testing.T) {
	const limit = 3
	store := slowAddStore{memory.NewLoginFailureStore(0, nil), 20 * time.Millisecond}
	bf, err := throttle.NewBruteForce(store, throttle.BruteForceConfig{Window: time.Minute, MaxFailuresPerAccount: limit})
	if err != nil {
		t.Fatal(err)
	}
	gate, err := throttle.NewGate(1, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	l := &throttle.Login{BruteForce: bf, Gate: gate}
	var checked, locked atomic.Int32
	var wg sync.WaitGroup
	for i := range limit + 1 {
		wg.Go(func() {
			r := httptest.NewRequest("POST", "/api/token/", nil)
			r.RemoteAddr = fmt.Sprintf("198.51.100.%d:1234", i+1)
			done, err := l.Admit(context.Background(), r, "alice")
			var th *throttle.Throttled
			switch {
			case errors.As(err, &th) && th.Reason == throttle.ReasonLocked:
				locked.Add(1)
				return
			case err != nil:
				t.Errorf("attempt %d: %v", i+1, err)
				return
			}
			checked.Add(1) // the password check the store would run
			if err := done(context.Background(), throttle.Failed); err != nil {
				t.Errorf("done: %v", err)
			}
		})
	}
	wg.Wait()
	if checked.Load() != limit || locked.Load() != 1 {
		t.Fatalf("%d passwords checked and %d attempts locked; want %d checked, 1 locked", checked.Load(), locked.Load(), limit)
	}
}
