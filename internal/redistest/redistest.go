// Package redistest starts real redis-server processes for tests: a single
// server (Start) or a Redis Cluster of several masters (StartCluster), each on
// free loopback ports with its own temporary directory, killed when the test
// ends.
//
// The jwtd rule for tests that need Redis: when redis-server (or, for a
// cluster, redis-cli) is not installed, the test is skipped with a loud
// message, unless the environment variable JWTD_REQUIRE_REDIS is set, in which
// case it fails. CI sets JWTD_REQUIRE_REDIS=1 so that a missing package can
// never turn the Redis tests into silent skips.
package redistest

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jwtd/jwtd/internal/dbtest"
)

// RequireEnv names the environment variable that turns a missing
// redis-server into a test failure instead of a skip.
const RequireEnv = "JWTD_REQUIRE_REDIS"

// startTimeout bounds how long a server may take to answer PING (and a
// cluster to reach cluster_state:ok). Generous, because CI machines under
// -race and parallel packages can be slow.
const startTimeout = 20 * time.Second

// Server is one redis-server process listening on 127.0.0.1.
type Server struct {
	// Addr is the server's "127.0.0.1:PORT" address. It stays the same across
	// Stop and Restart.
	Addr string

	tb   testing.TB
	dir  string
	args []string
	log  string

	run dbtest.Slot
}

// Start starts a redis-server on a free loopback port, with persistence off
// and its files in a temporary directory, waits until it answers PING, and
// registers its end with t.Cleanup. Extra args are appended to the command
// line (for example "--requirepass", "secret"). When redis-server is not
// installed, Start skips the test (or fails it under JWTD_REQUIRE_REDIS).
func Start(t testing.TB, args ...string) *Server {
	t.Helper()
	bin := lookBinary(t, "redis-server")
	dir := t.TempDir()
	var lastErr error
	// A free port found by listening and closing can be taken by someone else
	// before redis-server binds it; a few attempts make that race harmless.
	for attempt := 0; attempt < 5; attempt++ {
		port, err := freePort(false)
		if err != nil {
			t.Fatalf("redistest: finding a free port: %v", err)
		}
		s := &Server{
			Addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)),
			tb:   t,
			dir:  dir,
			log:  filepath.Join(dir, fmt.Sprintf("redis-%d.log", port)),
		}
		s.args = append(baseArgs(bin, port, dir, s.log), args...)
		if lastErr = s.start(); lastErr == nil {
			t.Cleanup(s.Stop)
			return s
		}
	}
	t.Fatalf("redistest: starting redis-server: %v", lastErr)
	return nil
}

// baseArgs is the command line every test server shares: loopback only, no
// RDB or AOF files (tests must not depend on persistence), and a log file
// that start-up errors quote.
func baseArgs(bin string, port int, dir, logFile string) []string {
	return []string{
		bin,
		"--port", strconv.Itoa(port),
		"--bind", "127.0.0.1",
		"--dir", dir,
		"--save", "",
		"--appendonly", "no",
		"--logfile", logFile,
		"--daemonize", "no",
	}
}

