// Package feed keeps the host's in-memory views of a store that has a
// change feed (sdk.ChangeFeed): the blacklist view that answers
// IsBlacklisted without a plugin call, and the invalidations that keep the
// user cache (host/usercache) right.
//
// A Watcher runs the store's Watch for as long as the stack lives, and
// watches again when the feed ends (the plugin restarted, Redis went away),
// each time from ChangeReset. The views answer only while the feed is
// live: synchronised (a ChangeSynced after the last ChangeReset) and
// recent (the last ChangeSynced no older than MaxLag). Otherwise — and
// while the blacklist view is over its cap — every call goes to the store
// as without a feed (fail closed: a view never answers "not blacklisted"
// from state it cannot vouch for).
//
// With Options.Sessions (the store is an sdk.SessionFeed) the Watcher also
// keeps the session view — revoked sessions and users' not-before — and
// answers SessionState from it under the same rules; without it SessionState
// always goes to the store, since a feed that reports no sessions says
// nothing about them.
//
// Writes made through this host are applied to the view as soon as the
// store acknowledges them (Wrap), so the instance that acknowledged a
// revocation refuses the token at once; other instances see it when their
// feed delivers it, within MaxLag or they stop answering from memory.
package feed

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/jwtd/jwtd/sdk"
	blackliststorev1 "github.com/jwtd/jwtd/sdk/proto/jwtd/blackliststore/v1"
	"github.com/jwtd/jwtd/sdk/wire"
)

// Defaults of Options.
const (
	// DefaultMaxLag is how old the last ChangeSynced may be for the views to
	// answer: the bound on how late another instance's revocation can be
	// seen here.
	DefaultMaxLag = 100 * time.Millisecond
	// DefaultCap bounds the blacklist view's entries (about 100 bytes
	// each); over it the view stops answering until the next
	// resynchronisation fits.
	DefaultCap = 100000
)

// State is a feed's state, as /readyz detail and the jwtd_feed_state
// metric report it.
type State int

// The states of a feed.
const (
	// Down: no feed is running (not started yet, or it ended and is being
	// watched again); every call goes to the store.
	Down State = iota
	// Syncing: a ChangeReset arrived, the state is coming in.
	Syncing
	// Live: synchronised; the views answer while the last ChangeSynced is
	// within MaxLag (Lagging otherwise).
	Live
	// Lagging: synchronised once, but the last ChangeSynced is older than
	// MaxLag.
	Lagging
	// Overflow: the blacklist view exceeded its cap and was dropped; calls
	// go to the store until a resynchronisation fits.
	Overflow
)

// String names the state.
func (s State) String() string {
	return [...]string{"down", "syncing", "live", "lagging", "overflow"}[s]
}

// Options configure a Watcher.
type Options struct {
	// Name names the store in logs, /readyz and metrics ("blacklist_store").
	Name string
	// MaxLag is DefaultMaxLag when zero.
	MaxLag time.Duration
	// Cap bounds the blacklist view (DefaultCap when zero).
	Cap int
	// OverflowRetry is how long an overflowed view waits before it
	// resynchronises (default one minute).
	OverflowRetry time.Duration
	// Logger receives state changes (default slog.Default()).
	Logger *slog.Logger
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Sessions: the feed carries the store's session revocations and
	// not-befores (sdk.SessionFeed), so SessionState may be answered from
	// memory. Cap bounds the blacklist and session views together.
	Sessions bool
}

// localRevokeHold is how long a session this host revoked is kept when its
// end is not known yet (RevokeSession names no expiry); the feed's own
// report of the revocation, moments later, extends it to the session's end.
const localRevokeHold = 24 * time.Hour

// Watcher follows one store's change feed and holds its blacklist view.
type Watcher struct {
	feed sdk.ChangeFeed
	o    Options

	mu        sync.RWMutex
	state     State
	lastSync  time.Time
	black     map[string]time.Time // jti → record expiry
	revoked   map[string]time.Time // sessionKey → session end
	notBefore map[string]userNB    // user id → not-before
	overSince time.Time
	lastPrune time.Time

	// hooks for the user cache (set before Start).
	onUser  func(id string)
	onReset func()

	// answers counts IsBlacklisted questions by who answered them.
	fromMemory, fromStore atomic.Int64
	// sessFromMemory and sessFromStore count SessionState questions.
	sessFromMemory, sessFromStore atomic.Int64

	stop context.CancelFunc
	done chan struct{}
}

