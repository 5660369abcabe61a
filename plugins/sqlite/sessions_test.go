package sqlite_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/jwtd/jwtd/host/pluginhost"
	"github.com/jwtd/jwtd/plugins/sqlite"
	"github.com/jwtd/jwtd/sdk"
	"github.com/jwtd/jwtd/sdk/plugin"
	"github.com/jwtd/jwtd/sdk/sdktest"
)

// The test binary doubles as the SQLite plugin binary (go-plugin's own
// pattern): started by a pluginhost.Host, it serves what
// cmd/jwtd-plugin-sqlite serves.
func TestMain(m *testing.M) {
	if plugin.Launched() {
		plugin.Serve(plugin.Set{UserStore: sqlite.NewUserStore, BlacklistStore: sqlite.NewBlacklistStore})
		return
	}
	os.Exit(m.Run())
}

// outOfProcessBlacklist starts this binary as the blacklist plugin on cfg.
func outOfProcessBlacklist(t *testing.T, cfg sdk.Config) sdk.BlacklistStore {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	h := pluginhost.New(nil)
	t.Cleanup(func() { h.Close() })
	s, err := h.BlacklistStore(context.Background(), pluginhost.Spec{Name: "blacklist_store", Path: self, Config: cfg, CallTimeout: 5 * time.Second})
	if err != nil {
		t.Fatalf("starting the sqlite plugin process: %v", err)
	}
	return s
}

func TestConformanceSessionStore(t *testing.T) {
	path := dbPath(t)
	t.Run("in process", func(t *testing.T) {
		// One file, several store instances: how several jwtd processes
		// share the sessions.
		sdktest.TestSessionStore(t, func(t *testing.T) sdk.SessionStore { return openBlacklist(t, path) })
	})
	t.Run("out of process", func(t *testing.T) {
		ss, ok := sdk.As[sdk.SessionStore](outOfProcessBlacklist(t, sdk.Config{"path": path}))
		if !ok {
			t.Fatal("the sqlite plugin's blacklist store does not offer sdk.SessionStore across the boundary")
		}
		sdktest.TestSessionStore(t, func(*testing.T) sdk.SessionStore { return ss })
	})
	t.Run("django tables", func(t *testing.T) {
		path := djangoDB(t)
		sdktest.TestSessionStore(t, func(t *testing.T) sdk.SessionStore { return djangoBlacklist(t, path).(sdk.SessionStore) })
	})
}

// TestSessionsFlushed: FlushExpired drops sessions past their end.
func TestSessionsFlushed(t *testing.T) {
	ctx := context.Background()
	s := openBlacklist(t, dbPath(t))
	now := time.Now()
	if err := s.CreateSession(ctx, sdk.Session{ID: "s1", UserID: "u", CreatedAt: now, LastUsedAt: now, ExpiresAt: now.Add(time.Second)}, "j1"); err != nil {
		t.Fatal(err)
	}
	n, err := s.FlushExpired(ctx, now.Add(time.Hour))
	if err != nil || n != 1 {
		t.Fatalf("FlushExpired = %d, %v; want the one session", n, err)
	}
	if st, _ := s.SessionState(ctx, "u", "s1", now); !st.Revoked {
		t.Fatal("flushed session still reads live")
	}
}

// TestSessionRotationInGroupCommit: with group commit on, a rotation is
// committed by the committer (sharing its fsync with the blacklist writes
// beside it), and with it off in a transaction of its own.
func TestSessionRotationInGroupCommit(t *testing.T) {
	ctx := context.Background()
	for _, group := range []bool{true, false} {
		s, err := sqlite.OpenBlacklistStore(ctx, sdk.Config{"path": dbPath(t), "sweep_interval": "0", "group_commit": group})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		now := time.Now()
		if err := s.CreateSession(ctx, sdk.Session{ID: "s1", UserID: "u", CreatedAt: now, LastUsedAt: now, ExpiresAt: now.Add(time.Hour)}, "j1"); err != nil {
			t.Fatal(err)
		}
		before := sqlite.Commits(s)
		if r, err := s.RotateSession(ctx, "u", "s1", "j1", "j2", now); err != nil || r.Outcome != sdk.Rotated {
			t.Fatalf("RotateSession = %+v, %v", r, err)
		}
		if got, want := sqlite.Commits(s)-before, map[bool]int64{true: 1, false: 0}[group]; got != want {
			t.Fatalf("group_commit %v: the rotation made %d committer transactions, want %d", group, got, want)
		}
	}
}
