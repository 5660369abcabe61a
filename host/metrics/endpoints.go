package metrics

import (
	"net/http"
	"sync"
)

// Wrap returns a middleware that instruments every request under the
// endpoint name(r) gives (httpapi's API.EndpointName, from its endpoint
// table, for jwtd's paths; a fixed set of names), for a server
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
