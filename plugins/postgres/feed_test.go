package postgres_test

import (
	"context"
	"errors"
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
