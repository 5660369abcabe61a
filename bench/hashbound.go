package main

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"time"

	"github.com/jwtd/jwtd/passwords"
)

// measureHashBound is the ceiling on obtain throughput set by the password
// hash alone: passwords.Check of a hash made with the SQLite store's
// default parameters (Django's argon2id), run by as many goroutines as the
// obtain scenario has connections (one per core), in this process, with
// no server running.
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
	d := min(o.duration, 3*time.Second) // the figure settles quickly; hashing is slow
	before, err := treeUsage(os.Getpid())
	if err != nil {
		return Row{}, err
	}
	res := Load(ctx, same(min(o.workers, runtime.NumCPU()), step), d, 0)
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
