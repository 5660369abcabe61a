package throttle_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jwtd/jwtd/host/throttle"
)

func TestNewGateRejectsBadConfig(t *testing.T) {
	for _, tt := range []struct {
		n    int
		wait time.Duration
	}{{0, time.Second}, {-1, 0}, {1, -time.Second}} {
		if _, err := throttle.NewGate(tt.n, tt.wait); err == nil {
			t.Errorf("NewGate(%d, %v) accepted", tt.n, tt.wait)
		}
	}
}

// TestGateBoundsConcurrency: with 2 slots, no more than 2 holders ever run
// at once; with no waiting allowed, a third is refused at once, and gets in
// once a slot is released.
func TestGateBoundsConcurrency(t *testing.T) {
	g, err := throttle.NewGate(2, 0)
	if err != nil {
		t.Fatal(err)
	}
	var running, peak atomic.Int64
	hold := make(chan struct{})
	var wg sync.WaitGroup
	for range 2 {
		release, ok := g.Enter(context.Background())
		if !ok {
			t.Fatal("a free slot was refused")
		}
		wg.Go(func() {
			defer release()
			n := running.Add(1)
			for {
				p := peak.Load()
				if n <= p || peak.CompareAndSwap(p, n) {
					break
				}
			}
			<-hold
			running.Add(-1)
		})
	}
	for running.Load() < 2 {
		time.Sleep(time.Millisecond)
	}
	if _, ok := g.Enter(context.Background()); ok {
		t.Fatal("a third holder got in while both slots were held")
	}
	close(hold)
	wg.Wait()
	if peak.Load() != 2 {
		t.Errorf("peak concurrency %d, want 2", peak.Load())
	}
	release, ok := g.Enter(context.Background())
	if !ok {
		t.Fatal("a freed slot was refused")
	}
	release()
}

func TestGateWaits(t *testing.T) {
	g, err := throttle.NewGate(1, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	release, ok := g.Enter(context.Background())
	if !ok {
		t.Fatal("empty gate refused")
	}
	time.AfterFunc(50*time.Millisecond, release)
	start := time.Now()
	release2, ok := g.Enter(context.Background())
	if !ok {
		t.Fatal("waiter did not get the freed slot")
	}
	if time.Since(start) < 40*time.Millisecond {
		t.Error("entered before the slot was freed")
	}
	// A cancelled request stops waiting.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, ok := g.Enter(ctx); ok {
		t.Error("entered a full gate with a cancelled context")
	}
	release2()
}