// New returns a Watcher of f; Start runs it.
func New(f sdk.ChangeFeed, o Options) *Watcher {
	if o.MaxLag <= 0 {
		o.MaxLag = DefaultMaxLag
	}
	if o.Cap <= 0 {
		o.Cap = DefaultCap
	}
	if o.OverflowRetry <= 0 {
		o.OverflowRetry = time.Minute
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Watcher{feed: f, o: o, black: map[string]time.Time{}, revoked: map[string]time.Time{}, notBefore: map[string]userNB{}}
}

// userNB is a user's not-before and when it stops mattering (zero: never).
type userNB struct{ at, exp time.Time }

// sessionKey keys the revoked-session view: ids are unique per store, but
// a store may key them by user, so both are part of it.
func sessionKey(userID, id string) string { return userID + "\x00" + id }

// OnUser sets the hooks that keep a user cache right: user for a changed
// user's id, reset for a resynchronisation (drop everything). Call it
// before Start.
func (w *Watcher) OnUser(user func(id string), reset func()) {
	w.onUser, w.onReset = user, reset
}

// Start runs the feed in the background until Close, watching again after
// each end with a backoff (50 ms doubling to 2 s, reset by a live feed).
func (w *Watcher) Start() {
	ctx, cancel := context.WithCancel(context.Background())
	w.stop, w.done = cancel, make(chan struct{})
	go func() {
		defer close(w.done)
		backoff := 50 * time.Millisecond
		var lastErr string
		for ctx.Err() == nil {
			err := w.feed.Watch(ctx, w.apply)
			wasLive := w.down()
			if ctx.Err() != nil {
				return
			}
			if wasLive {
				backoff, lastErr = 50*time.Millisecond, ""
			}
			if !errors.Is(err, errResync) {
				// Said once per kind of failure, not at every retry (a
				// store that cannot install its feed fails the same way
				// every time).
				if msg := fmt.Sprint(err); msg != lastErr {
					lastErr = msg
					w.o.Logger.Warn("change feed ended; answering from store calls until it is back", "store", w.o.Name, "err", err)
				}
				select {
				case <-ctx.Done():
					return
				case <-time.After(backoff):
				}
				backoff = min(2*backoff, 2*time.Second)
			}
		}
	}()
}

// Close stops the feed and waits for it.
func (w *Watcher) Close() error {
	if w.stop != nil {
		w.stop()
		<-w.done
	}
	return nil
}

var errResync = errors.New("feed: resynchronising")

// down marks the feed down and forgets the view; it reports whether the
// feed had been live.
func (w *Watcher) down() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	was := w.state == Live
	w.state = Down
	clear(w.black)
	clear(w.revoked)
	clear(w.notBefore)
	return was
}

// apply takes one change; it is the feed's send.
func (w *Watcher) apply(c sdk.Change) error {
	now := w.o.Now()
	switch c.Kind {
	case sdk.ChangeReset:
		w.mu.Lock()
		w.black = map[string]time.Time{}
		w.revoked, w.notBefore = map[string]time.Time{}, map[string]userNB{}
		w.state, w.overSince = Syncing, time.Time{}
		w.mu.Unlock()
		if w.onReset != nil {
			w.onReset()
		}
	case sdk.ChangeSynced:
		w.mu.Lock()
		if c.At.After(w.lastSync) {
			w.lastSync = c.At
		}
		switch {
		case w.state == Overflow && now.Sub(w.overSince) >= w.o.OverflowRetry:
			w.mu.Unlock()
			return errResync
		case w.state == Syncing:
			w.state = Live
			w.o.Logger.Info("change feed live: answering from memory", "store", w.o.Name, "entries", w.sizeLocked())
		}
		if now.Sub(w.lastPrune) >= time.Second {
			w.lastPrune = now
			for jti, exp := range w.black {
				if !now.Before(exp) {
					delete(w.black, jti)
				}
			}
			for k, exp := range w.revoked {
				if !now.Before(exp) {
					delete(w.revoked, k)
				}
			}
			for id, nb := range w.notBefore {
				if !nb.exp.IsZero() && !now.Before(nb.exp) {
					delete(w.notBefore, id)
				}
			}
		}
		w.mu.Unlock()
	case sdk.ChangeBlacklisted:
		w.add(c.JTI, c.ExpiresAt, now)
	case sdk.ChangeUser:
		if w.onUser != nil {
			w.onUser(c.UserID)
		}
	case sdk.ChangeSessionRevoked:
		if w.o.Sessions {
			w.revokeSession(c.UserID, c.SessionID, c.ExpiresAt, now)
		}
	case sdk.ChangeUserNotBefore:
		if w.o.Sessions {
			w.moveNotBefore(c.UserID, c.NotBefore, c.ExpiresAt, now)
		}
	default:
		// A kind this host does not know may revoke something it cannot
		// see: stop answering from memory and start over.
		w.mu.Lock()
		w.state = Down
		w.mu.Unlock()
		return fmt.Errorf("feed: unknown change kind %d", c.Kind)
	}
	return nil
}

