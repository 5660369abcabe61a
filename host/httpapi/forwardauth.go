package httpapi

import (
	"encoding/json"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/jwtd/jwtd/host/usercache"
)

// Forward-auth modes: how a request is authenticated.
const (
	// ForwardAuthUser authenticates as /api/authenticate/ does: the user
	// is looked up, must be active, pass the auth rule and (with
	// check_revoke_token) still have the password the token names.
	ForwardAuthUser = "user"
	// ForwardAuthStateless trusts the token alone, as
	// /api/authenticate/stateless/ does: no store call at all.
	ForwardAuthStateless = "stateless"
)

// ForwardAuth configures /api/forward-auth/, the endpoint reverse proxies
// ask before they pass a request on (nginx auth_request, Traefik
// ForwardAuth, Caddy forward_auth). It answers 200 with the user in
// response headers the proxy copies onto the upstream request, 401 with
// WWW-Authenticate, or 403 when a rule refuses the user. It reads headers
// only, never a body.
type ForwardAuth struct {
	// Mode is ForwardAuthUser (default) or ForwardAuthStateless, for
	// requests no rule matches.
	Mode string
	// Cookie names a cookie holding the access token, read when the
	// request has no auth header. Empty (default): the cookie transport's
	// access cookie when it is enabled, else no cookie.
	Cookie string
	// UserIDHeader and UsernameHeader name the response headers carrying
	// the user's id and username (defaults "X-User-Id", "X-Username").
	// Both are always sent on 200, empty when unknown, so a proxy that
	// copies them replaces whatever the client sent.
	UserIDHeader   string
	UsernameHeader string
	// Claims maps a token claim to the response header carrying it
	// (strings as they are; numbers, booleans and lists as JSON).
	Claims map[string]string
	// Rules apply by path prefix of the original request's URI
	// (X-Forwarded-Uri or X-Original-URI); the longest matching prefix
	// wins.
	Rules []ForwardAuthRule
}

// ForwardAuthRule is one path prefix's policy.
type ForwardAuthRule struct {
	// PathPrefix is matched by whole segments: "/admin" matches "/admin"
	// and "/admin/x", not "/administrator".
	PathPrefix string
	// Mode overrides ForwardAuth.Mode under this prefix when set.
	Mode string
	// RequireClaims refuses (403) a token unless each named claim has one
	// of the listed values (a list claim: one of its elements). Values are
	// strings, booleans or numbers, compared as text (strings as they are,
	// the others as JSON), so 1 and 1.0 are equal.
	RequireClaims map[string][]any
}

// DefaultForwardAuth returns the endpoint's defaults.
func DefaultForwardAuth() ForwardAuth {
	return ForwardAuth{Mode: ForwardAuthUser, UserIDHeader: "X-User-Id", UsernameHeader: "X-Username"}
}

// withDefaults fills the zero fields from DefaultForwardAuth; the cookie
// defaults to the cookie transport's access cookie when that is on.
func (f ForwardAuth) withDefaults(c Cookies) ForwardAuth {
	d := DefaultForwardAuth()
	if f.Mode == "" {
		f.Mode = d.Mode
	}
	if f.UserIDHeader == "" {
		f.UserIDHeader = d.UserIDHeader
	}
	if f.UsernameHeader == "" {
		f.UsernameHeader = d.UsernameHeader
	}
	if f.Cookie == "" && c.Enabled {
		f.Cookie = c.AccessName
	}
	return f
}

// Headers naming the original request, as the proxies send them: Traefik
// and Caddy use X-Forwarded-*, nginx's auth_request needs them set in its
// config (the README's snippet sets both names).
var (
	uriHeaders    = []string{"X-Forwarded-Uri", "X-Original-URI"}
	methodHeaders = []string{"X-Forwarded-Method", "X-Original-Method"}
)

// forwarded returns the one value the original request's headers agree
// on. A client may send either header itself and each proxy overwrites
// only its own, so two differing values mean one is forged: refused.
func forwarded(r *http.Request, names []string) (string, error) {
	var v string
	for _, n := range names {
		got := r.Header.Values(n)
		if len(got) > 1 {
			return "", errForwardedMismatch
		}
		if len(got) == 1 {
			if v != "" && got[0] != v {
				return "", errForwardedMismatch
			}
			v = got[0]
		}
	}
	return v, nil
}

// forwardedPath is the original request's path, decoded and stripped of
// path parameters the way an upstream may read it, so "/%61dmin" and
// "/admin;x" both meet the rule for "/admin" (paths compare
// case-sensitively). A path that is not already clean (dot segments,
// double slashes: "/admin/../public", "//admin") is refused: the proxy
// may pass it upstream raw (nginx's proxy_pass without a URI does), where
// it can name another resource than the cleaned path the rules would see.
// A trailing slash is not unclean. ok is false when no header names it.
func forwardedPath(r *http.Request) (p string, ok bool, err error) {
	raw, err := forwarded(r, uriHeaders)
	if err != nil || raw == "" {
		return "", false, err
	}
	if i := strings.IndexAny(raw, "?#"); i >= 0 {
		raw = raw[:i]
	}
	if u, err := url.Parse(raw); err == nil && u.IsAbs() {
		raw = u.EscapedPath()
	}
	p, err = url.PathUnescape(raw)
	if err != nil || !strings.HasPrefix(p, "/") || strings.ContainsAny(p, "\x00\\") {
		return "", false, errForwardedURI
	}
	p = stripParams(p)
	clean := path.Clean(p)
	if clean != p && clean+"/" != p {
		return "", false, errForwardedPathUnclean
	}
	return clean, true, nil
}

