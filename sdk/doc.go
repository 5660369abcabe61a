// Package sdk is what a jwtd plugin author imports: the four plugin
// interfaces (UserStore, BlacklistStore, AuthRule, ClaimSerializer), the
// plain data types that cross them, and the sentinel errors whose meaning the
// token core relies on.
//
// The interfaces are deliberately small, in the manner of database/sql/driver:
// every method takes a context.Context and returns an error, and extra
// abilities are optional interfaces (UserAdmin, LoginFailureStore, Pinger,
// io.Closer) that the host discovers by type assertion, each with a
// documented fallback.
//
// The same interfaces serve built-ins linked into the jwtd binary and plugins
// that run out of process over hashicorp/go-plugin; a plugin author never sees
// the transport.
package sdk
