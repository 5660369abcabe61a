package sdktest

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/jwtd/jwtd/sdk"
)

// Feed records what a store's change feed sends, for tests of a
// sdk.ChangeFeed: Watch it, make a change (through the store, another
// process, the database directly), then Wait for the change.
type Feed struct {
	t      testing.TB
	mu     sync.Mutex
	got    []sdk.Change
	notify chan struct{}
	done   chan struct{}
	err    error
}

// WatchFeed runs f.Watch until the test ends, recording every change, and
// waits until the feed has synchronised (ChangeReset ... ChangeSynced).
func WatchFeed(t testing.TB, f sdk.ChangeFeed) *Feed {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	r := &Feed{t: t, notify: make(chan struct{}, 1), done: make(chan struct{})}
	go func() {
		defer close(r.done)
		err := f.Watch(ctx, func(c sdk.Change) error {
			r.mu.Lock()
			r.got = append(r.got, c)
			r.mu.Unlock()
			select {
			case r.notify <- struct{}{}:
			default:
			}
			return nil
		})
		r.mu.Lock()
		r.err = err
		r.mu.Unlock()
	}()
	t.Cleanup(func() {
		cancel()
		<-r.done
	})
	r.Wait(5*time.Second, func(c sdk.Change) bool { return c.Kind == sdk.ChangeSynced })
	if first := r.Changes()[0]; first.Kind != sdk.ChangeReset {
		t.Fatalf("the feed's first change is %v, want reset", first.Kind)
	}
	return r
}

// Changes returns what was recorded so far.
func (r *Feed) Changes() []sdk.Change {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]sdk.Change(nil), r.got...)
}

// Wait waits up to timeout for a recorded change that match accepts and
// returns it (the first one) and when it was seen; it fails the test when
// none comes or the feed ends.
func (r *Feed) Wait(timeout time.Duration, match func(sdk.Change) bool) (sdk.Change, time.Time) {
	r.t.Helper()
	deadline := time.After(timeout)
	seen := 0
	for {
		r.mu.Lock()
		got, err := r.got, r.err
		r.mu.Unlock()
		for _, c := range got[seen:] {
			if match(c) {
				return c, time.Now()
			}
		}
		seen = len(got)
		select {
		case <-r.done:
			r.t.Fatalf("the change feed ended: %v", err)
		case <-r.notify:
		case <-deadline:
			r.t.Fatalf("no matching change within %v; got %d changes", timeout, len(got))
		}
	}
}

// Err is the error Watch returned, once it did; nil while it runs.
func (r *Feed) Err() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.err
}

// Ended reports whether Watch has returned.
func (r *Feed) Ended() bool {
	select {
	case <-r.done:
		return true
	default:
		return false
	}
}

// TestChangeFeedSync checks the part of the sdk.ChangeFeed contract every
// feed shares: ChangeReset first, then ChangeSynced at least every few
// SyncIntervals with At moving forward, and Watch returning ctx's error
// soon after ctx ends.
func TestChangeFeedSync(t *testing.T, f sdk.ChangeFeed) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var mu sync.Mutex
	var syncs []time.Time
	var kinds []sdk.ChangeKind
	done := make(chan error, 1)
	go func() {
		done <- f.Watch(ctx, func(c sdk.Change) error {
			mu.Lock()
			defer mu.Unlock()
			kinds = append(kinds, c.Kind)
			if c.Kind == sdk.ChangeSynced {
				syncs = append(syncs, c.At)
			}
			return nil
		})
	}()
	time.Sleep(20 * sdk.SyncInterval)
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Watch after cancel = %v, want context.Canceled", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Watch did not return after its context ended")
	}
	mu.Lock()
	defer mu.Unlock()
	if len(kinds) == 0 || kinds[0] != sdk.ChangeReset {
		t.Fatalf("first change kinds %v, want reset first", kinds)
	}
	if len(syncs) < 5 {
		t.Fatalf("%d synced marks in %v, want one at least every %v", len(syncs), 20*sdk.SyncInterval, sdk.SyncInterval)
	}
	for i := 1; i < len(syncs); i++ {
		if syncs[i].Before(syncs[i-1]) {
			t.Fatalf("synced mark %d (%v) is before the previous one (%v)", i, syncs[i], syncs[i-1])
		}
	}
}
