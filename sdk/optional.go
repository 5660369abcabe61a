package sdk

import "context"

// Pinger is an optional interface of any plugin: Ping reports whether the
// plugin and what stands behind it (a database, a Redis server) can answer
// now. /readyz and `jwtd check-config` use it; a plugin without it counts as
// ready while its process answers.
type Pinger interface {
	Ping(ctx context.Context) error
}

// Capable is implemented by values that stand for a plugin without being
// its implementation — the host's view of a plugin, in process or out of
// process — and so offer its optional interfaces by lookup rather than in
// their own method set. Capability sets *target (a pointer to an interface
// variable, as with errors.As) and reports whether the plugin has that
// interface. Plugin authors do not implement it; they implement the
// optional interfaces themselves.
type Capable interface {
	Capability(target any) bool
}

// As finds the optional interface T of a plugin value v: v itself when it
// implements T, else what v's Capability offers. The host discovers
// UserAdmin and the other optional interfaces this way, so a wrapper or a
// client over the wire need not enumerate every combination of them.
func As[T any](v any) (T, bool) {
	if t, ok := v.(T); ok {
		return t, true
	}
	var t T
	if c, ok := v.(Capable); ok && c.Capability(&t) {
		return t, true
	}
	return t, false
}
