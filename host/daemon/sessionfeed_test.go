package daemon_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jwtd/jwtd/core"
	"github.com/jwtd/jwtd/host/config"
	"github.com/jwtd/jwtd/host/daemon"
	"github.com/jwtd/jwtd/host/metrics"
	"github.com/jwtd/jwtd/internal/redistest"
	"github.com/jwtd/jwtd/plugins/sqlite"
	"github.com/jwtd/jwtd/sdk"
)

// withRevocation turns sessions and access-token revocation on in a
// feedConfig.
func withRevocation(text string) string {
	return strings.Replace(text, "[tokens]\n", "[tokens]\nsessions = true\nreuse_interval = \"0s\"\nrevoke_access_tokens = true\n", 1)
}

// newSession issues a pair for user on st and returns it with its session
// id (the one session of user that was not there before).
func newSession(t *testing.T, st *daemon.Stack, user sdk.User) (core.Issued, string) {
	t.Helper()
	ctx := context.Background()
	before, err := st.Service.Sessions(ctx, user.ID)
	if err != nil {
		t.Fatal(err)
	}
	pair, err := st.Service.IssueFor(ctx, user)
	if err != nil {
		t.Fatal(err)
	}
	after, err := st.Service.Sessions(ctx, user.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range after {
		if !strings.Contains(fmt.Sprint(before), s.ID) {
			return pair, s.ID
		}
	}
	t.Fatal("IssueFor created no session")
	return pair, ""
}

// refusedWithin authenticates access on st until it is refused, failing
// the test when it is still accepted feedMaxLag after since.
func refusedWithin(t *testing.T, st *daemon.Stack, access string, since time.Time, what string) time.Duration {
	t.Helper()
	for {
		asked := time.Now()
		if _, _, err := st.Service.Authenticate(context.Background(), "Bearer "+access); err != nil {
			return asked.Sub(since)
		}
		if asked.Sub(since) > feedMaxLag {
			t.Fatalf("%s: the access token was still accepted %v after (bound %v)", what, asked.Sub(since), feedMaxLag)
		}
		time.Sleep(200 * time.Microsecond)
	}
}

// TestAccessRevocationFromFeedSQLite: with revoke_access_tokens and a
// SQLite file whose feed carries sessions, authenticate asks the store
// nothing (no SessionState call) while the feed is live, yet refuses an
// access token within feed_max_lag once another process — the jwtd CLI on
// the same file — revokes its session or all of its user's; in process and
// out of process.
func TestAccessRevocationFromFeedSQLite(t *testing.T) {
	for _, oop := range []bool{false, true} {
		t.Run(map[bool]string{false: "in process", true: "out of process"}[oop], func(t *testing.T) {
			ctx := context.Background()
			db := filepath.Join(t.TempDir(), "jwtd.db")
			text := withRevocation(feedConfig(t, oop, db, fmt.Sprintf("path = %q\nsweep_interval = \"0\"\n", db)))
			cliConfig := writeConfig(t, withRevocation(feedConfig(t, false, db, fmt.Sprintf("path = %q\n", db))))
			m := metrics.New()
			b := buildStack(t, text, m)
			w := watcher(t, b, config.KindBlacklistStore)
			u, err := sqlite.OpenUserStore(ctx, sdk.Config{"path": db})
			if err != nil {
				t.Fatal(err)
			}
			defer u.Close()
			user, err := u.CreateUser(ctx, sdk.NewUser{Username: "alice", Password: "pw", IsActive: true})
			if err != nil {
				t.Fatal(err)
			}
			one, oneID := newSession(t, b, user)
			two, _ := newSession(t, b, user)

			before := pluginCalls(t, m, "blacklist_store", "SessionState")
			for range 50 {
				if _, _, err := b.Service.Authenticate(ctx, "Bearer "+one.Access); err != nil {
					t.Fatalf("authenticate before any revocation: %v", err)
				}
			}
			if calls := pluginCalls(t, m, "blacklist_store", "SessionState") - before; calls != 0 {
				t.Fatalf("50 authenticates made %v SessionState store calls with a live session feed, want 0", calls)
			}
			if st := w.Stats(); st.SessionsFromMemory < 50 {
				t.Fatalf("stats %+v: want the 50 session checks answered from memory", st)
			}

			// One session, by the CLI on the file.
			runCLI(t, []string{"session", "revoke", oneID, "--config", cliConfig})
			d := refusedWithin(t, b, one.Access, time.Now(), "jwtd session revoke")
			t.Logf("session revoked by the CLI: refused after %v", d)
			if _, _, err := b.Service.Authenticate(ctx, "Bearer "+two.Access); err != nil {
				t.Fatalf("the other session's access token is refused too: %v", err)
			}

			// Every session of the user (logout everywhere), by the CLI.
			runCLI(t, []string{"user", "revoke", "alice", "--config", cliConfig})
			d = refusedWithin(t, b, two.Access, time.Now(), "jwtd user revoke")
			t.Logf("user revoked by the CLI: refused after %v", d)
			if calls := pluginCalls(t, m, "blacklist_store", "SessionState") - before; calls != 0 {
				t.Errorf("%v SessionState store calls while the feed was live, want 0", calls)
			}
		})
	}
}

// TestAccessRevocationFromFeedRedis: two jwtd on one Redis (A in process,
// B out of process). B authenticates A's access tokens with no SessionState
// store call while its feed is live; after a revocation on A — logout,
// refresh-token reuse, logout everywhere — A refuses the access token at
// once and B within feed_max_lag.
func TestAccessRevocationFromFeedRedis(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	users := filepath.Join(dir, "users.db")
	table := fmt.Sprintf("addrs = [%q]\n", redistest.Start(t).Addr)
	mb := metrics.New()
	a := buildStack(t, withRevocation(feedConfig(t, false, users, table)), nil)
	b := buildStack(t, withRevocation(feedConfig(t, true, users, table)), mb)
	watcher(t, a, config.KindBlacklistStore)
	wb := watcher(t, b, config.KindBlacklistStore)
	u, err := sqlite.OpenUserStore(ctx, sdk.Config{"path": users})
	if err != nil {
		t.Fatal(err)
	}
	defer u.Close()
	user, err := u.CreateUser(ctx, sdk.NewUser{Username: "bob", Password: "pw", IsActive: true})
	if err != nil {
		t.Fatal(err)
	}
	before := pluginCalls(t, mb, "blacklist_store", "SessionState")
	for _, tc := range []struct {
		name   string
		revoke func(p core.Issued)
	}{
		{"logout", func(p core.Issued) {
			if err := a.Service.Logout(ctx, p.Refresh); err != nil {
				t.Fatalf("logout on A: %v", err)
			}
		}},
		{"refresh-token reuse", func(p core.Issued) {
			if _, err := a.Service.Refresh(ctx, p.Refresh); err != nil {
				t.Fatalf("first refresh on A: %v", err)
			}
			if _, err := a.Service.Refresh(ctx, p.Refresh); err == nil {
				t.Fatal("the replayed refresh token was accepted")
			}
		}},
		{"logout everywhere", func(core.Issued) {
			if _, err := a.Service.RevokeUser(ctx, user.ID); err != nil {
				t.Fatalf("revoke user on A: %v", err)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, _ := newSession(t, a, user)
			for range 20 {
				if _, _, err := b.Service.Authenticate(ctx, "Bearer "+p.Access); err != nil {
					t.Fatalf("authenticate on B before the revocation: %v", err)
				}
			}
			tc.revoke(p)
			done := time.Now()
			if _, _, err := a.Service.Authenticate(ctx, "Bearer "+p.Access); err == nil {
				t.Fatal("A accepted the access token it had just revoked")
			}
			d := refusedWithin(t, b, p.Access, done, tc.name+" on A, authenticate on B")
			t.Logf("%s on A: refused by B after %v", tc.name, d)
		})
	}
	if calls := pluginCalls(t, mb, "blacklist_store", "SessionState") - before; calls != 0 {
		t.Errorf("B made %v SessionState store calls with a live session feed, want 0", calls)
	}
	if st := wb.Stats(); st.SessionsFromMemory < 60 {
		t.Errorf("B's stats %+v: want its session checks answered from memory", st)
	}
}
