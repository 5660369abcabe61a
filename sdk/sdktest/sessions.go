package sdktest

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jwtd/jwtd/sdk"
)

// TestSessionStore runs the suite of the optional sdk.SessionStore
// capability. newStore is called once per subtest; stores it returns may
// share state (user and session ids are unique). Times are whole seconds,
// so stores that keep second-granular instants pass.
func TestSessionStore(t *testing.T, newStore func(t *testing.T) sdk.SessionStore) {
	ctx := context.Background()
	now := time.Now().Truncate(time.Second)
	newSession := func(t *testing.T, s sdk.SessionStore, user string, life time.Duration) (sdk.Session, string) {
		t.Helper()
		ss := sdk.Session{
			ID: uniqueID("s"), UserID: user, CreatedAt: now, LastUsedAt: now,
			ExpiresAt: now.Add(life), ClientAddr: "192.0.2.7", UserAgent: "sdktest/1",
		}
		first := uniqueID("j")
		if err := s.CreateSession(ctx, ss, first); err != nil {
			t.Fatalf("CreateSession: %v", err)
		}
		return ss, first
	}
	rotate := func(t *testing.T, s sdk.SessionStore, ss sdk.Session, parent, child string, at time.Time) sdk.Rotation {
		t.Helper()
		r, err := s.RotateSession(ctx, ss.UserID, ss.ID, parent, child, at)
		if err != nil {
			t.Fatalf("RotateSession: %v", err)
		}
		return r
	}

	t.Run("CreateAndList", func(t *testing.T) {
		s := newStore(t)
		user := uniqueID("u")
		a, _ := newSession(t, s, user, time.Hour)
		b, _ := newSession(t, s, user, time.Hour)
		newSession(t, s, uniqueID("u"), time.Hour) // another user's
		got, err := s.Sessions(ctx, user, now)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 {
			t.Fatalf("Sessions = %d sessions; want 2: %+v", len(got), got)
		}
		ids := map[string]sdk.Session{got[0].ID: got[0], got[1].ID: got[1]}
		for _, want := range []sdk.Session{a, b} {
			g, ok := ids[want.ID]
			if !ok {
				t.Fatalf("session %s not listed", want.ID)
			}
			if g.UserID != user || !g.CreatedAt.Equal(now) || !g.ExpiresAt.Equal(want.ExpiresAt) ||
				g.ClientAddr != "192.0.2.7" || g.UserAgent != "sdktest/1" || g.Revoked {
				t.Fatalf("listed %+v; want %+v", g, want)
			}
		}
		all, err := s.Sessions(ctx, "", now)
		if err != nil {
			t.Fatal(err)
		}
		if len(all) < 3 {
			t.Fatalf("Sessions(all) = %d; want at least the 3 created", len(all))
		}
	})

	t.Run("RotateChain", func(t *testing.T) {
		s := newStore(t)
		ss, j1 := newSession(t, s, uniqueID("u"), time.Hour)
		j2, j3 := uniqueID("j"), uniqueID("j")
		if r := rotate(t, s, ss, j1, j2, now.Add(time.Second)); r.Outcome != sdk.Rotated {
			t.Fatalf("first rotation = %+v; want Rotated", r)
		}
		if r := rotate(t, s, ss, j2, j3, now.Add(2*time.Second)); r.Outcome != sdk.Rotated {
			t.Fatalf("second rotation = %+v; want Rotated", r)
		}
		got, _ := s.Sessions(ctx, ss.UserID, now)
		if len(got) != 1 || !got[0].LastUsedAt.Equal(now.Add(2*time.Second)) {
			t.Fatalf("LastUsedAt after rotations: %+v; want %v", got, now.Add(2*time.Second))
		}
		// The parent again: reused, with the time and child of its rotation.
		r := rotate(t, s, ss, j2, uniqueID("j"), now.Add(3*time.Second))
		if r.Outcome != sdk.Reused || r.Child != j3 || !r.ConsumedAt.Equal(now.Add(2*time.Second)) || r.ChildConsumed {
			t.Fatalf("replay of parent = %+v; want Reused into %s at +2s, child unconsumed", r, j3)
		}
		// The grandparent: reused, and its child has been rotated since.
		r = rotate(t, s, ss, j1, uniqueID("j"), now.Add(3*time.Second))
		if r.Outcome != sdk.Reused || r.Child != j2 || !r.ChildConsumed {
			t.Fatalf("replay of grandparent = %+v; want Reused into %s, child consumed", r, j2)
		}
		// A replay changes nothing: the current token still rotates.
		if r := rotate(t, s, ss, j3, uniqueID("j"), now.Add(4*time.Second)); r.Outcome != sdk.Rotated {
			t.Fatalf("current after replays = %+v; want Rotated", r)
		}
	})

	t.Run("RefusedRotations", func(t *testing.T) {
		s := newStore(t)
		ss, j1 := newSession(t, s, uniqueID("u"), time.Hour)
		cases := []struct {
			name         string
			user, id, jt string
			at           time.Time
		}{
			{"unknown session", ss.UserID, uniqueID("s"), j1, now},
			{"other user", uniqueID("u"), ss.ID, j1, now},
			{"unknown parent", ss.UserID, ss.ID, uniqueID("j"), now},
			{"at expiry", ss.UserID, ss.ID, j1, ss.ExpiresAt},
		}
		for _, c := range cases {
			r, err := s.RotateSession(ctx, c.user, c.id, c.jt, uniqueID("j"), c.at)
			if err != nil || r.Outcome != sdk.Refused {
				t.Errorf("%s: RotateSession = %+v, %v; want Refused", c.name, r, err)
			}
		}
		if r := rotate(t, s, ss, j1, uniqueID("j"), now); r.Outcome != sdk.Rotated {
			t.Fatalf("refused rotations changed the session: %+v", r)
		}
	})

	t.Run("RevokeSession", func(t *testing.T) {
		s := newStore(t)
		ss, j1 := newSession(t, s, uniqueID("u"), time.Hour)
		other, _ := newSession(t, s, ss.UserID, time.Hour)
		if ok, err := s.RevokeSession(ctx, uniqueID("u"), ss.ID); err != nil || ok {
			t.Fatalf("RevokeSession(other user) = %v, %v; want false", ok, err)
		}
		if ok, err := s.RevokeSession(ctx, ss.UserID, ss.ID); err != nil || !ok {
			t.Fatalf("RevokeSession = %v, %v; want true", ok, err)
		}
		if ok, err := s.RevokeSession(ctx, ss.UserID, ss.ID); err != nil || ok {
			t.Fatalf("RevokeSession again = %v, %v; want false", ok, err)
		}
		if r := rotate(t, s, ss, j1, uniqueID("j"), now); r.Outcome != sdk.Refused {
			t.Fatalf("rotation of a revoked session = %+v; want Refused", r)
		}
		st, err := s.SessionState(ctx, ss.UserID, ss.ID, now)
		if err != nil || !st.Revoked {
			t.Fatalf("SessionState(revoked) = %+v, %v; want Revoked", st, err)
		}
		st, err = s.SessionState(ctx, ss.UserID, other.ID, now)
		if err != nil || st.Revoked {
			t.Fatalf("SessionState(other session) = %+v, %v; want live", st, err)
		}
		got, _ := s.Sessions(ctx, ss.UserID, now)
		if len(got) != 1 || got[0].ID != other.ID {
			t.Fatalf("Sessions after revoke = %+v; want only %s", got, other.ID)
		}
	})

	t.Run("StateOfUnknownAndExpired", func(t *testing.T) {
		s := newStore(t)
		user := uniqueID("u")
		if st, err := s.SessionState(ctx, user, uniqueID("s"), now); err != nil || !st.Revoked {
			t.Fatalf("SessionState(unknown) = %+v, %v; want Revoked (fail closed)", st, err)
		}
		if st, err := s.SessionState(ctx, user, "", now); err != nil || st.Revoked || !st.NotBefore.IsZero() {
			t.Fatalf("SessionState(no session, fresh user) = %+v, %v; want zero", st, err)
		}
		ss, _ := newSession(t, s, user, 10*time.Second)
		if st, _ := s.SessionState(ctx, user, ss.ID, ss.ExpiresAt); !st.Revoked {
			t.Fatalf("SessionState at ExpiresAt = %+v; want Revoked", st)
		}
		if got, _ := s.Sessions(ctx, user, ss.ExpiresAt); len(got) != 0 {
			t.Fatalf("Sessions at ExpiresAt = %+v; want none", got)
		}
	})

	t.Run("RevokeUserSessions", func(t *testing.T) {
		s := newStore(t)
		user, bystander := uniqueID("u"), uniqueID("u")
		a, ja := newSession(t, s, user, time.Hour)
		b, _ := newSession(t, s, user, time.Hour)
		c, _ := newSession(t, s, bystander, time.Hour)
		if _, err := s.RevokeSession(ctx, user, b.ID); err != nil {
			t.Fatal(err)
		}
		nb := now.Add(5 * time.Second)
		n, err := s.RevokeUserSessions(ctx, user, nb)
		if err != nil || n != 1 {
			t.Fatalf("RevokeUserSessions = %d, %v; want 1 (one was revoked already)", n, err)
		}
		if r := rotate(t, s, a, ja, uniqueID("j"), now); r.Outcome != sdk.Refused {
			t.Fatalf("rotation after revoke-all = %+v; want Refused", r)
		}
		st, err := s.SessionState(ctx, user, a.ID, now)
		if err != nil || !st.Revoked || !st.NotBefore.Equal(nb) {
			t.Fatalf("SessionState = %+v, %v; want Revoked, NotBefore %v", st, err, nb)
		}
		// NotBefore never moves backwards.
		if _, err := s.RevokeUserSessions(ctx, user, now); err != nil {
			t.Fatal(err)
		}
		if st, _ := s.SessionState(ctx, user, "", now); !st.NotBefore.Equal(nb) {
			t.Fatalf("NotBefore moved back to %v; want %v", st.NotBefore, nb)
		}
		if st, _ := s.SessionState(ctx, bystander, c.ID, now); st.Revoked || !st.NotBefore.IsZero() {
			t.Fatalf("another user's session touched: %+v", st)
		}
		// A session created after revoke-all is live.
		d, _ := newSession(t, s, user, time.Hour)
		if st, _ := s.SessionState(ctx, user, d.ID, now); st.Revoked {
			t.Fatal("a new session after revoke-all reads revoked")
		}
	})

	t.Run("ConcurrentReplaysRevokeOnce", func(t *testing.T) {
		s := newStore(t)
		ss, j1 := newSession(t, s, uniqueID("u"), time.Hour)
		if r := rotate(t, s, ss, j1, uniqueID("j"), now); r.Outcome != sdk.Rotated {
			t.Fatal(r)
		}
		// 20 replays of the rotated token, each revoking on Reused as the
		// host does: the session is revoked by exactly one of them.
		var revoked, reused atomic.Int32
		var wg sync.WaitGroup
		errs := make(chan error, 20)
		for range 20 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r, err := s.RotateSession(ctx, ss.UserID, ss.ID, j1, uniqueID("j"), now)
				if err != nil {
					errs <- err
					return
				}
				if r.Outcome == sdk.Reused {
					reused.Add(1)
				}
				ok, err := s.RevokeSession(ctx, ss.UserID, ss.ID)
				if err != nil {
					errs <- err
					return
				}
				if ok {
					revoked.Add(1)
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		if revoked.Load() != 1 || reused.Load() < 1 {
			t.Fatalf("revoked %d times, reused %d; want exactly one revocation", revoked.Load(), reused.Load())
		}
	})

	t.Run("ConcurrentRotationsOneWins", func(t *testing.T) {
		s := newStore(t)
		ss, j1 := newSession(t, s, uniqueID("u"), time.Hour)
		var rotated atomic.Int32
		var wg sync.WaitGroup
		for range 20 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r, err := s.RotateSession(ctx, ss.UserID, ss.ID, j1, uniqueID("j"), now)
				if err == nil && r.Outcome == sdk.Rotated {
					rotated.Add(1)
				} else if err == nil && r.Outcome != sdk.Reused {
					t.Errorf("outcome %v; want Rotated or Reused", r.Outcome)
				}
			}()
		}
		wg.Wait()
		if rotated.Load() != 1 {
			t.Fatalf("%d rotations succeeded; want exactly 1", rotated.Load())
		}
	})

	t.Run("RotationRacingRevocation", func(t *testing.T) {
		s := newStore(t)
		for i := 0; i < 10; i++ {
			ss, j1 := newSession(t, s, uniqueID("u"), time.Hour)
			child := uniqueID("j")
			var r sdk.Rotation
			var rerr error
			var wg sync.WaitGroup
			wg.Add(2)
			go func() {
				defer wg.Done()
				r, rerr = s.RotateSession(ctx, ss.UserID, ss.ID, j1, child, now)
			}()
			go func() {
				defer wg.Done()
				if _, err := s.RevokeUserSessions(ctx, ss.UserID, now); err != nil {
					t.Error(err)
				}
			}()
			wg.Wait()
			if rerr != nil {
				t.Fatal(rerr)
			}
			if r.Outcome != sdk.Rotated && r.Outcome != sdk.Refused {
				t.Fatalf("racing rotation = %+v; want Rotated or Refused", r)
			}
			// Whichever won, the child is not live.
			if next, err := s.RotateSession(ctx, ss.UserID, ss.ID, child, uniqueID("j"), now); err != nil || next.Outcome != sdk.Refused {
				t.Fatalf("the child of a rotation racing revocation rotates: %+v, %v", next, err)
			}
			if st, _ := s.SessionState(ctx, ss.UserID, ss.ID, now); !st.Revoked {
				t.Fatal("session live after revoke-all")
			}
		}
	})
}
