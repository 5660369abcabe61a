package httpapi

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"slices"
	"time"

	"github.com/jwtd/jwtd/core"
)

// Cookies is the opt-in cookie transport for browser apps (Simple JWT
// issue #71): obtain and refresh also set the tokens as httpOnly cookies,
// refresh, verify and blacklist (the logout) read the token from its cookie
// when the body lacks it, and the authenticate and forward-auth endpoints
// accept the access cookie. Header clients see no difference: their bodies
// and requests are unchanged.
//
// A cookie is sent by the browser on its own, so every POST authenticated
// by a cookie must prove it comes from the app's pages (CSRF): the page
// echoes the CSRF cookie, readable by script, in the CSRFHeader header
// (double submit). SameSite alone does not suffice: it lets same-site,
// cross-origin pages (a sibling subdomain, another port) post with the
// cookies. Requests whose browser marks them Sec-Fetch-Site: cross-site,
// and requests from an Origin outside TrustedOrigins (when set), are
// refused before the token is compared. Logins are refused on the same
// two checks (they carry no CSRF token yet): a cross-site page could
// otherwise log the browser into the attacker's account (login CSRF), as
// the login sets the cookies.
type Cookies struct {
	// Enabled turns the transport on (default off).
	Enabled bool
	// AccessName, RefreshName and CSRFName are the cookie names (defaults
	// "jwtd_access", "jwtd_refresh", "jwtd_csrf"). A name starting with
	// "__Host-" makes the browser refuse the cookie from a sibling domain;
	// it needs Secure, path "/" and no Domain.
	AccessName  string
	RefreshName string
	CSRFName    string
	// CSRFHeader is the request header carrying the CSRF cookie's value
	// (default "X-CSRF-Token").
	CSRFHeader string
	// Domain is the cookies' Domain attribute; empty (default) makes them
	// host-only, which is the safer choice.
	Domain string
	// AccessPath is the access and CSRF cookies' path (default "/": the
	// app's API reads the access cookie through authenticate/forward-auth).
	AccessPath string
	// RefreshPath is the refresh cookie's path (default: the token prefix,
	// such as "/api/token"), so that only the token endpoints ever receive
	// it: refresh and blacklist (the logout) both read it.
	RefreshPath string
	// Insecure leaves the Secure attribute off (default false: cookies are
	// Secure, sent over HTTPS only). Only for plain-HTTP development; the
	// zero value is the safe one.
	Insecure bool
	// SameSite is Lax (default), Strict or None (None needs Secure).
	SameSite http.SameSite
	// TrustedOrigins, when set, are the only Origin values (such as
	// "https://app.example.com") a cookie-authenticated POST or a login
	// may carry: the one guard against login CSRF from a same-site page,
	// which the browser does not mark cross-site.
	TrustedOrigins []string
}

// DefaultCookies returns the cookie transport's defaults (disabled).
func DefaultCookies() Cookies {
	return Cookies{
		AccessName:  "jwtd_access",
		RefreshName: "jwtd_refresh",
		CSRFName:    "jwtd_csrf",
		CSRFHeader:  "X-CSRF-Token",
		AccessPath:  "/",
		SameSite:    http.SameSiteLaxMode,
	}
}

// withDefaults fills the zero fields from DefaultCookies; RefreshPath
// defaults to the token prefix.
func (c Cookies) withDefaults(prefix string) Cookies {
	d := DefaultCookies()
	for _, f := range []struct {
		v   *string
		def string
	}{
		{&c.AccessName, d.AccessName}, {&c.RefreshName, d.RefreshName},
		{&c.CSRFName, d.CSRFName}, {&c.CSRFHeader, d.CSRFHeader},
		{&c.AccessPath, d.AccessPath}, {&c.RefreshPath, prefix},
	} {
		if *f.v == "" {
			*f.v = f.def
		}
	}
	if c.SameSite == 0 {
		c.SameSite = d.SameSite
	}
	return c
}

// cookieToken returns the named cookie's value, or "" when the transport
// is off or the request has none.
func (a *API) cookieToken(r *http.Request, name string) string {
	if !a.cookies.Enabled {
		return ""
	}
	c, err := r.Cookie(name)
	if err != nil {
		return ""
	}
	return c.Value
}

