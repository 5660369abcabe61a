package httpx

import "strings"

// DefaultTokenPrefix is where the token endpoints live unless
// [server] prefix says otherwise.
const DefaultTokenPrefix = "/api/token"

// TokenPrefix normalises a configured token prefix: one leading slash, no
// trailing slash ("api/token/" → "/api/token"), DefaultTokenPrefix when
// empty. It returns "/" for a prefix of only slashes, which the config
// refuses. The config and the router both call it, so that every path the
// table derives agrees with the one the config accepted.
func TokenPrefix(p string) string {
	if p == "" {
		return DefaultTokenPrefix
	}
	return "/" + strings.Trim(p, "/")
}

// RoutePath is the key a request path is routed (and labelled, and
// throttled) under: the path without its trailing slash, since every
// endpoint answers with and without one, as DRF's routers do. "/" stays "/".
func RoutePath(p string) string {
	if len(p) > 1 {
		return strings.TrimSuffix(p, "/")
	}
	return p
}
