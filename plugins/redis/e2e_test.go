package redis_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jwtd/jwtd/host/cli"
	"github.com/jwtd/jwtd/internal/jwtdtest"
	"github.com/jwtd/jwtd/internal/redistest"
)

// envRole makes the test binary run as jwtd itself (cli.Main, exactly what
// cmd/jwtd runs), so that the end-to-end tests below start real jwtd
// processes without a separate build.
const envRole = "JWTD_REDIS_TEST_ROLE"

// runRole is called by TestMain: it runs jwtd and reports true when the
// environment asks for it.
func runRole() bool {
	if os.Getenv(envRole) != "jwtd" {
		return false
	}
	os.Exit(cli.Main(context.Background(), os.Args[1:], cli.Env{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr}))
	return true
}

// e2eConfig writes a jwtd config sharing one HMAC key, one SQLite user
// database and the Redis at redisAddr, with rotation and
// blacklist-after-rotation on, adds user alice, and returns its path.
func e2eConfig(t testing.TB, redisAddr string) string {
	t.Helper()
	return jwtdConfig(t, fmt.Sprintf(`
[plugins.blacklist_store]
use = "redis"
[plugins.blacklist_store.config]
addrs = [%q]
dial_timeout = "300ms"
read_timeout = "300ms"
write_timeout = "300ms"
`, redisAddr))
}

// jwtdConfig writes a jwtd config with the given blacklist section (see
// e2eConfig), adds alice, and returns its path.
func jwtdConfig(t testing.TB, blacklist string) string {
	t.Helper()
	dir := t.TempDir()
	text := fmt.Sprintf(`
[tokens]
signing_key = "file:jwtd.key"
rotate_refresh_tokens = true
blacklist_after_rotation = true

%s%s`, jwtdtest.SQLiteUserStore("users.db"), blacklist)
	path := filepath.Join(dir, "jwtd.toml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	code := cli.Main(context.Background(), []string{"user", "add", "alice", "--config", path},
		cli.Env{Stdin: strings.NewReader("alice-password-1\n"), Stdout: &out, Stderr: &errb})
	if code != 0 {
		t.Fatalf("jwtd user add: exit %d: %s", code, errb.String())
	}
	return path
}

// jwtdProc is a running jwtd process.
type jwtdProc struct {
	*jwtdtest.Process
}

// startJWTD runs `jwtd serve --config cfg` on a free loopback port and waits
// until /readyz answers 200. It is stopped (SIGTERM) when the test ends.
func startJWTD(t *testing.T, cfg string) *jwtdProc {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	addr := net.JoinHostPort("127.0.0.1", fmt.Sprint(redistest.FreePort(t)))
	cmd := exec.Command(self, "serve", "--config", cfg, "--listen", addr)
	cmd.Env = append(os.Environ(), envRole+"=jwtd")
	return &jwtdProc{jwtdtest.Start(t, cmd, "http://"+addr, jwtdtest.Options{StopTimeout: 10 * time.Second})}
}

var httpClient = &http.Client{Timeout: 10 * time.Second}

// post sends a JSON body and returns the status and decoded JSON answer;
// status 0 means the request itself failed.
func (p *jwtdProc) post(t *testing.T, path string, body map[string]string) (int, map[string]any) {
	t.Helper()
	raw, _ := json.Marshal(body)
	resp, err := httpClient.Post(p.URL+path, "application/json", bytes.NewReader(raw))
	if err != nil {
		return 0, nil
	}
	return decode(t, resp)
}

func (p *jwtdProc) get(t *testing.T, path string) (int, map[string]any) {
	t.Helper()
	resp, err := httpClient.Get(p.URL + path)
	if err != nil {
		return 0, nil
	}
	return decode(t, resp)
}

func decode(t *testing.T, resp *http.Response) (int, map[string]any) {
	t.Helper()
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, nil
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Errorf("%s %s: status %d, body is not a JSON object: %q", resp.Request.Method, resp.Request.URL.Path, resp.StatusCode, raw)
	}
	return resp.StatusCode, m
}

// obtain logs alice in and returns her refresh token.
func (p *jwtdProc) obtain(t *testing.T) string {
	t.Helper()
	status, body := p.post(t, "/api/token/", map[string]string{"username": "alice", "password": "alice-password-1"})
	refresh, _ := body["refresh"].(string)
	if status != http.StatusOK || refresh == "" {
		t.Fatalf("obtain: %d %v", status, body)
	}
	return refresh
}

// Two jwtd processes share one Redis: a refresh token blacklisted through
// one is refused by the other, and concurrent rotations of one refresh
// token spread over both give exactly one success.
func TestTwoInstancesShareOneRedis(t *testing.T) {
	if testing.Short() {
		t.Skip("starts two jwtd processes; skipped under -short")
	}
	t.Parallel()
	srv := redistest.Start(t)
	cfg := e2eConfig(t, srv.Addr)
	a, b := startJWTD(t, cfg), startJWTD(t, cfg)

	refresh := a.obtain(t)
	if status, body := b.post(t, "/api/token/verify/", map[string]string{"token": refresh}); status != http.StatusOK {
		t.Fatalf("verify on b before blacklisting: %d %v", status, body)
	}
	if status, body := a.post(t, "/api/token/blacklist/", map[string]string{"refresh": refresh}); status != http.StatusOK {
		t.Fatalf("blacklist on a: %d %v", status, body)
	}
	status, body := b.post(t, "/api/token/refresh/", map[string]string{"refresh": refresh})
	if status != http.StatusUnauthorized || body["detail"] != "Token is blacklisted" {
		t.Fatalf("refresh on b of a token blacklisted on a: %d %v; want 401 Token is blacklisted", status, body)
	}

	// Concurrent rotations of one refresh token, half through each instance.
	refresh = b.obtain(t)
	jwtdtest.OneWinner(t, 20, func(i int) int {
		p := a
		if i%2 == 1 {
			p = b
		}
		status, _ := p.post(t, "/api/token/refresh/", map[string]string{"refresh": refresh})
		return status
	})
}

