package sqlstore

import (
	"context"
	"log/slog"
	"time"
)

// StartSweep calls flush every interval in the background (the blacklist
// stores' expiry sweep) until the returned stop is called; stop cancels
// flush's context and waits for the loop to end, so a store can close its
// database right after. A zero interval starts nothing. A failed flush is
// logged as msg with logArgs and left to the next tick: rows only linger
// meanwhile.
func StartSweep(interval time.Duration, flush func(context.Context, time.Time) (int, error), msg string, logArgs ...any) (stop func()) {
	if interval == 0 {
		return func() {}
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case now := <-t.C:
				if _, err := flush(ctx, now); err != nil && ctx.Err() == nil {
					slog.Warn(msg, append(logArgs[:len(logArgs):len(logArgs)], "err", err)...)
				}
			}
		}
	}()
	return func() {
		cancel()
		<-done
	}
}
