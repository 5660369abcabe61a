package httpapi

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jwtd/jwtd/core"
	"github.com/jwtd/jwtd/sdk"
)

// The session endpoints (README "Sessions"): logout, logout-all and the
// user's own session list. They are in the endpoint table only when the
// core has sessions on; the core does the work, this file reads requests
// and writes answers.

// sessionCore is what the session endpoints need of the core beyond Core.
type sessionCore interface {
	SessionsEnabled() bool
	Logout(ctx context.Context, refresh string) error
	RevokeUser(ctx context.Context, userID string) (int, error)
	Sessions(ctx context.Context, userID string) ([]sdk.Session, error)
	EndSession(ctx context.Context, userID, id string) error
	UserIDOf(u sdk.User) (string, error)
	SessionIDOf(tok *core.Token) string
}

var _ sessionCore = (*core.Service)(nil)

// sessions is the core's session operations, or nil when the core has
// none (sessions off, or a Core without them).
func (a *API) sessions() sessionCore {
	sc, ok := a.core.(sessionCore)
	if !ok || !sc.SessionsEnabled() {
		return nil
	}
	return sc
}

func sessionsEnabled(a *API) bool { return a.sessions() != nil }

// withSessionClient puts the login's client (address, User-Agent) on ctx
// for the session the login starts.
func (a *API) withSessionClient(ctx context.Context, r *http.Request) context.Context {
	if a.sessions() == nil {
		return ctx
	}
	addr := r.RemoteAddr
	if a.opts.ClientAddr != nil {
		addr = a.opts.ClientAddr(r)
	} else if host, _, err := net.SplitHostPort(addr); err == nil {
		addr = host
	}
	ua := strings.ToValidUTF8(r.UserAgent(), "")
	if len(ua) > maxUserAgent {
		// Cut at a rune boundary, so the store gets valid UTF-8.
		ua = ua[:maxUserAgent]
		for !utf8.ValidString(ua) {
			ua = ua[:len(ua)-1]
		}
	}
	return core.WithSessionClient(ctx, core.SessionClient{Addr: addr, UserAgent: ua})
}

// maxUserAgent bounds the User-Agent kept with a session (sdk.Session's
// limit): enough for any real browser's, and a client cannot make the
// store keep kilobytes.
const maxUserAgent = 255

// logout ends the session of a refresh token: 200 {}. With the token from
// its cookie the cookies are cleared whether the token was still good or
// already refused, as blacklist does.
func (a *API) logout(w http.ResponseWriter, r *http.Request) {
	tok, fromCookie, err := a.tokenField(w, r, "refresh", a.cookies.RefreshName)
	if err == nil {
		err = a.sessions().Logout(r.Context(), tok)
		var ce *core.Error
		if fromCookie && (err == nil || errors.As(err, &ce) && ce.Kind == core.KindTokenNotValid) {
			a.clearTokenCookies(w)
		}
		if err == nil {
			writeJSON(w, http.StatusOK, object{})
			return
		}
	}
	a.writeError(w, r, err)
}

// sessionUser authenticates the request (header, or the access cookie
// after the CSRF check for a state-changing method) and returns its user
// id and the token's session id.
func (a *API) sessionUser(w http.ResponseWriter, r *http.Request) (userID, current string, fromCookie bool, err error) {
	header, fromCookie := a.credentialHeader(r)
	if fromCookie && r.Method != http.MethodGet && r.Method != http.MethodHead {
		if err := a.checkCSRF(r); err != nil {
			return "", "", true, err
		}
	}
	user, tok, err := a.core.Authenticate(r.Context(), header)
	if err != nil {
		return "", "", fromCookie, err
	}
	setUserID(w, user.ID)
	sc := a.sessions()
	if userID, err = sc.UserIDOf(user); err != nil {
		return "", "", fromCookie, err
	}
	return userID, sc.SessionIDOf(tok), fromCookie, nil
}

// logoutAll revokes every session of the access token's user: 200
// {"revoked": N}. With the token from its cookie the cookies are cleared.
func (a *API) logoutAll(w http.ResponseWriter, r *http.Request) {
	uid, _, fromCookie, err := a.sessionUser(w, r)
	if err == nil {
		var n int
		if n, err = a.sessions().RevokeUser(r.Context(), uid); err == nil {
			if fromCookie {
				a.clearTokenCookies(w)
			}
			writeJSON(w, http.StatusOK, object{{"revoked", n}})
			return
		}
	}
	a.writeError(w, r, err)
}

// listSessions is GET {prefix}/sessions/: the user's live sessions, oldest
// first, the one the request's token belongs to marked current.
func (a *API) listSessions(w http.ResponseWriter, r *http.Request) {
	uid, current, _, err := a.sessionUser(w, r)
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	list, err := a.sessions().Sessions(r.Context(), uid)
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	out := make([]object, 0, len(list))
	for _, s := range list {
		out = append(out, object{
			{"id", s.ID},
			{"created", s.CreatedAt.UTC().Format(time.RFC3339)},
			{"last_used", s.LastUsedAt.UTC().Format(time.RFC3339)},
			{"expires", s.ExpiresAt.UTC().Format(time.RFC3339)},
			{"client_addr", s.ClientAddr},
			{"user_agent", s.UserAgent},
			{"current", s.ID == current},
		})
	}
	writeJSON(w, http.StatusOK, out)
}

// endSession is DELETE {prefix}/sessions/ID/: 204 when the caller's own
// live session ID was ended, 404 for any other id (another user's reads
// the same, so ids cannot be probed).
func (a *API) endSession(w http.ResponseWriter, r *http.Request) {
	uid, _, _, err := a.sessionUser(w, r)
	if err == nil {
		if err = a.sessions().EndSession(r.Context(), uid, r.PathValue("id")); err == nil {
			w.WriteHeader(http.StatusNoContent)
			return
		}
	}
	a.writeError(w, r, err)
}
