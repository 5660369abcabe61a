package httpapi

import (
	"context"
	"errors"
	"maps"
	"net/http"
	"slices"
	"strconv"

	"github.com/jwtd/jwtd/core"
	"github.com/jwtd/jwtd/host/usercache"
	"github.com/jwtd/jwtd/sdk"
)

// fields returns the user store's login fields, asked once and kept; a
// failure is not kept, so a store that was down at start is asked again.
func (a *API) fields(ctx context.Context) ([]string, error) {
	a.fieldsMu.Lock()
	defer a.fieldsMu.Unlock()
	if a.loginFields != nil {
		return a.loginFields, nil
	}
	f, err := a.core.LoginFields(ctx)
	if err != nil {
		return nil, err
	}
	a.loginFields = slices.Clone(f)
	return a.loginFields, nil
}

// tokenField reads the one token field of a refresh, verify, blacklist or
// sliding refresh request. When the body lacks it and the cookie transport
// holds the token in the cookie named cookie, that token is used instead,
// once the request has passed the CSRF check; fromCookie says so, and the
// caller answers such a request with cookies rather than tokens in the body.
func (a *API) tokenField(w http.ResponseWriter, r *http.Request, name, cookie string) (tok string, fromCookie bool, err error) {
	data, err := a.readData(w, r)
	if err != nil {
		return "", false, err
	}
	if _, msg := data.value(name); msg == core.MsgRequired {
		if v := a.cookieToken(r, cookie); v != "" {
			if err := a.checkCSRF(r); err != nil {
				return "", true, err
			}
			return v, true, nil
		}
	}
	vals, err := data.strings(fieldSpec{name: name})
	if err != nil {
		return "", false, err
	}
	return vals[name], false, nil
}

// credentialHeader is the credential of the authenticate endpoints: the
// auth header, else the cookie transport's access cookie when it is on.
func (a *API) credentialHeader(r *http.Request) (header string, fromCookie bool) {
	cookie := ""
	if a.cookies.Enabled {
		cookie = a.cookies.AccessName
	}
	return a.credentialFrom(r, cookie)
}

// credentialFrom is the value of the auth header, or, when the request has
// none, the token in the cookie named cookie dressed as that header, so
// that the core parses both alike. An empty cookie name reads no cookie.
func (a *API) credentialFrom(r *http.Request, cookie string) (header string, fromCookie bool) {
	if h := r.Header.Get(a.headerName); h != "" {
		return h, false
	}
	if cookie == "" {
		return "", false
	}
	if c, err := r.Cookie(cookie); err == nil && c.Value != "" {
		return a.headerType + " " + c.Value, true
	}
	return "", false
}

// issuedVia says how a request that issues tokens was authenticated, and
// so how the tokens go back.
type issuedVia int

const (
	// viaBody: a header client's refresh; Simple JWT's body, no cookies.
	viaBody issuedVia = iota
	// viaLogin: obtain; Simple JWT's body, and the cookies when the
	// transport is on (the one request where the page sees its tokens).
	viaLogin
	// viaCookie: a refresh whose token came from its cookie; the tokens go
	// into cookies only and the body keeps just the extra fields, so no
	// script in the page (an injected one included) reads a token.
	viaCookie
)

// issued answers a successful obtain or refresh.
func (a *API) issued(w http.ResponseWriter, r *http.Request, is core.Issued, how issuedVia, order ...string) {
	if how == viaCookie || how == viaLogin && a.cookies.Enabled {
		a.setTokenCookies(w, r, is, how == viaLogin)
	}
	if how == viaCookie {
		order = nil
	}
	writeJSON(w, http.StatusOK, issuedBody(is, order...))
}

// via is viaCookie for a token read from its cookie, else viaBody.
func via(fromCookie bool) issuedVia {
	if fromCookie {
		return viaCookie
	}
	return viaBody
}

// refresh is TokenRefreshView: 200 {"access"} plus "refresh" when rotating.
func (a *API) refresh(w http.ResponseWriter, r *http.Request) {
	tok, fromCookie, err := a.tokenField(w, r, "refresh", a.cookies.RefreshName)
	if err == nil {
		var is core.Issued
		if is, err = a.core.Refresh(r.Context(), tok); err == nil {
			a.issued(w, r, is, via(fromCookie), "access", "refresh")
			return
		}
	}
	a.writeError(w, r, err)
}

