package daemon_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jwtd/jwtd/host/daemon"
	"github.com/jwtd/jwtd/internal/jwtdtest"
)

const memoryConfig = `
[tokens]
signing_key = "daemon-test-secret-0123456789abcdefghij"
[plugins.user_store]
use = "memory"
[plugins.blacklist_store]
use = "memory"
`

func writeConfig(t *testing.T, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "jwtd.toml")
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestGracefulShutdown: when jwtd is told to stop, a request already
// being served still gets its answer, Serve returns cleanly, and the
// listener is closed.
func TestGracefulShutdown(t *testing.T) {
	started := make(chan struct{})
	slow := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path != "/slow" {
				next.ServeHTTP(w, r)
				return
			}
			close(started)
			time.Sleep(500 * time.Millisecond)
			io.WriteString(w, "done")
		})
	}
	srv := startServe(t, memoryConfig, daemon.ServeOptions{Middleware: slow})
	addr, base := srv.addr, srv.base

	answer := make(chan string, 1)
	go func() {
		resp, err := http.Get(base + "/slow")
		if err != nil {
			answer <- "error: " + err.Error()
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		answer <- string(b)
	}()
	<-started
	stopped := make(chan error, 1)
	go func() { stopped <- srv.stop() }()
	if got := <-answer; got != "done" {
		t.Fatalf("in-flight request got %q", got)
	}
	if err := <-stopped; err != nil {
		t.Fatalf("Serve returned %v", err)
	}
	if c, err := net.DialTimeout("tcp", addr.String(), time.Second); err == nil {
		c.Close()
		t.Fatal("still accepting connections after shutdown")
	}
}

func TestServeRefuses(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	cases := []struct {
		name, config, listen, want string
	}{
		{"bad config", strings.Replace(memoryConfig, "[tokens]", "[tokens]\nalgoritm = \"HS256\"", 1), "127.0.0.1:0", "tokens.algoritm"},
		{"weak key", strings.Replace(memoryConfig, "daemon-test-secret-0123456789abcdefghij", "short", 1), "127.0.0.1:0", "signing_key"},
		{"unknown built-in", strings.Replace(memoryConfig, `use = "memory"`, `use = "oracle"`, 1), "127.0.0.1:0", `no built-in "oracle"`},
		{"missing plugin binary", strings.Replace(memoryConfig, `use = "memory"`, `use = "./no-such-plugin"`, 1), "127.0.0.1:0", "no-such-plugin"},
		{"address in use", memoryConfig, busy.Addr().String(), "server.listen"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			err := daemon.Serve(ctx, daemon.ServeOptions{ConfigPath: writeConfig(t, tc.config), Listen: tc.listen, LogOutput: io.Discard})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Serve: %v, want an error naming %q", err, tc.want)
			}
		})
	}
}

// TestLoginThrottle: with [server.throttle] rates set, logins past the
// burst get 429 with Retry-After, other endpoints do not count.
func TestLoginThrottle(t *testing.T) {
	text := "[server.throttle]\nlogin_rate_per_addr = 1\nlogin_burst = 2\n" + memoryConfig
	srv := startServe(t, text, daemon.ServeOptions{})
	base := srv.base
	post := func(path string) *http.Response {
		resp, err := http.Post(base+path, "application/json", strings.NewReader(`{"username": "x", "password": "y"}`))
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp
	}
	for i := range 5 {
		if resp := post("/api/token/verify/"); resp.StatusCode == http.StatusTooManyRequests {
			t.Fatalf("verify %d throttled", i)
		}
	}
	var codes []int
	for range 3 {
		codes = append(codes, post("/api/token/").StatusCode)
	}
	if codes[0] != 401 || codes[1] != 401 || codes[2] != http.StatusTooManyRequests {
		t.Fatalf("login statuses %v, want [401 401 429]", codes)
	}
	if resp := post("/api/token/sliding/"); resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
		t.Errorf("sliding login not throttled: %d", resp.StatusCode)
	}
	if err := srv.stop(); err != nil {
		t.Fatal(err)
	}
}

// TestHeaderCapAnswersJSON: headers over server.max_header_bytes get the
// API's 431 with a JSON body (not Go's plain-text one), at the default cap
// and at a configured one; headers under it are served.
func TestHeaderCapAnswersJSON(t *testing.T) {
	cases := []struct {
		name   string
		extra  string // more [server] keys
		header int    // bytes of one X-Filler header
		status int
	}{
		{"small header, default cap", "", 1 << 10, http.StatusOK},
		{"64 KB header, default cap", "", 64 << 10, http.StatusRequestHeaderFieldsTooLarge},
		{"10 KB header, 8 KiB cap", "max_header_bytes = 8192\n", 10 << 10, http.StatusRequestHeaderFieldsTooLarge},
		{"6 KB header, 8 KiB cap", "max_header_bytes = 8192\n", 6 << 10, http.StatusOK},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := startServe(t, "[server]\npublic_ops = true\n"+tc.extra+memoryConfig, daemon.ServeOptions{})
			addr := srv.addr
			req, _ := http.NewRequest("GET", "http://"+addr.String()+"/healthz", nil)
			req.Header.Set("X-Filler", strings.Repeat("a", tc.header))
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tc.status, body)
			}
			if tc.status == http.StatusRequestHeaderFieldsTooLarge {
				if got := string(body); got != `{"detail":"Request header fields too large."}` {
					t.Errorf("body %q", got)
				}
				if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
					t.Errorf("Content-Type %q", ct)
				}
			}
			// Every answer is counted, the API's own 431s included.
			mresp, err := http.Get(srv.base + "/metrics")
			if err != nil {
				t.Fatal(err)
			}
			metricsText, _ := io.ReadAll(mresp.Body)
			mresp.Body.Close()
			series := fmt.Sprintf(`jwtd_http_requests_total{code="%d",endpoint="healthz"} 1`, tc.status)
			if !strings.Contains(string(metricsText), series) {
				t.Errorf("metrics lack %s", series)
			}
		})
	}
}

