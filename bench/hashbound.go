package main

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"time"

	"github.com/jwtd/jwtd/sdk/passwords"
)

// hashWorkers is the concurrency of the password-hash-bound scenarios: one
// per core. More only queue: each argon2id check holds a core and 100 MiB,
// and measured on this machine, four checks at once on two cores cost 2-4×
// the CPU per check of two (page faults as the Go heap grows and is
// returned), which would measure the allocator rather than the service.
func hashWorkers(workers int) int { return min(workers, runtime.NumCPU()) }

// measureHashBound is the ceiling on obtain throughput set by the password
// hash alone: passwords.Check of a hash made with the SQLite store's
// default parameters (Django's argon2id), run by as many goroutines as the
// obtain scenario has connections (hashWorkers), in this process, with no
// server running.
func measureHashBound(ctx context.Context, o options) (Row, error) {
	encoded, err := passwords.Hash(benchPassword, passwords.DefaultParams())
	if err != nil {
		return Row{}, err
	}
	step := func(ctx context.Context) error {
		ok, err := passwords.Check(benchPassword, encoded)
		if err == nil && !ok {
			err = fmt.Errorf("the password does not match its own hash")
		}
		return err
	}
	steps := same(hashWorkers(o.workers), step)
	// The first checks of a process cost three times the later ones: the
	// kernel has to fault in and zero each fresh 100 MiB. jwtd is measured
	// warm, so the bound must be too.
	Load(ctx, steps, time.Minute, 3*len(steps))
	before, err := treeUsage(os.Getpid())
	if err != nil {
		return Row{}, err
	}
	res := Load(ctx, steps, o.duration, 0)
	after, err := treeUsage(os.Getpid())
	if err != nil {
		return Row{}, err
	}
	if res.Requests == 0 {
		return Row{}, fmt.Errorf("no hash check finished: %s", res.FirstErr)
	}
	return Row{
		Mode: "hash only", Scenario: "argon2id check, in process",
		RPS: res.RPS(), P50: Percentile(res.Latencies, 50), P99: Percentile(res.Latencies, 99),
		CPUPerReq: (after.CPU - before.CPU) / time.Duration(res.Requests),
		Errors:    res.Errors,
	}, nil
}
