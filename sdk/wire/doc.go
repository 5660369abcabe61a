// Package wire is the jwtd plugin protocol in Go: the plugin kinds, the
// go-plugin handshake, the per-kind protocol versions, and for each SDK
// method exactly one server adapter (sdk interface → gRPC service, used by
// plugin.Serve) and one client adapter (gRPC → sdk interface, used by jwtd
// and by sdktest).
//
// Plugin authors do not import it: package plugin serves, package sdktest
// tests. It is exported because the jwtd daemon (a module of its own) and
// sdktest both speak the protocol from the host side.
//
// The host reaches each kind of a plugin through an Endpoint: a connection
// carrying the kind's service, with gRPC statuses mapped back to the sdk
// sentinel errors, plus the capabilities the plugin reported. A plugin
// process's endpoint is a supervised connection (jwtd's host/pluginhost);
// Local gives a built-in the same endpoint in process. Whatever applies to
// every call — deadlines, restarts, metrics, caching — is a
// grpc.UnaryClientInterceptor added with Endpoint.With, written once for
// every method and both modes. Optional interfaces are not separate wrapper
// types: the clients offer them through sdk.As when the plugin reported
// them (CapUserAdmin, CapLoginFailures, ...).
package wire
