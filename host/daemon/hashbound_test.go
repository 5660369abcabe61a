package daemon_test

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jwtd/jwtd/host/daemon"
	"github.com/jwtd/jwtd/plugins/sqlite"
	"github.com/jwtd/jwtd/sdk"
)

// probedUsers is the SQLite user store with a probe on Authenticate (one
// password hash per call): it writes its process id, and the most calls it
// ever ran at once, into files in probe_dir.
type probedUsers struct {
	sdk.UserStore
	dir          string
	active, peak atomic.Int64
	mu           sync.Mutex
}

// probedSQLiteUsers is the plugin's factory: the SQLite store's own config
// minus probe_dir.
func probedSQLiteUsers(ctx context.Context, cfg sdk.Config) (sdk.UserStore, error) {
	dir, _ := cfg["probe_dir"].(string)
	if dir == "" {
		// No probe: the store as it is, with its optional interfaces.
		return sqlite.NewUserStore(ctx, cfg)
	}
	rest := sdk.Config{}
	for k, v := range cfg {
		if k != "probe_dir" {
			rest[k] = v
		}
	}
	s, err := sqlite.NewUserStore(ctx, rest)
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, "pid"), []byte(strconv.Itoa(os.Getpid())), 0o600); err != nil {
		return nil, err
	}
	return &probedUsers{UserStore: s, dir: dir}, nil
}

func (p *probedUsers) Authenticate(ctx context.Context, creds sdk.Credentials) (sdk.User, error) {
	n := p.active.Add(1)
	defer p.active.Add(-1)
	p.mu.Lock()
	if n > p.peak.Load() {
		p.peak.Store(n)
		os.WriteFile(filepath.Join(p.dir, "peak"), []byte(strconv.FormatInt(n, 10)), 0o600)
	}
	p.mu.Unlock()
	return p.UserStore.Authenticate(ctx, creds)
}

// vmHWM reads a process's peak resident set size in KiB.
func vmHWM(t *testing.T, pid string) int {
	t.Helper()
	f, err := os.Open("/proc/" + pid + "/status")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, err := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(rest), " kB"))
			if err != nil {
				t.Fatal(err)
			}
			return kb
		}
	}
	t.Fatal("no VmHWM in /proc/" + pid + "/status")
	return 0
}

// TestAbortedLoginsKeepHashingBounded: with the real SQLite user store out
// of process and login_concurrency = 1, clients that hang up 60 ms into
// their login must not let more than one password hash run at once in the
// plugin. (The old code freed the slot when the client went away while
// the plugin went on hashing, so each aborted login let another hash start
// beside it.) The plugin's peak hashes and peak RSS are logged.
func TestAbortedLoginsKeepHashingBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("runs argon2 hashes for seconds; skipped under -short")
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	probe := t.TempDir()
	db := filepath.Join(t.TempDir(), "users.db")
	// argon2id at 32 MiB: far more than the 60 ms a client waits here.
	argon := sdk.Config{"path": db, "argon2_time_cost": int64(2), "argon2_memory_cost": int64(32 << 10), "argon2_parallelism": int64(1)}
	s, err := sqlite.OpenUserStore(context.Background(), argon)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateUser(context.Background(), sdk.NewUser{Username: "alice", Password: "right", IsActive: true}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	text := fmt.Sprintf(`[server.throttle]
login_concurrency = 1
login_max_wait = "10s"
[server.brute_force]
enabled = false
[tokens]
signing_key = "daemon-test-secret-0123456789abcdefghij"
[plugins.user_store]
use = %q
call_timeout = "30s"
[plugins.user_store.config]
path = %q
probe_dir = %q
argon2_time_cost = 2
argon2_memory_cost = 32768
argon2_parallelism = 1
`, self, db, probe)
	srv := startServe(t, text, daemon.ServeOptions{})
	const logins = 16
	var wg sync.WaitGroup
	for i := range logins {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Millisecond)
			defer cancel()
			req, _ := http.NewRequestWithContext(ctx, "POST", srv.base+"/api/token/", strings.NewReader(`{"username":"alice","password":"wrong`+strconv.Itoa(i)+`"}`))
			req.Header.Set("Content-Type", "application/json")
			if resp, err := http.DefaultClient.Do(req); err == nil {
				resp.Body.Close()
			}
		})
		time.Sleep(100 * time.Millisecond)
	}
	wg.Wait()
	// Let the hashes already started finish: a login after them is served
	// once the gate is free.
	req, _ := http.NewRequest("POST", srv.base+"/api/token/", strings.NewReader(`{"username":"alice","password":"right"}`))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	pid, err := os.ReadFile(filepath.Join(probe, "pid"))
	if err != nil {
		t.Fatal(err)
	}
	peakRaw, err := os.ReadFile(filepath.Join(probe, "peak"))
	if err != nil {
		t.Fatal(err)
	}
	peak, _ := strconv.Atoi(string(peakRaw))
	rss := vmHWM(t, string(pid))
	t.Logf("%d logins aborted after 60ms: peak concurrent hashes in the plugin %d, plugin peak RSS (VmHWM) %d MiB", logins, peak, rss>>10)
	if resp.StatusCode != http.StatusOK {
		t.Errorf("login after the aborted ones: %d, want 200", resp.StatusCode)
	}
	if peak > 1 {
		t.Errorf("peak concurrent hashes %d with login_concurrency = 1", peak)
	}
}
