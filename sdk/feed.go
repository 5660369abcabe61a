package sdk

import (
	"context"
	"time"
)

// ChangeKind says what a Change reports.
type ChangeKind int

// The kinds of Change. A host that meets a kind it does not know stops
// answering from memory and resynchronises (fail closed), so a store may
// send newer kinds to an older host.
const (
	// ChangeReset starts a (re)synchronisation: the host drops everything
	// it learnt from this feed before. The changes that follow, up to the
	// next ChangeSynced, are the store's current state: every blacklisted
	// jti that has not expired (a user store sends no state, users are
	// re-read on demand; a SessionFeed also sends ChangeSessionRevoked for
	// every revoked session not yet expired and ChangeUserNotBefore for
	// every user's not-before). Watch sends it first, always.
	ChangeReset ChangeKind = iota + 1
	// ChangeSynced says that every change committed before At has been
	// sent. The host answers from memory only while the last ChangeSynced
	// is recent (its max lag, 100 ms by default), so a feed sends one at
	// least every SyncInterval even when nothing changes: it is the
	// heartbeat that bounds how stale a view can be.
	ChangeSynced
	// ChangeBlacklisted: JTI is blacklisted until ExpiresAt.
	ChangeBlacklisted
	// ChangeUser: the user with id UserID changed, was deactivated or was
	// deleted; the host drops what it cached of the user and asks the store
	// again on next use. A store may over-report (any write to the user),
	// never under-report.
	ChangeUser
	// ChangeSessionRevoked: the session (token family) SessionID of UserID
	// is revoked until ExpiresAt (sessions, sdk.SessionStore). Sent only by
	// a feed of a SessionFeed whose SessionsInFeed is true.
	ChangeSessionRevoked
	// ChangeUserNotBefore: tokens of UserID issued before NotBefore are
	// refused from now on (logout everywhere), until ExpiresAt (zero: for
	// as long as the host runs). Sent only by a SessionFeed, like
	// ChangeSessionRevoked.
	ChangeUserNotBefore
)

// String names the kind as in logs and metrics.
func (k ChangeKind) String() string {
	switch k {
	case ChangeReset:
		return "reset"
	case ChangeSynced:
		return "synced"
	case ChangeBlacklisted:
		return "blacklisted"
	case ChangeUser:
		return "user"
	case ChangeSessionRevoked:
		return "session_revoked"
	case ChangeUserNotBefore:
		return "user_not_before"
	}
	return "unknown"
}

// Change is one event of a ChangeFeed. Which fields are set depends on
// Kind; the others are zero.
type Change struct {
	Kind ChangeKind
	// At is, for ChangeSynced, the instant before which every committed
	// change has been sent, on the feed's clock (a plugin runs on the
	// host's machine, so the clocks agree).
	At time.Time
	// JTI is the blacklisted token's jti (ChangeBlacklisted).
	JTI string
	// UserID is the changed user's id in canonical string form
	// (ChangeUser, ChangeUserNotBefore).
	UserID string
	// SessionID is the revoked session (ChangeSessionRevoked).
	SessionID string
	// NotBefore is the user's new not-before instant (ChangeUserNotBefore).
	NotBefore time.Time
	// ExpiresAt is when the change stops mattering: the blacklisted
	// token's record expiry (TokenRecord.ExpiresAt), the session's or the
	// not-before's end. The host forgets the entry after it.
	ExpiresAt time.Time
}

// SyncInterval is the longest a ChangeFeed may go without sending
// ChangeSynced. The host's max lag is a few of these.
const SyncInterval = 20 * time.Millisecond

// ChangeFeed is an optional interface of a BlacklistStore or a UserStore:
// the store tells the host what changed, so the host can answer
// IsBlacklisted and the authenticate endpoint's LookupUser from memory
// instead of asking the store on every request.
//
// Fallback (in the manner of database/sql's optional driver interfaces):
// without it — or while its feed is down, lagging, or has told more than
// the host keeps in memory — the host asks the store on every call, as it
// always did, and the user cache stays off unless configured (cache_ttl).
// Nothing revoked is ever accepted because a feed is missing or late: the
// host answers from memory only while the last ChangeSynced is younger than
// its max lag.
//
// Watch sends ChangeReset, then the store's state (for a blacklist store:
// ChangeBlacklisted for every jti blacklisted and not yet expired), then
// ChangeSynced, then every later change as it is committed — by this
// process, by another process sharing the store, or by anyone else the
// store can notice — with ChangeSynced at least every SyncInterval. It
// returns when ctx ends (with ctx's error) or when it can no longer
// guarantee to see every change (wrap ErrUnavailable); the host then falls
// back to calls and watches again, starting over with ChangeReset. There
// is no resume position: a new Watch is a full resynchronisation.
//
// A feed that ends because its store is closing should send ChangeReset
// first: an in-process host then stops answering from memory before the
// store's Close returns.
//
// send delivers one change to the host in order; it blocks while the host
// is behind and returns an error once the host stops listening, after which
// Watch returns. Watch must not call send concurrently. Out of process the
// changes cross as one gRPC server stream (BlacklistStore.Watch,
// UserStore.Watch); in process send is a plain call.
type ChangeFeed interface {
	Watch(ctx context.Context, send func(Change) error) error
}

// SessionFeed is an optional interface of a BlacklistStore that is both a
// SessionStore and a ChangeFeed: SessionsInFeed reports that its feed
// carries every session revocation and not-before move
// (ChangeSessionRevoked, ChangeUserNotBefore: their current state after
// each ChangeReset, then each change as it commits, by any process), so the
// host may answer SessionState from memory while the feed is live.
//
// Fallback: without it (or when it reports false) the host never reads
// "not revoked" from the feed — a feed that simply never reports sessions
// would otherwise look like one in which nothing is ever revoked — and asks
// the store's SessionState on every check, one call per request with
// revoke_access_tokens. A store must not report true unless every writer
// of its sessions is seen by the feed.
type SessionFeed interface {
	SessionsInFeed() bool
}
