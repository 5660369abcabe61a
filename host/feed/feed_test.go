package feed_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jwtd/jwtd/host/feed"
	"github.com/jwtd/jwtd/sdk"
	"github.com/jwtd/jwtd/sdk/memory"
	"github.com/jwtd/jwtd/sdk/wire"
)

// scripted is a ChangeFeed the test drives: every Watch takes changes from
// ch until ch yields an error.
type scripted struct {
	ch      chan any // sdk.Change or error
	watches atomic.Int32
}

func newScripted() *scripted { return &scripted{ch: make(chan any)} }

func (s *scripted) Watch(ctx context.Context, send func(sdk.Change) error) error {
	s.watches.Add(1)
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case v := <-s.ch:
			switch v := v.(type) {
			case error:
				return v
			case sdk.Change:
				if err := send(v); err != nil {
					return err
				}
			}
		}
	}
}

// clock is a settable clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func start(t *testing.T, o feed.Options) (*feed.Watcher, *scripted, *clock) {
	t.Helper()
	c := &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	o.Now = c.now
	s := newScripted()
	w := feed.New(s, o)
	w.Start()
	t.Cleanup(func() { w.Close() })
	return w, s, c
}

// settle waits until the watcher has taken everything sent so far: a send
// on the unbuffered channel returns once Watch received it, and one more
// round trip makes sure the previous one was applied.
func (s *scripted) push(cs ...any) {
	for _, c := range cs {
		s.ch <- c
	}
	s.ch <- sdk.Change{Kind: sdk.ChangeSessionRevoked} // a no-op (expired at once), as a barrier
}

func TestViewAnswersOnlyWhileLive(t *testing.T) {
	w, s, c := start(t, feed.Options{MaxLag: 100 * time.Millisecond})
	exp := c.now().Add(time.Hour)
	if _, ok := w.IsBlacklisted("a"); ok {
		t.Fatal("the view answered before any feed")
	}
	s.push(sdk.Change{Kind: sdk.ChangeReset}, sdk.Change{Kind: sdk.ChangeBlacklisted, JTI: "a", ExpiresAt: exp})
	if _, ok := w.IsBlacklisted("a"); ok {
		t.Fatal("the view answered while syncing")
	}
	s.push(sdk.Change{Kind: sdk.ChangeSynced, At: c.now()})
	for _, tc := range []struct {
		jti  string
		want bool
	}{{"a", true}, {"b", false}} {
		black, ok := w.IsBlacklisted(tc.jti)
		if !ok || black != tc.want {
			t.Fatalf("IsBlacklisted(%s) = %v, %v; want %v from memory", tc.jti, black, ok, tc.want)
		}
	}
	if st := w.Stats(); st.State != feed.Live || st.Entries != 1 {
		t.Fatalf("stats %+v", st)
	}

	// No synced mark for longer than MaxLag: calls go to the store.
	c.add(150 * time.Millisecond)
	if _, ok := w.IsBlacklisted("b"); ok {
		t.Fatal("the view answered with its last synced mark older than MaxLag")
	}
	if st := w.Stats(); st.State != feed.Lagging {
		t.Fatalf("state %v, want lagging", st.State)
	}
	s.push(sdk.Change{Kind: sdk.ChangeSynced, At: c.now()})
	if _, ok := w.IsBlacklisted("b"); !ok {
		t.Fatal("the view did not answer again after a fresh synced mark")
	}

	// An entry past its expiry no longer counts.
	c.add(2 * time.Hour)
	s.push(sdk.Change{Kind: sdk.ChangeSynced, At: c.now()})
	if black, ok := w.IsBlacklisted("a"); !ok || black {
		t.Fatalf("expired entry: %v, %v", black, ok)
	}

	// The feed ends: calls go to the store at once, and it is watched again
	// from a reset.
	s.push(errors.New("gone"))
	if _, ok := w.IsBlacklisted("b"); ok {
		t.Fatal("the view answered after its feed ended")
	}
	if st := w.Stats(); st.State != feed.Down {
		t.Fatalf("state after the feed ended: %v", st.State)
	}
	s.push(sdk.Change{Kind: sdk.ChangeReset}, sdk.Change{Kind: sdk.ChangeSynced, At: c.now()})
	if _, ok := w.IsBlacklisted("b"); !ok || s.watches.Load() != 2 {
		t.Fatalf("not live again after a new Watch (%d watches)", s.watches.Load())
	}
}

