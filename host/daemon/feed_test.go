package daemon_test

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	_ "github.com/mattn/go-sqlite3"
	dto "github.com/prometheus/client_model/go"

	"github.com/jwtd/jwtd/host/cli"
	"github.com/jwtd/jwtd/host/config"
	"github.com/jwtd/jwtd/host/daemon"
	"github.com/jwtd/jwtd/host/feed"
	"github.com/jwtd/jwtd/host/httpapi"
	"github.com/jwtd/jwtd/host/metrics"
	"github.com/jwtd/jwtd/internal/pgtest"
	"github.com/jwtd/jwtd/internal/redistest"
	"github.com/jwtd/jwtd/plugins/postgres"
	"github.com/jwtd/jwtd/plugins/redis"
	"github.com/jwtd/jwtd/plugins/sqlite"
	"github.com/jwtd/jwtd/sdk"
)

// testBlacklist is the plugin process's blacklist store: Redis when the
// config names addrs, else SQLite; pid_file, when set, receives the
// process id (for the kill test).
func testBlacklist(ctx context.Context, cfg sdk.Config) (sdk.BlacklistStore, error) {
	rest := sdk.Config{}
	for k, v := range cfg {
		if k != "pid_file" {
			rest[k] = v
		}
	}
	if f, _ := cfg["pid_file"].(string); f != "" {
		if err := os.WriteFile(f, []byte(strconv.Itoa(os.Getpid())), 0o600); err != nil {
			return nil, err
		}
	}
	if _, ok := rest["addrs"]; ok {
		return redis.NewBlacklistStore(ctx, rest)
	}
	if _, ok := rest["dsn"]; ok {
		return postgres.NewBlacklistStore(ctx, rest)
	}
	return sqlite.NewBlacklistStore(ctx, rest)
}

// feedMaxLag is the tests' feed_max_lag: the propagation bound they hold
// jwtd to.
const feedMaxLag = 100 * time.Millisecond

// feedConfig is a config with the SQLite user store on usersDB and the
// given blacklist config table, both out of process (this test binary as
// the plugin) or built in.
func feedConfig(t testing.TB, outOfProcess bool, usersDB, blacklistTable string) string {
	t.Helper()
	use := `"sqlite"`
	blUse := `"sqlite"`
	if strings.Contains(blacklistTable, "addrs") {
		blUse = `"redis"`
	}
	if strings.Contains(blacklistTable, "dsn") {
		blUse = `"postgres"`
	}
	if outOfProcess {
		self, err := os.Executable()
		if err != nil {
			t.Fatal(err)
		}
		use, blUse = strconv.Quote(self), strconv.Quote(self)
	}
	return fmt.Sprintf(`[tokens]
signing_key = "daemon-test-secret-0123456789abcdefghij"
rotate_refresh_tokens = true
blacklist_after_rotation = true
[plugins.user_store]
use = %s
feed_max_lag = "%s"
[plugins.user_store.config]
path = %q
argon2_time_cost = 1
argon2_memory_cost = 1024
argon2_parallelism = 1
[plugins.blacklist_store]
use = %s
feed_max_lag = "%s"
[plugins.blacklist_store.config]
%s
`, use, feedMaxLag, usersDB, blUse, feedMaxLag, blacklistTable)
}