// Redis stopped during a stream of requests: every request that needs the
// blacklist is a 503 with a JSON body, never a success, and /readyz says
// so; Redis started again: the same jwtd process serves again. The change
// feed is on (the default): a token nobody revoked may still be verified
// from memory until the feed's max lag (100 ms) has passed since Redis
// went away, a revoked one never is.
func TestRedisFaultOverHTTP(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a jwtd process; skipped under -short")
	}
	t.Parallel()
	srv := redistest.Start(t)
	p := startJWTD(t, e2eConfig(t, srv.Addr))
	token := p.obtain(t)
	verify := func() (int, map[string]any) {
		return p.post(t, "/api/token/verify/", map[string]string{"token": token})
	}
	if status, body := verify(); status != http.StatusOK {
		t.Fatalf("verify while Redis is up: %d %v", status, body)
	}
	revoked := p.obtain(t)
	if status, body := p.post(t, "/api/token/blacklist/", map[string]string{"refresh": revoked}); status != http.StatusOK {
		t.Fatalf("blacklist: %d %v", status, body)
	}
	// The test's Redis keeps no data across its restart, so the revoked
	// token is checked only until then.
	var revokedAccepted atomic.Int32
	var restarted atomic.Bool

	// A stream of verify requests runs from before the stop until after
	// the restart; each records when it was sent and answered.
	type result struct {
		sent, answered time.Time
		status         int
	}
	var (
		streamMu sync.Mutex
		stream   []result
		stop     = make(chan struct{})
		streamed = make(chan struct{})
	)
	go func() {
		defer close(streamed)
		for i := 0; i < 2000; i++ { // bounded, and stopped below long before
			select {
			case <-stop:
				return
			default:
			}
			if !restarted.Load() {
				if status, _ := p.post(t, "/api/token/verify/", map[string]string{"token": revoked}); status == http.StatusOK && !restarted.Load() {
					revokedAccepted.Add(1)
				}
			}
			sent := time.Now()
			status, _ := verify()
			streamMu.Lock()
			stream = append(stream, result{sent, time.Now(), status})
			streamMu.Unlock()
			time.Sleep(10 * time.Millisecond)
		}
	}()
	time.Sleep(100 * time.Millisecond)

	srv.Stop()
	// The feed's max lag: until then memory may still vouch for what it
	// knew when Redis went away.
	time.Sleep(100 * time.Millisecond)
	downFrom := time.Now()
	for i := 0; i < 20; i++ {
		status, body := verify()
		if status != http.StatusServiceUnavailable || body["detail"] == nil {
			t.Fatalf("verify #%d with Redis down: %d %v; want 503 with a JSON detail", i, status, body)
		}
	}
	// Obtain records the refresh token as outstanding, refresh checks and
	// rotates: both need the blacklist.
	if status, body := p.post(t, "/api/token/", map[string]string{"username": "alice", "password": "alice-password-1"}); status != http.StatusServiceUnavailable {
		t.Fatalf("obtain with Redis down: %d %v; want 503", status, body)
	}
	if status, body := p.post(t, "/api/token/refresh/", map[string]string{"refresh": token}); status != http.StatusServiceUnavailable {
		t.Fatalf("refresh with Redis down: %d %v; want 503", status, body)
	}
	if status, body := p.get(t, "/readyz"); status != http.StatusServiceUnavailable {
		t.Fatalf("/readyz with Redis down: %d %v; want 503", status, body)
	}

	downUntil := time.Now()
	restarted.Store(true)
	srv.Restart()
	deadline := time.Now().Add(10 * time.Second)
	for {
		status, body := verify()
		if status == http.StatusOK {
			break
		}
		if status != http.StatusServiceUnavailable {
			t.Fatalf("verify while Redis comes back: %d %v; want 503 or 200 only", status, body)
		}
		if time.Now().After(deadline) {
			t.Fatalf("jwtd did not recover within 10s of Redis restarting")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if status, body := p.get(t, "/readyz"); status != http.StatusOK {
		t.Fatalf("/readyz after Redis is back: %d %v", status, body)
	}
	time.Sleep(100 * time.Millisecond)
	close(stop)
	<-streamed
	var down, okAfter int
	for _, r := range stream {
		switch {
		case r.status != http.StatusOK && r.status != http.StatusServiceUnavailable:
			t.Errorf("streamed verify answered %d; want only 200 or 503", r.status)
		case r.status == http.StatusOK && r.sent.After(downFrom) && r.answered.Before(downUntil):
			t.Errorf("streamed verify succeeded while Redis was down (sent %v after the stop)", r.sent.Sub(downFrom))
		case r.status == http.StatusServiceUnavailable:
			down++
		case r.sent.After(downUntil):
			okAfter++
		}
	}
	if n := revokedAccepted.Load(); n > 0 {
		t.Errorf("the revoked token was accepted %d times around the Redis outage", n)
	}
	if down == 0 || okAfter == 0 {
		t.Fatalf("stream of %d requests saw %d 503s and %d successes after the restart; want both", len(stream), down, okAfter)
	}
	if status, body := p.post(t, "/api/token/refresh/", map[string]string{"refresh": token}); status != http.StatusOK {
		t.Fatalf("refresh after Redis is back: %d %v", status, body)
	}
}
