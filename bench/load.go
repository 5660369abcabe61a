package main

import (
	"context"
	"sync"
	"time"
)

// Step performs one request and reports whether it got the expected
// answer. A worker's Step is called from that worker only, so it may keep
// state (the rotating refresh scenario keeps the last refresh token).
type Step func(ctx context.Context) error

// maxSamples bounds the latency samples kept per worker (8 MB each), so a
// long run against a fast server cannot eat the machine's memory; after
// that, requests are still counted.
const maxSamples = 1 << 20

// Load runs steps (one per worker) in a closed loop, each worker sending its
// next request when the previous one is answered, until d has passed or
// maxRequests requests were sent in total (0: no count bound). A request in
// flight at the deadline is finished, not cut off, so that a stateful step
// (a rotating refresh chain) never loses the answer it depends on; only ctx
// ending aborts requests.
func Load(ctx context.Context, steps []Step, d time.Duration, maxRequests int) Result {
	type part struct {
		n, errs  int
		firstErr string
		lat      []time.Duration
	}
	parts := make([]part, len(steps))
	var budget chan struct{}
	if maxRequests > 0 {
		budget = make(chan struct{}, maxRequests)
		for range maxRequests {
			budget <- struct{}{}
		}
	}
	start := time.Now()
	deadline := start.Add(d)
	var wg sync.WaitGroup
	for i, step := range steps {
		wg.Go(func() {
			p := &parts[i]
			p.lat = make([]time.Duration, 0, 4096)
			for ctx.Err() == nil && time.Now().Before(deadline) {
				if budget != nil {
					select {
					case <-budget:
					default:
						return
					}
				}
				t0 := time.Now()
				err := step(ctx)
				lat := time.Since(t0)
				if err != nil {
					if ctx.Err() != nil {
						return // aborted: neither success nor failure
					}
					p.errs++
					if p.firstErr == "" {
						p.firstErr = err.Error()
					}
					continue
				}
				p.n++
				if len(p.lat) < maxSamples {
					p.lat = append(p.lat, lat)
				}
			}
		})
	}
	wg.Wait()
	res := Result{Elapsed: time.Since(start)}
	for _, p := range parts {
		res.Requests += p.n
		res.Errors += p.errs
		if res.FirstErr == "" {
			res.FirstErr = p.firstErr
		}
		res.Latencies = append(res.Latencies, p.lat...)
	}
	return res
}
