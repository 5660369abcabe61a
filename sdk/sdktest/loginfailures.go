package sdktest

import (
	"context"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/jwtd/jwtd/sdk"
)

// TestLoginFailureStore runs the suite of the optional sdk.LoginFailureStore
// capability. newStore is called once per subtest; stores it returns may
// share state (keys are unique). The suite waits for a window of about a
// second to pass, so that stores with second-granular expiry pass too.
func TestLoginFailureStore(t *testing.T, newStore func(t *testing.T) sdk.LoginFailureStore) {
	ctx := context.Background()

	t.Run("CountsWithinWindow", func(t *testing.T) {
		s := newStore(t)
		key := uniqueID("lf-")
		if got, err := s.LoginFailures(ctx, key); err != nil || got != (sdk.LoginFailureCount{}) {
			t.Fatalf("LoginFailures(fresh) = %+v, %v; want zero", got, err)
		}
		for want := 1; want <= 3; want++ {
			got, err := s.AddLoginFailure(ctx, key, time.Minute)
			if err != nil || got.Count != want {
				t.Fatalf("AddLoginFailure #%d = %+v, %v; want count %d", want, got, err, want)
			}
			if got.ResetIn <= 0 || got.ResetIn > time.Minute {
				t.Fatalf("AddLoginFailure #%d ResetIn = %v; want in (0, 1m]", want, got.ResetIn)
			}
		}
		got, err := s.LoginFailures(ctx, key)
		if err != nil || got.Count != 3 || got.ResetIn <= 0 || got.ResetIn > time.Minute {
			t.Fatalf("LoginFailures = %+v, %v; want count 3, ResetIn in (0, 1m]", got, err)
		}
		if other, err := s.LoginFailures(ctx, key+"x"); err != nil || other.Count != 0 {
			t.Fatalf("LoginFailures(other key) = %+v, %v; want 0", other, err)
		}
	})

	t.Run("WindowDoesNotMove", func(t *testing.T) {
		s := newStore(t)
		key := uniqueID("lf-")
		first, err := s.AddLoginFailure(ctx, key, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		// A later failure with a longer window must not extend the counter:
		// an attacker failing on and on cannot keep a user locked.
		later, err := s.AddLoginFailure(ctx, key, 10*time.Hour)
		if err != nil || later.Count != 2 {
			t.Fatalf("second AddLoginFailure = %+v, %v; want count 2", later, err)
		}
		if later.ResetIn > first.ResetIn+time.Second {
			t.Fatalf("window moved: ResetIn %v after %v", later.ResetIn, first.ResetIn)
		}
	})

	t.Run("Clear", func(t *testing.T) {
		s := newStore(t)
		key := uniqueID("lf-")
		if err := s.ClearLoginFailures(ctx, key); err != nil {
			t.Fatalf("ClearLoginFailures(missing) = %v; want nil", err)
		}
		for range 2 {
			if _, err := s.AddLoginFailure(ctx, key, time.Minute); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.ClearLoginFailures(ctx, key); err != nil {
			t.Fatal(err)
		}
		if got, err := s.LoginFailures(ctx, key); err != nil || got.Count != 0 {
			t.Fatalf("LoginFailures after clear = %+v, %v; want 0", got, err)
		}
		if got, err := s.AddLoginFailure(ctx, key, time.Minute); err != nil || got.Count != 1 {
			t.Fatalf("AddLoginFailure after clear = %+v, %v; want a fresh count 1", got, err)
		}
	})

	t.Run("Expires", func(t *testing.T) {
		s := newStore(t)
		key := uniqueID("lf-")
		if _, err := s.AddLoginFailure(ctx, key, time.Second); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(5 * time.Second)
		for {
			got, err := s.LoginFailures(ctx, key)
			if err != nil {
				t.Fatal(err)
			}
			if got.Count == 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("counter with a 1s window still %+v after 5s", got)
			}
			time.Sleep(100 * time.Millisecond)
		}
		if got, err := s.AddLoginFailure(ctx, key, time.Minute); err != nil || got.Count != 1 {
			t.Fatalf("AddLoginFailure after expiry = %+v, %v; want a fresh count 1", got, err)
		}
	})

	t.Run("ConcurrentAddsCountExactly", func(t *testing.T) {
		s := newStore(t)
		key := uniqueID("lf-")
		const n = 16
		counts := make([]int, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				got, err := s.AddLoginFailure(ctx, key, time.Minute)
				counts[i], errs[i] = got.Count, err
			}()
		}
		wg.Wait()
		sort.Ints(counts)
		for i := range n {
			if errs[i] != nil {
				t.Fatalf("AddLoginFailure: %v", errs[i])
			}
			if counts[i] != i+1 {
				t.Fatalf("concurrent counts %v; want 1..%d each once", counts, n)
			}
		}
	})
}
