package redis_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jwtd/jwtd/internal/redistest"
	"github.com/jwtd/jwtd/sdk"
	"github.com/jwtd/jwtd/sdk/sdktest"
)

// feedBound is how soon another instance's write must reach a feed.
const feedBound = 100 * time.Millisecond

func TestFeedSync(t *testing.T) {
	srv := redistest.Start(t)
	sdktest.TestChangeFeedSync(t, target{addrs: []string{srv.Addr}}.open(t))
}

// TestFeed: the snapshot holds the keys blacklisted before Watch with
// their expiry; a jti blacklisted by another store (another jwtd) or by
// RevokeUser afterwards reaches the feed within the bound; a Redis restart
// ends the feed with sdk.ErrUnavailable instead of resubscribing silently.
func TestFeed(t *testing.T) {
	ctx := context.Background()
	srv := redistest.Start(t)
	tg := target{addrs: []string{srv.Addr}}
	a, b := tg.open(t), tg.open(t)
	before := record(t, "7", time.Hour)
	if _, err := a.Blacklist(ctx, before); err != nil {
		t.Fatal(err)
	}
	f := sdktest.WatchFeed(t, a)
	found := false
	for _, c := range f.Changes() {
		if c.Kind == sdk.ChangeBlacklisted && c.JTI == before.JTI {
			found = true
			if d := c.ExpiresAt.Sub(before.ExpiresAt); d < -2*time.Second || d > 2*time.Second {
				t.Errorf("snapshot expiry %v, want about %v", c.ExpiresAt, before.ExpiresAt)
			}
		}
	}
	if !found {
		t.Fatalf("snapshot lacks %s", before.JTI)
	}

	later := record(t, "7", time.Hour)
	start := time.Now()
	if _, err := b.Blacklist(ctx, later); err != nil {
		t.Fatal(err)
	}
	c, at := f.Wait(5*time.Second, func(c sdk.Change) bool { return c.Kind == sdk.ChangeBlacklisted && c.JTI == later.JTI })
	if d := at.Sub(start); d > feedBound {
		t.Errorf("another instance's blacklisting reached the feed after %v, want within %v", d, feedBound)
	}
	if !c.ExpiresAt.Equal(later.ExpiresAt) {
		t.Errorf("expiry %v, want %v", c.ExpiresAt, later.ExpiresAt)
	}
	// Blacklisting it again announces nothing new.
	if added, err := b.Blacklist(ctx, later); err != nil || added {
		t.Fatalf("second Blacklist = %v, %v", added, err)
	}

	out := record(t, "8", time.Hour)
	if err := b.AddOutstanding(ctx, out); err != nil {
		t.Fatal(err)
	}
	if n, err := b.RevokeUser(ctx, "8", time.Now()); err != nil || n != 1 {
		t.Fatalf("RevokeUser = %d, %v", n, err)
	}
	f.Wait(5*time.Second, func(c sdk.Change) bool { return c.Kind == sdk.ChangeBlacklisted && c.JTI == out.JTI })

	srv.Restart()
	deadline := time.Now().Add(10 * time.Second)
	for !f.Ended() && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if !f.Ended() || !errors.Is(f.Err(), sdk.ErrUnavailable) {
		t.Fatalf("after a Redis restart the feed ended=%v with %v, want ErrUnavailable", f.Ended(), f.Err())
	}
}

// TestSessionFeed: session revocations and not-befores reach the feed
// (published by the same scripts), and the snapshot holds them.
func TestSessionFeed(t *testing.T) {
	srv := redistest.Start(t)
	sdktest.TestSessionFeed(t, target{addrs: []string{srv.Addr}}.open(t), feedBound)
}
