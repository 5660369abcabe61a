package main_test

import (
	"context"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/jwtd/jwtd/host/pluginhost"
	"github.com/jwtd/jwtd/plugins/sqlite"
	"github.com/jwtd/jwtd/sdk"
	"github.com/jwtd/jwtd/sdk/sdktest"
)

// The conformance kit against the SQLite stores in process and as this
// command's real binary, and the blacklist's survival of a plugin crash.

func cheap(cfg sdk.Config) sdk.Config {
	cfg["argon2_time_cost"] = 1
	cfg["argon2_memory_cost"] = 64
	cfg["argon2_parallelism"] = 1
	return cfg
}

func TestInProcess(t *testing.T) {
	ctx := context.Background()
	t.Run("UserStore", func(t *testing.T) {
		sdktest.TestUserStore(t, func(t *testing.T) sdktest.UserStoreSetup {
			s, err := sqlite.NewUserStore(ctx, cheap(sdk.Config{"path": filepath.Join(t.TempDir(), "u.db")}))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { closeIt(s) })
			return sdktest.UserStoreSetup{Store: s}
		})
	})
	t.Run("BlacklistStore", func(t *testing.T) {
		sdktest.TestBlacklistStore(t, func(t *testing.T) sdk.BlacklistStore {
			s, err := sqlite.NewBlacklistStore(ctx, sdk.Config{"path": filepath.Join(t.TempDir(), "b.db")})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { closeIt(s) })
			return s
		})
	})
}

func closeIt(v any) {
	if c, ok := v.(interface{ Close() error }); ok {
		_ = c.Close()
	}
}

func buildPlugin(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds a plugin binary")
	}
	bin := filepath.Join(t.TempDir(), "jwtd-plugin-sqlite")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func TestOutOfProcess(t *testing.T) {
	bin := buildPlugin(t)
	ctx := context.Background()
	h := pluginhost.New(nil, pluginhost.WithHealthInterval(200*time.Millisecond), pluginhost.WithBackoff(50*time.Millisecond, time.Second))
	defer h.Close()
	// One database file. The user store's cheap hashing settings make its
	// config differ from the blacklist's, so here each kind has its own
	// process (kinds with equal configs share one: see host/pluginhost).
	path := filepath.Join(t.TempDir(), "jwtd.db")
	cfg := sdk.Config{"path": path}
	us, err := h.UserStore(ctx, pluginhost.Spec{Name: "user_store", Path: bin, Config: cheap(sdk.Config{"path": path})})
	if err != nil {
		t.Fatal(err)
	}
	bl, err := h.BlacklistStore(ctx, pluginhost.Spec{Name: "blacklist_store", Path: bin, Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	st := h.Ping(ctx)
	if len(st) != 2 || st[0].PID == st[1].PID || !st[0].Up || !st[1].Up {
		t.Fatalf("Ping = %+v, want two kinds up in two processes", st)
	}
	t.Run("UserStore", func(t *testing.T) {
		sdktest.TestUserStore(t, func(t *testing.T) sdktest.UserStoreSetup { return sdktest.UserStoreSetup{Store: us} })
	})
	t.Run("BlacklistStore", func(t *testing.T) {
		sdktest.TestBlacklistStore(t, func(t *testing.T) sdk.BlacklistStore { return bl })
	})
	// The capabilities the shipped binary offers, across the boundary.
	t.Run("LoginFailureStore", func(t *testing.T) {
		f, ok := sdk.As[sdk.LoginFailureStore](bl)
		if !ok {
			t.Fatal("sdk.LoginFailureStore did not cross the plugin boundary")
		}
		sdktest.TestLoginFailureStore(t, func(t *testing.T) sdk.LoginFailureStore { return f })
	})
	t.Run("SessionStore", func(t *testing.T) {
		ss, ok := sdk.As[sdk.SessionStore](bl)
		if !ok {
			t.Fatal("sdk.SessionStore did not cross the plugin boundary")
		}
		sdktest.TestSessionStore(t, func(t *testing.T) sdk.SessionStore { return ss })
	})

	// A blacklisted jti stays blacklisted across a crash of the plugin:
	// the restarted process reopens the same file.
	rec := sdk.TokenRecord{JTI: "survivor", UserID: "1", TokenType: "refresh", IssuedAt: time.Now(), ExpiresAt: time.Now().Add(time.Hour)}
	if added, err := bl.Blacklist(ctx, rec); err != nil || !added {
		t.Fatalf("Blacklist = %v, %v", added, err)
	}
	if err := syscall.Kill(st[1].PID, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		b, err := bl.IsBlacklisted(ctx, rec.JTI)
		if err == nil {
			if !b {
				t.Fatal("blacklisted jti forgotten after the plugin restarted")
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("blacklist not back 10s after SIGKILL: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if st := h.Ping(ctx); st[1].Restarts < 1 || st[0].Restarts != 0 || !st[0].Up || !st[1].Up {
		t.Fatalf("Ping after restart = %+v", st)
	}
}
