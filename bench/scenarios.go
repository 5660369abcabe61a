package main

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"slices"
	"time"
)

// The jwtd scenarios, by SPEC §2 paths, in report order.
const (
	scObtain        = "obtain"
	scRefresh       = "refresh"
	scRefreshRot    = "refresh-rotating"
	scVerify        = "verify"
	scAuth          = "authenticate"
	scAuthStateless = "authenticate-stateless"
	// Failed logins, known user with a wrong password and an unknown user:
	// their latencies must match, or timing tells which usernames exist.
	scObtainWrongPassword = "obtain-wrong-password"
	scObtainUnknownUser   = "obtain-unknown-user"
)

var allScenarios = []string{scObtain, scRefresh, scRefreshRot, scVerify, scAuth, scAuthStateless, scObtainWrongPassword, scObtainUnknownUser}

const (
	pathObtain    = "/api/token/"
	pathRefresh   = "/api/token/refresh/"
	pathVerify    = "/api/token/verify/"
	pathAuth      = "/api/authenticate/"
	pathStateless = "/api/authenticate/stateless/"
)

// measure warms up and then measures steps against the server process pid.
func measure(ctx context.Context, o options, mode, name string, pid int, steps []Step) (Row, error) {
	if o.warmup > 0 {
		Load(ctx, steps, o.warmup, o.maxRequests)
	}
	resetPeakRSS(pid)
	before, err := treeUsage(pid)
	if err != nil {
		return Row{}, err
	}
	res := Load(ctx, steps, o.duration, o.maxRequests)
	after, err := treeUsage(pid)
	if err != nil {
		return Row{}, err
	}
	if ctx.Err() != nil {
		return Row{}, ctx.Err()
	}
	row := Row{
		Mode: mode, Scenario: name,
		RPS:     res.RPS(),
		P50:     Percentile(res.Latencies, 50),
		P99:     Percentile(res.Latencies, 99),
		PeakRSS: after.PeakRSS,
		Errors:  res.Errors,
	}
	if !slices.Equal(before.Pids, after.Pids) {
		// A plugin process died or was restarted: its CPU time is lost
		// with it, so the figure would be wrong.
		row.Note = fmt.Sprintf("server processes changed during the run (%v → %v): CPU/req not measured", before.Pids, after.Pids)
	} else if n := res.Requests + res.Errors; n > 0 {
		row.CPUPerReq = (after.CPU - before.CPU) / time.Duration(n)
	}
	if res.Errors > 0 {
		fmt.Fprintf(os.Stderr, "bench: %s/%s: %d errors, first: %s\n", mode, name, res.Errors, res.FirstErr)
	}
	if res.Requests == 0 && res.Errors > 0 {
		return row, fmt.Errorf("%s: every request failed: %s", name, res.FirstErr)
	}
	return row, nil
}

// measureBare runs the bare handler in its own process and loads it with a
// small JSON POST, the shape of a verify request.
func measureBare(ctx context.Context, o options) (Row, error) {
	srv, err := startBare()
	if err != nil {
		return Row{}, err
	}
	defer srv.stop()
	c := newClient(srv.addr, o.workers)
	defer c.close()
	body := mustJSON(map[string]string{"token": "x.y.z"})
	steps := make([]Step, o.workers)
	for i := range steps {
		steps[i] = func(ctx context.Context) error {
			_, err := c.post(ctx, "/", body, 200)
			return err
		}
	}
	return measure(ctx, o, "bare", "fixed JSON", srv.pid(), steps)
}

// same returns n copies of one stateless step.
func same(n int, s Step) []Step {
	steps := make([]Step, n)
	for i := range steps {
		steps[i] = s
	}
	return steps
}

