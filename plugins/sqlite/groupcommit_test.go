package sqlite_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jwtd/jwtd/plugins/sqlite"
	"github.com/jwtd/jwtd/sdk"
)

func openBlacklistCfg(t testing.TB, cfg sdk.Config) *sqlite.BlacklistStore {
	t.Helper()
	s, err := sqlite.OpenBlacklistStore(context.Background(), cfg)
	if err != nil {
		t.Fatalf("OpenBlacklistStore: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// TestGroupCommitOneWinnerPerJTI: concurrent Blacklist calls, several per
// JTI, with AddOutstanding calls between them, on both paths: exactly one
// call per JTI reports added, and every row is there afterwards.
func TestGroupCommitOneWinnerPerJTI(t *testing.T) {
	for _, group := range []bool{true, false} {
		t.Run(fmt.Sprintf("group_commit=%v", group), func(t *testing.T) {
			path := dbPath(t)
			s := openBlacklistCfg(t, sdk.Config{"path": path, "sweep_interval": "0", "group_commit": group})
			ctx := context.Background()
			const jtis, callers = 40, 4
			wins := make([]atomic.Int32, jtis)
			var wg sync.WaitGroup
			errs := make(chan error, jtis*callers*2)
			for i := range jtis {
				for range callers {
					wg.Go(func() {
						rec := sdk.TokenRecord{JTI: fmt.Sprintf("jti-%d", i), UserID: "1", TokenType: "refresh", ExpiresAt: time.Now().Add(time.Hour)}
						if err := s.AddOutstanding(ctx, rec); err != nil {
							errs <- err
						}
						added, err := s.Blacklist(ctx, rec)
						if err != nil {
							errs <- err
						}
						if added {
							wins[i].Add(1)
						}
					})
				}
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Fatal(err)
			}
			for i := range jtis {
				if n := wins[i].Load(); n != 1 {
					t.Fatalf("jti-%d: %d calls reported added, want 1", i, n)
				}
				if black, err := s.IsBlacklisted(ctx, fmt.Sprintf("jti-%d", i)); err != nil || !black {
					t.Fatalf("jti-%d not blacklisted (%v, %v)", i, black, err)
				}
			}
			if !group && sqlite.Commits(s) != 0 {
				t.Fatal("group commit ran with group_commit = false")
			}
		})
	}
}

// TestGroupCommitBatches: writes that queue while a transaction holds the
// writer are committed together, many per transaction, and each is
// answered with its own result once committed.
func TestGroupCommitBatches(t *testing.T) {
	s := openBlacklistCfg(t, sdk.Config{"path": dbPath(t), "sweep_interval": "0"})
	ctx := context.Background()
	// Hold the writer connection: the committer's first transaction waits
	// for it, and the other calls queue behind it meanwhile.
	conn, err := sqlite.Writer(s).Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	const n = 64
	var wg sync.WaitGroup
	var answered atomic.Int32
	results := make([]bool, n)
	for i := range n {
		wg.Go(func() {
			rec := sdk.TokenRecord{JTI: fmt.Sprintf("jti-%d", i%(n/2)), UserID: "1", TokenType: "refresh", ExpiresAt: time.Now().Add(time.Hour)}
			added, err := s.Blacklist(ctx, rec)
			if err != nil {
				t.Error(err)
			}
			results[i] = added
			answered.Add(1)
		})
	}
	time.Sleep(200 * time.Millisecond) // let the calls queue
	if a := answered.Load(); a != 0 {
		t.Fatalf("%d calls answered before any commit could happen", a)
	}
	conn.Close()
	wg.Wait()
	if c := sqlite.Commits(s); c < 1 || c >= n/2 {
		t.Fatalf("%d writes took %d transactions: not grouped", n, c)
	}
	for j := range n / 2 {
		if results[j] == results[j+n/2] {
			t.Fatalf("jti-%d: added %v and %v, want exactly one winner", j, results[j], results[j+n/2])
		}
	}
}

// TestGroupCommitCallerGone: a call whose context has ended is answered
// with an unavailable error, and the store keeps serving the others.
func TestGroupCommitCallerGone(t *testing.T) {
	s := openBlacklistCfg(t, sdk.Config{"path": dbPath(t), "sweep_interval": "0"})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	rec := sdk.TokenRecord{JTI: "gone", UserID: "1", TokenType: "refresh", ExpiresAt: time.Now().Add(time.Hour)}
	if _, err := s.Blacklist(ctx, rec); !errors.Is(err, sdk.ErrUnavailable) {
		t.Fatalf("cancelled call: %v, want ErrUnavailable", err)
	}
	if added, err := s.Blacklist(context.Background(), rec); err != nil || !added {
		t.Fatalf("next call: %v %v", added, err)
	}
	s.Close()
	if _, err := s.Blacklist(context.Background(), rec); !errors.Is(err, sdk.ErrUnavailable) {
		t.Fatalf("after Close: %v, want ErrUnavailable", err)
	}
}

// TestGroupCommitFailureIsolated: a write that fails (a trigger refuses one
// JTI) fails its own call only; the calls batched with it are committed
// and report success.
func TestGroupCommitFailureIsolated(t *testing.T) {
	path := dbPath(t)
	s := openBlacklistCfg(t, sdk.Config{"path": path, "sweep_interval": "0"})
	ctx := context.Background()
	if _, err := rawDB(t, path).Exec(`CREATE TRIGGER poison BEFORE INSERT ON jwtd_blacklisted_tokens
		WHEN NEW.jti = 'poison' BEGIN SELECT RAISE(ABORT, 'poisoned'); END`); err != nil {
		t.Fatal(err)
	}
	conn, err := sqlite.Writer(s).Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	jtis := []string{"a", "b", "poison", "c", "d"}
	errs := make([]error, len(jtis))
	added := make([]bool, len(jtis))
	var wg sync.WaitGroup
	for i, jti := range jtis {
		wg.Go(func() {
			added[i], errs[i] = s.Blacklist(ctx, sdk.TokenRecord{JTI: jti, UserID: "1", TokenType: "refresh", ExpiresAt: time.Now().Add(time.Hour)})
		})
	}
	time.Sleep(100 * time.Millisecond) // let the calls queue into one batch
	conn.Close()
	wg.Wait()
	for i, jti := range jtis {
		black, err := s.IsBlacklisted(ctx, jti)
		if err != nil {
			t.Fatal(err)
		}
		if jti == "poison" {
			if !errors.Is(errs[i], sdk.ErrUnavailable) || black {
				t.Fatalf("poison: err %v, blacklisted %v; want ErrUnavailable and no row", errs[i], black)
			}
			continue
		}
		if errs[i] != nil || !added[i] || !black {
			t.Fatalf("%s: added %v, err %v, blacklisted %v", jti, added[i], errs[i], black)
		}
	}
}

// BenchmarkRotationWrites is a refresh rotation's two blacklist writes
// (blacklist the old token, record the new one) from 8 goroutines per CPU,
// with and without group commit.
func BenchmarkRotationWrites(b *testing.B) {
	for _, group := range []bool{false, true} {
		b.Run(fmt.Sprintf("group_commit=%v", group), func(b *testing.B) {
			s := openBlacklistCfg(b, sdk.Config{"path": dbPath(b), "sweep_interval": "0", "group_commit": group})
			ctx := context.Background()
			var seq atomic.Int64
			b.SetParallelism(8)
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					n := seq.Add(1)
					exp := time.Now().Add(time.Hour)
					if _, err := s.Blacklist(ctx, sdk.TokenRecord{JTI: fmt.Sprintf("old-%d", n), UserID: "1", TokenType: "refresh", ExpiresAt: exp}); err != nil {
						b.Fatal(err)
					}
					if err := s.AddOutstanding(ctx, sdk.TokenRecord{JTI: fmt.Sprintf("new-%d", n), UserID: "1", TokenType: "refresh", ExpiresAt: exp}); err != nil {
						b.Fatal(err)
					}
				}
			})
			if c := sqlite.Commits(s); c > 0 {
				b.ReportMetric(float64(2*b.N)/float64(c), "writes/commit")
			}
		})
	}
}
