package dbtest

import (
	"context"
	"database/sql"
	"os"
	"sync"
	"testing"
	"time"
)

// Launch starts bin as Command sets it up, waits (WaitReady) until ready
// answers, and returns the running process. When the server does not come
// up it is sent onFail (and killed if that does not end it), so that a
// failed attempt leaves nothing behind and its port can be tried again.
func Launch(logFile string, acc *Account, bin string, args []string, ready func() error, onFail os.Signal) (*Process, error) {
	cmd, err := Command(logFile, acc, bin, args...)
	if err != nil {
		return nil, err
	}
	p, err := StartProcess(cmd)
	if err != nil {
		return nil, err
	}
	if err := WaitReady(p, logFile, ready); err != nil {
		p.Signal(onFail, 10*time.Second)
		return nil, err
	}
	return p, nil
}

// Retry calls try up to attempts times, pausing between failures, and
// returns the last error: a free port can be taken by someone else before
// the server binds it, and a port that was ours a moment ago may not be
// free again yet on a slow kernel.
func Retry(attempts int, pause time.Duration, try func() error) error {
	var err error
	for i := 0; i < attempts; i++ {
		if i > 0 {
			time.Sleep(pause)
		}
		if err = try(); err == nil {
			return nil
		}
	}
	return err
}

// Slot holds a harness server's running process between Start, Stop and
// Restart (pgtest, mariadbtest, redistest); the zero value holds none. It
// is safe for concurrent use, since a test's cleanup may stop a server
// another goroutine is looking at.
type Slot struct {
	mu   sync.Mutex
	proc *Process
}

// Set records p as the running process.
func (s *Slot) Set(p *Process) {
	s.mu.Lock()
	s.proc = p
	s.mu.Unlock()
}

// Take returns the running process (nil when none) and empties the slot,
// so that only one Stop acts on a process.
func (s *Slot) Take() *Process {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.proc
	s.proc = nil
	return p
}

// Running reports whether the slot holds a process (started and not
// stopped).
func (s *Slot) Running() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.proc != nil
}

// Pid is the running process's id; it fails tb, naming the server as
// what, when none is running.
func (s *Slot) Pid(tb testing.TB, what string) int {
	s.mu.Lock()
	p := s.proc
	s.mu.Unlock()
	if p == nil {
		tb.Fatalf("%s is not running", what)
	}
	return p.Pid()
}

// Lifecycle is what the SQL harnesses' servers (pgtest.Server,
// mariadbtest.Server) offer for fault tests.
type Lifecycle interface {
	Stop()
	Restart()
	Running() bool
	Freeze()
	Thaw()
}

// CheckLifecycle is the harnesses' shared test of srv: Stop ends the server
// (and a second Stop is harmless), Restart brings it back on the same port
// (port reads it) with its data, Freeze makes it stop answering until Thaw.
// db is a connection to a database on srv whose table t holds one row,
// v = 'kept'; frozen checks, right after Freeze, that the server's
// processes have stopped.
func CheckLifecycle(t *testing.T, srv Lifecycle, port func() int, db *sql.DB, frozen func()) {
	t.Helper()
	ctx := context.Background()
	before := port()
	srv.Stop()
	if srv.Running() {
		t.Fatal("Running after Stop")
	}
	if err := db.PingContext(ctx); err == nil {
		t.Fatal("a stopped server still answers")
	}
	srv.Stop() // a second Stop is harmless
	srv.Restart()
	if after := port(); after != before {
		t.Fatalf("Restart moved the server from port %d to %d", before, after)
	}
	// The data directory survives a crash: a committed row is still there.
	var v string
	if err := db.QueryRowContext(ctx, "SELECT v FROM t").Scan(&v); err != nil || v != "kept" {
		t.Fatalf("after restart: %q, %v; want the committed row", v, err)
	}

	srv.Freeze()
	frozen()
	short, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	err := db.QueryRowContext(short, "SELECT v FROM t").Scan(&v)
	cancel()
	if err == nil {
		t.Fatal("a frozen server answered a query")
	}
	srv.Thaw()
	if err := db.QueryRowContext(ctx, "SELECT v FROM t").Scan(&v); err != nil {
		t.Fatalf("after Thaw: %v", err)
	}
}
