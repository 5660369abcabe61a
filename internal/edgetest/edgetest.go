// Package edgetest starts the real programs jwtd meets at the edge — nginx,
// Caddy and headless Chromium — for end-to-end tests: each on a free
// loopback port, with its files in the test's temp dir, and stopped (its
// whole process group) when the test ends, also when the test binary is
// killed (Pdeathsig).
//
// A test that needs a program absent from the machine is skipped with a
// loud message, unless the program's JWTD_REQUIRE_… variable is set: then
// it fails, as CI wants.
//
// It is for tests only; nothing in jwtd itself imports it.
package edgetest

import (
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jwtd/jwtd/internal/jwtdtest"
)

// Program names a binary a test needs and the variable that makes its
// absence a failure.
type Program struct {
	Name    string // as the Debian package installs it
	Env     string // JWTD_REQUIRE_…
	Package string // the Debian package to install
}

// The programs of this package.
var (
	Nginx    = Program{"nginx", "JWTD_REQUIRE_NGINX", "nginx"}
	Caddy    = Program{"caddy", "JWTD_REQUIRE_CADDY", "caddy"}
	Chromium = Program{"chromium", "JWTD_REQUIRE_CHROMIUM", "chromium"}
)

// Find returns the program's path, or skips the test loudly (fails it when
// the program's variable is set).
func (p Program) Find(t testing.TB) string {
	t.Helper()
	path, err := exec.LookPath(p.Name)
	if err != nil {
		// Debian installs nginx in /usr/sbin, outside a user's PATH.
		for _, dir := range []string{"/usr/sbin", "/usr/bin"} {
			if _, serr := os.Stat(filepath.Join(dir, p.Name)); serr == nil {
				return filepath.Join(dir, p.Name)
			}
		}
		msg := fmt.Sprintf("%s not found (apt-get install %s): end-to-end test NOT RUN", p.Name, p.Package)
		if os.Getenv(p.Env) != "" {
			t.Fatalf("%s, but %s is set", msg, p.Env)
		}
		t.Skipf("SKIPPED: %s; set %s=1 to make this a failure", msg, p.Env)
	}
	return path
}

// Proc is a program Start started.
type Proc struct {
	// Log holds its stdout and stderr.
	Log *jwtdtest.SyncBuffer
	// Done is closed when it has exited.
	Done <-chan struct{}
}

// Start runs cmd in a process group of its own that dies with the test
// binary, logs its output to the test on failure, and at cleanup kills the
// whole group and checks that nothing of it is left.
func Start(t testing.TB, cmd *exec.Cmd) *Proc {
	t.Helper()
	log := &jwtdtest.SyncBuffer{}
	if cmd.Stdout == nil {
		cmd.Stdout = log
	}
	cmd.Stderr = log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pgid := cmd.Process.Pid
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		syscall.Kill(-pgid, syscall.SIGKILL)
		<-done
		if err := waitGroupGone(pgid, 5*time.Second); err != nil {
			t.Errorf("%s: %v", filepath.Base(cmd.Path), err)
		}
		if t.Failed() {
			t.Logf("%s output:\n%s", filepath.Base(cmd.Path), log)
		}
	})
	return &Proc{Log: log, Done: done}
}

// waitGroupGone waits until no process of group pgid is left; children
// that escaped the group leader's death are killed again meanwhile.
func waitGroupGone(pgid int, within time.Duration) error {
	deadline := time.Now().Add(within)
	for {
		if err := syscall.Kill(-pgid, 0); errors.Is(err, syscall.ESRCH) {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("processes of group %d still running after %v", pgid, within)
		}
		syscall.Kill(-pgid, syscall.SIGKILL)
		time.Sleep(20 * time.Millisecond)
	}
}

// WaitHTTP polls url until it answers at all (any status), for a server
// the test started as p; it fails the test when p exits or after timeout.
func WaitHTTP(t testing.TB, url string, timeout time.Duration, p *Proc) {
	t.Helper()
	c := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(timeout)
	for {
		resp, err := c.Get(url)
		if err == nil {
			resp.Body.Close()
			return
		}
		select {
		case <-p.Done:
			t.Fatalf("exited before %s answered:\n%s", url, p.Log)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not answer within %v: %v\n%s", url, timeout, err, p.Log)
		}
		time.Sleep(30 * time.Millisecond)
	}
}

// StartNginx writes the http{} block body into a config of its own (one
// process, every file in a temp dir) and runs the real nginx on addr. The
// body uses ADDR for addr. It returns "http://"+addr once nginx answers.
func StartNginx(t testing.TB, addr, httpBody string) string {
	t.Helper()
	bin := Nginx.Find(t)
	dir := t.TempDir()
	var temps strings.Builder
	for _, k := range []string{"client_body", "proxy", "fastcgi", "uwsgi", "scgi"} {
		fmt.Fprintf(&temps, "  %s_temp_path %s;\n", k, filepath.Join(dir, k))
	}
	conf := fmt.Sprintf(`daemon off;
master_process off;
pid %s;
error_log stderr info;
events { worker_connections 64; }
http {
  access_log off;
%s%s
}
`, filepath.Join(dir, "nginx.pid"), temps.String(), strings.ReplaceAll(httpBody, "ADDR", addr))
	path := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(path, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-p", dir, "-c", path, "-e", "stderr")
	WaitHTTP(t, "http://"+addr+"/", 10*time.Second, Start(t, cmd))
	return "http://" + addr
}

// StartCaddy runs the real Caddy on a Caddyfile (no admin endpoint, no
// automatic HTTPS, its data and config in a temp dir). The Caddyfile uses
// ADDR for addr; a global options block is prepended. It returns
// "http://"+addr once Caddy answers.
func StartCaddy(t testing.TB, addr, caddyfile string) string {
	t.Helper()
	bin := Caddy.Find(t)
	dir := t.TempDir()
	text := "{\n\tadmin off\n\tauto_https off\n\tstorage file_system " + filepath.Join(dir, "data") + "\n}\n" +
		strings.ReplaceAll(caddyfile, "ADDR", addr)
	path := filepath.Join(dir, "Caddyfile")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "run", "--config", path, "--adapter", "caddyfile")
	cmd.Env = []string{"HOME=" + dir, "XDG_DATA_HOME=" + dir, "XDG_CONFIG_HOME=" + dir, "PATH=/usr/bin:/bin"}
	WaitHTTP(t, "http://"+addr+"/", 15*time.Second, Start(t, cmd))
	return "http://" + addr
}

// FreeAddr is jwtdtest.FreeAddr, for callers of this package.
func FreeAddr(t testing.TB) string { return jwtdtest.FreeAddr(t) }
