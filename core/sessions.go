package core

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	"github.com/jwtd/jwtd/sdk"
)

// Sessions (token families), on top of Simple JWT's token types. With
// Settings.Sessions every login starts a session in the blacklist store's
// sdk.SessionStore; the refresh and sliding tokens of the login carry its id
// (SessionIDClaim) and the login time (auth_time), and every rotation keeps
// both. The store is the authority on a session token's rotation: it
// consumes the parent and records the child atomically, so a rotated token
// that comes back is recognised, and revokes the whole family unless it
// comes back within ReuseInterval (a client that lost the response), when it
// gets the very child it lost again.

var (
	errReuse         = errors.New("rotated refresh token presented again: session revoked")
	errSessionEnded  = errors.New("the token's session is revoked, expired or unknown")
	errNotBefore     = errors.New("token issued before the user's revocation")
	errNoSessions    = errors.New("sessions are not enabled ([tokens] sessions)")
	errNoSessionInTk = errors.New("token carries no session id")
)

// ErrSessionNotFound is a session operation naming no live session of the
// caller (or sessions being off): 404, as DRF's NotFound.
var ErrSessionNotFound = &Error{Kind: KindNotFound, Detail: "Not found.", Code: "not_found"}

// SessionClient describes the client of a login, kept with its session.
type SessionClient struct {
	Addr      string
	UserAgent string
}

type sessionClientKey struct{}

// WithSessionClient returns ctx carrying the login's client, which Obtain
// and ObtainSliding record with the session they start. The host sets it
// from the request (the core knows no HTTP).
func WithSessionClient(ctx context.Context, c SessionClient) context.Context {
	return context.WithValue(ctx, sessionClientKey{}, c)
}

// Reuse is reported to the reuse hook each time a rotated token comes back
// outside the reuse interval. It names the session and user, never the
// token.
type Reuse struct {
	SessionID string
	UserID    string
	// Revoked is true for the call that revoked the session (of concurrent
	// replays exactly one), false when it was already revoked.
	Revoked bool
}

// WithReuseHook has the Service call f on every detected reuse (the host
// logs a warning and counts a metric). f must not block.
func WithReuseHook(f func(context.Context, Reuse)) Option {
	return func(s *Service) { s.onReuse = f }
}

// newSessionID is 16 random bytes, base64url: unguessable, URL-safe (it
// appears in DELETE {prefix}/sessions/ID/), without braces.
func newSessionID() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b[:]), nil
}

// SessionsEnabled reports whether sessions are on.
func (s *Service) SessionsEnabled() bool { return s.sess != nil }

// startSession makes the refresh or sliding token claims m, just built for
// a login at now, the first token of a new session: the session id and
// auth_time claims, exp clamped to the session's end, and the session
// recorded with m's jti current.
func (s *Service) startSession(ctx context.Context, m map[string]any, now time.Time) error {
	if s.sess == nil {
		return nil
	}
	id, err := newSessionID()
	if err != nil {
		return ErrUnavailable.With(err)
	}
	at := now.Unix()
	m[s.set.SessionIDClaim] = id
	m[AuthTimeClaim] = at
	s.clampToSession(m)
	r := s.recordOf(m, TypeRefresh)
	var c SessionClient
	if s.set.SessionClientInfo {
		c, _ = ctxClient(ctx)
	}
	created := time.Unix(at, 0)
	err = s.sess.CreateSession(ctx, sdk.Session{
		ID: id, UserID: r.UserID, CreatedAt: created, LastUsedAt: created,
		ExpiresAt:  created.Add(s.set.SessionAbsoluteLifetime),
		ClientAddr: c.Addr, UserAgent: c.UserAgent,
	}, r.JTI)
	if err != nil {
		return pluginErr(err)
	}
	return nil
}

func ctxClient(ctx context.Context) (SessionClient, bool) {
	c, ok := ctx.Value(sessionClientKey{}).(SessionClient)
	return c, ok
}