// refreshSliding is TokenRefreshSlidingView: 200 {"token"}.
func (a *API) refreshSliding(w http.ResponseWriter, r *http.Request) {
	tok, fromCookie, err := a.tokenField(w, r, "token", a.cookies.AccessName)
	if err == nil {
		var is core.Issued
		if is, err = a.core.RefreshSliding(r.Context(), tok); err == nil {
			a.issued(w, r, is, via(fromCookie), "token")
			return
		}
	}
	a.writeError(w, r, err)
}

// verify is TokenVerifyView: 200 {}.
func (a *API) verify(w http.ResponseWriter, r *http.Request) {
	tok, _, err := a.tokenField(w, r, "token", a.cookies.AccessName)
	if err == nil {
		if err = a.core.Verify(r.Context(), tok); err == nil {
			writeJSON(w, http.StatusOK, object{})
			return
		}
	}
	a.writeError(w, r, err)
}

// blacklist is TokenBlacklistView: 200 {}. With the refresh token from
// its cookie it is the browser app's logout: the cookies are cleared
// whether the token was still good or already refused, so a stale cookie
// never keeps a browser half logged in.
func (a *API) blacklist(w http.ResponseWriter, r *http.Request) {
	tok, fromCookie, err := a.tokenField(w, r, "refresh", a.cookies.RefreshName)
	if err == nil {
		err = a.core.Blacklist(r.Context(), tok)
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

// authenticate is JWTAuthentication behind a view that returns the user:
// id, username and the store's attributes; never the password hash.
func (a *API) authenticate(w http.ResponseWriter, r *http.Request) {
	// Only this endpoint may be answered from the user lookup cache
	// (cache_ttl); refresh's user re-check always reaches the store.
	header, _ := a.credentialHeader(r)
	user, _, err := a.core.Authenticate(usercache.Cacheable(r.Context()), header)
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	setUserID(w, user.ID)
	writeJSON(w, http.StatusOK, userBody(user))
}

// authenticateStateless is JWTStatelessUserAuthentication: the token user.
func (a *API) authenticateStateless(w http.ResponseWriter, r *http.Request) {
	header, _ := a.credentialHeader(r)
	user, _, err := a.core.AuthenticateStateless(r.Context(), header)
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	if id, ok := user["id"]; ok {
		if s, ok := id.(string); ok {
			setUserID(w, s)
		}
	}
	writeJSON(w, http.StatusOK, sortedObject(user))
}

// sortedObject is m as an object in key order, which is how encoding/json
// writes a map: the same bytes, without reflection.
func sortedObject(m map[string]any) object {
	o := make(object, 0, len(m))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		o = append(o, member{k, m[k]})
	}
	return o
}

// issuedBody orders the token fields as Simple JWT's serializers do and
// adds the claim serializer's extra fields after them (sorted), never
// letting an extra field replace a token.
func issuedBody(is core.Issued, order ...string) object {
	vals := map[string]string{"access": is.Access, "refresh": is.Refresh, "token": is.Token}
	o := object{}
	for _, k := range order {
		if vals[k] != "" {
			o = append(o, member{k, vals[k]})
		}
	}
	keys := make([]string, 0, len(is.Extra))
	for k := range is.Extra {
		if _, reserved := vals[k]; !reserved {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		o = append(o, member{k, is.Extra[k]})
	}
	return o
}

// userBody is the user as DRF would serialise a Django user: an integer id
// when the key is an integer, the username, then the attributes.
func userBody(u sdk.User) object {
	var id any = u.ID
	if n, err := strconv.ParseInt(u.ID, 10, 64); err == nil && strconv.FormatInt(n, 10) == u.ID {
		id = n
	}
	o := object{{"id", id}, {"username", u.Username}}
	keys := make([]string, 0, len(u.Attributes))
	for k := range u.Attributes {
		switch k {
		case "id", "username", "password", "password_hash":
			continue
		}
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		o = append(o, member{k, u.Attributes[k]})
	}
	return o
}