// enumerationNote compares the failed-login latencies: an unknown username
// must cost what a wrong password for a real one costs.
func enumerationNote(rows []Row) string {
	var wrong, unknown Row
	for _, r := range rows {
		switch r.Scenario {
		case scObtainWrongPassword:
			wrong = r
		case scObtainUnknownUser:
			unknown = r
		}
	}
	if wrong.P50 == 0 || unknown.P50 == 0 {
		return ""
	}
	ratio := Ratio(float64(unknown.P50), float64(wrong.P50))
	cpu := Ratio(float64(unknown.CPUPerReq), float64(wrong.CPUPerReq))
	verdict := "no timing difference to tell usernames apart"
	if ratio < 0.8 || ratio > 1.25 {
		verdict = "TIMING DIFFERS: unknown usernames can be told apart"
	}
	return fmt.Sprintf("%s: unknown user vs wrong password, p50 %s vs %s (%.2f×), CPU/req %.2f×: %s",
		wrong.Mode, fmtDur(unknown.P50), fmtDur(wrong.P50), ratio, cpu, verdict)
}

// jwtdScenarios builds the steps of each plain (non-rotating) scenario
// against a running jwtd; creds is the obtain body and p a pair obtained
// with it.
func jwtdSteps(c *client, creds []byte, p pair, workers int) map[string][]Step {
	refresh := mustJSON(map[string]string{"refresh": p.Refresh})
	verify := mustJSON(map[string]string{"token": p.Access})
	wrongPassword := mustJSON(map[string]string{"username": benchUser, "password": benchPassword + "-wrong"})
	unknownUser := mustJSON(map[string]string{"username": benchUser + "-nobody", "password": benchPassword})
	return map[string][]Step{
		// Obtain is CPU-bound in the password hash (argon2id, 100 MiB each):
		// more connections than cores only queue and multiply memory.
		scObtain: same(min(workers, runtime.NumCPU()), func(ctx context.Context) error {
			_, err := c.post(ctx, pathObtain, creds, 200)
			return err
		}),
		scObtainWrongPassword: same(min(workers, runtime.NumCPU()), func(ctx context.Context) error {
			_, err := c.post(ctx, pathObtain, wrongPassword, 401)
			return err
		}),
		scObtainUnknownUser: same(min(workers, runtime.NumCPU()), func(ctx context.Context) error {
			_, err := c.post(ctx, pathObtain, unknownUser, 401)
			return err
		}),
		scRefresh: same(workers, func(ctx context.Context) error {
			_, err := c.post(ctx, pathRefresh, refresh, 200)
			return err
		}),
		scVerify: same(workers, func(ctx context.Context) error {
			_, err := c.post(ctx, pathVerify, verify, 200)
			return err
		}),
		scAuth: same(workers, func(ctx context.Context) error {
			_, err := c.getBearer(ctx, pathAuth, p.Access, 200)
			return err
		}),
		scAuthStateless: same(workers, func(ctx context.Context) error {
			_, err := c.getBearer(ctx, pathStateless, p.Access, 200)
			return err
		}),
	}
}

// rotatingSteps gives each worker its own refresh token chain: every request
// presents the refresh token the previous answer returned, as a client of a
// rotating server must.
func rotatingSteps(ctx context.Context, c *client, creds []byte, workers int) ([]Step, error) {
	steps := make([]Step, workers)
	for i := range steps {
		body, err := c.post(ctx, pathObtain, creds, 200)
		if err != nil {
			return nil, err
		}
		p, err := decodePair(body)
		if err != nil {
			return nil, err
		}
		current := mustJSON(map[string]string{"refresh": p.Refresh})
		steps[i] = func(ctx context.Context) error {
			body, err := c.post(ctx, pathRefresh, current, 200)
			if err != nil {
				return err
			}
			next, err := decodePair(body)
			if err != nil {
				return err
			}
			if next.Refresh == "" {
				return fmt.Errorf("rotating refresh answered without a new refresh token: %s", body)
			}
			current = mustJSON(map[string]string{"refresh": next.Refresh})
			return nil
		}
	}
	return steps, nil
}