// start launches the process and waits for it to answer. On failure the
// process is killed and the error quotes the end of its log.
func (s *Server) start() error {
	cmd := exec.Command(s.args[0], s.args[1:]...)
	cmd.Dir = s.dir
	p, err := dbtest.StartProcess(cmd)
	if err != nil {
		return err
	}

	deadline := time.Now().Add(startTimeout)
	for time.Now().Before(deadline) {
		if exited, err := p.Exited(); exited {
			return fmt.Errorf("redis-server on %s exited at start (%v): %s", s.Addr, err, tail(s.log))
		}
		if pingAddr(s.Addr) == nil {
			s.run.Set(p)
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	kill(p)
	return fmt.Errorf("redis-server on %s did not answer PING within %v: %s", s.Addr, startTimeout, tail(s.log))
}

// kill sends SIGKILL and waits for the exit, so that the port is free when
// it returns; false when it did not exit within startTimeout.
func kill(p *dbtest.Process) bool { return p.Signal(syscall.SIGKILL, startTimeout) }

// Stop kills the server (SIGKILL: a crash, as a fault test wants) and waits
// for the process to exit. Stopping a stopped server does nothing.
func (s *Server) Stop() {
	if p := s.run.Take(); p != nil && !kill(p) {
		s.tb.Errorf("redistest: redis-server on %s did not exit after SIGKILL", s.Addr)
	}
}

// Restart starts the server again on the same port (after Stop, or after
// killing it), with an empty data set since persistence is off. A test that
// checks recovery without restarting its client uses it.
func (s *Server) Restart() {
	s.tb.Helper()
	s.Stop()
	// The port was ours a moment ago; redis-server binds with SO_REUSEADDR, so
	// a retry or two covers a slow kernel.
	if err := dbtest.Retry(5, 100*time.Millisecond, s.start); err != nil {
		s.tb.Fatalf("redistest: restarting redis-server on %s: %v", s.Addr, err)
	}
}

// Running reports whether the server process is up (started and not
// stopped).
func (s *Server) Running() bool { return s.run.Running() }

// lookBinary finds name (redis-server, redis-cli) on PATH, or skips (fails
// under JWTD_REQUIRE_REDIS) t.
func lookBinary(t testing.TB, name string) string {
	t.Helper()
	return dbtest.LookBinaryRequired(t, RequireEnv, "redis-server redis-tools", nil, name)
}

// freePort returns a loopback TCP port that was free a moment ago. With
// withBus it also checks port+10000, which a cluster node binds for its
// cluster bus.
func freePort(withBus bool) (int, error) {
	for attempt := 0; attempt < 50; attempt++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return 0, err
		}
		port := l.Addr().(*net.TCPAddr).Port
		l.Close()
		if !withBus {
			return port, nil
		}
		if port+10000 > 65535 {
			continue
		}
		bus, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port+10000)))
		if err != nil {
			continue
		}
		bus.Close()
		return port, nil
	}
	return 0, errors.New("no free port pair for a cluster node")
}

// pingAddr sends a raw RESP PING and accepts PONG, or the NOAUTH refusal of a
// server started with --requirepass (it is up, it just wants a password).
func pingAddr(addr string) error {
	return withConn(addr, func(rw *bufio.ReadWriter) error {
		line, err := roundTrip(rw, "PING")
		if err != nil {
			return err
		}
		if line == "+PONG" || strings.HasPrefix(line, "-NOAUTH") {
			return nil
		}
		return fmt.Errorf("PING answered %q", line)
	})
}

// withConn runs fn on a short-lived connection to addr.
func withConn(addr string, fn func(rw *bufio.ReadWriter) error) error {
	conn, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return err
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(2 * time.Second))
	return fn(bufio.NewReadWriter(bufio.NewReader(conn), bufio.NewWriter(conn)))
}

// roundTrip sends one command as a RESP array and returns the first reply
// line, or, for a bulk string reply, its payload.
func roundTrip(rw *bufio.ReadWriter, args ...string) (string, error) {
	fmt.Fprintf(rw, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(rw, "$%d\r\n%s\r\n", len(a), a)
	}
	if err := rw.Flush(); err != nil {
		return "", err
	}
	line, err := rw.ReadString('\n')
	if err != nil {
		return "", err
	}
	line = strings.TrimRight(line, "\r\n")
	if !strings.HasPrefix(line, "$") {
		return line, nil
	}
	n, err := strconv.Atoi(line[1:])
	if err != nil || n < 0 {
		return line, nil
	}
	buf := make([]byte, n+2)
	if _, err := ioReadFull(rw, buf); err != nil {
		return "", err
	}
	return string(buf[:n]), nil
}

func ioReadFull(rw *bufio.ReadWriter, buf []byte) (int, error) {
	read := 0
	for read < len(buf) {
		n, err := rw.Read(buf[read:])
		read += n
		if err != nil {
			return read, err
		}
	}
	return read, nil
}

// withReply sends one command to addr over a fresh connection and returns
// the reply line (or a bulk reply's payload); an error reply is returned as
// its "-ERR ..." line.
func withReply(addr string, args ...string) (string, error) {
	var out string
	err := withConn(addr, func(rw *bufio.ReadWriter) error {
		var err error
		out, err = roundTrip(rw, args...)
		return err
	})
	return out, err
}

// tail returns the last lines of a log file, for start-up error messages.
func tail(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return "(no log: " + err.Error() + ")"
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) > 8 {
		lines = lines[len(lines)-8:]
	}
	return strings.Join(lines, " | ")
}
