package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// Redis modes: jwtd's blacklist store is Redis (a redis-server this program
// starts on a free loopback port), the user store stays SQLite. "redis" runs
// both in process; "redis-plugins" runs them as the out-of-process plugin
// binaries, the counterpart of the "plugins" mode.
const (
	modeRedis        = "redis"
	modeRedisPlugins = "redis-plugins"
)

// isRedisMode reports whether mode needs a redis-server.
func isRedisMode(mode string) bool { return mode == modeRedis || mode == modeRedisPlugins }

// redisScenarios are the scenarios that touch the blacklist store; the
// others (authenticate, obtain) would measure the same code as the SQLite
// modes, so the Redis modes skip them to keep the run short.
var redisScenarios = []string{scRefresh, scVerify, scRefreshRot, scRefreshRotSessions, scAuthRevokeAccess}

// redisKeyPrefix keeps the benchmark's keys apart from anything else in the
// database (the server is this run's own, but the prefix makes a leftover
// key recognisable).
const redisKeyPrefix = "jwtd-bench:"

// blacklistConfig is the body of [plugins.blacklist_store.config] for a
// mode: the SQLite file shared with the user store, or the Redis address.
func blacklistConfig(mode, redisAddr string) string {
	if isRedisMode(mode) {
		return fmt.Sprintf("addrs = [%q]\nkey_prefix = %q\n", redisAddr, redisKeyPrefix)
	}
	if isOldPathMode(mode) {
		return "path = \"jwtd.db\"\ngroup_commit = false\n"
	}
	return "path = \"jwtd.db\"\n"
}

// baselineMode is the SQLite mode a Redis mode is compared with: the same
// plugin placement (in or out of process), the other blacklist store.
func baselineMode(mode string) string {
	switch mode {
	case modeRedis:
		return "builtin"
	case modeRedisPlugins:
		return "plugins"
	}
	return ""
}

// storeComparison is one note line per blacklist scenario measured both in
// a Redis mode and in its SQLite counterpart, Redis req/s beside SQLite's
// from the same run, rotation first.
func storeComparison(rows []Row) []string {
	find := func(mode, scenario string) (Row, bool) {
		for _, r := range rows {
			if r.Mode == mode && r.Scenario == scenario && r.RPS > 0 {
				return r, true
			}
		}
		return Row{}, false
	}
	var out []string
	for _, scenario := range []string{scRefreshRot, scRefresh, scVerify} {
		for _, mode := range []string{modeRedis, modeRedisPlugins} {
			r, ok := find(mode, scenario)
			if !ok {
				continue
			}
			s, ok := find(baselineMode(mode), scenario)
			if !ok {
				continue
			}
			place := "in process"
			if mode == modeRedisPlugins {
				place = "out of process"
			}
			out = append(out, fmt.Sprintf("%s, %s: Redis %s req/s vs SQLite %s req/s (%s); CPU/req %s vs %s",
				scenario, place, fmtRate(r.RPS), fmtRate(s.RPS), fmtRatio(Ratio(r.RPS, s.RPS)),
				fmtDur(r.CPUPerReq), fmtDur(s.CPUPerReq)))
		}
	}
	return out
}

// startRedis starts a throw-away redis-server on a free loopback port,
// without persistence, and waits until it answers PING. errNoRedis means
// redis-server is not installed.
func startRedis(ctx context.Context) (*server, error) {
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		return nil, errNoRedis
	}
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	_, port, _ := net.SplitHostPort(addr)
	cmd := exec.Command(bin, "--port", port, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no")
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	var log strings.Builder
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &server{cmd: cmd, addr: addr, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(s.done) }()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		select {
		case <-s.done:
			return nil, fmt.Errorf("redis-server exited: %s", lastLines(log.String(), 5))
		default:
		}
		if redisPing(addr) == nil {
			return s, nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	s.stop()
	return nil, fmt.Errorf("redis-server did not answer PING on %s within 10s", addr)
}

var errNoRedis = errors.New("redis-server is not on PATH (install the redis-server package for the Redis rows)")

// redisPing sends an inline PING and expects +PONG.
func redisPing(addr string) error {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(time.Second))
	if _, err := c.Write([]byte("PING\r\n")); err != nil {
		return err
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return err
	}
	if strings.TrimSpace(line) != "+PONG" {
		return fmt.Errorf("PING answered %q", line)
	}
	return nil
}

// sidecarUsage is the CPU time and peak RSS of pid and its descendants (0
// when pid is 0 or unreadable): a database server (redis-server, or
// PostgreSQL's postmaster and its backends) is no child of jwtd, so its
// share of each request is added to jwtd's tree by hand.
func sidecarUsage(pid int) (time.Duration, int64) {
	if pid == 0 {
		return 0, 0
	}
	u, err := treeUsage(pid)
	if err != nil {
		return 0, 0
	}
	return u.CPU, u.PeakRSS
}