// TestViewCap: over the cap the view drops everything and answers nothing
// (never "not blacklisted" for a jti it dropped) until a resync fits.
func TestViewCap(t *testing.T) {
	w, s, c := start(t, feed.Options{Cap: 2, OverflowRetry: time.Minute})
	exp := c.now().Add(time.Hour)
	s.push(sdk.Change{Kind: sdk.ChangeReset})
	for _, j := range []string{"a", "b", "c"} {
		s.push(sdk.Change{Kind: sdk.ChangeBlacklisted, JTI: j, ExpiresAt: exp})
	}
	s.push(sdk.Change{Kind: sdk.ChangeSynced, At: c.now()})
	if _, ok := w.IsBlacklisted("z"); ok {
		t.Fatal("a view over its cap answered")
	}
	if st := w.Stats(); st.State != feed.Overflow || st.Entries != 0 {
		t.Fatalf("stats %+v; want overflow with the entries dropped", st)
	}
	// After OverflowRetry the watcher starts over; a state that fits makes
	// it live again.
	c.add(2 * time.Minute)
	s.ch <- sdk.Change{Kind: sdk.ChangeSynced, At: c.now()}
	s.push(sdk.Change{Kind: sdk.ChangeReset}, sdk.Change{Kind: sdk.ChangeBlacklisted, JTI: "a", ExpiresAt: exp.Add(time.Hour)},
		sdk.Change{Kind: sdk.ChangeSynced, At: c.now()})
	if black, ok := w.IsBlacklisted("a"); !ok || !black || s.watches.Load() != 2 {
		t.Fatalf("after a fitting resync: %v, %v (%d watches)", black, ok, s.watches.Load())
	}
}

// TestUnknownKindStopsAnswering: a change kind the host does not know may
// revoke something; the view stops answering and the feed starts over.
func TestUnknownKindStopsAnswering(t *testing.T) {
	w, s, c := start(t, feed.Options{})
	s.push(sdk.Change{Kind: sdk.ChangeReset}, sdk.Change{Kind: sdk.ChangeSynced, At: c.now()})
	if _, ok := w.IsBlacklisted("x"); !ok {
		t.Fatal("not live")
	}
	s.ch <- sdk.Change{Kind: 99}
	s.push(sdk.Change{Kind: sdk.ChangeReset})
	if _, ok := w.IsBlacklisted("x"); ok {
		t.Fatal("the view answered after an unknown change kind")
	}
	if s.watches.Load() != 2 {
		t.Fatalf("%d watches, want a new one after the unknown kind", s.watches.Load())
	}
}

func TestUserHooks(t *testing.T) {
	w, s, c := start(t, feed.Options{})
	var mu sync.Mutex
	var users []string
	resets := 0
	w.OnUser(func(id string) { mu.Lock(); users = append(users, id); mu.Unlock() }, func() { mu.Lock(); resets++; mu.Unlock() })
	s.push(sdk.Change{Kind: sdk.ChangeReset}, sdk.Change{Kind: sdk.ChangeSynced, At: c.now()}, sdk.Change{Kind: sdk.ChangeUser, UserID: "7"})
	mu.Lock()
	defer mu.Unlock()
	if resets != 1 || len(users) != 1 || users[0] != "7" {
		t.Fatalf("resets %d, users %v", resets, users)
	}
}

// countingStore counts IsBlacklisted calls that reach the store.
type countingStore struct {
	*memory.BlacklistStore
	n    atomic.Int64
	sess atomic.Int64 // SessionState calls
}

func (c *countingStore) SessionState(ctx context.Context, userID, id string, now time.Time) (sdk.SessionState, error) {
	c.sess.Add(1)
	return c.BlacklistStore.SessionState(ctx, userID, id, now)
}