// TestOpsEndpoints: /metrics and /readyz's per-plugin detail are not on the
// API listener by default (the old default served both there); with
// server.metrics_listen they are served on that address, /healthz too, and
// with server.public_ops beside the API. The API's requests are counted
// either way.
func TestOpsEndpoints(t *testing.T) {
	get := func(url string) (int, string) {
		t.Helper()
		resp, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	const plainReady = `{"status":"ready"}`
	const detailReady = `{"status":"ready","plugins":{}}`
	cases := []struct {
		name       string
		server     string // [server] keys; %s is a free address
		ownAddress bool
		apiMetrics int    // status of GET /metrics on the API listener
		apiReadyz  string // body of GET /readyz on the API listener
	}{
		{"default", "", false, http.StatusNotFound, plainReady},
		{"public_ops", "public_ops = true\n", false, http.StatusOK, detailReady},
		{"own listener", "metrics_listen = %q\n", true, http.StatusNotFound, plainReady},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			maddr := jwtdtest.FreeAddr(t)
			server := tc.server
			if tc.ownAddress {
				server = fmt.Sprintf(server, maddr)
			}
			srv := startServe(t, "[server]\n"+server+memoryConfig, daemon.ServeOptions{})
			base := srv.base
			if code, _ := get(base + "/healthz"); code != http.StatusOK {
				t.Fatalf("healthz %d", code)
			}
			if code, body := get(base + "/readyz"); code != http.StatusOK || body != tc.apiReadyz {
				t.Errorf("API /readyz: %d %s, want 200 %s", code, body, tc.apiReadyz)
			}
			code, body := get(base + "/metrics")
			if code != tc.apiMetrics {
				t.Errorf("API /metrics: %d, want %d", code, tc.apiMetrics)
			}
			if !tc.ownAddress {
				if code == http.StatusOK && !strings.Contains(body, `endpoint="healthz"`) {
					t.Errorf("metrics do not count healthz:\n%.2000s", body)
				}
				return
			}
			ops := "http://" + maddr
			if code, body := get(ops + "/metrics"); code != http.StatusOK || !strings.Contains(body, `jwtd_http_requests_total{code="200",endpoint="healthz"} 1`) {
				t.Errorf("ops /metrics: %d, want 200 counting the API's healthz:\n%.2000s", code, body)
			}
			if code, body := get(ops + "/readyz"); code != http.StatusOK || body != detailReady {
				t.Errorf("ops /readyz: %d %s, want 200 %s", code, body, detailReady)
			}
			if code, _ := get(ops + "/healthz"); code != http.StatusOK {
				t.Errorf("ops /healthz: %d", code)
			}
			if code, _ := get(ops + "/api/token/"); code != http.StatusNotFound {
				t.Errorf("ops listener serves the API: %d", code)
			}
			if err := srv.stop(); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// served is a daemon.Serve running for a test on a free loopback port.
type served struct {
	addr   net.Addr
	base   string // "http://" + addr
	cancel context.CancelFunc
	done   chan error
}

// startServe runs daemon.Serve with config text (opts' ConfigPath, Listen,
// LogOutput and Ready are filled in) and waits until it accepts
// connections. stop ends it; a test that does not call stop has it
// stopped at cleanup.
func startServe(t *testing.T, text string, opts daemon.ServeOptions) *served {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan net.Addr, 1)
	s := &served{cancel: cancel, done: make(chan error, 1)}
	opts.ConfigPath, opts.Listen, opts.LogOutput, opts.Ready = writeConfig(t, text), "127.0.0.1:0", io.Discard, ready
	go func() { s.done <- daemon.Serve(ctx, opts) }()
	select {
	case s.addr = <-ready:
	case err := <-s.done:
		cancel()
		t.Fatalf("Serve: %v", err)
	}
	s.base = "http://" + s.addr.String()
	t.Cleanup(func() { _ = s.stop() })
	return s
}

// stop cancels Serve and returns its result; later calls return nil.
func (s *served) stop() error {
	if s.cancel == nil {
		return nil
	}
	s.cancel()
	s.cancel = nil
	return <-s.done
}
