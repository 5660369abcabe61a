package postgres_test

import (
	"context"
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/jwtd/jwtd/internal/pgtest"
	"github.com/jwtd/jwtd/sdk"
	"github.com/jwtd/jwtd/sdk/sdktest"
)

// feedBound is how soon another instance's write must reach a feed.
const feedBound = 100 * time.Millisecond

// TestFeed: on jwtd's own tables the blacklist has a change feed (LISTEN/
// NOTIFY): the snapshot holds what was blacklisted before, a jti
// blacklisted by another store on the database (another jwtd, the CLI) or
// by plain SQL arrives within the bound, and the synced marks keep coming;
// a PostgreSQL restart ends the feed with sdk.ErrUnavailable. On Django's
// tables there is no feed.
func TestFeed(t *testing.T) {
	ctx := context.Background()
	srv := pgtest.Start(t)
	dsn := newDB(t, srv, false)
	a, b := openBlacklist(t, sdk.Config{"dsn": dsn}), openBlacklist(t, sdk.Config{"dsn": dsn})
	fa, ok := a.(sdk.ChangeFeed)
	if !ok {
		t.Fatalf("%T has no change feed", a)
	}
	before := sdk.TokenRecord{JTI: "before", UserID: "1", TokenType: "refresh", ExpiresAt: time.Now().Add(time.Hour).Truncate(time.Millisecond)}
	if _, err := a.Blacklist(ctx, before); err != nil {
		t.Fatal(err)
	}
	sdktest.TestChangeFeedSync(t, fa)
	f := sdktest.WatchFeed(t, fa)
	f.Wait(time.Second, func(c sdk.Change) bool { return c.Kind == sdk.ChangeBlacklisted && c.JTI == "before" })

	later := sdk.TokenRecord{JTI: "later", UserID: "1", TokenType: "refresh", ExpiresAt: time.Now().Add(time.Hour).Truncate(time.Millisecond)}
	start := time.Now()
	if _, err := b.Blacklist(ctx, later); err != nil {
		t.Fatal(err)
	}
	c, at := f.Wait(5*time.Second, func(c sdk.Change) bool { return c.Kind == sdk.ChangeBlacklisted && c.JTI == "later" })
	if d := at.Sub(start); d > feedBound {
		t.Errorf("another store's blacklisting reached the feed after %v, want within %v", d, feedBound)
	}
	if !c.ExpiresAt.Equal(later.ExpiresAt) {
		t.Errorf("expiry %v, want %v", c.ExpiresAt, later.ExpiresAt)
	}
	db := srv.Open(t, dbName(dsn))
	if _, err := db.Exec(`INSERT INTO jwtd_blacklisted_tokens VALUES ('bysql', '1', 'refresh', 0, $1)`, time.Now().Add(time.Hour).UnixMilli()); err != nil {
		t.Fatal(err)
	}
	f.Wait(5*time.Second, func(c sdk.Change) bool { return c.Kind == sdk.ChangeBlacklisted && c.JTI == "bysql" })

	srv.Restart()
	deadline := time.Now().Add(15 * time.Second)
	for !f.Ended() && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if !f.Ended() || !errors.Is(f.Err(), sdk.ErrUnavailable) {
		t.Fatalf("after a PostgreSQL restart the feed ended=%v with %v, want sdk.ErrUnavailable", f.Ended(), f.Err())
	}

	django := openBlacklist(t, sdk.Config{"dsn": newDB(t, srv, true), "django": true})
	if _, ok := django.(sdk.ChangeFeed); ok {
		t.Error("the Django-table blacklist offers a change feed")
	}
}

// TestUserFeed: an update (other than last_login) or a deletion of a user
// row by anyone — plain SQL here, as Django would — is announced within
// the bound, on jwtd's table and on Django's auth_user alike; a login is
// not.
func TestUserFeed(t *testing.T) {
	ctx := context.Background()
	srv := pgtest.Start(t)
	for _, django := range []bool{false, true} {
		t.Run(map[bool]string{false: "jwtd_users", true: "auth_user"}[django], func(t *testing.T) {
			dsn := newDB(t, srv, django)
			s := openUsers(t, userConfig(dsn, django))
			f, ok := s.(sdk.ChangeFeed)
			if !ok {
				t.Fatalf("%T has no change feed", s)
			}
			admin := s.(sdk.UserAdmin)
			var ids []string
			for _, name := range []string{"ann", "ben", "cat"} {
				u, err := admin.CreateUser(ctx, sdk.NewUser{Username: name, Password: "pw-" + name, IsActive: true})
				if err != nil {
					t.Fatal(err)
				}
				ids = append(ids, u.ID)
			}
			rec := sdktest.WatchFeed(t, f)
			table := map[bool]string{false: "jwtd_users", true: "auth_user"}[django]
			db := srv.Open(t, dbName(dsn))
			if err := s.RecordLogin(ctx, ids[2], time.Now()); err != nil {
				t.Fatal(err)
			}
			for i, stmt := range []string{
				`UPDATE ` + table + ` SET is_active = false WHERE id = $1`,
				`DELETE FROM ` + table + ` WHERE id = $1`,
			} {
				id, _ := strconv.ParseInt(ids[i], 10, 64)
				start := time.Now()
				if _, err := db.Exec(stmt, id); err != nil {
					t.Fatal(err)
				}
				_, at := rec.Wait(5*time.Second, func(c sdk.Change) bool { return c.Kind == sdk.ChangeUser && c.UserID == ids[i] })
				if d := at.Sub(start); d > feedBound {
					t.Errorf("%s reached the feed after %v, want within %v", stmt, d, feedBound)
				}
			}
			time.Sleep(5 * sdk.SyncInterval)
			for _, c := range rec.Changes() {
				if c.Kind == sdk.ChangeUser && c.UserID == ids[2] {
					t.Errorf("a login (last_login) was announced as a change of user %s", ids[2])
				}
			}
		})
	}
}

// TestSessionFeed: session revocations and not-befores reach the feed by
// the triggers, and the snapshot holds them.
func TestSessionFeed(t *testing.T) {
	srv := pgtest.Start(t)
	s := openBlacklist(t, sdk.Config{"dsn": newDB(t, srv, false)})
	fs, ok := s.(sdktest.SessionFeedStore)
	if !ok {
		t.Fatalf("%T is not a session store with a feed", s)
	}
	sdktest.TestSessionFeed(t, fs, feedBound)
}
