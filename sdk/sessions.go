package sdk

import (
	"context"
	"time"
)

// Session is one login and the family of refresh (or sliding) tokens
// rotated from it. A store keeps it until ExpiresAt, revoked or not, so that
// a token of a revoked session is still known to be revoked.
type Session struct {
	// ID is the session id, chosen by the host (random, URL-safe, at most
	// 64 bytes, never containing "{" or "}").
	ID string
	// UserID is the user the session belongs to, as a string.
	UserID string
	// CreatedAt is the login time (the tokens' auth_time).
	CreatedAt time.Time
	// LastUsedAt is the last rotation, or CreatedAt before any.
	LastUsedAt time.Time
	// ExpiresAt is the absolute end of the session: no rotation succeeds
	// at or after it, however often the session was refreshed.
	ExpiresAt time.Time
	// ClientAddr and UserAgent describe the login's client; both may be
	// empty (the host keeps them only when configured to), and the host
	// sends at most 255 bytes of valid UTF-8 in each, so a store may keep
	// them in a varchar(255).
	ClientAddr string
	UserAgent  string
	// Revoked is set on sessions a store reports as revoked (never by
	// Sessions, which lists live ones only).
	Revoked bool
}

// RotateOutcome is what RotateSession did.
type RotateOutcome int

// The outcomes of RotateSession.
const (
	// Rotated: the parent was the session's current token; it is now
	// consumed and the child is current.
	Rotated RotateOutcome = iota + 1
	// Reused: the parent had already been consumed (by an earlier
	// rotation); nothing changed. Rotation.ConsumedAt, Child and
	// ChildConsumed describe that earlier rotation.
	Reused
	// Refused: the session is unknown, revoked or past ExpiresAt, or the
	// parent is neither its current token nor a consumed one; nothing
	// changed.
	Refused
)

// Rotation is RotateSession's result.
type Rotation struct {
	Outcome RotateOutcome
	// ConsumedAt is when the parent was consumed (Reused only).
	ConsumedAt time.Time
	// Child is the token id the parent was rotated into (Reused only).
	Child string
	// ChildConsumed reports that Child itself has been rotated since
	// (Reused only): whoever presents the parent then cannot be the client
	// that lost the response to the first rotation.
	ChildConsumed bool
}

// SessionState is what the host checks per token when access-token
// revocation is on.
type SessionState struct {
	// Revoked reports that the session was revoked, or is unknown, or has
	// passed its ExpiresAt (false when no session id was asked about).
	Revoked bool
	// NotBefore is the user's "not before" instant: tokens issued before it
	// are revoked. Zero when never set.
	NotBefore time.Time
}

// SessionStore is an optional interface of a BlacklistStore: sessions
// (token families) shared by every jwtd instance that uses the store, so
// that a replayed refresh token revokes its whole family, a user can log
// out everywhere, and access tokens can be revoked before they expire.
//
// Fallback: with a blacklist store that lacks it, jwtd keeps today's
// behaviour (each refresh token is single-use through Blacklist, with no
// families), and a configuration that needs sessions ([tokens] sessions,
// revoke_access_tokens, the session endpoints) is refused at start with an
// error naming the store.
//
// Every method that changes state must be atomic in the store (one
// transaction, one script), across processes: of n concurrent
// RotateSession calls with one parent exactly one returns Rotated and the
// others Reused; a rotation racing RevokeSession or RevokeUserSessions
// either happens before it (and its child is then revoked with the session)
// or is Refused — it never leaves a live child. Session ids are unique per
// store; a store may key everything by UserID (a Redis Cluster store hashes
// on it), so every call names the user. An error (wrap ErrUnavailable when
// the backing store cannot answer) fails the request closed.
//
// With revoke_access_tokens every authenticate and verify checks
// SessionState: one store call each, unless the store is also a
// SessionFeed, whose change feed lets the host answer from memory.
type SessionStore interface {
	// CreateSession records s, live, with first as its current token id.
	CreateSession(ctx context.Context, s Session, first string) error

	// RotateSession consumes parent and makes child the current token of
	// session id of user, at now, only when the session is live (not
	// revoked, now before ExpiresAt) and parent is its current token; it
	// sets LastUsedAt to now. See RotateOutcome for what it reports.
	RotateSession(ctx context.Context, userID, id, parent, child string, now time.Time) (Rotation, error)

	// RevokeSession revokes session id of user. It reports whether this
	// call revoked it: false when it was already revoked, unknown, or
	// belongs to another user — so of concurrent calls at most one is true.
	RevokeSession(ctx context.Context, userID, id string) (bool, error)

	// RevokeUserSessions revokes every session of user and moves the user's
	// NotBefore to notBefore (never backwards). It returns how many live
	// sessions it revoked.
	RevokeUserSessions(ctx context.Context, userID string, notBefore time.Time) (int, error)

	// Sessions lists the live sessions of user at now (not revoked, now
	// before ExpiresAt), oldest first; userID "" lists every user's (the
	// operator's CLI).
	Sessions(ctx context.Context, userID string, now time.Time) ([]Session, error)

	// SessionState reports whether session id of user is revoked (id ""
	// asks only for NotBefore) and the user's NotBefore.
	SessionState(ctx context.Context, userID, id string, now time.Time) (SessionState, error)
}
