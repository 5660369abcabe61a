package sqlite_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/jwtd/jwtd/plugins/sqlite"
	"github.com/jwtd/jwtd/sdk"
)

func TestBlacklistConfig(t *testing.T) {
	tests := []struct {
		name string
		cfg  sdk.Config
	}{
		{"missing path", sdk.Config{}},
		{"unknown key", sdk.Config{"path": "x.db", "sweep": "1h"}},
		{"wrong type", sdk.Config{"path": 42}},
		{"bad sweep interval", sdk.Config{"path": "x.db", "sweep_interval": "hourly"}},
		{"negative sweep interval", sdk.Config{"path": "x.db", "sweep_interval": "-1h"}},
		{"bad busy timeout", sdk.Config{"path": "x.db", "busy_timeout": "soon"}},
		{"memory database", sdk.Config{"path": ":memory:"}},
		{"uri path", sdk.Config{"path": "file:x.db?mode=ro"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := sqlite.NewBlacklistStore(context.Background(), tt.cfg)
			if err == nil {
				s.(*sqlite.BlacklistStore).Close()
				t.Fatal("config accepted")
			}
			if !errors.Is(err, sdk.ErrInvalidConfig) {
				t.Fatalf("err = %v, want ErrInvalidConfig", err)
			}
		})
	}
}

func TestBlacklistMethods(t *testing.T) {
	ctx := context.Background()
	s := openBlacklist(t, dbPath(t))
	exp := time.Now().Add(time.Hour)

	if got, err := s.IsBlacklisted(ctx, "a"); err != nil || got {
		t.Fatalf("IsBlacklisted(unknown) = %v, %v", got, err)
	}
	if err := s.AddOutstanding(ctx, record("a", exp)); err != nil {
		t.Fatal(err)
	}
	if err := s.AddOutstanding(ctx, record("a", exp)); err != nil {
		t.Fatalf("AddOutstanding twice: %v", err)
	}
	if got, _ := s.IsBlacklisted(ctx, "a"); got {
		t.Fatal("outstanding token reported blacklisted")
	}
	added, err := s.Blacklist(ctx, record("a", exp))
	if err != nil || !added {
		t.Fatalf("Blacklist first = %v, %v", added, err)
	}
	added, err = s.Blacklist(ctx, record("a", exp))
	if err != nil || added {
		t.Fatalf("Blacklist again = %v, %v", added, err)
	}
	if got, err := s.IsBlacklisted(ctx, "a"); err != nil || !got {
		t.Fatalf("IsBlacklisted = %v, %v", got, err)
	}
	if got, _ := s.IsBlacklisted(ctx, "b"); got {
		t.Fatal("other jti reported blacklisted")
	}
	if err := s.Ping(ctx); err != nil {
		t.Fatalf("Ping: %v", err)
	}
	for _, bad := range []sdk.TokenRecord{{ExpiresAt: exp}, {JTI: "x"}} {
		if _, err := s.Blacklist(ctx, bad); err == nil {
			t.Errorf("Blacklist(%+v) accepted", bad)
		}
		if err := s.AddOutstanding(ctx, bad); err == nil {
			t.Errorf("AddOutstanding(%+v) accepted", bad)
		}
	}
}

