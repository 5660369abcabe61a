// Package dbtest holds what the database test harnesses (internal/pgtest,
// internal/mariadbtest, and for its process plumbing internal/redistest)
// share: the rule for a missing server binary, free loopback ports, a server
// process that dies with the test binary, starting, retrying and stopping it
// (server.go), and the tail of a server log for error messages.
//
// The jwtd rule for tests that need a SQL server: when its binaries are not
// installed, the test is skipped with a loud message, unless the environment
// variable JWTD_REQUIRE_SQL is set, in which case it fails. CI sets
// JWTD_REQUIRE_SQL=1 so that a missing package can never turn the database
// tests into silent skips.
package dbtest

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// RequireEnv names the environment variable that turns a missing database
// server binary into a test failure instead of a skip.
const RequireEnv = "JWTD_REQUIRE_SQL"

// StartTimeout bounds how long a server may take to initialise its data
// directory or to accept connections. Generous, because CI machines running
// packages in parallel under -race can be slow.
const StartTimeout = 60 * time.Second

// LookBinary returns the path of the first of names found on PATH or in one
// of dirs, or skips (or, under JWTD_REQUIRE_SQL, fails) t, naming the Debian
// package to install.
func LookBinary(t testing.TB, pkg string, dirs []string, names ...string) string {
	t.Helper()
	return LookBinaryRequired(t, RequireEnv, pkg, dirs, names...)
}

// LookBinaryRequired is LookBinary for a harness with its own require
// variable (redistest's JWTD_REQUIRE_REDIS): missing binaries skip loudly,
// or fail t when requireEnv is set.
func LookBinaryRequired(t testing.TB, requireEnv, pkg string, dirs []string, names ...string) string {
	t.Helper()
	for _, name := range names {
		if path, err := exec.LookPath(name); err == nil {
			return path
		}
		for _, dir := range dirs {
			path := filepath.Join(dir, name)
			if st, err := os.Stat(path); err == nil && !st.IsDir() && st.Mode()&0o111 != 0 {
				return path
			}
		}
	}
	if os.Getenv(requireEnv) != "" {
		t.Fatalf("%s not installed and %s is set: install it (Debian: apt-get install %s)", strings.Join(names, "/"), requireEnv, pkg)
		return ""
	}
	t.Skipf("SKIPPING: %s not installed (Debian package %s); set %s=1 to make this fatal", strings.Join(names, "/"), pkg, requireEnv)
	return ""
}

// FreePort returns a loopback TCP port that was free a moment ago.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("dbtest: finding a free port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// Account is the unprivileged user a server runs as when the test runs as
// root (PostgreSQL refuses to run as root). Nil means "as the test itself".
type Account struct {
	Name     string
	UID, GID uint32
}

// RunAs returns the account name's ids when the test runs as root, or nil
// when it does not (then the server runs as the test's own user). A root
// test without that account fails: the package that installs the server
// creates it.
func RunAs(t testing.TB, name string) *Account {
	t.Helper()
	if os.Geteuid() != 0 {
		return nil
	}
	u, err := user.Lookup(name)
	if err != nil {
		t.Fatalf("dbtest: running as root needs the %q account to run the server as: %v", name, err)
	}
	uid, _ := strconv.ParseUint(u.Uid, 10, 32)
	gid, _ := strconv.ParseUint(u.Gid, 10, 32)
	return &Account{Name: name, UID: uint32(uid), GID: uint32(gid)}
}

// OwnedDir makes dir (and its parent, a testing.T temporary directory that
// is created private to the test's user) reachable for acc, and returns a new
// directory below it that acc owns. With acc nil it is simply dir/sub.
func OwnedDir(t testing.TB, dir, sub string, acc *Account) string {
	t.Helper()
	path := filepath.Join(dir, sub)
	if err := os.Mkdir(path, 0o700); err != nil {
		t.Fatalf("dbtest: %v", err)
	}
	if acc == nil {
		return path
	}
	// Traverse only (0711): the server's user can reach its own directory
	// but cannot list the test's other files.
	for _, d := range []string{filepath.Dir(dir), dir} {
		if err := os.Chmod(d, 0o711); err != nil {
			t.Fatalf("dbtest: %v", err)
		}
	}
	if err := os.Chown(path, int(acc.UID), int(acc.GID)); err != nil {
		t.Fatalf("dbtest: %v", err)
	}
	return path
}

// Command returns an exec.Cmd for a server binary that runs as acc (when not
// nil), writes its output to logFile, and is killed when the test binary
// dies (Pdeathsig), so that a crashed or killed test leaves no server
// behind.
func Command(logFile string, acc *Account, name string, args ...string) (*exec.Cmd, error) {
	cmd := exec.Command(name, args...)
	log, err := os.OpenFile(logFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	cmd.Stdout, cmd.Stderr = log, log
	// Go sets the parent-death signal after switching credentials, so it
	// survives the switch to acc.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if acc != nil {
		cmd.SysProcAttr.Credential = &syscall.Credential{Uid: acc.UID, Gid: acc.GID}
		cmd.Env = append(os.Environ(), "HOME="+filepath.Dir(logFile), "USER="+acc.Name, "LOGNAME="+acc.Name)
	}
	return cmd, nil
}