// clampToSession caps exp (and a sliding token's refresh_exp) of claims m
// at auth_time + SessionAbsoluteLifetime, so no refresh stretches a login
// beyond it. Claims without auth_time are left alone.
func (s *Service) clampToSession(m map[string]any) {
	if s.sess == nil {
		return
	}
	at, ok := m[AuthTimeClaim]
	if !ok {
		return
	}
	end := asInt(at) + int64(s.set.SessionAbsoluteLifetime/time.Second)
	if asInt(m["exp"]) > end {
		m["exp"] = end
	}
	if re, ok := m[s.set.SlidingTokenRefreshExpClaim]; ok && asInt(re) > end {
		m[s.set.SlidingTokenRefreshExpClaim] = end
	}
}

// sessionOf is the token's session id, when sessions are on and it has one.
func (s *Service) sessionOf(rc *rawClaims) (string, bool) {
	if s.sess == nil || rc.sid == nil {
		return "", false
	}
	id, ok := jsonString(rc.sid)
	return id, ok && id != ""
}

// sessionCheck refuses a token of a revoked session: refresh and sliding
// tokens whenever sessions are on, every token under RevokeAccessTokens
// (which also refuses tokens issued before the user's NotBefore). One store
// call when it applies.
func (s *Service) sessionCheck(ctx context.Context, rc *rawClaims, typ string) error {
	if s.sess == nil {
		return nil
	}
	sid, hasSID := s.sessionOf(rc)
	family := hasSID && (typ == TypeRefresh || typ == TypeSliding)
	if !family && !s.set.RevokeAccessTokens {
		return nil
	}
	uid, ok := userIDOf(rc)
	if !ok {
		return nil // refused later as a token naming no user
	}
	st, err := s.sess.SessionState(ctx, uid, sid, s.now())
	if err != nil {
		return pluginErr(err)
	}
	if hasSID && st.Revoked {
		return ErrTokenBlacklisted.With(errSessionEnded)
	}
	if s.set.RevokeAccessTokens && !st.NotBefore.IsZero() && rc.iat.set {
		// iat is whole seconds: a token issued in the second of the
		// revocation but before it reads as before it, and so does one
		// issued in that second after it (refused for under a second: fail
		// closed).
		nb := float64(st.NotBefore.Unix()) + float64(st.NotBefore.Nanosecond())/1e9
		if rc.iat.v < nb {
			return ErrTokenBlacklisted.With(errNotBefore)
		}
	}
	return nil
}

// endSessionOf revokes the session of a token being blacklisted (logout,
// blacklist, password changed), so that no sibling or child of it lives on.
func (s *Service) endSessionOf(ctx context.Context, rc *rawClaims) (bool, error) {
	sid, ok := s.sessionOf(rc)
	if !ok {
		return false, nil
	}
	uid, _ := userIDOf(rc)
	revoked, err := s.sess.RevokeSession(ctx, uid, sid)
	if err != nil {
		return false, pluginErr(err)
	}
	return revoked, nil
}

// rotateInSession is the rotation of a session token (refresh or sliding):
// claims are the parent's (already re-checked and reclaimed); on success
// they become the child's, with exp and iat stamped. It reports the
// store's decision: a fresh rotation, the lost child again within the
// reuse interval (issued is false then: the child is recorded already), or
// ErrTokenBlacklisted after revoking the session on reuse.
func (s *Service) rotateInSession(ctx context.Context, rc *rawClaims, claims map[string]any, typ string, now time.Time) (fresh bool, err error) {
	sid, _ := s.sessionOf(rc)
	uid, _ := userIDOf(rc)
	child, err := newJTI()
	if err != nil {
		return false, ErrUnavailable.With(err)
	}
	r, err := s.sess.RotateSession(ctx, uid, sid, jtiOf(rc), child, now)
	if err != nil {
		return false, pluginErr(err)
	}
	switch r.Outcome {
	case sdk.Rotated:
		claims[s.set.JTIClaim] = child
		s.stamp(claims, typ, now)
		s.clampToSession(claims)
		return true, nil
	case sdk.Reused:
		if s.set.ReuseInterval > 0 && !r.ChildConsumed && now.Before(r.ConsumedAt.Add(s.set.ReuseInterval)) {
			// The client that lost the response gets the child it lost:
			// same jti, same iat and exp, so there is never a second live
			// branch of the family.
			claims[s.set.JTIClaim] = r.Child
			s.stamp(claims, typ, r.ConsumedAt)
			s.clampToSession(claims)
			return false, nil
		}
		revoked, err := s.sess.RevokeSession(ctx, uid, sid)
		if err != nil {
			return false, pluginErr(err)
		}
		if s.onReuse != nil {
			s.onReuse(ctx, Reuse{SessionID: sid, UserID: uid, Revoked: revoked})
		}
		return false, ErrTokenBlacklisted.With(errReuse)
	}
	return false, ErrTokenBlacklisted.With(errSessionEnded)
}

