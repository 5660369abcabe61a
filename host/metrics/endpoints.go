package metrics

import (
	"net/http"
	"strings"
	"sync"
)

// Endpoint names used as the "endpoint" label. Requests to any other path
// count as EndpointOther, so that scanners probing random paths cannot
// create unbounded label values.
const (
	EndpointObtain         = "obtain"
	EndpointRefresh        = "refresh"
	EndpointVerify         = "verify"
	EndpointBlacklist      = "blacklist"
	EndpointSliding        = "sliding"
	EndpointSlidingRefresh = "sliding_refresh"
	EndpointAuthenticate   = "authenticate"
	EndpointStateless      = "authenticate_stateless"
	EndpointHealthz        = "healthz"
	EndpointReadyz         = "readyz"
	EndpointMetrics        = "metrics"
	EndpointJWKS           = "jwks"
	EndpointOther          = "other"
)

// EndpointNamer maps a request to its endpoint label by the paths of docs/http-api.md
// under tokenPrefix (default "/api/token"); the trailing slash is optional.
func EndpointNamer(tokenPrefix string) func(*http.Request) string {
	if tokenPrefix == "" {
		tokenPrefix = "/api/token"
	}
	tokenPrefix = strings.TrimSuffix(tokenPrefix, "/")
	byPath := map[string]string{
		tokenPrefix:                      EndpointObtain,
		tokenPrefix + "/refresh":         EndpointRefresh,
		tokenPrefix + "/verify":          EndpointVerify,
		tokenPrefix + "/blacklist":       EndpointBlacklist,
		tokenPrefix + "/sliding":         EndpointSliding,
		tokenPrefix + "/sliding/refresh": EndpointSlidingRefresh,
		"/api/authenticate":              EndpointAuthenticate,
		"/api/authenticate/stateless":    EndpointStateless,
		"/healthz":                       EndpointHealthz,
		"/readyz":                        EndpointReadyz,
		"/metrics":                       EndpointMetrics,
		"/.well-known/jwks.json":         EndpointJWKS,
	}
	return func(r *http.Request) string {
		p := r.URL.Path
		if len(p) > 1 {
			p = strings.TrimSuffix(p, "/")
		}
		if name, ok := byPath[p]; ok {
			return name
		}
		return EndpointOther
	}
}

// Wrap returns a middleware that instruments every request under the
// endpoint name(r) gives (EndpointNamer for jwtd's paths), for a server
// that takes one middleware for all routes. Each name's series are resolved
// once, on first use.
func (m *Metrics) Wrap(name func(*http.Request) string) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		// Names come from a fixed set, each stored once and then only read:
		// sync.Map's lock-free case.
		var byName sync.Map
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			n := name(r)
			h, ok := byName.Load(n)
			if !ok {
				h, _ = byName.LoadOrStore(n, m.Middleware(n, next))
			}
			h.(http.Handler).ServeHTTP(w, r)
		})
	}
}
