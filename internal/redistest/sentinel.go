package redistest

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// FreePort returns a loopback TCP port that was free a moment ago, for tests
// that pass extra listeners to Start (for example "--tls-port").
func FreePort(t testing.TB) int {
	t.Helper()
	port, err := freePort(false)
	if err != nil {
		t.Fatalf("redistest: %v", err)
	}
	return port
}

// StartSentinel starts one Redis Sentinel (redis-server --sentinel) on a free
// loopback port that monitors master under masterName with a quorum of 1,
// and waits until it answers PING. Its Addr is what a Sentinel client takes.
func StartSentinel(t testing.TB, master *Server, masterName string) *Server {
	t.Helper()
	bin := lookBinary(t, "redis-server")
	dir := t.TempDir()
	host, port, err := net.SplitHostPort(master.Addr)
	if err != nil {
		t.Fatalf("redistest: %v", err)
	}
	var lastErr error
	for attempt := 0; attempt < 5; attempt++ {
		sport := FreePort(t)
		// Sentinel rewrites its config file, so it must be a writable file of
		// its own.
		conf := filepath.Join(dir, fmt.Sprintf("sentinel-%d.conf", sport))
		body := fmt.Sprintf("port %d\nbind 127.0.0.1\ndir %s\nsentinel monitor %s %s %s 1\nsentinel down-after-milliseconds %s 1000\n",
			sport, dir, masterName, host, port, masterName)
		if err := os.WriteFile(conf, []byte(body), 0o600); err != nil {
			t.Fatalf("redistest: %v", err)
		}
		s := &Server{
			Addr: "127.0.0.1:" + strconv.Itoa(sport),
			tb:   t,
			dir:  dir,
			log:  filepath.Join(dir, fmt.Sprintf("sentinel-%d.log", sport)),
		}
		s.args = []string{bin, conf, "--sentinel", "--logfile", s.log, "--daemonize", "no"}
		if lastErr = s.start(); lastErr == nil {
			t.Cleanup(s.Stop)
			return s
		}
	}
	t.Fatalf("redistest: starting redis sentinel: %v", lastErr)
	return nil
}
