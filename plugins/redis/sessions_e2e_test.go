package redis_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jwtd/jwtd/internal/redistest"
)

// sessionsTokens turns sessions on for the end-to-end configs: no reuse
// interval (the second use of a rotated token is reuse at once) and
// access-token revocation.
const sessionsTokens = "sessions = true\nreuse_interval = \"0s\"\nrevoke_access_tokens = true\n"

// withSessions adds sessionsTokens to a config written by jwtdConfig.
func withSessions(t *testing.T, path string) string {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Replace(string(raw), "[tokens]\n", "[tokens]\n"+sessionsTokens, 1)
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// send sends a JSON body (nil: none) with an optional bearer token.
func (p *jwtdProc) send(t *testing.T, method, path, bearer string, body map[string]string) (int, map[string]any) {
	t.Helper()
	var rd *bytes.Reader
	if body != nil {
		raw, _ := json.Marshal(body)
		rd = bytes.NewReader(raw)
	} else {
		rd = bytes.NewReader(nil)
	}
	req, err := http.NewRequest(method, p.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		return 0, nil
	}
	return decode(t, resp)
}

// refusedWithin authenticates with access on p until it is refused (401),
// failing the test when it is still accepted feedBound after since: another
// instance's revocation reaches p through its change feed, within the
// feed's max lag, when the store's feed carries sessions (sdk.SessionFeed),
// at once otherwise.
func (p *jwtdProc) refusedWithin(t *testing.T, access string, since time.Time, what string) {
	t.Helper()
	for {
		asked := time.Now()
		status, body := p.send(t, "GET", "/api/authenticate/", access, nil)
		if status == http.StatusUnauthorized {
			return
		}
		if asked.Sub(since) > feedBound {
			t.Fatalf("%s: %d %v %v after the revocation; want 401 within %v", what, status, body, asked.Sub(since), feedBound)
		}
		time.Sleep(time.Millisecond)
	}
}

// login obtains alice's pair on p.
func (p *jwtdProc) login(t *testing.T) (refresh, access string) {
	t.Helper()
	status, body := p.post(t, "/api/token/", map[string]string{"username": "alice", "password": "alice-password-1"})
	refresh, _ = body["refresh"].(string)
	access, _ = body["access"].(string)
	if status != http.StatusOK || refresh == "" || access == "" {
		t.Fatalf("obtain: %d %v", status, body)
	}
	return refresh, access
}

// TestSessionsTwoInstances: two real jwtd processes on one shared store
// (Redis, in process and as the plugin process, and a SQLite file): a stolen refresh token used by the attacker
// on one instance and by the victim on the other kills the session for
// both, with its access tokens; logout-all on one instance is seen by the
// other.
func TestSessionsTwoInstances(t *testing.T) {
	if testing.Short() {
		t.Skip("starts jwtd processes; skipped under -short")
	}
	t.Parallel()
	backends := []struct {
		name      string
		blacklist func(t *testing.T) string
	}{
		{"redis", func(t *testing.T) string {
			return fmt.Sprintf("[plugins.blacklist_store]\nuse = \"redis\"\n[plugins.blacklist_store.config]\naddrs = [%q]\n", redistest.Start(t).Addr)
		}},
		{"redis plugin process", func(t *testing.T) string {
			// The test binary doubles as the Redis plugin binary (TestMain),
			// so the sessions cross the plugin boundary here.
			self, err := os.Executable()
			if err != nil {
				t.Fatal(err)
			}
			return fmt.Sprintf("[plugins.blacklist_store]\nuse = %q\n[plugins.blacklist_store.config]\naddrs = [%q]\n", self, redistest.Start(t).Addr)
		}},
		{"sqlite", func(t *testing.T) string {
			return fmt.Sprintf("[plugins.blacklist_store]\nuse = \"sqlite\"\n[plugins.blacklist_store.config]\npath = %q\n", filepath.Join(t.TempDir(), "blacklist.db"))
		}},
	}
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			t.Parallel()
			cfg := withSessions(t, jwtdConfig(t, be.blacklist(t)))
			a, b := startJWTD(t, cfg), startJWTD(t, cfg)

			t.Run("stolen token", func(t *testing.T) {
				r0, victimAccess := a.login(t)
				status, body := b.post(t, "/api/token/refresh/", map[string]string{"refresh": r0}) // the attacker, first
				r1, _ := body["refresh"].(string)
				attackerAccess, _ := body["access"].(string)
				if status != http.StatusOK || r1 == "" {
					t.Fatalf("attacker's refresh on b: %d %v", status, body)
				}
				status, body = a.post(t, "/api/token/refresh/", map[string]string{"refresh": r0}) // the victim
				if status != http.StatusUnauthorized || body["detail"] != "Token is blacklisted" {
					t.Fatalf("victim's refresh on a: %d %v; want 401 Token is blacklisted", status, body)
				}
				if status, body := b.post(t, "/api/token/refresh/", map[string]string{"refresh": r1}); status != http.StatusUnauthorized {
					t.Fatalf("attacker's next refresh on b: %d %v; want 401", status, body)
				}
				revoked := time.Now()
				for _, tok := range []string{victimAccess, attackerAccess} {
					b.refusedWithin(t, tok, revoked, "access token of the revoked session on b")
				}
			})

			t.Run("logout-all seen by the other instance", func(t *testing.T) {
				r1, acc1 := a.login(t)
				r2, _ := a.login(t)
				if status, body := a.send(t, "GET", "/api/authenticate/", acc1, nil); status != http.StatusOK {
					t.Fatalf("authenticate before logout-all: %d %v", status, body)
				}
				status, body := b.send(t, "POST", "/api/token/logout-all/", acc1, nil)
				revokedAll := time.Now()
				if status != http.StatusOK || body["revoked"] != float64(2) {
					t.Fatalf("logout-all on b: %d %v; want 200 revoked 2", status, body)
				}
				for _, r := range []string{r1, r2} {
					if status, body := a.post(t, "/api/token/refresh/", map[string]string{"refresh": r}); status != http.StatusUnauthorized {
						t.Fatalf("refresh on a after logout-all on b: %d %v; want 401", status, body)
					}
				}
				a.refusedWithin(t, acc1, revokedAll, "old access token on a after logout-all on b")
			})
		})
	}
}