// Logout ends the session of a refresh token (POST {prefix}/logout/): the
// session is revoked and the token blacklisted. A refresh token without a
// session (issued before sessions were on) is blacklisted alone. Errors are
// Blacklist's; a session already ended is ErrTokenBlacklisted.
func (s *Service) Logout(ctx context.Context, refresh string) error {
	if s.sess == nil {
		return ErrSessionNotFound.With(errNoSessions)
	}
	var rc rawClaims
	if err := s.decode(ctx, refresh, &rc); err != nil {
		return err
	}
	if err := s.checkAs(ctx, &rc, TypeRefresh); err != nil {
		return err
	}
	if _, ok := s.sessionOf(&rc); !ok {
		return s.blacklistDecoded(ctx, &rc, TypeRefresh)
	}
	revoked, err := s.endSessionOf(ctx, &rc)
	if err != nil {
		return err
	}
	if !revoked {
		return ErrTokenBlacklisted.With(errSessionEnded)
	}
	if _, err := s.p.Blacklist.Blacklist(ctx, s.record(&rc, TypeRefresh)); err != nil {
		return pluginErr(err)
	}
	return nil
}

// UserIDOf is the user id of u as tokens carry it (USER_ID_FIELD), the key
// the session operations take.
func (s *Service) UserIDOf(u sdk.User) (string, error) {
	id, err := s.userIDValue(u)
	if err != nil {
		return "", ErrUnavailable.With(err)
	}
	return id, nil
}

// SessionIDOf is the session id an authenticated token carries ("" when
// none, or sessions are off).
func (s *Service) SessionIDOf(tok *Token) string {
	if s.sess == nil || tok == nil {
		return ""
	}
	id, _ := tok.Claims[s.set.SessionIDClaim].(string)
	return id
}

// RevokeUser revokes every session of the user (POST {prefix}/logout-all/,
// `jwtd user revoke`) and sets the user's "not before" to now, so that under
// RevokeAccessTokens the user's access tokens stop too. It returns how many
// live sessions it ended.
func (s *Service) RevokeUser(ctx context.Context, userID string) (int, error) {
	if s.sess == nil {
		return 0, ErrSessionNotFound.With(errNoSessions)
	}
	n, err := s.sess.RevokeUserSessions(ctx, userID, s.now())
	if err != nil {
		return 0, pluginErr(err)
	}
	return n, nil
}

// Sessions lists the live sessions of the user ("" for every user: the
// operator's CLI), oldest first.
func (s *Service) Sessions(ctx context.Context, userID string) ([]sdk.Session, error) {
	if s.sess == nil {
		return nil, ErrSessionNotFound.With(errNoSessions)
	}
	list, err := s.sess.Sessions(ctx, userID, s.now())
	if err != nil {
		return nil, pluginErr(err)
	}
	return list, nil
}

// EndSession revokes session id of the user; ErrSessionNotFound when the
// user has no such live session (another user's session reads the same, so
// ids cannot be probed).
func (s *Service) EndSession(ctx context.Context, userID, id string) error {
	if s.sess == nil {
		return ErrSessionNotFound.With(errNoSessions)
	}
	ok, err := s.sess.RevokeSession(ctx, userID, id)
	if err != nil {
		return pluginErr(err)
	}
	if !ok {
		return ErrSessionNotFound.With(fmt.Errorf("no live session %q of user %q", id, userID))
	}
	return nil
}