func TestBlacklistFlushExpired(t *testing.T) {
	ctx := context.Background()
	s := openBlacklist(t, dbPath(t))
	now := time.Now()
	past, future := now.Add(-time.Minute), now.Add(time.Hour)
	for _, r := range []sdk.TokenRecord{record("old1", past), record("old2", past), record("live", future)} {
		if err := s.AddOutstanding(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	for _, r := range []sdk.TokenRecord{record("old1", past), record("live", future)} {
		if _, err := s.Blacklist(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	n, err := s.FlushExpired(ctx, now)
	if err != nil {
		t.Fatal(err)
	}
	if n != 3 {
		t.Fatalf("FlushExpired = %d, want 3 (two outstanding, one blacklisted)", n)
	}
	if got, _ := s.IsBlacklisted(ctx, "old1"); got {
		t.Error("expired blacklist row survived the flush")
	}
	if got, _ := s.IsBlacklisted(ctx, "live"); !got {
		t.Error("live blacklist row flushed")
	}
	if n, _ := s.FlushExpired(ctx, now); n != 0 {
		t.Errorf("second FlushExpired = %d, want 0", n)
	}
	// The flushed jti can be blacklisted again (its row is gone).
	if added, _ := s.Blacklist(ctx, record("old1", future)); !added {
		t.Error("flushed jti could not be blacklisted again")
	}
}

// TestBlacklistSweep: the background sweep removes expired rows by itself,
// and Close stops it.
func TestBlacklistSweep(t *testing.T) {
	ctx := context.Background()
	path := dbPath(t)
	s, err := sqlite.OpenBlacklistStore(ctx, sdk.Config{"path": path, "sweep_interval": "20ms"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Blacklist(ctx, record("soon", time.Now().Add(50*time.Millisecond))); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Blacklist(ctx, record("later", time.Now().Add(time.Hour))); err != nil {
		t.Fatal(err)
	}
	db := rawDB(t, path)
	deadline := time.Now().Add(10 * time.Second)
	for {
		var n int
		if err := db.QueryRow(`SELECT count(*) FROM jwtd_blacklisted_tokens WHERE jti = 'soon'`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("sweep did not remove the expired row")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if got, _ := s.IsBlacklisted(ctx, "later"); !got {
		t.Fatal("sweep removed a live row")
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestBlacklistConcurrentSingleWinner: 20 concurrent Blacklist calls with one
// jti, spread over three store instances (three *sql.DB pools, as three jwtd
// processes would have) on one file: exactly one reports true.
func TestBlacklistConcurrentSingleWinner(t *testing.T) {
	ctx := context.Background()
	path := dbPath(t)
	stores := []*sqlite.BlacklistStore{openBlacklist(t, path), openBlacklist(t, path), openBlacklist(t, path)}
	for round := range 5 {
		jti := fmt.Sprintf("jti-%d", round)
		var wins sync.WaitGroup
		results := make(chan bool, 20)
		errs := make(chan error, 20)
		start := make(chan struct{})
		for i := range 20 {
			wins.Add(1)
			go func() {
				defer wins.Done()
				<-start
				added, err := stores[i%len(stores)].Blacklist(ctx, record(jti, time.Now().Add(time.Hour)))
				if err != nil {
					errs <- err
					return
				}
				results <- added
			}()
		}
		close(start)
		wins.Wait()
		close(results)
		close(errs)
		for err := range errs {
			t.Fatalf("Blacklist: %v", err)
		}
		n := 0
		for added := range results {
			if added {
				n++
			}
		}
		if n != 1 {
			t.Fatalf("round %d: %d calls reported added, want exactly 1", round, n)
		}
		for _, s := range stores {
			if got, _ := s.IsBlacklisted(ctx, jti); !got {
				t.Fatalf("round %d: a store does not see the blacklisted jti", round)
			}
		}
	}
}

// TestStoresShareOneFile: the user store and the blacklist store, each with
// its own pool, on one file under concurrent writes.
func TestStoresShareOneFile(t *testing.T) {
	ctx := context.Background()
	path := dbPath(t)
	users := openUsers(t, cheapArgon2(sdk.Config{"path": path}))
	bl := openBlacklist(t, path)
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	for i := range 10 {
		wg.Add(2)
		go func() {
			defer wg.Done()
			if _, err := users.CreateUser(ctx, sdk.NewUser{Username: fmt.Sprintf("u%d", i), Password: "pw", IsActive: true}); err != nil {
				errs <- err
			}
		}()
		go func() {
			defer wg.Done()
			for j := range 5 {
				if _, err := bl.Blacklist(ctx, record(fmt.Sprintf("j%d-%d", i, j), time.Now().Add(time.Hour))); err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	for i := range 10 {
		if _, err := users.LookupUser(ctx, "username", fmt.Sprintf("u%d", i)); err != nil {
			t.Fatalf("user u%d: %v", i, err)
		}
		if got, _ := bl.IsBlacklisted(ctx, fmt.Sprintf("j%d-4", i)); !got {
			t.Fatalf("jti j%d-4 missing", i)
		}
	}
	db := rawDB(t, path)
	for component, want := range map[string]int{"blacklist": 1, "users:jwtd_users": 1} {
		if v, err := sqlite.SchemaVersion(ctx, db, component); err != nil || v != want {
			t.Errorf("schema %s = %d, %v; want %d", component, v, err, want)
		}
	}
}

// TestBlacklistReopen: opening an existing file migrates nothing twice and
// keeps the rows.
func TestBlacklistReopen(t *testing.T) {
	ctx := context.Background()
	path := dbPath(t)
	s1 := openBlacklist(t, path)
	if _, err := s1.Blacklist(ctx, record("keep", time.Now().Add(time.Hour))); err != nil {
		t.Fatal(err)
	}
	s1.Close()
	s2 := openBlacklist(t, path)
	if got, err := s2.IsBlacklisted(ctx, "keep"); err != nil || !got {
		t.Fatalf("after reopen IsBlacklisted = %v, %v", got, err)
	}
	if v, _ := sqlite.SchemaVersion(ctx, rawDB(t, path), "blacklist"); v != 1 {
		t.Fatalf("schema version %d, want 1", v)
	}
}

func TestBlacklistRefusesNewerSchema(t *testing.T) {
	ctx := context.Background()
	path := dbPath(t)
	openBlacklist(t, path).Close()
	if _, err := rawDB(t, path).Exec(`UPDATE jwtd_schema SET version = 99 WHERE component = 'blacklist'`); err != nil {
		t.Fatal(err)
	}
	if _, err := sqlite.NewBlacklistStore(ctx, sdk.Config{"path": path}); err == nil {
		t.Fatal("opened a database with a newer schema")
	}
}

// TestBlacklistClosed: every method of a closed store returns an error
// wrapping sdk.ErrUnavailable, and none panics.
func TestBlacklistClosed(t *testing.T) {
	ctx := context.Background()
	s := openBlacklist(t, dbPath(t))
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	r := record("x", time.Now().Add(time.Hour))
	checks := map[string]error{
		"AddOutstanding": s.AddOutstanding(ctx, r),
		"Ping":           s.Ping(ctx),
		"Export":         s.Export(ctx, time.Now(), func(sdk.TokenRecord, bool) error { return nil }),
	}
	_, checks["Blacklist"] = s.Blacklist(ctx, r)
	_, checks["IsBlacklisted"] = s.IsBlacklisted(ctx, "x")
	_, checks["FlushExpired"] = s.FlushExpired(ctx, time.Now())
	for name, err := range checks {
		if !errors.Is(err, sdk.ErrUnavailable) {
			t.Errorf("%s after Close: %v, want ErrUnavailable", name, err)
		}
	}
}

func TestBlacklistCanceledContext(t *testing.T) {
	s := openBlacklist(t, dbPath(t))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.IsBlacklisted(ctx, "x"); !errors.Is(err, sdk.ErrUnavailable) {
		t.Fatalf("IsBlacklisted with canceled ctx: %v", err)
	}
}

func TestBlacklistExport(t *testing.T) {
	ctx := context.Background()
	s := openBlacklist(t, dbPath(t))
	now := time.Now()
	live, dead := now.Add(time.Hour), now.Add(-time.Hour)
	for _, r := range []sdk.TokenRecord{record("o-live", live), record("o-dead", dead), record("both", live)} {
		if err := s.AddOutstanding(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	for _, r := range []sdk.TokenRecord{record("b-live", live), record("b-dead", dead), record("both", live)} {
		if _, err := s.Blacklist(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	err := s.Export(ctx, now, func(rec sdk.TokenRecord, blacklisted bool) error {
		got = append(got, fmt.Sprintf("%s/%v/%s/%s/%d", rec.JTI, blacklisted, rec.UserID, rec.TokenType, rec.ExpiresAt.Unix()))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(got)
	e := live.Unix()
	want := []string{
		fmt.Sprintf("b-live/true/7/refresh/%d", e),
		fmt.Sprintf("both/false/7/refresh/%d", e),
		fmt.Sprintf("both/true/7/refresh/%d", e),
		fmt.Sprintf("o-live/false/7/refresh/%d", e),
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("Export = %v\nwant %v", got, want)
	}

	stop := errors.New("stop")
	calls := 0
	err = s.Export(ctx, now, func(sdk.TokenRecord, bool) error { calls++; return stop })
	if !errors.Is(err, stop) || calls != 1 {
		t.Fatalf("Export with failing fn = %v after %d calls", err, calls)
	}
	// The export's read transaction is over: writes still work.
	if _, err := s.Blacklist(ctx, record("after", live)); err != nil {
		t.Fatalf("Blacklist after Export: %v", err)
	}
}

func BenchmarkIsBlacklisted(b *testing.B) {
	ctx := context.Background()
	s := openBlacklist(b, dbPath(b))
	for i := range 1000 {
		if _, err := s.Blacklist(ctx, record(fmt.Sprintf("jti-%d", i), time.Now().Add(time.Hour))); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	i := 0
	for b.Loop() {
		if _, err := s.IsBlacklisted(ctx, fmt.Sprintf("jti-%d", i%2000)); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

func BenchmarkBlacklist(b *testing.B) {
	ctx := context.Background()
	s := openBlacklist(b, dbPath(b))
	exp := time.Now().Add(time.Hour)
	i := 0
	for b.Loop() {
		if _, err := s.Blacklist(ctx, record(fmt.Sprintf("jti-%d", i), exp)); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// TestNewFileIsPrivate: a database file the store creates (it will hold
// password hashes or token ids) and its WAL are readable by the owner only.
func TestNewFileIsPrivate(t *testing.T) {
	ctx := context.Background()
	path := dbPath(t)
	s := openBlacklist(t, path)
	if _, err := s.Blacklist(ctx, record("x", time.Now().Add(time.Hour))); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{path, path + "-wal"} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if mode := fi.Mode().Perm(); mode != 0o600 {
			t.Errorf("%s mode %o, want 600", filepath.Base(p), mode)
		}
	}
}

func TestMissingDirectoryIsAnError(t *testing.T) {
	_, err := sqlite.NewBlacklistStore(context.Background(), sdk.Config{"path": filepath.Join(t.TempDir(), "no", "such", "dir", "x.db")})
	if err == nil {
		t.Fatal("opened a database in a missing directory")
	}
}

// BenchmarkIsBlacklistedParallel is the verify hot path as the daemon sees
// it: eight goroutines on two cores asking about a mix of blacklisted and
// live JTIs, while a writer blacklists a token every millisecond (rotating
// refreshes), so reads keep meeting fresh WAL frames.
func BenchmarkIsBlacklistedParallel(b *testing.B) {
	ctx := context.Background()
	s := openBlacklist(b, dbPath(b))
	exp := time.Now().Add(time.Hour)
	for i := range 1000 {
		if _, err := s.Blacklist(ctx, record(fmt.Sprintf("jti-%d", i), exp)); err != nil {
			b.Fatal(err)
		}
	}
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			case <-t.C:
				if _, err := s.Blacklist(ctx, record(fmt.Sprintf("w-%d", i), exp)); err != nil {
					b.Error(err)
					return
				}
			}
		}
	}()
	b.SetParallelism(4)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			got, err := s.IsBlacklisted(ctx, fmt.Sprintf("jti-%d", i%2000))
			if err != nil {
				b.Error(err)
				return
			}
			if got != (i%2000 < 1000) {
				b.Errorf("IsBlacklisted(jti-%d) = %v", i%2000, got)
				return
			}
			i++
		}
	})
	b.StopTimer()
	close(stop)
	<-done
}
