// Package sdk is what a jwtd plugin author imports: the four plugin
// interfaces (UserStore, BlacklistStore, AuthRule, ClaimSerializer), the
// plain data types that cross them, and the sentinel errors whose meaning the
// token core relies on.
//
// The interfaces are deliberately small, in the manner of database/sql/driver:
// every method takes a context.Context and returns an error, and extra
// abilities are optional interfaces (UserAdmin, Pinger, LoginFailureStore,
// io.Closer) that a plugin implements and the host discovers with As (a
// type assertion that also sees through the host's view of a plugin), each
// with a documented fallback.
//
// How to write, build and test a plugin: the SDK's README.md.
//
// The same interfaces serve built-ins linked into the jwtd binary and plugins
// that run out of process over hashicorp/go-plugin; a plugin author never sees
// the transport.
package sdk