// checkOrigin refuses a request that is cross-site by the browser's own
// word (Sec-Fetch-Site), or whose Origin is outside TrustedOrigins when
// that list is set. Header clients send neither header and pass.
func (a *API) checkOrigin(r *http.Request) error {
	if r.Header.Get("Sec-Fetch-Site") == "cross-site" {
		return errCrossSite
	}
	if o := r.Header.Get("Origin"); o != "" && len(a.cookies.TrustedOrigins) > 0 && !slices.Contains(a.cookies.TrustedOrigins, o) {
		return errCrossSite
	}
	return nil
}

// checkCSRF is the check every cookie-authenticated unsafe request passes:
// checkOrigin, then the CSRF cookie's value echoed in the CSRF header.
func (a *API) checkCSRF(r *http.Request) error {
	if err := a.checkOrigin(r); err != nil {
		return err
	}
	// Read even with the transport off: forward-auth may take the access
	// token from a cookie the app set itself, with a CSRF cookie beside it.
	var want string
	if c, err := r.Cookie(a.cookies.CSRFName); err == nil {
		want = c.Value
	}
	got := r.Header.Get(a.cookies.CSRFHeader)
	if want == "" || subtle.ConstantTimeCompare([]byte(want), []byte(got)) != 1 {
		return errCSRF
	}
	return nil
}

// cookie builds one of the transport's cookies; maxAge < 0 deletes it.
func (a *API) cookie(name, value, path string, httpOnly bool, maxAge time.Duration) *http.Cookie {
	c := &http.Cookie{
		Name: name, Value: value, Path: path, Domain: a.cookies.Domain,
		HttpOnly: httpOnly, Secure: !a.cookies.Insecure, SameSite: a.cookies.SameSite,
	}
	if maxAge < 0 {
		c.MaxAge = -1
		c.Expires = time.Unix(0, 0)
	} else {
		c.MaxAge = int(maxAge / time.Second)
	}
	return c
}

// setTokenCookies sets the cookies for freshly issued tokens: the access
// (or sliding) token, the refresh token when one was issued, and the CSRF
// token. A login always mints a new CSRF token, so one planted before it
// (by a sibling domain setting cookies) is never adopted; a refresh, which
// has just proved it knows the token, keeps it, so an open page's copy
// stays valid.
func (a *API) setTokenCookies(w http.ResponseWriter, r *http.Request, is core.Issued, login bool) {
	st := a.core.Settings()
	if is.Access != "" {
		http.SetCookie(w, a.cookie(a.cookies.AccessName, is.Access, a.cookies.AccessPath, true, st.AccessTokenLifetime))
	}
	life := st.RefreshTokenLifetime
	if is.Token != "" {
		life = st.SlidingTokenRefreshLifetime
		http.SetCookie(w, a.cookie(a.cookies.AccessName, is.Token, a.cookies.AccessPath, true, life))
	}
	if is.Refresh != "" {
		http.SetCookie(w, a.cookie(a.cookies.RefreshName, is.Refresh, a.cookies.RefreshPath, true, life))
	}
	csrf := a.cookieToken(r, a.cookies.CSRFName)
	if login || len(csrf) != csrfTokenChars {
		csrf = newCSRFToken()
	}
	// Readable by the page's script: that is what double submit needs.
	http.SetCookie(w, a.cookie(a.cookies.CSRFName, csrf, a.cookies.AccessPath, false, life))
}

// clearTokenCookies deletes the transport's cookies (the logout).
func (a *API) clearTokenCookies(w http.ResponseWriter) {
	http.SetCookie(w, a.cookie(a.cookies.AccessName, "", a.cookies.AccessPath, true, -1))
	http.SetCookie(w, a.cookie(a.cookies.RefreshName, "", a.cookies.RefreshPath, true, -1))
	http.SetCookie(w, a.cookie(a.cookies.CSRFName, "", a.cookies.AccessPath, false, -1))
}

// csrfTokenChars is the length of a CSRF token: 32 random bytes, base64url.
const csrfTokenChars = 43

func newCSRFToken() string {
	b := make([]byte, 32)
	rand.Read(b) // never fails (crypto/rand, Go 1.24+)
	return base64.RawURLEncoding.EncodeToString(b)
}
