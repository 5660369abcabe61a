package config

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/jwtd/jwtd/host/httpapi"
)

// The [forward_auth] and [cookies] sections configure what jwtd offers
// at the edge: the endpoint reverse proxies ask, and the cookie transport
// for browser apps. Their shapes and defaults are httpapi's; this file only
// reads and checks them.

type rawForwardAuth struct {
	Mode           *string           `toml:"mode"`
	Cookie         *string           `toml:"cookie"`
	UserIDHeader   *string           `toml:"user_id_header"`
	UsernameHeader *string           `toml:"username_header"`
	ClaimHeaders   map[string]string `toml:"claim_headers"`
	Rules          []rawForwardRule  `toml:"rules"`
}

type rawForwardRule struct {
	PathPrefix    *string        `toml:"path_prefix"`
	Mode          *string        `toml:"mode"`
	RequireClaims map[string]any `toml:"require_claims"`
}

type rawCookies struct {
	Enabled        *bool    `toml:"enabled"`
	AccessName     *string  `toml:"access_name"`
	RefreshName    *string  `toml:"refresh_name"`
	CSRFName       *string  `toml:"csrf_name"`
	CSRFHeader     *string  `toml:"csrf_header"`
	Domain         *string  `toml:"domain"`
	AccessPath     *string  `toml:"access_path"`
	RefreshPath    *string  `toml:"refresh_path"`
	Secure         *bool    `toml:"secure"`
	SameSite       *string  `toml:"same_site"`
	TrustedOrigins []string `toml:"trusted_origins"`
}

// reservedHeaders are response headers forward-auth must never set from a
// claim: the proxy or the browser gives them meaning of their own.
var reservedHeaders = []string{
	"Cache-Control", "Connection", "Content-Length", "Content-Type", "Location",
	"Set-Cookie", "Transfer-Encoding", "Www-Authenticate", "Authorization",
}

// build reads [forward_auth]. An unset cookie stays empty: httpapi then
// uses the cookie transport's access cookie when the transport is on.
func (r rawForwardAuth) build() (httpapi.ForwardAuth, error) {
	f := httpapi.DefaultForwardAuth()
	var err error
	if r.Mode != nil {
		if f.Mode, err = forwardMode("forward_auth.mode", *r.Mode); err != nil {
			return f, err
		}
	}
	if r.Cookie != nil {
		if !validToken(*r.Cookie) {
			return f, invalid("forward_auth.cookie", "%q is not a cookie name", *r.Cookie)
		}
		f.Cookie = *r.Cookie
	}
	seen := map[string]string{}
	header := func(key, v string) error {
		canon := http.CanonicalHeaderKey(v)
		if !validToken(v) {
			return invalid(key, "%q is not a header name", v)
		}
		for _, h := range reservedHeaders {
			if canon == http.CanonicalHeaderKey(h) {
				return invalid(key, "%q is a header with a meaning of its own", v)
			}
		}
		if other, dup := seen[canon]; dup {
			return invalid(key, "%q is also %s", v, other)
		}
		seen[canon] = key
		return nil
	}
	if r.UserIDHeader != nil {
		f.UserIDHeader = *r.UserIDHeader
	}
	if r.UsernameHeader != nil {
		f.UsernameHeader = *r.UsernameHeader
	}
	if err := header("forward_auth.user_id_header", f.UserIDHeader); err != nil {
		return f, err
	}
	if err := header("forward_auth.username_header", f.UsernameHeader); err != nil {
		return f, err
	}
	if len(r.ClaimHeaders) > 0 {
		f.Claims = make(map[string]string, len(r.ClaimHeaders))
		for claim, name := range r.ClaimHeaders {
			if err := header("forward_auth.claim_headers."+claim, name); err != nil {
				return f, err
			}
			f.Claims[claim] = name
		}
	}
	prefixes := map[string]bool{}
	for i, rr := range r.Rules {
		key := fmt.Sprintf("forward_auth.rules[%d]", i)
		rule, err := rr.build(key)
		if err != nil {
			return f, err
		}
		if prefixes[rule.PathPrefix] {
			return f, invalid(key+".path_prefix", "%q has a rule already", rule.PathPrefix)
		}
		prefixes[rule.PathPrefix] = true
		f.Rules = append(f.Rules, rule)
	}
	return f, nil
}

func (r rawForwardRule) build(key string) (httpapi.ForwardAuthRule, error) {
	var rule httpapi.ForwardAuthRule
	if r.PathPrefix == nil || !strings.HasPrefix(*r.PathPrefix, "/") {
		return rule, invalid(key+".path_prefix", "is required and starts with /")
	}
	rule.PathPrefix = *r.PathPrefix
	if r.Mode != nil {
		var err error
		if rule.Mode, err = forwardMode(key+".mode", *r.Mode); err != nil {
			return rule, err
		}
	}
	if len(r.RequireClaims) > 0 {
		rule.RequireClaims = make(map[string][]any, len(r.RequireClaims))
		for claim, v := range r.RequireClaims {
			vals, ok := claimValues(v)
			if !ok {
				return rule, invalid(key+".require_claims."+claim, "must be a string, boolean or number, or a non-empty list of them")
			}
			rule.RequireClaims[claim] = vals
		}
	}
	return rule, nil
}

