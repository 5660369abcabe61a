package httpapi

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/jwtd/jwtd/core"
	"github.com/jwtd/jwtd/host/throttle"
	"github.com/jwtd/jwtd/sdk"
)

// DefaultLoginTimeout is Options.LoginTimeout's default: the server's
// default write timeout, past which no answer could be written anyway.
const DefaultLoginTimeout = 30 * time.Second

// LoginGuard admits logins; *throttle.Login is jwtd's.
type LoginGuard interface {
	// Admit is asked with the account exactly as the user store will be
	// asked about it (parsed from the body with the login fields, trimmed),
	// before the password check. It refuses with an error (a
	// *throttle.Throttled is 429, one wrapping sdk.ErrUnavailable 503) or
	// returns the function to call with the outcome once the store has
	// answered.
	Admit(ctx context.Context, r *http.Request, account string) (throttle.Done, error)
}

// credentials reads and validates the login fields of an obtain request,
// and names the account they log in to: the value of the first field that
// is not the password. Everything that limits logins keys on this one
// parse, so no encoding of the body (JSON, urlencoded, multipart, repeated
// fields, padding, numbers) can name one account to the limits and another
// to the store.
func (a *API) credentials(w http.ResponseWriter, r *http.Request) (creds sdk.Credentials, account string, err error) {
	names, err := a.fields(r.Context())
	if err != nil {
		return nil, "", err
	}
	data, err := a.readData(w, r)
	if err != nil {
		return nil, "", err
	}
	return a.parseCredentials(data, names)
}

// parseCredentials is credentials on a parsed body (the fuzz target runs
// it with the throttle key).
func (a *API) parseCredentials(data requestData, names []string) (sdk.Credentials, string, error) {
	specs := make([]fieldSpec, len(names))
	for i, n := range names {
		specs[i] = fieldSpec{name: n, maxChars: a.opts.MaxFieldChars}
	}
	vals, err := data.strings(specs...)
	if err != nil {
		return nil, "", err
	}
	return sdk.Credentials(vals), vals[accountField(names)], nil
}

// accountField is the login field that names the account: the first one
// that is not the password.
func accountField(names []string) string {
	for _, n := range names {
		if n != "password" {
			return n
		}
	}
	if len(names) > 0 {
		return names[0]
	}
	return ""
}

// serveLogin is a login endpoint (TokenObtainPairView,
// TokenObtainSlidingView): parse, admit, check, answer.
func (a *API) serveLogin(w http.ResponseWriter, r *http.Request, act *loginAction) {
	is, err := a.login(w, r, act)
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	a.issued(w, r, is, viaLogin, act.answer...)
}

func (a *API) login(w http.ResponseWriter, r *http.Request, act *loginAction) (core.Issued, error) {
	if a.cookies.Enabled {
		// The login sets the cookies, so a cross-site form post would log
		// the victim's browser into the poster's account (login CSRF).
		// Refused before the body is read: nothing is parsed, throttled
		// or checked for it.
		if err := a.checkOrigin(r); err != nil {
			return core.Issued{}, err
		}
	}
	creds, account, err := a.credentials(w, r)
	if err != nil {
		return core.Issued{}, err
	}
	done := throttle.Done(func(context.Context, throttle.Outcome) error { return nil })
	if a.opts.Login != nil {
		if done, err = a.opts.Login.Admit(r.Context(), r, account); err != nil {
			return core.Issued{}, err
		}
	}
	// The store is called on a context of its own, not the client's: a
	// client that hangs up would otherwise cancel the call while the store
	// goes on hashing, and the freed concurrency slot would let the next
	// login start another hash beside it. Values (the request log's user
	// id) are kept.
	ctx, cancel := context.WithTimeout(a.withSessionClient(context.WithoutCancel(r.Context()), r), a.opts.LoginTimeout)
	defer cancel()
	is, err := act.obtain(a.core, ctx, creds)
	outcome := throttle.Errored
	switch {
	case err == nil:
		outcome = throttle.Succeeded
	case errors.Is(err, core.ErrNoActiveAccount):
		outcome = throttle.Failed
	}
	if derr := done(ctx, outcome); derr != nil {
		if outcome == throttle.Succeeded {
			// The counters stay as they were, stricter than they should be;
			// the tokens are good.
			a.log.WarnContext(ctx, "login succeeded but its failure counters could not be cleared", "err", derr)
			return is, nil
		}
		// A failure that could not be counted is not answered as an
		// ordinary 401: fail closed.
		return core.Issued{}, derr
	}
	return is, err
}