// Run runs a one-shot command (initdb, mariadb-install-db) as Command sets
// it up and returns an error quoting the end of its log when it fails.
func Run(logFile string, acc *Account, name string, args ...string) error {
	cmd, err := Command(logFile, acc, name, args...)
	if err != nil {
		return err
	}
	defer cmd.Stdout.(*os.File).Close()
	if err := cmd.Start(); err != nil {
		return err
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			return fmt.Errorf("%s: %v: %s", filepath.Base(name), err, Tail(logFile))
		}
		return nil
	case <-time.After(StartTimeout):
		_ = cmd.Process.Kill()
		<-done
		return fmt.Errorf("%s did not finish within %v: %s", filepath.Base(name), StartTimeout, Tail(logFile))
	}
}

// Process is one run of a server; Done closes when it has exited.
type Process struct {
	cmd  *exec.Cmd
	done chan struct{}
	err  error
}

// StartProcess starts cmd and watches for its exit.
func StartProcess(cmd *exec.Cmd) (*Process, error) {
	err := cmd.Start()
	if f, ok := cmd.Stdout.(*os.File); ok {
		f.Close() // the child holds its own copy
	}
	if err != nil {
		return nil, err
	}
	p := &Process{cmd: cmd, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

// Exited reports whether the process has exited, and how.
func (p *Process) Exited() (bool, error) {
	select {
	case <-p.done:
		return true, p.err
	default:
		return false, nil
	}
}

// Signal sends sig and waits up to wait for the process to exit; when it
// has not, it is killed. It reports whether the process exited in time.
func (p *Process) Signal(sig os.Signal, wait time.Duration) bool {
	_ = p.cmd.Process.Signal(sig)
	select {
	case <-p.done:
		return true
	case <-time.After(wait):
	}
	_ = p.cmd.Process.Kill()
	select {
	case <-p.done:
	case <-time.After(StartTimeout):
	}
	return false
}

// Pid is the server process's id.
func (p *Process) Pid() int { return p.cmd.Process.Pid }

// WaitReady polls ready every 50ms until it returns nil, the process exits,
// or StartTimeout passes.
func WaitReady(p *Process, logFile string, ready func() error) error {
	deadline := time.Now().Add(StartTimeout)
	var last error
	for time.Now().Before(deadline) {
		if exited, err := p.Exited(); exited {
			return fmt.Errorf("exited at start (%v): %s", err, Tail(logFile))
		}
		if last = ready(); last == nil {
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("not ready within %v (%v): %s", StartTimeout, last, Tail(logFile))
}

// Tail returns the error lines of a log file and its last lines, for
// start-up error messages: a failing mariadb-install-db ends its log with
// a page of advice, and the server's own [ERROR] lines come before it.
func Tail(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return "(no log: " + err.Error() + ")"
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	last := max(len(lines)-10, 0)
	var out []string
	for _, line := range lines[:last] {
		if len(out) < 10 && (strings.Contains(line, "ERROR") || strings.Contains(line, "FATAL") || strings.Contains(line, "PANIC")) {
			out = append(out, line)
		}
	}
	if len(out) > 0 {
		out = append(out, "...")
	}
	return strings.Join(append(out, lines[last:]...), " | ")
}

// Children returns the ids of pid's child processes, read from /proc.
// PostgreSQL's backends put themselves in sessions of their own (setsid), so
// signalling the postmaster's process group does not reach them.
func Children(pid int) []int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var out []int
	for _, e := range entries {
		child, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		if ppid, ok := procField(string(stat), 1); ok && ppid == strconv.Itoa(pid) {
			out = append(out, child)
		}
	}
	return out
}

// FreezeTimeout bounds how long Freeze waits for a process to stop.
const FreezeTimeout = 10 * time.Second

// Freeze sends SIGSTOP to pid and waits until every thread of it has
// stopped. kill(2) returns as soon as the signal is queued: the kernel
// wakes one thread, which then stops the others once it is scheduled. On a
// loaded machine that takes milliseconds, during which the server's other
// threads keep answering queries — a test that freezes a server and then
// expects a query to hang would see it answered.
func Freeze(pid int) error {
	if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
		return fmt.Errorf("SIGSTOP to %d: %w", pid, err)
	}
	deadline := time.Now().Add(FreezeTimeout)
	for {
		stopped, err := Stopped(pid)
		if err != nil || stopped {
			return err
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("process %d did not stop within %v of SIGSTOP", pid, FreezeTimeout)
		}
		time.Sleep(time.Millisecond)
	}
}

// Stopped reports whether every thread of pid is stopped by a job-control
// signal (state T in /proc/PID/task/TID/stat) or dead (a zombie, Z or X:
// a stopped parent does not reap its children).
func Stopped(pid int) (bool, error) {
	dir := filepath.Join("/proc", strconv.Itoa(pid), "task")
	tasks, err := os.ReadDir(dir)
	if err != nil {
		return false, err
	}
	for _, task := range tasks {
		stat, err := os.ReadFile(filepath.Join(dir, task.Name(), "stat"))
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				continue // a thread that has just exited
			}
			return false, err
		}
		if state, ok := procField(string(stat), 0); !ok || !strings.Contains("TZX", state) {
			return false, nil
		}
	}
	return true, nil
}

// procField returns field n (0 is the state, 1 the parent's pid) of a
// /proc stat line after the command name, "pid (comm) state ppid ...":
// comm may hold spaces and parentheses, so fields are read after its last
// ')'.
func procField(stat string, n int) (string, bool) {
	i := strings.LastIndexByte(stat, ')')
	if i < 0 {
		return "", false
	}
	fields := strings.Fields(stat[i+1:])
	if len(fields) <= n {
		return "", false
	}
	return fields[n], true
}