// claimValues takes a scalar or a list of scalars.
func claimValues(v any) ([]any, bool) {
	list, isList := v.([]any)
	if !isList {
		list = []any{v}
	}
	if len(list) == 0 {
		return nil, false
	}
	for _, x := range list {
		switch x.(type) {
		case string, bool, int64, float64:
		default:
			return nil, false
		}
	}
	return list, true
}

func forwardMode(key, v string) (string, error) {
	switch v {
	case httpapi.ForwardAuthUser, httpapi.ForwardAuthStateless:
		return v, nil
	}
	return "", invalid(key, "%q is not %q or %q", v, httpapi.ForwardAuthUser, httpapi.ForwardAuthStateless)
}

func (r rawCookies) build(prefix string) (httpapi.Cookies, error) {
	c := httpapi.DefaultCookies()
	c.RefreshPath = prefix
	if r.Enabled != nil {
		c.Enabled = *r.Enabled
	}
	names := []struct {
		key string
		v   *string
		dst *string
	}{
		{"cookies.access_name", r.AccessName, &c.AccessName},
		{"cookies.refresh_name", r.RefreshName, &c.RefreshName},
		{"cookies.csrf_name", r.CSRFName, &c.CSRFName},
		{"cookies.csrf_header", r.CSRFHeader, &c.CSRFHeader},
	}
	for _, n := range names {
		if n.v == nil {
			continue
		}
		if !validToken(*n.v) {
			return c, invalid(n.key, "%q is not a valid name", *n.v)
		}
		*n.dst = *n.v
	}
	if c.AccessName == c.RefreshName || c.AccessName == c.CSRFName || c.RefreshName == c.CSRFName {
		return c, invalid("cookies", "access_name, refresh_name and csrf_name must differ")
	}
	for _, p := range []struct {
		key string
		v   *string
		dst *string
	}{
		{"cookies.access_path", r.AccessPath, &c.AccessPath},
		{"cookies.refresh_path", r.RefreshPath, &c.RefreshPath},
	} {
		if p.v == nil {
			continue
		}
		if !strings.HasPrefix(*p.v, "/") || strings.ContainsAny(*p.v, ";\x00\r\n") {
			return c, invalid(p.key, "%q is not a cookie path", *p.v)
		}
		*p.dst = *p.v
	}
	if r.Domain != nil {
		if strings.ContainsAny(*r.Domain, "; \t\r\n/") {
			return c, invalid("cookies.domain", "%q is not a domain", *r.Domain)
		}
		c.Domain = *r.Domain
	}
	if r.Secure != nil {
		c.Insecure = !*r.Secure
	}
	if r.SameSite != nil {
		switch strings.ToLower(*r.SameSite) {
		case "lax":
			c.SameSite = http.SameSiteLaxMode
		case "strict":
			c.SameSite = http.SameSiteStrictMode
		case "none":
			if c.Insecure {
				return c, invalid("cookies.same_site", "none needs secure = true (browsers drop such cookies otherwise)")
			}
			c.SameSite = http.SameSiteNoneMode
		default:
			return c, invalid("cookies.same_site", "%q is not lax, strict or none", *r.SameSite)
		}
	}
	for _, o := range r.TrustedOrigins {
		u, err := url.Parse(o)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.Path != "" || u.RawQuery != "" {
			return c, invalid("cookies.trusted_origins", "%q is not an origin such as https://app.example.com", o)
		}
		c.TrustedOrigins = append(c.TrustedOrigins, o)
	}
	// The browser enforces the name prefixes; a config it would refuse
	// must fail here, not as cookies that silently never arrive.
	for _, n := range []struct{ key, name, path string }{
		{"cookies.access_name", c.AccessName, c.AccessPath},
		{"cookies.refresh_name", c.RefreshName, c.RefreshPath},
		{"cookies.csrf_name", c.CSRFName, c.AccessPath},
	} {
		if strings.HasPrefix(n.name, "__Secure-") && c.Insecure {
			return c, invalid(n.key, "a __Secure- cookie needs secure = true")
		}
		if strings.HasPrefix(n.name, "__Host-") && (c.Insecure || n.path != "/" || c.Domain != "") {
			return c, invalid(n.key, "a __Host- cookie needs secure = true, path \"/\" and no domain")
		}
	}
	return c, nil
}

// validToken reports whether s is an HTTP token (RFC 9110), as header
// and cookie names must be.
func validToken(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range []byte(s) {
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`"(),/:;<=>?@[\]{}`, c) >= 0 {
			return false
		}
	}
	return true
}