func buildStack(t testing.TB, text string, m *metrics.Metrics) *daemon.Stack {
	t.Helper()
	path := filepath.Join(t.TempDir(), "jwtd.toml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(path, config.Options{NoKeyGeneration: true})
	if err != nil {
		t.Fatal(err)
	}
	st, err := daemon.Build(context.Background(), cfg, daemon.BuildOptions{Metrics: m, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// watcher returns the stack's feed of kind, waiting until it is live.
func watcher(t testing.TB, st *daemon.Stack, kind string) *feed.Watcher {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		for _, w := range st.Feeds() {
			if w.Stats().Name == kind && w.Live() {
				return w
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no live %s feed within 20s", kind)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// propagation revokes n fresh jtis through revoke and checks, through b's
// blacklist store as the core asks it (view while live, else the store),
// that b refuses each: an answer "not blacklisted" to a question asked
// more than feedMaxLag after the revocation returned fails the test. It
// returns the delays until b refused, sorted, and how many answers b took
// from the store because its feed was not live.
func propagation(t *testing.T, n int, revoke func(sdk.TokenRecord), b *daemon.Stack) []time.Duration {
	t.Helper()
	ctx := context.Background()
	delays := make([]time.Duration, 0, n)
	for i := range n {
		rec := sdk.TokenRecord{JTI: fmt.Sprintf("prop-%d-%d", time.Now().UnixNano(), i), UserID: "1", TokenType: "refresh", ExpiresAt: time.Now().Add(time.Hour)}
		// A random pause, so revocations do not fall into step with a
		// polling feed's ticks (each would wait one whole tick).
		time.Sleep(rand.N(10 * time.Millisecond))
		revoke(rec)
		done := time.Now()
		for {
			asked := time.Now()
			black, err := b.Blacklist.IsBlacklisted(ctx, rec.JTI)
			if err != nil {
				t.Fatalf("revocation %d: instance B: %v", i, err)
			}
			if black {
				delays = append(delays, asked.Sub(done))
				break
			}
			if asked.Sub(done) > feedMaxLag {
				t.Fatalf("revocation %d: instance B still accepted the token %v after the revocation (bound %v)", i, asked.Sub(done), feedMaxLag)
			}
			time.Sleep(200 * time.Microsecond)
		}
	}
	slices.Sort(delays)
	return delays
}

func report(t *testing.T, what string, d []time.Duration) {
	t.Helper()
	t.Logf("%s: %d revocations refused by instance B after p50 %v, p99 %v, max %v (bound %v)",
		what, len(d), d[len(d)/2], d[len(d)*99/100], d[len(d)-1], feedMaxLag)
}

func revocations(t *testing.T) int {
	if testing.Short() {
		return 100
	}
	return 1000
}

// TestRevocationPropagatesSQLite: a refresh token blacklisted on a shared
// SQLite file by another process (the CLI runs exactly this store) is
// refused by a running jwtd within feed_max_lag — 1,000 times, with the
// blacklist in process and out of process — while that jwtd asks its
// store nothing for IsBlacklisted once its feed is live. The CLI itself is
// run too (jwtd token blacklist).
func TestRevocationPropagatesSQLite(t *testing.T) {
	for _, oop := range []bool{false, true} {
		t.Run(map[bool]string{false: "in process", true: "out of process"}[oop], func(t *testing.T) {
			dir := t.TempDir()
			db := filepath.Join(dir, "jwtd.db")
			text := feedConfig(t, oop, db, fmt.Sprintf("path = %q\nsweep_interval = \"0\"\n", db))
			m := metrics.New()
			b := buildStack(t, text, m)
			watcher(t, b, config.KindBlacklistStore)
			cli, err := sqlite.OpenBlacklistStore(context.Background(), sdk.Config{"path": db, "sweep_interval": "0"})
			if err != nil {
				t.Fatal(err)
			}
			defer cli.Close()
			callsBefore := pluginCalls(t, m, "blacklist_store", "IsBlacklisted")
			d := propagation(t, revocations(t), func(rec sdk.TokenRecord) {
				if _, err := cli.Blacklist(context.Background(), rec); err != nil {
					t.Fatal(err)
				}
			}, b)
			report(t, "SQLite, another process on the file", d)
			calls := pluginCalls(t, m, "blacklist_store", "IsBlacklisted") - callsBefore
			t.Logf("IsBlacklisted calls that reached the store: %v (the rest answered from memory)", calls)
			if calls > float64(len(d))/2 {
				t.Errorf("%v of the IsBlacklisted questions reached the store; with a live feed most must not", calls)
			}

			// The real CLI, as a separate command on the same file.
			u, err := sqlite.OpenUserStore(context.Background(), sdk.Config{"path": db})
			if err != nil {
				t.Fatal(err)
			}
			defer u.Close()
			user, err := u.CreateUser(context.Background(), sdk.NewUser{Username: "cli", Password: "pw", IsActive: true})
			if err != nil {
				t.Fatal(err)
			}
			pair, err := b.Service.IssueFor(context.Background(), user)
			if err != nil {
				t.Fatal(err)
			}
			if err := b.Service.Verify(context.Background(), pair.Refresh); err != nil {
				t.Fatalf("verify before the CLI: %v", err)
			}
			runCLI(t, []string{"token", "blacklist", pair.Refresh, "--config", writeConfig(t, feedConfig(t, false, db, fmt.Sprintf("path = %q\n", db)))})
			done := time.Now()
			for {
				asked := time.Now()
				err := b.Service.Verify(context.Background(), pair.Refresh)
				if err != nil {
					break
				}
				if asked.Sub(done) > feedMaxLag {
					t.Fatalf("verify accepted a token `jwtd token blacklist` revoked %v before", asked.Sub(done))
				}
				time.Sleep(time.Millisecond)
			}
		})
	}
}

// TestRevocationPropagatesRedis: two jwtd on one Redis (one with the
// blacklist in process, one out of process): a revocation through A is
// refused by A at once from memory and by B within feed_max_lag, 1,000
// times.
func TestRevocationPropagatesRedis(t *testing.T) {
	srv := redistest.Start(t)
	twoInstances(t, "Redis", fmt.Sprintf("addrs = [%q]\n", srv.Addr))
}

// TestRevocationPropagatesPostgres: the same with two jwtd on one
// PostgreSQL database (LISTEN/NOTIFY).
func TestRevocationPropagatesPostgres(t *testing.T) {
	srv := pgtest.Start(t)
	twoInstances(t, "PostgreSQL", fmt.Sprintf("dsn = %q\n", srv.CreateDatabase(t, "feed")))
}

func twoInstances(t *testing.T, what, table string) {
	dir := t.TempDir()
	a := buildStack(t, feedConfig(t, false, filepath.Join(dir, "users.db"), table), nil)
	b := buildStack(t, feedConfig(t, true, filepath.Join(dir, "users.db"), table), nil)
	wa := watcher(t, a, config.KindBlacklistStore)
	watcher(t, b, config.KindBlacklistStore)
	var fromMemory int
	d := propagation(t, revocations(t), func(rec sdk.TokenRecord) {
		if added, err := a.Blacklist.Blacklist(context.Background(), rec); err != nil || !added {
			t.Fatalf("Blacklist on A = %v, %v", added, err)
		}
		black, ok := wa.IsBlacklisted(rec.JTI)
		if ok && !black {
			t.Fatal("A's own view does not refuse the token A just blacklisted")
		}
		if ok {
			fromMemory++
		}
	}, b)
	report(t, what+", instance A to instance B (out of process)", d)
	if fromMemory == 0 {
		t.Error("A's view was never live to refuse its own revocations from memory")
	}
}

func runCLI(t *testing.T, args []string) {
	t.Helper()
	if code := cliMain(args); code != 0 {
		t.Fatalf("jwtd %v: exit %d", args, code)
	}
}

// pluginCalls reads jwtd_plugin_calls_total for kind and method, any
// outcome.
func pluginCalls(t *testing.T, m *metrics.Metrics, kind, method string) float64 {
	t.Helper()
	mfs, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	var sum float64
	for _, mf := range mfs {
		if mf.GetName() != "jwtd_plugin_calls_total" {
			continue
		}
		for _, mt := range mf.GetMetric() {
			if label(mt, "kind") == kind && label(mt, "method") == method {
				sum += mt.GetCounter().GetValue()
			}
		}
	}
	return sum
}

func label(m *dto.Metric, name string) string {
	for _, l := range m.GetLabel() {
		if l.GetName() == name {
			return l.GetValue()
		}
	}
	return ""
}

// TestDeactivationBehindJWTDsBack: with the SQLite user store's feed, the
// user cache is on by default (repeated authenticates skip the store), and
// a deactivation or deletion made in the database by another program
// (Django, sqlite3) stops authenticate within feed_max_lag.
func TestDeactivationBehindJWTDsBack(t *testing.T) {
	for _, oop := range []bool{false, true} {
		t.Run(map[bool]string{false: "in process", true: "out of process"}[oop], func(t *testing.T) {
			ctx := context.Background()
			db := filepath.Join(t.TempDir(), "jwtd.db")
			m := metrics.New()
			st := buildStack(t, feedConfig(t, oop, db, fmt.Sprintf("path = %q\n", db)), m)
			watcher(t, st, config.KindUserStore)
			admin, _ := sdk.As[sdk.UserAdmin](st.Users)
			srv := httptest.NewServer(httpapi.New(st.Service, httpapi.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}))
			defer srv.Close()
			raw, err := sql.Open("sqlite3", db+"?_busy_timeout=5000")
			if err != nil {
				t.Fatal(err)
			}
			defer raw.Close()
			for _, change := range []string{
				`UPDATE jwtd_users SET is_active = 0 WHERE username = ?`,
				`DELETE FROM jwtd_users WHERE username = ?`,
			} {
				name := fmt.Sprintf("u%d", time.Now().UnixNano())
				if _, err := admin.CreateUser(ctx, sdk.NewUser{Username: name, Password: "pw-123456", IsActive: true}); err != nil {
					t.Fatal(err)
				}
				pair, err := st.Service.Obtain(ctx, sdk.Credentials{"username": name, "password": "pw-123456"})
				if err != nil {
					t.Fatal(err)
				}
				authenticate := func() int {
					req, _ := http.NewRequest(http.MethodGet, srv.URL+"/api/authenticate/", nil)
					req.Header.Set("Authorization", "Bearer "+pair.Access)
					resp, err := http.DefaultClient.Do(req)
					if err != nil {
						t.Fatal(err)
					}
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					return resp.StatusCode
				}
				before := pluginCalls(t, m, "user_store", "LookupUser")
				for i := range 10 {
					if code := authenticate(); code != http.StatusOK {
						t.Fatalf("authenticate %d: %d", i, code)
					}
				}
				if calls := pluginCalls(t, m, "user_store", "LookupUser") - before; calls > 2 {
					t.Errorf("10 authenticates made %v store lookups: the user cache is not on by default with a feed", calls)
				}
				if _, err := raw.Exec(change, name); err != nil {
					t.Fatal(err)
				}
				done := time.Now()
				for {
					asked := time.Now()
					code := authenticate()
					if code == http.StatusUnauthorized {
						t.Logf("%s: authenticate refused after %v", strings.Fields(change)[0], asked.Sub(done))
						break
					}
					if code != http.StatusOK {
						t.Fatalf("authenticate: %d", code)
					}
					if asked.Sub(done) > feedMaxLag {
						t.Fatalf("%s behind jwtd's back: authenticate still accepted %v later (bound %v)", change, asked.Sub(done), feedMaxLag)
					}
					time.Sleep(time.Millisecond)
				}
			}
		})
	}
}

// TestKillPluginNeverAcceptsRevoked SIGKILLs the out-of-process blacklist
// (SQLite) under a stream of verify requests for a revoked refresh token
// and a valid one: the revoked one is never accepted (401, or 503 while
// the plugin is down), the valid one is accepted again once the plugin is
// back, and the feed is live again.
func TestKillPluginNeverAcceptsRevoked(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db := filepath.Join(dir, "jwtd.db")
	pidFile := filepath.Join(dir, "pid")
	st := buildStack(t, feedConfig(t, true, db, fmt.Sprintf("path = %q\npid_file = %q\n", db, pidFile)), nil)
	watcher(t, st, config.KindBlacklistStore)
	admin, _ := sdk.As[sdk.UserAdmin](st.Users)
	user, err := admin.CreateUser(ctx, sdk.NewUser{Username: "k", Password: "pw", IsActive: true})
	if err != nil {
		t.Fatal(err)
	}
	revoked, err := st.Service.IssueFor(ctx, user)
	if err != nil {
		t.Fatal(err)
	}
	valid, err := st.Service.IssueFor(ctx, user)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Service.Blacklist(ctx, revoked.Refresh); err != nil {
		t.Fatal(err)
	}
	var (
		mu       sync.Mutex
		accepted int
		validOK  []time.Time
		stop     = make(chan struct{})
		wg       sync.WaitGroup
	)
	for _, tok := range []string{revoked.Refresh, valid.Refresh} {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				err := st.Service.Verify(ctx, tok)
				mu.Lock()
				if err == nil && tok == revoked.Refresh {
					accepted++
				}
				if err == nil && tok == valid.Refresh {
					validOK = append(validOK, time.Now())
				}
				mu.Unlock()
				time.Sleep(500 * time.Microsecond)
			}
		})
	}
	time.Sleep(100 * time.Millisecond)
	pid, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatal(err)
	}
	n, _ := strconv.Atoi(string(pid))
	if err := syscall.Kill(n, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	killed := time.Now()
	// Wait for the restarted plugin: a new pid, a live feed, and the valid
	// token accepted after that.
	deadline := time.Now().Add(30 * time.Second)
	for {
		mu.Lock()
		last := time.Time{}
		if len(validOK) > 0 {
			last = validOK[len(validOK)-1]
		}
		mu.Unlock()
		now, _ := os.ReadFile(pidFile)
		if string(now) != string(pid) && last.After(killed.Add(time.Second)) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the plugin did not come back within 30s")
		}
		time.Sleep(20 * time.Millisecond)
	}
	watcher(t, st, config.KindBlacklistStore)
	time.Sleep(100 * time.Millisecond)
	close(stop)
	wg.Wait()
	if accepted > 0 {
		t.Fatalf("the revoked token was accepted %d times around the plugin's SIGKILL", accepted)
	}
	if err := st.Service.Verify(ctx, revoked.Refresh); err == nil {
		t.Fatal("the revoked token is accepted after the restart")
	}
}

func cliMain(args []string) int {
	var out strings.Builder
	return cli.Main(context.Background(), args, cli.Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &out})
}

// TestBatchingUnderLoad: with the change feed off (every IsBlacklisted a
// store call) and the blacklist out of process, concurrent requests share
// round trips: the boundary costs a fraction of a call per request. The
// ratio is logged.
func TestBatchingUnderLoad(t *testing.T) {
	ctx := context.Background()
	db := filepath.Join(t.TempDir(), "jwtd.db")
	text := feedConfig(t, true, db, fmt.Sprintf("path = %q\n", db))
	text = strings.Replace(text, "[plugins.blacklist_store]\n", "[plugins.blacklist_store]\nchange_feed = false\n", 1)
	m := metrics.New()
	st := buildStack(t, text, m)
	if len(st.Feeds()) != 1 {
		t.Fatalf("%d feeds; want only the user store's with change_feed = false on the blacklist", len(st.Feeds()))
	}
	if _, err := st.Blacklist.Blacklist(ctx, sdk.TokenRecord{JTI: "gone", UserID: "1", TokenType: "refresh", ExpiresAt: time.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	before := pluginCalls(t, m, "blacklist_store", "IsBlacklisted") + pluginCalls(t, m, "blacklist_store", "IsBlacklistedMany")
	const workers, per = 32, 50
	var wg sync.WaitGroup
	var wrong sync.Map
	for w := range workers {
		wg.Go(func() {
			for i := range per {
				jti := "gone"
				if (w+i)%2 == 0 {
					jti = fmt.Sprintf("live-%d-%d", w, i)
				}
				black, err := st.Blacklist.IsBlacklisted(ctx, jti)
				if err != nil || black != (jti == "gone") {
					wrong.Store(jti, err)
				}
			}
		})
	}
	wg.Wait()
	wrong.Range(func(k, v any) bool { t.Errorf("IsBlacklisted(%v): wrong answer (err %v)", k, v); return false })
	calls := pluginCalls(t, m, "blacklist_store", "IsBlacklisted") + pluginCalls(t, m, "blacklist_store", "IsBlacklistedMany") - before
	ratio := calls / (workers * per)
	t.Logf("%d concurrent IsBlacklisted requests over %d workers: %v plugin round trips, %.3f per request", workers*per, workers, calls, ratio)
	if ratio > 0.5 {
		t.Errorf("%.3f plugin calls per request under load; batching should share most round trips", ratio)
	}
}

// TestFeedStateOnOps: /readyz detail names each feed's state (without
// making jwtd unready) and /metrics carries jwtd_feed_state,
// jwtd_feed_lag_seconds and jwtd_view_entries; with the plugin's feed
// gone (change_feed = false) there is no feed to report.
func TestFeedStateOnOps(t *testing.T) {
	db := filepath.Join(t.TempDir(), "jwtd.db")
	srv := startServe(t, "[server]\npublic_ops = true\n"+feedConfig(t, false, db, fmt.Sprintf("path = %q\n", db)), daemon.ServeOptions{})
	get := func(path string) (int, string) {
		resp, err := http.Get(srv.base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		code, body := get("/readyz")
		if code == http.StatusOK && strings.Contains(body, `"blacklist_store_feed":"feed live"`) && strings.Contains(body, `"user_store_feed":"feed live"`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("/readyz never reported both feeds live: %d %s", code, body)
		}
		time.Sleep(20 * time.Millisecond)
	}
	_, metricsText := get("/metrics")
	for _, want := range []string{
		`jwtd_feed_state{state="live",store="blacklist_store"} 1`,
		`jwtd_feed_state{state="down",store="blacklist_store"} 0`,
		`jwtd_feed_lag_seconds{store="user_store"}`,
		`jwtd_view_entries{store="blacklist_store",view="blacklist"} 0`,
		`jwtd_view_entries{store="user_store",view="users"} 0`,
		`jwtd_feed_answers_total{source="memory",store="blacklist_store"} 0`,
		// The SQLite feed carries sessions: its session view is reported.
		`jwtd_view_entries{store="blacklist_store",view="sessions"} 0`,
		`jwtd_feed_session_answers_total{source="memory",store="blacklist_store"} 0`,
	} {
		if !strings.Contains(metricsText, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}
