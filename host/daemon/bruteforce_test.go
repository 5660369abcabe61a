package daemon_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jwtd/jwtd/host/daemon"
	"github.com/jwtd/jwtd/internal/jwtdtest"
	"github.com/jwtd/jwtd/internal/redistest"
	"github.com/jwtd/jwtd/plugins/sqlite"
	"github.com/jwtd/jwtd/sdk"
)

// usersDB creates a SQLite user database holding alice (password "right")
// and returns its path, for a config that names it.
func usersDB(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "users.db")
	s, err := sqlite.OpenUserStore(context.Background(), sdk.Config{
		"path": path, "argon2_time_cost": int64(1), "argon2_memory_cost": int64(1024), "argon2_parallelism": int64(1),
	})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.CreateUser(context.Background(), sdk.NewUser{Username: "alice", Password: "right", IsActive: true}); err != nil {
		t.Fatal(err)
	}
	return path
}

// bruteForceConfig is a config with alice in a SQLite user store, the
// requests' X-Forwarded-For trusted (so one test plays several clients),
// the given blacklist store section and extra [server] keys.
func bruteForceConfig(t *testing.T, server, blacklist string) string {
	return "[server]\npublic_ops = true\n" + server + `
[server.throttle]
trusted_proxies = ["127.0.0.1"]
[tokens]
signing_key = "daemon-test-secret-0123456789abcdefghij"
` + jwtdtest.SQLiteUserStore(usersDB(t)) + blacklist
}

// attempt is one login to base from the client address from.
func attempt(t *testing.T, base, from, password string) (int, http.Header, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest("POST", base+"/api/token/", strings.NewReader(`{"username":"alice","password":"`+password+`"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Forwarded-For", from)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	json.NewDecoder(resp.Body).Decode(&body)
	return resp.StatusCode, resp.Header, body
}

func metricsText(t *testing.T, base string) string {
	t.Helper()
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// TestBruteForceOnByDefault: with no [server.brute_force] section, five
// wrong passwords for alice from one address lock her there: even the
// right password gets 429 with Retry-After and DRF's throttled body, while
// alice from another address logs in; a success resets her count. The old
// code had no such protection (every attempt was a 401).
func TestBruteForceOnByDefault(t *testing.T) {
	srv := startServe(t, bruteForceConfig(t, "", "[plugins.blacklist_store]\nuse = \"memory\"\n"), daemon.ServeOptions{})
	const attacker, owner = "203.0.113.9", "198.51.100.4"
	// Four failures, then a success: the count starts again.
	for i := range 4 {
		if code, _, _ := attempt(t, srv.base, attacker, "wrong"); code != http.StatusUnauthorized {
			t.Fatalf("failure %d: %d, want 401", i+1, code)
		}
	}
	if code, _, body := attempt(t, srv.base, attacker, "right"); code != http.StatusOK {
		t.Fatalf("right password after 4 failures: %d %v", code, body)
	}
	for i := range 5 {
		if code, _, _ := attempt(t, srv.base, attacker, "wrong"); code != http.StatusUnauthorized {
			t.Fatalf("failure %d after the reset: %d, want 401", i+1, code)
		}
	}
	code, h, body := attempt(t, srv.base, attacker, "right")
	if code != http.StatusTooManyRequests {
		t.Fatalf("sixth attempt: %d %v, want 429", code, body)
	}
	if ra := h.Get("Retry-After"); ra == "" || ra == "0" {
		t.Errorf("429 without Retry-After")
	}
	if body["code"] != "throttled" || !strings.HasPrefix(fmt.Sprint(body["detail"]), "Request was throttled. Expected available in ") {
		t.Errorf("429 body %v, want DRF's throttled body", body)
	}
	if code, _, body := attempt(t, srv.base, owner, "right"); code != http.StatusOK {
		t.Errorf("alice from another address: %d %v, want 200", code, body)
	}
	m := metricsText(t, srv.base)
	for _, series := range []string{
		`jwtd_login_lockouts_total{scope="account_address"} 1`,
		`jwtd_login_throttled_total{reason="locked"} 1`,
	} {
		if !strings.Contains(m, series) {
			t.Errorf("metrics lack %s", series)
		}
	}
}

// TestBruteForceSharedAcrossInstances: two jwtd instances on one Redis
// count alice's failures together (the Redis blacklist store's
// LoginFailureStore), so an attacker alternating between them is locked
// after five failures in all; and with Redis down, a login is refused with
// 503 and Retry-After, never checked unthrottled.
func TestBruteForceSharedAcrossInstances(t *testing.T) {
	redis := redistest.Start(t)
	bl := fmt.Sprintf("[plugins.blacklist_store]\nuse = \"redis\"\n[plugins.blacklist_store.config]\naddrs = [%q]\n", redis.Addr)
	a := startServe(t, bruteForceConfig(t, "", bl), daemon.ServeOptions{})
	b := startServe(t, bruteForceConfig(t, "", bl), daemon.ServeOptions{})
	const attacker = "203.0.113.9"
	for i := range 5 {
		base := []string{a.base, b.base}[i%2]
		if code, _, _ := attempt(t, base, attacker, "wrong"); code != http.StatusUnauthorized {
			t.Fatalf("failure %d: %d, want 401", i+1, code)
		}
	}
	for name, base := range map[string]string{"a": a.base, "b": b.base} {
		if code, _, body := attempt(t, base, attacker, "right"); code != http.StatusTooManyRequests {
			t.Errorf("instance %s after 5 failures across both: %d %v, want 429", name, code, body)
		}
	}
	redis.Stop()
	for _, pw := range []string{"wrong", "right"} {
		code, h, body := attempt(t, a.base, "198.51.100.4", pw)
		if code != http.StatusServiceUnavailable || h.Get("Retry-After") == "" {
			t.Errorf("password %q with the counter store down: %d %v (Retry-After %q), want 503 with Retry-After", pw, code, body, h.Get("Retry-After"))
		}
	}
}

// TestBruteForceLockEndsWithWindow: someone who only knows the username
// locks alice for no longer than [server.brute_force] window, however many
// attempts they go on making while she is locked.
func TestBruteForceLockEndsWithWindow(t *testing.T) {
	srv := startServe(t, bruteForceConfig(t, "[server.brute_force]\nwindow = \"1s\"\nmax_failures_per_account = 3\n", "[plugins.blacklist_store]\nuse = \"memory\"\n"), daemon.ServeOptions{})
	// The window starts at the first failure and ends 1 s later.
	windowEnd := time.Now().Add(time.Second)
	for i := range 3 {
		attempt(t, srv.base, fmt.Sprintf("203.0.113.%d", i+1), "wrong")
	}
	if code, _, _ := attempt(t, srv.base, "198.51.100.4", "right"); code != http.StatusTooManyRequests {
		t.Fatalf("owner during the lock: %d, want 429", code)
	}
	// Wrong passwords while locked must not extend the lock. They stop
	// short of the window's end: failures after it would count toward a
	// new window, a different case (on a slow machine, enough of them
	// lock the account again).
	for time.Until(windowEnd) > 150*time.Millisecond {
		attempt(t, srv.base, "203.0.113.99", "wrong")
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(time.Until(windowEnd) + 100*time.Millisecond)
	if code, _, body := attempt(t, srv.base, "198.51.100.4", "right"); code != http.StatusOK {
		t.Fatalf("owner after the window: %d %v, want 200", code, body)
	}
}
