package pluginhost_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jwtd/jwtd/host/pluginhost"
	"github.com/jwtd/jwtd/sdk"
)

// procState is the process state letter from /proc/PID/stat ('R', 'S',
// 'T' stopped, 'Z' zombie), or 0 when it cannot be read.
func procState(pid int) byte {
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	// The state follows the parenthesised command name.
	if i := bytes.LastIndexByte(stat, ')'); i >= 0 && i+2 < len(stat) {
		return stat[i+2]
	}
	return 0
}

// alive reports whether pid is a running process (a zombie counts as gone:
// it runs no code and only waits to be reaped).
func alive(pid int) bool {
	if syscall.Kill(pid, 0) != nil {
		return false
	}
	return procState(pid) != 'Z'
}

func waitGone(t *testing.T, pid int, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for alive(pid) {
		if time.Now().After(deadline) {
			t.Fatalf("plugin process %d still running after %v", pid, within)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitStopped waits until the kernel reports pid stopped: kill(SIGSTOP)
// only queues the signal, and a busy machine may let the plugin answer one
// more call before every thread of it has stopped.
func waitStopped(t *testing.T, pid int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for procState(pid) != 'T' {
		if time.Now().After(deadline) {
			t.Fatalf("plugin process %d not stopped (state %q)", pid, procState(pid))
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func pidOf(t *testing.T, h *pluginhost.Host) int {
	t.Helper()
	st := h.Ping(context.Background())
	if len(st) == 0 || st[0].PID == 0 {
		t.Fatalf("no running plugin: %+v", st)
	}
	return st[0].PID
}

var (
	activeUser   = sdk.User{ID: "1", Username: "alice", IsActive: true}
	inactiveUser = sdk.User{ID: "2", Username: "bob"}
)

// TestKillDuringCalls SIGKILLs the plugin under a stream of calls: every
// call answers correctly or fails with sdk.ErrUnavailable, none hangs, and
// the plugin is back (restarted and reconfigured) within seconds.
func TestKillDuringCalls(t *testing.T) {
	ctx := context.Background()
	h := newHost(t)
	rule, err := h.AuthRule(ctx, pluginhost.Spec{Name: "auth_rule", Path: pluginPath("memory"), CallTimeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	bl, err := h.BlacklistStore(ctx, pluginhost.Spec{Name: "blacklist_store", Path: pluginPath("memory"), CallTimeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	pid := pidOf(t, h)

	var ok, unavailable atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				start := time.Now()
				u, want := activeUser, true
				if (i+w)%2 == 1 {
					u, want = inactiveUser, false
				}
				got, err := rule.Allow(ctx, u)
				if took := time.Since(start); took > 5*time.Second {
					t.Errorf("call took %v: hung", took)
				}
				switch {
				case err == nil && got == want:
					ok.Add(1)
				case err == nil:
					t.Errorf("Allow(%s) = %v, want %v", u.Username, got, want)
				case errors.Is(err, sdk.ErrUnavailable):
					unavailable.Add(1)
				default:
					t.Errorf("Allow: %v, want success or sdk.ErrUnavailable", err)
				}
				// A blacklist answer is never a wrong "not blacklisted":
				// an error is the only other outcome.
				if b, err := bl.IsBlacklisted(ctx, "never"); err == nil && b {
					t.Errorf("IsBlacklisted(never) = true")
				} else if err != nil && !errors.Is(err, sdk.ErrUnavailable) {
					t.Errorf("IsBlacklisted: %v, want success or sdk.ErrUnavailable", err)
				}
			}
		}()
	}
	time.Sleep(200 * time.Millisecond)
	before := ok.Load()
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	killedAt := time.Now()

	// Back within a few seconds: calls succeed again from a new process.
	var back time.Duration
	for {
		if time.Since(killedAt) > 10*time.Second {
			close(stop)
			wg.Wait()
			t.Fatalf("plugin not back 10s after SIGKILL; ok=%d unavailable=%d", ok.Load(), unavailable.Load())
		}
		st := h.Ping(ctx)
		if len(st) == 2 && st[0].Up && st[1].Up && st[0].PID != pid && st[0].Restarts >= 1 {
			back = time.Since(killedAt)
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	afterBack := ok.Load()
	time.Sleep(200 * time.Millisecond)
	close(stop)
	wg.Wait()
	if ok.Load() <= afterBack || before == 0 {
		t.Fatalf("calls did not succeed before and after the restart: before=%d afterBack=%d end=%d", before, afterBack, ok.Load())
	}
	t.Logf("back after %v; %d calls ok, %d unavailable", back, ok.Load(), unavailable.Load())
	// The restarted blacklist starts empty (memory store): it is
	// configured again and answers.
	if _, err := bl.IsBlacklisted(ctx, "x"); err != nil {
		t.Fatalf("blacklist after restart: %v", err)
	}
}

func TestCallsFailFastWhileDown(t *testing.T) {
	ctx := context.Background()
	// A long backoff keeps the plugin down for the test.
	h := newHost(t, pluginhost.WithBackoff(time.Minute, time.Minute))
	rule, err := h.AuthRule(ctx, pluginhost.Spec{Path: pluginPath("memory")})
	if err != nil {
		t.Fatal(err)
	}
	pid := pidOf(t, h)
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitGone(t, pid, 5*time.Second)
	// The first call may meet the dead connection; after the supervisor
	// noticed, every call fails at once.
	deadline := time.Now().Add(5 * time.Second)
	for {
		start := time.Now()
		_, err := rule.Allow(ctx, activeUser)
		if !errors.Is(err, sdk.ErrUnavailable) {
			t.Fatalf("Allow on a dead plugin: %v, want sdk.ErrUnavailable", err)
		}
		if strings.Contains(err.Error(), "is down") {
			if took := time.Since(start); took > 500*time.Millisecond {
				t.Fatalf("failing call took %v, want fast", took)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("supervisor never marked the plugin down: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	st := h.Ping(ctx)
	if len(st) != 1 || st[0].Up || !errors.Is(st[0].Err, sdk.ErrUnavailable) || st[0].Name != "auth_rule" {
		t.Fatalf("Ping while down = %+v, want auth_rule down with sdk.ErrUnavailable", st)
	}
}

func TestStartFailures(t *testing.T) {
	ctx := context.Background()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(self)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.New()
	if _, err := io.Copy(sum, f); err != nil {
		t.Fatal(err)
	}
	f.Close()
	goodPin := hex.EncodeToString(sum.Sum(nil))
	badPin := strings.Repeat("ab", 32)

	cases := []struct {
		name    string
		spec    pluginhost.Spec
		kind    string
		wantErr []string
		wantIs  error
	}{
		{"checksum mismatch", pluginhost.Spec{Name: "auth_rule", Path: pluginPath("memory"), SHA256: badPin}, "rule", []string{"auth_rule", "checksum"}, nil},
		{"malformed checksum", pluginhost.Spec{Name: "auth_rule", Path: pluginPath("memory"), SHA256: "xyz"}, "rule", []string{"sha256 must be 64 hex digits"}, nil},
		{"exits at once", pluginhost.Spec{Name: "auth_rule", Path: pluginPath("exits")}, "rule", []string{"auth_rule", "exits", "exited"}, nil},
		{"garbage on stdout", pluginhost.Spec{Name: "user_store", Path: pluginPath("garbage")}, "user", []string{"user_store", "garbage", "hello from a plugin"}, nil},
		{"no such binary", pluginhost.Spec{Name: "user_store", Path: pluginPath("missing")}, "user", []string{"user_store", "no such file"}, nil},
		{"bad config", pluginhost.Spec{Name: "auth_rule", Path: pluginPath("memory"), Config: sdk.Config{"colour": "blue"}}, "rule", []string{"auth_rule", "colour"}, sdk.ErrInvalidConfig},
		{"kind not served", pluginhost.Spec{Name: "user_store", Path: pluginPath("hang")}, "user", []string{"user_store", "does not serve the user_store kind"}, nil},
		{"kind version not spoken", pluginhost.Spec{Name: "auth_rule", Path: pluginPath("future")}, "rule", []string{"plugin auth_rule", "future", "serves auth_rule at protocol version 2", "speaks auth_rule version 1"}, nil},
		{"kind of a future plugin not served", pluginhost.Spec{Name: "user_store", Path: pluginPath("future")}, "user", []string{"user_store", "does not serve the user_store kind (it serves auth_rule)"}, nil},
	}
	h := newHost(t, pluginhost.WithStartTimeout(5*time.Second))
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var err error
			switch tc.kind {
			case "rule":
				_, err = h.AuthRule(ctx, tc.spec)
			case "user":
				_, err = h.UserStore(ctx, tc.spec)
			}
			if err == nil {
				t.Fatal("start succeeded, want an error")
			}
			t.Logf("error: %v", err)
			for _, w := range tc.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Fatalf("error %q does not mention %q", err, w)
				}
			}
			if tc.wantIs != nil && !errors.Is(err, tc.wantIs) {
				t.Fatalf("error %q is not %v", err, tc.wantIs)
			}
		})
	}
	// Failed starts leave nothing behind; the host still works and a
	// correct pin is accepted.
	if st := h.Ping(ctx); len(st) != 0 {
		t.Fatalf("failed plugins still listed: %+v", st)
	}
	rule, err := h.AuthRule(ctx, pluginhost.Spec{Name: "auth_rule", Path: pluginPath("memory"), SHA256: goodPin})
	if err != nil {
		t.Fatalf("correct pin refused: %v", err)
	}
	if ok, err := rule.Allow(ctx, activeUser); err != nil || !ok {
		t.Fatalf("Allow = %v, %v", ok, err)
	}
}

func TestHangingCallHitsDeadline(t *testing.T) {
	ctx := context.Background()
	h := newHost(t)
	rule, err := h.AuthRule(ctx, pluginhost.Spec{Name: "auth_rule", Path: pluginPath("hang"), CallTimeout: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		start := time.Now()
		_, err := rule.Allow(ctx, activeUser)
		took := time.Since(start)
		if !errors.Is(err, sdk.ErrUnavailable) || !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("call %d: %v, want sdk.ErrUnavailable and context.DeadlineExceeded", i, err)
		}
		if took > 3*time.Second {
			t.Fatalf("call %d took %v, want about the 300ms deadline", i, took)
		}
	}
	// The process itself is healthy: it is not restarted for a slow call.
	st := h.Ping(ctx)
	if len(st) != 1 || !st[0].Up || st[0].Restarts != 0 {
		t.Fatalf("Ping = %+v, want up and never restarted", st)
	}
}

func TestCloseKillsPlugins(t *testing.T) {
	ctx := context.Background()
	h := newHost(t)
	rule, err := h.AuthRule(ctx, pluginhost.Spec{Path: pluginPath("memory")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.UserStore(ctx, pluginhost.Spec{Path: pluginPath("memory"), Config: sdk.Config{}}); err != nil {
		t.Fatal(err)
	}
	// A different config is a second process.
	other, err := h.AuthRule(ctx, pluginhost.Spec{Path: pluginPath("hang")})
	if err != nil {
		t.Fatal(err)
	}
	_ = other
	var pids []int
	for _, s := range h.Ping(ctx) {
		pids = append(pids, s.PID)
	}
	if len(pids) != 3 || pids[0] == pids[2] {
		t.Fatalf("pids = %v, want memory shared by two kinds and hang apart", pids)
	}
	if err := h.Close(); err != nil {
		t.Fatal(err)
	}
	for _, pid := range pids {
		waitGone(t, pid, 5*time.Second)
	}
	if _, err := rule.Allow(ctx, activeUser); !errors.Is(err, sdk.ErrUnavailable) {
		t.Fatalf("Allow after Close: %v, want sdk.ErrUnavailable", err)
	}
}

// TestPluginsExitWhenHostKilled runs a helper host process, SIGKILLs it
// (no chance to clean up) and checks that its plugin exits by itself.
func TestPluginsExitWhenHostKilled(t *testing.T) {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(self, "-test.run=^$")
	cmd.Env = append(os.Environ(), envRole+"=host", "JWTD_TEST_PLUGIN="+pluginPath("memory"))
	cmd.Stderr = io.Discard
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("helper host: %v", err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(line))
	if err != nil || !alive(pid) {
		t.Fatalf("helper host said %q, want a running plugin pid", line)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	waitGone(t, pid, 5*time.Second)
}

// TestRestartBacksOffUntilTheBinaryIsBack: while a restart cannot succeed
// (the binary is gone, or swapped for one the pin refuses), the plugin stays
// down with the reason in its status; once the right binary is back, the
// supervisor brings it up.
func TestRestartBacksOffUntilTheBinaryIsBack(t *testing.T) {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.New()
	f, err := os.Open(self)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(sum, f); err != nil {
		t.Fatal(err)
	}
	f.Close()
	pin := hex.EncodeToString(sum.Sum(nil))
	impostor, err := exec.LookPath("true")
	if err != nil {
		t.Skip("no true(1) to stand in as a swapped binary")
	}

	cases := []struct {
		name    string
		replace func(path string) error
		wantErr string
	}{
		{"binary removed", func(string) error { return nil }, "no such file"},
		{"binary swapped", func(path string) error { return os.Symlink(impostor, path) }, "checksum"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			path := t.TempDir() + "/memory"
			if err := os.Symlink(self, path); err != nil {
				t.Fatal(err)
			}
			h := newHost(t, pluginhost.WithBackoff(50*time.Millisecond, 200*time.Millisecond))
			rule, err := h.AuthRule(ctx, pluginhost.Spec{Name: "auth_rule", Path: path, SHA256: pin})
			if err != nil {
				t.Fatal(err)
			}
			pid := pidOf(t, h)
			if err := os.Remove(path); err != nil {
				t.Fatal(err)
			}
			if err := tc.replace(path); err != nil {
				t.Fatal(err)
			}
			if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			waitStatus(t, h, func(s pluginhost.Status) bool {
				return !s.Up && s.Err != nil && strings.Contains(s.Err.Error(), tc.wantErr)
			})
			if _, err := rule.Allow(ctx, activeUser); !errors.Is(err, sdk.ErrUnavailable) {
				t.Fatalf("Allow while the binary is bad: %v, want sdk.ErrUnavailable", err)
			}
			_ = os.Remove(path)
			if err := os.Symlink(self, path); err != nil {
				t.Fatal(err)
			}
			waitStatus(t, h, func(s pluginhost.Status) bool { return s.Up && s.Restarts == 1 })
			if ok, err := rule.Allow(ctx, activeUser); err != nil || !ok {
				t.Fatalf("Allow after the binary is back = %v, %v", ok, err)
			}
		})
	}
}

func waitStatus(t *testing.T, h *pluginhost.Host, ok func(pluginhost.Status) bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	var last []pluginhost.Status
	for time.Now().Before(deadline) {
		last = h.Ping(context.Background())
		if len(last) == 1 && ok(last[0]) {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("status never reached the wanted state; last %+v", last)
}

// TestWedgedPluginIsRestarted stops a plugin (SIGSTOP): it still exists but
// answers nothing. Calls fail with sdk.ErrUnavailable at their deadline,
// and after missed health checks the supervisor replaces the process.
func TestWedgedPluginIsRestarted(t *testing.T) {
	ctx := context.Background()
	h := newHost(t, pluginhost.WithHealthTimeout(200*time.Millisecond))
	rule, err := h.AuthRule(ctx, pluginhost.Spec{Name: "auth_rule", Path: pluginPath("memory"), CallTimeout: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	pid := pidOf(t, h)
	if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = syscall.Kill(pid, syscall.SIGKILL) })
	waitStopped(t, pid)
	if _, err := rule.Allow(ctx, activeUser); !errors.Is(err, sdk.ErrUnavailable) {
		t.Fatalf("Allow on a stopped plugin: %v, want sdk.ErrUnavailable", err)
	}
	waitStatus(t, h, func(s pluginhost.Status) bool { return s.Up && s.Restarts == 1 && s.PID != pid })
	if ok, err := rule.Allow(ctx, activeUser); err != nil || !ok {
		t.Fatalf("Allow after the restart = %v, %v", ok, err)
	}
	waitGone(t, pid, 5*time.Second)
}

// TestCloseWithAWedgedPlugin: Close does not wait forever on a plugin that
// cannot answer go-plugin's shutdown request; it kills it.
func TestCloseWithAWedgedPlugin(t *testing.T) {
	ctx := context.Background()
	h := newHost(t, pluginhost.WithHealthInterval(time.Hour))
	if _, err := h.AuthRule(ctx, pluginhost.Spec{Path: pluginPath("memory")}); err != nil {
		t.Fatal(err)
	}
	pid := pidOf(t, h)
	if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = syscall.Kill(pid, syscall.SIGKILL) })
	start := time.Now()
	if err := h.Close(); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took > 10*time.Second {
		t.Fatalf("Close took %v", took)
	}
	waitGone(t, pid, 5*time.Second)
}
