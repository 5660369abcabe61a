package httpapi

import (
	"context"
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
// sliding refresh request.
func (a *API) tokenField(w http.ResponseWriter, r *http.Request, name string) (string, error) {
	data, err := a.readData(w, r)
	if err != nil {
		return "", err
	}
	vals, err := data.strings(fieldSpec{name: name})
	if err != nil {
		return "", err
	}
	return vals[name], nil
}

// refresh is TokenRefreshView: 200 {"access"} plus "refresh" when rotating.
func (a *API) refresh(w http.ResponseWriter, r *http.Request) {
	tok, err := a.tokenField(w, r, "refresh")
	if err == nil {
		var is core.Issued
		if is, err = a.core.Refresh(r.Context(), tok); err == nil {
			writeJSON(w, http.StatusOK, issuedBody(is, "access", "refresh"))
			return
		}
	}
	a.writeError(w, r, err)
}

// refreshSliding is TokenRefreshSlidingView: 200 {"token"}.
func (a *API) refreshSliding(w http.ResponseWriter, r *http.Request) {
	tok, err := a.tokenField(w, r, "token")
	if err == nil {
		var is core.Issued
		if is, err = a.core.RefreshSliding(r.Context(), tok); err == nil {
			writeJSON(w, http.StatusOK, issuedBody(is, "token"))
			return
		}
	}
	a.writeError(w, r, err)
}

// verify is TokenVerifyView: 200 {}.
func (a *API) verify(w http.ResponseWriter, r *http.Request) {
	tok, err := a.tokenField(w, r, "token")
	if err == nil {
		if err = a.core.Verify(r.Context(), tok); err == nil {
			writeJSON(w, http.StatusOK, object{})
			return
		}
	}
	a.writeError(w, r, err)
}

// blacklist is TokenBlacklistView: 200 {}.
func (a *API) blacklist(w http.ResponseWriter, r *http.Request) {
	tok, err := a.tokenField(w, r, "refresh")
	if err == nil {
		if err = a.core.Blacklist(r.Context(), tok); err == nil {
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
	user, _, err := a.core.Authenticate(usercache.Cacheable(r.Context()), r.Header.Get(a.headerName))
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	setUserID(r.Context(), user.ID)
	writeJSON(w, http.StatusOK, userBody(user))
}

// authenticateStateless is JWTStatelessUserAuthentication: the token user.
func (a *API) authenticateStateless(w http.ResponseWriter, r *http.Request) {
	user, _, err := a.core.AuthenticateStateless(r.Context(), r.Header.Get(a.headerName))
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	if id, ok := user["id"]; ok {
		if s, ok := id.(string); ok {
			setUserID(r.Context(), s)
		}
	}
	writeJSON(w, http.StatusOK, user)
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