// stripParams drops path parameters (";jsessionid=…") from each segment,
// as servlet containers and Spring do before routing, so "/admin;x/users"
// meets the rule for "/admin" instead of slipping past it.
func stripParams(p string) string {
	if !strings.Contains(p, ";") {
		return p
	}
	segs := strings.Split(p, "/")
	for i, s := range segs {
		if j := strings.IndexByte(s, ';'); j >= 0 {
			segs[i] = s[:j]
		}
	}
	return strings.Join(segs, "/")
}

// rule returns the longest-prefix rule for p, or nil.
func (f *ForwardAuth) rule(p string) *ForwardAuthRule {
	var best *ForwardAuthRule
	for i := range f.Rules {
		r := &f.Rules[i]
		pre := strings.TrimSuffix(r.PathPrefix, "/")
		if p == pre || pre == "" || strings.HasPrefix(p, pre+"/") {
			if best == nil || len(r.PathPrefix) > len(best.PathPrefix) {
				best = r
			}
		}
	}
	return best
}

// forwardAuth is /api/forward-auth/: any method, headers only.
func (a *API) forwardAuth(w http.ResponseWriter, r *http.Request) {
	fa := &a.forward
	var rule *ForwardAuthRule
	if len(fa.Rules) > 0 {
		p, ok, err := forwardedPath(r)
		if err == nil && !ok {
			err = errNoForwardedURI
		}
		if err != nil {
			a.writeError(w, r, err)
			return
		}
		rule = fa.rule(p)
	}
	header, fromCookie := a.credentialFrom(r, fa.Cookie)
	if fromCookie {
		// The cookie rides along on any request the browser makes, so an
		// unsafe one must carry the CSRF token; a request whose method the
		// proxy did not pass is taken as unsafe.
		m, err := forwarded(r, methodHeaders)
		if err == nil && !safeMethod(m) {
			err = a.checkCSRF(r)
		}
		if err != nil {
			a.writeError(w, r, err)
			return
		}
	}
	mode := fa.Mode
	if rule != nil && rule.Mode != "" {
		mode = rule.Mode
	}
	id, username, claims, err := a.forwardUser(r, mode, header)
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	if rule != nil && !claimsMatch(claims, rule.RequireClaims) {
		a.writeError(w, r, errForbidden)
		return
	}
	setUserID(w, id)
	h := w.Header()
	h.Set(fa.UserIDHeader, id)
	h.Set(fa.UsernameHeader, username)
	for claim, name := range fa.Claims {
		if v, ok := claims[claim]; ok {
			h.Set(name, headerValue(v))
		} else {
			h.Set(name, "")
		}
	}
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
}

// forwardUser authenticates as the mode says: the store's user, or the
// token's own (stateless, with the username claim when it has one).
func (a *API) forwardUser(r *http.Request, mode, header string) (id, username string, claims map[string]any, err error) {
	if mode == ForwardAuthStateless {
		fields, tok, err := a.core.AuthenticateStateless(r.Context(), header)
		if err != nil {
			return "", "", nil, err
		}
		return headerValue(fields["id"]), stringField(fields, tok.Claims, "username"), tok.Claims, nil
	}
	user, tok, err := a.core.Authenticate(usercache.Cacheable(r.Context()), header)
	if err != nil {
		return "", "", nil, err
	}
	return user.ID, user.Username, tok.Claims, nil
}

func safeMethod(m string) bool {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace:
		return true
	}
	return false
}

// stringField is fields[name] or claims[name] when a string, else "".
func stringField(fields, claims map[string]any, name string) string {
	if s, ok := fields[name].(string); ok {
		return s
	}
	s, _ := claims[name].(string)
	return s
}

// headerValue renders a claim for a header: a string as it is, anything
// else as JSON; a string with control characters as JSON too, so no value
// can split or end a header line.
func headerValue(v any) string {
	if s, ok := v.(string); ok && !strings.ContainsFunc(s, isControl) {
		return s
	}
	switch n := v.(type) {
	case int64:
		return strconv.FormatInt(n, 10)
	case nil:
		return ""
	}
	b, err := json.Marshal(v)
	if err != nil {
		return ""
	}
	return string(b)
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f }

// claimsMatch reports whether each required claim holds one of its
// allowed values.
func claimsMatch(claims map[string]any, require map[string][]any) bool {
	for name, allowed := range require {
		v, ok := claims[name]
		if !ok {
			return false
		}
		vals := []any{v}
		if list, isList := v.([]any); isList {
			vals = list
		}
		if !slices.ContainsFunc(vals, func(x any) bool {
			return slices.ContainsFunc(allowed, func(a any) bool { return headerValue(a) == headerValue(x) })
		}) {
			return false
		}
	}
	return true
}
