package sqlstore

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"
)

// TestStartSweep checks the sweep calls flush on its ticker, keeps going
// after a failed flush, stops (and is waited for) on stop, and starts
// nothing for a zero interval.
func TestStartSweep(t *testing.T) {
	for _, tc := range []struct {
		name     string
		interval time.Duration
		fail     bool
		wantRuns bool
	}{
		{"ticks", time.Millisecond, false, true},
		{"failed flush retried", time.Millisecond, true, true},
		{"zero interval", 0, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var calls atomic.Int32
			flush := func(ctx context.Context, _ time.Time) (int, error) {
				calls.Add(1)
				if tc.fail {
					return 0, errors.New("boom")
				}
				return 0, nil
			}
			stop := StartSweep(tc.interval, flush, "test sweep failed")
			deadline := time.Now().Add(5 * time.Second)
			for tc.wantRuns && calls.Load() < 2 && time.Now().Before(deadline) {
				time.Sleep(time.Millisecond)
			}
			if !tc.wantRuns {
				time.Sleep(20 * time.Millisecond)
			}
			stop()
			n := calls.Load()
			if tc.wantRuns && n < 2 {
				t.Fatalf("flush ran %d times, want at least 2", n)
			}
			if !tc.wantRuns && n != 0 {
				t.Fatalf("flush ran %d times with a zero interval", n)
			}
			time.Sleep(10 * time.Millisecond)
			if after := calls.Load(); after != n {
				t.Fatalf("flush ran after stop returned (%d → %d)", n, after)
			}
		})
	}
}