func (c *countingStore) IsBlacklisted(ctx context.Context, jti string) (bool, error) {
	c.n.Add(1)
	return c.BlacklistStore.IsBlacklisted(ctx, jti)
}

// TestWrap: with the feed live, IsBlacklisted costs no store call, and a
// blacklisting made through this host is refused at once, before any feed
// delivers it; Blacklist itself always reaches the store.
func TestWrap(t *testing.T) {
	ctx := context.Background()
	w, s, c := start(t, feed.Options{})
	store := &countingStore{BlacklistStore: memory.NewBlacklistStore()}
	e, err := wire.Local(wire.KindBlacklistStore, store)
	if err != nil {
		t.Fatal(err)
	}
	bl := wire.BlacklistStore(w.Wrap(e))
	rec := sdk.TokenRecord{JTI: "j1", UserID: "1", TokenType: "refresh", ExpiresAt: c.now().Add(time.Hour)}

	// Not live: the store answers.
	if black, err := bl.IsBlacklisted(ctx, "j1"); err != nil || black || store.n.Load() != 1 {
		t.Fatalf("before the feed: %v, %v, %d store calls", black, err, store.n.Load())
	}
	s.push(sdk.Change{Kind: sdk.ChangeReset}, sdk.Change{Kind: sdk.ChangeSynced, At: c.now()})
	if added, err := bl.Blacklist(ctx, rec); err != nil || !added {
		t.Fatalf("Blacklist = %v, %v", added, err)
	}
	if added, err := bl.Blacklist(ctx, rec); err != nil || added {
		t.Fatalf("second Blacklist = %v, %v: it must reach the store", added, err)
	}
	for range 3 {
		if black, err := bl.IsBlacklisted(ctx, "j1"); err != nil || !black {
			t.Fatalf("own blacklisting not refused at once: %v, %v", black, err)
		}
	}
	if black, _ := bl.IsBlacklisted(ctx, "j2"); black {
		t.Fatal("j2 reported blacklisted")
	}
	if n := store.n.Load(); n != 1 {
		t.Fatalf("%d IsBlacklisted calls reached the store while the feed was live, want none after the first", n-1)
	}
	if st := w.Stats(); st.FromMemory != 4 || st.FromStore != 1 {
		t.Fatalf("answers counted from memory %d, from the store %d; want 4 and 1", st.FromMemory, st.FromStore)
	}
}

