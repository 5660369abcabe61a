package throttle_test

import (
	"context"
	"net/http"
	"net/http/httptest"
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

// TestGateBoundsConcurrency: with 2 slots, no more than 2 handlers ever run
// at once; with no waiting allowed, the rest get 429 at once.
func TestGateBoundsConcurrency(t *testing.T) {
	g, err := throttle.NewGate(2, 0)
	if err != nil {
		t.Fatal(err)
	}
	var running, peak atomic.Int64
	hold := make(chan struct{})
	h := g.Middleware(func(r *http.Request) bool { return r.URL.Path == "/api/token/" },
		http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			n := running.Add(1)
			for {
				p := peak.Load()
				if n <= p || peak.CompareAndSwap(p, n) {
					break
				}
			}
			<-hold
			running.Add(-1)
		}))
	var wg sync.WaitGroup
	codes := make(chan int, 10)
	for range 2 {
		wg.Go(func() {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest("POST", "/api/token/", nil))
			codes <- rec.Code
		})
	}
	for running.Load() < 2 {
		time.Sleep(time.Millisecond)
	}
	// Both slots are held: a third login is refused, a non-login passes.
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("POST", "/api/token/", nil))
	if rec.Code != http.StatusTooManyRequests || rec.Header().Get("Retry-After") != "1" {
		t.Fatalf("third login: %d, Retry-After %q", rec.Code, rec.Header().Get("Retry-After"))
	}
	close(hold) // also lets a non-login through without waiting
	wg.Wait()
	close(codes)
	for c := range codes {
		if c != 200 {
			t.Errorf("an admitted login got %d", c)
		}
	}
	if peak.Load() != 2 {
		t.Errorf("peak concurrency %d, want 2", peak.Load())
	}
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("POST", "/api/token/verify/", nil))
	if rec.Code != 200 {
		t.Errorf("non-login request got %d", rec.Code)
	}
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
