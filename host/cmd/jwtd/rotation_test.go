package main_test

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jwtd/jwtd/internal/jwtdtest"
)

// reloads counts "config reloaded" in s's log.
func (s *server) reloads() int { return strings.Count(s.Log.String(), "config reloaded") }

// sighup reloads s and waits for the reload to finish.
func (s *server) sighup() {
	s.t.Helper()
	before := s.reloads()
	s.Cmd.Process.Signal(syscall.SIGHUP)
	deadline := time.Now().Add(20 * time.Second)
	for s.reloads() == before {
		if strings.Contains(s.Log.String(), "reload failed") || time.Now().After(deadline) {
			s.t.Fatalf("no reload:\n%s", s.Log.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestKeyRotationUnderLoad: the real jwtd binary serves a stream of
// authenticate requests (for tokens of every key in use, and fresh logins)
// while `jwtd key rotate --write` and SIGHUP rotate its key twice: no
// request fails; tokens signed with the first key keep working until its
// retire_after, and are refused after it, with no reload.
func TestKeyRotationUnderLoad(t *testing.T) {
	cfg := repoConfig(t)
	if _, stderr, err := cli(t, "pw-rotate\n", "user", "add", "alice", "--config", cfg); err != nil {
		t.Fatal(stderr)
	}
	s := serve(t, cfg, jwtdtest.FreeAddr(t))
	login := func() (access, refresh string) {
		status, pair := s.post("/api/token/", map[string]string{"username": "alice", "password": "pw-rotate"})
		if status != 200 {
			t.Errorf("obtain: %d %v", status, pair)
			return "", ""
		}
		return pair["access"].(string), pair["refresh"].(string)
	}
	first, firstRefresh := login()
	firstKid := kid(t, first)

	// The load: authenticate every token issued so far, round robin, from
	// four clients, until stopped; and one client logging in anew.
	var (
		mu       sync.Mutex
		tokens   = []string{first}
		stop     = make(chan struct{})
		wg       sync.WaitGroup
		requests atomic.Int64
		failures atomic.Int64
		failure  atomic.Value
	)
	client := &http.Client{Timeout: 10 * time.Second}
	fail := func(format string, args ...any) {
		failures.Add(1)
		failure.Store(fmt.Sprintf(format, args...))
	}
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				mu.Lock()
				tok := tokens[i%len(tokens)]
				mu.Unlock()
				req, _ := http.NewRequest("GET", s.URL+"/api/authenticate/", nil)
				req.Header.Set("Authorization", "Bearer "+tok)
				resp, err := client.Do(req)
				requests.Add(1)
				if err != nil {
					fail("authenticate: %v", err)
					continue
				}
				resp.Body.Close()
				if resp.StatusCode != 200 {
					fail("authenticate with kid %s: %d", kid(t, tok), resp.StatusCode)
				}
			}
		}()
	}
	rotate := func(kidName, retireAfter string) {
		if _, stderr, err := cli(t, "", "key", "rotate", "--kid", kidName, "--retire-after", retireAfter, "--write", "--config", cfg); err != nil {
			t.Fatalf("key rotate: %v %s", err, stderr)
		}
		s.sighup()
		access, _ := login()
		if got := kid(t, access); got != kidName {
			t.Errorf("after rotating to %s, tokens name kid %q", kidName, got)
		}
		mu.Lock()
		tokens = append(tokens, access)
		mu.Unlock()
		time.Sleep(300 * time.Millisecond) // load on the new ring
	}
	time.Sleep(300 * time.Millisecond)
	rotate("k2", "6s")
	retired := time.Now().Add(6 * time.Second)
	// The refresh token of the first key refreshes under the second.
	if status, body := s.post("/api/token/refresh/", map[string]any{"refresh": firstRefresh}); status != 200 {
		t.Errorf("refresh with the first key's token after rotation: %d %v", status, body)
	}
	rotate("k3", "1h")
	close(stop)
	wg.Wait()
	if n := failures.Load(); n > 0 {
		t.Fatalf("%d of %d requests failed during rotation; last: %v", n, requests.Load(), failure.Load())
	}
	if n := requests.Load(); n < 50 {
		t.Fatalf("only %d requests made", n)
	}
	t.Logf("%d authenticate requests, 2 rotations, 0 failures", requests.Load())

	mu.Lock()
	second, third := tokens[1], tokens[2]
	mu.Unlock()
	time.Sleep(time.Until(retired) + 1100*time.Millisecond)
	status, body := s.get("/api/authenticate/", "Bearer "+first)
	if status != 401 || body["code"] != "token_not_valid" {
		t.Fatalf("first key (%s) after its retire_after: %d %v, want 401", firstKid, status, body)
	}
	if status, body := s.post("/api/token/refresh/", map[string]any{"refresh": firstRefresh}); status != 401 {
		t.Fatalf("first key's refresh token after retirement: %d %v", status, body)
	}
	for _, tok := range []string{second, third} {
		if status, body := s.get("/api/authenticate/", "Bearer "+tok); status != 200 {
			t.Fatalf("kid %s after the first key retired: %d %v", kid(t, tok), status, body)
		}
	}
}

// kid is a token's kid header ("" when unreadable); safe in goroutines.
func kid(_ *testing.T, tok string) string {
	data, err := base64.RawURLEncoding.DecodeString(strings.Split(tok, ".")[0])
	if err != nil {
		return ""
	}
	var h map[string]any
	json.Unmarshal(data, &h)
	k, _ := h["kid"].(string)
	return k
}
