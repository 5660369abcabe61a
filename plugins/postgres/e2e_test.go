package postgres_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jwtd/jwtd/host/cli"
	"github.com/jwtd/jwtd/internal/jwtdtest"
	"github.com/jwtd/jwtd/internal/pgtest"
)

// envRole makes the test binary run as jwtd itself (cli.Main, exactly what
// cmd/jwtd runs), so that the end-to-end tests start real jwtd processes
// without a separate build; the plugin processes those start are the test
// binary again (TestMain's plugin branch).
const envRole = "JWTD_PG_TEST_ROLE"

func runRole() bool {
	if os.Getenv(envRole) != "jwtd" {
		return false
	}
	os.Exit(cli.Main(context.Background(), os.Args[1:], cli.Env{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr}))
	return true
}

// jwtdConfig writes a jwtd config whose user store and blacklist are on
// the PostgreSQL at dsn, with rotation and blacklist-after-rotation on;
// use is "postgres" (in process) or a plugin binary's path.
func jwtdConfig(t *testing.T, dir, dsn, use string) string {
	t.Helper()
	store := func(kind string) string {
		return fmt.Sprintf(`
[plugins.%s]
use = %q
[plugins.%s.config]
dsn = %q
query_timeout = "1s"
connect_timeout = "1s"
`, kind, use, kind, dsn)
	}
	text := `
[tokens]
signing_key = "file:jwtd.key"
rotate_refresh_tokens = true
blacklist_after_rotation = true
` + store("user_store") + "argon2_time_cost = 1\nargon2_memory_cost = 1024\nargon2_parallelism = 1\n" + store("blacklist_store")
	path := filepath.Join(dir, strings.ReplaceAll(use, "/", "_")+".toml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// userAdd runs `jwtd user add NAME` with cfg, the password on stdin.
func userAdd(t *testing.T, cfg, name, password string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := cli.Main(context.Background(), []string{"user", "add", name, "--config", cfg},
		cli.Env{Stdin: strings.NewReader(password + "\n"), Stdout: &out, Stderr: &errb})
	if code != 0 {
		t.Fatalf("jwtd user add: exit %d: %s", code, errb.String())
	}
}

type jwtdProc struct{ *jwtdtest.Process }

func startJWTD(t *testing.T, cfg string) *jwtdProc {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	addr := jwtdtest.FreeAddr(t)
	cmd := exec.Command(self, "serve", "--config", cfg, "--listen", addr)
	cmd.Env = append(os.Environ(), envRole+"=jwtd")
	return &jwtdProc{jwtdtest.Start(t, cmd, "http://"+addr, jwtdtest.Options{StopTimeout: 10 * time.Second})}
}

var httpClient = &http.Client{Timeout: 10 * time.Second}

// do sends a request (a JSON body when body is not nil) and returns the
// status and the decoded JSON object; status 0 means no answer.
func (p *jwtdProc) do(t *testing.T, method, path string, body map[string]string, header ...string) (int, map[string]any) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		raw, _ := json.Marshal(body)
		rd = bytes.NewReader(raw)
	}
	req, _ := http.NewRequest(method, p.URL+path, rd)
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		return 0, nil
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Errorf("%s %s: status %d, body is not a JSON object: %q", method, path, resp.StatusCode, raw)
	}
	return resp.StatusCode, m
}

func (p *jwtdProc) obtain(t *testing.T, user, password string) (refresh, access string) {
	t.Helper()
	status, body := p.do(t, "POST", "/api/token/", map[string]string{"username": user, "password": password})
	refresh, _ = body["refresh"].(string)
	access, _ = body["access"].(string)
	if status != http.StatusOK || refresh == "" {
		t.Fatalf("obtain: %d %v", status, body)
	}
	return refresh, access
}

// Two jwtd processes on one PostgreSQL, one with the stores in process and
// one with them as the plugin binary: a user added through one logs in
// through the other, a logout holds on both, and 20 concurrent rotations of
// one refresh token split over both give exactly one success.
func TestTwoInstancesOnePostgres(t *testing.T) {
	if testing.Short() {
		t.Skip("starts PostgreSQL and two jwtd processes; skipped under -short")
	}
	srv := pgtest.Start(t)
	dsn := newDB(t, srv, false)
	dir := t.TempDir()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cfgA, cfgB := jwtdConfig(t, dir, dsn, "postgres"), jwtdConfig(t, dir, dsn, self)
	a := startJWTD(t, cfgA)
	userAdd(t, cfgA, "alice", "alice-password-1")
	b := startJWTD(t, cfgB)

	refresh, access := b.obtain(t, "alice", "alice-password-1")
	if status, body := a.do(t, "GET", "/api/authenticate/", nil, "Authorization", "Bearer "+access); status != http.StatusOK || body["username"] != "alice" {
		t.Fatalf("authenticate on a with b's token: %d %v", status, body)
	}
	if status, body := a.do(t, "POST", "/api/token/blacklist/", map[string]string{"refresh": refresh}); status != http.StatusOK {
		t.Fatalf("blacklist on a: %d %v", status, body)
	}
	if status, body := b.do(t, "POST", "/api/token/refresh/", map[string]string{"refresh": refresh}); status != http.StatusUnauthorized || body["detail"] != "Token is blacklisted" {
		t.Fatalf("refresh on b of a token blacklisted on a: %d %v; want 401 Token is blacklisted", status, body)
	}

	refresh, _ = a.obtain(t, "alice", "alice-password-1")
	jwtdtest.OneWinner(t, 20, func(i int) int {
		p := a
		if i%2 == 1 {
			p = b
		}
		status, _ := p.do(t, "POST", "/api/token/refresh/", map[string]string{"refresh": refresh})
		return status
	})
}

