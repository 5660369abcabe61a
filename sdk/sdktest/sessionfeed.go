package sdktest

import (
	"context"
	"testing"
	"time"

	"github.com/jwtd/jwtd/sdk"
)

// SessionFeedStore is a blacklist store whose change feed carries its
// sessions (sdk.SessionFeed reporting true).
type SessionFeedStore interface {
	sdk.SessionStore
	sdk.ChangeFeed
}

// TestSessionFeed checks the session part of the sdk.ChangeFeed contract of
// a store that reports sdk.SessionFeed: after ChangeReset the feed sends
// every revoked session not yet expired (not a live one) and every user's
// not-before, and afterwards each RevokeSession and RevokeUserSessions
// within bound (the host's max lag, or whatever the store promises).
func TestSessionFeed(t *testing.T, s SessionFeedStore, bound time.Duration) {
	t.Helper()
	if sf, ok := any(s).(sdk.SessionFeed); !ok || !sf.SessionsInFeed() {
		t.Fatal("the store does not report sdk.SessionFeed: its feed may not be trusted with sessions")
	}
	ctx := context.Background()
	now := time.Now().Truncate(time.Second)
	create := func(user string) sdk.Session {
		t.Helper()
		ss := sdk.Session{ID: uniqueID("s"), UserID: user, CreatedAt: now, LastUsedAt: now, ExpiresAt: now.Add(time.Hour)}
		if err := s.CreateSession(ctx, ss, uniqueID("j")); err != nil {
			t.Fatalf("CreateSession: %v", err)
		}
		return ss
	}
	user, other := uniqueID("u"), uniqueID("u")
	revoked, live := create(user), create(user)
	if ok, err := s.RevokeSession(ctx, user, revoked.ID); err != nil || !ok {
		t.Fatalf("RevokeSession = %v, %v", ok, err)
	}
	nb := now.Add(-time.Minute)
	if _, err := s.RevokeUserSessions(ctx, other, nb); err != nil {
		t.Fatalf("RevokeUserSessions: %v", err)
	}

	f := WatchFeed(t, s)
	var sawRevoked, sawNB bool
	for _, c := range f.Changes() {
		switch {
		case c.Kind == sdk.ChangeSessionRevoked && c.SessionID == live.ID:
			t.Errorf("snapshot reports the live session %s as revoked", live.ID)
		case c.Kind == sdk.ChangeSessionRevoked && c.SessionID == revoked.ID:
			sawRevoked = true
			if c.UserID != user || !near(c.ExpiresAt, revoked.ExpiresAt) {
				t.Errorf("snapshot session change %+v, want user %s until %v", c, user, revoked.ExpiresAt)
			}
		case c.Kind == sdk.ChangeUserNotBefore && c.UserID == other:
			sawNB = true
			if !near(c.NotBefore, nb) {
				t.Errorf("snapshot not-before %v, want %v", c.NotBefore, nb)
			}
		}
	}
	if !sawRevoked || !sawNB {
		t.Fatalf("snapshot after reset: revoked session %v, not-before %v; want both", sawRevoked, sawNB)
	}

	start := time.Now()
	if ok, err := s.RevokeSession(ctx, user, live.ID); err != nil || !ok {
		t.Fatalf("RevokeSession = %v, %v", ok, err)
	}
	c, at := f.Wait(5*time.Second, func(c sdk.Change) bool {
		return c.Kind == sdk.ChangeSessionRevoked && c.SessionID == live.ID
	})
	if c.UserID != user || !near(c.ExpiresAt, live.ExpiresAt) {
		t.Errorf("session change %+v, want user %s until %v", c, user, live.ExpiresAt)
	}
	if d := at.Sub(start); d > bound {
		t.Errorf("session revocation reached the feed after %v, want within %v", d, bound)
	}

	start = time.Now()
	nb2 := time.Now().Truncate(time.Millisecond)
	if _, err := s.RevokeUserSessions(ctx, user, nb2); err != nil {
		t.Fatalf("RevokeUserSessions: %v", err)
	}
	c, at = f.Wait(5*time.Second, func(c sdk.Change) bool {
		return c.Kind == sdk.ChangeUserNotBefore && c.UserID == user
	})
	if !near(c.NotBefore, nb2) {
		t.Errorf("not-before change %v, want %v", c.NotBefore, nb2)
	}
	if d := at.Sub(start); d > bound {
		t.Errorf("not-before move reached the feed after %v, want within %v", d, bound)
	}
}

// near reports whether a and b agree to the second, the coarsest instant a
// store may keep.
func near(a, b time.Time) bool {
	d := a.Sub(b)
	return d > -time.Second && d < time.Second
}
