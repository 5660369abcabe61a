// Package jwtdtest starts real jwtd processes for the module's end-to-end
// tests: a free loopback address, a goroutine-safe buffer for the process's
// output, and a Process that is started, waited on until an endpoint
// answers 200, and stopped when the test ends.
//
// It is for tests only; nothing in jwtd itself imports it.
package jwtdtest

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"testing"
	"time"
)

// SyncBuffer collects a process's output. exec copies stdout and stderr in
// their own goroutines, so the test reading the log while the process runs
// needs the lock.
type SyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// Write appends p under the lock.
func (s *SyncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// String returns everything written so far.
func (s *SyncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// GoBuild builds the Go package pkg (as `go build` takes it, relative to the
// test's directory) into the binary out, for a TestMain that runs real jwtd
// or plugin processes. The error carries go build's output.
func GoBuild(out, pkg string) error {
	if b, err := exec.Command("go", "build", "-o", out, pkg).CombinedOutput(); err != nil {
		return fmt.Errorf("go build -o %s %s: %w\n%s", out, pkg, err, b)
	}
	return nil
}

// FreeAddr returns a loopback host:port that was free a moment ago, for a
// process the test starts next.
func FreeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// Options says how Start waits for a process and how it stops it.
type Options struct {
	// ReadyPath is polled with GET until it answers 200 (default "/readyz").
	ReadyPath string
	// ReadyTimeout bounds that wait (default 30s).
	ReadyTimeout time.Duration
	// StopTimeout is how long the cleanup waits after SIGTERM before it
	// kills the process. Zero means the cleanup kills at once: for tests
	// that stop the process themselves and only need nothing left behind.
	StopTimeout time.Duration
	// FailSlowStop fails the test when the process had to be killed after
	// StopTimeout, for tests that check jwtd shuts down on SIGTERM.
	FailSlowStop bool
}

// Process is a running jwtd started by Start.
type Process struct {
	// Cmd is the started command, for signals beyond Stop (SIGHUP).
	Cmd *exec.Cmd
	// URL is "http://" and the address it serves.
	URL string
	// Log holds the process's stdout and stderr.
	Log *SyncBuffer

	// done holds Wait's result once the process exits; whoever reads it
	// puts it back so the next reader sees it too.
	done chan error
}

// readyClient polls the ready endpoint; its timeout keeps a hung process
// from hanging the test.
var readyClient = &http.Client{Timeout: 10 * time.Second}

// Start runs cmd with its output in a fresh Log, serving at url, and waits
// until url+ReadyPath answers 200; it fails the test when the process exits
// first or is not ready in time. When the test ends the process is stopped
// as Options says, and its log is written to the test's output if the test
// failed.
func Start(t testing.TB, cmd *exec.Cmd, url string, opts Options) *Process {
	t.Helper()
	if opts.ReadyPath == "" {
		opts.ReadyPath = "/readyz"
	}
	if opts.ReadyTimeout == 0 {
		opts.ReadyTimeout = 30 * time.Second
	}
	p := &Process{Cmd: cmd, URL: url, Log: &SyncBuffer{}, done: make(chan error, 1)}
	cmd.Stdout, cmd.Stderr = p.Log, p.Log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.done <- cmd.Wait() }()
	t.Cleanup(func() {
		p.cleanup(t, opts)
		if t.Failed() {
			t.Logf("jwtd %s log:\n%s", url, p.Log)
		}
	})
	deadline := time.Now().Add(opts.ReadyTimeout)
	for {
		if exited, err := p.exited(); exited {
			t.Fatalf("jwtd exited at start: %v\n%s", err, p.Log)
		}
		resp, err := readyClient.Get(url + opts.ReadyPath)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return p
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("jwtd on %s not ready within %v:\n%s", url, opts.ReadyTimeout, p.Log)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// exited reports whether the process has exited, and how, without waiting.
func (p *Process) exited() (bool, error) {
	select {
	case err := <-p.done:
		p.done <- err
		return true, err
	default:
		return false, nil
	}
}

// cleanup stops the process at the end of the test.
func (p *Process) cleanup(t testing.TB, opts Options) {
	if opts.StopTimeout == 0 {
		_ = p.Cmd.Process.Kill()
		<-p.done
		return
	}
	_ = p.Cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(opts.StopTimeout):
		_ = p.Cmd.Process.Kill()
		<-p.done
		if opts.FailSlowStop {
			t.Errorf("jwtd did not stop within %v of SIGTERM", opts.StopTimeout)
		}
	}
}

// Stop sends sig and waits up to timeout for the process to exit, returning
// how it exited; it fails the test when the process does not exit in time.
func (p *Process) Stop(t testing.TB, sig os.Signal, timeout time.Duration) error {
	t.Helper()
	_ = p.Cmd.Process.Signal(sig)
	select {
	case err := <-p.done:
		p.done <- err // for the cleanup
		return err
	case <-time.After(timeout):
		t.Fatalf("jwtd did not exit on %v", sig)
		return nil
	}
}

// SQLiteUserStore returns a [plugins.user_store] section for jwtd.toml on
// the built-in SQLite store at path (relative to the config's directory),
// with the cheapest argon2 cost: the hash format is the same, and logins in
// tests stay fast.
func SQLiteUserStore(path string) string {
	return `[plugins.user_store]
use = "sqlite"
[plugins.user_store.config]
path = "` + path + `"
argon2_time_cost = 1
argon2_memory_cost = 1024
argon2_parallelism = 1
`
}