// PostgreSQL stopped during a stream of requests: logins, refreshes,
// authentications and verifications answer only 503 (JSON) while it is
// down, /readyz says so, and the same jwtd process serves again once it is
// back.
func TestPostgresFaultOverHTTP(t *testing.T) {
	if testing.Short() {
		t.Skip("starts PostgreSQL and jwtd; skipped under -short")
	}
	srv := pgtest.Start(t)
	dsn := newDB(t, srv, false)
	cfg := jwtdConfig(t, t.TempDir(), dsn, "postgres")
	p := startJWTD(t, cfg)
	userAdd(t, cfg, "alice", "alice-password-1")
	refresh, access := p.obtain(t, "alice", "alice-password-1")

	requests := []struct {
		name string
		do   func() (int, map[string]any)
	}{
		{"obtain", func() (int, map[string]any) {
			return p.do(t, "POST", "/api/token/", map[string]string{"username": "alice", "password": "alice-password-1"})
		}},
		{"verify", func() (int, map[string]any) {
			return p.do(t, "POST", "/api/token/verify/", map[string]string{"token": refresh})
		}},
		{"authenticate", func() (int, map[string]any) {
			return p.do(t, "GET", "/api/authenticate/", nil, "Authorization", "Bearer "+access)
		}},
	}
	type result struct {
		sent, answered time.Time
		name           string
		status         int
	}
	var (
		mu       sync.Mutex
		stream   []result
		stop     = make(chan struct{})
		streamed = make(chan struct{})
	)
	go func() {
		defer close(streamed)
		for i := 0; i < 3000; i++ {
			select {
			case <-stop:
				return
			default:
			}
			r := requests[i%len(requests)]
			sent := time.Now()
			status, _ := r.do()
			mu.Lock()
			stream = append(stream, result{sent, time.Now(), r.name, status})
			mu.Unlock()
			time.Sleep(5 * time.Millisecond)
		}
	}()
	time.Sleep(200 * time.Millisecond)

	srv.Stop()
	downFrom := time.Now()
	for _, r := range requests {
		if status, body := r.do(); status != http.StatusServiceUnavailable || body["code"] != "plugin_unavailable" {
			t.Fatalf("%s with PostgreSQL down: %d %v; want 503 plugin_unavailable", r.name, status, body)
		}
	}
	if status, _ := p.do(t, "POST", "/api/token/refresh/", map[string]string{"refresh": refresh}); status != http.StatusServiceUnavailable {
		t.Fatalf("refresh with PostgreSQL down: %d; want 503", status)
	}
	if status, _ := p.do(t, "GET", "/readyz", nil); status != http.StatusServiceUnavailable {
		t.Fatalf("/readyz with PostgreSQL down: %d; want 503", status)
	}
	time.Sleep(300 * time.Millisecond)
	downUntil := time.Now()
	srv.Restart()

	deadline := time.Now().Add(15 * time.Second)
	for {
		status, body := requests[1].do()
		if status == http.StatusOK {
			break
		}
		if status != http.StatusServiceUnavailable {
			t.Fatalf("verify while PostgreSQL comes back: %d %v; want 503 or 200 only", status, body)
		}
		if time.Now().After(deadline) {
			t.Fatal("jwtd did not recover within 15s of PostgreSQL restarting")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if status, _ := p.do(t, "GET", "/readyz", nil); status != http.StatusOK {
		t.Fatalf("/readyz after PostgreSQL is back: %d", status)
	}
	time.Sleep(200 * time.Millisecond)
	close(stop)
	<-streamed
	var down, okAfter int
	for _, r := range stream {
		switch {
		case r.status != http.StatusOK && r.status != http.StatusServiceUnavailable:
			t.Errorf("streamed %s answered %d; want only 200 or 503", r.name, r.status)
		case r.status == http.StatusOK && r.sent.After(downFrom) && r.answered.Before(downUntil):
			t.Errorf("streamed %s succeeded while PostgreSQL was down", r.name)
		case r.status == http.StatusServiceUnavailable:
			down++
		case r.sent.After(downUntil):
			okAfter++
		}
	}
	if down == 0 || okAfter == 0 {
		t.Fatalf("stream of %d requests saw %d 503s and %d successes after the restart; want both", len(stream), down, okAfter)
	}
	if status, body := p.do(t, "POST", "/api/token/refresh/", map[string]string{"refresh": refresh}); status != http.StatusOK {
		t.Fatalf("refresh after PostgreSQL is back: %d %v", status, body)
	}
}