// add puts jti in the view until exp, or drops the view when that exceeds
// the cap (never a silent drop of one revocation).
func (w *Watcher) add(jti string, exp, now time.Time) {
	if !now.Before(exp) {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.state == Overflow {
		return
	}
	w.black[jti] = exp
	w.capLocked(now)
}

// revokeSession puts session id of user in the view until exp (keeping a
// later end already there).
func (w *Watcher) revokeSession(userID, id string, exp, now time.Time) {
	if !now.Before(exp) {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.state == Overflow {
		return
	}
	k := sessionKey(userID, id)
	if old, ok := w.revoked[k]; !ok || exp.After(old) {
		w.revoked[k] = exp
	}
	w.capLocked(now)
}

// moveNotBefore moves user's not-before to at, never backwards, as the
// store does; exp zero keeps it for good.
func (w *Watcher) moveNotBefore(userID string, at, exp, now time.Time) {
	if !exp.IsZero() && !now.Before(exp) {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.state == Overflow {
		return
	}
	old, ok := w.notBefore[userID]
	if ok && (old.exp.IsZero() || (!exp.IsZero() && old.exp.After(exp))) {
		exp = old.exp
	}
	if ok && old.at.After(at) {
		at = old.at
	}
	w.notBefore[userID] = userNB{at, exp}
	w.capLocked(now)
}

func (w *Watcher) sizeLocked() int { return len(w.black) + len(w.revoked) + len(w.notBefore) }

// capLocked drops the views when they exceed the cap together (never a
// silent drop of one revocation).
func (w *Watcher) capLocked(now time.Time) {
	if w.sizeLocked() > w.o.Cap {
		w.o.Logger.Warn("blacklist view over its cap: answering from store calls", "store", w.o.Name, "cap", w.o.Cap)
		w.black = map[string]time.Time{}
		w.revoked, w.notBefore = map[string]time.Time{}, map[string]userNB{}
		w.state, w.overSince = Overflow, now
	}
}

// SessionState answers from the session view: ok is false when it cannot
// answer (the feed carries no sessions, is not live, or is over its cap),
// and the caller must ask the store. A session the view does not hold is
// live: the host issues session ids only for sessions the store created,
// and clamps every token's exp to its session's end.
func (w *Watcher) SessionState(userID, id string) (st sdk.SessionState, ok bool) {
	if !w.o.Sessions {
		return st, false
	}
	now := w.o.Now()
	w.mu.RLock()
	defer w.mu.RUnlock()
	if !w.liveLocked(now) {
		return st, false
	}
	if id != "" {
		exp, found := w.revoked[sessionKey(userID, id)]
		st.Revoked = found && now.Before(exp)
	}
	if nb, found := w.notBefore[userID]; found {
		st.NotBefore = nb.at
	}
	return st, true
}

// liveLocked reports whether the views may answer now.
func (w *Watcher) liveLocked(now time.Time) bool {
	return w.state == Live && now.Sub(w.lastSync) <= w.o.MaxLag
}

// Live reports whether the feed is synchronised and recent, so that what
// it told is current within MaxLag.
func (w *Watcher) Live() bool {
	now := w.o.Now()
	w.mu.RLock()
	defer w.mu.RUnlock()
	return w.liveLocked(now)
}

// IsBlacklisted answers from the view: ok is false when the view cannot
// answer (not live, or over its cap), and the caller must ask the store.
func (w *Watcher) IsBlacklisted(jti string) (black, ok bool) {
	now := w.o.Now()
	w.mu.RLock()
	defer w.mu.RUnlock()
	if !w.liveLocked(now) {
		return false, false
	}
	exp, found := w.black[jti]
	return found && now.Before(exp), true
}

// Stats is a snapshot for /readyz and metrics.
type Stats struct {
	Name    string
	State   State
	Lag     time.Duration // since the last ChangeSynced; 0 before any
	Entries int           // the blacklist view's size
	// Sessions is the session view's size (revoked sessions and users'
	// not-befores); always 0 without Options.Sessions.
	Sessions int
	// SessionView reports Options.Sessions: SessionState may be answered
	// from memory.
	SessionView bool
	// FromMemory and FromStore count the IsBlacklisted questions Wrap
	// answered from the view and passed to the store.
	FromMemory, FromStore int64
	// SessionsFromMemory and SessionsFromStore count SessionState
	// questions likewise.
	SessionsFromMemory, SessionsFromStore int64
}

// Stats reports the feed's state now.
func (w *Watcher) Stats() Stats {
	now := w.o.Now()
	w.mu.RLock()
	defer w.mu.RUnlock()
	s := Stats{Name: w.o.Name, State: w.state, SessionView: w.o.Sessions, Entries: len(w.black), Sessions: len(w.revoked) + len(w.notBefore),
		FromMemory: w.fromMemory.Load(), FromStore: w.fromStore.Load(),
		SessionsFromMemory: w.sessFromMemory.Load(), SessionsFromStore: w.sessFromStore.Load()}
	if !w.lastSync.IsZero() {
		s.Lag = now.Sub(w.lastSync)
	}
	if s.State == Live && !w.liveLocked(now) {
		s.State = Lagging
	}
	return s
}

// Wrap returns the blacklist store endpoint e with the view in front of
// IsBlacklisted, and with every blacklisting this host makes applied to the
// view once the store has acknowledged it (added or already there), before
// the caller answers. Blacklist itself — refresh's atomic consume, the
// blacklist endpoint — always goes to the store.
func (w *Watcher) Wrap(e wire.Endpoint) wire.Endpoint {
	return e.With(func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoke grpc.UnaryInvoker, opts ...grpc.CallOption) error {
		switch r := req.(type) {
		case *blackliststorev1.IsBlacklistedRequest:
			if black, ok := w.IsBlacklisted(r.GetJti()); ok {
				w.fromMemory.Add(1)
				reply.(*blackliststorev1.IsBlacklistedResponse).Blacklisted = black
				return nil
			}
			w.fromStore.Add(1)
		case *blackliststorev1.SessionStateRequest:
			if st, ok := w.SessionState(r.GetUserId(), r.GetId()); ok {
				w.sessFromMemory.Add(1)
				out := reply.(*blackliststorev1.SessionStateResponse)
				out.Revoked = st.Revoked
				if !st.NotBefore.IsZero() {
					out.NotBefore = timestamppb.New(st.NotBefore)
				}
				return nil
			}
			w.sessFromStore.Add(1)
		case *blackliststorev1.RevokeSessionRequest:
			// Applied whatever the store answered (false: already
			// revoked, unknown, another user's): a revoked or unknown
			// session is refused by the store too, and the id is the
			// asker's user's, so nothing live is hidden.
			if err := invoke(ctx, method, req, reply, cc, opts...); err != nil {
				return err
			}
			if w.o.Sessions {
				now := w.o.Now()
				w.revokeSession(r.GetUserId(), r.GetId(), now.Add(localRevokeHold), now)
			}
			return nil
		case *blackliststorev1.RevokeUserSessionsRequest:
			if err := invoke(ctx, method, req, reply, cc, opts...); err != nil {
				return err
			}
			if w.o.Sessions && r.GetNotBefore() != nil {
				w.moveNotBefore(r.GetUserId(), r.GetNotBefore().AsTime(), time.Time{}, w.o.Now())
			}
			return nil
		case *blackliststorev1.TokenRecordRequest:
			if wire.Method(method) == "Blacklist" {
				if err := invoke(ctx, method, req, reply, cc, opts...); err != nil {
					return err
				}
				rec := r.GetRecord()
				w.add(rec.GetJti(), rec.GetExpiresAt().AsTime(), w.o.Now())
				return nil
			}
		}
		return invoke(ctx, method, req, reply, cc, opts...)
	})
}
