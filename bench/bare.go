package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// bareBody is the fixed JSON the bare handler answers with: about the size
// of a verify/authenticate answer.
var bareBody = []byte(`{"id":"1","username":"bench"}`)

// bareHandler is the baseline: the least a Go HTTP service can do per
// request (read the body, write fixed JSON).
func bareHandler(w http.ResponseWriter, r *http.Request) {
	_, _ = io.Copy(io.Discard, r.Body)
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(bareBody)
}

// serveBareEnv, set to 1, makes the process serve the bare handler.
const serveBareEnv = "JWTD_BENCH_SERVE_BARE"

// serveBare is the -serve-bare mode: listen on a free loopback port, print
// "LISTEN <addr>" and serve until stdin closes (the parent went away).
func serveBare() error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	fmt.Printf("LISTEN %s\n", ln.Addr())
	go func() {
		_, _ = io.Copy(io.Discard, os.Stdin)
		os.Exit(0)
	}()
	srv := &http.Server{Handler: http.HandlerFunc(bareHandler), ReadHeaderTimeout: 5 * time.Second}
	return srv.Serve(ln)
}

// server is a started server process.
type server struct {
	cmd   *exec.Cmd
	addr  string        // host:port
	done  chan struct{} // closed when the process exits
	stdin io.Closer
}

func (s *server) pid() int { return s.cmd.Process.Pid }

// stop ends the process: SIGTERM, then SIGKILL after a grace period.
func (s *server) stop() {
	if s.stdin != nil {
		s.stdin.Close()
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(5 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
	}
}

// startBare re-executes this program in -serve-bare mode, so the bare
// handler's CPU and RSS are its own, apart from the load generator's.
func startBare() (*server, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(exe, "-serve-bare")
	// The variable lets a test binary (which has no -serve-bare flag) take
	// the same path in TestMain.
	cmd.Env = append(os.Environ(), serveBareEnv+"=1")
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &server{cmd: cmd, done: make(chan struct{}), stdin: stdin}
	go func() { _ = cmd.Wait(); close(s.done) }()
	line := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		if sc.Scan() {
			line <- sc.Text()
		}
		close(line)
		_, _ = io.Copy(io.Discard, stdout)
	}()
	select {
	case l := <-line:
		addr, ok := strings.CutPrefix(l, "LISTEN ")
		if !ok {
			s.stop()
			return nil, fmt.Errorf("bare server said %q", l)
		}
		s.addr = addr
		return s, nil
	case <-time.After(10 * time.Second):
		s.stop()
		return nil, fmt.Errorf("bare server did not start within 10s")
	}
}
