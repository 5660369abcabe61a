package main

import (
	"context"
	"fmt"
	"os"
	"slices"
	"sync"
	"time"
)

// The jwtd scenarios, by the paths of docs/http-api.md, in report order.
const (
	scObtain     = "obtain"
	scRefresh    = "refresh"
	scRefreshRot = "refresh-rotating"
	scVerify     = "verify"
	// Verify of a refresh token: unlike an access token's, its jti is
	// looked up in the blacklist store.
	scVerifyRefresh = "verify-refresh"
	scAuth          = "authenticate"
	scAuthStateless = "authenticate-stateless"
	// A reverse proxy's question (nginx auth_request, Traefik, Caddy):
	// authenticate's work, answered in headers.
	scForwardAuth = "forward-auth"
	// Failed logins, alternating a known user with a wrong password and an
	// unknown user: their latencies must match, or timing tells which
	// usernames exist. Alternating within one run cancels out load drift.
	scObtainFailed = "obtain-failed"
	// The rotating refresh chain with sessions on (token families: every
	// rotation goes through the store's RotateSession), beside
	// refresh-rotating in the same run for the ratio.
	scRefreshRotSessions = "refresh-rotating-sessions"
	// authenticate with sessions and revoke_access_tokens on: one
	// SessionState store call per request, beside authenticate.
	scAuthRevokeAccess = "authenticate-revoke-access"
)

var allScenarios = []string{scObtain, scRefresh, scRefreshRot, scRefreshRotSessions, scVerify, scVerifyRefresh, scAuth, scAuthRevokeAccess, scAuthStateless, scForwardAuth, scObtainFailed}

const (
	pathObtain    = "/api/token/"
	pathRefresh   = "/api/token/refresh/"
	pathVerify    = "/api/token/verify/"
	pathAuth      = "/api/authenticate/"
	pathStateless = "/api/authenticate/stateless/"
	pathForward   = "/api/forward-auth/"
)

// measure warms up and then measures steps against the server process
// pid. started, if given, runs between the warm-up and the measured run.
func measure(ctx context.Context, o options, mode, name string, pid int, steps []Step, started ...func()) (Row, error) {
	if o.warmup > 0 {
		Load(ctx, steps, o.warmup, o.maxRequests)
	}
	for _, f := range started {
		f()
	}
	resetPeakRSS(pid)
	if o.sidecar != 0 {
		resetPeakRSS(o.sidecar)
	}
	before, err := treeUsage(pid)
	if err != nil {
		return Row{}, err
	}
	sideBefore, _ := sidecarUsage(o.sidecar)
	res := Load(ctx, steps, o.duration, o.maxRequests)
	after, err := treeUsage(pid)
	if err != nil {
		return Row{}, err
	}
	sideAfter, sideRSS := sidecarUsage(o.sidecar)
	after.CPU += sideAfter - sideBefore
	after.PeakRSS += sideRSS
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

// splitLatencies keeps the failed-login latencies apart by kind.
type splitLatencies struct {
	mu             sync.Mutex
	wrong, unknown []time.Duration
}

func (s *splitLatencies) reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.wrong, s.unknown = nil, nil
}

// failedLoginSteps alternate, in every worker, a wrong password for the
// real user and an unknown username, both answered 401, recording each
// kind's latency into split.
func failedLoginSteps(c *client, workers int, wrongPassword, unknownUser []byte, split *splitLatencies) []Step {
	steps := make([]Step, workers)
	for i := range steps {
		n := i // workers start on different kinds
		steps[i] = func(ctx context.Context) error {
			n++
			body, into := wrongPassword, &split.wrong
			if n%2 == 0 {
				body, into = unknownUser, &split.unknown
			}
			t0 := time.Now()
			_, err := c.post(ctx, pathObtain, body, 401)
			d := time.Since(t0)
			if err == nil {
				split.mu.Lock()
				*into = append(*into, d)
				split.mu.Unlock()
			}
			return err
		}
	}
	return steps
}

// minEnumerationSamples is the fewest failed logins of each kind a verdict
// on their timing is drawn from.
const minEnumerationSamples = 20

// enumerationNote compares the failed-login latencies: an unknown username
// must cost what a wrong password for a real one costs.
func enumerationNote(mode string, s *splitLatencies) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.wrong) == 0 || len(s.unknown) == 0 {
		return ""
	}
	if len(s.wrong) < minEnumerationSamples || len(s.unknown) < minEnumerationSamples {
		return fmt.Sprintf("%s: failed logins: %d unknown-user and %d wrong-password samples, too few to compare (need %d each; raise -duration)",
			mode, len(s.unknown), len(s.wrong), minEnumerationSamples)
	}
	w, u := Percentile(s.wrong, 50), Percentile(s.unknown, 50)
	ratio := Ratio(float64(u), float64(w))
	verdict := "no timing difference to tell usernames apart"
	if ratio < 0.8 || ratio > 1.25 {
		verdict = "TIMING DIFFERS: unknown usernames can be told apart"
	}
	return fmt.Sprintf("%s: failed logins, unknown user vs wrong password (alternating, %d+%d samples): p50 %s vs %s (%.2f×): %s",
		mode, len(s.unknown), len(s.wrong), fmtDur(u), fmtDur(w), ratio, verdict)
}

// jwtdScenarios builds the steps of each plain (non-rotating) scenario
// against a running jwtd; creds is the obtain body and p a pair obtained
// with it.
func jwtdSteps(c *client, creds []byte, p pair, workers int, split *splitLatencies) map[string][]Step {
	refresh := mustJSON(map[string]string{"refresh": p.Refresh})
	verify := mustJSON(map[string]string{"token": p.Access})
	verifyRefresh := mustJSON(map[string]string{"token": p.Refresh})
	wrongPassword := mustJSON(map[string]string{"username": benchUser, "password": benchPassword + "-wrong"})
	unknownUser := mustJSON(map[string]string{"username": benchUser + "-nobody", "password": benchPassword})
	return map[string][]Step{
		// Obtain is CPU-bound in the password hash (argon2id, 100 MiB each):
		// many more connections than cores only queue and multiply memory.
		scObtain: same(hashWorkers(workers), func(ctx context.Context) error {
			_, err := c.post(ctx, pathObtain, creds, 200)
			return err
		}),
		scObtainFailed: failedLoginSteps(c, hashWorkers(workers), wrongPassword, unknownUser, split),
		scRefresh: same(workers, func(ctx context.Context) error {
			_, err := c.post(ctx, pathRefresh, refresh, 200)
			return err
		}),
		scVerify: same(workers, func(ctx context.Context) error {
			_, err := c.post(ctx, pathVerify, verify, 200)
			return err
		}),
		scVerifyRefresh: same(workers, func(ctx context.Context) error {
			_, err := c.post(ctx, pathVerify, verifyRefresh, 200)
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
		scForwardAuth: same(workers, func(ctx context.Context) error {
			_, err := c.getBearer(ctx, pathForward, p.Access, 200)
			return err
		}),
	}
}

// rotatingSteps gives each worker its own refresh token chain, started
// from a pair issue makes: every request presents the refresh token the
// previous answer returned, as a client of a rotating server must.
func rotatingSteps(c *client, issue func() (pair, error), workers int) ([]Step, error) {
	steps := make([]Step, workers)
	for i := range steps {
		p, err := issue()
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
