package sqlite_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/jwtd/jwtd/plugins/sqlite"
	"github.com/jwtd/jwtd/sdk"
	"github.com/jwtd/jwtd/sdk/sdktest"
)

// feedBound is how soon a feed must report another connection's commit:
// the host's default max lag.
const feedBound = 100 * time.Millisecond

func TestBlacklistFeedSync(t *testing.T) {
	sdktest.TestChangeFeedSync(t, openBlacklist(t, dbPath(t)))
}

func TestUserFeedSync(t *testing.T) {
	sdktest.TestChangeFeedSync(t, openUsers(t, cheapArgon2(sdk.Config{"path": dbPath(t), "migrate": true})))
}

// TestBlacklistFeed: the snapshot holds what was blacklisted before Watch
// (expired rows left out), and a jti blacklisted afterwards by another
// store on the file (another process: the CLI, a second jwtd) or by raw
// SQL reaches the feed within the bound.
func TestBlacklistFeed(t *testing.T) {
	ctx := context.Background()
	path := dbPath(t)
	s := openBlacklist(t, path)
	now := time.Now()
	if _, err := s.Blacklist(ctx, record("before", now.Add(time.Hour))); err != nil {
		t.Fatal(err)
	}
	if _, err := rawDB(t, path).Exec(`INSERT INTO jwtd_blacklisted_tokens VALUES ('old', '7', 'refresh', 0, ?)`, now.Add(-time.Minute).UnixMilli()); err != nil {
		t.Fatal(err)
	}
	f := sdktest.WatchFeed(t, s)
	snap := map[string]bool{}
	for _, c := range f.Changes() {
		if c.Kind == sdk.ChangeBlacklisted {
			snap[c.JTI] = true
		}
	}
	if !snap["before"] || snap["old"] {
		t.Fatalf("snapshot %v, want before and not the expired old", snap)
	}

	other := openBlacklist(t, path)
	for i, write := range []func(jti string) error{
		func(jti string) error { _, err := other.Blacklist(ctx, record(jti, now.Add(time.Hour))); return err },
		func(jti string) error {
			_, err := rawDB(t, path).Exec(`INSERT INTO jwtd_blacklisted_tokens VALUES (?, '7', 'refresh', 0, ?)`, jti, now.Add(time.Hour).UnixMilli())
			return err
		},
	} {
		jti := fmt.Sprintf("later-%d", i)
		start := time.Now()
		if err := write(jti); err != nil {
			t.Fatal(err)
		}
		c, at := f.Wait(5*time.Second, func(c sdk.Change) bool { return c.Kind == sdk.ChangeBlacklisted && c.JTI == jti })
		if d := at.Sub(start); d > feedBound {
			t.Errorf("write %d reached the feed after %v, want within %v", i, d, feedBound)
		}
		if !c.ExpiresAt.Equal(now.Add(time.Hour).Truncate(time.Millisecond)) {
			t.Errorf("expiry %v, want %v", c.ExpiresAt, now.Add(time.Hour))
		}
	}
}

// TestUserFeed: a user the store returned and then deactivated, given a
// new password or deleted behind its back (raw SQL, as Django or the CLI
// would) is reported within the bound; a login (last_login) is not.
func TestUserFeed(t *testing.T) {
	ctx := context.Background()
	path := dbPath(t)
	s := openUsers(t, cheapArgon2(sdk.Config{"path": path, "migrate": true}))
	var ids []string
	for _, name := range []string{"ann", "ben", "cat", "dan"} {
		u, err := s.CreateUser(ctx, sdk.NewUser{Username: name, Password: "pw-" + name, IsActive: true})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, u.ID)
	}
	f := sdktest.WatchFeed(t, s)
	for _, id := range ids {
		if _, err := s.LookupUser(ctx, "id", id); err != nil {
			t.Fatal(err)
		}
	}
	db := rawDB(t, path)
	if err := s.RecordLogin(ctx, ids[3], time.Now()); err != nil {
		t.Fatal(err)
	}
	for i, stmt := range []string{
		`UPDATE jwtd_users SET is_active = 0 WHERE id = ?`,
		`UPDATE jwtd_users SET password = 'argon2$changed' WHERE id = ?`,
		`DELETE FROM jwtd_users WHERE id = ?`,
	} {
		start := time.Now()
		if _, err := db.Exec(stmt, ids[i]); err != nil {
			t.Fatal(err)
		}
		_, at := f.Wait(5*time.Second, func(c sdk.Change) bool { return c.Kind == sdk.ChangeUser && c.UserID == ids[i] })
		if d := at.Sub(start); d > feedBound {
			t.Errorf("%s reached the feed after %v, want within %v", stmt, d, feedBound)
		}
	}
	time.Sleep(5 * sdk.SyncInterval)
	for _, c := range f.Changes() {
		if c.Kind == sdk.ChangeUser && c.UserID == ids[3] {
			t.Errorf("a login (last_login) was reported as a change of user %s", ids[3])
		}
	}
}

// TestCloseEndsFeeds: closing a store ends its feeds with a reset (an
// in-process host stops answering from memory before Close returns) and
// sdk.ErrUnavailable; a Watch after Close fails at once.
func TestCloseEndsFeeds(t *testing.T) {
	path := dbPath(t)
	bl := openBlacklist(t, path)
	us := openUsers(t, cheapArgon2(sdk.Config{"path": path, "migrate": true}))
	for _, s := range []interface {
		sdk.ChangeFeed
		Close() error
	}{bl, us} {
		f := sdktest.WatchFeed(t, s)
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		got := f.Changes()
		if last := got[len(got)-1]; last.Kind != sdk.ChangeReset {
			t.Errorf("%T: last change before Close returned is %v, want reset", s, last.Kind)
		}
		deadline := time.Now().Add(5 * time.Second)
		for !f.Ended() && time.Now().Before(deadline) {
			time.Sleep(time.Millisecond)
		}
		if !errors.Is(f.Err(), sdk.ErrUnavailable) {
			t.Errorf("%T: feed ended with %v, want sdk.ErrUnavailable", s, f.Err())
		}
		if err := s.Watch(context.Background(), func(sdk.Change) error { return nil }); !errors.Is(err, sdk.ErrUnavailable) {
			t.Errorf("%T: Watch after Close = %v", s, err)
		}
	}
}

// TestSessionFeed: the conformance checks of a feed that carries sessions,
// within the host's max lag.
func TestSessionFeed(t *testing.T) {
	sdktest.TestSessionFeed(t, openBlacklist(t, dbPath(t)), feedBound)
}

// TestSessionFeedKinds: the kinds the triggers write are the sdk's.
func TestSessionFeedKinds(t *testing.T) {
	for got, want := range map[string]sdk.ChangeKind{
		sqlite.BlacklistedKind: sdk.ChangeBlacklisted, sqlite.SessionRevokedKind: sdk.ChangeSessionRevoked, sqlite.UserNotBeforeKind: sdk.ChangeUserNotBefore,
	} {
		if got != fmt.Sprint(int(want)) {
			t.Errorf("trigger kind %s, want %d (%v)", got, want, want)
		}
	}
}