// TestSessionView: SessionState is answered from memory only by a feed that
// carries sessions (Options.Sessions) and only while it is live; the
// snapshot and later changes set it, and this host's own revocations apply
// before any feed reports them.
func TestSessionView(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name     string
		sessions bool
	}{{"feed without sessions", false}, {"session feed", true}} {
		t.Run(tc.name, func(t *testing.T) {
			w, s, c := start(t, feed.Options{Sessions: tc.sessions})
			store := &countingStore{BlacklistStore: memory.NewBlacklistStore()}
			e, err := wire.Local(wire.KindBlacklistStore, store)
			if err != nil {
				t.Fatal(err)
			}
			ss, _ := sdk.As[sdk.SessionStore](wire.BlacklistStore(w.Wrap(e)))
			now := c.now()
			for _, id := range []string{"s1", "s2", "s3"} {
				if err := store.CreateSession(ctx, sdk.Session{ID: id, UserID: "7", CreatedAt: now, LastUsedAt: now, ExpiresAt: now.Add(time.Hour)}, "j-"+id); err != nil {
					t.Fatal(err)
				}
			}
			state := func(id string) sdk.SessionState {
				t.Helper()
				st, err := ss.SessionState(ctx, "7", id, c.now())
				if err != nil {
					t.Fatal(err)
				}
				return st
			}
			// Not live: the store answers.
			state("s1")
			if n := store.sess.Load(); n != 1 {
				t.Fatalf("%d store calls before the feed, want 1", n)
			}
			nb := now.Add(-time.Minute)
			s.push(sdk.Change{Kind: sdk.ChangeReset},
				sdk.Change{Kind: sdk.ChangeSessionRevoked, UserID: "7", SessionID: "s1", ExpiresAt: now.Add(time.Hour)},
				sdk.Change{Kind: sdk.ChangeUserNotBefore, UserID: "7", NotBefore: nb},
				sdk.Change{Kind: sdk.ChangeSynced, At: now})
			before := store.sess.Load()
			st1, st2 := state("s1"), state("s2")
			if !tc.sessions {
				// Silence about sessions means nothing: every question
				// goes to the store (which has revoked nothing).
				if n := store.sess.Load() - before; n != 2 || st1.Revoked {
					t.Fatalf("without a session feed: %d store calls, s1 %+v; want 2 and the store's answer", n, st1)
				}
				return
			}
			if n := store.sess.Load() - before; n != 0 {
				t.Fatalf("%d SessionState calls reached the store while the session feed was live", n)
			}
			if !st1.Revoked || st2.Revoked || !st1.NotBefore.Equal(nb) {
				t.Fatalf("from memory s1 %+v, s2 %+v; want s1 revoked, s2 live, not-before %v", st1, st2, nb)
			}
			// Own revocations refuse at once, before the feed tells them.
			if ok, err := ss.RevokeSession(ctx, "7", "s2"); err != nil || !ok {
				t.Fatalf("RevokeSession = %v, %v", ok, err)
			}
			nb2 := now.Add(time.Second)
			if _, err := ss.RevokeUserSessions(ctx, "8", nb2); err != nil {
				t.Fatal(err)
			}
			if !state("s2").Revoked {
				t.Fatal("own session revocation not refused at once")
			}
			if st, _ := ss.SessionState(ctx, "8", "", c.now()); !st.NotBefore.Equal(nb2) {
				t.Fatalf("own not-before %v, want %v at once", st.NotBefore, nb2)
			}
			if n := store.sess.Load() - before; n != 0 {
				t.Fatalf("%d SessionState calls reached the store", n)
			}
			if st := w.Stats(); st.SessionsFromMemory != 4 || st.Sessions != 4 {
				t.Fatalf("stats %+v: want 4 answers from memory, 4 session entries (2 revoked, 2 not-befores)", st)
			}
			// Lagging: fail closed to the store, which says s3 is live.
			c.add(time.Second)
			if state("s3").Revoked || store.sess.Load()-before != 1 {
				t.Fatal("a lagging feed answered SessionState")
			}
			// Down: fail closed to the store too.
			s.push(sdk.Change{Kind: sdk.ChangeSynced, At: c.now()})
			if _, ok := w.SessionState("7", "s1"); !ok {
				t.Fatal("the view did not answer again after a fresh synced mark")
			}
			s.ch <- errors.New("gone")
			s.push(sdk.Change{Kind: sdk.ChangeReset})
			if _, ok := w.SessionState("7", "s1"); ok {
				t.Fatal("the session view answered after its feed ended, before resynchronising")
			}
			state("s1")
			if n := store.sess.Load() - before; n != 2 {
				t.Fatalf("%d store calls, want 2: a feed that ended must send SessionState to the store", n)
			}
		})
	}
}

// TestSessionViewCap: the blacklist and session views share the cap; over
// it nothing answers from memory.
func TestSessionViewCap(t *testing.T) {
	w, s, c := start(t, feed.Options{Sessions: true, Cap: 2})
	exp := c.now().Add(time.Hour)
	s.push(sdk.Change{Kind: sdk.ChangeReset},
		sdk.Change{Kind: sdk.ChangeBlacklisted, JTI: "a", ExpiresAt: exp},
		sdk.Change{Kind: sdk.ChangeSessionRevoked, UserID: "7", SessionID: "s1", ExpiresAt: exp},
		sdk.Change{Kind: sdk.ChangeUserNotBefore, UserID: "7", NotBefore: c.now()},
		sdk.Change{Kind: sdk.ChangeSynced, At: c.now()})
	if _, ok := w.SessionState("7", "s1"); ok {
		t.Fatal("the session view answered over its cap")
	}
	if st := w.Stats(); st.State != feed.Overflow {
		t.Fatalf("state %v, want overflow", st.State)
	}
}
